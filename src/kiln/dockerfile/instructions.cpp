#include "kiln/dockerfile/instructions.hpp"

#include <algorithm>
#include <optional>

#include "kiln/base/strings.hpp"
#include "kiln/dockerfile/flags.hpp"

namespace kiln::dockerfile {

namespace {

using detail::Flags;

const std::vector<std::string> k_instructions = {
    "ADD",    "ARG",   "CMD",         "COPY",  "ENTRYPOINT", "ENV",
    "EXPOSE", "FROM",  "HEALTHCHECK", "LABEL", "MAINTAINER", "ONBUILD",
    "RUN",    "SHELL", "STOPSIGNAL",  "USER",  "VOLUME",     "WORKDIR"};

std::unexpected<Error> at_least_one(std::string_view c) {
  return failf(Errc::invalid_argument, "{} requires at least one argument", c);
}
std::unexpected<Error> exactly_one(std::string_view c) {
  return failf(Errc::invalid_argument, "{} requires exactly one argument", c);
}

// ^[0-7]{3,4}$ or comma-separated [ugoa]*[-+=][rwxXst]* clauses.
bool valid_chmod(std::string_view m) {
  if ((m.size() == 3 || m.size() == 4) && m.find_first_not_of("01234567") == std::string_view::npos)
    return true;
  for (const auto& clause : split(m, ',')) {
    size_t i = clause.find_first_not_of("ugoa");
    if (i == std::string::npos || (clause[i] != '-' && clause[i] != '+' && clause[i] != '='))
      return false;
    if (clause.find_first_not_of("rwxXst", i + 1) != std::string::npos) return false;
  }
  return true;
}

// For errors about one flag ("unknown flag: --frmo", "--mount=...: ..."), the 1-based column
// of that flag on the instruction's first line.
std::optional<int> flag_column(std::string_view line, std::string_view message) {
  size_t dash = message.find("--");
  if (dash == std::string_view::npos) return std::nullopt;
  size_t end = message.find_first_of(" :=,", dash);
  std::string_view flag =
      message.substr(dash, end == std::string_view::npos ? std::string_view::npos : end - dash);
  if (flag.size() <= 2) return std::nullopt;
  size_t pos = line.find(flag);
  if (pos == std::string_view::npos) return std::nullopt;
  return static_cast<int>(pos) + 1;
}

// ^[a-z][a-z0-9-_.]*$
bool valid_stage_name(std::string_view n) {
  if (n.empty() || n[0] < 'a' || n[0] > 'z') return false;
  return n.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_.") == std::string_view::npos;
}

// The instruction without its leading "ONBUILD" keyword and blanks.
std::string strip_onbuild(std::string_view s) {
  auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
  };
  size_t i = 0;
  while (i < s.size() && space(s[i])) ++i;
  if (to_lower(s.substr(i, 7)) == "onbuild") i += 7;
  while (i < s.size() && space(s[i])) ++i;
  return std::string(s.substr(i));
}

CommandLine command_line(const Node& n) {
  CommandLine c;
  c.prepend_shell = !n.json;
  c.args = n.json ? n.args
                  : (n.args.empty() ? std::vector<std::string>{}
                                    : std::vector<std::string>{join(n.args, " ")});
  c.files = n.heredocs;
  return c;
}

// ENV and LABEL nodes hold key, value, separator triples (line_parsers.cpp).
std::vector<KeyValue> pairs(const Node& n) {
  std::vector<KeyValue> out;
  for (size_t i = 0; i + 2 < n.args.size(); i += 3)
    out.push_back({n.args[i], n.args[i + 1], n.args[i + 2].empty()});
  return out;
}

Status no_flags(const Node& n) {
  Flags f(n.flags);
  return f.parse();
}

Result<SourcesAndDest> sources_and_dest(const Node& n, std::string_view cmd) {
  if (n.args.size() < 2)
    return failf(Errc::invalid_argument,
                 "{} requires at least two arguments, but only one was provided. Destination could "
                 "not be determined.",
                 cmd);
  SourcesAndDest sd;
  sd.dest = n.args.back();
  for (size_t i = 0; i + 1 < n.args.size(); ++i) {
    const std::string& a = n.args[i];
    auto h = std::find_if(n.heredocs.begin(), n.heredocs.end(), [&](const Heredoc& d) {
      return a.starts_with("<<") && a.find(d.name) != std::string::npos;
    });
    if (!n.json && h != n.heredocs.end())
      sd.contents.push_back(*h);
    else
      sd.sources.push_back(a);
  }
  return sd;
}

Result<Command> parse_healthcheck(const Node& n) {
  if (n.args.empty()) return at_least_one("HEALTHCHECK");
  Healthcheck h;
  std::string type = n.args[0];
  for (auto& c : type) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::vector<std::string> rest(n.args.begin() + 1, n.args.end());
  if (type == "NONE") {
    if (!rest.empty()) return fail(Errc::invalid_argument, "HEALTHCHECK NONE takes no arguments");
    h.none = true;
    h.test = {"NONE"};
    return h;
  }
  Flags f(n.flags);
  auto& interval = f.add_string("interval");
  auto& timeout = f.add_string("timeout");
  auto& start_period = f.add_string("start-period");
  auto& start_interval = f.add_string("start-interval");
  auto& retries = f.add_string("retries");
  KILN_TRY(f.parse());
  if (type != "CMD")
    return failf(Errc::invalid_argument, "Unknown type \"{}\" in HEALTHCHECK (try CMD)", type);
  std::vector<std::string> cmd =
      n.json ? rest : (rest.empty() ? rest : std::vector<std::string>{join(rest, " ")});
  if (cmd.empty()) return fail(Errc::invalid_argument, "Missing command after HEALTHCHECK CMD");
  h.test = {n.json ? "CMD" : "CMD-SHELL"};
  h.test.insert(h.test.end(), cmd.begin(), cmd.end());
  auto dur = [](const std::string& name, const std::string& v) -> Result<int64_t> {
    if (v.empty()) return int64_t{0};
    int64_t d = KILN_TRY(parse_go_duration(v));
    if (d == 0) return int64_t{0};
    if (d < 1000000)
      return failf(Errc::invalid_argument, "Interval \"{}\" cannot be less than 1ms", name);
    return d;
  };
  h.interval = KILN_TRY(dur("interval", interval));
  h.timeout = KILN_TRY(dur("timeout", timeout));
  h.start_period = KILN_TRY(dur("start-period", start_period));
  h.start_interval = KILN_TRY(dur("start-interval", start_interval));
  if (!retries.empty()) {
    auto r = parse_int(retries);
    if (!r || *r > INT32_MAX || *r < INT32_MIN)
      return failf(Errc::invalid_argument, "--retries: \"{}\" is not a number", retries);
    if (*r < 0) return failf(Errc::invalid_argument, "--retries cannot be negative ({})", *r);
    h.retries = static_cast<int>(*r);
  }
  return h;
}

Result<Command> parse_run(const Node& n) {
  Flags f(n.flags);
  auto& mounts = f.add_strings("mount");
  auto& network = f.add_string("network");
  auto& security = f.add_string("security");
  KILN_TRY(f.parse());
  Run r;
  r.cmd = command_line(n);
  for (const auto& m : mounts) r.mounts.push_back(KILN_TRY_CTX(parse_mount(m), "--mount=" + m));
  if (f.used("network") && network != "default" && network != "none" && network != "host")
    return failf(Errc::invalid_argument,
                 "unsupported network mode \"{}\" (want default, none or host)", network);
  if (f.used("security") && security != "sandbox" && security != "insecure")
    return failf(Errc::invalid_argument,
                 "unsupported security mode \"{}\" (want sandbox or insecure)", security);
  r.network = network;
  r.security = security;
  return r;
}

Result<Command> parse_copy_like(const Node& n, bool is_add) {
  Flags f(n.flags);
  auto& chown = f.add_string("chown");
  auto& chmod = f.add_string("chmod");
  auto& link = f.add_bool("link");
  auto& excludes = f.add_strings("exclude");
  std::string* from = is_add ? nullptr : &f.add_string("from");
  bool* parents = is_add ? nullptr : &f.add_bool("parents");
  std::string* checksum = is_add ? &f.add_string("checksum") : nullptr;
  bool* keep_git = is_add ? &f.add_bool("keep-git-dir") : nullptr;
  KILN_TRY(f.parse());
  auto sd = KILN_TRY(sources_and_dest(n, is_add ? "ADD" : "COPY"));
  if (!chmod.empty()) {
    if (!valid_chmod(chmod))
      return failf(Errc::invalid_argument,
                   "invalid chmod parameter \"{}\" (want an octal mode like 0755 or u+x)", chmod);
  }
  if (is_add) {
    Add a;
    a.paths = std::move(sd);
    a.chown = chown, a.chmod = chmod, a.link = link, a.excludes = excludes;
    a.checksum = *checksum, a.keep_git_dir = *keep_git;
    if (!a.checksum.empty() &&
        !(a.paths.sources.size() == 1 &&
          (a.paths.sources[0].starts_with("http://") ||
           a.paths.sources[0].starts_with("https://") || a.paths.sources[0].starts_with("git@"))))
      return fail(Errc::invalid_argument,
                  "checksum can't be specified for multiple sources or non-URL sources");
    return a;
  }
  Copy c;
  c.paths = std::move(sd);
  c.chown = chown, c.chmod = chmod, c.link = link, c.excludes = excludes;
  c.from = *from, c.parents = *parents;
  return c;
}

Result<Command> parse_onbuild(const Node& n) {
  KILN_TRY(no_flags(n));
  if (!n.sub) return at_least_one("ONBUILD");
  std::string trigger = n.sub->keyword;
  for (auto& c : trigger) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (trigger == "ONBUILD")
    return fail(Errc::invalid_argument, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  if (trigger == "MAINTAINER" || trigger == "FROM")
    return failf(Errc::invalid_argument, "{} isn't allowed as an ONBUILD trigger", trigger);
  Onbuild o;
  o.trigger = n.sub;
  o.expression = strip_onbuild(n.original);
  for (const auto& h : n.heredocs) o.expression += "\n" + h.content + h.name;
  return o;
}

}  // namespace

namespace {

// ENV and LABEL: KEY=VALUE pairs (or ENV's legacy "KEY value").
Result<Command> parse_pairs(const Node& n) {
  const std::string& i = n.instruction;
  if (n.args.empty()) return at_least_one(i == "env" ? "ENV" : "LABEL");
  auto kv = pairs(n);
  for (const auto& p : kv)
    if (p.key.empty())
      return failf(Errc::invalid_argument, "{} names can not be blank",
                   i == "env" ? "ENV" : "LABEL");
  if (i == "env") return Env{kv};
  return Label{kv};
}

Result<Command> parse_volume(const Node& n) {
  if (n.args.empty()) return at_least_one("VOLUME");
  Volume v;
  for (const auto& a : n.args) {
    std::string t(trim(a));
    if (t.empty())
      return fail(Errc::invalid_argument, "VOLUME specified can not be an empty string");
    v.paths.push_back(t);
  }
  return v;
}

Result<Command> parse_arg(const Node& n) {
  if (n.args.empty()) return at_least_one("ARG");
  Arg a;
  for (const auto& w : n.args) {
    size_t eq = w.find('=');
    ArgDef d{w.substr(0, eq), std::nullopt};
    if (eq != std::string::npos) d.value = w.substr(eq + 1);
    if (d.key.empty()) return fail(Errc::invalid_argument, "ARG names can not be blank");
    a.args.push_back(std::move(d));
  }
  return a;
}

}  // namespace

Result<Command> parse_command(const Node& n) {
  const std::string& i = n.instruction;
  if (i == "run") return parse_run(n);
  if (i == "copy") return parse_copy_like(n, false);
  if (i == "add") return parse_copy_like(n, true);
  if (i == "healthcheck") return parse_healthcheck(n);
  if (i == "onbuild") return parse_onbuild(n);
  KILN_TRY(no_flags(n));
  if (i == "cmd") return Cmd{command_line(n)};
  if (i == "entrypoint") return Entrypoint{command_line(n)};
  if (i == "env" || i == "label") return parse_pairs(n);
  if (i == "maintainer") {
    if (n.args.size() != 1) return exactly_one("MAINTAINER");
    return Maintainer{n.args[0]};
  }
  if (i == "expose") {
    if (n.args.empty()) return at_least_one("EXPOSE");
    auto ports = n.args;
    std::sort(ports.begin(), ports.end());
    return Expose{ports};
  }
  if (i == "volume") return parse_volume(n);
  if (i == "user") {
    if (n.args.size() != 1) return exactly_one("USER");
    return User{n.args[0]};
  }
  if (i == "workdir") {
    if (n.args.size() != 1) return exactly_one("WORKDIR");
    return Workdir{n.args[0]};
  }
  if (i == "stopsignal") {
    if (n.args.size() != 1) return exactly_one("STOPSIGNAL");
    return StopSignal{n.args[0]};
  }
  if (i == "arg") return parse_arg(n);
  if (i == "shell") {
    if (n.args.empty() || (n.json && n.args.empty())) return at_least_one("SHELL");
    if (!n.json)
      return fail(
          Errc::invalid_argument,
          "SHELL requires the arguments to be in JSON form, e.g. SHELL [\"/bin/sh\", \"-c\"]");
    return Shell{n.args};
  }
  if (i == "from") return fail(Errc::internal, "FROM is handled by parse_instructions");
  return failf(Errc::invalid_argument, "unknown instruction: {}{}", n.keyword,
               detail::suggest(n.keyword, k_instructions));
}

namespace {

// A FROM line as a new stage of df: its base, platform and name. Errors are unlocated.
Result<Stage> parse_from(const Node& n, Dockerfile& df) {
  Flags f(n.flags);
  auto& platform = f.add_string("platform");
  KILN_TRY(f.parse());
  Stage s;
  s.index = static_cast<int>(df.stages.size());
  s.line = n.start_line, s.column = n.column, s.original = n.original;
  s.from.platform = platform;
  if (n.args.size() == 3 && to_lower(n.args[1]) == "as") {
    s.from.name = to_lower(n.args[2]);
    if (!valid_stage_name(s.from.name))
      return failf(Errc::invalid_argument,
                   "invalid name for build stage: \"{}\", name can't start with a number or "
                   "contain symbols",
                   n.args[2]);
  } else if (n.args.size() != 1) {
    return fail(Errc::invalid_argument, "FROM requires either one or three arguments");
  }
  s.from.base = n.args[0];
  for (const auto& other : df.stages)
    if (!s.from.name.empty() && other.from.name == s.from.name) {
      // BuildKit accepts this (its linter warns): references resolve to the first stage.
      df.warnings.push_back(
          {fmt::format("duplicate stage name \"{}\" (first used on line {}); references "
                       "resolve to the first",
                       s.from.name, other.line),
           n.start_line});
      break;
    }
  return s;
}

}  // namespace

Result<Dockerfile> parse_instructions(const Ast& ast) {
  Dockerfile df;
  df.source = ast.source;
  df.directives = ast.directives;
  df.escape = ast.escape;
  df.warnings = ast.warnings;
  for (const auto& n : ast.nodes) {
    auto located_err = [&](const Error& e) {
      int col = flag_column(ast.source->line(n.start_line), e.message()).value_or(n.column);
      return std::unexpected(located(*ast.source, n.start_line, col, e.message()));
    };
    if (n.instruction == "from") {
      auto s = parse_from(n, df);
      if (!s) return located_err(s.error());
      df.stages.push_back(std::move(*s));
      continue;
    }
    auto cmd = parse_command(n);
    if (!cmd) return located_err(cmd.error());
    Instruction ins{std::move(*cmd), n.keyword, n.original, n.start_line, n.end_line, n.column};
    if (df.stages.empty()) {
      if (!std::holds_alternative<Arg>(ins.command))
        return located_err(Error(Errc::invalid_argument,
                                 fmt::format("{} before the first FROM: only ARG may come before "
                                             "FROM (no build stage in current context)",
                                             n.keyword)));
      df.meta_args.push_back(std::move(ins));
      continue;
    }
    df.stages.back().commands.push_back(std::move(ins));
  }
  if (df.stages.empty())
    return std::unexpected(
        located(*ast.source, 0, 0, "the Dockerfile has no FROM instruction (no build stage)"));
  return df;
}

}  // namespace kiln::dockerfile
