// Running the Dockerfile linter from the CLI: `kiln lint` and `kiln build --check` read the
// Dockerfile, the context's .dockerignore and lock files, the base images' environment from
// the local store (never the network), and the lint config.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "kiln/cli/context.hpp"
#include "kiln/dockerfile/ast.hpp"
#include "kiln/dockerfile/instructions.hpp"
#include "kiln/lint/lint.hpp"

namespace kiln::cli {

struct LintRequest {
  std::string dockerfile;   // path or "-" (stdin)
  std::string context;      // "" when there is none (stdin, tar context)
  std::string config_path;  // "" for CONTEXT/.kiln-lint.yaml when present
  std::map<std::string, std::string> build_args;
  std::string target;
  bool use_store = true;
};

struct LintResult {
  dockerfile::Ast ast;
  dockerfile::Dockerfile dockerfile;
  lint::Config config;
  lint::Report report;
};

// Errors: unreadable file, Dockerfile syntax errors (located), bad config.
Result<std::unique_ptr<LintResult>> run_lint(Context& ctx, const LintRequest& req,
                                             const lint::Config* override_config = nullptr);
Result<lint::Config> load_lint_config(const LintRequest& req);

}  // namespace kiln::cli
