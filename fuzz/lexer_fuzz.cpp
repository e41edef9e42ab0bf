// libFuzzer target: the shell lexer (word and words, both escape characters, raw modes).
#include <cstdint>
#include <string_view>

#include "kiln/dockerfile/lexer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  kiln::dockerfile::Vars env{{"A", "alpha beta"}, {"EMPTY", ""}, {"PWD", "/home"}};
  for (char esc : {'\\', '`'}) {
    kiln::dockerfile::Lexer lex(esc);
    (void)lex.process(text, env);
    lex.raw_quotes = lex.raw_escapes = lex.skip_unset = true;
    (void)lex.process(text, env);
  }
  return 0;
}
