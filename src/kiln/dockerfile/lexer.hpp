// The Dockerfile shell lexer: quote removal, escapes and variable expansion as BuildKit's
// frontend/dockerfile/shell does it (POSIX-like, no command substitution, no globbing).
//
//   $VAR ${VAR} ${VAR:-w} ${VAR-w} ${VAR:+w} ${VAR+w} ${VAR:?msg} ${VAR?msg}
//   ${VAR#p} ${VAR##p} ${VAR%p} ${VAR%%p} ${VAR/p/r} ${VAR//p/r}
//
// Patterns take * (any string), ? (one character) and \ escapes of * ? \. The escape character
// is '\' or '`' (the Dockerfile's escape directive). Not thread-safe; cheap to construct.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/base/error.hpp"

namespace kiln::dockerfile {

using Vars = std::map<std::string, std::string>;

struct LexResult {
  std::string word;                 // ProcessWord: one string, spaces kept
  std::vector<std::string> words;   // ProcessWords: split after expansion, quotes respected
  std::set<std::string> matched;    // variables that were set
  std::set<std::string> unmatched;  // variables referenced but not set
};

class Lexer {
 public:
  explicit Lexer(char escape = '\\') : m_escape(escape) {}

  bool raw_quotes = false;   // keep quote characters in the output
  bool raw_escapes = false;  // keep escape characters in the output
  bool skip_unset = false;   // leave references to unset variables as written

  // Errors are Errc::invalid_argument: "failed to process \"<word>\": <reason>".
  Result<LexResult> process(std::string_view word, const Vars& env) const;
  Result<std::string> process_word(std::string_view word, const Vars& env) const;
  Result<std::vector<std::string>> process_words(std::string_view word, const Vars& env) const;

 private:
  char m_escape;
};

}  // namespace kiln::dockerfile
