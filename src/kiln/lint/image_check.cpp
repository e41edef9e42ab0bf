#include "kiln/lint/image_check.hpp"

#include <algorithm>

#include <fmt/format.h>
#include "kiln/base/strings.hpp"

#include "kiln/dockerfile/ast.hpp"
#include "kiln/dockerfile/instructions.hpp"

namespace kiln::lint {

namespace {

constexpr std::string_view k_rules[] = {
    // security
    "RootUser", "SecretInArgOrEnvValue", "SecretsUsedInArgOrEnv", "AddUrlWithoutChecksum",
    "ChmodWorldWritable", "SudoInRun", "CurlPipeShell",
    // pinning
    "AptInstallUnpinned", "ApkAddUnpinned", "PipInstallUnpinned", "NpmInstallUnpinned",
    "GemInstallUnpinned", "GoInstallUnpinned",
    // size
    "AptNoInstallRecommends", "PackageCacheNotCleaned", "AptGetUpgrade", "ToolchainInFinalStage",
    // correctness
    "PipefailMissing"};

constexpr std::string_view k_keywords[] = {"ADD",        "ARG",   "CMD",     "COPY",   "ENTRYPOINT",
                                           "ENV",        "LABEL", "ONBUILD", "RUN",    "SHELL",
                                           "STOPSIGNAL", "USER",  "VOLUME",  "WORKDIR"};

bool starts_word(std::string_view s, std::string_view w) {
  return s.starts_with(w) && (s.size() == w.size() || s[w.size()] == ' ');
}

// A RUN's command as the history writes it: "[|N K=V...] /bin/sh -c SCRIPT" (shell form with
// build args), or the exec form's words.
std::string run_script(std::string_view s) {
  s = trim(s);
  if (s.starts_with('|')) {  // "|2 A=1 B=2 ": the build args in scope, N of them
    auto sp = s.find(' ');
    auto n = sp == std::string_view::npos ? std::nullopt : parse_int(s.substr(1, sp - 1));
    if (n && *n >= 0) {
      s = trim(s.substr(sp));
      for (int64_t i = 0; i < *n && !s.empty(); ++i) {
        auto next = s.find(' ');
        s = next == std::string_view::npos ? "" : trim(s.substr(next));
      }
    }
  }
  for (std::string_view shell : {"/bin/sh -c ", "/bin/bash -c ", "sh -c ", "bash -c "})
    if (s.starts_with(shell)) return std::string(s.substr(shell.size()));
  return std::string(s);
}

// The instruction one history entry made; "" when it names none kiln can check (a base
// image's import, an EXPOSE or HEALTHCHECK written as a Go value, another tool's text).
std::string instruction_of(std::string_view created_by) {
  std::string_view s = trim(created_by);
  if (s.ends_with("# buildkit")) s = trim(s.substr(0, s.size() - 10));
  for (std::string_view nop : {"/bin/sh -c #(nop) ", "#(nop) "})
    if (s.starts_with(nop)) {
      s = trim(s.substr(nop.size()));
      // The classic builder's "ADD file:<hash> in /dest": the source is a content hash.
      if ((starts_word(s, "ADD") || starts_word(s, "COPY")) && s.find(" in ") != s.npos) {
        auto in = s.rfind(" in ");
        return fmt::format("{} {} {}", s.substr(0, s.find(' ')),
                           trim(s.substr(s.find(' '), in - s.find(' '))), trim(s.substr(in + 4)));
      }
      for (auto k : k_keywords)
        if (starts_word(s, k) && k != "RUN") return std::string(s);
      return "";
    }
  if (starts_word(s, "RUN")) return "RUN " + run_script(s.substr(3));
  if (s.starts_with("/bin/sh -c ") || s.starts_with('|')) return "RUN " + run_script(s);
  for (auto k : k_keywords)
    if (starts_word(s, k)) return std::string(s);
  return "";
}

// A line for the Dockerfile: a script with newlines becomes a heredoc (a delimiter that does
// not occur in it), anything else stays one line.
std::vector<std::string> lines_of(const std::string& ins) {
  if (ins.find('\n') == std::string::npos) return {ins};
  std::vector<std::string> out;
  if (!ins.starts_with("RUN ")) {  // not a script: the newlines are only separators
    std::string one = ins;
    std::replace(one.begin(), one.end(), '\n', ' ');
    return {one};
  }
  std::string body = ins.substr(4), delim = "KILN_EOF";
  while (body.find(delim) != std::string::npos) delim += "_";
  out.push_back("RUN <<'" + delim + "'");
  for (auto l : split(body, '\n')) out.emplace_back(l);
  out.push_back(delim);
  return out;
}

// Whether the lines parse as one instruction on their own (a history entry written by some
// other tool can read as one and not be one, or end in a continuation that would swallow the
// next): such an entry is left out rather than failing the check.
bool parses(const std::vector<std::string>& lines) {
  std::string text = "FROM scratch\n";
  for (const auto& l : lines) text += l + "\n";
  text += "LABEL kiln.end=1\n";
  auto ast = dockerfile::parse(text, "history");
  return ast && ast->nodes.size() == 3 && dockerfile::parse_instructions(*ast).has_value();
}

std::string last_user(const std::vector<std::string>& instructions) {
  for (auto it = instructions.rbegin(); it != instructions.rend(); ++it)
    if (starts_word(*it, "USER")) return std::string(trim(std::string_view(*it).substr(4)));
  return "";
}

}  // namespace

HistoryDockerfile dockerfile_from_history(const oci::ImageConfig& config) {
  HistoryDockerfile out;
  auto add = [&](const std::string& ins, int h) {
    auto lines = lines_of(ins);
    if (h >= 0 && !parses(lines)) return false;
    for (const auto& l : lines) {
      out.text += l + "\n";
      out.history.push_back(h);
    }
    return true;
  };
  add("FROM scratch", -1);
  std::vector<std::string> seen;
  for (size_t i = 0; i < config.history.size(); ++i) {
    std::string ins = instruction_of(config.history[i].created_by);
    if (ins.empty() || !add(ins, static_cast<int>(i))) continue;
    seen.push_back(ins);
  }
  // The config decides who the image runs as (an empty user is root).
  std::string user = config.config ? config.config->user : "", last = last_user(seen);
  if (last != user && !(user.empty() && (last == "root" || last == "0")))
    add("USER " + (user.empty() ? std::string("root") : user), -1);
  return out;
}

std::vector<std::string> image_rules() {
  return {std::begin(k_rules), std::end(k_rules)};
}

Result<std::vector<ImageFinding>> check_image(const oci::ImageConfig& config, Config cfg) {
  auto df = dockerfile_from_history(config);
  auto ast = KILN_TRY_CTX(dockerfile::parse(df.text, "history"), "the image's history");
  auto parsed = KILN_TRY_CTX(dockerfile::parse_instructions(ast), "the image's history");
  Input in;
  in.ast = &ast;
  in.dockerfile = &parsed;
  cfg.shellcheck = false;
  cfg.only.clear();
  for (auto r : k_rules)
    if (!cfg.disabled.contains(std::string(r))) cfg.only.insert(std::string(r));
  auto report = KILN_TRY(run(in, cfg));
  std::vector<ImageFinding> out;
  auto lines = split(df.text, '\n');
  for (auto& f : report.findings) {
    size_t i = static_cast<size_t>(std::max(f.line, 1) - 1);
    ImageFinding g;
    g.history = i < df.history.size() ? df.history[i] : -1;
    // The whole instruction: from its first line (a heredoc's RUN line) on.
    size_t first = i;
    while (first > 0 && df.history[first - 1] == g.history && g.history >= 0) --first;
    g.instruction = first < lines.size() ? std::string(lines[first]) : "";
    g.finding = std::move(f);
    out.push_back(std::move(g));
  }
  return out;
}

}  // namespace kiln::lint
