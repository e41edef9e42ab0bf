#include "kiln/dockerfile/lexer.hpp"
#include "kiln/dockerfile/source.hpp"

#include <cctype>
#include <optional>
#include <vector>

namespace kiln::dockerfile {

namespace {

constexpr int k_eof = -1;
constexpr size_t k_max_expansion = 1 << 20;       // one expanded word, 1 MiB
constexpr size_t k_max_pattern_input = 16 << 10;  // values given to # % / operators

// Pattern tokens for the NFA scan: a literal byte, '?' (one character) or '*'.
struct PatTok {
  enum Kind { lit, one, star } kind;
  char c;
};

std::vector<PatTok> tokenize(std::string_view p) {
  std::vector<PatTok> out;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '*')
      out.push_back({PatTok::star, 0});
    else if (p[i] == '?')
      out.push_back({PatTok::one, 0});
    else if (p[i] == '\\' && i + 1 < p.size())
      out.push_back({PatTok::lit, p[++i]});
    else
      out.push_back({PatTok::lit, p[i]});
  }
  return out;
}

// Every end position e (start <= e <= text.size()) where pattern matches text[start, e),
// found in one left-to-right NFA pass that stops when no state is alive.
std::vector<size_t> match_ends(const std::vector<PatTok>& toks, std::string_view text,
                               size_t start) {
  const size_t np = toks.size();
  std::vector<char> cur(np + 1, 0), next(np + 1, 0);
  auto close = [&](std::vector<char>& st) {
    for (size_t k = 0; k < np; ++k)
      if (st[k] && toks[k].kind == PatTok::star) st[k + 1] = 1;
  };
  std::vector<size_t> ends;
  cur[0] = 1;
  close(cur);
  for (size_t i = start;; ++i) {
    if (cur[np]) ends.push_back(i);
    if (i >= text.size()) break;
    std::fill(next.begin(), next.end(), 0);
    bool alive = false;
    unsigned char ch = static_cast<unsigned char>(text[i]);
    for (size_t k = 0; k < np; ++k) {
      if (!cur[k]) continue;
      const PatTok& t = toks[k];
      if (t.kind == PatTok::star) {
        if (ch != '\n') next[k] = alive = 1;
      } else if ((t.kind == PatTok::one && ch != '\n') ||
                 (t.kind == PatTok::lit && t.c == text[i])) {
        next[k + 1] = alive = 1;
      }
    }
    if (!alive) break;
    close(next);
    std::swap(cur, next);
  }
  return ends;
}

bool is_space(int c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}
bool is_digit(int c) {
  return c >= '0' && c <= '9';
}
bool is_name_char(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' || c >= 0x80;
}
bool is_special_param(int c) {
  return c == '@' || c == '*' || c == '#' || c == '?' || c == '-' || c == '$' || c == '!' ||
         c == '0';
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
        if (c == '$')
          tmp = KILN_TRY(dollar());
        else if (c == '\'')
          tmp = KILN_TRY(single_quote());
        else
          tmp = KILN_TRY(double_quote());
        result += tmp;
        KILN_TRY(check_size(result.size()));
        if (c == '$')
          words.add_string(tmp);
        else
          words.add_raw_string(tmp);
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
      return failf(Errc::invalid_argument,
                   "unexpected end of statement while looking for matching {}",
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
        KILN_TRY(check_size(out.size()));
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
      case k_eof:
        return fail(Errc::invalid_argument, "syntax error: missing '}'");
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

  Result<std::string> modifier(const std::string& n, int c, const std::string& chs,
                               bool null_is_unset) {
    std::string word = KILN_TRY(sub_word('}', c == '#' || c == '%', "syntax error: missing '}'"));
    auto [value, set] = get_env(n);
    if (m_lx.skip_unset && !set) return "${" + n + chs + word + "}";
    bool empty = !set || (null_is_unset && value.empty());
    switch (c) {
      case '-':
        return empty ? word : value;
      case '+':
        return empty ? std::string() : word;
      case '?':
        if (!set)
          return failf(Errc::invalid_argument, "{}: {}", n,
                       word.empty() ? "is not allowed to be unset" : word);
        if (null_is_unset && value.empty())
          return failf(Errc::invalid_argument, "{}: {}", n,
                       word.empty() ? "is not allowed to be empty" : word);
        return value;
      default: {  // # and %: shortest match, ## and %%: longest
        bool greedy = !word.empty() && word[0] == c;
        if (greedy) word.erase(0, 1);
        KILN_TRY(check_pattern(word));
        KILN_TRY(check_pattern_input(value));
        auto toks = tokenize(word);
        if (c == '#') {
          auto ends = match_ends(toks, value, 0);
          if (!ends.empty()) return value.substr(greedy ? ends.back() : ends.front());
        } else {
          // Suffix: the pattern must match all of value[start, end).
          for (size_t k = 0; k <= value.size(); ++k) {
            size_t start = greedy ? k : value.size() - k;
            auto ends = match_ends(toks, value, start);
            if (!ends.empty() && ends.back() == value.size()) return value.substr(0, start);
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
    KILN_TRY(check_pattern_input(value));
    // Leftmost match, longest at that position (the greedy regex BuildKit builds).
    auto toks = tokenize(pattern);
    std::string out;
    size_t i = 0;
    bool replaced = false;
    while (i <= value.size()) {
      std::optional<size_t> end;
      if (all || !replaced) {
        auto ends = match_ends(toks, value, i);
        if (!ends.empty()) end = ends.back();
      }
      if (end) {
        out += replacement;
        replaced = true;
        KILN_TRY(check_size(out.size()));
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

  static Status check_size(size_t n) {
    if (n > k_max_expansion)
      return failf(Errc::invalid_argument, "variable expansion is larger than {} bytes",
                   k_max_expansion);
    return {};
  }

  static Status check_pattern_input(std::string_view value) {
    if (value.size() > k_max_pattern_input)
      return failf(Errc::invalid_argument,
                   "value of {} bytes is too long for pattern substitution (limit {})",
                   value.size(), k_max_pattern_input);
    return {};
  }

  Status check_pattern(std::string_view p) {
    for (size_t i = 0; i < p.size(); ++i) {
      if (p[i] != '\\') continue;
      if (i + 1 < p.size() && (p[i + 1] == '}' || p[i + 1] == '/')) continue;
      char e = i + 1 < p.size() ? p[i + 1] : '\0';
      if (e != '*' && e != '?' && e != '\\')
        return failf(Errc::invalid_argument,
                     "invalid pattern ({}) in substitution: invalid escape '\\{}'", p, e);
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

}  // namespace

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

Result<std::vector<std::string>> Lexer::process_words(std::string_view word,
                                                      const Vars& env) const {
  return KILN_TRY(process(word, env)).words;
}

}  // namespace kiln::dockerfile
