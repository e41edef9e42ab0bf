// Rules over instructions other than RUN: JSON arguments, EXPOSE, secrets in ARG/ENV, the user
// the image runs as, ADD of URLs, COPY --chmod, files .dockerignore excludes, RUN flags and
// runs of RUN steps.
#include <regex>

#include "kiln/base/strings.hpp"
#include "kiln/lint/checker.hpp"
#include "kiln/scan/secrets.hpp"

namespace kiln::lint::detail {

using dockerfile::Instruction;

namespace {

bool single_line(const Instruction& ins) {
  return ins.line == ins.end_line;
}

std::string json_array(const std::vector<std::string>& words) {
  std::vector<std::string> q;
  for (const auto& w : words) q.push_back(dockerfile::go_quote(w));
  return "[" + join(q, ", ") + "]";
}

}  // namespace

bool world_writable_mode(std::string_view mode) {
  if (mode.empty()) return false;
  if (mode.find_first_not_of("01234567") == std::string_view::npos) {
    char others = mode.back();
    return others == '2' || others == '3' || others == '6' || others == '7';
  }
  // Symbolic: o+w, a+w, +w (umask aside), a=rwx ...
  for (const auto& clause : split(mode, ',')) {
    size_t op = clause.find_first_of("+=");
    if (op == std::string::npos) continue;
    std::string_view who = std::string_view(clause).substr(0, op);
    std::string_view perms = std::string_view(clause).substr(op + 1);
    bool others = who.empty() || who.find('o') != std::string_view::npos ||
                  who.find('a') != std::string_view::npos;
    if (others && perms.find('w') != std::string_view::npos) return true;
  }
  return false;
}

namespace {

// `names`: BuildKit's SecretsUsedInArgOrEnv, which it runs on stage ARGs and ENVs (not on
// the global ARGs before the first FROM).
void secrets_in_arg_env(Checker& c, const Instruction& ins, std::string_view what,
                        const std::string& key, const std::string* value, bool names = true) {
  static const std::regex deny(
      "(?:_|^)(?:apikey|auth|credential|credentials|key|password|pword|passwd|secret|token)(?:_|$)",
      std::regex::icase);
  static const std::regex allow("(?:_|^)(?:public|file|version)(?:_|$)", std::regex::icase);
  if (names && std::regex_search(key, deny) && !std::regex_search(key, allow))
    c.emit(
        "SecretsUsedInArgOrEnv", ins.line, ins.column,
        fmt::format("Do not use ARG or ENV instructions for sensitive data ({} \"{}\")", what, key),
        fmt::format("pass it at build time with RUN --mount=type=secret,id={} (kiln build "
                    "--secret id={},src=FILE)",
                    to_lower(key), to_lower(key)));
  if (!value || value->empty() || !c.wants("SecretInArgOrEnvValue")) return;
  static const std::vector<scan::SecretRule> rules = scan::builtin_secret_rules();
  scan::SecretScanner scanner(rules);
  scanner.scan_file(0, "Dockerfile", fmt::format("{}={}\n", key, *value));
  for (const auto& f : scanner.findings())
    c.emit("SecretInArgOrEnvValue", ins.line, ins.column,
           fmt::format("{} {} holds a credential ({}: {}): it is stored in the image config "
                       "and history",
                       what, key, f.title, f.masked),
           fmt::format("remove the value; pass it with RUN --mount=type=secret,id={} and rotate "
                       "the credential",
                       to_lower(key)));
}

void user_rule(Checker& c) {
  if (c.target < 0 || !c.wants("RootUser")) return;
  // The last USER along the target stage and the stages it builds on.
  for (int s = c.target; s >= 0; s = c.stages[static_cast<size_t>(s)].base_stage) {
    const auto& st = *c.stages[static_cast<size_t>(s)].stage;
    for (auto it = st.commands.rbegin(); it != st.commands.rend(); ++it) {
      const auto* u = std::get_if<dockerfile::User>(&it->command);
      if (!u) continue;
      std::string name = u->user.substr(0, u->user.find(':'));
      if (name == "root" || name == "0")
        c.emit("RootUser", it->line, it->column,
               fmt::format("The last USER is {}: the image runs as root", u->user),
               "switch to an unprivileged user for the runtime (a uid that owns nothing it "
               "does not need)",
               single_line(*it) ? fmt::format("{} 65532:65532", it->keyword) : "");
      return;
    }
    if (c.stages[static_cast<size_t>(s)].base_stage < 0) {
      const auto& base = c.stages[static_cast<size_t>(s)].base;
      if (c.in.base_image && to_lower(base) != "scratch") {
        if (auto b = c.in.base_image(base)) {
          std::string name = b->user.substr(0, b->user.find(':'));
          if (!name.empty() && name != "root" && name != "0") return;
        }
      }
    }
  }
  const auto& st = *c.stages[static_cast<size_t>(c.target)].stage;
  c.emit("RootUser", st.line, st.column, "No USER in the final stage: the image runs as root",
         "add `USER 65532:65532` (or a user created in the image) before CMD/ENTRYPOINT");
}

void copy_rules(Checker& c, const Instruction& ins) {
  const dockerfile::SourcesAndDest* paths = nullptr;
  std::string chmod, from, checksum;
  bool is_add = false;
  if (const auto* cp = std::get_if<dockerfile::Copy>(&ins.command)) {
    paths = &cp->paths, chmod = cp->chmod, from = cp->from;
  } else if (const auto* ad = std::get_if<dockerfile::Add>(&ins.command)) {
    paths = &ad->paths, chmod = ad->chmod, checksum = ad->checksum, is_add = true;
  } else {
    return;
  }
  if (world_writable_mode(chmod))
    c.emit("ChmodWorldWritable", ins.line, ins.column,
           fmt::format("{} --chmod={} makes the files world-writable", ins.keyword, chmod),
           "give others no write permission (--chmod=755 for programs, 644 for data)");
  for (const auto& src : paths->sources) {
    bool url = src.starts_with("http://") || src.starts_with("https://");
    if (is_add && url && checksum.empty()) {
      std::string repl;
      std::string line(c.source_line(ins.line));
      size_t p = line.find(ins.keyword);
      if (single_line(ins) && p != std::string::npos)
        repl = line.substr(0, p + ins.keyword.size()) + " --checksum=sha256:<digest of " + src +
               ">" + line.substr(p + ins.keyword.size());
      c.emit("AddUrlWithoutChecksum", ins.line, ins.column,
             fmt::format("ADD {} is not verified: a changed or compromised download goes into "
                         "the image unnoticed",
                         src),
             "pin the content: ADD --checksum=sha256:<digest> (sha256sum of the file you "
             "reviewed)",
             repl);
    }
  }
  if (!from.empty() || !c.in.ignore || c.in.ignore->empty()) return;
  for (const auto& p : c.in.ignore->patterns())
    if (p.starts_with('!')) return;  // exceptions: BuildKit does not judge statically
  for (const auto& raw : paths->sources) {
    if (raw.find("://") != std::string::npos || raw.find('$') != std::string::npos) continue;
    std::string src = dockerfile::go_clean(raw);
    while (src.starts_with('/')) src.erase(0, 1);
    if (src.empty() || src == ".") {
      bool root = false;
      for (const auto& p : c.in.ignore->patterns()) root |= p == "*" || p == "**" || p == "**/*";
      if (!root) continue;
      src = ".";
    }
    if (src == "." || c.in.ignore->excluded(src))
      c.emit("CopyIgnoredFile", ins.line, ins.column,
             fmt::format("Attempting to {} file \"{}\" that is excluded by .dockerignore",
                         is_add ? "Add" : "Copy", dockerfile::go_clean(raw)),
             "remove the file from .dockerignore, or do not copy it");
  }
}

}  // namespace

void json_args(Checker& c, const Instruction& ins, const dockerfile::CommandLine& cmd) {
  std::string script = cmd.args.empty() ? "" : cmd.args[0];
  bool simple = script.find_first_of("$&|;<>()`*?~\n\\'\"") == std::string::npos;
  std::vector<std::string> words;
  if (simple) {
    for (const auto& w : split(script, ' '))
      if (!trim(w).empty()) words.emplace_back(trim(w));
  } else {
    words = {"/bin/sh", "-c", "exec " + std::string(trim(script))};
  }
  std::string form = fmt::format("{} {}", ins.keyword, json_array(words));
  c.emit("JSONArgsRecommended", ins.line, ins.column,
         fmt::format("JSON arguments recommended for {} to prevent unintended behavior related to "
                     "OS signals",
                     ins.keyword),
         fmt::format("use the exec form: {}", form), single_line(ins) ? form : "");
}

void expose(Checker& c, const Instruction& ins, const dockerfile::Expose& ex) {
  for (const auto& raw : ex.ports) {
    if (raw.find('$') != std::string::npos) continue;
    std::string port = raw, proto;
    if (auto slash = port.rfind('/'); slash != std::string::npos)
      proto = port.substr(slash + 1), port.resize(slash);
    std::string ip, host, container = port;
    if (port.starts_with('[')) {  // [v6]:host:container
      size_t close = port.find(']');
      ip = port.substr(0, close + 1);
      container = close + 1 < port.size() ? port.substr(close + 2) : "";
    }
    auto parts = split(container, ':');
    if (parts.size() == 2) host = parts[0], container = parts[1];
    if (parts.size() >= 3) ip = parts[0], host = parts[parts.size() - 2], container = parts.back();
    if (proto != to_lower(proto))
      c.emit("ExposeProtoCasing", ins.line, ins.column,
             fmt::format("Defined protocol '{}' in EXPOSE instruction should be lowercase", raw),
             fmt::format("write {}/{}", port, to_lower(proto)));
    if (!ip.empty() || !host.empty())
      c.emit("ExposeInvalidFormat", ins.line, ins.column,
             fmt::format("EXPOSE instruction should not define an IP address or host-port "
                         "mapping, found '{}'",
                         raw),
             fmt::format("EXPOSE {} (publish ports when the container runs)",
                         container + (proto.empty() ? "" : "/" + proto)));
    for (const auto& end : split(container, '-')) {
      auto n = parse_int(end);
      if (n && (*n < 0 || *n > 65535))
        c.emit("ExposePortOutOfRange", ins.line, ins.column,
               fmt::format("EXPOSE {}: port {} is outside 0-65535", raw, *n),
               "use a port between 1 and 65535");
    }
  }
}

void check_stage_rules(Checker& c) {
  for (const auto& ins : c.df.meta_args)
    for (const auto& def : std::get<dockerfile::Arg>(ins.command).args)
      secrets_in_arg_env(c, ins, "ARG", def.key, def.value ? &*def.value : nullptr, false);
  for (const auto& info : c.stages) {
    const Instruction* prev_run = nullptr;
    for (const auto& ins : info.stage->commands) {
      if (const auto* a = std::get_if<dockerfile::Arg>(&ins.command)) {
        for (const auto& def : a->args)
          secrets_in_arg_env(c, ins, "ARG", def.key, def.value ? &*def.value : nullptr);
      } else if (const auto* e = std::get_if<dockerfile::Env>(&ins.command)) {
        for (const auto& kv : e->vars) secrets_in_arg_env(c, ins, "ENV", kv.key, &kv.value);
      }
      copy_rules(c, ins);
      const auto* run = std::get_if<dockerfile::Run>(&ins.command);
      if (run) {
        if (run->security == "insecure")
          c.emit("RunSecurityInsecure", ins.line, ins.column,
                 "RUN --security=insecure gives the step every capability and no sandbox",
                 "drop --security=insecure; grant what the step needs another way");
        if (run->network == "host")
          c.emit("RunNetworkHost", ins.line, ins.column,
                 "RUN --network=host lets the step reach every service on the build host",
                 "use the default network");
        if (prev_run && info.ships && run->mounts.empty() && run->cmd.prepend_shell &&
            run->cmd.files.empty()) {
          const auto* p = std::get_if<dockerfile::Run>(&prev_run->command);
          if (p->mounts.empty() && p->cmd.prepend_shell && p->cmd.files.empty() &&
              p->network == run->network && p->security == run->security)
            c.emit("ConsecutiveRunInstructions", ins.line, ins.column,
                   fmt::format("RUN at line {} follows the RUN at line {}: two layers where one "
                               "would do",
                               ins.line, prev_run->line),
                   "join them into one RUN with && (and clean up in that same RUN)");
        }
      }
      prev_run = run ? &ins : nullptr;
    }
  }
  user_rule(c);
}

}  // namespace kiln::lint::detail
