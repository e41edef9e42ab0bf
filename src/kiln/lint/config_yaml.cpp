#include <yaml-cpp/yaml.h>

#include "kiln/base/strings.hpp"
#include "kiln/lint/lint.hpp"

namespace kiln::lint {

namespace {

Status rule_setting(Config& cfg, const std::string& id, const std::string& value,
                    std::string_view where) {
  if (!find_rule(id))
    return failf(Errc::invalid_argument, "{}: unknown rule \"{}\" (kiln lint --list-rules)", where,
                 id);
  std::string v = to_lower(value);
  if (v == "off" || v == "false" || v == "ignore" || v == "disabled") {
    cfg.disabled.insert(id);
  } else if (v == "on" || v == "true" || v == "enabled") {
    cfg.enabled.insert(id);
    cfg.disabled.erase(id);
  } else if (auto s = parse_severity(v)) {
    cfg.severity[id] = *s;
    cfg.enabled.insert(id);
    cfg.disabled.erase(id);
  } else {
    return failf(Errc::invalid_argument,
                 "{}: rules.{}: \"{}\" is not off, on, info, warning or error", where, id, value);
  }
  return {};
}

Result<std::vector<std::string>> string_list(const YAML::Node& n, std::string_view where) {
  if (!n.IsSequence())
    return failf(Errc::invalid_argument, "{}: expected a list of strings", where);
  std::vector<std::string> out;
  for (const auto& e : n) {
    if (!e.IsScalar()) return failf(Errc::invalid_argument, "{}: expected a string", where);
    out.push_back(e.as<std::string>());
  }
  return out;
}

}  // namespace

Result<Config> parse_config(std::string_view yaml, std::string_view filename) {
  Config cfg;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return failf(Errc::invalid_argument, "{}:{}:{}: {}", filename, e.mark.line + 1,
                 e.mark.column + 1, e.msg);
  }
  if (root.IsNull()) return cfg;
  if (!root.IsMap())
    return failf(Errc::invalid_argument, "{}: expected a mapping at the top level", filename);
  try {
    for (const auto& kv : root) {
      std::string key = kv.first.as<std::string>();
      std::string where = fmt::format("{}: {}", filename, key);
      const YAML::Node& v = kv.second;
      if (key == "rules") {
        if (!v.IsMap())
          return failf(Errc::invalid_argument, "{}: expected RuleName: setting pairs", where);
        for (const auto& r : v)
          KILN_TRY(
              rule_setting(cfg, r.first.as<std::string>(), r.second.as<std::string>(), filename));
      } else if (key == "ignored") {
        for (const auto& id : KILN_TRY(string_list(v, where)))
          KILN_TRY(rule_setting(cfg, id, "off", filename));
      } else if (key == "trusted-registries" || key == "trustedRegistries") {
        cfg.trusted_registries = KILN_TRY(string_list(v, where));
      } else if (key == "shellcheck") {
        cfg.shellcheck = v.as<bool>();
      } else if (key == "failure-threshold") {
        auto s = parse_severity(v.as<std::string>());
        if (!s)
          return failf(Errc::invalid_argument, "{}: \"{}\" is not info, warning or error", where,
                       v.as<std::string>());
        cfg.failure_threshold = *s;
      } else {
        return failf(Errc::invalid_argument,
                     "{}: unknown key \"{}\" (want rules, ignored, trusted-registries, "
                     "shellcheck, failure-threshold)",
                     filename, key);
      }
    }
  } catch (const YAML::Exception& e) {
    return failf(Errc::invalid_argument, "{}:{}:{}: {}", filename, e.mark.line + 1,
                 e.mark.column + 1, e.msg);
  }
  return cfg;
}

}  // namespace kiln::lint
