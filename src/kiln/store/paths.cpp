#include "kiln/store/paths.hpp"

#include <unistd.h>

#include <cstdlib>

namespace kiln::store::paths {

std::string default_root() {
  if (geteuid() == 0) return "/var/lib/kiln";
  if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x) return std::string(x) + "/kiln";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.local/share/kiln";
  return "/tmp/kiln-" + std::to_string(getuid());
}

}  // namespace kiln::store::paths
