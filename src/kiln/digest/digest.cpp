#include "kiln/digest/digest.hpp"

// SHA-256 through OpenSSL's low-level interface, not EVP: the first EVP digest of a process
// initialises OpenSSL's providers and reads openssl.cnf (about 1.5 ms, more than a whole
// cached `kiln build` spends hashing). The low-level functions run the same assembly (SHA
// extensions where the CPU has them, chosen by OpenSSL's CPU detection at load time). They are
// deprecated in OpenSSL 3 in favour of EVP, not removed. Linked from libcrypto.a they bring a few
// objects and no relocated tables (nettle's SHA-256 was measured 11% slower here).
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

namespace kiln {

namespace {

bool is_alg_component(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool is_alg_separator(char c) {
  return c == '+' || c == '.' || c == '_' || c == '-';
}
bool is_encoded_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '=' ||
         c == '_' || c == '-';
}

// algorithm ::= component (separator component)*, component ::= [a-z0-9]+
bool valid_algorithm(std::string_view a) {
  if (a.empty() || !is_alg_component(a.front()) || !is_alg_component(a.back())) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (is_alg_separator(a[i])) {
      if (i + 1 < a.size() && is_alg_separator(a[i + 1])) return false;
    } else if (!is_alg_component(a[i])) {
      return false;
    }
  }
  return true;
}

}  // namespace

Result<Digest> Digest::parse(std::string_view s) {
  size_t colon = s.find(':');
  if (colon == std::string_view::npos)
    return failf(Errc::invalid_argument, "invalid digest \"{}\": missing algorithm prefix", s);
  std::string_view alg = s.substr(0, colon), enc = s.substr(colon + 1);
  if (!valid_algorithm(alg))
    return failf(Errc::invalid_argument, "invalid digest \"{}\": malformed algorithm", s);
  if (enc.empty())
    return failf(Errc::invalid_argument, "invalid digest \"{}\": empty encoded part", s);
  for (char c : enc)
    if (!is_encoded_char(c))
      return failf(Errc::invalid_argument, "invalid digest \"{}\": bad character in encoded part",
                   s);
  if (alg != "sha256")
    return failf(Errc::unsupported, "unsupported digest algorithm \"{}\" in \"{}\"", alg, s);
  if (enc.size() != 64)
    return failf(Errc::invalid_argument,
                 "invalid digest \"{}\": sha256 needs 64 hex characters, got {}", s, enc.size());
  for (char c : enc)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return failf(Errc::invalid_argument,
                   "invalid digest \"{}\": sha256 hex must be lowercase [0-9a-f]", s);
  Digest d;
  d.m_hex = std::string(enc);
  return d;
}

Digest Digest::from_sha256(std::span<const uint8_t, 32> raw) {
  static const char* hexd = "0123456789abcdef";
  Digest d;
  d.m_hex.resize(64);
  for (size_t i = 0; i < 32; ++i) {
    d.m_hex[2 * i] = hexd[raw[i] >> 4];
    d.m_hex[2 * i + 1] = hexd[raw[i] & 15];
  }
  return d;
}

Digest Digest::of(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.finish();
}

struct Sha256::Impl {
  SHA256_CTX ctx;
  Impl() { SHA256_Init(&ctx); }
};

Sha256::Sha256() : m_impl(std::make_unique<Impl>()) {}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(const void* data, size_t size) {
  if (size) SHA256_Update(&m_impl->ctx, data, size);
}

Digest Sha256::finish() {
  uint8_t out[32];
  SHA256_Final(out, &m_impl->ctx);
  SHA256_Init(&m_impl->ctx);
  return Digest::from_sha256(std::span<const uint8_t, 32>(out, 32));
}

}  // namespace kiln
