// BuildKit's `docker build --check` rules (moby/buildkit frontend/dockerfile/linter and
// dockerfile2llb/validations.go): the same names, conditions and messages.
#include <algorithm>

#include "kiln/base/strings.hpp"
#include "kiln/dockerfile/plan.hpp"
#include "kiln/lint/checker.hpp"
#include "kiln/oci/reference.hpp"

namespace kiln::lint::detail {

namespace {

using dockerfile::Instruction;

std::string to_upper(std::string_view s) {
  std::string o(s);
  for (auto& ch : o) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return o;
}

bool same_case(std::string_view s) {
  return s == to_lower(s) || s == to_upper(s);
}

size_t levenshtein(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// BuildKit's suggest.Search (case-sensitive): the closest option within distance 2.
// Options: any range of strings (a set), or of pairs whose first is the string (a map).
template <class Options>
std::string suggest(std::string_view val, const Options& options) {
  std::string match;
  size_t best = 3;
  for (const auto& entry : options) {
    const std::string* op;
    if constexpr (std::is_same_v<std::decay_t<decltype(entry)>, std::string>)
      op = &entry;
    else
      op = &entry.first;
    const std::string& o = *op;
    if (o == val) return "";
    size_t d = levenshtein(val, o);
    if (d < best) best = d, match = o;
  }
  return match;
}

const dockerfile::Node* node_at(const Checker& c, int line) {
  for (const auto& n : c.ast.nodes)
    if (n.start_line == line) return &n;
  return nullptr;
}

void casing(Checker& c) {
  int lower = 0, upper = 0;
  auto count = [&](std::string_view k) {
    if (!same_case(k)) return;
    (k == to_lower(k) ? lower : upper)++;
  };
  auto from_keyword = [&](const dockerfile::Stage& st) -> std::string {
    const auto* n = node_at(c, st.line);
    return n ? n->keyword : "FROM";
  };
  for (const auto& st : c.df.stages) {
    count(from_keyword(st));
    for (const auto& ins : st.commands) count(ins.keyword);
  }
  bool majority_lower = lower > upper;
  auto check = [&](std::string_view k, int line, int col) {
    std::string want;
    if (majority_lower && to_lower(k) != k)
      want = "lowercase";
    else if (!majority_lower && to_upper(k) != k)
      want = "uppercase";
    if (want.empty()) return;
    std::string fixed = majority_lower ? to_lower(k) : to_upper(k);
    std::string line_text(c.source_line(line));
    std::string repl;
    if (auto p = line_text.find(k); p != std::string::npos)
      repl = line_text.substr(0, p) + fixed + line_text.substr(p + k.size());
    c.emit("ConsistentInstructionCasing", line, col,
           fmt::format("Command '{}' should match the case of the command majority ({})", k, want),
           fmt::format("write {} as {}", k, fixed), repl);
  };
  for (const auto& st : c.df.stages) {
    check(from_keyword(st), st.line, st.column);
    for (const auto& ins : st.commands) check(ins.keyword, ins.line, ins.column);
  }
}

void from_lines(Checker& c) {
  std::set<std::string> names;
  for (const auto& st : c.df.stages) {
    const auto* n = node_at(c, st.line);
    if (!n) continue;
    const auto& a = n->args;
    if (a.size() == 3 && a[2] != to_lower(a[2])) {
      std::string line(c.source_line(st.line)), repl;
      if (auto p = line.rfind(a[2]); p != std::string::npos)
        repl = line.substr(0, p) + to_lower(a[2]) + line.substr(p + a[2].size());
      c.emit("StageNameCasing", st.line, st.column,
             fmt::format("Stage name '{}' should be lowercase", a[2]),
             fmt::format("name the stage {}", to_lower(a[2])), repl);
    }
    if (a.size() >= 3 && same_case(n->keyword)) {
      bool lower = n->keyword == to_lower(n->keyword);
      bool ok = lower ? a[1] == to_lower(a[1]) : a[1] == to_upper(a[1]);
      if (!ok) {
        std::string want = lower ? "as" : "AS";
        std::string line(c.source_line(st.line)), repl;
        if (auto p = line.find(" " + a[1] + " "); p != std::string::npos)
          repl = line.substr(0, p + 1) + want + line.substr(p + 1 + a[1].size());
        c.emit("FromAsCasing", st.line, st.column,
               fmt::format("'{}' and '{}' keywords' casing do not match", a[1], n->keyword),
               fmt::format("write '{}' as '{}'", a[1], want), repl);
      }
    }
    const std::string& name = st.from.name;
    if (name.empty()) continue;
    if (name == "context" || name == "scratch")
      c.emit("ReservedStageName", st.line, st.column,
             fmt::format("Stage name should not use the same name as reserved stage \"{}\"", name),
             "choose another stage name");
    if (!names.insert(name).second)
      c.emit("DuplicateStageName", st.line, st.column,
             fmt::format("Duplicate stage name \"{}\", stage names should be unique", name),
             "rename one of the stages (COPY --from= and FROM use the first)");
    // Experimental in BuildKit: a comment right above a named stage describes it.
    if (!n->comments.empty()) {
      auto words = split(n->comments.back(), ' ');
      if (words.empty() || words[0] != name)
        c.emit("InvalidDefinitionDescription", st.line, st.column,
               fmt::format("Comment for FROM should follow the format: `# {} <description>`", name),
               fmt::format("start the comment with '{}', or put an empty line above FROM", name));
    }
  }
}

// Global ARG keys (declared, with or without value) and the automatic platform ARGs.
std::set<std::string> global_arg_keys(const Checker& c) {
  std::set<std::string> keys;
  for (const auto& [k, v] : dockerfile::platform_args({})) keys.insert(k);
  for (const auto& ins : c.df.meta_args)
    for (const auto& def : std::get<dockerfile::Arg>(ins.command).args) keys.insert(def.key);
  return keys;
}

bool valid_reference(std::string_view ref) {
  return !ref.empty() && oci::Reference::parse(ref, false).has_value();
}

void from_args(Checker& c) {
  dockerfile::Lexer lex(c.df.escape);
  auto keys = global_arg_keys(c);
  // InvalidDefaultArgInFrom: the base names with only the defaults (no --build-arg).
  dockerfile::Vars defaults = dockerfile::platform_args({});
  for (const auto& ins : c.df.meta_args)
    for (const auto& def : std::get<dockerfile::Arg>(ins.command).args)
      if (def.value) {
        auto v = lex.process_word(*def.value, defaults);
        if (v) defaults[def.key] = *v;
      }
  for (size_t i = 0; i < c.stages.size(); ++i) {
    const auto& st = *c.stages[i].stage;
    auto report_unmatched = [&](const std::string& word) -> std::optional<dockerfile::LexResult> {
      auto r = lex.process(word, c.meta_defaults);
      if (!r) return std::nullopt;
      for (const auto& u : r->unmatched) {
        if (keys.contains(u)) continue;
        std::string s = suggest(u, keys);
        std::string msg = fmt::format("FROM argument '{}' is not declared", u);
        if (!s.empty()) msg += fmt::format(" (did you mean {}?)", s);
        c.emit("UndefinedArgInFrom", st.line, st.column, msg,
               s.empty() ? fmt::format("declare ARG {} before the first FROM", u)
                         : fmt::format("use ${} or declare ARG {} before the first FROM", s, u));
      }
      return std::move(*r);
    };
    report_unmatched(st.from.base);
    if (auto d = lex.process_word(st.from.base, defaults);
        d && st.from.base.find('$') != std::string::npos) {
      bool stage_ref = false;
      for (size_t j = 0; j < i; ++j) stage_ref |= c.stages[j].stage->from.name == to_lower(*d);
      if (!stage_ref && *d != "scratch" && !valid_reference(*d))
        c.emit("InvalidDefaultArgInFrom", st.line, st.column,
               fmt::format("Default value for ARG {} results in empty or invalid base image name",
                           st.from.base),
               "give the ARG a default that names an image");
    }
    if (st.from.platform.empty()) continue;
    auto pm = report_unmatched(st.from.platform);
    if (!pm) continue;
    if (pm->matched.size() == 1 && pm->unmatched.empty() &&
        pm->matched.contains("TARGETPLATFORM") && pm->word == c.meta_defaults.at("TARGETPLATFORM"))
      c.emit("RedundantTargetPlatform", st.line, st.column,
             fmt::format("Setting platform to predefined {} in FROM is redundant as this is the "
                         "default behavior",
                         st.from.platform),
             "remove --platform");
    if (pm->matched.empty() && pm->unmatched.empty()) {
      auto parts = split(pm->word, '/');
      std::string os = parts.size() > 0 ? parts[0] : "", arch = parts.size() > 1 ? parts[1] : "";
      const std::string& name = st.from.name;
      bool named = !name.empty() && ((!os.empty() && name.find(os) != std::string::npos) ||
                                     (!arch.empty() && name.find(arch) != std::string::npos));
      if (!named && parts.size() >= 2)
        c.emit("FromPlatformFlagConstDisallowed", st.line, st.column,
               fmt::format("FROM --platform flag should not use constant value \"{}\"", pm->word),
               "use --platform=$BUILDPLATFORM for build stages, or name the stage after the "
               "platform");
    }
  }
}

// The words an instruction expands (BuildKit's SupportsSingleWordExpansion).
std::vector<std::string> expanded_words(const dockerfile::Command& cmd) {
  std::vector<std::string> w;
  auto paths = [&](const dockerfile::SourcesAndDest& p) {
    w.insert(w.end(), p.sources.begin(), p.sources.end());
    w.push_back(p.dest);
  };
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, dockerfile::Env>) {
          for (const auto& kv : x.vars) w.push_back(kv.key), w.push_back(kv.value);
        } else if constexpr (std::is_same_v<T, dockerfile::Label>) {
          for (const auto& kv : x.labels) w.push_back(kv.key), w.push_back(kv.value);
        } else if constexpr (std::is_same_v<T, dockerfile::Copy>) {
          paths(x.paths);
          w.push_back(x.chown), w.push_back(x.chmod), w.push_back(x.from);
        } else if constexpr (std::is_same_v<T, dockerfile::Add>) {
          paths(x.paths);
          w.push_back(x.chown), w.push_back(x.chmod);
        } else if constexpr (std::is_same_v<T, dockerfile::Workdir>) {
          w.push_back(x.path);
        } else if constexpr (std::is_same_v<T, dockerfile::User>) {
          w.push_back(x.user);
        } else if constexpr (std::is_same_v<T, dockerfile::Volume>) {
          w.insert(w.end(), x.paths.begin(), x.paths.end());
        } else if constexpr (std::is_same_v<T, dockerfile::StopSignal>) {
          w.push_back(x.signal);
        } else if constexpr (std::is_same_v<T, dockerfile::Expose>) {
          w.insert(w.end(), x.ports.begin(), x.ports.end());
        }
      },
      cmd);
  return w;
}

// ENV/LABEL "key value" (BuildKit's LegacyKeyValueFormat); the line is rewritten when the
// instruction is one pair on one line.
void legacy_key_value(Checker& c, const Instruction& ins, const dockerfile::KeyValue& kv,
                      size_t pairs) {
  if (!kv.legacy) return;
  std::string form = fmt::format("{} {}={}", ins.keyword, kv.key, quote_if_needed(kv.value));
  c.emit("LegacyKeyValueFormat", ins.line, ins.column,
         fmt::format("\"{0} key=value\" should be used instead of legacy \"{0} key value\" format",
                     ins.keyword),
         form, pairs == 1 && ins.line == ins.end_line ? form : "");
}

// The environment a stage starts with (its keys, as BuildKit's `env.Keys()`): the earlier
// stage it builds on, BuildKit's empty image for scratch, or a base image from the store;
// nullopt when unknown.
std::optional<dockerfile::Vars> base_env(Checker& c, const StageInfo& info,
                                         const std::vector<std::optional<dockerfile::Vars>>& envs) {
  if (info.base_stage >= 0) return envs[static_cast<size_t>(info.base_stage)];
  if (to_lower(info.base) == "scratch") return dockerfile::Vars{{"PATH", "x"}};
  if (!c.in.base_image) return std::nullopt;
  auto b = c.in.base_image(info.base);
  if (!b) return std::nullopt;
  dockerfile::Vars env;
  for (const auto& k : b->env_keys) env[k] = "x";
  return env;
}

// One stage's instructions in order: UndefinedVar, LegacyKeyValueFormat, WorkdirRelativePath,
// JSONArgsRecommended, MultipleInstructionsDisallowed, MaintainerDeprecated and EXPOSE.
class StageScan {
 public:
  StageScan(Checker& c, std::optional<dockerfile::Vars> env, bool shell)
      : m_c(c), m_lex(c.df.escape), m_env(std::move(env)), m_shell(shell) {}

  void instruction(const Instruction& ins) {
    if (const auto* a = std::get_if<dockerfile::Arg>(&ins.command)) {
      arg(ins, *a);
      return;
    }
    for (const auto& w : expanded_words(ins.command)) undefined(ins, w);
    if (const auto* e = std::get_if<dockerfile::Env>(&ins.command)) {
      for (const auto& kv : e->vars) {
        if (m_env) (*m_env)[kv.key] = "x";
        legacy_key_value(m_c, ins, kv, e->vars.size());
      }
    } else if (const auto* l = std::get_if<dockerfile::Label>(&ins.command)) {
      for (const auto& kv : l->labels) legacy_key_value(m_c, ins, kv, l->labels.size());
    } else if (const auto* w = std::get_if<dockerfile::Workdir>(&ins.command)) {
      workdir(ins, w->path);
    } else if (std::holds_alternative<dockerfile::Shell>(ins.command)) {
      m_shell = true;
    } else if (const auto* cm = std::get_if<dockerfile::Cmd>(&ins.command)) {
      once(ins, m_cmd);
      if (cm->cmd.prepend_shell && !m_shell) json_args(m_c, ins, cm->cmd);
    } else if (const auto* ep = std::get_if<dockerfile::Entrypoint>(&ins.command)) {
      once(ins, m_entrypoint);
      if (ep->cmd.prepend_shell && !m_shell) json_args(m_c, ins, ep->cmd);
    } else if (std::holds_alternative<dockerfile::Healthcheck>(ins.command)) {
      once(ins, m_health);
    } else if (const auto* m = std::get_if<dockerfile::Maintainer>(&ins.command)) {
      m_c.emit(
          "MaintainerDeprecated", ins.line, ins.column,
          "Maintainer instruction is deprecated in favor of using label",
          "use the label org.opencontainers.image.authors",
          fmt::format("LABEL org.opencontainers.image.authors={}", dockerfile::go_quote(m->name)));
    } else if (const auto* ex = std::get_if<dockerfile::Expose>(&ins.command)) {
      expose(m_c, ins, *ex);
    }
  }

  std::optional<dockerfile::Vars>& env() { return m_env; }
  bool shell() const { return m_shell; }

 private:
  void arg(const Instruction& ins, const dockerfile::Arg& a) {
    for (const auto& def : a.args) {
      if (def.value) undefined(ins, *def.value);
      m_args.insert(def.key);
      bool has_value =
          def.value || m_c.meta_defaults.contains(def.key) || m_c.in.build_args.contains(def.key);
      if (m_env && has_value) (*m_env)[def.key] = "x";
    }
  }

  void undefined(const Instruction& ins, const std::string& word) {
    if (!m_env || word.find('$') == std::string::npos) return;
    auto r = m_lex.process(word, *m_env);
    if (!r) return;
    for (const auto& u : r->unmatched) {
      if (m_args.contains(u) || u == "BUILDKIT_SBOM_SCAN_CONTEXT" ||
          u == "BUILDKIT_SBOM_SCAN_STAGE")
        continue;
      std::string s = suggest(u, *m_env);
      std::string msg = fmt::format("Usage of undefined variable '${}'", u);
      if (!s.empty()) msg += fmt::format(" (did you mean ${}?)", s);
      m_c.emit("UndefinedVar", ins.line, ins.column, msg,
               s.empty() ? fmt::format("define it first with ARG {} or ENV {}=...", u, u)
                         : fmt::format("use ${}, or define {} first with ARG or ENV", s, u));
    }
  }

  void workdir(const Instruction& ins, const std::string& path) {
    // A path built from variables depends on their values (the base image's): not judged.
    if (!m_workdir_set && !path.starts_with('/') && path.find('$') == std::string::npos)
      m_c.emit("WorkdirRelativePath", ins.line, ins.column,
               fmt::format("Relative workdir \"{}\" can have unexpected results if the base "
                           "image changes",
                           path),
               "use an absolute path", fmt::format("{} /{}", ins.keyword, path));
    m_workdir_set = true;
  }

  // CMD, ENTRYPOINT, HEALTHCHECK: BuildKit reports the earlier one, which is ignored.
  void once(const Instruction& ins, const Instruction*& prev) {
    if (prev)
      m_c.emit(
          "MultipleInstructionsDisallowed", prev->line, prev->column,
          fmt::format("Multiple {} instructions should not be used in the same stage "
                      "because only the last one will be used",
                      ins.keyword),
          fmt::format("remove this {} (the one at line {} replaces it)", ins.keyword, ins.line));
    prev = &ins;
  }

  Checker& m_c;
  dockerfile::Lexer m_lex;
  std::optional<dockerfile::Vars> m_env;  // keys only matter; nullopt: UndefinedVar is off
  bool m_shell = false;                   // a SHELL is set (JSONArgsRecommended is then quiet)
  std::set<std::string> m_args;           // declared ARGs, with or without a value
  bool m_workdir_set = false;
  const Instruction *m_cmd = nullptr, *m_entrypoint = nullptr, *m_health = nullptr;
};

void stage_checks(Checker& c) {
  std::vector<std::optional<dockerfile::Vars>> envs(c.stages.size());
  std::vector<bool> shells(c.stages.size(), false);
  for (size_t i = 0; i < c.stages.size(); ++i) {
    const auto& info = c.stages[i];
    const auto& st = *info.stage;
    auto env = base_env(c, info, envs);
    if (!env && c.wants("UndefinedVar"))
      c.note(
          fmt::format("UndefinedVar not checked in stage {}: the environment of its base "
                      "image {} is unknown (not in the local store; `kiln pull {}` adds it)",
                      st.from.name.empty() ? fmt::format("stage-{}", st.index) : st.from.name,
                      info.base, info.base));
    StageScan scan(c, std::move(env),
                   info.base_stage >= 0 && shells[static_cast<size_t>(info.base_stage)]);
    for (const auto& ins : st.commands) scan.instruction(ins);
    envs[i] = std::move(scan.env());
    shells[i] = scan.shell();
  }
}

}  // namespace

void check_buildkit(Checker& c) {
  // BuildKit reports it at the instruction's last line.
  for (const auto& w : c.ast.warnings) {
    if (!w.message.starts_with("Empty continuation line")) continue;
    const auto* n = node_at(c, w.line);
    int line = n && n->heredocs.empty() ? n->end_line : w.line;
    c.emit("NoEmptyContinuation", line, 1, "Empty continuation line",
           "remove the empty line, or end the instruction before it");
  }
  casing(c);
  from_lines(c);
  from_args(c);
  stage_checks(c);
}

}  // namespace kiln::lint::detail
