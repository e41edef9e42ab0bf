// Internal to lint/: what every rule sees (the Dockerfile, the stages that ship, positions in
// the source) and the one way to report a finding (config, inline ignores and dedup applied).
#pragma once

#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "kiln/dockerfile/lexer.hpp"
#include "kiln/lint/lint.hpp"
#include "kiln/lint/shell.hpp"

namespace kiln::lint::detail {

// A RUN's shell script and where its characters are in the Dockerfile.
struct Script {
  std::string text;
  std::vector<SimpleCommand> commands;
  bool heredoc = false;
  // Source line and column of offset i in `text`.
  std::vector<std::pair<int, int>> positions;
  std::pair<int, int> at(size_t offset) const;
};

struct StageInfo {
  const dockerfile::Stage* stage = nullptr;
  std::string base;     // FROM after expanding global ARG defaults
  int base_stage = -1;  // the earlier stage it builds on
  bool ships = false;   // its layers end up in the target image
  bool is_target = false;
};

class Checker {
 public:
  Checker(const Input& in, const Config& cfg, Report& out);

  const Input& in;
  const Config& cfg;
  const dockerfile::Dockerfile& df;
  const dockerfile::Ast& ast;
  std::vector<StageInfo> stages;
  dockerfile::Vars meta_defaults;  // global ARGs with their defaults (and platform ARGs)
  int target = -1;

  bool wants(std::string_view rule) const;
  // The finding as recorded (valid until the next emit), or nullptr when it is suppressed.
  Finding* emit(std::string_view rule, int line, int col, std::string message, std::string fix = {},
                std::string replacement = {});
  void note(std::string text) { m_out.notes.push_back(std::move(text)); }

  // Line and column of offset `off` in an instruction's logical line (continuations joined).
  std::pair<int, int> position(const dockerfile::Instruction& ins, size_t off) const;
  // The RUN's script (shell form or a heredoc run as a script); nullopt for the exec form.
  std::optional<Script> script(const dockerfile::Instruction& ins) const;
  std::string_view source_line(int line) const;

 private:
  Report& m_out;
  std::set<std::string> m_skip;  // `# check=skip=` names
  bool m_skip_all = false;
  std::set<std::tuple<std::string, int, std::string>> m_seen;
};

// Rule groups (one file each).
void check_buildkit(Checker& c);
void check_base_images(Checker& c);
void check_run_scripts(Checker& c);  // pinning, caches, security and shell rules over RUN
void check_stage_rules(Checker& c);  // user, ARG/ENV secrets, ADD, EXPOSE, lock files, toolchain
void check_shellcheck(Checker& c);
// Pieces of the BuildKit group that live with the stage rules.
void json_args(Checker& c, const dockerfile::Instruction& ins, const dockerfile::CommandLine& cmd);
void expose(Checker& c, const dockerfile::Instruction& ins, const dockerfile::Expose& ex);

// chmod modes ("777", "o+w", "a=rwx") that let others write.
bool world_writable_mode(std::string_view mode);
// Shell word quoting for rewritten lines.
std::string quote_if_needed(std::string_view word);

}  // namespace kiln::lint::detail
