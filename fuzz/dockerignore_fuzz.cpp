// libFuzzer target: .dockerignore parsing and matching. The first line is the path to match.
#include <cstdint>
#include <string_view>

#include "kiln/dockerfile/dockerignore.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  size_t nl = text.find('\n');
  std::string_view path = text.substr(0, nl),
                   rest = nl == std::string_view::npos ? "" : text.substr(nl + 1);
  auto m = kiln::dockerfile::IgnoreMatcher::parse(rest);
  if (!m) return 0;
  (void)m->excluded(path);
  (void)m->may_reinclude_under(path);
  return 0;
}
