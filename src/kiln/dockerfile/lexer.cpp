#include "kiln/dockerfile/lexer.hpp"
#include "kiln/dockerfile/source.hpp"

#include <cctype>
#include <optional>

namespace kiln::dockerfile {

namespace {

constexpr int k_eof = -1;

bool is_space(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }
bool is_digit(int c) { return c >= '0' && c <= '9'; }
bool is_name_char(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' || c >= 0x80;
}
bool is_special_param(int c) {
  return c == '@' || c == '*' || c == '#' || c == '?' || c == '-' || c == '$' || c == '!' || c == '0';
}

// Accumulates the split form (ProcessWords) next to the joined form.
struct Words {
  std::string word;
  std::vector<std::string> words;
  bool in_word = false;

  void add_char(char c) {
    if (is_space(static_cast<unsigned char>(c))) {
      if (in_word && !word.empty()) {
        words.push_back(std::move(word));
        word.clear();
        in_word = false;
      }
    } else {
      add_raw(c);
    }
  }
  void add_raw(char c) {
    word += c;
    in_word = true;
  }
  void add_string(std::string_view s) {
    for (char c : s) add_char(c);
  }
  void add_raw_string(std::string_view s) {
    word += s;
    in_word = true;
  }
  std::vector<std::string> take() {
    if (!word.empty()) words.push_back(std::move(word));
    word.clear();
    in_word = false;
    return std::move(words);
  }
};

struct Failure {
  std::string message;
};

class Scanner {
 public:
  Scanner(std::string_view s, const Vars& env, const Lexer& lx, char escape)
      : m_s(s), m_env(env), m_lx(lx), m_escape(escape), m_raw_escapes(lx.raw_escapes) {}

  int peek() const { return m_pos < m_s.size() ? static_cast<unsigned char>(m_s[m_pos]) : k_eof; }
  int next() { return m_pos < m_s.size() ? static_cast<unsigned char>(m_s[m_pos++]) : k_eof; }

  // Processes until stop (or end of input when stop is k_eof).
  Result<std::pair<std::string, std::vector<std::string>>> stop_on(int stop, bool raw_escapes) {
    std::string result;
    Words words;
    bool saved = m_raw_escapes;
    m_raw_escapes = raw_escapes;
    auto restore = [&] { m_raw_escapes = saved; };
    while (peek() != k_eof) {
      int c = peek();
      if (stop != k_eof && c == stop) {
        next();
        restore();
        return std::make_pair(result, words.take());
      }
      if (c == '$' || (c == '\'' || c == '"')) {
        std::string tmp;
        if (c == '$') tmp = KILN_TRY(dollar());
        else if (c == '\'') tmp = KILN_TRY(single_quote());
        else tmp = KILN_TRY(double_quote());
        result += tmp;
        if (c == '$') words.add_string(tmp);
        else words.add_raw_string(tmp);
        continue;
      }
      c = next();
      if (c == m_escape) {
        if (m_raw_escapes) {
          words.add_raw(static_cast<char>(c));
          result += static_cast<char>(c);
        }
        c = next();
        if (c == k_eof) break;
        words.add_raw(static_cast<char>(c));
      } else {
        words.add_char(static_cast<char>(c));
      }
      result += static_cast<char>(c);
    }
    restore();
    if (stop != k_eof)
      return failf(Errc::invalid_argument, "unexpected end of statement while looking for matching {}",
                   static_cast<char>(stop));
    return std::make_pair(result, words.take());
  }

  std::set<std::string> matched, unmatched;

 private:
  Result<std::string> single_quote() {
    std::string out;
    int c = next();
    if (m_lx.raw_quotes) out += static_cast<char>(c);
    while (true) {
      c = next();
      if (c == k_eof)
        return fail(Errc::invalid_argument,
                    "unexpected end of statement while looking for matching single-quote");
      if (c == '\'') {
        if (m_lx.raw_quotes) out += '\'';
        return out;
      }
      out += static_cast<char>(c);
    }
  }

  Result<std::string> double_quote() {
    std::string out;
    int c = next();
    if (m_lx.raw_quotes) out += static_cast<char>(c);
    while (true) {
      int p = peek();
      if (p == k_eof)
        return fail(Errc::invalid_argument,
                    "unexpected end of statement while looking for matching double-quote");
      if (p == '"') {
        next();
        if (m_lx.raw_quotes) out += '"';
        return out;
      }
      if (p == '$') {
        out += KILN_TRY(dollar());
        continue;
      }
      c = next();
      if (c == m_escape) {
        if (m_raw_escapes) out += static_cast<char>(c);
        int q = peek();
        if (q == k_eof) continue;
        if (q == '"' || q == '$' || q == m_escape) c = next();
      }
      out += static_cast<char>(c);
    }
  }

  std::string name() {
    std::string n;
    while (peek() != k_eof) {
      int c = peek();
      if (n.empty() && is_digit(c)) {
        while (peek() != k_eof && is_digit(peek())) n += static_cast<char>(next());
        return n;
      }
      if (n.empty() && is_special_param(c)) return std::string(1, static_cast<char>(next()));
      if (!is_name_char(c)) break;
      n += static_cast<char>(next());
    }
    return n;
  }

  std::pair<std::string, bool> get_env(const std::string& n) {
    auto it = m_env.find(n);
    if (it != m_env.end()) {
      matched.insert(n);
      return {it->second, true};
    }
    unmatched.insert(n);
    return {"", false};
  }

  Result<std::string> dollar() {
    next();  // '$'
    if (peek() != '{') {
      std::string n = name();
      if (n.empty()) return std::string("$");
      auto [v, set] = get_env(n);
      if (!set && m_lx.skip_unset) return "$" + n;
      return v;
    }
    next();  // '{'
    int p = peek();
    if (p == k_eof) return fail(Errc::invalid_argument, "syntax error: missing '}'");
    if (p == '{' || p == '}' || p == ':')
      return fail(Errc::invalid_argument, "syntax error: bad substitution");
    std::string n = name();
    int c = next();
    std::string chs = c == k_eof ? "" : std::string(1, static_cast<char>(c));
    bool null_is_unset = false;
    switch (c) {
      case '}': {
        auto [v, set] = get_env(n);
        if (!set && m_lx.skip_unset) return "${" + n + "}";
        return v;
      }
      case ':':
        null_is_unset = true;
        c = next();
        chs += c == k_eof ? "" : std::string(1, static_cast<char>(c));
        if (c != '+' && c != '-' && c != '?' && c != '#' && c != '%')
          return failf(Errc::invalid_argument, "unsupported modifier ({}) in substitution", chs);
        [[fallthrough]];
      case '+':
      case '-':
      case '?':
      case '#':
      case '%':
        return modifier(n, c, chs, null_is_unset);
      case '/':
        return replace(n);
      case k_eof: return fail(Errc::invalid_argument, "syntax error: missing '}'");
      default:
        return failf(Errc::invalid_argument, "unsupported modifier ({}) in substitution", chs);
    }
  }

  Result<std::string> sub_word(int stop, bool raw, std::string_view missing) {
    auto r = stop_on(stop, raw);
    if (!r) {
      if (peek() == k_eof) return fail(Errc::invalid_argument, std::string(missing));
      return std::unexpected(r.error());
    }
    return r->first;
  }

  Result<std::string> modifier(const std::string& n, int c, const std::string& chs, bool null_is_unset) {
    std::string word = KILN_TRY(sub_word('}', c == '#' || c == '%', "syntax error: missing '}'"));
    auto [value, set] = get_env(n);
    if (m_lx.skip_unset && !set) return "${" + n + chs + word + "}";
    bool empty = !set || (null_is_unset && value.empty());
    switch (c) {
      case '-': return empty ? word : value;
      case '+': return empty ? std::string() : word;
      case '?':
        if (!set) return failf(Errc::invalid_argument, "{}: {}", n, word.empty() ? "is not allowed to be unset" : word);
        if (null_is_unset && value.empty())
          return failf(Errc::invalid_argument, "{}: {}", n, word.empty() ? "is not allowed to be empty" : word);
        return value;
      default: {  // # and %: shortest match, ## and %%: longest
        bool greedy = !word.empty() && word[0] == c;
        if (greedy) word.erase(0, 1);
        KILN_TRY(check_pattern(word));
        if (c == '#') {
          for (size_t i = 0; i <= value.size(); ++i) {
            size_t len = greedy ? value.size() - i : i;
            if (pattern_matches(word, std::string_view(value).substr(0, len))) return value.substr(len);
          }
        } else {
          for (size_t i = 0; i <= value.size(); ++i) {
            size_t start = greedy ? i : value.size() - i;
            if (pattern_matches(word, std::string_view(value).substr(start))) return value.substr(0, start);
          }
        }
        return value;
      }
    }
  }

  Result<std::string> replace(const std::string& n) {
    bool all = peek() == '/';
    if (all) next();
    std::string pattern = KILN_TRY(sub_word('/', true, "syntax error: missing '/' in ${}"));
    std::string replacement = KILN_TRY(sub_word('}', true, "syntax error: missing '}'"));
    auto [value, set] = get_env(n);
    if (m_lx.skip_unset && !set) return "${" + n + "/" + pattern + "/" + replacement + "}";
    KILN_TRY(check_pattern(pattern));
    // Leftmost match, longest at that position (the greedy regex BuildKit builds).
    std::string out;
    size_t i = 0;
    bool replaced = false;
    while (i <= value.size()) {
      std::optional<size_t> end;
      if (all || !replaced)
        for (size_t j = value.size() + 1; j-- > i;)
          if (pattern_matches(pattern, std::string_view(value).substr(i, j - i))) {
            end = j;
            break;
          }
      if (end) {
        out += replacement;
        replaced = true;
        if (*end > i) {
          i = *end;
          continue;
        }
      }
      if (i < value.size()) out += value[i];
      ++i;
    }
    return out;
  }

  Status check_pattern(std::string_view p) {
    for (size_t i = 0; i < p.size(); ++i) {
      if (p[i] != '\\') continue;
      if (i + 1 < p.size() && (p[i + 1] == '}' || p[i + 1] == '/')) continue;
      char e = i + 1 < p.size() ? p[i + 1] : '\0';
      if (e != '*' && e != '?' && e != '\\')
        return failf(Errc::invalid_argument, "invalid pattern ({}) in substitution: invalid escape '\\{}'", p,
                     e);
      ++i;
    }
    return {};
  }

  std::string_view m_s;
  size_t m_pos = 0;
  const Vars& m_env;
  const Lexer& m_lx;
  int m_escape;
  bool m_raw_escapes;
};

size_t utf8_len(unsigned char c) {
  if (c < 0x80) return 1;
  if ((c >> 5) == 6) return 2;
  if ((c >> 4) == 14) return 3;
  if ((c >> 3) == 30) return 4;
  return 1;
}

bool match_from(std::string_view p, std::string_view t) {
  size_t pi = 0, ti = 0;
  size_t star_p = std::string_view::npos, star_t = 0;
  while (ti < t.size()) {
    if (pi < p.size() && p[pi] == '*') {
      star_p = ++pi;
      star_t = ti;
      continue;
    }
    if (pi < p.size()) {
      if (p[pi] == '?' && t[ti] != '\n') {
        ++pi;
        ti += std::min(utf8_len(static_cast<unsigned char>(t[ti])), t.size() - ti);
        continue;
      }
      char lit = p[pi];
      size_t adv = 1;
      if (lit == '\\' && pi + 1 < p.size()) {
        lit = p[pi + 1];
        adv = 2;
      }
      if (p[pi] != '?' && lit == t[ti]) {
        pi += adv;
        ++ti;
        continue;
      }
    }
    if (star_p != std::string_view::npos && t[star_t] != '\n') {
      pi = star_p;
      ti = ++star_t;
      continue;
    }
    return false;
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

}  // namespace

bool pattern_matches(std::string_view pattern, std::string_view text) { return match_from(pattern, text); }

Result<LexResult> Lexer::process(std::string_view word, const Vars& env) const {
  Scanner sc(word, env, *this, m_escape);
  auto r = sc.stop_on(k_eof, raw_escapes);
  if (!r) {
    Error e = r.error();
    e.context(fmt::format("failed to process {}", go_quote(word)));
    return std::unexpected(e);
  }
  LexResult out;
  out.word = std::move(r->first);
  out.words = std::move(r->second);
  out.matched = std::move(sc.matched);
  out.unmatched = std::move(sc.unmatched);
  return out;
}

Result<std::string> Lexer::process_word(std::string_view word, const Vars& env) const {
  return KILN_TRY(process(word, env)).word;
}

Result<std::vector<std::string>> Lexer::process_words(std::string_view word, const Vars& env) const {
  return KILN_TRY(process(word, env)).words;
}

}  // namespace kiln::dockerfile
