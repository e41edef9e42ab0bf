#include "kiln/base/strings.hpp"

#include <charconv>
#include <cmath>
#include <ctime>

#include <fmt/format.h>

namespace kiln {

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      out.emplace_back(s.substr(start));
      return out;
    }
    out.emplace_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

std::string_view trim(std::string_view s) {
  const char* ws = " \t\r\n\v\f";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::optional<int64_t> parse_int(std::string_view s) {
  int64_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string human_size(int64_t bytes) {
  static const char* units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
  double size = static_cast<double>(bytes);
  int i = 0;
  while (size >= 1000.0 && i < 8) {
    size /= 1000.0;
    ++i;
  }
  // Go's %.3g: up to 3 significant digits, no trailing zeros.
  std::string num = fmt::format("{:.3g}", size);
  return num + units[i];
}

std::string human_ago(int64_t then, int64_t now) {
  int64_t seconds = now - then;
  std::string d;
  if (seconds < 1)
    d = "Less than a second";
  else if (seconds == 1)
    d = "1 second";
  else if (seconds < 60)
    d = fmt::format("{} seconds", seconds);
  else if (seconds / 60 == 1)
    d = "About a minute";
  else if (seconds / 60 < 60)
    d = fmt::format("{} minutes", seconds / 60);
  else {
    int64_t hours = static_cast<int64_t>(static_cast<double>(seconds) / 3600.0 + 0.5);
    if (hours == 1)
      d = "About an hour";
    else if (hours < 48)
      d = fmt::format("{} hours", hours);
    else if (hours < 24 * 7 * 2)
      d = fmt::format("{} days", hours / 24);
    else if (hours < 24 * 30 * 2)
      d = fmt::format("{} weeks", hours / 24 / 7);
    else if (hours < 24 * 365 * 2)
      d = fmt::format("{} months", hours / 24 / 30);
    else
      d = fmt::format("{} years", seconds / 3600 / 24 / 365);
  }
  return d + " ago";
}

std::string rfc3339(int64_t seconds, int64_t nanos) {
  time_t t = static_cast<time_t>(seconds);
  struct tm tm {};
  gmtime_r(&t, &tm);
  std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", tm.tm_year + 1900,
                                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (nanos > 0) {
    std::string frac = fmt::format("{:09}", nanos);
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    out += "." + frac;
  }
  return out + "Z";
}

std::optional<int64_t> parse_rfc3339(std::string_view s) {
  struct tm tm {};
  if (s.size() < 20) return std::nullopt;
  auto num = [&](size_t pos, size_t len) -> std::optional<int> {
    auto v = parse_int(s.substr(pos, len));
    if (!v) return std::nullopt;
    return static_cast<int>(*v);
  };
  if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      s[13] != ':' || s[16] != ':')
    return std::nullopt;
  auto y = num(0, 4), mo = num(5, 2), d = num(8, 2), h = num(11, 2), mi = num(14, 2),
       se = num(17, 2);
  if (!y || !mo || !d || !h || !mi || !se) return std::nullopt;
  tm.tm_year = *y - 1900;
  tm.tm_mon = *mo - 1;
  tm.tm_mday = *d;
  tm.tm_hour = *h;
  tm.tm_min = *mi;
  tm.tm_sec = *se;
  size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  }
  int64_t offset = 0;
  if (i >= s.size()) return std::nullopt;
  if (s[i] == 'Z' || s[i] == 'z') {
    ++i;
  } else if (s[i] == '+' || s[i] == '-') {
    if (s.size() < i + 6 || s[i + 3] != ':') return std::nullopt;
    auto oh = num(i + 1, 2), om = num(i + 4, 2);
    if (!oh || !om) return std::nullopt;
    offset = (*oh * 3600 + *om * 60) * (s[i] == '+' ? 1 : -1);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  return static_cast<int64_t>(timegm(&tm)) - offset;
}

std::string short_id(std::string_view id) {
  if (id.starts_with("sha256:")) id.remove_prefix(7);
  return std::string(id.substr(0, 12));
}

std::optional<int64_t> parse_byte_size(std::string_view s) {
  s = trim(s);
  if (!s.empty() && (s.back() == 'b' || s.back() == 'B')) s.remove_suffix(1);
  int shift = 0;
  if (!s.empty()) {
    switch (s.back()) {
      case 'k':
      case 'K':
        shift = 10;
        break;
      case 'm':
      case 'M':
        shift = 20;
        break;
      case 'g':
      case 'G':
        shift = 30;
        break;
      case 't':
      case 'T':
        shift = 40;
        break;
      default:
        break;
    }
    if (shift) s.remove_suffix(1);
  }
  auto n = parse_int(s);
  if (!n || *n < 0 || *n > (INT64_MAX >> shift)) return std::nullopt;
  return *n << shift;
}

}  // namespace kiln
