#include <optional>

#include "kiln/base/strings.hpp"
#include "kiln/dockerfile/ast.hpp"
#include "kiln/dockerfile/line_parsers.hpp"

namespace kiln::dockerfile {

namespace {

using detail::is_whitespace;

std::string_view trim_left(std::string_view s) {
  while (!s.empty() && (is_whitespace(s.front()) || s.front() == '\n')) s.remove_prefix(1);
  return s;
}

bool is_comment(std::string_view line) {
  return trim_left(line).starts_with('#');
}

// "#[ \t]*NAME[ \t]*=[ \t]*VALUE[ \t]*" with NAME [a-zA-Z][a-zA-Z0-9]* and VALUE non-empty.
std::optional<std::pair<std::string, std::string>> match_directive(std::string_view l) {
  auto blank = [](char c) { return c == ' ' || c == '\t'; };
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!l.starts_with('#')) return std::nullopt;
  size_t i = 1;
  while (i < l.size() && blank(l[i])) ++i;
  size_t name_start = i;
  if (i >= l.size() || !alpha(l[i])) return std::nullopt;
  while (i < l.size() && (alpha(l[i]) || (l[i] >= '0' && l[i] <= '9'))) ++i;
  std::string name(l.substr(name_start, i - name_start));
  while (i < l.size() && blank(l[i])) ++i;
  if (i >= l.size() || l[i] != '=') return std::nullopt;
  ++i;
  while (i < l.size() && blank(l[i])) ++i;
  size_t end = l.size();
  while (end > i && blank(l[end - 1])) --end;
  if (end == i) return std::nullopt;
  return std::make_pair(name, std::string(l.substr(i, end - i)));
}

// Parser directives: "# name=value" lines at the very top (BuildKit's DirectiveParser).
class Directives {
 public:
  Status line(std::string_view l, int n, Ast& ast) {
    if (m_done) return {};
    if (n == 1 && l.starts_with("#!")) return {};
    auto parsed = match_directive(l);
    if (!parsed) {
      m_done = true;
      return {};
    }
    std::string name = to_lower(parsed->first);
    if (name != "syntax" && name != "escape" && name != "check") {
      m_done = true;
      return {};
    }
    for (const auto& d : ast.directives)
      if (d.name == name)
        return failf(Errc::invalid_argument, "only one {} parser directive can be used", name);
    std::string value = parsed->second;
    if (name == "escape") {
      if (value != "\\" && value != "`")
        return failf(Errc::invalid_argument, "invalid escape token '{}' does not match ` or \\",
                     value);
      ast.escape = value[0];
    }
    ast.directives.push_back({name, value, n});
    return {};
  }

 private:
  bool m_done = false;
};

struct Line {
  std::string text;  // without the line ending
  std::string raw;   // with "\n" (for heredoc bodies)
};

std::vector<Line> split_lines(std::string_view text) {
  std::vector<Line> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    Line l;
    l.raw = std::string(text.substr(start, end - start));
    std::string_view t =
        text.substr(start, (nl == std::string_view::npos ? text.size() : nl) - start);
    while (!t.empty() && (t.back() == '\r' || t.back() == '\n')) t.remove_suffix(1);
    l.text = std::string(t);
    out.push_back(std::move(l));
    start = end;
  }
  if (!out.empty() && out[0].text.starts_with("\xEF\xBB\xBF")) {
    out[0].text.erase(0, 3);
    out[0].raw.erase(0, 3);
  }
  return out;
}

// Strips a trailing escape character (plus blanks): returns whether the line continues.
bool trim_continuation(std::string& line, char escape) {
  size_t end = line.size();
  while (end > 0 && (line[end - 1] == ' ' || line[end - 1] == '\t')) --end;
  if (end > 0 && line[end - 1] == escape) {
    line.resize(end - 1);
    return true;
  }
  return false;
}

bool can_contain_heredoc(const Node& n) {
  return !n.json && (n.instruction == "run" || n.instruction == "copy" || n.instruction == "add");
}

}  // namespace

std::string Heredoc::text() const {
  if (!chomp) return content;
  std::string out;
  bool at_start = true;
  for (char c : content) {
    if (at_start && c == '\t') continue;
    at_start = c == '\n';
    out += c;
  }
  return out;
}

namespace {

// A comment line: kept for the next instruction (an empty comment starts the list again).
void note_comment(std::string_view line, std::vector<std::string>& comments) {
  std::string c(trim_left(line.substr(1)));
  while (!c.empty() && is_whitespace(c.back())) c.pop_back();
  if (c.empty())
    comments.clear();
  else
    comments.push_back(c);
}

// A heredoc's body: the lines from i up to the one that names it (tabs stripped for <<-),
// which is consumed too.
template <class Lines>
Status read_heredoc(const Lines& lines, size_t& i, Heredoc& h) {
  while (i < lines.size()) {
    std::string_view candidate = lines[i].text;
    if (h.chomp)
      while (candidate.starts_with('\t')) candidate.remove_prefix(1);
    ++i;
    if (candidate == h.name) return {};
    h.content += lines[i - 1].raw;
  }
  return failf(Errc::invalid_argument,
               "unterminated heredoc: no line \"{}\" ends the heredoc started here", h.name);
}

}  // namespace

Result<Ast> parse(std::string_view text, std::string filename) {
  Ast ast;
  auto src = std::make_shared<Source>(Source::from_text(text, filename));
  ast.source = src;
  auto lines = split_lines(text);
  Directives directives;
  std::vector<std::string> comments;
  auto err = [&](int line, int col, std::string_view msg) {
    return std::unexpected(located(*src, line, col, msg));
  };
  size_t i = 0;
  while (i < lines.size()) {
    std::string_view first = trim_left(lines[i].text);
    int start_line = static_cast<int>(i) + 1;
    if (first.starts_with('#')) note_comment(first, comments);
    if (auto st = directives.line(first, start_line, ast); !st)
      return err(start_line, 1, st.error().message());
    int column = static_cast<int>(lines[i].text.size() - first.size()) + 1;
    std::string line = first.starts_with('#') ? "" : std::string(first);
    ++i;
    bool cont = trim_continuation(line, ast.escape);
    if (!cont && line.empty()) continue;
    bool empty_continuation = false;
    while (cont && i < lines.size()) {
      const std::string& l = lines[i].text;
      (void)directives.line(trim_left(l), static_cast<int>(i) + 1, ast);
      ++i;
      if (is_comment(l)) continue;
      if (trim_left(l).empty()) {
        empty_continuation = true;
        continue;
      }
      std::string piece = l;
      cont = trim_continuation(piece, ast.escape);
      line += piece;
    }
    int end_line = static_cast<int>(i);
    if (empty_continuation)
      ast.warnings.push_back({"Empty continuation line found in: " + line, start_line});
    auto node = detail::node_from_line(line, ast.escape);
    if (!node) return err(start_line, column, node.error().message());
    node->start_line = start_line;
    node->end_line = end_line;
    node->column = column;
    node->comments = std::move(comments);
    comments.clear();
    if (can_contain_heredoc(*node) && line.find("<<") != std::string::npos) {
      auto docs = detail::heredocs_from_line(line);
      if (!docs) return err(start_line, column, docs.error().message());
      for (auto& h : *docs) {
        if (auto st = read_heredoc(lines, i, h); !st)
          return err(start_line, column, st.error().message());
        node->heredocs.push_back(std::move(h));
      }
      node->end_line = static_cast<int>(i);
    }
    ast.nodes.push_back(std::move(*node));
  }
  return ast;
}

}  // namespace kiln::dockerfile
