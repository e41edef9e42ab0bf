// shellcheck over RUN scripts, when it is installed: one run per shell dialect with every
// script of that dialect, its findings (json1) mapped back to Dockerfile lines.
#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>

#include "kiln/base/strings.hpp"
#include "kiln/lint/checker.hpp"
#include "kiln/os/subprocess.hpp"

namespace kiln::lint::detail {

namespace {

bool on_path(std::string_view prog) {
  const char* path = std::getenv("PATH");
  if (!path) return false;
  for (const auto& dir : split(path, ':'))
    if (!dir.empty() && ::access(fmt::format("{}/{}", dir, prog).c_str(), X_OK) == 0) return true;
  return false;
}

struct Batch {
  std::string text;
  // For each line of `text` (0-based): the script and the offset of that line in it.
  std::vector<std::pair<const Script*, size_t>> lines;
};

void add(Batch& b, const Script& s) {
  size_t start = 0;
  while (start <= s.text.size()) {
    size_t nl = s.text.find('\n', start);
    size_t end = nl == std::string::npos ? s.text.size() : nl;
    b.lines.emplace_back(&s, start);
    b.text.append(s.text, start, end - start);
    b.text += '\n';
    if (nl == std::string::npos) break;
    start = nl + 1;
    if (start == s.text.size()) break;
  }
}

Severity level(std::string_view l) {
  if (l == "error") return Severity::error;
  if (l == "warning") return Severity::warning;
  return Severity::info;
}

}  // namespace

void check_shellcheck(Checker& c) {
  if (!c.wants("ShellCheck")) return;
  if (!on_path("shellcheck")) {
    c.note("ShellCheck: shellcheck is not installed; RUN scripts were not checked with it");
    return;
  }
  std::vector<Script> scripts;  // kept alive: batches point into them
  std::vector<std::string> dialects;
  for (const auto& info : c.stages) {
    std::string dialect = "sh";
    for (const auto& ins : info.stage->commands) {
      if (const auto* sh = std::get_if<dockerfile::Shell>(&ins.command)) {
        std::string n = sh->shell.empty() ? "" : std::string(base_name(sh->shell[0]));
        dialect = n == "bash" || n == "ksh" || n == "dash" || n == "sh" ? n : "";
      }
      if (dialect.empty()) continue;  // PowerShell, cmd: not for shellcheck
      if (auto s = c.script(ins)) {
        if (s->heredoc && s->text.starts_with("#!")) continue;  // its own interpreter
        scripts.push_back(std::move(*s));
        dialects.push_back(dialect);
      }
    }
  }
  std::map<std::string, Batch> batches;
  for (size_t i = 0; i < scripts.size(); ++i) add(batches[dialects[i]], scripts[i]);
  for (auto& [dialect, b] : batches) {
    auto proc = os::Subprocess::spawn(
        {"shellcheck", "-s", dialect, "-f", "json1", "-e", "SC1090,SC1091,SC2154", "-"});
    if (!proc) {
      c.note(fmt::format("ShellCheck: {}", proc.error().message()));
      return;
    }
    auto done = proc->communicate(b.text);
    if (!done) {
      c.note(fmt::format("ShellCheck: {}", done.error().message()));
      return;
    }
    auto j = nlohmann::json::parse(done->out, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("comments")) {
      c.note(fmt::format("ShellCheck: unexpected output (exit {})", done->exit_code));
      return;
    }
    for (const auto& cm : j["comments"]) {
      int line = cm.value("line", 0), col = cm.value("column", 1);
      if (line < 1 || static_cast<size_t>(line) > b.lines.size()) continue;
      auto [script, off] = b.lines[static_cast<size_t>(line - 1)];
      auto [l, cl] = script->at(off + static_cast<size_t>(std::max(col, 1) - 1));
      int code = cm.value("code", 0);
      std::string msg = fmt::format("SC{}: {}", code, cm.value("message", std::string()));
      Finding* f = c.emit("ShellCheck", l, cl, msg,
                          fmt::format("see https://www.shellcheck.net/wiki/SC{}", code));
      // shellcheck's own level, unless the config sets the rule's severity.
      if (f && !c.cfg.severity.contains("ShellCheck")) f->severity = level(cm.value("level", ""));
    }
  }
}

}  // namespace kiln::lint::detail
