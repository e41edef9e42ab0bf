// SPDX license expressions: a recursive-descent parser over the grammar of SPDX 2.3 annex D
//   expr     := and-expr { "OR" and-expr }
//   and-expr := with-expr { "AND" with-expr }
//   with-expr:= primary [ "WITH" exception-id ]
//   primary  := "(" expr ")" | license-id ["+"] | ["DocumentRef-x:"] "LicenseRef-x"
// that rebuilds the expression in canonical form as it goes.
#include "kiln/scan/license.hpp"

#include <algorithm>
#include <array>
#include <unordered_map>
#include <vector>

#include "kiln/base/strings.hpp"
#include "kiln/digest/digest.hpp"

namespace kiln::scan {

namespace {

// Generated at configure time from Debian's node-spdx-license-ids (index.json and
// deprecated.json) and node-spdx-exceptions: kSpdxLicenseIds and kSpdxExceptionIds.
#include "spdx_ids.inc"

using Table = std::unordered_map<std::string, std::string_view>;  // lower case -> canonical

template <size_t N>
Table make_table(const std::array<std::string_view, N>& ids) {
  Table t;
  t.reserve(N);
  for (auto id : ids) t.emplace(to_lower(id), id);
  return t;
}

const Table& licenses() {
  static const Table t = make_table(kSpdxLicenseIds);
  return t;
}
const Table& exceptions() {
  static const Table t = make_table(kSpdxExceptionIds);
  return t;
}

bool idstring(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-';
  });
}

std::vector<std::string> tokenize(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty()) out.push_back(std::move(cur));
    cur.clear();
  };
  for (char c : s) {
    if (c == '(' || c == ')') {
      flush();
      out.emplace_back(1, c);
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      flush();
    } else {
      cur += c;
    }
  }
  flush();
  return out;
}

class Parser {
 public:
  explicit Parser(std::vector<std::string> toks) : m_toks(std::move(toks)) {}

  std::optional<std::string> parse() {
    if (m_toks.empty()) return std::nullopt;
    auto e = expr(0);
    if (!e || m_pos != m_toks.size()) return std::nullopt;
    return e;
  }

 private:
  bool is_op(std::string_view op) const {
    return m_pos < m_toks.size() && to_lower(m_toks[m_pos]) == to_lower(op);
  }

  std::optional<std::string> expr(int depth) {
    auto left = and_expr(depth);
    while (left && is_op("OR")) {
      ++m_pos;
      auto right = and_expr(depth);
      if (!right) return std::nullopt;
      *left += " OR " + *right;
    }
    return left;
  }

  std::optional<std::string> and_expr(int depth) {
    auto left = with_expr(depth);
    while (left && is_op("AND")) {
      ++m_pos;
      auto right = with_expr(depth);
      if (!right) return std::nullopt;
      *left += " AND " + *right;
    }
    return left;
  }

  std::optional<std::string> with_expr(int depth) {
    auto left = primary(depth);
    if (left && is_op("WITH")) {
      ++m_pos;
      if (m_pos >= m_toks.size()) return std::nullopt;
      auto it = exceptions().find(to_lower(m_toks[m_pos]));
      if (it == exceptions().end()) return std::nullopt;
      ++m_pos;
      *left += " WITH " + std::string(it->second);
    }
    return left;
  }

  std::optional<std::string> primary(int depth) {
    if (m_pos >= m_toks.size() || depth > 32) return std::nullopt;
    const std::string& t = m_toks[m_pos];
    if (t == "(") {
      ++m_pos;
      auto inner = expr(depth + 1);
      if (!inner || m_pos >= m_toks.size() || m_toks[m_pos] != ")") return std::nullopt;
      ++m_pos;
      return "(" + *inner + ")";
    }
    if (t == ")" || is_op("AND") || is_op("OR") || is_op("WITH")) return std::nullopt;
    ++m_pos;
    std::string_view id = t;
    std::string_view ref = id;
    if (ref.starts_with("DocumentRef-")) {
      auto colon = ref.find(':');
      if (colon == std::string_view::npos || !idstring(ref.substr(12, colon - 12)))
        return std::nullopt;
      ref = ref.substr(colon + 1);
    }
    if (ref.starts_with("LicenseRef-"))
      return idstring(ref.substr(11)) ? std::optional<std::string>(t) : std::nullopt;
    if (ref.size() != id.size()) return std::nullopt;  // a DocumentRef names only LicenseRef-s
    bool plus = id.ends_with('+');
    if (plus) id.remove_suffix(1);
    std::string canon = spdx_license_id(id);
    if (canon.empty()) return std::nullopt;
    return plus ? canon + "+" : canon;
  }

  std::vector<std::string> m_toks;
  size_t m_pos = 0;
};

}  // namespace

std::string spdx_license_id(std::string_view id) {
  auto it = licenses().find(to_lower(id));
  return it == licenses().end() ? std::string() : std::string(it->second);
}

std::optional<std::string> spdx_expression(std::string_view text) {
  if (text.size() > 4096) return std::nullopt;
  return Parser(tokenize(text)).parse();
}

std::string license_ref(std::string_view text) {
  std::string out = "LicenseRef-";
  for (char c : text.substr(0, 64))
    out += ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '.' || c == '-')
               ? c
               : '-';
  return out + "-" + Digest::of(text).hex().substr(0, 8);
}

}  // namespace kiln::scan
