#include "kiln/lint/lint.hpp"

#include <algorithm>

#include "kiln/base/strings.hpp"
#include "kiln/dockerfile/plan.hpp"
#include "kiln/lint/checker.hpp"

namespace kiln::lint {

namespace {

#define BK(id, slug, desc)                                     \
  RuleInfo {                                                   \
    id, Severity::warning, "buildkit", desc,                   \
        "https://docs.docker.com/go/dockerfile/rule/" slug "/" \
  }
#define KL(id, sev, cat, desc)       \
  RuleInfo {                         \
    id, Severity::sev, cat, desc, "" \
  }

const RuleInfo k_rules[] = {
    // BuildKit's checks (frontend/dockerfile/linter/ruleset.go), same names and messages.
    BK("StageNameCasing", "stage-name-casing", "Stage names should be lowercase"),
    BK("FromAsCasing", "from-as-casing",
       "The 'as' keyword should match the case of the 'from' keyword"),
    BK("NoEmptyContinuation", "no-empty-continuation",
       "Empty continuation lines will become errors in a future release"),
    BK("ConsistentInstructionCasing", "consistent-instruction-casing",
       "All commands within the Dockerfile should use the same casing (either upper or lower)"),
    BK("DuplicateStageName", "duplicate-stage-name", "Stage names should be unique"),
    BK("ReservedStageName", "reserved-stage-name",
       "Reserved words should not be used as stage names"),
    BK("JSONArgsRecommended", "json-args-recommended",
       "JSON arguments recommended for ENTRYPOINT/CMD to prevent unintended behavior related to "
       "OS signals"),
    BK("MaintainerDeprecated", "maintainer-deprecated",
       "The MAINTAINER instruction is deprecated, use a label instead to define an image author"),
    BK("UndefinedArgInFrom", "undefined-arg-in-from", "FROM command must use declared ARGs"),
    BK("WorkdirRelativePath", "workdir-relative-path",
       "Relative workdir without an absolute workdir declared within the build can have "
       "unexpected results if the base image changes"),
    BK("UndefinedVar", "undefined-var", "Variables should be defined before their use"),
    BK("MultipleInstructionsDisallowed", "multiple-instructions-disallowed",
       "Multiple instructions of the same type should not be used in the same stage"),
    BK("LegacyKeyValueFormat", "legacy-key-value-format",
       "Legacy key/value format with whitespace separator should not be used"),
    BK("RedundantTargetPlatform", "redundant-target-platform",
       "Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the "
       "default behavior"),
    BK("SecretsUsedInArgOrEnv", "secrets-used-in-arg-or-env",
       "Sensitive data should not be used in the ARG or ENV commands"),
    BK("InvalidDefaultArgInFrom", "invalid-default-arg-in-from",
       "Default value for global ARG results in an empty or invalid base image name"),
    BK("FromPlatformFlagConstDisallowed", "from-platform-flag-const-disallowed",
       "FROM --platform flag should not use a constant value"),
    BK("CopyIgnoredFile", "copy-ignored-file",
       "Attempting to Copy file that is excluded by .dockerignore"),
    RuleInfo{"InvalidDefinitionDescription", Severity::warning, "buildkit",
             "Comment for build stage or argument should follow the format: `# <arg/stage name> "
             "<description>` (experimental in BuildKit: off unless enabled)",
             "https://docs.docker.com/go/dockerfile/rule/invalid-definition-description/", false},
    BK("ExposeProtoCasing", "expose-proto-casing",
       "Protocol in EXPOSE instruction should be lowercase"),
    BK("ExposeInvalidFormat", "expose-invalid-format",
       "IP address and host-port mapping should not be used in EXPOSE instruction"),
    RuleInfo{"InvalidBaseImagePlatform", Severity::warning, "buildkit",
             "Base image platform does not match expected target platform (for base images in "
             "the local store)",
             ""},
    // Base images.
    KL("BaseImageLatest", warning, "base", "Base image uses the latest tag or no tag"),
    KL("BaseImageNotPinned", info, "base", "Base image is not pinned by digest"),
    KL("UntrustedRegistry", error, "base",
       "Base image comes from a registry that is not in trusted-registries"),
    // Dependency pinning.
    KL("AptInstallUnpinned", warning, "pinning", "apt-get install without package versions"),
    KL("ApkAddUnpinned", warning, "pinning", "apk add without package versions"),
    KL("PipInstallUnpinned", warning, "pinning", "pip install without package versions"),
    KL("NpmInstallUnpinned", warning, "pinning",
       "npm install of a package without a version, or npm install where npm ci and the lock "
       "file belong"),
    KL("GemInstallUnpinned", warning, "pinning", "gem install without a version"),
    KL("GoInstallUnpinned", warning, "pinning", "go install of @latest or without a version"),
    KL("LockFileNotCopied", warning, "pinning",
       "A lock file in the build context is not copied before the install step that uses it"),
    // Size.
    KL("AptNoInstallRecommends", info, "size", "apt-get install without --no-install-recommends"),
    KL("PackageCacheNotCleaned", warning, "size",
       "A package manager cache is left in the layer (apt lists, apk, pip, npm)"),
    KL("AptGetUpgrade", warning, "size", "apt-get upgrade or dist-upgrade in a build"),
    KL("ConsecutiveRunInstructions", info, "size",
       "Consecutive RUN instructions that could be one layer"),
    KL("CopyAllBeforeInstall", warning, "size",
       "COPY of the whole context before the dependency install step (every source change "
       "re-runs the install)"),
    KL("ToolchainInFinalStage", warning, "size",
       "A compiler toolchain stays in the final image (no multi-stage build)"),
    // Security.
    KL("RootUser", warning, "security", "The image runs as root (last USER is root or absent)"),
    KL("SecretInArgOrEnvValue", error, "security",
       "A credential is written into an ARG or ENV value (it stays in the image config)"),
    KL("AddUrlWithoutChecksum", warning, "security", "ADD of a URL without --checksum"),
    KL("ChmodWorldWritable", warning, "security", "chmod 777 or o+w makes files world-writable"),
    KL("SudoInRun", warning, "security", "sudo in RUN (steps already run as the USER set)"),
    KL("CurlPipeShell", warning, "security", "A downloaded script is piped into a shell"),
    KL("RunSecurityInsecure", warning, "security",
       "RUN --security=insecure runs the step with all capabilities (like --privileged)"),
    KL("RunNetworkHost", info, "security", "RUN --network=host shares the host's network"),
    // Correctness (hadolint-class).
    KL("CdInRun", info, "correctness", "cd in RUN instead of WORKDIR"),
    KL("ExposePortOutOfRange", error, "correctness", "EXPOSE of a port outside 0-65535"),
    KL("PipefailMissing", warning, "correctness",
       "A pipe in RUN without pipefail: a failing first command does not fail the step"),
    KL("ShellCheck", warning, "shell",
       "A finding of shellcheck in a RUN script (when shellcheck is installed)"),
};
#undef BK
#undef KL

}  // namespace

std::string_view severity_name(Severity s) {
  switch (s) {
    case Severity::info:
      return "info";
    case Severity::warning:
      return "warning";
    case Severity::error:
      return "error";
  }
  return "warning";
}

std::optional<Severity> parse_severity(std::string_view s) {
  std::string l = to_lower(s);
  if (l == "info" || l == "style") return Severity::info;
  if (l == "warning" || l == "warn") return Severity::warning;
  if (l == "error") return Severity::error;
  return std::nullopt;
}

std::span<const RuleInfo> rules() {
  return k_rules;
}

const RuleInfo* find_rule(std::string_view id) {
  for (const auto& r : k_rules)
    if (r.id == id) return &r;
  return nullptr;
}

Severity worst(const Report& r) {
  Severity w = Severity::info;
  for (const auto& f : r.findings) w = std::max(w, f.severity);
  return w;
}

namespace detail {

namespace {

// "skip=A,B;error=true" (BuildKit's check directive and per-instruction check comments).
void parse_check(std::string_view value, std::set<std::string>& skip, bool& skip_all, bool* error) {
  for (const auto& part : split(value, ';')) {
    auto t = trim(part);
    if (t.starts_with("skip=")) {
      for (const auto& id : split(t.substr(5), ',')) {
        auto i = trim(id);
        if (i == "all")
          skip_all = true;
        else if (!i.empty())
          skip.insert(std::string(i));
      }
    } else if (t.starts_with("error=") && error) {
      *error = to_lower(t.substr(6)) == "true";
    }
  }
}

}  // namespace

std::pair<int, int> Script::at(size_t offset) const {
  if (positions.empty()) return {0, 1};
  return positions[std::min(offset, positions.size() - 1)];
}

Checker::Checker(const Input& input, const Config& config, Report& out)
    : in(input), cfg(config), df(*input.dockerfile), ast(*input.ast), m_out(out) {
  for (const auto& d : df.directives)
    if (d.name == "check") parse_check(d.value, m_skip, m_skip_all, &m_out.error_on_warning);
  dockerfile::Lexer lex(df.escape);
  meta_defaults = dockerfile::platform_args({});
  for (const auto& ins : df.meta_args) {
    for (const auto& def : std::get<dockerfile::Arg>(ins.command).args) {
      if (auto it = in.build_args.find(def.key); it != in.build_args.end()) {
        meta_defaults[def.key] = it->second;
      } else if (def.value) {
        auto v = lex.process_word(*def.value, meta_defaults);
        meta_defaults[def.key] = v ? *v : *def.value;
      } else {
        meta_defaults.erase(def.key);
      }
    }
  }
  for (const auto& st : df.stages) {
    StageInfo info;
    info.stage = &st;
    auto b = lex.process_word(st.from.base, meta_defaults);
    info.base = b ? *b : st.from.base;
    std::string lower = to_lower(info.base);
    for (size_t j = 0; j < stages.size(); ++j)
      if (!stages[j].stage->from.name.empty() && stages[j].stage->from.name == lower)
        info.base_stage = static_cast<int>(j);
    stages.push_back(std::move(info));
  }
  target = static_cast<int>(stages.size()) - 1;
  if (!in.target.empty())
    for (size_t j = 0; j < stages.size(); ++j)
      if (stages[j].stage->from.name == to_lower(in.target)) target = static_cast<int>(j);
  for (int s = target; s >= 0; s = stages[static_cast<size_t>(s)].base_stage) {
    if (stages[static_cast<size_t>(s)].ships) break;
    stages[static_cast<size_t>(s)].ships = true;
  }
  if (target >= 0) stages[static_cast<size_t>(target)].is_target = true;
}

bool Checker::wants(std::string_view rule) const {
  const RuleInfo* r = find_rule(rule);
  if (!r) return false;
  std::string id(rule);
  if (m_skip_all || m_skip.contains(id)) return false;
  if (!cfg.only.empty()) return cfg.only.contains(id);
  if (cfg.disabled.contains(id)) return false;
  return r->enabled || cfg.enabled.contains(id);
}

Finding* Checker::emit(std::string_view rule, int line, int col, std::string message,
                       std::string fix, std::string replacement) {
  if (!wants(rule)) return nullptr;
  // `# kiln-ignore=ID[,ID]` (or BuildKit's `# check=skip=ID`) right above the instruction.
  for (const auto& n : ast.nodes) {
    if (line < n.start_line || line > n.end_line) continue;
    for (const auto& c : n.comments) {
      std::set<std::string> skip;
      bool all = false;
      if (c.starts_with("kiln-ignore=")) {
        std::string_view ids = std::string_view(c).substr(12);
        ids = ids.substr(0, ids.find_first_of(" \t"));
        parse_check("skip=" + std::string(ids), skip, all, nullptr);
      } else if (c.starts_with("check=")) {
        parse_check(std::string_view(c).substr(6), skip, all, nullptr);
      }
      if (all || skip.contains(std::string(rule))) return nullptr;
    }
    break;
  }
  if (!m_seen.emplace(std::string(rule), line, message).second) return nullptr;
  const RuleInfo* r = find_rule(rule);
  Finding f;
  f.rule = std::string(rule);
  f.severity = r->severity;
  if (auto it = cfg.severity.find(f.rule); it != cfg.severity.end()) f.severity = it->second;
  f.message = std::move(message);
  f.line = line;
  f.column = std::max(col, 1);
  f.fix = std::move(fix);
  f.replacement = std::move(replacement);
  m_out.findings.push_back(std::move(f));
  return &m_out.findings.back();
}

std::string_view Checker::source_line(int line) const {
  return df.source->line(line);
}

std::pair<int, int> Checker::position(const dockerfile::Instruction& ins, size_t off) const {
  auto piece = [&](std::string_view l, bool& cont) {
    size_t end = l.size();
    while (end > 0 && (l[end - 1] == ' ' || l[end - 1] == '\t')) --end;
    cont = end > 0 && l[end - 1] == df.escape;
    return cont ? end - 1 : l.size();
  };
  int line = ins.line;
  size_t lead = static_cast<size_t>(std::max(ins.column, 1) - 1);
  std::string_view first = source_line(line);
  if (lead > first.size()) return {ins.line, ins.column};
  bool cont = false;
  size_t done = 0, len = piece(first.substr(lead), cont);
  if (off < len) return {line, static_cast<int>(lead + off) + 1};
  done = len;
  while (cont && line < ins.end_line) {
    ++line;
    std::string_view l = source_line(line);
    std::string_view t = trim(l);
    if (t.empty() || t.starts_with('#')) continue;
    len = piece(l, cont);
    if (off < done + len) return {line, static_cast<int>(off - done) + 1};
    done += len;
  }
  return {ins.line, ins.column};
}

std::optional<Script> Checker::script(const dockerfile::Instruction& ins) const {
  const auto* run = std::get_if<dockerfile::Run>(&ins.command);
  if (!run || !run->cmd.prepend_shell || run->cmd.args.empty()) return std::nullopt;
  Script s;
  const std::string& line = run->cmd.args[0];
  std::string_view t = trim(line);
  bool only_heredoc = !run->cmd.files.empty() && t.starts_with("<<") &&
                      t.find_first_of(" \t") == std::string_view::npos;
  if (only_heredoc) {
    // The heredoc is the script: its body starts after the instruction's own lines.
    int total = 0;
    for (const auto& h : run->cmd.files)
      total += static_cast<int>(std::count(h.content.begin(), h.content.end(), '\n')) + 1;
    int ln = ins.end_line - total + 1, col = 1;
    s.text = run->cmd.files[0].text();
    s.heredoc = true;
    for (char c : s.text) {
      s.positions.emplace_back(ln, col);
      if (c == '\n')
        ++ln, col = 1;
      else
        ++col;
    }
  } else {
    s.text = line;
    size_t kw = ins.keyword.size();
    size_t base = ins.original.find(line, std::min(kw, ins.original.size()));
    for (size_t i = 0; i < s.text.size(); ++i)
      s.positions.push_back(base == std::string::npos ? std::pair{ins.line, ins.column}
                                                      : position(ins, base + i));
  }
  s.commands = split_commands(s.text);
  return s;
}

std::string quote_if_needed(std::string_view word) {
  bool plain = !word.empty() && word.find_first_not_of(
                                    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                    "0123456789_./:=@+,-%") == std::string_view::npos;
  if (plain) return std::string(word);
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace detail

Result<Report> run(const Input& in, const Config& cfg) {
  if (!in.ast || !in.dockerfile) return failf(Errc::invalid_argument, "lint: no Dockerfile given");
  for (const auto& id : cfg.only)
    if (!find_rule(id)) return failf(Errc::invalid_argument, "lint: unknown rule \"{}\"", id);
  Report report;
  detail::Checker c(in, cfg, report);
  detail::check_buildkit(c);
  detail::check_base_images(c);
  detail::check_run_scripts(c);
  detail::check_stage_rules(c);
  if (cfg.shellcheck) detail::check_shellcheck(c);
  std::stable_sort(report.findings.begin(), report.findings.end(),
                   [](const Finding& a, const Finding& b) {
                     return std::tie(a.line, a.column) < std::tie(b.line, b.column);
                   });
  return report;
}

}  // namespace kiln::lint
