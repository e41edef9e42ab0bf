#include <algorithm>

#include "kiln/base/strings.hpp"
#include "kiln/builder/history_text.hpp"
#include "kiln/builder/state.hpp"

#include "kiln/digest/digest.hpp"
#include "kiln/dockerfile/source.hpp"
#include "kiln/image/mutate.hpp"
#include "kiln/oci/env.hpp"
#include "kiln/store/image_view.hpp"
#include "kiln/store/metadata.hpp"

namespace kiln::builder {

namespace {

using namespace kiln::dockerfile;

oci::ContainerConfig& cc(StageState& s) {
  if (!s.config.config) s.config.config = oci::ContainerConfig{};
  return *s.config.config;
}

std::vector<std::string> with_shell(const StageState& s, const CommandLine& c) {
  if (!c.prepend_shell) return c.args;
  std::vector<std::string> out = s.shell;
  out.insert(out.end(), c.args.begin(), c.args.end());
  return out;
}

void add_sorted_unique(std::vector<std::string>& v, const std::string& x) {
  if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
  std::sort(v.begin(), v.end());
}

}  // namespace

std::string chain_key(const std::string& prev, std::string_view text) {
  Sha256 h;
  h.update(prev);
  h.update("\n");
  h.update(text);
  return h.finish().hex();
}

dockerfile::Vars config_env(const oci::ImageConfig& c) {
  if (!c.config) return {};
  return oci::env_map(c.config->env);
}

dockerfile::Vars expansion_env(const StageState& s) {
  dockerfile::Vars v;
  for (const auto& [k, val] : s.args) v[k] = val;
  for (const auto& [k, val] : config_env(s.config)) v[k] = val;
  return v;
}

void add_history(StageState& s, const BuildEnv& env, std::string created_by,
                 const std::optional<store::LayerRecord>& layer, int64_t created) {
  oci::History h;
  // created 0: no time known yet (a metadata step on scratch, or on a base without a time,
  // before any step with one). The entry has none (the field is optional) rather than a clock
  // reading that would change a cached rebuild.
  if (env.opts.source_date_epoch || created != 0)
    h.created = rfc3339(env.opts.source_date_epoch.value_or(created));
  h.created_by = std::move(created_by);
  h.comment = "buildkit.dockerfile.v0";
  s.history_locations.resize(s.config.history.size());
  s.history_locations.push_back(s.location);
  if (!layer) return image::append_empty(s.config, std::move(h));
  s.layers.push_back(*layer);
  image::append_layer(s.config, layer->diff_id, std::move(h));
}

namespace {

// ENV, LABEL, MAINTAINER, EXPOSE, VOLUME, USER, STOPSIGNAL, SHELL: the config, and the
// history text (nullopt for another instruction).
Result<std::optional<std::string>> set_config(StageState& s, const Command& cmd) {
  std::string by;
  auto& c = cc(s);
  if (auto* e = std::get_if<Env>(&cmd)) {
    for (const auto& kv : e->vars) {
      oci::set_env(c, kv.key, kv.value);
      by += (by.empty() ? "" : " ") + kv.key + "=" + kv.value;
    }
    by = "ENV " + by;
  } else if (auto* l = std::get_if<Label>(&cmd)) {
    for (const auto& kv : l->labels) {
      c.labels[kv.key] = kv.value;
      by += (by.empty() ? "" : " ") + kv.key + "=" + kv.value;
    }
    by = "LABEL " + by;
  } else if (auto* m = std::get_if<Maintainer>(&cmd)) {
    s.config.author = m->name;
    by = "MAINTAINER " + m->name;
  } else if (auto* x = std::get_if<Expose>(&cmd)) {
    std::vector<std::string> ports;  // words sorted by the parser, ranges expanded in order
    for (const auto& w : x->ports) {
      auto expanded = KILN_TRY_CTX(expose_ports(w), "EXPOSE");
      ports.insert(ports.end(), expanded.begin(), expanded.end());
    }
    for (const auto& p : ports) add_sorted_unique(c.exposed_ports, p);
    by = "EXPOSE " + go_list(ports);
  } else if (auto* v = std::get_if<Volume>(&cmd)) {
    for (const auto& p : v->paths) {
      if (p.empty())
        return fail(Errc::invalid_argument, "VOLUME specified can not be an empty string");
      add_sorted_unique(c.volumes, p);
    }
    by = "VOLUME " + go_list(v->paths);
  } else if (auto* u = std::get_if<User>(&cmd)) {
    c.user = u->user;
    by = "USER " + u->user;
  } else if (auto* sig = std::get_if<StopSignal>(&cmd)) {
    c.stop_signal = sig->signal;
    by = "STOPSIGNAL " + sig->signal;
  } else if (auto* sh = std::get_if<Shell>(&cmd)) {
    s.shell = sh->shell;
    c.shell = sh->shell;
    by = "SHELL " + go_list(sh->shell);
  } else {
    return std::optional<std::string>();
  }
  return std::optional<std::string>(by);
}

// ENTRYPOINT, CMD, HEALTHCHECK.
Result<std::optional<std::string>> set_commands(StageState& s, const Command& cmd) {
  std::string by;
  auto& c = cc(s);
  if (auto* ep = std::get_if<Entrypoint>(&cmd)) {
    c.entrypoint = with_shell(s, ep->cmd);
    if (!s.cmd_set) c.cmd.reset();  // an inherited CMD does not survive a new ENTRYPOINT
    by = "ENTRYPOINT " + go_quoted_list(*c.entrypoint);
  } else if (auto* cm = std::get_if<Cmd>(&cmd)) {
    c.cmd = with_shell(s, cm->cmd);
    s.cmd_set = true;
    c.args_escaped = true;  // BuildKit sets it with every CMD
    by = "CMD " + go_quoted_list(*c.cmd);
  } else if (auto* hc = std::get_if<Healthcheck>(&cmd)) {
    oci::HealthConfig h;
    h.test = hc->none ? std::vector<std::string>{"NONE"} : hc->test;
    h.interval = hc->interval;
    h.timeout = hc->timeout;
    h.start_period = hc->start_period;
    h.start_interval = hc->start_interval;
    h.retries = hc->retries;
    c.healthcheck = h;
    by = healthcheck_text(h);
  } else {
    return std::optional<std::string>();
  }
  return std::optional<std::string>(by);
}

// ARG in a stage: a build arg, else the default (expanded), else the global value.
Result<std::string> declare_args(StageState& s, BuildEnv& env, const Arg& a, const Lexer& lex) {
  std::string by;
  for (const auto& def : a.args) {
    std::optional<std::string> value;
    if (auto it = env.opts.build_args.find(def.key); it != env.opts.build_args.end()) {
      value = it->second;
    } else if (def.value) {
      value = KILN_TRY(lex.process_word(*def.value, expansion_env(s)));
    } else if (auto g = env.plan.meta_args.find(def.key); g != env.plan.meta_args.end()) {
      value = g->second;
    }
    std::erase_if(s.args, [&](const auto& kv) { return kv.first == def.key; });
    if (value) s.args.emplace_back(def.key, *value);
    by += (by.empty() ? "" : " ") + def.key + (value ? "=" + *value : "");
  }
  return "ARG " + by;
}

}  // namespace

Status apply_metadata(StageState& s, BuildEnv& env, const Command& cmd, const Lexer& lex) {
  if (auto* ob = std::get_if<Onbuild>(&cmd)) {
    auto& c = cc(s);
    if (!c.on_build) c.on_build = std::vector<std::string>{};
    c.on_build->push_back(ob->expression);
    // BuildKit adds no history entry for ONBUILD; the cache key still changes.
    s.key = chain_key(s.key, "ONBUILD " + ob->expression);
    return {};
  }
  std::optional<std::string> by;
  if (auto* a = std::get_if<Arg>(&cmd))
    by = KILN_TRY(declare_args(s, env, *a, lex));
  else if (by = KILN_TRY(set_config(s, cmd)); !by)
    by = KILN_TRY(set_commands(s, cmd));
  if (!by) return fail(Errc::internal, "not a metadata instruction");
  s.key = chain_key(s.key, *by);
  add_history(s, env, *by, std::nullopt, s.last_created);
  return {};
}

Result<FromRef> resolve_from(BuildEnv& env, const std::string& from) {
  auto stage = resolve_stage_ref(env.dockerfile, from);
  if (stage && *stage >= 0) {
    const auto& st = env.finished.at(static_cast<size_t>(*stage));
    if (!st) return failf(Errc::internal, "stage {:?} has not been built", from);
    return FromRef{st->layers, "stage " + st->key};
  }
  auto image = KILN_TRY_CTX(store::load_image(env.store, from), fmt::format("--from={}", from));
  return FromRef{KILN_TRY(store::layer_records(env.store, image)),
                 "image " + image.record.manifest_digest.str()};
}

namespace {

Result<bool> take_from_cache(StageState& s, BuildEnv& env, const std::string& key,
                             std::string created_by, int id) {
  if (env.opts.no_cache) return false;
  auto hit = KILN_TRY(env.store.metadata().cache(key));
  if (!hit) return false;
  std::optional<store::LayerRecord> layer;
  if (!hit->layer_digest.empty()) {
    auto d = Digest::parse(hit->layer_digest);
    if (!d || !env.store.has_blob(*d)) return false;
    layer = KILN_TRY(env.store.layer(*d));
    if (!layer) return false;
    env.lease.protect(*d);  // recorded before any step does real work (use_cache)
  }
  add_history(s, env, std::move(created_by), layer, hit->created);
  s.last_created = std::max(s.last_created, hit->created);
  s.key = key;
  env.used_keys.push_back(key);
  env.progress.cached(id);
  ++env.cached_steps;
  return true;
}

}  // namespace

Result<bool> use_cache(StageState& s, BuildEnv& env, const std::string& key, std::string created_by,
                       int id) {
  if (KILN_TRY(take_from_cache(s, env, key, std::move(created_by), id))) return true;
  // The step runs: the blobs the stage builds on must now be protected from a concurrent gc.
  KILN_TRY(env.lease.sync());
  return false;
}

Status record_step(StageState& s, BuildEnv& env, const std::string& key,
                   const std::optional<store::LayerRecord>& layer, std::string created_by) {
  int64_t now = store::now_seconds();
  add_history(s, env, std::move(created_by), layer, now);
  s.last_created = std::max(s.last_created, now);
  s.key = key;
  env.used_keys.push_back(key);
  if (layer && layer->digest.empty() && env.trees.jobs()) {
    // Its blob is still being made: the entry is written once it exists (LayerJobs::finish).
    env.trees.jobs()->defer_cache({key, "", now}, layer->diff_id);
    return {};
  }
  if (layer) KILN_TRY(env.store.metadata().put_layer(*layer));
  return env.store.metadata().put_cache({key, layer ? layer->digest.str() : "", now});
}

}  // namespace kiln::builder
