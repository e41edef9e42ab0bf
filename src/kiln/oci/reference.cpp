#include "kiln/oci/reference.hpp"

#include "kiln/base/strings.hpp"

namespace kiln::oci {

namespace {

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool is_alnum(char c) {
  return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}
bool is_word(char c) {
  return is_alnum(c) || c == '_';
}

// path-component := [a-z0-9]+ (separator [a-z0-9]+)*, separator := [_.] | __ | -+
bool valid_path_component(std::string_view c) {
  if (c.empty() || !is_lower_alnum(c.front()) || !is_lower_alnum(c.back())) return false;
  size_t i = 0;
  while (i < c.size()) {
    if (is_lower_alnum(c[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < c.size() && !is_lower_alnum(c[j])) ++j;
    std::string_view sep = c.substr(i, j - i);
    bool ok = sep == "." || sep == "_" || sep == "__" ||
              sep.find_first_not_of('-') == std::string_view::npos;
    if (!ok) return false;
    i = j;
  }
  return true;
}

bool valid_domain_component(std::string_view c) {
  if (c.empty() || !is_alnum(c.front()) || !is_alnum(c.back())) return false;
  for (char ch : c)
    if (!is_alnum(ch) && ch != '-') return false;
  return true;
}

bool valid_ipv6(std::string_view h) {
  if (h.empty()) return false;
  for (char c : h)
    if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.')) return false;
  return h.find(':') != std::string_view::npos;
}

Status check_domain(std::string_view d, std::string_view ref) {
  std::string_view host = d, port;
  if (d.starts_with('[')) {
    size_t close = d.find(']');
    if (close == std::string_view::npos || !valid_ipv6(d.substr(1, close - 1)))
      return failf(Errc::invalid_argument, "invalid reference \"{}\": bad IPv6 host \"{}\"", ref,
                   d);
    host = d.substr(0, close + 1);
    if (close + 1 < d.size()) {
      if (d[close + 1] != ':')
        return failf(Errc::invalid_argument, "invalid reference \"{}\": bad registry host \"{}\"",
                     ref, d);
      port = d.substr(close + 2);
      if (port.empty())
        return failf(Errc::invalid_argument, "invalid reference \"{}\": empty port", ref);
    }
  } else {
    size_t colon = d.find(':');
    if (colon != std::string_view::npos) {
      host = d.substr(0, colon);
      port = d.substr(colon + 1);
      if (port.empty())
        return failf(Errc::invalid_argument, "invalid reference \"{}\": empty port", ref);
    }
    for (const auto& comp : split(host, '.'))
      if (!valid_domain_component(comp))
        return failf(Errc::invalid_argument, "invalid reference \"{}\": bad registry host \"{}\"",
                     ref, d);
  }
  for (char c : port)
    if (c < '0' || c > '9')
      return failf(Errc::invalid_argument, "invalid reference \"{}\": port \"{}\" is not a number",
                   ref, port);
  return {};
}

bool valid_tag(std::string_view t) {
  if (t.empty() || t.size() > 128 || !is_word(t.front())) return false;
  for (char c : t)
    if (!is_word(c) && c != '.' && c != '-') return false;
  return true;
}

// The repository path (after the domain): lowercase components with single separators.
Status check_path(std::string_view path, std::string_view ref) {
  if (to_lower(path) != path)
    return failf(Errc::invalid_argument,
                 "invalid reference \"{}\": repository name must be lowercase", ref);
  for (const auto& comp : split(path, '/'))
    if (!valid_path_component(comp))
      return failf(Errc::invalid_argument,
                   "invalid reference \"{}\": bad path component \"{}\" (want lowercase letters, "
                   "digits and single separators . _ __ -)",
                   ref, comp);
  return {};
}

}  // namespace

bool looks_like_id(std::string_view s) {
  if (s.starts_with("sha256:")) s.remove_prefix(7);
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

Result<Reference> Reference::parse(std::string_view s, bool default_tag) {
  if (s.empty()) return fail(Errc::invalid_argument, "invalid reference: empty");
  Reference r;
  std::string_view rest = s;
  if (size_t at = rest.find('@'); at != std::string_view::npos) {
    r.digest = KILN_TRY_CTX(Digest::parse(rest.substr(at + 1)),
                            fmt::format("invalid reference \"{}\"", s));
    rest = rest.substr(0, at);
  }
  size_t slash = rest.rfind('/');
  size_t colon = rest.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    std::string_view tag = rest.substr(colon + 1);
    if (!valid_tag(tag))
      return failf(
          Errc::invalid_argument,
          "invalid reference \"{}\": bad tag \"{}\" (want [A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}})", s,
          tag);
    r.tag = std::string(tag);
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) return failf(Errc::invalid_argument, "invalid reference \"{}\": empty name", s);
  // Domain detection as docker's splitDockerDomain.
  std::string_view remainder = rest;
  size_t first = rest.find('/');
  std::string_view head = first == std::string_view::npos ? "" : rest.substr(0, first);
  if (first == std::string_view::npos || (head.find_first_of(".:") == std::string_view::npos &&
                                          head != "localhost" && to_lower(head) == head)) {
    r.domain = k_default_domain;
  } else {
    KILN_TRY(check_domain(head, s));
    r.domain = std::string(head);
    remainder = rest.substr(first + 1);
  }
  if (r.domain == "index.docker.io") r.domain = k_default_domain;
  if (remainder.empty())
    return failf(Errc::invalid_argument, "invalid reference \"{}\": empty repository path", s);
  KILN_TRY(check_path(remainder, s));
  if (r.domain == k_default_domain && remainder.find('/') == std::string_view::npos)
    r.path = "library/" + std::string(remainder);
  else
    r.path = std::string(remainder);
  if (r.domain == k_default_domain && first == std::string_view::npos && looks_like_id(rest) &&
      rest.size() == 64)
    return failf(Errc::invalid_argument,
                 "invalid reference \"{}\": cannot specify 64-byte hexadecimal strings", s);
  if (r.name().size() > k_max_name_length)
    return failf(Errc::invalid_argument,
                 "invalid reference \"{}\": repository name must not be more than {} characters",
                 s.substr(0, 64), k_max_name_length);
  if (default_tag && r.tag.empty() && !r.digest) r.tag = "latest";
  return r;
}

std::string Reference::name() const {
  return domain + "/" + path;
}

std::string Reference::str() const {
  std::string out = name();
  if (!tag.empty()) out += ":" + tag;
  if (digest) out += "@" + digest->str();
  return out;
}

std::string Reference::familiar_name() const {
  if (domain != k_default_domain) return name();
  if (path.starts_with("library/") && path.find('/', 8) == std::string::npos) return path.substr(8);
  return path;
}

std::string Reference::familiar() const {
  std::string out = familiar_name();
  if (!tag.empty()) out += ":" + tag;
  if (digest) out += "@" + digest->str();
  return out;
}

}  // namespace kiln::oci
