// Internal to dockerfile/: how BuildKit splits each instruction's arguments.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kiln/base/error.hpp"
#include "kiln/dockerfile/ast.hpp"

namespace kiln::dockerfile::detail {

// Splits "CMD --flags rest": the keyword, the leading --flags, and the trimmed rest.
struct CommandLine {
  std::string keyword;
  std::vector<std::string> flags;
  std::string rest;
};
CommandLine split_command(std::string_view line);

// Words separated by whitespace; quotes and escapes are kept (removed later by the lexer).
std::vector<std::string> parse_words(std::string_view rest, char escape);

// A JSON array of strings. nullopt: not a JSON array (shell form). An error: a JSON array with
// something other than strings in it.
Result<std::optional<std::vector<std::string>>> parse_json_array(std::string_view rest);

// Builds a Node (without lines and heredocs) from one logical line.
Result<Node> node_from_line(std::string_view line, char escape);

// Heredoc markers (<<EOF, <<-"EOF", 3<<EOF) in a RUN/COPY/ADD line, in order.
Result<std::vector<Heredoc>> heredocs_from_line(std::string_view line);

bool is_whitespace(char c);  // [\t\v\f\r ]

}  // namespace kiln::dockerfile::detail
