// Rules over RUN scripts: package installs without versions, caches left in the layer,
// upgrades, toolchains in the final image, lock files and COPY order, curl | sh, sudo, cd,
// chmod 777 and pipes without pipefail.
#include <algorithm>
#include <set>

#include "kiln/base/strings.hpp"
#include "kiln/lint/checker.hpp"

namespace kiln::lint::detail {

using dockerfile::Instruction;

namespace {

// What the stage has seen so far (inherited by stages built on it).
struct StageState {
  std::vector<std::string> copied;  // context sources of COPY/ADD, as written
  std::vector<int> copy_all_lines;  // COPY . lines
  std::set<int> copy_all_reported;
  bool pipefail_shell = false;
  bool pip_no_cache = false;
  bool shell_not_posix = false;  // SHELL is PowerShell or cmd
};

struct RunCtx {
  Checker& c;
  const Instruction& ins;
  const dockerfile::Run& run;
  const Script& s;
  const StageInfo& stage;
  StageState& state;
  std::vector<std::string> cache_targets;
  std::vector<std::string> bind_sources;
};

bool has_flag(const std::vector<Word>& args, std::initializer_list<std::string_view> flags) {
  for (const auto& a : args)
    for (auto f : flags)
      if (a.text == f || (f.starts_with("--") && a.text.starts_with(std::string(f) + "=")))
        return true;
  return false;
}

// Operands after the subcommand: options (and the values of options that take one) skipped.
std::vector<Word> operands(const std::vector<Word>& args, size_t from,
                           std::initializer_list<std::string_view> with_value) {
  std::vector<Word> out;
  for (size_t i = from; i < args.size(); ++i) {
    const auto& t = args[i].text;
    if (t.starts_with('-')) {
      for (auto v : with_value)
        if (t == v) ++i;
      continue;
    }
    out.push_back(args[i]);
  }
  return out;
}

// Index of the first argument that is not an option: the subcommand.
size_t subcommand(const std::vector<Word>& args,
                  std::initializer_list<std::string_view> with_value) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (!args[i].text.starts_with('-')) return i;
    for (auto v : with_value)
      if (args[i].text == v) ++i;
  }
  return args.size();
}

bool script_mentions(const Script& s, std::string_view what) {
  for (const auto& cmd : s.commands)
    for (const auto& w : cmd.words)
      if (w.text.find(what) != std::string::npos) return true;
  return false;
}

bool cached(const RunCtx& r, std::string_view dir) {
  for (const auto& t : r.cache_targets)
    if (t == dir || std::string_view(dir).starts_with(t + "/") || t.starts_with(std::string(dir)))
      return true;
  return false;
}

// The source line with `text` inserted right after word `w` (when it is written plainly).
std::string insert_after(const RunCtx& r, const Word& w, std::string_view text) {
  auto [line, col] = r.s.at(w.offset);
  std::string src(r.c.source_line(line));
  size_t at = static_cast<size_t>(col - 1);
  if (at + w.text.size() > src.size() || src.compare(at, w.text.size(), w.text) != 0) return "";
  return src.insert(at + w.text.size(), text);
}

std::string replace_word(const RunCtx& r, const Word& w, std::string_view text) {
  auto [line, col] = r.s.at(w.offset);
  std::string src(r.c.source_line(line));
  size_t at = static_cast<size_t>(col - 1);
  if (at + w.text.size() > src.size() || src.compare(at, w.text.size(), w.text) != 0) return "";
  return src.replace(at, w.text.size(), text);
}

void emit_at(const RunCtx& r, std::string_view rule, const Word& w, std::string msg,
             std::string fix, std::string repl = {}) {
  auto [line, col] = r.s.at(w.offset);
  r.c.emit(rule, line, col, std::move(msg), std::move(fix), std::move(repl));
}

std::string names(const std::vector<Word>& words) {
  std::vector<std::string> n;
  for (const auto& w : words) n.push_back(w.text);
  return join(n, ", ");
}

bool is_toolchain_package(std::string_view p) {
  p = p.substr(0, p.find_first_of("=~<>"));
  static constexpr std::string_view k[] = {"build-essential",
                                           "gcc",
                                           "g++",
                                           "clang",
                                           "golang",
                                           "golang-go",
                                           "rustc",
                                           "cargo",
                                           "default-jdk",
                                           "default-jdk-headless",
                                           "maven",
                                           "gradle",
                                           "build-base",
                                           "gcc-c++",
                                           "go",
                                           "rust",
                                           "java-17-openjdk-devel",
                                           "java-21-openjdk-devel"};
  for (auto x : k)
    if (p == x) return true;
  return p.starts_with("openjdk-") && p.find("-jdk") != std::string_view::npos;
}

// Packages a command installs that are toolchains and that the same RUN does not remove.
void toolchain(const RunCtx& r, const std::vector<Word>& pkgs) {
  if (!r.stage.is_target) return;
  for (const auto& p : pkgs) {
    if (!is_toolchain_package(p.text)) continue;
    bool removed = false;
    for (const auto& cmd : r.s.commands) {
      auto a = cmd.args();
      std::string_view n = base_name(cmd.name());
      bool rm = ((n == "apt-get" || n == "apt") && !a.empty() &&
                 (a[0].text == "purge" || a[0].text == "remove" || a[0].text == "autoremove")) ||
                (n == "apk" && !a.empty() && a[0].text == "del") ||
                ((n == "dnf" || n == "yum" || n == "microdnf") && !a.empty() &&
                 (a[0].text == "remove" || a[0].text == "erase"));
      if (rm)
        for (const auto& x : a) removed |= x.text == p.text;
    }
    if (removed) continue;
    emit_at(r, "ToolchainInFinalStage", p,
            fmt::format("{} is installed in the final stage and ships in the image", p.text),
            fmt::format("install {} in a build stage (FROM ... AS build) and COPY --from=build "
                        "only what it builds",
                        p.text));
    return;
  }
}

void apt(RunCtx& r, const SimpleCommand& cmd, bool& apt_used) {
  auto a = cmd.args();
  size_t sub = subcommand(a, {"-o", "-t", "-c", "--target-release", "--option"});
  if (sub >= a.size()) return;
  const std::string& verb = a[sub].text;
  if (verb == "update" || verb == "install") apt_used = true;
  if (verb == "upgrade" || verb == "dist-upgrade" || verb == "full-upgrade") {
    if (r.stage.ships)
      emit_at(r, "AptGetUpgrade", a[sub],
              fmt::format("{} {} makes the image depend on the day it is built and puts every "
                          "upgraded package in this layer",
                          cmd.name(), verb),
              "use a newer base image instead (its maintainers ship the upgrades)");
    return;
  }
  if (verb != "install") return;
  auto pkgs = operands(a, sub + 1, {"-o", "-t", "-c", "--target-release", "--option"});
  std::vector<Word> unpinned;
  for (const auto& p : pkgs)
    if (p.text.find('=') == std::string::npos && !p.text.ends_with(".deb") &&
        p.text.find('$') == std::string::npos)
      unpinned.push_back(p);
  if (!unpinned.empty())
    emit_at(r, "AptInstallUnpinned", unpinned[0],
            fmt::format("{} install without versions: {}", cmd.name(), names(unpinned)),
            fmt::format("pin each package: {}=<version> (apt-cache policy {} lists them)",
                        unpinned[0].text, unpinned[0].text));
  bool no_rec = has_flag(a, {"--no-install-recommends"});
  for (size_t i = 0; i + 1 < a.size(); ++i)
    if (a[i].text == "-o" && to_lower(a[i + 1].text).starts_with("apt::install-recommends=") &&
        (to_lower(a[i + 1].text).ends_with("false") || a[i + 1].text.ends_with("0")))
      no_rec = true;
  if (!no_rec && r.stage.ships)
    emit_at(r, "AptNoInstallRecommends", a[sub],
            fmt::format("{} install without --no-install-recommends also installs every "
                        "recommended package",
                        cmd.name()),
            "add --no-install-recommends (and name what you need)",
            insert_after(r, a[sub], " --no-install-recommends"));
  toolchain(r, pkgs);
}

void apk(RunCtx& r, const SimpleCommand& cmd) {
  auto a = cmd.args();
  static const std::initializer_list<std::string_view> with_value = {
      "-X",     "--repository",        "-t",         "--virtual",  "-p", "--root",
      "--arch", "--repositories-file", "--keys-dir", "--cache-dir"};
  size_t sub = subcommand(a, with_value);
  if (sub >= a.size() || a[sub].text != "add") return;
  auto pkgs = operands(a, sub + 1, with_value);
  std::vector<Word> unpinned;
  for (const auto& p : pkgs)
    if (p.text.find_first_of("=~<>") == std::string::npos && !p.text.ends_with(".apk") &&
        p.text.find('$') == std::string::npos)
      unpinned.push_back(p);
  if (!unpinned.empty())
    emit_at(r, "ApkAddUnpinned", unpinned[0],
            fmt::format("apk add without versions: {}", names(unpinned)),
            fmt::format("pin each package: {}=<version> (apk policy {} lists them)",
                        unpinned[0].text, unpinned[0].text));
  if (r.stage.ships && !has_flag(a, {"--no-cache"}) && !script_mentions(r.s, "/var/cache/apk") &&
      !cached(r, "/var/cache/apk") && !cached(r, "/etc/apk/cache"))
    emit_at(r, "PackageCacheNotCleaned", a[sub],
            "apk add without --no-cache leaves the package index in /var/cache/apk in the layer",
            "add --no-cache", insert_after(r, a[sub], " --no-cache"));
  toolchain(r, pkgs);
}

void rpm_family(RunCtx& r, const SimpleCommand& cmd) {
  auto a = cmd.args();
  size_t sub = subcommand(a, {"--setopt", "--repo", "--enablerepo", "--disablerepo"});
  if (sub >= a.size() || a[sub].text != "install") return;
  toolchain(r, operands(a, sub + 1, {"--setopt", "--repo", "--enablerepo", "--disablerepo"}));
}

void pip(RunCtx& r, const SimpleCommand& cmd, size_t first_arg) {
  auto all = cmd.args();
  std::vector<Word> a(all.begin() + static_cast<std::ptrdiff_t>(first_arg), all.end());
  size_t sub = subcommand(a, {"--cache-dir", "--log", "--proxy", "--python"});
  if (sub >= a.size() || a[sub].text != "install") return;
  static const std::initializer_list<std::string_view> with_value = {"-r",
                                                                     "--requirement",
                                                                     "-c",
                                                                     "--constraint",
                                                                     "-e",
                                                                     "--editable",
                                                                     "-t",
                                                                     "--target",
                                                                     "-i",
                                                                     "--index-url",
                                                                     "--extra-index-url",
                                                                     "--prefix",
                                                                     "--root",
                                                                     "-f",
                                                                     "--find-links",
                                                                     "--trusted-host",
                                                                     "--platform",
                                                                     "--python-version",
                                                                     "--implementation",
                                                                     "--abi",
                                                                     "--upgrade-strategy",
                                                                     "--progress-bar",
                                                                     "--log",
                                                                     "--cache-dir",
                                                                     "--src",
                                                                     "-C",
                                                                     "--config-settings",
                                                                     "--global-option",
                                                                     "--no-binary",
                                                                     "--only-binary"};
  if (!has_flag(a, {"-c", "--constraint"})) {
    std::vector<Word> unpinned;
    for (const auto& p : operands(a, sub + 1, with_value)) {
      const auto& t = p.text;
      bool pinned = t.find_first_of("=<>~!@") != std::string::npos || t.starts_with('.') ||
                    t.starts_with('/') || t.find("://") != std::string::npos ||
                    t.ends_with(".whl") || t.ends_with(".tar.gz") || t.ends_with(".zip") ||
                    t.find('$') != std::string::npos;
      if (!pinned) unpinned.push_back(p);
    }
    if (!unpinned.empty())
      emit_at(r, "PipInstallUnpinned", unpinned[0],
              fmt::format("pip install without versions: {}", names(unpinned)),
              fmt::format("pin each package ({}==<version>) or install from a requirements file "
                          "with hashes (pip install --require-hashes -r requirements.txt)",
                          unpinned[0].text));
  }
  if (r.stage.ships && !has_flag(a, {"--no-cache-dir"}) && !r.state.pip_no_cache &&
      !cached(r, "/root/.cache/pip") && !cached(r, "/root/.cache") &&
      !script_mentions(r.s, ".cache/pip") && !script_mentions(r.s, "PIP_NO_CACHE_DIR"))
    emit_at(r, "PackageCacheNotCleaned", a[sub],
            "pip install keeps its download cache (~/.cache/pip) in the layer",
            "add --no-cache-dir", insert_after(r, a[sub], " --no-cache-dir"));
}

bool context_has(const RunCtx& r, std::string_view path) {
  return r.c.in.context_has && r.c.in.context_has(path);
}

bool npm_cache_cleaned(const RunCtx& r) {
  for (const auto& cmd : r.s.commands) {
    auto a = cmd.args();
    if (base_name(cmd.name()) == "npm" && a.size() >= 2 && a[0].text == "cache" &&
        a[1].text == "clean")
      return true;
  }
  return script_mentions(r.s, "/root/.npm") || cached(r, "/root/.npm") ||
         cached(r, "/root/.npm/_cacache");
}

void npm(RunCtx& r, const SimpleCommand& cmd) {
  auto a = cmd.args();
  size_t sub = subcommand(a, {"--prefix", "--registry", "--cache", "-w", "--workspace"});
  if (sub >= a.size()) return;
  const std::string& verb = a[sub].text;
  if (verb != "install" && verb != "i" && verb != "add" && verb != "ci") return;
  if (verb != "ci") {
    auto pkgs = operands(a, sub + 1, {"--prefix", "--registry", "--cache", "-w", "--workspace"});
    if (pkgs.empty()) {
      if (context_has(r, "package-lock.json") || context_has(r, "npm-shrinkwrap.json"))
        emit_at(r, "NpmInstallUnpinned", a[sub],
                "npm install with a package-lock.json in the context may resolve new versions "
                "and rewrite the lock; npm ci installs exactly what it lists",
                "use npm ci", replace_word(r, a[sub], "ci"));
    } else {
      std::vector<Word> unpinned;
      for (const auto& p : pkgs) {
        const auto& t = p.text;
        size_t at = t.rfind('@');
        bool pinned = (at != std::string::npos && at > 0) || t.starts_with('.') ||
                      t.starts_with('/') || t.find(':') != std::string::npos ||
                      t.ends_with(".tgz") || t.find('$') != std::string::npos;
        if (!pinned) unpinned.push_back(p);
      }
      if (!unpinned.empty())
        emit_at(r, "NpmInstallUnpinned", unpinned[0],
                fmt::format("npm {} without versions: {}", verb, names(unpinned)),
                fmt::format("pin each package: {}@<version>", unpinned[0].text));
    }
  }
  if (r.stage.ships && !npm_cache_cleaned(r))
    emit_at(r, "PackageCacheNotCleaned", a[sub],
            fmt::format("npm {} keeps its cache (~/.npm) in the layer", verb),
            "add `&& npm cache clean --force` to this RUN, or use RUN "
            "--mount=type=cache,target=/root/.npm");
}

void gem(RunCtx& r, const SimpleCommand& cmd) {
  auto a = cmd.args();
  size_t sub = subcommand(a, {});
  if (sub >= a.size() || a[sub].text != "install") return;
  if (has_flag(a, {"-v", "--version"})) return;
  std::vector<Word> unpinned;
  for (const auto& p : operands(a, sub + 1,
                                {"-v", "--version", "-i", "--install-dir", "-n", "--bindir", "-s",
                                 "--source", "-P", "--trust-policy", "--platform"}))
    if (p.text.find(':') == std::string::npos && !p.text.ends_with(".gem") &&
        p.text.find('$') == std::string::npos)
      unpinned.push_back(p);
  if (!unpinned.empty())
    emit_at(r, "GemInstallUnpinned", unpinned[0],
            fmt::format("gem install without a version: {}", names(unpinned)),
            fmt::format("pin it: gem install {}:<version> (or -v <version>)", unpinned[0].text));
}

void go(RunCtx& r, const SimpleCommand& cmd) {
  auto a = cmd.args();
  if (a.empty() || a[0].text != "install") return;
  for (size_t i = 1; i < a.size(); ++i) {
    const auto& t = a[i].text;
    if (t.starts_with('-')) continue;
    size_t at = t.rfind('@');
    if (at == std::string::npos) continue;  // from the module in the working directory
    std::string_view v = std::string_view(t).substr(at + 1);
    if (v == "latest" || v == "master" || v == "main" || v == "HEAD")
      emit_at(r, "GoInstallUnpinned", a[i],
              fmt::format("go install {} installs whatever that version is on the day of the "
                          "build",
                          t),
              fmt::format("pin a release: {}@v<version>", t.substr(0, at)),
              replace_word(r, a[i], t.substr(0, at) + "@v<version>"));
  }
}

// The files an install step reads: manifest and lock.
struct InstallKind {
  std::vector<std::string_view> manifests, locks;
};

std::optional<InstallKind> install_kind(const SimpleCommand& cmd) {
  std::string_view n = base_name(cmd.name());
  auto a = cmd.args();
  std::string_view v = a.empty() ? "" : std::string_view(a[0].text);
  bool bare = a.size() <= 1 || operands(a, 1, {}).empty();
  if (n == "npm" && (v == "ci" || ((v == "install" || v == "i") && bare)))
    return InstallKind{{"package.json"}, {"package-lock.json", "npm-shrinkwrap.json"}};
  if (n == "yarn" && (a.empty() || (v == "install")))
    return InstallKind{{"package.json"}, {"yarn.lock"}};
  if (n == "pnpm" && (v == "install" || v == "i") && bare)
    return InstallKind{{"package.json"}, {"pnpm-lock.yaml"}};
  if (n == "bundle" && (a.empty() || v == "install"))
    return InstallKind{{"Gemfile"}, {"Gemfile.lock"}};
  if (n == "composer" && v == "install") return InstallKind{{"composer.json"}, {"composer.lock"}};
  if (n == "poetry" && v == "install") return InstallKind{{"pyproject.toml"}, {"poetry.lock"}};
  if (n == "pipenv" && v == "install") return InstallKind{{"Pipfile"}, {"Pipfile.lock"}};
  if (n == "go" && v == "mod" && a.size() > 1 && a[1].text == "download")
    return InstallKind{{"go.mod"}, {"go.sum"}};
  if (n == "cargo" && (v == "fetch" || v == "build"))
    return InstallKind{{"Cargo.toml"}, {"Cargo.lock"}};
  if ((n == "pip" || n == "pip3") && v == "install")
    for (size_t i = 1; i + 1 < a.size(); ++i)
      if (a[i].text == "-r" || a[i].text == "--requirement")
        return InstallKind{{}, {}};  // requirements file: handled by name below
  return std::nullopt;
}

bool copies(const std::vector<std::string>& copied, std::string_view file) {
  for (const auto& src : copied) {
    std::string s = dockerfile::go_clean(src);
    while (s.starts_with('/')) s.erase(0, 1);
    if (s == "." || s.empty() || s == "*") return true;
    std::string_view base = base_name(s);
    if (base == file) return true;
    if (auto m = dockerfile::go_match(base, file); m && *m) return true;
  }
  return false;
}

bool copies_all(std::string_view src) {
  std::string s = dockerfile::go_clean(src);
  return s == "." || s == "/" || s == "*";
}

void lock_files(RunCtx& r, const SimpleCommand& cmd) {
  auto kind = install_kind(cmd);
  if (!kind) return;
  auto a = cmd.args();
  std::vector<std::string_view> manifests = kind->manifests;
  if (base_name(cmd.name()).starts_with("pip"))
    for (size_t i = 1; i + 1 < a.size(); ++i)
      if (a[i].text == "-r" || a[i].text == "--requirement")
        manifests.push_back(base_name(a[i + 1].text));
  std::vector<std::string> seen = r.state.copied;
  seen.insert(seen.end(), r.bind_sources.begin(), r.bind_sources.end());
  for (auto lock : kind->locks)
    if (context_has(r, lock) && !copies(seen, lock)) {
      emit_at(r, "LockFileNotCopied", cmd.words[cmd.start],
              fmt::format("{} is in the build context but is not copied before `{} {}`: the "
                          "install resolves versions anew",
                          lock, cmd.name(), a.empty() ? "" : a[0].text),
              fmt::format("COPY {} {} ./ before this RUN",
                          manifests.empty() ? "" : std::string(manifests[0]), lock));
      break;
    }
  // COPY . before the install: every source change re-runs it.
  if (r.state.copy_all_lines.empty() || manifests.empty()) return;
  // A targeted COPY of the manifest before the COPY . means the install is cached properly.
  for (int line : r.state.copy_all_lines) {
    bool targeted = false;
    for (const auto& ins : r.stage.stage->commands) {
      if (ins.line >= line) break;
      if (const auto* cp = std::get_if<dockerfile::Copy>(&ins.command))
        if (cp->from.empty())
          for (const auto& s : cp->paths.sources)
            for (auto m : manifests)
              if (!copies_all(s) && copies({s}, m)) targeted = true;
    }
    if (targeted || !r.state.copy_all_reported.insert(line).second) continue;
    std::vector<std::string> files;
    for (auto m : manifests) files.emplace_back(m);
    for (auto l : kind->locks)
      if (context_has(r, l)) files.emplace_back(l);
    r.c.emit(
        "CopyAllBeforeInstall", line, 1,
        fmt::format("COPY of the whole context at line {} comes before `{} {}` at line {}: "
                    "any change to any file re-runs the install",
                    line, cmd.name(), a.empty() ? "" : a[0].text, r.ins.line),
        fmt::format("COPY {} ./ first, RUN the install, then COPY the rest", join(files, " ")));
  }
}

void shell_rules(RunCtx& r) {
  const auto& cmds = r.s.commands;
  bool pipefail = r.state.pipefail_shell || r.state.shell_not_posix;
  for (size_t i = 0; i < cmds.size(); ++i) {
    const auto& cmd = cmds[i];
    std::string_view n = base_name(cmd.name());
    if (n == "set")
      for (const auto& w : cmd.args()) pipefail |= w.text == "pipefail";
    if (!cmd.words.empty() && cmd.start > 0 &&
        (base_name(cmd.words[0].text) == "sudo" || base_name(cmd.words[0].text) == "doas"))
      emit_at(r, "SudoInRun", cmd.words[0],
              fmt::format("{} in RUN: build steps run as the current USER; sudo adds a setuid "
                          "binary and hides who needs root",
                          cmd.words[0].text),
              "run the step before switching USER, or switch with USER root for it");
    if (n == "cd" && cmd.args().size() == 1 && !r.s.heredoc)
      emit_at(r, "CdInRun", cmd.words[cmd.start],
              fmt::format("cd {} in RUN: the next instruction starts in the WORKDIR again",
                          cmd.args()[0].text),
              fmt::format("use WORKDIR {} (absolute) before this RUN", cmd.args()[0].text));
    if (n == "chmod")
      for (const auto& w : cmd.args()) {
        if (w.text.starts_with('-')) continue;
        if (world_writable_mode(w.text))
          emit_at(r, "ChmodWorldWritable", w,
                  fmt::format("chmod {} makes files world-writable", w.text),
                  "give others no write permission (755 for programs, 644 for data)");
        break;
      }
    if (cmd.joined_by == "|" && i > 0) {
      std::string_view prev = base_name(cmds[i - 1].name());
      static constexpr std::string_view k_shells[] = {
          "sh", "bash", "zsh", "ash", "dash", "ksh", "python", "python3", "perl", "ruby", "node"};
      bool to_shell = std::find(std::begin(k_shells), std::end(k_shells), n) != std::end(k_shells);
      if ((prev == "curl" || prev == "wget") && to_shell)
        emit_at(r, "CurlPipeShell", cmd.words[cmd.start],
                fmt::format("{} | {} runs a script nobody reviewed, which can change between "
                            "builds",
                            prev, n),
                "download it with ADD --checksum=sha256:<digest> URL /tmp/install.sh, then RUN "
                "sh /tmp/install.sh");
      if (!pipefail && cmd.start < cmd.words.size())
        emit_at(r, "PipefailMissing", cmd.words[cmd.start],
                fmt::format("`{} | {}`: without pipefail a failing {} does not fail the step", prev,
                            n, prev),
                "start the RUN with `set -o pipefail &&` (bash, ash, busybox sh), or set "
                "SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"] before it");
      pipefail = true;  // once per RUN
    }
  }
}

void check_run(RunCtx& r) {
  bool apt_used = false;
  const SimpleCommand* apt_cmd = nullptr;
  for (const auto& cmd : r.s.commands) {
    std::string_view n = base_name(cmd.name());
    if (n == "apt-get" || n == "apt") {
      bool before = apt_used;
      apt(r, cmd, apt_used);
      if (apt_used && !before) apt_cmd = &cmd;
    } else if (n == "apk") {
      apk(r, cmd);
    } else if (n == "dnf" || n == "yum" || n == "microdnf") {
      rpm_family(r, cmd);
    } else if (n.starts_with("pip")) {
      pip(r, cmd, 0);
    } else if (n.starts_with("python")) {
      auto a = cmd.args();
      if (a.size() >= 2 && a[0].text == "-m" && a[1].text == "pip") pip(r, cmd, 2);
    } else if (n == "npm") {
      npm(r, cmd);
    } else if (n == "gem") {
      gem(r, cmd);
    } else if (n == "go") {
      go(r, cmd);
    }
    if (!cmd.words.empty()) lock_files(r, cmd);
  }
  if (apt_cmd && r.stage.ships && !script_mentions(r.s, "/var/lib/apt/lists") &&
      !cached(r, "/var/lib/apt/lists") && !cached(r, "/var/lib/apt")) {
    const auto& a = apt_cmd->args();
    r.c.emit("PackageCacheNotCleaned", r.s.at(a.empty() ? 0 : a[0].offset).first,
             r.s.at(a.empty() ? 0 : a[0].offset).second,
             fmt::format("{} update leaves the package lists (/var/lib/apt/lists, tens of MB) "
                         "in the layer",
                         apt_cmd->name()),
             "end this RUN with `&& rm -rf /var/lib/apt/lists/*`, or use RUN "
             "--mount=type=cache,target=/var/lib/apt/lists");
  }
  shell_rules(r);
}

}  // namespace

void check_run_scripts(Checker& c) {
  std::vector<StageState> states(c.stages.size());
  for (size_t i = 0; i < c.stages.size(); ++i) {
    const auto& info = c.stages[i];
    StageState& state = states[i];
    if (info.base_stage >= 0) state = states[static_cast<size_t>(info.base_stage)];
    state.copy_all_lines.clear();
    for (const auto& ins : info.stage->commands) {
      if (const auto* sh = std::get_if<dockerfile::Shell>(&ins.command)) {
        state.pipefail_shell = false;
        for (const auto& w : sh->shell)
          state.pipefail_shell |= w.find("pipefail") != std::string::npos;
        std::string_view n = sh->shell.empty() ? "" : base_name(sh->shell[0]);
        state.shell_not_posix =
            n.starts_with("pwsh") || n.starts_with("powershell") || n == "cmd" || n == "cmd.exe";
      } else if (const auto* e = std::get_if<dockerfile::Env>(&ins.command)) {
        for (const auto& kv : e->vars)
          if (kv.key == "PIP_NO_CACHE_DIR") state.pip_no_cache = true;
      } else if (const auto* cp = std::get_if<dockerfile::Copy>(&ins.command)) {
        if (!cp->from.empty()) continue;
        for (const auto& s : cp->paths.sources) {
          state.copied.push_back(s);
          if (copies_all(s)) state.copy_all_lines.push_back(ins.line);
        }
      } else if (const auto* ad = std::get_if<dockerfile::Add>(&ins.command)) {
        state.copied.insert(state.copied.end(), ad->paths.sources.begin(), ad->paths.sources.end());
      } else if (const auto* run = std::get_if<dockerfile::Run>(&ins.command)) {
        auto s = c.script(ins);
        if (!s) continue;
        RunCtx r{c, ins, *run, *s, info, state, {}, {}};
        for (const auto& m : run->mounts) {
          if (m.type == dockerfile::Mount::Type::cache) r.cache_targets.push_back(m.target);
          if (m.type == dockerfile::Mount::Type::bind && m.from.empty())
            r.bind_sources.push_back(m.source.empty() ? "." : m.source);
        }
        check_run(r);
      }
    }
  }
}

}  // namespace kiln::lint::detail
