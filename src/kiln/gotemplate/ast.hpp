// Internal to template/: the parsed form of a template.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace kiln::gotemplate {

struct Arg {
  enum Kind { field, variable, string, number, ident, boolean, nil, sub } kind = field;
  std::string text;                // variable name ("$", "$x"), literal, identifier
  std::vector<std::string> chain;  // field names after the base
  double num = 0;
  bool is_int = false;
  std::shared_ptr<struct Pipeline> pipe;  // for a parenthesised sub-pipeline
};

struct Command {
  std::vector<Arg> args;
};

struct Pipeline {
  std::vector<std::string> decl;  // "$i", "$v" declared with :=
  std::vector<Command> cmds;
  std::string source;  // the action text, for errors
};

struct Node {
  enum Kind { list, text, action, if_, range, with } kind = list;
  std::string literal;  // for text nodes
  Pipeline pipe;
  std::vector<std::unique_ptr<Node>> children;  // list body
  std::unique_ptr<Node> body, else_body;        // if / range / with
};

}  // namespace kiln::gotemplate
