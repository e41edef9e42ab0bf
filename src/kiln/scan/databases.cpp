#include "kiln/scan/databases.hpp"

#include <fmt/format.h>

#include <map>

namespace kiln::scan {

namespace {

// Calls f(fields, first_line) for each blank-line separated stanza. Fields keep their first
// value line; continuation lines (starting with a space or tab) are dropped: none of the
// fields read here spans lines.
template <class F>
void stanzas(std::string_view text, char sep, F f) {
  std::map<std::string, std::string, std::less<>> fields;
  int line_no = 0, first = 0;
  auto flush = [&] {
    if (!fields.empty()) f(fields, first);
    fields.clear();
  };
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      flush();
      continue;
    }
    if (line.front() == ' ' || line.front() == '\t') continue;
    size_t colon = line.find(sep);
    if (colon == std::string_view::npos) continue;
    if (fields.empty()) first = line_no;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    fields.emplace(std::string(line.substr(0, colon)), std::string(value));
  }
  flush();
}

std::string field(const std::map<std::string, std::string, std::less<>>& m, std::string_view k) {
  auto it = m.find(k);
  return it == m.end() ? std::string() : it->second;
}

}  // namespace

std::vector<Package> parse_dpkg(std::string_view text, const std::string& db, bool installed_only,
                                std::vector<std::string>& warnings) {
  std::vector<Package> out;
  stanzas(text, ':', [&](const auto& f, int line) {
    if (installed_only) {
      // "want flag status": only a package whose status is "installed" is on disk whole.
      std::string status = field(f, "Status");
      if (!status.ends_with(" installed")) return;
    }
    Package p;
    p.type = "deb";
    p.db = db;
    p.name = field(f, "Package");
    p.version = field(f, "Version");
    p.arch = field(f, "Architecture");
    if (p.name.empty() || p.version.empty()) {
      warnings.push_back(fmt::format("{}:{}: a package without Package or Version", db, line));
      return;
    }
    // "Source: name" or "Source: name (version)" when the source version differs.
    std::string src = field(f, "Source");
    p.source_name = src.substr(0, src.find(' '));
    if (auto open = src.find('('); open != std::string::npos) {
      auto close = src.find(')', open);
      p.source_version =
          src.substr(open + 1, close == std::string::npos ? close : close - open - 1);
    }
    if (p.source_name.empty()) p.source_name = p.name;
    if (p.source_version.empty()) p.source_version = p.version;
    out.push_back(std::move(p));
  });
  return out;
}

std::vector<Package> parse_apk(std::string_view text, const std::string& db,
                               std::vector<std::string>& warnings) {
  std::vector<Package> out;
  stanzas(text, ':', [&](const auto& f, int line) {
    Package p;
    p.type = "apk";
    p.db = db;
    p.name = field(f, "P");
    p.version = field(f, "V");
    p.arch = field(f, "A");
    p.license = field(f, "L");
    if (p.name.empty() || p.version.empty()) {
      warnings.push_back(fmt::format("{}:{}: a package without P or V", db, line));
      return;
    }
    p.source_name = field(f, "o");
    if (p.source_name.empty()) p.source_name = p.name;
    p.source_version = p.version;
    out.push_back(std::move(p));
  });
  return out;
}

std::vector<Package> parse_python_metadata(std::string_view text, const std::string& path,
                                           std::vector<std::string>& warnings) {
  Package p;
  p.type = "pypi";
  p.db = path;
  std::string* last = nullptr;  // a continuation line (leading space) extends it
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;  // the body (the long description) follows
    if (line.front() == ' ' || line.front() == '\t') {
      if (last) *last += std::string(" ") + std::string(line.substr(line.find_first_not_of(" \t")));
      continue;
    }
    last = nullptr;
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view key = line.substr(0, colon), value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    if (key == "Name" && p.name.empty()) {
      p.name = value;
    } else if (key == "Version" && p.version.empty()) {
      p.version = value;
    } else if ((key == "License-Expression" || (key == "License" && p.license.empty())) &&
               value != "UNKNOWN") {
      p.license = value;
      last = &p.license;
    }
  }
  if (p.name.empty() || p.version.empty()) {
    warnings.push_back(fmt::format("{}: no Name or Version header", path));
    return {};
  }
  // A licence field holding the whole licence text is not a licence name.
  if (p.license.size() > 200) p.license.clear();
  p.source_name = p.name;
  p.source_version = p.version;
  return {std::move(p)};
}

}  // namespace kiln::scan
