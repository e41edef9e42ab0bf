#include "kiln/dockerfile/line_parsers.hpp"

#include <algorithm>
#include <climits>

#include "kiln/base/strings.hpp"
#include "kiln/dockerfile/lexer.hpp"

namespace kiln::dockerfile::detail {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

std::string_view trim_space(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// BuildKit's extractBuilderFlags: leading words starting with "--". Deliberately separate from
// parse_words (as in BuildKit): here quotes are removed and '\' always escapes; there quotes
// are kept for the lexer and the escape character is the Dockerfile's.
std::pair<std::string, std::vector<std::string>> extract_flags(std::string_view line) {
  enum { in_spaces, in_word, in_quote } phase = in_spaces;
  std::vector<std::string> words;
  std::string word;
  char quote = 0;
  bool blank_ok = false;
  for (size_t pos = 0; pos <= line.size(); ++pos) {
    char ch = pos < line.size() ? line[pos] : '\0';
    if (phase == in_spaces) {
      if (pos == line.size()) break;
      if (is_space(ch)) continue;
      if (ch != '-' || pos + 1 == line.size() || line[pos + 1] != '-')
        return {std::string(line.substr(pos)), words};
      phase = in_word;
    }
    if ((phase == in_word || phase == in_quote) && pos == line.size()) {
      if (word != "--" && (blank_ok || !word.empty())) words.push_back(word);
      break;
    }
    if (phase == in_word) {
      if (is_space(ch)) {
        phase = in_spaces;
        if (word == "--") return {std::string(line.substr(pos)), words};
        if (blank_ok || !word.empty()) words.push_back(word);
        word.clear();
        blank_ok = false;
        continue;
      }
      if (ch == '\'' || ch == '"') {
        quote = ch;
        blank_ok = true;
        phase = in_quote;
        continue;
      }
      if (ch == '\\') {
        if (pos + 1 == line.size()) continue;
        ch = line[++pos];
      }
      word += ch;
      continue;
    }
    if (ch == quote) {
      phase = in_word;
      continue;
    }
    if (ch == '\\') {
      if (pos + 1 == line.size()) {
        phase = in_word;
        continue;
      }
      ch = line[++pos];
    }
    word += ch;
  }
  return {"", words};
}

std::vector<std::string> split_whitespace(std::string_view rest) {
  std::vector<std::string> out;
  if (rest.empty()) return out;
  std::string cur;
  for (size_t i = 0; i <= rest.size(); ++i) {
    if (i == rest.size() || is_whitespace(rest[i])) {
      out.push_back(cur);
      cur.clear();
      while (i + 1 < rest.size() && is_whitespace(rest[i + 1])) ++i;
    } else {
      cur += rest[i];
    }
  }
  return out;
}

// ENV / LABEL: "KEY value" (legacy) or KEY=VALUE pairs. Flattened as BuildKit's parser links
// its nodes: key, value, separator ("=", or "" for the legacy form), key, value, separator...
Result<std::vector<std::string>> parse_name_val(std::string_view rest, std::string_view key,
                                                char escape) {
  auto words = parse_words(rest, escape);
  std::vector<std::string> out;
  if (words.empty()) return out;
  if (words[0].find('=') == std::string::npos) {
    size_t i = 0;
    while (i < rest.size() && !is_whitespace(rest[i])) ++i;
    size_t j = i;
    while (j < rest.size() && is_whitespace(rest[j])) ++j;
    if (i == rest.size()) return failf(Errc::invalid_argument, "{} must have two arguments", key);
    out.emplace_back(rest.substr(0, i));
    out.emplace_back(rest.substr(j));
    out.emplace_back("");
    return out;
  }
  for (const auto& w : words) {
    size_t eq = w.find('=');
    if (eq == std::string::npos)
      return failf(Errc::invalid_argument,
                   "Syntax error - can't find = in \"{}\". Must be of the form: name=value", w);
    out.push_back(w.substr(0, eq));
    out.push_back(w.substr(eq + 1));
    out.push_back("=");
  }
  return out;
}

struct Args {
  std::vector<std::string> args;
  bool json = false;
  std::shared_ptr<Node> sub;
};

Result<Args> maybe_json(std::string_view rest, bool to_list) {
  Args a;
  if (rest.empty() && !to_list) return a;
  auto arr = KILN_TRY(parse_json_array(rest));
  if (arr) {
    a.args = std::move(*arr);
    a.json = true;
    return a;
  }
  if (to_list)
    a.args = split_whitespace(rest);
  else
    a.args = {std::string(rest)};
  return a;
}

Result<Args> parse_args(const std::string& instr, std::string_view rest, char escape) {
  Args a;
  if (instr == "add" || instr == "copy" || instr == "volume") return maybe_json(rest, true);
  if (instr == "run" || instr == "cmd" || instr == "entrypoint" || instr == "shell")
    return maybe_json(rest, false);
  if (instr == "env" || instr == "label") {
    a.args = KILN_TRY(parse_name_val(rest, instr == "env" ? "ENV" : "LABEL", escape));
    return a;
  }
  if (instr == "arg") {
    a.args = parse_words(rest, escape);
    return a;
  }
  if (instr == "from" || instr == "expose") {
    a.args = split_whitespace(rest);
    return a;
  }
  if (instr == "maintainer" || instr == "stopsignal" || instr == "user" || instr == "workdir") {
    if (!rest.empty()) a.args = {std::string(rest)};
    return a;
  }
  if (instr == "healthcheck") {
    size_t sep = 0;
    while (sep < rest.size() && !is_space(rest[sep])) ++sep;
    if (sep == 0) return a;
    size_t next = sep;
    while (next < rest.size() && is_space(rest[next])) ++next;
    Args cmd = KILN_TRY(maybe_json(rest.substr(next), false));
    a.args = {std::string(rest.substr(0, sep))};
    a.args.insert(a.args.end(), cmd.args.begin(), cmd.args.end());
    a.json = cmd.json;
    return a;
  }
  if (instr == "onbuild") {
    if (rest.empty()) return a;
    a.sub = std::make_shared<Node>(KILN_TRY(node_from_line(rest, escape)));
    return a;
  }
  return a;  // unknown instruction: no arguments (reported by the instruction parser)
}

}  // namespace

bool is_whitespace(char c) {
  return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

CommandLine split_command(std::string_view line) {
  CommandLine out;
  std::string_view t = trim_space(line);
  size_t i = 0;
  while (i < t.size() && !is_whitespace(t[i])) ++i;
  out.keyword = std::string(t.substr(0, i));
  if (i < t.size()) {
    while (i < t.size() && is_whitespace(t[i])) ++i;
    auto [rest, flags] = extract_flags(t.substr(i));
    out.flags = std::move(flags);
    out.rest = std::string(trim_space(rest));
  }
  return out;
}

std::vector<std::string> parse_words(std::string_view rest, char escape) {
  enum { in_spaces, in_word, in_quote } phase = in_spaces;
  std::vector<std::string> words;
  std::string word;
  char quote = 0;
  bool blank_ok = false;
  for (size_t pos = 0; pos <= rest.size(); ++pos) {
    char ch = pos < rest.size() ? rest[pos] : '\0';
    if (phase == in_spaces) {
      if (pos == rest.size()) break;
      if (is_space(ch)) continue;
      phase = in_word;
    }
    if ((phase == in_word || phase == in_quote) && pos == rest.size()) {
      if (blank_ok || !word.empty()) words.push_back(word);
      break;
    }
    if (phase == in_word) {
      if (is_space(ch)) {
        phase = in_spaces;
        if (blank_ok || !word.empty()) words.push_back(word);
        word.clear();
        blank_ok = false;
        continue;
      }
      if (ch == '\'' || ch == '"') {
        quote = ch;
        blank_ok = true;
        phase = in_quote;
      }
      if (ch == escape) {
        if (pos + 1 == rest.size()) continue;
        word += ch;
        ch = rest[++pos];
      }
      word += ch;
      continue;
    }
    if (ch == quote) phase = in_word;
    if (ch == escape && quote != '\'') {
      if (pos + 1 == rest.size()) {
        phase = in_word;
        continue;
      }
      word += ch;
      ch = rest[++pos];
    }
    word += ch;
  }
  return words;
}

Result<Node> node_from_line(std::string_view line, char escape) {
  auto cl = split_command(line);
  Node n;
  n.keyword = cl.keyword;
  n.instruction = to_lower(cl.keyword);
  n.original = std::string(line);
  n.flags = std::move(cl.flags);
  auto a = KILN_TRY(parse_args(n.instruction, cl.rest, escape));
  n.args = std::move(a.args);
  n.json = a.json;
  n.sub = std::move(a.sub);
  return n;
}

Result<std::vector<Heredoc>> heredocs_from_line(std::string_view line) {
  Lexer raw('\\');
  raw.raw_quotes = true;
  raw.raw_escapes = true;
  auto words = raw.process_words(line, {});
  std::vector<Heredoc> docs;
  if (!words) return docs;  // unbalanced quotes etc.: not a heredoc line
  Lexer plain('\\');
  for (const auto& w : *words) {
    // ^(\d*)<<(-?)([^<]*)$
    size_t i = 0;
    while (i < w.size() && w[i] >= '0' && w[i] <= '9') ++i;
    std::string digits = w.substr(0, i);
    if (w.compare(i, 2, "<<") != 0) continue;
    i += 2;
    bool chomp = i < w.size() && w[i] == '-';
    if (chomp) ++i;
    std::string rest = w.substr(i);
    if (rest.empty() || rest.find('<') != std::string::npos) continue;
    auto names = KILN_TRY(plain.process_words(rest, {}));
    if (names.size() != 1)
      return failf(Errc::invalid_argument, "invalid heredoc delimiter \"{}\"", rest);
    Heredoc h;
    h.name = names[0];
    h.expand = names[0] == rest;
    h.chomp = chomp;
    h.fd = static_cast<int>(std::min<int64_t>(parse_int(digits).value_or(0), INT32_MAX));
    docs.push_back(std::move(h));
  }
  return docs;
}

}  // namespace kiln::dockerfile::detail
