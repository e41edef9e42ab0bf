// libFuzzer target: the Dockerfile parser and instruction model must never crash, hang or
// leak on any input; a successful parse must dump and plan.
#include <cstdint>
#include <string_view>

#include "kiln/dockerfile/ast.hpp"
#include "kiln/dockerfile/plan.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto ast = kiln::dockerfile::parse(text);
  if (!ast) return 0;
  (void)kiln::dockerfile::dump(*ast);
  (void)kiln::dockerfile::to_json(*ast);
  auto df = kiln::dockerfile::parse_instructions(*ast);
  if (df) (void)kiln::dockerfile::make_plan(*df, {});
  return 0;
}
