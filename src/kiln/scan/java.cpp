#include "kiln/scan/java.hpp"

#include <fmt/format.h>

#include <cctype>
#include <map>
#include <optional>

#include "kiln/archive/tar.hpp"
#include "kiln/base/strings.hpp"

namespace kiln::scan {

namespace {

constexpr int64_t k_max_properties_bytes = 64 << 10;
constexpr int64_t k_max_manifest_bytes = 1 << 20;

struct State {
  const JavaLimits& limits;
  std::vector<std::string>& warnings;
  std::vector<JavaArtifact> out;
  int64_t bytes = 0, members = 0;
  std::optional<Error> source_error;  // the layer stream itself failed: an error, not a warning
  bool over = false;                  // a limit was reached: stop reading, warn once
};

// The archive's own stream: remembers its failure.
class SourceReader final : public io::Reader {
 public:
  SourceReader(io::Reader& src, State& st) : m_src(src), m_st(st) {}
  Result<size_t> read(void* buf, size_t size) override {
    auto n = m_src.read(buf, size);
    if (!n) m_st.source_error = n.error();
    return n;
  }

 private:
  io::Reader& m_src;
  State& m_st;
};

// A nested archive's bytes (decompressed from its parent): counted against the budget.
class BudgetReader final : public io::Reader {
 public:
  BudgetReader(io::Reader& src, State& st) : m_src(src), m_st(st) {}
  Result<size_t> read(void* buf, size_t size) override {
    size_t n = KILN_TRY(m_src.read(buf, size));
    m_st.bytes += static_cast<int64_t>(n);
    if (m_st.bytes > m_st.limits.max_bytes) {
      m_st.over = true;
      return failf(Errc::unsupported, "over {} decompressed bytes", m_st.limits.max_bytes);
    }
    return n;
  }

 private:
  io::Reader& m_src;
  State& m_st;
};

std::string printable(std::string_view s) {
  std::string out;
  for (char c : s) out += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c;
  while (out.starts_with('/')) out.erase(0, 1);
  return out;
}

// META-INF/maven/GROUP/ARTIFACT/pom.properties
bool is_pom_properties(std::string_view name) {
  if (!name.starts_with("META-INF/maven/") || !name.ends_with("/pom.properties")) return false;
  auto parts = split(name, '/');
  return parts.size() == 5 && !parts[2].empty() && !parts[3].empty();
}

// Java properties: key=value, key: value or "key value"; # and ! start comments.
std::map<std::string, std::string> parse_properties(std::string_view text) {
  std::map<std::string, std::string> out;
  for (auto line : split(text, '\n')) {
    std::string_view l = trim(line);
    if (l.empty() || l.front() == '#' || l.front() == '!') continue;
    auto sep = l.find_first_of("=: \t");
    if (sep == std::string_view::npos) continue;
    std::string_view key = l.substr(0, sep), value = trim(l.substr(sep + 1));
    if (!value.empty() && (value.front() == '=' || value.front() == ':'))
      value = trim(value.substr(1));
    out.emplace(std::string(key), std::string(value));
  }
  return out;
}

// MANIFEST.MF's main section: "Name: value" lines, a line starting with one space continues
// the previous value; a blank line ends the section.
std::map<std::string, std::string> parse_manifest(std::string_view text) {
  std::map<std::string, std::string> out;
  std::string* last = nullptr;
  for (auto raw : split(text, '\n')) {
    std::string_view line = raw;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;
    if (line.front() == ' ') {
      if (last) *last += line.substr(1);
      continue;
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos) {
      last = nullptr;
      continue;
    }
    auto [it, added] =
        out.emplace(std::string(line.substr(0, colon)), std::string(trim(line.substr(colon + 1))));
    last = added ? &it->second : nullptr;
  }
  return out;
}

std::string get(const std::map<std::string, std::string>& m, const char* key) {
  auto it = m.find(key);
  return it == m.end() ? "" : it->second;
}

// "commons-lang3-3.12.0.jar" -> {"commons-lang3", "3.12.0"}: the version starts at the last
// '-' followed by a digit.
std::pair<std::string, std::string> split_file_name(std::string_view path) {
  auto slash = path.rfind('/');
  std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  if (auto dot = base.rfind('.'); dot != std::string_view::npos) base = base.substr(0, dot);
  for (size_t i = base.size(); i-- > 1;)
    if (base[i - 1] == '-' && std::isdigit(static_cast<unsigned char>(base[i])))
      return {std::string(base.substr(0, i - 1)), std::string(base.substr(i))};
  return {std::string(base), ""};
}

Result<std::string> read_member(archive::TarReader& zip, int64_t size, int64_t limit, State& st) {
  archive::EntryReader data(zip);
  auto out = KILN_TRY(io::read_prefix(data, std::min(size, limit)));
  st.bytes += static_cast<int64_t>(out.size());
  return out;
}

// The archive named by its manifest or file name, when no pom.properties named it.
std::optional<JavaArtifact> self_artifact(const std::map<std::string, std::string>& manifest,
                                          const std::string& where) {
  JavaArtifact a;
  a.path = where;
  auto inner = where.rfind("!/");
  auto [name, file_version] =
      split_file_name(inner == std::string::npos ? where : where.substr(inner + 2));
  a.group = get(manifest, "Implementation-Vendor-Id");
  a.version = get(manifest, "Implementation-Version");
  if (a.version.empty()) a.version = get(manifest, "Bundle-Version");
  if (a.version.empty()) a.version = file_version;
  if (!file_version.empty()) {
    a.artifact = name;
  } else {
    // An OSGi bundle's symbolic name, else the file's (Implementation-Title is prose).
    a.artifact = get(manifest, "Bundle-SymbolicName");
    if (auto semi = a.artifact.find(';'); semi != std::string::npos) a.artifact.resize(semi);
    a.artifact = std::string(trim(a.artifact));
    if (a.artifact.empty()) a.artifact = name;
  }
  if (a.artifact.empty() || a.version.empty()) return std::nullopt;
  return a;
}

Status read_zip(io::Reader& src, const std::string& where, int depth, State& st) {
  auto zip = KILN_TRY(archive::TarReader::open_zip(src));
  size_t poms = 0;  // artifacts this archive's pom.properties named (kept at once: a limit
                    // reached later keeps them)
  std::map<std::string, std::string> manifest;
  while (auto e = KILN_TRY(zip->next())) {
    if (++st.members > st.limits.max_members) {
      st.over = true;
      return failf(Errc::unsupported, "over {} members", st.limits.max_members);
    }
    if (e->type != archive::EntryType::file) continue;
    const std::string& name = e->path;
    if (is_pom_properties(name)) {
      auto props =
          parse_properties(KILN_TRY(read_member(*zip, e->size, k_max_properties_bytes, st)));
      JavaArtifact a{get(props, "groupId"), get(props, "artifactId"), get(props, "version"), where};
      if (a.artifact.empty() || a.version.empty()) {
        st.warnings.push_back(
            fmt::format("{}!/{}: no artifactId or version", where, printable(name)));
        continue;
      }
      st.out.push_back(std::move(a));
      ++poms;
    } else if (name == "META-INF/MANIFEST.MF") {
      manifest = parse_manifest(KILN_TRY(read_member(*zip, e->size, k_max_manifest_bytes, st)));
    } else if (is_java_archive(name) && depth < st.limits.max_depth) {
      archive::EntryReader data(*zip);
      BudgetReader budget(data, st);
      std::string inner = where + "!/" + printable(name);
      if (auto s = read_zip(budget, inner, depth + 1, st); !s) {
        if (st.source_error || st.over) return s;
        st.warnings.push_back(fmt::format("{}: {}; skipped", inner, s.error().message()));
      }
    }
    if (st.bytes > st.limits.max_bytes) {
      st.over = true;
      return failf(Errc::unsupported, "over {} decompressed bytes", st.limits.max_bytes);
    }
  }
  if (poms == 0)
    if (auto self = self_artifact(manifest, where)) st.out.push_back(std::move(*self));
  return {};
}

}  // namespace

bool is_java_archive(std::string_view path) {
  for (std::string_view ext : {".jar", ".war", ".ear", ".jpi", ".hpi"}) {
    if (path.size() <= ext.size()) continue;
    std::string_view tail = path.substr(path.size() - ext.size());
    bool same = true;
    for (size_t i = 0; i < ext.size(); ++i)
      same &= std::tolower(static_cast<unsigned char>(tail[i])) == ext[i];
    if (same) return true;
  }
  return false;
}

Result<std::vector<JavaArtifact>> read_java_archive(io::Reader& file, const std::string& path,
                                                    std::vector<std::string>& warnings,
                                                    const JavaLimits& limits) {
  State st{limits, warnings, {}, 0, 0, std::nullopt, false};
  SourceReader src(file, st);
  if (auto s = read_zip(src, path, 0, st); !s) {
    if (st.source_error) return std::unexpected(*st.source_error);
    if (st.over)
      warnings.push_back(fmt::format("{}: stopped reading: {} (a zip bomb?); {} artifacts kept",
                                     path, s.error().message(), st.out.size()));
    else
      warnings.push_back(
          fmt::format("{}: {}; {} artifacts kept", path, s.error().message(), st.out.size()));
  }
  return std::move(st.out);
}

std::vector<Package> java_packages(const std::vector<JavaArtifact>& artifacts) {
  std::vector<Package> out;
  for (const auto& a : artifacts) {
    Package p;
    p.type = "maven";
    p.name = a.group.empty() ? a.artifact : a.group + ":" + a.artifact;
    p.version = a.version;
    p.db = a.path;
    p.source_name = p.name;
    p.source_version = p.version;
    out.push_back(std::move(p));
  }
  return out;
}

std::string encode_java_artifacts(const std::vector<JavaArtifact>& artifacts) {
  std::string out;
  auto clean = [](const std::string& s) {
    std::string c = s;
    for (char& ch : c)
      if (ch == '\t' || ch == '\n') ch = ' ';
    return c;
  };
  for (const auto& a : artifacts)
    out += fmt::format("{}\t{}\t{}\t{}\n", clean(a.group), clean(a.artifact), clean(a.version),
                       clean(a.path));
  return out;
}

std::vector<JavaArtifact> decode_java_artifacts(std::string_view text) {
  std::vector<JavaArtifact> out;
  for (auto line : split(text, '\n')) {
    auto f = split(line, '\t');
    if (f.size() != 4) continue;
    out.push_back({std::string(f[0]), std::string(f[1]), std::string(f[2]), std::string(f[3])});
  }
  return out;
}

}  // namespace kiln::scan
