#include "kiln/scan/match.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "kiln/scan/version.hpp"

namespace kiln::scan {

namespace {

using Compare = std::optional<int> (*)(std::string_view, std::string_view);

std::optional<int> deb(std::string_view a, std::string_view b) {
  return compare_deb(a, b);
}
std::optional<int> apk(std::string_view a, std::string_view b) {
  return compare_apk(a, b);
}
std::optional<int> rpm(std::string_view a, std::string_view b) {
  return compare_rpm(a, b);
}

Compare comparator(std::string_view ecosystem) {
  std::string_view family = ecosystem.substr(0, ecosystem.find(':'));
  if (family == "Debian" || family == "Ubuntu") return deb;
  if (family == "Alpine" || family == "Wolfi" || family == "Chainguard") return apk;
  if (family == "Red Hat" || family == "AlmaLinux" || family == "Rocky Linux" ||
      family == "openSUSE" || family == "SUSE" || family == "Mageia" || family == "openEuler" ||
      family == "Azure Linux")
    return rpm;
  if (family == "Maven") return compare_maven;
  if (family == "RubyGems") return compare_gem;
  if (family == "PyPI") return compare_pep440;
  // Go modules' versions are SemVer with a "v" (pseudo-versions are prereleases and
  // "+incompatible" is build metadata); the Go database writes them without it.
  if (family == "npm" || family == "crates.io" || family == "Go") return compare_semver;
  return nullptr;
}

bool orderable(Compare cmp, std::string_view v) {
  return cmp(v, v).has_value();
}

bool in_range(Compare cmp, std::string_view v, const OsvRange& r, std::string* fixed) {
  if (r.type != "ECOSYSTEM" && r.type != "SEMVER") return false;
  std::vector<const OsvEvent*> ev;
  std::vector<const OsvEvent*> limits;
  for (const auto& e : r.events) {
    bool zero = e.kind == OsvEvent::introduced && e.version == "0";
    bool star = e.kind == OsvEvent::limit && e.version == "*";
    // A range with a version the ecosystem cannot order tells nothing: it does not match.
    if (!zero && !star && !orderable(cmp, e.version)) return false;
    (e.kind == OsvEvent::limit ? limits : ev).push_back(&e);
  }
  auto c = [cmp](std::string_view a, std::string_view b) { return cmp(a, b).value_or(0); };
  // "0" as introduced is below every version; for equal versions, introduced comes first and
  // last_affected last (it closes the range just above its version).
  std::stable_sort(ev.begin(), ev.end(), [&c](const OsvEvent* a, const OsvEvent* b) {
    bool za = a->kind == OsvEvent::introduced && a->version == "0";
    bool zb = b->kind == OsvEvent::introduced && b->version == "0";
    if (za || zb) return za && !zb;
    int r = c(a->version, b->version);
    if (r != 0) return r < 0;
    return a->kind < b->kind;
  });
  bool affected = false;
  size_t last = ev.size();
  for (size_t i = 0; i < ev.size(); ++i) {
    const OsvEvent& e = *ev[i];
    bool applies = false;
    if (e.kind == OsvEvent::introduced)
      applies = e.version == "0" || c(v, e.version) >= 0;
    else if (e.kind == OsvEvent::fixed)
      applies = c(v, e.version) >= 0;
    else
      applies = c(v, e.version) > 0;
    if (!applies) continue;
    affected = e.kind == OsvEvent::introduced;
    last = i;
  }
  if (affected && !limits.empty()) {
    bool below = std::any_of(limits.begin(), limits.end(), [&](const OsvEvent* l) {
      return l->version == "*" || c(v, l->version) < 0;
    });
    if (!below) affected = false;
  }
  if (affected && fixed)
    for (size_t i = last + 1; i < ev.size(); ++i)
      if (ev[i]->kind == OsvEvent::fixed) {
        if (fixed->empty() || c(ev[i]->version, *fixed) < 0) *fixed = ev[i]->version;
        break;
      }
  return affected;
}

// The first `parts` dot-separated components: ("3.19.1", 2) -> "3.19".
std::string leading_components(std::string_view v, int parts) {
  size_t end = 0;
  for (int i = 0; i < parts; ++i) {
    end = v.find('.', i == 0 ? 0 : end + 1);
    if (end == std::string_view::npos) return std::string(v);
  }
  return std::string(v.substr(0, end));
}

// Union-find over advisory IDs and aliases, per package.
struct Groups {
  std::map<std::string, std::string> parent;
  std::string find(const std::string& x) {
    auto it = parent.find(x);
    if (it == parent.end()) {
      parent[x] = x;
      return x;
    }
    if (it->second == x) return x;
    std::string root = find(it->second);
    parent[x] = root;
    return root;
  }
  void unite(const std::string& a, const std::string& b) {
    auto ra = find(a), rb = find(b);
    if (ra != rb) parent[ra] = rb;
  }
};

void merge_into(Finding& f, const StoredAdvisory& a, const std::string& fixed,
                const std::string& entry_severity) {
  std::string sev = a.severity;
  if (severity_rank(sev) == 0 && severity_rank(entry_severity) > 0) sev = entry_severity;
  if (severity_rank(sev) > severity_rank(f.severity) ||
      (a.score_tenths > f.score_tenths && severity_rank(sev) >= severity_rank(f.severity))) {
    f.severity = sev;
    f.score_tenths = a.score_tenths;
    f.cvss_vector = a.cvss_vector;
  }
  if (f.summary.empty()) f.summary = a.summary;
  if (f.url.empty()) f.url = a.url;
  if (!fixed.empty()) {
    auto cmp = comparator(f.ecosystem);
    if (f.fixed.empty() || (cmp && cmp(fixed, f.fixed).value_or(0) > 0)) f.fixed = fixed;
  }
}

std::string primary_id(const std::vector<std::string>& ids) {
  for (const auto& id : ids)
    if (id.starts_with("CVE-")) return id;
  return ids.empty() ? "" : ids.front();
}

}  // namespace

std::string pypi_normalise(std::string_view name) {
  std::string out;
  bool sep = false;
  for (char ch : name) {
    if (ch == '-' || ch == '_' || ch == '.') {
      sep = true;
      continue;
    }
    if (sep && !out.empty()) out += '-';
    sep = false;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  return out;
}

int severity_rank(std::string_view s) {
  if (s == "CRITICAL") return 4;
  if (s == "HIGH") return 3;
  if (s == "MEDIUM") return 2;
  if (s == "LOW") return 1;
  return 0;
}

std::optional<int> compare_versions(std::string_view ecosystem, std::string_view a,
                                    std::string_view b) {
  auto cmp = comparator(ecosystem);
  if (!cmp) return std::nullopt;
  return cmp(a, b);
}

bool is_affected(std::string_view ecosystem, std::string_view version,
                 const std::vector<OsvRange>& ranges, const std::vector<std::string>& versions,
                 std::string* fixed) {
  auto cmp = comparator(ecosystem);
  if (!cmp) return false;
  bool affected = false;
  for (const auto& v : versions)
    if (v == version || cmp(v, version) == std::optional<int>(0)) affected = true;
  // A version the ecosystem cannot order matches only by name in a versions list.
  if (!orderable(cmp, version)) return affected;
  for (const auto& r : ranges)
    if (in_range(cmp, version, r, fixed)) affected = true;
  return affected;
}

namespace {

// openEuler's ecosystems carry the release's kind: VERSION "22.03 (LTS-SP3)" is
// "openEuler:22.03-LTS-SP3", "24.03 (LTS)" "openEuler:24.03-LTS".
std::string openeuler_release(const Distro& d) {
  auto open = d.version.find('('), close = d.version.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return d.version_id;
  return d.version_id + "-" + d.version.substr(open + 1, close - open - 1);
}

// The OSV ecosystems of a distribution's packages of one type; empty when OSV has none or
// the release is unknown.
std::vector<std::string> distro_ecosystems(std::string_view type, const Distro& d) {
  const std::string& v = d.version_id;
  std::string major = leading_components(v, 1);
  if (type == "apk" && d.id == "wolfi") return {"Wolfi"};  // rolling: no release
  if (type == "apk" && d.id == "chainguard") return {"Chainguard"};
  if (type == "rpm" && d.id == "opensuse-tumbleweed") return {"openSUSE:Tumbleweed"};
  if (v.empty()) return {};
  if (type == "deb" && d.id == "debian") return {"Debian:" + major};
  if (type == "deb" && d.id == "ubuntu") return {"Ubuntu:" + v, "Ubuntu:" + v + ":LTS"};
  if (type == "apk" && d.id == "alpine") return {"Alpine:v" + leading_components(v, 2)};
  if (type != "rpm") return {};
  if (d.id == "almalinux") return {"AlmaLinux:" + major};
  if (d.id == "rocky") return {"Rocky Linux:" + major};
  if (d.id == "rhel") {  // one ecosystem per repository; the rpm database does not say which
    std::string base = "Red Hat:enterprise_linux:" + major + "::";
    return {base + "baseos", base + "appstream", base + "crb"};
  }
  if (d.id == "opensuse-leap") return {"openSUSE:Leap " + v, "openSUSE:Leap " + v + " NonFree"};
  if (d.id == "mageia") return {"Mageia:" + major};
  if (d.id == "openEuler" || d.id == "openeuler") return {"openEuler:" + openeuler_release(d)};
  if (d.id == "azurelinux") return {"Azure Linux:" + major};
  return {};  // Fedora, SUSE Linux Enterprise (per module), Amazon Linux, Oracle Linux...
}

}  // namespace

std::optional<EcosystemName> ecosystem_of(const Package& p, const std::optional<Distro>& d) {
  EcosystemName out;
  if (p.type == "golang") {
    out.ecosystems = {"Go"};
    out.name = p.name;
    out.version = p.version;
    return out;
  }
  // Language packages: the purl type's OSV ecosystem.
  static const std::map<std::string, std::string, std::less<>> language = {{"pypi", "PyPI"},
                                                                           {"npm", "npm"},
                                                                           {"maven", "Maven"},
                                                                           {"gem", "RubyGems"},
                                                                           {"cargo", "crates.io"}};
  if (auto it = language.find(p.type); it != language.end()) {
    out.ecosystems = {it->second};
    out.name = p.type == "pypi" ? pypi_normalise(p.name) : p.name;
    out.version = p.version;
    return out;
  }
  if (!d) return std::nullopt;
  out.ecosystems = distro_ecosystems(p.type, *d);
  if (out.ecosystems.empty()) return std::nullopt;
  out.name = p.source_name.empty() ? p.name : p.source_name;
  out.version = p.source_version.empty() ? p.version : p.source_version;
  return out;
}

Result<MatchResult> match(VulnDb& db, const Catalog& cat) {
  MatchResult out;
  std::set<std::string> unsupported;
  for (size_t pi = 0; pi < cat.packages.size(); ++pi) {
    const Package& p = cat.packages[pi];
    // A crate from a git repository or a local path is not the registry's crate of that name.
    if (p.origin == "git" || p.origin == "local") continue;
    auto eco = ecosystem_of(p, cat.distro);
    if (!eco) {
      unsupported.insert(cat.distro ? cat.distro->id + " " + cat.distro->version_id + " " + p.type
                                    : p.type + " (no os-release)");
      continue;
    }
    struct Hit {
      int64_t row;
      std::string fixed, severity, ecosystem;
    };
    std::vector<Hit> hits;
    for (const auto& e : eco->ecosystems)
      for (auto& af : KILN_TRY(db.affected(e, eco->name))) {
        std::string fixed;
        if (!is_affected(e, eco->version, af.ranges, af.versions, &fixed)) continue;
        hits.push_back({af.advisory, fixed, af.severity, e});
      }
    if (hits.empty()) continue;
    Groups groups;
    std::vector<std::pair<Hit, StoredAdvisory>> live;
    for (auto& h : hits) {
      auto a = KILN_TRY(db.advisory(h.row));
      if (!a.withdrawn.empty()) continue;
      groups.find(a.id);
      for (const auto& al : a.aliases)
        if (!al.empty()) groups.unite(a.id, al);
      // A distro advisory about one upstream CVE is that CVE (Alpine's ALPINE-CVE-…).
      if (a.upstream.size() == 1 && !a.upstream[0].empty()) groups.unite(a.id, a.upstream[0]);
      live.emplace_back(h, std::move(a));
    }
    std::map<std::string, Finding> by_group;
    for (auto& [h, a] : live) {
      Finding& f = by_group[groups.find(a.id)];
      if (f.ids.empty()) {
        f.package = pi;
        f.ecosystem = h.ecosystem;
        f.name = eco->name;
        f.installed = eco->version;
      }
      f.ids.push_back(a.id);
      for (const auto& al : a.aliases)
        if (!al.empty()) f.ids.push_back(al);
      for (const auto& up : a.upstream)
        if (!up.empty()) (a.upstream.size() == 1 ? f.ids : f.related).push_back(up);
      merge_into(f, a, h.fixed, h.severity);
    }
    for (auto& [_, f] : by_group) {
      for (auto* v : {&f.ids, &f.related}) {
        std::sort(v->begin(), v->end());
        v->erase(std::unique(v->begin(), v->end()), v->end());
      }
      f.id = primary_id(f.ids);
      out.findings.push_back(std::move(f));
    }
  }
  for (const auto& u : unsupported)
    out.warnings.push_back(fmt::format("{}: no advisory ecosystem known; packages not matched", u));
  std::stable_sort(out.findings.begin(), out.findings.end(),
                   [&](const Finding& a, const Finding& b) {
                     int ra = severity_rank(a.severity), rb = severity_rank(b.severity);
                     if (ra != rb) return ra > rb;
                     const auto& pa = cat.packages[a.package].name;
                     const auto& pb = cat.packages[b.package].name;
                     if (pa != pb) return pa < pb;
                     return a.id < b.id;
                   });
  return out;
}

}  // namespace kiln::scan
