#include <nlohmann/json.hpp>

#include "kiln/dockerfile/ast.hpp"

namespace kiln::dockerfile {

namespace {

// strconv.Quote: printable runes kept, \a \b \f \n \r \t \v \\ \" escaped, others \xNN / \uNNNN.
std::string go_quote(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '\a': out += "\\a"; continue;
      case '\b': out += "\\b"; continue;
      case '\f': out += "\\f"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      case '\v': out += "\\v"; continue;
      case '\\': out += "\\\\"; continue;
      case '"': out += "\\\""; continue;
      default: break;
    }
    if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      // Copy a whole valid UTF-8 sequence; a stray byte becomes \xNN.
      size_t len = (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
      bool ok = len > 0 && i + len <= s.size();
      for (size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(s[i + k]) >> 6) == 2;
      if (!ok) {
        out += fmt::format("\\x{:02x}", c);
        continue;
      }
      out += s.substr(i, len);
      i += len - 1;
    }
  }
  return out + "\"";
}

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

nlohmann::ordered_json node_json(const Node& n) {
  nlohmann::ordered_json j;
  j["instruction"] = n.instruction;
  j["keyword"] = n.keyword;
  j["flags"] = n.flags;
  j["args"] = n.args;
  j["json"] = n.json;
  j["heredocs"] = nlohmann::ordered_json::array();
  for (const auto& h : n.heredocs)
    j["heredocs"].push_back({{"name", h.name}, {"content", h.content}, {"expand", h.expand},
                             {"chomp", h.chomp}, {"fd", h.fd}});
  j["startLine"] = n.start_line;
  j["endLine"] = n.end_line;
  j["original"] = n.original;
  if (n.sub) j["trigger"] = node_json(*n.sub);
  if (!n.comments.empty()) j["comments"] = n.comments;
  return j;
}

}  // namespace

std::string dump(const Ast& ast) {
  std::string out;
  for (const auto& n : ast.nodes) out += "(" + dump_node(n) + ")\n";
  return out;
}

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
  for (const auto& w : ast.warnings) j["warnings"].push_back({{"line", w.line}, {"message", w.message}});
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace kiln::dockerfile
