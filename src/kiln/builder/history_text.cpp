#include "kiln/builder/history_text.hpp"

#include <charconv>

#include "kiln/base/strings.hpp"
#include "kiln/dockerfile/source.hpp"

namespace kiln::builder {
namespace {

// v / 10^prec with the fraction's trailing zeros (and a bare '.') removed.
std::string fraction(uint64_t v, int prec) {
  uint64_t scale = 1;
  for (int i = 0; i < prec; ++i) scale *= 10;
  std::string out = std::to_string(v / scale);
  uint64_t frac = v % scale;
  if (frac == 0) return out;
  std::string digits = std::to_string(frac);
  digits.insert(0, static_cast<size_t>(prec) - digits.size(), '0');
  while (digits.back() == '0') digits.pop_back();
  return out + "." + digits;
}

Result<int> port_number(std::string_view s, std::string_view what) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size())
    return failf(Errc::invalid_argument, "invalid {} '{}'", what, s);
  if (v < 0 || v > 65535)
    return failf(Errc::invalid_argument, "invalid {} '{}': value out of range (0–65535)", what, s);
  return v;
}

}  // namespace

std::string go_quoted_list(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? " " : "") + dockerfile::go_quote(v[i]);
  return out + "]";
}

std::string go_list(const std::vector<std::string>& v) {
  return "[" + join(v, " ") + "]";
}

std::string go_duration(int64_t ns) {
  if (ns == 0) return "0s";
  std::string sign = ns < 0 ? "-" : "";
  uint64_t u = ns < 0 ? uint64_t{0} - static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
  if (u < 1000) return sign + std::to_string(u) + "ns";
  if (u < 1'000'000) return sign + fraction(u, 3) + "µs";
  if (u < 1'000'000'000) return sign + fraction(u, 6) + "ms";
  constexpr uint64_t k_minute = 60'000'000'000;
  std::string out = fraction(u % k_minute, 9) + "s";
  uint64_t minutes = u / k_minute;
  if (minutes > 0) {
    out = std::to_string(minutes % 60) + "m" + out;
    if (minutes >= 60) out = std::to_string(minutes / 60) + "h" + out;
  }
  return sign + out;
}

std::string healthcheck_text(const oci::HealthConfig& h) {
  return fmt::format(
      "HEALTHCHECK {{Test:{} Interval:{} Timeout:{} StartPeriod:{} StartInterval:{} Retries:{}}}",
      go_list(h.test), go_duration(h.interval), go_duration(h.timeout), go_duration(h.start_period),
      go_duration(h.start_interval), h.retries);
}

Result<std::vector<std::string>> expose_ports(const std::string& word) {
  // [ip:][hostport:]port[-end][/proto]; an IP or host port is accepted and ignored, as
  // BuildKit does (its linter warns).
  std::string_view container = word;
  if (auto c = container.rfind(':'); c != std::string_view::npos)
    container = container.substr(c + 1);
  std::string_view port = container, proto = "tcp";
  if (auto slash = container.find('/'); slash != std::string_view::npos) {
    port = container.substr(0, slash);
    proto = container.substr(slash + 1);
  }
  std::string p = to_lower(proto);
  if (port.empty())
    return failf(Errc::invalid_argument, "invalid port: \"{}\": no port specified", word);
  if (p.empty()) p = "tcp";
  if (p != "tcp" && p != "udp" && p != "sctp")
    return failf(Errc::invalid_argument, "invalid port: \"{}\": invalid proto: {}", word, proto);
  std::string_view start = port, end = port;
  if (auto dash = port.find('-'); dash != std::string_view::npos) {
    start = port.substr(0, dash);
    end = port.substr(dash + 1);
  }
  int lo = KILN_TRY(port_number(start, "start port"));
  int hi = KILN_TRY(port_number(end, "end port"));
  if (hi < lo) return failf(Errc::invalid_argument, "invalid port range: {}", port);
  std::vector<std::string> out;
  for (int i = lo; i <= hi; ++i) out.push_back(std::to_string(i) + "/" + p);
  return out;
}

}  // namespace kiln::builder
