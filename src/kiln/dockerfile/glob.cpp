#include "kiln/dockerfile/glob.hpp"

#include <cstdint>
#include <functional>

namespace kiln::dockerfile::detail {

namespace {

// UTF-8 to code points; a byte that does not start a valid sequence becomes a value above
// U+10FFFF of its own, so that matching stays byte-exact for names that are not UTF-8.
std::u32string decode(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    auto b = static_cast<unsigned char>(s[i]);
    int len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
    char32_t cp = len == 1 ? b : len == 2 ? (b & 0x1f) : len == 3 ? (b & 0x0f) : (b & 0x07);
    bool ok = len > 0 && i + static_cast<size_t>(len) <= s.size();
    for (int k = 1; ok && k < len; ++k) {
      auto c = static_cast<unsigned char>(s[i + static_cast<size_t>(k)]);
      ok = (c & 0xc0) == 0x80;
      cp = (cp << 6) | (c & 0x3f);
    }
    static constexpr char32_t k_min[] = {0, 0, 0x80, 0x800, 0x10000};
    ok = ok && cp >= k_min[len] && cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff);
    if (!ok) {
      out.push_back(0x110000 + b);
      ++i;
      continue;
    }
    out.push_back(cp);
    i += static_cast<size_t>(len);
  }
  return out;
}

}  // namespace

Result<Glob> Glob::compile(std::string_view pattern, bool double_star) {
  const std::u32string p = decode(pattern);
  Glob g;
  auto bad = [] { return fail(Errc::invalid_argument, "syntax error in pattern"); };
  for (size_t i = 0; i < p.size(); ++i) {
    char32_t c = p[i];
    Token t;
    t.kind = Token::lit;
    if (c == '*') {
      if (double_star && i + 1 < p.size() && p[i + 1] == '*') {
        ++i;
        if (i + 1 < p.size() && p[i + 1] == '/') ++i;
        t.kind = i + 1 >= p.size() ? Token::dstar_end : Token::dstar_slash;
      } else {
        while (i + 1 < p.size() && p[i + 1] == '*' && !double_star) ++i;
        t.kind = Token::star;
      }
    } else if (c == '?') {
      t.kind = Token::one;
    } else if (c == '\\') {
      if (i + 1 >= p.size()) {
        if (!double_star) return bad();
        t.c = '\\';
      } else {
        t.c = p[++i];
      }
    } else if (c == '[') {
      t.kind = Token::cls;
      size_t j = i + 1;
      if (j < p.size() && p[j] == '^') t.negate = true, ++j;
      bool first = true;
      while (j < p.size() && (p[j] != ']' || (first && double_star))) {
        first = false;
        char32_t lo = p[j];
        if (lo == '\\') {
          if (j + 1 >= p.size()) return bad();
          lo = p[++j];
        }
        char32_t hi = lo;
        if (j + 2 < p.size() && p[j + 1] == '-' && p[j + 2] != ']') {
          hi = p[j + 2];
          j += 2;
          if (hi == '\\') {
            if (j + 1 >= p.size()) return bad();
            hi = p[++j];
          }
        }
        t.ranges.emplace_back(lo, hi);
        ++j;
      }
      if (j >= p.size() || t.ranges.empty()) return bad();
      i = j;
    } else {
      t.c = c;
    }
    g.m_tokens.push_back(std::move(t));
  }
  return g;
}

bool Glob::match(std::string_view text) const {
  const std::u32string s = decode(text);
  const size_t tn = m_tokens.size(), n = s.size();
  std::vector<int8_t> memo((tn + 1) * (n + 1), -1);
  std::function<bool(size_t, size_t)> m = [&](size_t t, size_t i) -> bool {
    if (t == tn) return i == n;
    int8_t& slot = memo[t * (n + 1) + i];
    if (slot >= 0) return slot;
    const Token& tok = m_tokens[t];
    bool r = false;
    switch (tok.kind) {
      case Token::lit:
        r = i < n && s[i] == tok.c && m(t + 1, i + 1);
        break;
      case Token::one:
        r = i < n && s[i] != '/' && m(t + 1, i + 1);
        break;
      case Token::star:
        for (size_t j = i; j <= n && !r; ++j) {
          r = m(t + 1, j);
          if (j < n && s[j] == '/') break;
        }
        break;
      case Token::dstar_end:
        r = true;
        break;
      case Token::dstar_slash:
        r = m(t + 1, i);
        for (size_t j = i + 1; j <= n && !r; ++j)
          if (s[j - 1] == '/') r = m(t + 1, j);
        break;
      case Token::cls: {
        if (i >= n) break;
        bool in = false;
        for (auto [lo, hi] : tok.ranges) in |= s[i] >= lo && s[i] <= hi;
        r = in != tok.negate && m(t + 1, i + 1);
        break;
      }
    }
    slot = r;
    return r;
  };
  return m(0, 0);
}

}  // namespace kiln::dockerfile::detail
