#include "kiln/dockerfile/flags.hpp"

#include <algorithm>

#include "kiln/base/strings.hpp"

namespace kiln::dockerfile::detail {

namespace {

size_t distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] =
          std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

std::string suggest(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = 3;
  std::string w = to_lower(word);
  for (const auto& c : candidates) {
    size_t d = distance(w, to_lower(c));
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best.empty() ? "" : fmt::format(" (did you mean {}?)", best);
}

std::string& Flags::add_string(const std::string& name, std::string def) {
  auto& f = m_flags[name] = std::make_unique<Flag>(Flag{Kind::string, std::move(def), false, {}});
  return f->str;
}

bool& Flags::add_bool(const std::string& name, bool def) {
  auto& f = m_flags[name] = std::make_unique<Flag>(Flag{Kind::boolean, "", def, {}});
  return f->b;
}

std::vector<std::string>& Flags::add_strings(const std::string& name) {
  auto& f = m_flags[name] = std::make_unique<Flag>(Flag{Kind::strings, "", false, {}});
  return f->list;
}

Status Flags::parse() {
  for (const auto& arg : m_raw) {
    if (!arg.starts_with("--"))
      return failf(Errc::invalid_argument, "arg should start with -- : {}", arg);
    if (arg == "--") return {};
    std::string body = arg.substr(2);
    size_t eq = body.find('=');
    bool has_value = eq != std::string::npos;
    std::string name = body.substr(0, eq), value = has_value ? body.substr(eq + 1) : "";
    auto it = m_flags.find(name);
    if (it == m_flags.end()) {
      std::vector<std::string> names;
      for (const auto& [n, f] : m_flags) names.push_back(n);
      return failf(Errc::invalid_argument, "unknown flag: --{}{}", name, suggest(name, names));
    }
    Flag& f = *it->second;
    if (m_used.contains(name) && f.kind != Kind::strings)
      return failf(Errc::invalid_argument, "duplicate flag specified: --{}", name);
    m_used[name] = true;
    switch (f.kind) {
      case Kind::boolean: {
        if (has_value && value.empty())
          return failf(Errc::invalid_argument, "missing a value on flag: --{}", name);
        std::string v = to_lower(value);
        if (v == "true" || v.empty())
          f.b = true;
        else if (v == "false")
          f.b = false;
        else
          return failf(Errc::invalid_argument, "expecting boolean value for flag --{}, not: {}",
                       name, value);
        break;
      }
      case Kind::string:
        if (!has_value) return failf(Errc::invalid_argument, "missing a value on flag: --{}", name);
        f.str = value;
        break;
      case Kind::strings:
        if (!has_value) return failf(Errc::invalid_argument, "missing a value on flag: --{}", name);
        f.list.push_back(value);
        break;
    }
  }
  return {};
}

}  // namespace kiln::dockerfile::detail
