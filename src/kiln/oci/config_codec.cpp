// Image configuration (OCI config.md, plus Docker's Healthcheck, OnBuild and Shell).
#include "kiln/oci/codec.hpp"
#include "kiln/oci/json_util.hpp"

namespace kiln::oci {

using namespace detail;

namespace {

Result<HealthConfig> parse_health(const json& j, std::string_view path) {
  KILN_TRY(require_object(j, path));
  HealthConfig h;
  h.test = KILN_TRY(get_strings(j, path, "Test"));
  h.interval = KILN_TRY(get_int(j, path, "Interval", false));
  h.timeout = KILN_TRY(get_int(j, path, "Timeout", false));
  h.start_period = KILN_TRY(get_int(j, path, "StartPeriod", false));
  h.start_interval = KILN_TRY(get_int(j, path, "StartInterval", false));
  h.retries = static_cast<int>(KILN_TRY(get_int(j, path, "Retries", false)));
  h.extra =
      collect_extra(j, {"Test", "Interval", "Timeout", "StartPeriod", "StartInterval", "Retries"});
  return h;
}

ojson health_json(const HealthConfig& h) {
  ojson j = ojson::object();
  if (!h.test.empty()) j["Test"] = h.test;
  if (h.interval) j["Interval"] = h.interval;
  if (h.timeout) j["Timeout"] = h.timeout;
  if (h.start_period) j["StartPeriod"] = h.start_period;
  if (h.start_interval) j["StartInterval"] = h.start_interval;
  if (h.retries) j["Retries"] = h.retries;
  put_extra(j, h.extra);
  return j;
}

Result<ContainerConfig> parse_container_config(const json& j, std::string_view path) {
  KILN_TRY(require_object(j, path));
  ContainerConfig c;
  c.user = KILN_TRY(get_string(j, path, "User", false));
  c.exposed_ports = KILN_TRY(get_key_set(j, path, "ExposedPorts"));
  c.env = KILN_TRY(get_strings(j, path, "Env"));
  c.entrypoint = KILN_TRY(get_opt_strings(j, path, "Entrypoint"));
  c.cmd = KILN_TRY(get_opt_strings(j, path, "Cmd"));
  c.volumes = KILN_TRY(get_key_set(j, path, "Volumes"));
  c.working_dir = KILN_TRY(get_string(j, path, "WorkingDir", false));
  c.labels = KILN_TRY(get_string_map(j, path, "Labels"));
  c.stop_signal = KILN_TRY(get_string(j, path, "StopSignal", false));
  c.args_escaped = KILN_TRY(get_bool(j, path, "ArgsEscaped"));
  if (j.contains("Healthcheck") && !j["Healthcheck"].is_null())
    c.healthcheck = KILN_TRY(parse_health(j["Healthcheck"], member_path(path, "Healthcheck")));
  c.on_build = KILN_TRY(get_opt_strings(j, path, "OnBuild"));
  c.shell = KILN_TRY(get_opt_strings(j, path, "Shell"));
  c.extra =
      collect_extra(j, {"User", "ExposedPorts", "Env", "Entrypoint", "Cmd", "Volumes", "WorkingDir",
                        "Labels", "StopSignal", "ArgsEscaped", "Healthcheck", "OnBuild", "Shell"});
  return c;
}

ojson key_set_json(const std::vector<std::string>& keys) {
  ojson j = ojson::object();
  for (const auto& k : keys) j[k] = ojson::object();
  return j;
}

ojson container_config_json(const ContainerConfig& c) {
  ojson j = ojson::object();
  if (!c.user.empty()) j["User"] = c.user;
  if (!c.exposed_ports.empty()) j["ExposedPorts"] = key_set_json(c.exposed_ports);
  if (!c.env.empty()) j["Env"] = c.env;
  if (c.entrypoint) j["Entrypoint"] = *c.entrypoint;
  if (c.cmd) j["Cmd"] = *c.cmd;
  if (!c.volumes.empty()) j["Volumes"] = key_set_json(c.volumes);
  if (!c.working_dir.empty()) j["WorkingDir"] = c.working_dir;
  if (!c.labels.empty()) j["Labels"] = c.labels;
  if (!c.stop_signal.empty()) j["StopSignal"] = c.stop_signal;
  if (c.args_escaped) j["ArgsEscaped"] = true;
  if (c.healthcheck) j["Healthcheck"] = health_json(*c.healthcheck);
  if (c.on_build) j["OnBuild"] = *c.on_build;
  if (c.shell) j["Shell"] = *c.shell;
  put_extra(j, c.extra);
  return j;
}

Result<History> parse_history(const json& j, std::string_view path) {
  KILN_TRY(require_object(j, path));
  History h;
  h.created = KILN_TRY(get_string(j, path, "created", false));
  h.created_by = KILN_TRY(get_string(j, path, "created_by", false));
  h.author = KILN_TRY(get_string(j, path, "author", false));
  h.comment = KILN_TRY(get_string(j, path, "comment", false));
  h.empty_layer = KILN_TRY(get_bool(j, path, "empty_layer"));
  h.extra = collect_extra(j, {"created", "created_by", "author", "comment", "empty_layer"});
  return h;
}

ojson history_json(const History& h) {
  ojson j = ojson::object();
  if (!h.created.empty()) j["created"] = h.created;
  if (!h.created_by.empty()) j["created_by"] = h.created_by;
  if (!h.author.empty()) j["author"] = h.author;
  if (!h.comment.empty()) j["comment"] = h.comment;
  if (h.empty_layer) j["empty_layer"] = true;
  put_extra(j, h.extra);
  return j;
}

Result<RootFs> parse_rootfs(const json& j, std::string_view path) {
  KILN_TRY(require_object(j, path));
  RootFs r;
  r.type = KILN_TRY(get_string(j, path, "type", true));
  if (r.type != "layers")
    return failf(Errc::invalid_argument, "{}.type: must be \"layers\", got \"{}\"", path, r.type);
  auto it = j.find("diff_ids");
  if (it == j.end() || !it->is_array())
    return failf(Errc::invalid_argument, "{}.diff_ids: missing or not an array", path);
  for (size_t i = 0; i < it->size(); ++i) {
    const auto& v = (*it)[i];
    std::string p = fmt::format("{}.diff_ids[{}]", path, i);
    if (!v.is_string()) return failf(Errc::invalid_argument, "{}: must be a string", p);
    r.diff_ids.push_back(KILN_TRY(with_context(Digest::parse(v.get<std::string>()), p)));
  }
  r.extra = collect_extra(j, {"type", "diff_ids"});
  return r;
}

}  // namespace

Platform ImageConfig::platform() const {
  Platform p;
  p.architecture = architecture;
  p.os = os;
  p.os_version = os_version;
  p.os_features = os_features;
  p.variant = variant;
  return p;
}

Result<ImageConfig> parse_config(std::string_view text) {
  const std::string_view what = "config";
  auto j = KILN_TRY(parse_json(text, what));
  KILN_TRY(require_object(j, what));
  ImageConfig c;
  c.created = KILN_TRY(get_string(j, what, "created", false));
  c.author = KILN_TRY(get_string(j, what, "author", false));
  c.architecture = KILN_TRY(get_string(j, what, "architecture", true));
  c.os = KILN_TRY(get_string(j, what, "os", true));
  c.os_version = KILN_TRY(get_string(j, what, "os.version", false));
  c.os_features = KILN_TRY(get_strings(j, what, "os.features"));
  c.variant = KILN_TRY(get_string(j, what, "variant", false));
  if (j.contains("config") && !j["config"].is_null())
    c.config = KILN_TRY(parse_container_config(j["config"], "config.config"));
  if (!j.contains("rootfs")) return fail(Errc::invalid_argument, "config.rootfs: missing");
  c.rootfs = KILN_TRY(parse_rootfs(j["rootfs"], "config.rootfs"));
  if (j.contains("history") && !j["history"].is_null()) {
    if (!j["history"].is_array())
      return fail(Errc::invalid_argument, "config.history: must be an array");
    for (size_t i = 0; i < j["history"].size(); ++i)
      c.history.push_back(
          KILN_TRY(parse_history(j["history"][i], fmt::format("config.history[{}]", i))));
  }
  c.extra = collect_extra(j, {"created", "author", "architecture", "os", "os.version",
                              "os.features", "variant", "config", "rootfs", "history"});
  return c;
}

std::string serialize(const ImageConfig& c) {
  ojson j = ojson::object();
  if (!c.created.empty()) j["created"] = c.created;
  if (!c.author.empty()) j["author"] = c.author;
  j["architecture"] = c.architecture;
  j["os"] = c.os;
  if (!c.os_version.empty()) j["os.version"] = c.os_version;
  if (!c.os_features.empty()) j["os.features"] = c.os_features;
  if (!c.variant.empty()) j["variant"] = c.variant;
  if (c.config) j["config"] = container_config_json(*c.config);
  ojson rootfs = ojson::object();
  rootfs["type"] = c.rootfs.type;
  rootfs["diff_ids"] = ojson::array();
  for (const auto& d : c.rootfs.diff_ids) rootfs["diff_ids"].push_back(d.str());
  put_extra(rootfs, c.rootfs.extra);
  j["rootfs"] = rootfs;
  if (!c.history.empty()) {
    j["history"] = ojson::array();
    for (const auto& h : c.history) j["history"].push_back(history_json(h));
  }
  put_extra(j, c.extra);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace kiln::oci
