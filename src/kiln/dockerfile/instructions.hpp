// The typed instruction model built from the syntax tree (one type per instruction), as
// BuildKit's instructions package validates them. Values are as written: variables are
// expanded later, per stage (expand.hpp), because they depend on the stage's environment.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "kiln/dockerfile/ast.hpp"

namespace kiln::dockerfile {

struct KeyValue {
  std::string key, value;
  bool legacy = false;  // "ENV KEY value" (no '='), which BuildKit's linter flags
};

struct ArgDef {
  std::string key;
  std::optional<std::string> value;  // the default, unexpanded
};

// RUN/CMD/ENTRYPOINT command line: exec form (prepend_shell false) or one shell string.
struct CommandLine {
  std::vector<std::string> args;
  bool prepend_shell = false;
  std::vector<Heredoc> files;  // RUN heredocs
};

struct Mount {
  enum class Type { bind, cache, tmpfs, secret, ssh } type = Type::bind;
  std::string from, source, target, id, env;
  bool readonly = true;
  bool required = false;
  std::string sharing;  // cache: shared (default), private, locked
  std::optional<uint32_t> mode, uid, gid;
  int64_t size = 0;  // tmpfs
  std::string spec;  // as written after --mount=
};
std::string_view mount_type_name(Mount::Type t);

struct SourcesAndDest {
  std::vector<std::string> sources;  // paths (or URLs for ADD)
  std::vector<Heredoc> contents;     // heredoc sources (COPY <<EOF /dst)
  std::string dest;
};

struct From {
  std::string base;      // unexpanded
  std::string name;      // lower-cased stage name, "" when unnamed
  std::string platform;  // --platform, unexpanded
};
struct Run {
  CommandLine cmd;
  std::vector<Mount> mounts;
  std::string network;   // "", default, none, host
  std::string security;  // "", sandbox, insecure
};
struct Cmd {
  CommandLine cmd;
};
struct Entrypoint {
  CommandLine cmd;
};
struct Env {
  std::vector<KeyValue> vars;
};
struct Label {
  std::vector<KeyValue> labels;
};
struct Maintainer {
  std::string name;
};
struct Expose {
  std::vector<std::string> ports;
};
struct Volume {
  std::vector<std::string> paths;
};
struct User {
  std::string user;
};
struct Workdir {
  std::string path;
};
struct StopSignal {
  std::string signal;
};
struct Arg {
  std::vector<ArgDef> args;
};
struct Shell {
  std::vector<std::string> shell;
};
struct Onbuild {
  std::string expression;  // the trigger as written, e.g. "RUN make"
  std::shared_ptr<Node> trigger;
};
struct Healthcheck {
  bool none = false;
  std::vector<std::string> test;  // ["CMD", ...] / ["CMD-SHELL", "..."] / ["NONE"]
  int64_t interval = 0, timeout = 0, start_period = 0, start_interval = 0;  // nanoseconds
  int retries = 0;
};
struct Copy {
  SourcesAndDest paths;
  std::string from, chown, chmod;
  bool link = false, parents = false;
  std::vector<std::string> excludes;
};
struct Add {
  SourcesAndDest paths;
  std::string chown, chmod, checksum;
  bool link = false, keep_git_dir = false;
  std::vector<std::string> excludes;
};

using Command = std::variant<Run, Cmd, Entrypoint, Env, Label, Maintainer, Expose, Volume, User,
                             Workdir, StopSignal, Arg, Shell, Onbuild, Healthcheck, Copy, Add>;

struct Instruction {
  Command command;
  std::string keyword;   // as written
  std::string original;  // the logical line
  int line = 0, end_line = 0, column = 1;
};

struct Stage {
  From from;
  int index = 0;
  int line = 0, column = 1;
  std::string original;
  std::vector<Instruction> commands;
};

struct Dockerfile {
  std::shared_ptr<const Source> source;
  std::vector<Instruction> meta_args;  // ARGs before the first FROM (each an Arg)
  std::vector<Stage> stages;
  std::vector<Directive> directives;
  char escape = '\\';
  std::vector<Warning> warnings;
};

// Parses and validates every instruction. Errors carry FILE:LINE:COL and a caret.
Result<Dockerfile> parse_instructions(const Ast& ast);
// Parses one instruction node (also used for ONBUILD triggers).
Result<Command> parse_command(const Node& node);

// Parses RUN --mount's value ("type=cache,target=/root/.cache,sharing=locked").
Result<Mount> parse_mount(std::string_view spec);
// Go's time.ParseDuration ("1m30s", "250ms"), in nanoseconds.
Result<int64_t> parse_go_duration(std::string_view s);

}  // namespace kiln::dockerfile
