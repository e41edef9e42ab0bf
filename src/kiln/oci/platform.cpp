#include "kiln/oci/platform.hpp"

#include <sys/utsname.h>

#include "kiln/base/strings.hpp"
#include "kiln/oci/media_types.hpp"

namespace kiln::oci {

namespace {

bool known_os(std::string_view os) {
  static const char* oses[] = {"aix",     "android", "darwin",  "dragonfly", "freebsd",
                               "illumos", "ios",     "js",      "linux",     "netbsd",
                               "openbsd", "plan9",   "solaris", "wasip1",    "windows"};
  for (const char* o : oses)
    if (os == o) return true;
  return false;
}

bool valid_word(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
      return false;
  return true;
}

}  // namespace

Platform normalize(Platform p) {
  p.os = to_lower(p.os);
  if (p.os == "macos") p.os = "darwin";
  std::string a = to_lower(p.architecture), v = to_lower(p.variant);
  if (a == "i386" || a == "i686")
    a = "386", v = "";
  else if (a == "x86_64" || a == "x86-64" || a == "amd64") {
    a = "amd64";
    if (v == "v1") v = "";
  } else if (a == "aarch64" || a == "arm64") {
    a = "arm64";
    if (v == "8" || v == "v8" || v == "v8.0") v = "";
  } else if (a == "armhf")
    a = "arm", v = "v7";
  else if (a == "armel")
    a = "arm", v = "v6";
  else if (a == "arm") {
    if (v.empty() || v == "7")
      v = "v7";
    else if (v == "5" || v == "6" || v == "8")
      v = "v" + v;
  }
  p.architecture = a;
  p.variant = v;
  return p;
}

Result<Platform> parse_platform(std::string_view s) {
  auto parts = split(s, '/');
  Platform p;
  for (const auto& part : parts)
    if (!valid_word(to_lower(part)))
      return failf(Errc::invalid_argument,
                   "invalid platform \"{}\": want os/arch[/variant], e.g. linux/amd64", s);
  if (parts.size() == 1) {
    if (known_os(to_lower(parts[0]))) {
      p.os = parts[0];
      p.architecture = host_platform().architecture;
    } else {
      p.os = "linux";
      p.architecture = parts[0];
    }
  } else if (parts.size() == 2 || parts.size() == 3) {
    p.os = parts[0];
    p.architecture = parts[1];
    if (parts.size() == 3) p.variant = parts[2];
  } else {
    return failf(Errc::invalid_argument,
                 "invalid platform \"{}\": want os/arch[/variant], e.g. linux/amd64", s);
  }
  if (!known_os(to_lower(p.os)) && to_lower(p.os) != "macos")
    return failf(Errc::invalid_argument, "invalid platform \"{}\": unknown operating system \"{}\"",
                 s, p.os);
  return normalize(std::move(p));
}

std::string platform_string(const Platform& p) {
  std::string out = p.os + "/" + p.architecture;
  if (!p.variant.empty()) out += "/" + p.variant;
  return out;
}

bool platform_matches(const Platform& want, const Platform& have) {
  Platform w = normalize(want), h = normalize(have);
  if (w.os != h.os || w.architecture != h.architecture) return false;
  return w.variant.empty() || w.variant == h.variant;
}

Result<Descriptor> select_platform(const Index& index, const Platform& want) {
  std::vector<std::string> have;
  for (const auto& d : index.manifests) {
    if (!mt::is_manifest(d.media_type) || !d.platform) continue;
    if (platform_matches(want, *d.platform)) return d;
    have.push_back(platform_string(*d.platform));
  }
  return failf(Errc::not_found, "no image for platform {} in the index (it has: {})",
               platform_string(want), have.empty() ? "none" : join(have, ", "));
}

Platform platform_of(const ImageConfig& c) {
  Platform p;
  p.os = c.os;
  p.architecture = c.architecture;
  p.variant = c.variant;
  return normalize(p);
}

Platform host_platform() {
  struct utsname u {};
  uname(&u);
  Platform p;
  p.os = "linux";
  p.architecture = u.machine;
  if (p.architecture.starts_with("armv7"))
    p.architecture = "arm", p.variant = "v7";
  else if (p.architecture.starts_with("armv6"))
    p.architecture = "arm", p.variant = "v6";
  return normalize(p);
}

}  // namespace kiln::oci
