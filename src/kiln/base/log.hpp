// Logging interface: warnings and debug lines go to stderr through one function, so commands
// can silence or redirect them. Thread-safe.
#pragma once

#include <string_view>

#include <fmt/format.h>

namespace kiln::log {

enum class Level { debug, info, warn, error };

void set_level(Level level);
bool enabled(Level level);
void write(Level level, std::string_view message);

template <class... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::warn)) write(Level::warn, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::debug)) write(Level::debug, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace kiln::log
