#include "kiln/cli/lint_common.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <map>

#include "kiln/dockerfile/dockerignore.hpp"
#include "kiln/oci/codec.hpp"
#include "kiln/oci/platform.hpp"
#include "kiln/os/dir.hpp"
#include "kiln/store/paths.hpp"
#include "kiln/store/store.hpp"

namespace kiln::cli {

namespace {

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// A base image's environment, user and digest from the local store; nullopt when it is not
// there (lint never pulls).
std::optional<lint::BaseImage> base_from_store(Context& ctx, std::string_view ref) {
  if (!exists(ctx.root)) return std::nullopt;
  auto st = ctx.store();
  if (!st) return std::nullopt;
  auto top = (*st)->resolve_top(ref);
  auto rec = (*st)->resolve(ref);
  if (!rec || !top) return std::nullopt;
  auto blob = (*st)->read_blob(rec->config_digest);
  if (!blob) return std::nullopt;
  auto cfg = oci::parse_config(*blob);
  if (!cfg) return std::nullopt;
  lint::BaseImage b;
  b.digest = top->manifest_digest.str();
  b.platform = oci::platform_string(oci::normalize(oci::platform_of(*cfg)));
  if (cfg->config) {
    b.user = cfg->config->user;
    for (const auto& e : cfg->config->env) b.env_keys.push_back(e.substr(0, e.find('=')));
  }
  return b;
}

}  // namespace

Result<lint::Config> load_lint_config(const LintRequest& req) {
  std::string path = req.config_path;
  if (path.empty() && !req.context.empty() && exists(req.context + "/.kiln-lint.yaml"))
    path = req.context + "/.kiln-lint.yaml";
  if (path.empty()) return lint::Config{};
  std::string text = KILN_TRY_CTX(os::read_file(path), "lint config");
  return lint::parse_config(text, path);
}

Result<std::unique_ptr<LintResult>> run_lint(Context& ctx, const LintRequest& req,
                                             const lint::Config* override_config) {
  auto out = std::make_unique<LintResult>();
  std::string text =
      req.dockerfile == "-" ? KILN_TRY(os::read_fd(0)) : KILN_TRY(os::read_file(req.dockerfile));
  out->ast =
      KILN_TRY(dockerfile::parse(text, req.dockerfile == "-" ? "Dockerfile" : req.dockerfile));
  out->dockerfile = KILN_TRY(dockerfile::parse_instructions(out->ast));
  out->config = override_config ? *override_config : KILN_TRY(load_lint_config(req));
  std::optional<dockerfile::IgnoreMatcher> ignore;
  lint::Input in;
  in.ast = &out->ast;
  in.dockerfile = &out->dockerfile;
  in.build_args = req.build_args;
  in.target = req.target;
  if (!req.context.empty()) {
    std::string file =
        dockerfile::ignore_file_for(req.context, req.dockerfile == "-" ? "" : req.dockerfile);
    if (!file.empty()) {
      std::string ig = KILN_TRY_CTX(os::read_file(file), ".dockerignore");
      ignore = KILN_TRY_CTX(dockerfile::IgnoreMatcher::parse(ig), file);
      in.ignore = &*ignore;
    }
    std::string ctxdir = req.context;
    in.context_has = [ctxdir](std::string_view rel) {
      return exists(fmt::format("{}/{}", ctxdir, rel));
    };
  }
  // Several rules ask about the same base image: each is looked up once.
  std::map<std::string, std::optional<lint::BaseImage>, std::less<>> bases;
  if (req.use_store)
    in.base_image = [&ctx, &bases](std::string_view ref) {
      auto it = bases.find(ref);
      if (it == bases.end()) it = bases.emplace(std::string(ref), base_from_store(ctx, ref)).first;
      return it->second;
    };
  out->report = KILN_TRY(lint::run(in, out->config));
  return out;
}

}  // namespace kiln::cli
