#include "kiln/registry/client/settings.hpp"

#include <arpa/inet.h>

#include <cstdlib>

#include "kiln/os/dir.hpp"
#include "kiln/registry/client/json_codec.hpp"

namespace kiln::registry::client {
namespace {

std::string settings_path() {
  if (const char* p = std::getenv("KILN_CONFIG"); p && *p) return p;
  std::string home_cfg;
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x)
    home_cfg = std::string(x) + "/kiln/config.json";
  else if (const char* h = std::getenv("HOME"); h && *h)
    home_cfg = std::string(h) + "/.config/kiln/config.json";
  if (!home_cfg.empty() && ::access(home_cfg.c_str(), F_OK) == 0) return home_cfg;
  return "/etc/kiln/config.json";
}

// "host:port" -> "host" (IPv6 in brackets kept as is).
std::string host_only(const std::string& host) {
  if (host.starts_with("[")) return host.substr(0, host.find(']') + 1);
  size_t colon = host.rfind(':');
  return colon == std::string::npos ? host : host.substr(0, colon);
}

bool in_cidr(const std::string& ip, const std::string& cidr) {
  size_t slash = cidr.find('/');
  if (slash == std::string::npos) return false;
  in_addr a{}, net{};
  if (::inet_pton(AF_INET, ip.c_str(), &a) != 1) return false;
  if (::inet_pton(AF_INET, cidr.substr(0, slash).c_str(), &net) != 1) return false;
  int bits = std::atoi(cidr.c_str() + slash + 1);
  if (bits < 0 || bits > 32) return false;
  uint32_t mask = bits == 0 ? 0 : htonl(~uint32_t{0} << (32 - bits));
  return (a.s_addr & mask) == (net.s_addr & mask);
}

}  // namespace

Result<Settings> load_settings() {
  Settings s;
  std::string path = settings_path();
  auto text = os::read_file(path);
  if (!text) {
    if (text.error().code() == Errc::not_found) return s;
    return std::unexpected(text.error());
  }
  s.path = path;
  s.insecure_registries = KILN_TRY(codec::parse_insecure_registries(*text, path));
  return s;
}

bool is_insecure(const Settings& s, const std::string& host) {
  std::string h = host_only(host);
  for (const auto& e : s.insecure_registries) {
    if (e == host || e == h) return true;
    if (e.find('/') != std::string::npos && in_cidr(h, e)) return true;
  }
  return false;
}

}  // namespace kiln::registry::client
