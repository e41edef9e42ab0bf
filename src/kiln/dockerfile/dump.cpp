#include "kiln/dockerfile/ast.hpp"

namespace kiln::dockerfile {

namespace {

std::string dump_node(const Node& n) {
  std::string s = n.instruction;
  if (!n.flags.empty()) {
    s += " [";
    for (size_t i = 0; i < n.flags.size(); ++i) s += (i ? " " : "") + go_quote(n.flags[i]);
    s += "]";
  }
  for (const auto& a : n.args) s += " " + go_quote(a);
  if (n.sub) s += " (" + dump_node(*n.sub) + ")";
  return s;
}

}  // namespace

std::string dump(const Ast& ast) {
  std::string out;
  for (const auto& n : ast.nodes) out += "(" + dump_node(n) + ")\n";
  return out;
}

}  // namespace kiln::dockerfile
