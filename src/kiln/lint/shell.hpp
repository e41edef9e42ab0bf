// A small reading of the POSIX shell scripts in RUN instructions, enough for lint rules: the
// script split into simple commands (words with quotes removed, each with its offset in the
// script) and the operator that joins each to the one before. It does not execute or expand
// anything; $(...), `...` and ${...} stay inside the word that holds them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kiln::lint {

struct Word {
  std::string text;   // quotes and escapes removed
  size_t offset = 0;  // of its first character in the script
};

struct SimpleCommand {
  std::vector<Word> words;  // leading VAR=value assignments removed
  // How it is joined to the command before it: "" (first), "&&", "||", ";", "|", "\n", "&".
  std::string joined_by;
  // The words that follow "sudo"/"env"/"exec"/"command"/"time"/"nice"/"xargs": the command
  // that really runs (points into `words`).
  size_t start = 0;
  std::string_view name() const {
    return start < words.size() ? std::string_view(words[start].text) : std::string_view();
  }
  // The arguments after the command name.
  std::vector<Word> args() const;
};

std::vector<SimpleCommand> split_commands(std::string_view script);

// The command name without its directory ("/usr/bin/apt-get" gives "apt-get").
std::string_view base_name(std::string_view word);

}  // namespace kiln::lint
