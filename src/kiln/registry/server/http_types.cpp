#include "kiln/registry/server/http_types.hpp"

namespace kiln::registry::server {
namespace {

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

template <class F>
void for_each_param(std::string_view query, F f) {
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t amp = query.find('&', pos);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view kv = query.substr(pos, amp - pos);
    size_t eq = kv.find('=');
    if (!kv.empty() && f(url_decode(kv.substr(0, eq)),
                         eq == std::string_view::npos ? std::string_view() : kv.substr(eq + 1)))
      return;
    pos = amp + 1;
  }
}

}  // namespace

std::string url_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
      out += static_cast<char>(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string Request::param(std::string_view key) const {
  std::string value;
  for_each_param(query, [&](const std::string& k, std::string_view v) {
    if (k != key) return false;
    value = url_decode(v);
    return true;
  });
  return value;
}

bool Request::has_param(std::string_view key) const {
  bool found = false;
  for_each_param(query, [&](const std::string& k, std::string_view) {
    found = k == key;
    return found;
  });
  return found;
}

}  // namespace kiln::registry::server
