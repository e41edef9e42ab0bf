// The JSON form of the AST (`kiln dockerfile parse --format json`, docs/dockerfile.md): the
// dockerfile layer's JSON codec, with json_array.cpp.
#include <nlohmann/json.hpp>

#include "kiln/dockerfile/ast.hpp"

namespace kiln::dockerfile {

namespace {

nlohmann::ordered_json node_json(const Node& n) {
  nlohmann::ordered_json j;
  j["instruction"] = n.instruction;
  j["keyword"] = n.keyword;
  j["flags"] = n.flags;
  j["args"] = n.args;
  j["json"] = n.json;
  j["heredocs"] = nlohmann::ordered_json::array();
  for (const auto& h : n.heredocs)
    j["heredocs"].push_back({{"name", h.name},
                             {"content", h.content},
                             {"expand", h.expand},
                             {"chomp", h.chomp},
                             {"fd", h.fd}});
  j["startLine"] = n.start_line;
  j["endLine"] = n.end_line;
  j["original"] = n.original;
  if (n.sub) j["trigger"] = node_json(*n.sub);
  if (!n.comments.empty()) j["comments"] = n.comments;
  return j;
}

}  // namespace

std::string to_json(const Ast& ast) {
  nlohmann::ordered_json j;
  j["file"] = ast.source ? ast.source->filename : "";
  j["escape"] = std::string(1, ast.escape);
  j["directives"] = nlohmann::ordered_json::array();
  for (const auto& d : ast.directives)
    j["directives"].push_back({{"name", d.name}, {"value", d.value}, {"line", d.line}});
  j["instructions"] = nlohmann::ordered_json::array();
  for (const auto& n : ast.nodes) j["instructions"].push_back(node_json(n));
  j["warnings"] = nlohmann::ordered_json::array();
  for (const auto& w : ast.warnings)
    j["warnings"].push_back({{"line", w.line}, {"message", w.message}});
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace kiln::dockerfile
