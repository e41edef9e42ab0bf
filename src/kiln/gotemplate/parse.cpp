#include <cctype>
#include <cstdlib>

#include "kiln/gotemplate/ast.hpp"
#include "kiln/gotemplate/template.hpp"

namespace kiln::gotemplate {

namespace {

class Lexer {
 public:
  explicit Lexer(std::string_view s) : m_s(s) {}

  // Splits one action body into pipeline commands.
  Result<Pipeline> pipeline(std::string_view src) {
    Pipeline p;
    p.source = std::string(src);
    m_s = src;
    m_i = 0;
    // Variable declarations: "$x :=" or "$i, $v :=".
    size_t decl = src.find(":=");
    if (decl != std::string_view::npos && src.substr(0, decl).find('"') == std::string_view::npos) {
      std::string names(src.substr(0, decl));
      for (char& c : names)
        if (c == ',') c = ' ';
      size_t pos = 0;
      while (pos < names.size()) {
        while (pos < names.size() && names[pos] == ' ') ++pos;
        size_t end = names.find(' ', pos);
        if (end == std::string::npos) end = names.size();
        if (end > pos) {
          std::string v = names.substr(pos, end - pos);
          if (v[0] != '$')
            return failf(Errc::invalid_argument, "bad variable \"{}\" in {{{{{}}}}}", v, src);
          p.decl.push_back(v);
        }
        pos = end;
      }
      m_i = decl + 2;
    }
    Command cmd;
    while (true) {
      skip_space();
      if (m_i >= m_s.size()) break;
      char c = m_s[m_i];
      if (c == '|') {
        if (cmd.args.empty())
          return failf(Errc::invalid_argument, "empty command in {{{{{}}}}}", src);
        p.cmds.push_back(std::move(cmd));
        cmd = Command{};
        ++m_i;
        continue;
      }
      if (c == ')') return failf(Errc::invalid_argument, "unexpected \")\" in {{{{{}}}}}", src);
      cmd.args.push_back(KILN_TRY(arg(src)));
    }
    if (cmd.args.empty()) return failf(Errc::invalid_argument, "missing value in {{{{{}}}}}", src);
    p.cmds.push_back(std::move(cmd));
    return p;
  }

 private:
  void skip_space() {
    while (m_i < m_s.size() && std::isspace(static_cast<unsigned char>(m_s[m_i]))) ++m_i;
  }

  std::vector<std::string> chain() {
    std::vector<std::string> out;
    while (m_i < m_s.size() && m_s[m_i] == '.') {
      ++m_i;
      size_t start = m_i;
      while (m_i < m_s.size() &&
             (std::isalnum(static_cast<unsigned char>(m_s[m_i])) || m_s[m_i] == '_'))
        ++m_i;
      if (m_i > start) out.emplace_back(m_s.substr(start, m_i - start));
    }
    return out;
  }

  // Advances past letters, digits and `also`, and returns what it passed.
  std::string_view word(size_t start, char also) {
    while (m_i < m_s.size() &&
           (std::isalnum(static_cast<unsigned char>(m_s[m_i])) || m_s[m_i] == also))
      ++m_i;
    return m_s.substr(start, m_i - start);
  }

  Result<Arg> arg(std::string_view src) {
    Arg a;
    char c = m_s[m_i];
    if (c == '.') {
      a.kind = Arg::field;
      a.chain = chain();
      return a;
    }
    if (c == '$') {
      size_t start = m_i++;
      a.kind = Arg::variable;
      a.text = std::string(word(start, '_'));
      a.chain = chain();
      return a;
    }
    if (c == '"' || c == '`') return string_lit(src);
    if (c == '(') return sub_pipeline(src);
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '-') return number(src);
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      a.text = std::string(word(m_i, '_'));
      a.kind = a.text == "true" || a.text == "false" ? Arg::boolean
               : a.text == "nil"                     ? Arg::nil
                                                     : Arg::ident;
      return a;
    }
    return failf(Errc::invalid_argument, "unexpected \"{}\" in {{{{{}}}}}", c, src);
  }

  // "(pipeline)", then any field chain on its value.
  Result<Arg> sub_pipeline(std::string_view src) {
    Arg a;
    int depth = 0;
    size_t start = m_i;
    for (; m_i < m_s.size(); ++m_i) {
      if (m_s[m_i] == '(') ++depth;
      if (m_s[m_i] == ')' && --depth == 0) break;
    }
    if (m_i >= m_s.size())
      return failf(Errc::invalid_argument, "unclosed \"(\" in {{{{{}}}}}", src);
    std::string inner(m_s.substr(start + 1, m_i - start - 1));
    ++m_i;
    size_t save_i = m_i;
    std::string_view save_s = m_s;
    Lexer sub(inner);
    a.kind = Arg::sub;
    a.pipe = std::make_shared<Pipeline>(KILN_TRY(sub.pipeline(inner)));
    m_s = save_s;
    m_i = save_i;
    a.chain = chain();
    return a;
  }

  Result<Arg> number(std::string_view src) {
    Arg a;
    size_t start = m_i++;
    std::string t(word(start, '.'));
    char* end = nullptr;
    a.kind = Arg::number;
    a.num = std::strtod(t.c_str(), &end);
    a.is_int = t.find_first_of(".eE") == std::string::npos;
    if (*end) return failf(Errc::invalid_argument, "bad number \"{}\" in {{{{{}}}}}", t, src);
    return a;
  }

  Result<Arg> string_lit(std::string_view src) {
    char q = m_s[m_i++];
    Arg a;
    a.kind = Arg::string;
    while (m_i < m_s.size() && m_s[m_i] != q) {
      char c = m_s[m_i++];
      if (q == '"' && c == '\\' && m_i < m_s.size()) {
        char e = m_s[m_i++];
        switch (e) {
          case 'n':
            a.text += '\n';
            break;
          case 't':
            a.text += '\t';
            break;
          case 'r':
            a.text += '\r';
            break;
          case '\\':
            a.text += '\\';
            break;
          case '"':
            a.text += '"';
            break;
          default:
            a.text += '\\';
            a.text += e;
        }
      } else {
        a.text += c;
      }
    }
    if (m_i >= m_s.size())
      return failf(Errc::invalid_argument, "unterminated string in {{{{{}}}}}", src);
    ++m_i;
    return a;
  }

  std::string_view m_s;
  size_t m_i = 0;
};

struct Item {
  bool is_action;
  std::string text;  // text, or trimmed action body
  size_t pos;
};

Result<std::vector<Item>> split_items(std::string_view t) {
  std::vector<Item> items;
  size_t i = 0;
  while (i < t.size()) {
    size_t open = t.find("{{", i);
    std::string text(
        t.substr(i, open == std::string_view::npos ? std::string_view::npos : open - i));
    if (open == std::string_view::npos) {
      items.push_back({false, text, i});
      break;
    }
    size_t close = t.find("}}", open + 2);
    if (close == std::string_view::npos)
      return failf(Errc::invalid_argument, "template: unclosed action at offset {}", open);
    std::string body(t.substr(open + 2, close - open - 2));
    bool trim_left = body.starts_with("- ") || body == "-";
    bool trim_right = body.ends_with(" -");
    if (trim_left) body.erase(0, 1);
    if (trim_right) body.pop_back();
    if (trim_left)
      while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
        text.pop_back();
    if (!text.empty()) items.push_back({false, text, i});
    size_t b = body.find_first_not_of(" \t\r\n"), e = body.find_last_not_of(" \t\r\n");
    body = b == std::string::npos ? "" : body.substr(b, e - b + 1);
    items.push_back({true, body, open});
    i = close + 2;
    if (trim_right)
      while (i < t.size() && std::isspace(static_cast<unsigned char>(t[i]))) ++i;
  }
  return items;
}

class Parser {
 public:
  explicit Parser(std::vector<Item> items) : m_items(std::move(items)) {}

  // Parses until "end" / "else" (returned in *stop) or the end of input.
  Result<std::unique_ptr<Node>> list(std::string* stop) {
    auto node = std::make_unique<Node>();
    node->kind = Node::list;
    while (m_pos < m_items.size()) {
      const Item& it = m_items[m_pos++];
      if (!it.is_action) {
        auto t = std::make_unique<Node>();
        t->kind = Node::text;
        t->literal = it.text;
        node->children.push_back(std::move(t));
        continue;
      }
      std::string_view body = it.text;
      if (body.starts_with("/*")) continue;  // comment
      std::string word(body.substr(0, body.find_first_of(" \t")));
      if (word == "end" || word == "else") {
        if (!stop)
          return failf(Errc::invalid_argument, "template: unexpected {{{{{}}}}} at offset {}", word,
                       it.pos);
        *stop = std::string(body);
        return node;
      }
      if (word == "if" || word == "range" || word == "with") {
        node->children.push_back(KILN_TRY(control(word, body.substr(word.size()), it.pos)));
        continue;
      }
      auto a = std::make_unique<Node>();
      a->kind = Node::action;
      a->pipe = KILN_TRY(Lexer(body).pipeline(body));
      node->children.push_back(std::move(a));
    }
    if (stop) return failf(Errc::invalid_argument, "template: missing {{{{end}}}}");
    return node;
  }

 private:
  Result<std::unique_ptr<Node>> control(const std::string& word, std::string_view rest,
                                        size_t pos) {
    auto n = std::make_unique<Node>();
    n->kind = word == "if" ? Node::if_ : word == "range" ? Node::range : Node::with;
    n->pipe = KILN_TRY(Lexer(rest).pipeline(rest));
    std::string stop;
    n->body = KILN_TRY(list(&stop));
    if (stop.starts_with("else")) {
      std::string_view tail = std::string_view(stop).substr(4);
      while (!tail.empty() && tail.front() == ' ') tail.remove_prefix(1);
      if (tail.starts_with("if ")) {
        // {{else if x}} chains: parse as a nested if inside the else branch.
        auto wrapper = std::make_unique<Node>();
        wrapper->kind = Node::list;
        wrapper->children.push_back(KILN_TRY(control("if", tail.substr(2), pos)));
        n->else_body = std::move(wrapper);
        return n;
      }
      n->else_body = KILN_TRY(list(&stop));
      if (!stop.starts_with("end"))
        return failf(Errc::invalid_argument, "template: {{{{{}}}}} at offset {} has two else", word,
                     pos);
    }
    return n;
  }

  std::vector<Item> m_items;
  size_t m_pos = 0;
};

}  // namespace

Template::Template() = default;
Template::Template(Template&&) noexcept = default;
Template& Template::operator=(Template&&) noexcept = default;
Template::~Template() = default;

Result<Template> Template::parse(std::string_view text) {
  auto items = KILN_TRY(split_items(text));
  Parser p(std::move(items));
  Template t;
  t.m_root = KILN_TRY(p.list(nullptr));
  return t;
}

}  // namespace kiln::gotemplate
