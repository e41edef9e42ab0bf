#include "kiln/base/json_depth.hpp"
#include "kiln/cli/image_views.hpp"

#include <nlohmann/json.hpp>

#include "kiln/oci/reference.hpp"

namespace kiln::cli {

namespace {

using ojson = nlohmann::ordered_json;

ojson strings_or_null(const std::optional<std::vector<std::string>>& v) {
  if (!v) return nullptr;
  return *v;
}

ojson key_set_or_null(const std::vector<std::string>& keys) {
  if (keys.empty()) return nullptr;
  ojson j = ojson::object();
  for (const auto& k : keys) j[k] = ojson::object();
  return j;
}

ojson container_config(const oci::ContainerConfig& c) {
  ojson j = ojson::object();
  j["Hostname"] = "";
  j["Domainname"] = "";
  j["User"] = c.user;
  j["AttachStdin"] = false;
  j["AttachStdout"] = false;
  j["AttachStderr"] = false;
  if (!c.exposed_ports.empty()) j["ExposedPorts"] = key_set_or_null(c.exposed_ports);
  j["Tty"] = false;
  j["OpenStdin"] = false;
  j["StdinOnce"] = false;
  j["Env"] = c.env.empty() ? ojson(nullptr) : ojson(c.env);
  j["Cmd"] = strings_or_null(c.cmd);
  if (c.healthcheck) {
    ojson h = ojson::object();
    h["Test"] = c.healthcheck->test;
    if (c.healthcheck->interval) h["Interval"] = c.healthcheck->interval;
    if (c.healthcheck->timeout) h["Timeout"] = c.healthcheck->timeout;
    if (c.healthcheck->start_period) h["StartPeriod"] = c.healthcheck->start_period;
    if (c.healthcheck->start_interval) h["StartInterval"] = c.healthcheck->start_interval;
    if (c.healthcheck->retries) h["Retries"] = c.healthcheck->retries;
    j["Healthcheck"] = h;
  }
  if (c.args_escaped) j["ArgsEscaped"] = true;
  j["Image"] = "";
  j["Volumes"] = key_set_or_null(c.volumes);
  j["WorkingDir"] = c.working_dir;
  j["Entrypoint"] = strings_or_null(c.entrypoint);
  j["OnBuild"] = strings_or_null(c.on_build);
  j["Labels"] = c.labels.empty() ? ojson(nullptr) : ojson(c.labels);
  if (!c.stop_signal.empty()) j["StopSignal"] = c.stop_signal;
  if (c.shell) j["Shell"] = *c.shell;
  return j;
}

}  // namespace

std::string inspect_json(const store::ImageView& v) {
  ojson j = ojson::object();
  j["Id"] = v.record.config_digest.str();
  ojson tags = ojson::array(), digests = ojson::array();
  std::vector<std::string> repos;
  for (const auto& n : v.record.names) {
    auto r = oci::Reference::parse(n, false);
    if (!r) continue;
    if (!r->tag.empty()) tags.push_back(r->familiar_name() + ":" + r->tag);
    std::string repo = r->familiar_name();
    if (std::find(repos.begin(), repos.end(), repo) == repos.end()) repos.push_back(repo);
  }
  for (const auto& repo : repos) digests.push_back(repo + "@" + v.record.manifest_digest.str());
  j["RepoTags"] = tags;
  j["RepoDigests"] = digests;
  j["Parent"] = "";
  std::string comment;
  if (auto it = v.config.extra.find("comment"); it != v.config.extra.end()) {
    // Raw JSON kept from the config, which may give any type: only a string is a comment.
    auto c = parse_json_or_discarded<nlohmann::json>(it->second);
    if (c.is_string()) comment = c.get<std::string>();
  } else if (!v.config.history.empty())
    comment = v.config.history.back().comment;
  j["Comment"] = comment;
  j["Created"] = v.config.created;
  j["Author"] = v.config.author;
  j["Config"] = container_config(v.config.config.value_or(oci::ContainerConfig{}));
  j["Architecture"] = v.config.architecture;
  if (!v.config.variant.empty()) j["Variant"] = v.config.variant;
  j["Os"] = v.config.os;
  if (!v.config.os_version.empty()) j["OsVersion"] = v.config.os_version;
  j["Size"] = v.record.size;
  j["RootFS"] = {{"Type", v.config.rootfs.type}, {"Layers", ojson::array()}};
  for (const auto& d : v.config.rootfs.diff_ids) j["RootFS"]["Layers"].push_back(d.str());
  j["Descriptor"] = {{"mediaType", v.record.media_type},
                     {"digest", v.record.manifest_digest.str()},
                     {"size", v.raw_manifest.size()}};
  return j.dump(4, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace kiln::cli
