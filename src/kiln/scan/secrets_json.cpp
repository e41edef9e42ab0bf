#include "kiln/scan/secrets_json.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "kiln/base/json_depth.hpp"

namespace kiln::scan {

namespace {

using json = nlohmann::json;

Result<SecretRule> parse_rule(const json& j, size_t i) {
  if (!j.is_object()) return failf(Errc::invalid_argument, "rules[{}] is not an object", i);
  SecretRule r;
  r.id = json_string_or(j, "id");
  r.title = json_string_or(j, "title", r.id);
  r.severity = json_string_or(j, "severity", "HIGH");
  for (auto& c : r.severity) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (r.severity != "CRITICAL" && r.severity != "HIGH" && r.severity != "MEDIUM" &&
      r.severity != "LOW")
    return failf(Errc::invalid_argument,
                 "rules[{}] ({}): severity \"{}\" is not CRITICAL, HIGH, "
                 "MEDIUM or LOW",
                 i, r.id, r.severity);
  r.regex = json_string_or(j, "regex");
  if (r.regex.empty()) return failf(Errc::invalid_argument, "rules[{}] ({}): no regex", i, r.id);
  if (auto k = j.find("keywords"); k != j.end() && k->is_array())
    for (const auto& w : *k)
      if (w.is_string() && !w.get<std::string>().empty())
        r.keywords.push_back(w.get<std::string>());
  r.group = json_member<int>(j, "group").value_or(0);
  r.icase = json_member<bool>(j, "icase").value_or(false);
  if (auto e = j.find("minEntropy"); e != j.end() && e->is_number())
    r.min_entropy = e->get<double>();
  KILN_TRY_CTX(compile(r), fmt::format("rules[{}]", i));
  return r;
}

}  // namespace

Result<std::vector<SecretRule>> apply_secret_config(std::string_view text,
                                                    std::vector<SecretRule> rules) {
  auto j = parse_json_or_discarded<json>(text);
  if (j.is_discarded() || !j.is_object()) return fail(Errc::invalid_argument, "not a JSON object");
  if (auto d = j.find("disable"); d != j.end()) {
    if (!d->is_array()) return fail(Errc::invalid_argument, "\"disable\" is not an array");
    for (const auto& id : *d) {
      std::string s = id.is_string() ? id.get<std::string>() : "";
      auto it = std::find_if(rules.begin(), rules.end(), [&](const auto& r) { return r.id == s; });
      if (it == rules.end()) return failf(Errc::invalid_argument, "disable: no rule \"{}\"", s);
      rules.erase(it);
    }
  }
  if (auto rs = j.find("rules"); rs != j.end()) {
    if (!rs->is_array()) return fail(Errc::invalid_argument, "\"rules\" is not an array");
    for (size_t i = 0; i < rs->size(); ++i) {
      auto r = KILN_TRY(parse_rule((*rs)[i], i));
      std::erase_if(rules, [&](const auto& x) { return x.id == r.id; });
      rules.push_back(std::move(r));
    }
  }
  return rules;
}

}  // namespace kiln::scan
