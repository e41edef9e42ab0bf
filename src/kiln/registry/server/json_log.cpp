#include "kiln/registry/server/json_log.hpp"

#include <unistd.h>

#include <ctime>

#include "kiln/base/strings.hpp"

namespace kiln::registry::server {

void json_log(std::string_view level, LogFields fields) {
  fields.emplace_back("time", rfc3339(::time(nullptr)));
  fields.emplace_back("level", std::string(level));
  std::string line = log_line(fields) + "\n";
  // One write(2) per line: lines from concurrent requests never interleave.
  size_t off = 0;
  while (off < line.size()) {
    ssize_t n = ::write(STDERR_FILENO, line.data() + off, line.size() - off);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
}

}  // namespace kiln::registry::server
