// The Dockerfile syntax tree: one Node per instruction, with BuildKit's shape (lower-cased
// instruction, raw flags, arguments as BuildKit's line parsers split them, heredocs, lines).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kiln/dockerfile/source.hpp"

namespace kiln::dockerfile {

struct Heredoc {
  std::string name;     // the delimiter, unquoted
  std::string content;  // every line up to the delimiter, each with its "\n"
  bool expand = true;   // false when the delimiter was quoted
  bool chomp = false;   // <<- : leading tabs are stripped
  int fd = 0;           // 3<<EOF gives 3

  // The content as it is used: leading tabs removed from each line when chomp.
  std::string text() const;
};

struct Node {
  std::string keyword;             // as written: "RUN", "run"
  std::string instruction;         // lower case: "run"
  std::string original;            // the logical line, continuations joined
  std::vector<std::string> flags;  // leading --flags, unparsed ("--from=build")
  std::vector<std::string> args;   // arguments as the instruction's line parser splits them
  bool json = false;               // exec (JSON array) form
  std::vector<Heredoc> heredocs;
  std::shared_ptr<Node> sub;  // the ONBUILD trigger
  int start_line = 0, end_line = 0;
  int column = 1;                     // of the keyword on start_line
  std::vector<std::string> comments;  // comment lines right above
};

struct Directive {
  std::string name;  // "syntax", "escape", "check"
  std::string value;
  int line = 0;
};

struct Warning {
  std::string message;
  int line = 0;
};

struct Ast {
  std::shared_ptr<const Source> source;
  std::vector<Node> nodes;
  std::vector<Directive> directives;
  char escape = '\\';
  std::vector<Warning> warnings;
};

// Parses Dockerfile text. Syntax errors (bad escape directive, unterminated heredoc, non-string
// JSON arrays, ...) carry FILE:LINE:COL and a caret (source.hpp).
Result<Ast> parse(std::string_view text, std::string filename = "Dockerfile");

// BuildKit's AST dump: one "(instr ["flags"...] "arg" ...)" line per instruction.
std::string dump(const Ast& ast);
// The documented JSON form (docs/dockerfile.md).
std::string to_json(const Ast& ast);

}  // namespace kiln::dockerfile
