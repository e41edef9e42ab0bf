// Dockerfile lint: rules over the parsed Dockerfile (dockerfile/), each finding tied to its
// FILE:LINE:COL with a message and a concrete fix. BuildKit's `docker build --check` rules
// under BuildKit's names and messages, plus kiln's own rules for base images, dependency
// pinning, image size and security (docs/lint.md lists them all).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/base/error.hpp"
#include "kiln/dockerfile/ast.hpp"
#include "kiln/dockerfile/dockerignore.hpp"
#include "kiln/dockerfile/instructions.hpp"

namespace kiln::lint {

enum class Severity { info, warning, error };
std::string_view severity_name(Severity s);  // "info", "warning", "error"
std::optional<Severity> parse_severity(std::string_view s);

struct RuleInfo {
  std::string_view id;        // "JSONArgsRecommended"
  Severity severity;          // the default
  std::string_view category;  // buildkit, base, pinning, size, security, correctness, shell
  std::string_view description;
  std::string_view url;  // documentation, "" when none
  bool enabled = true;   // off by default (BuildKit's experimental rules)
};
std::span<const RuleInfo> rules();
const RuleInfo* find_rule(std::string_view id);

struct Finding {
  std::string rule;
  Severity severity = Severity::warning;
  std::string message;
  int line = 0, column = 1;  // 1-based, in the Dockerfile
  std::string fix;           // what to do instead, one line
  std::string replacement;   // the rewritten source line `line`, when one can be computed
};

struct Config {
  std::set<std::string> disabled;
  std::set<std::string> enabled;  // rules off by default that the user turned on
  std::map<std::string, Severity> severity;
  // Registries base images may come from ("docker.io", "ghcr.io/org"); empty: any.
  std::vector<std::string> trusted_registries;
  std::set<std::string> only;  // when not empty, run these rules only
  bool shellcheck = true;      // run shellcheck over RUN scripts when it is installed
  // Findings at or above this fail `kiln lint` (and the build gate).
  Severity failure_threshold = Severity::warning;
};
// The YAML config file (docs/lint.md): rules: {ID: off|on|info|warning|error}, ignored: [ID..],
// trusted-registries: [..], shellcheck: bool, failure-threshold: info|warning|error. Errors
// name the file and the key.
Result<Config> parse_config(std::string_view yaml, std::string_view filename);

// What a base image provides that the Dockerfile does not show (from the local store).
struct BaseImage {
  std::vector<std::string> env_keys;
  std::string user;
  std::string digest;    // of the manifest the local tag points to ("sha256:...")
  std::string platform;  // of the image resolved for this machine ("linux/amd64")
};

struct Input {
  const dockerfile::Ast* ast = nullptr;
  const dockerfile::Dockerfile* dockerfile = nullptr;
  std::map<std::string, std::string> build_args;
  std::string target;  // --target, "" for the last stage
  // The build context's .dockerignore (CopyIgnoredFile) and whether a context-relative path
  // exists (lock files); both optional.
  const dockerfile::IgnoreMatcher* ignore = nullptr;
  std::function<bool(std::string_view)> context_has;
  // A base image's environment and user, when it is known without the network.
  std::function<std::optional<BaseImage>(std::string_view ref)> base_image;
};

struct Report {
  std::vector<Finding> findings;   // in line order
  std::vector<std::string> notes;  // what could not be checked, and why
  bool error_on_warning = false;   // the Dockerfile's `# check=error=true`
};

Result<Report> run(const Input& in, const Config& cfg);

// Output formats. tty: "FILE:LINE:COL: severity: message [Rule]", the source line with a caret,
// the fix and the rewritten line. json: documented in docs/lint.md. sarif: SARIF 2.1.0.
std::string format_tty(const Report& r, const dockerfile::Source& src, bool color);
std::string format_json(const Report& r, const dockerfile::Source& src);
std::string format_sarif(const Report& r, const dockerfile::Source& src, std::string_view version);

// The worst severity in a report (info when empty).
Severity worst(const Report& r);

}  // namespace kiln::lint
