// Internal to build/: the state of a stage while its instructions run.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "kiln/builder/build.hpp"
#include "kiln/builder/sources.hpp"
#include "kiln/builder/worktree.hpp"
#include "kiln/dockerfile/plan.hpp"
#include "kiln/oci/types.hpp"

namespace kiln::builder {

struct StageState {
  oci::ImageConfig config;  // config, history and rootfs.diff_ids as docker writes them
  std::vector<store::LayerRecord> layers;
  std::string key;  // running cache key (hex)
  std::vector<std::string> shell = {"/bin/sh", "-c"};
  bool cmd_set = false;  // CMD set in this stage (ENTRYPOINT then keeps it)
  std::vector<std::pair<std::string, std::string>> args;  // ARGs in scope with values, in order
  std::string name;                // stage name for progress ("" for a Dockerfile's only stage)
  int step_n = 0, step_total = 0;  // progress: steps shown so far, and in all (as BuildKit)
  int64_t last_created = 0;        // time of the newest layer (metadata steps take it, so that a
                                   // fully cached rebuild gives the same image ID)
  // The Dockerfile location of the instruction running now ("Dockerfile:12"), and that of
  // each history entry so far (a base image's entries: its FROM line). The store keeps the
  // latter with the image, so that `kiln scan` can name the line that added a package.
  std::string location;
  std::vector<std::string> history_locations;
  // The image the stage's layers start from (through earlier stages): its full reference ("" for
  // an image ID or scratch) and manifest digest ("" for scratch), recorded in the final image's
  // labels org.opencontainers.image.base.name and .base.digest.
  std::string base_name, base_digest;
  // The step running now makes its layer itself rather than in a layer job (CommitOptions).
  bool commit_in_step = false;
};

// --no-cache: the cache mounts already emptied in this build (each once), under the mutex.
struct CacheMountResets {
  std::mutex mu;
  std::set<std::string> done;
};

// What every step can reach.
struct BuildEnv {
  store::Store& store;
  store::Lease& lease;
  sandbox::Executor& executor;
  const BuildOptions& opts;
  Progress& progress;
  Trees& trees;
  const SourceTree& context;
  std::string context_path;
  const dockerfile::Dockerfile& dockerfile;
  const dockerfile::Plan& plan;
  std::vector<std::optional<StageState>>& finished;  // by Dockerfile stage index
  std::atomic<int>& ids;         // progress step numbers, shared by parallel stages
  std::atomic<bool>& cancelled;  // set on Ctrl-C or when another stage failed
  int cached_steps = 0;
  std::vector<std::string> used_keys;  // cache entries this build hit or made (--cache-to)
  int64_t now = 0;                     // build start (history timestamps unless SOURCE_DATE_EPOCH)
  oci::Platform target;                // --platform, or this machine's
  std::shared_ptr<CacheMountResets> cache_resets;  // shared by the stages of one build
};

// Chains a cache key: sha256(prev + "\n" + text).
std::string chain_key(const std::string& prev, std::string_view text);

// The variables instructions are expanded with: ARGs in scope, overridden by the config's Env.
dockerfile::Vars expansion_env(const StageState& s);
// config Env as a map.
dockerfile::Vars config_env(const oci::ImageConfig& c);

// A history entry as BuildKit writes it ("buildkit.dockerfile.v0"), with the step's layer
// (appended to the stage's layers and diffIDs) or none (an empty_layer entry).
void add_history(StageState& s, const BuildEnv& env, std::string created_by,
                 const std::optional<store::LayerRecord>& layer, int64_t created);

// Metadata instructions (config only): ENV, LABEL, EXPOSE, VOLUME, USER, WORKDIR's config part,
// ENTRYPOINT, CMD, HEALTHCHECK, STOPSIGNAL, SHELL, ONBUILD, MAINTAINER, ARG.
Status apply_metadata(StageState& s, BuildEnv& env, const dockerfile::Command& cmd,
                      const dockerfile::Lexer& lex);

// Builds the plan's stages, independent ones in parallel (schedule.cpp).
Status build_stages(BuildEnv& env, const dockerfile::Lexer& lex);
// Builds one stage (builder.cpp).
Status build_stage(BuildEnv& env, const dockerfile::PlannedStage& ps, const dockerfile::Lexer& lex);

// What `--from=` / `from=` names: an earlier stage (its layers and cache key) or an image in
// the store (its layers and manifest digest).
struct FromRef {
  std::vector<store::LayerRecord> layers;
  std::string key;
};
Result<FromRef> resolve_from(BuildEnv& env, const std::string& from);

// Layer steps.
Status run_step(StageState& s, BuildEnv& env, const dockerfile::Run& run, int id);
Status copy_step(StageState& s, BuildEnv& env, const dockerfile::Command& cmd, int id);
Status workdir_step(StageState& s, BuildEnv& env, const std::string& path, int id);

// Looks the key up; on a hit appends the layer (if any) and returns true. On a miss the step
// is about to do real work: the blobs the lease has only noted are recorded first.
Result<bool> use_cache(StageState& s, BuildEnv& env, const std::string& key, std::string created_by,
                       int id);
// Appends the step's result and records it in the cache.
Status record_step(StageState& s, BuildEnv& env, const std::string& key,
                   const std::optional<store::LayerRecord>& layer, std::string created_by);

}  // namespace kiln::builder
