#include "kiln/base/log.hpp"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace kiln::log {

namespace {
std::atomic<Level> g_level{Level::warn};
std::mutex g_mu;
}  // namespace

void set_level(Level level) {
  g_level = level;
}
bool enabled(Level level) {
  return level >= g_level.load();
}

void write(Level level, std::string_view message) {
  static const char* names[] = {"debug", "info", "warning", "error"};
  std::lock_guard lock(g_mu);
  fmt::print(stderr, "kiln: {}: {}\n", names[static_cast<int>(level)], message);
}

}  // namespace kiln::log
