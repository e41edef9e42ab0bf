#include "kiln/dockerfile/plan.hpp"

#include <algorithm>
#include <functional>
#include <set>

#include "kiln/base/strings.hpp"

namespace kiln::dockerfile {

namespace {

std::string stage_display_name(const Stage& s) {
  return s.from.name.empty() ? fmt::format("stage-{}", s.index) : s.from.name;
}

std::unexpected<Error> at(const Dockerfile& df, int line, int col, const Error& e) {
  return std::unexpected(located(*df.source, line, col, e.message()));
}

// Every stage reference in a stage's instructions: COPY --from and RUN --mount from=.
std::vector<std::pair<std::string, const Instruction*>> stage_refs(const Stage& s) {
  std::vector<std::pair<std::string, const Instruction*>> out;
  for (const auto& ins : s.commands) {
    if (auto* c = std::get_if<Copy>(&ins.command); c && !c->from.empty())
      out.push_back({c->from, &ins});
    if (auto* r = std::get_if<Run>(&ins.command))
      for (const auto& m : r->mounts)
        if (!m.from.empty()) out.push_back({m.from, &ins});
  }
  return out;
}

}  // namespace

Vars platform_args(const PlatformArgs& p) {
  auto plat = [](const std::string& os, const std::string& arch, const std::string& variant) {
    return os + "/" + arch + (variant.empty() ? "" : "/" + variant);
  };
  return {{"TARGETPLATFORM", plat(p.target_os, p.target_arch, p.target_variant)},
          {"TARGETOS", p.target_os},
          {"TARGETARCH", p.target_arch},
          {"TARGETVARIANT", p.target_variant},
          {"BUILDPLATFORM", plat(p.build_os, p.build_arch, p.build_variant)},
          {"BUILDOS", p.build_os},
          {"BUILDARCH", p.build_arch},
          {"BUILDVARIANT", p.build_variant}};
}

bool is_predefined_arg(std::string_view n) {
  static const std::set<std::string, std::less<>> names = {
      "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY",
      "ftp_proxy",  "NO_PROXY",   "no_proxy",    "ALL_PROXY",   "all_proxy"};
  return names.contains(n);
}

Result<int> resolve_stage_ref(const Dockerfile& df, std::string_view ref) {
  if (auto idx = parse_int(ref)) {
    if (*idx < 0 || *idx >= static_cast<int64_t>(df.stages.size()))
      return failf(Errc::invalid_argument, "invalid stage index {} (the Dockerfile has {} stages)",
                   *idx, df.stages.size());
    return static_cast<int>(*idx);
  }
  std::string lower = to_lower(ref);
  for (const auto& s : df.stages)
    if (!s.from.name.empty() && s.from.name == lower) return s.index;
  return -1;
}

namespace {

// Global scope: automatic platform ARGs, then the ARGs before the first FROM.
Status plan_meta_args(const Dockerfile& df, const PlanOptions& opts, const Lexer& lex, Plan& plan,
                      std::set<std::string>& declared) {
  plan.meta_args = platform_args(opts.platforms);
  for (const auto& ins : df.meta_args) {
    for (const auto& def : std::get<Arg>(ins.command).args) {
      declared.insert(def.key);
      if (auto it = opts.build_args.find(def.key); it != opts.build_args.end()) {
        plan.meta_args[def.key] = it->second;
      } else if (def.value) {
        auto v = lex.process_word(*def.value, plan.meta_args);
        if (!v) return at(df, ins.line, ins.column, v.error());
        plan.meta_args[def.key] = *v;
      }
    }
  }
  return {};
}

// One stage's FROM (base and platform expanded) and the stages it depends on.
Result<PlannedStage> plan_stage(const Dockerfile& df, const Stage& s, const Lexer& lex,
                                const Vars& meta) {
  PlannedStage p;
  p.index = s.index;
  p.name = stage_display_name(s);
  auto base = lex.process_word(s.from.base, meta);
  if (!base) return at(df, s.line, s.column, base.error());
  if (base->empty())
    return at(df, s.line, s.column,
              Error(Errc::invalid_argument,
                    fmt::format("base name ({}) should not be blank", s.from.base)));
  p.base = *base;
  auto plat = lex.process_word(s.from.platform, meta);
  if (!plat) return at(df, s.line, s.column, plat.error());
  p.platform = *plat;
  // FROM resolves a stage name only among earlier stages (so FROM cannot form a cycle).
  std::string lower = to_lower(p.base);
  for (int j = 0; j < s.index; ++j)
    if (df.stages[static_cast<size_t>(j)].from.name == lower) {
      p.base_stage = j;
      break;
    }
  std::set<int> deps;
  if (p.base_stage >= 0) deps.insert(p.base_stage);
  for (const auto& [ref, ins] : stage_refs(s)) {
    auto expanded = lex.process_word(ref, meta);
    if (!expanded) return at(df, ins->line, ins->column, expanded.error());
    auto idx = resolve_stage_ref(df, *expanded);
    if (!idx) return at(df, ins->line, ins->column, idx.error());
    if (*idx >= 0) deps.insert(*idx);
  }
  p.deps.assign(deps.begin(), deps.end());
  return p;
}

// Cycles (DFS with the current path), reported on the first stage that closes one.
Status check_cycles(const Dockerfile& df, const std::vector<PlannedStage>& all) {
  std::vector<int> state(all.size(), 0);  // 0 new, 1 on path, 2 done
  std::function<int(int)> visit = [&](int i) -> int {
    state[static_cast<size_t>(i)] = 1;
    for (int d : all[static_cast<size_t>(i)].deps) {
      if (state[static_cast<size_t>(d)] == 1) return d;
      if (state[static_cast<size_t>(d)] == 0)
        if (int c = visit(d); c >= 0) return c;
    }
    state[static_cast<size_t>(i)] = 2;
    return -1;
  };
  for (size_t i = 0; i < all.size(); ++i)
    if (state[i] == 0)
      if (int c = visit(static_cast<int>(i)); c >= 0) {
        const Stage& s = df.stages[static_cast<size_t>(c)];
        return at(df, s.line, s.column,
                  Error(Errc::invalid_argument, "circular dependency detected on stage: " +
                                                    all[static_cast<size_t>(c)].name));
      }
  return {};
}

// The stages the target needs: itself and everything it depends on.
std::vector<bool> reachable(const std::vector<PlannedStage>& all, int target) {
  std::vector<bool> reach(all.size(), false);
  std::function<void(int)> mark = [&](int i) {
    if (reach[static_cast<size_t>(i)]) return;
    reach[static_cast<size_t>(i)] = true;
    for (int d : all[static_cast<size_t>(i)].deps) mark(d);
  };
  mark(target);
  return reach;
}

// Syntax of everything a stage will expand (unterminated quotes, bad ${...}), checked now
// with unset variables left alone, so only what the build itself would reject fails here.
Status check_stage_syntax(const Dockerfile& df, const Stage& stage,
                          std::set<std::string>& declared) {
  Lexer check(df.escape);
  check.skip_unset = true;
  for (const auto& ins : stage.commands) {
    if (auto st = expand(ins.command, {}, check); !st)
      return at(df, ins.line, ins.column, st.error());
    if (auto* a = std::get_if<Arg>(&ins.command))
      for (const auto& def : a->args) {
        declared.insert(def.key);
        if (def.value)
          if (auto st = check.process(*def.value, {}); !st)
            return at(df, ins.line, ins.column, st.error());
      }
  }
  return {};
}

}  // namespace

Result<Plan> make_plan(const Dockerfile& df, const PlanOptions& opts) {
  Plan plan;
  Lexer lex(df.escape);
  std::set<std::string> declared;
  KILN_TRY(plan_meta_args(df, opts, lex, plan, declared));
  std::vector<PlannedStage> all;
  for (const auto& s : df.stages) all.push_back(KILN_TRY(plan_stage(df, s, lex, plan.meta_args)));
  plan.target = static_cast<int>(df.stages.size()) - 1;
  if (!opts.target.empty()) {
    auto idx = resolve_stage_ref(df, opts.target);
    if (!idx || *idx < 0)
      return failf(Errc::invalid_argument, "target stage \"{}\" could not be found", opts.target);
    plan.target = *idx;
  }
  KILN_TRY(check_cycles(df, all));
  auto reach = reachable(all, plan.target);
  for (size_t i = 0; i < all.size(); ++i) {
    if (!reach[i]) continue;
    KILN_TRY(check_stage_syntax(df, df.stages[i], declared));
    plan.stages.push_back(std::move(all[i]));
  }
  for (const auto& [k, v] : opts.build_args) {
    if (is_predefined_arg(k))
      plan.proxy_args[k] = v;
    else if (!declared.contains(k))
      plan.unused_build_args.push_back(k);
  }
  return plan;
}

Result<std::optional<std::string>> ArgScope::declare(const ArgDef& def, const Vars& stage_env,
                                                     const Lexer& lex) {
  std::optional<std::string> value;
  if (auto it = m_opts.build_args.find(def.key); it != m_opts.build_args.end()) {
    value = it->second;
  } else if (def.value) {
    value = KILN_TRY(lex.process_word(*def.value, stage_env));
  } else if (auto m = m_plan.meta_args.find(def.key); m != m_plan.meta_args.end()) {
    value = m->second;
  }
  if (value) m_values[def.key] = *value;
  return value;
}

}  // namespace kiln::dockerfile
