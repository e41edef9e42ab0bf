#include "kiln/scan/osv_json.hpp"

#include <nlohmann/json.hpp>

#include "kiln/base/json_depth.hpp"

namespace kiln::scan {

namespace {

using json = nlohmann::json;

std::vector<std::string> strings(const json& j, const char* key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const auto& v : *it)
    if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

// The severity an ecosystem puts beside a package (GitHub: database_specific.severity;
// Ubuntu, Debian: ecosystem_specific.urgency / severity).
std::string side_severity(const json& j) {
  for (const char* where : {"ecosystem_specific", "database_specific"}) {
    auto it = j.find(where);
    if (it == j.end() || !it->is_object()) continue;
    for (const char* key : {"severity", "urgency"})
      if (auto s = json_string_or(*it, key); !s.empty()) return s;
  }
  return "";
}

Result<OsvRange> parse_range(const json& r, size_t i) {
  if (!r.is_object()) return failf(Errc::corrupt, "affected range {} is not an object", i);
  OsvRange out;
  out.type = json_string_or(r, "type");
  auto ev = r.find("events");
  if (ev == r.end() || !ev->is_array())
    return failf(Errc::corrupt, "affected range {} has no events", i);
  static const std::pair<const char*, OsvEvent::Kind> kinds[] = {
      {"introduced", OsvEvent::introduced},
      {"fixed", OsvEvent::fixed},
      {"last_affected", OsvEvent::last_affected},
      {"limit", OsvEvent::limit}};
  for (const auto& e : *ev) {
    bool found = false;
    for (const auto& [key, kind] : kinds) {
      auto v = json_member<std::string>(e, key);
      if (!v) continue;
      if (v->empty() || v->find_first_of("\t\n") != std::string::npos)
        return failf(Errc::corrupt, "affected range {}: {} version \"{}\" is not a version", i, key,
                     *v);
      out.events.push_back({kind, *v});
      found = true;
      break;
    }
    if (!found)
      return failf(Errc::corrupt,
                   "affected range {}: an event names none of introduced, fixed, "
                   "last_affected, limit",
                   i);
  }
  return out;
}

Result<OsvAffected> parse_affected(const json& a, size_t i) {
  OsvAffected out;
  auto pkg = a.find("package");
  if (!a.is_object() || pkg == a.end() || !pkg->is_object())
    return failf(Errc::corrupt, "affected entry {} has no package", i);
  out.ecosystem = json_string_or(*pkg, "ecosystem");
  out.name = json_string_or(*pkg, "name");
  if (out.ecosystem.empty() || out.name.empty())
    return failf(Errc::corrupt, "affected entry {}: package without ecosystem or name", i);
  if (auto r = a.find("ranges"); r != a.end() && r->is_array())
    for (size_t k = 0; k < r->size(); ++k)
      out.ranges.push_back(
          KILN_TRY_CTX(parse_range((*r)[k], k), fmt::format("{} {}", out.ecosystem, out.name)));
  out.versions = strings(a, "versions");
  out.severity = side_severity(a);
  return out;
}

std::string reference_url(const json& j) {
  auto refs = j.find("references");
  if (refs == j.end() || !refs->is_array() || refs->empty()) return "";
  for (const auto& r : *refs)
    if (json_string_or(r, "type") == "ADVISORY") return json_string_or(r, "url");
  return json_string_or(refs->front(), "url");
}

}  // namespace

Result<Advisory> parse_osv(std::string_view text) {
  auto j = parse_json_or_discarded<json>(text);
  if (j.is_discarded()) return fail(Errc::corrupt, "not a JSON document");
  if (!j.is_object()) return fail(Errc::corrupt, "not a JSON object");
  Advisory a;
  a.id = json_string_or(j, "id");
  if (a.id.empty()) return fail(Errc::corrupt, "no \"id\"");
  a.summary = json_string_or(j, "summary");
  a.published = json_string_or(j, "published");
  a.modified = json_string_or(j, "modified");
  a.withdrawn = json_string_or(j, "withdrawn");
  a.aliases = strings(j, "aliases");
  a.upstream = strings(j, "upstream");
  if (auto s = j.find("severity"); s != j.end() && s->is_array())
    for (const auto& v : *s) {
      OsvSeverity sev{json_string_or(v, "type"), json_string_or(v, "score")};
      if (!sev.type.empty() && !sev.score.empty()) a.severity.push_back(std::move(sev));
    }
  a.db_severity = side_severity(j);
  a.url = reference_url(j);
  if (auto af = j.find("affected"); af != j.end()) {
    if (!af->is_array()) return fail(Errc::corrupt, "\"affected\" is not an array");
    for (size_t i = 0; i < af->size(); ++i)
      a.affected.push_back(KILN_TRY(parse_affected((*af)[i], i)));
  }
  return a;
}

}  // namespace kiln::scan
