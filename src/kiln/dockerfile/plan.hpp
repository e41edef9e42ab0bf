// The build plan, complete before anything runs: global ARGs resolved, FROM lines expanded,
// the stage graph (FROM <stage>, COPY --from, RUN --mount from=) with cycles rejected, the
// target chosen and unreachable stages dropped. ArgScope gives a stage's ARG values.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kiln/dockerfile/instructions.hpp"
#include "kiln/dockerfile/lexer.hpp"

namespace kiln::dockerfile {

struct PlatformArgs {
  std::string target_os = "linux", target_arch = "amd64", target_variant;
  std::string build_os = "linux", build_arch = "amd64", build_variant;
};

struct PlanOptions {
  std::map<std::string, std::string> build_args;  // --build-arg K=V
  std::string target;                             // --target ("" for the last stage)
  PlatformArgs platforms;
};

struct PlannedStage {
  int index = 0;          // into Dockerfile::stages
  std::string name;       // as declared, or "stage-N"
  std::string base;       // FROM after expansion (image reference, "scratch" or a stage name)
  int base_stage = -1;    // the earlier stage it builds on, or -1 for an image / scratch
  std::string platform;   // FROM --platform after expansion ("" when absent)
  std::vector<int> deps;  // stages it reads from (base_stage included), ascending
};

struct Plan {
  std::vector<PlannedStage> stages;  // the reachable ones, in Dockerfile order
  int target = 0;                    // index into Dockerfile::stages
  Vars meta_args;                    // global ARGs (and the automatic platform ARGs) as bound
  std::vector<std::string> unused_build_args;  // given but never declared (BuildKit warns)
  Vars proxy_args;  // HTTP_PROXY & co. given as build args (not persisted)
};

Result<Plan> make_plan(const Dockerfile& df, const PlanOptions& opts);

// TARGETPLATFORM, TARGETOS, ..., BUILDVARIANT.
Vars platform_args(const PlatformArgs& p);
bool is_predefined_arg(std::string_view name);  // the proxy ARGs
// The stage that --from=/from= names (a stage name or index), or -1 for an image.
Result<int> resolve_stage_ref(const Dockerfile& df, std::string_view ref);

// ARGs of one stage: a stage sees an ARG only after it declares it. A declared ARG takes the
// --build-arg value, else its default (expanded with the stage's environment), else the
// global ARG or automatic platform ARG of that name.
class ArgScope {
 public:
  ArgScope(const Plan& plan, const PlanOptions& opts) : m_plan(plan), m_opts(opts) {}
  Result<std::optional<std::string>> declare(const ArgDef& def, const Vars& stage_env,
                                             const Lexer& lex);
  const Vars& values() const { return m_values; }  // declared ARGs that have a value

 private:
  const Plan& m_plan;
  const PlanOptions& m_opts;
  Vars m_values;
};

// Expands variables in exactly the fields BuildKit expands: ENV and LABEL keys and values,
// ADD/COPY sources, destination, --chown, --chmod, --from, --exclude, WORKDIR, USER, VOLUME,
// STOPSIGNAL, EXPOSE (split into words), RUN --mount fields. RUN/CMD/ENTRYPOINT/SHELL/
// HEALTHCHECK bodies and ONBUILD triggers are left as written.
Result<Command> expand(const Command& cmd, const Vars& env, const Lexer& lex);

}  // namespace kiln::dockerfile
