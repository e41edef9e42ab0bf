#include <yaml-cpp/yaml.h>

#include <cmath>
#include <set>

#include "kiln/base/strings.hpp"
#include "kiln/lint/policy.hpp"

namespace kiln::lint {

Result<double> parse_fraction(std::string_view text) {
  std::string t(trim(text));
  bool pct = t.ends_with('%');
  if (pct) t.pop_back();
  double v = 0;
  try {
    size_t used = 0;
    v = std::stod(t, &used);
    if (used != t.size()) v = -1;
  } catch (const std::exception&) {
    v = -1;
  }
  if (!std::isfinite(v) || v < 0)
    return failf(Errc::invalid_argument, "\"{}\": want a percentage (10%) or a fraction (0.1)",
                 text);
  if (pct || v > 1) v /= 100;
  if (v > 1) return failf(Errc::invalid_argument, "\"{}\": more than 100%", text);
  return v;
}

Result<Policy> parse_policy(std::string_view yaml, std::string_view filename) {
  Policy p;
  YAML::Node root;
  auto err = [&](const YAML::Exception& e) {
    return failf(Errc::invalid_argument, "{}:{}:{}: {}", filename, e.mark.line + 1,
                 e.mark.column + 1, e.msg);
  };
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return err(e);
  }
  if (root.IsNull()) return p;
  if (!root.IsMap())
    return failf(Errc::invalid_argument, "{}: expected a mapping at the top level", filename);
  static const std::set<std::string> k_sev{"CRITICAL", "HIGH", "MEDIUM", "LOW"};
  try {
    auto list = [&](const YAML::Node& n,
                    const std::string& key) -> Result<std::vector<std::string>> {
      if (!n.IsSequence())
        return failf(Errc::invalid_argument, "{}: {}: expected a list", filename, key);
      std::vector<std::string> out;
      for (const auto& e : n) out.push_back(e.as<std::string>());
      return out;
    };
    for (const auto& kv : root) {
      std::string key = kv.first.as<std::string>();
      const YAML::Node& v = kv.second;
      auto where = [&](std::string_view what) {
        return Error(Errc::invalid_argument, fmt::format("{}: {}: {}", filename, key, what));
      };
      if (key == "lint") {
        std::string s = v.as<std::string>();
        if (to_lower(s) == "none" || to_lower(s) == "off") continue;
        auto sev = parse_severity(s);
        if (!sev)
          return std::unexpected(
              where(fmt::format("\"{}\" is not info, warning, error or none", s)));
        p.lint = *sev;
      } else if (key == "max-severity") {
        std::string s = v.as<std::string>();
        for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        if (!k_sev.contains(s))
          return std::unexpected(
              where(fmt::format("\"{}\" is not CRITICAL, HIGH, MEDIUM or LOW", s)));
        p.max_severity = s;
      } else if (key == "fixable-only") {
        p.fixable_only = v.as<bool>();
      } else if (key == "vulndb") {
        p.vulndb = v.as<std::string>();
      } else if (key == "secrets") {
        p.secrets = v.as<bool>();
      } else if (key == "root") {
        p.root = v.as<bool>();
      } else if (key == "max-waste" || key == "min-efficiency") {
        auto f = parse_fraction(v.as<std::string>());
        if (!f) return std::unexpected(where(f.error().message()));
        (key == "max-waste" ? p.max_waste : p.min_efficiency) = *f;
      } else if (key == "required-labels") {
        p.required_labels = KILN_TRY(list(v, key));
      } else if (key == "allowed-base-registries") {
        p.allowed_base_registries = KILN_TRY(list(v, key));
      } else {
        return failf(Errc::invalid_argument,
                     "{}: unknown key \"{}\" (want lint, max-severity, fixable-only, vulndb, "
                     "secrets, root, max-waste, min-efficiency, required-labels, "
                     "allowed-base-registries)",
                     filename, key);
      }
    }
  } catch (const YAML::Exception& e) {
    return err(e);
  }
  return p;
}

}  // namespace kiln::lint
