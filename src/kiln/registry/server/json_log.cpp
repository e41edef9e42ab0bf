#include "kiln/registry/server/json_log.hpp"

#include <unistd.h>

#include <ctime>

#include "kiln/base/strings.hpp"

namespace kiln::registry::server {

void json_log(std::string_view level, nlohmann::json fields) {
  fields["time"] = rfc3339(::time(nullptr));
  fields["level"] = std::string(level);
  std::string line = fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  // One write(2) per line: lines from concurrent requests never interleave.
  size_t off = 0;
  while (off < line.size()) {
    ssize_t n = ::write(STDERR_FILENO, line.data() + off, line.size() - off);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
}

}  // namespace kiln::registry::server
