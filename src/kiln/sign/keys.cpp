#include "kiln/sign/keys.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "kiln/digest/digest.hpp"
#include "kiln/net/http.hpp"
#include "kiln/sign/key_json.hpp"

namespace kiln::sign {
namespace {

constexpr std::string_view k_sigstore_label = "ENCRYPTED SIGSTORE PRIVATE KEY";
constexpr std::string_view k_cosign_label = "ENCRYPTED COSIGN PRIVATE KEY";
// What cosign 2 writes; keys sealed with other parameters are read when within these bounds
// (a key file must not make kiln allocate gigabytes).
constexpr uint64_t k_scrypt_n = 65536;
constexpr uint32_t k_scrypt_r = 8, k_scrypt_p = 1;
constexpr uint64_t k_max_scrypt_mem = 1ull << 30;

EVP_PKEY* pkey(const std::shared_ptr<void>& p) {
  return static_cast<EVP_PKEY*>(p.get());
}
std::shared_ptr<void> own(EVP_PKEY* p) {
  return std::shared_ptr<void>(p, [](void* k) { EVP_PKEY_free(static_cast<EVP_PKEY*>(k)); });
}

std::string openssl_error() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;
Bio mem_bio(std::string_view s) {
  return Bio(BIO_new_mem_buf(s.data(), static_cast<int>(s.size())), &BIO_free);
}
std::string bio_text(BIO* b) {
  char* p = nullptr;
  long n = BIO_get_mem_data(b, &p);
  return std::string(p, n > 0 ? static_cast<size_t>(n) : 0);
}

// The base64 body of a PEM block with this label, or nullopt when there is none.
std::optional<std::string> pem_body(std::string_view pem, std::string_view label) {
  std::string begin = fmt::format("-----BEGIN {}-----", label);
  std::string end = fmt::format("-----END {}-----", label);
  auto a = pem.find(begin);
  if (a == std::string_view::npos) return std::nullopt;
  a += begin.size();
  auto b = pem.find(end, a);
  if (b == std::string_view::npos) return std::nullopt;
  std::string body;
  for (char c : pem.substr(a, b - a))
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') body += c;
  return body;
}

std::string pem_block(std::string_view label, std::string_view der) {
  std::string b64 = net::base64_encode(der), out = fmt::format("-----BEGIN {}-----\n", label);
  for (size_t i = 0; i < b64.size(); i += 64) out += b64.substr(i, 64) + "\n";
  return out + fmt::format("-----END {}-----\n", label);
}

bool sodium_ready() {
  static const bool ok = sodium_init() >= 0;
  return ok;
}

Result<std::string> derive(const SealedKey& s, std::string_view password, std::string_view what) {
  // The bounds on N and r come first, so that the product cannot overflow.
  if (s.n < 2 || (s.n & (s.n - 1)) != 0 || s.n > (1ull << 30) || s.r == 0 || s.r > 64 || s.p == 0 ||
      s.p > 16 || 128ull * s.r * s.n > k_max_scrypt_mem)
    return failf(Errc::unsupported,
                 "{}: scrypt parameters N={} r={} p={} are out of the range kiln accepts "
                 "(N a power of two, 128*r*N at most 1 GiB, p at most 16)",
                 what, s.n, s.r, s.p);
  std::string key(crypto_secretbox_KEYBYTES, '\0');
  if (crypto_pwhash_scryptsalsa208sha256_ll(
          reinterpret_cast<const uint8_t*>(password.data()), password.size(),
          reinterpret_cast<const uint8_t*>(s.salt.data()), s.salt.size(), s.n, s.r, s.p,
          reinterpret_cast<uint8_t*>(key.data()), key.size()) != 0)
    return failf(Errc::io, "{}: scrypt failed (out of memory?)", what);
  return key;
}

}  // namespace

Result<Key> Key::generate() {
  EVP_PKEY* k = EVP_EC_gen("P-256");
  if (!k) return failf(Errc::internal, "generating an ECDSA P-256 key: {}", openssl_error());
  Key out;
  out.m_pkey = own(k);
  out.m_private = true;
  return out;
}

bool is_encrypted_pem(std::string_view pem) {
  return pem_body(pem, k_sigstore_label) || pem_body(pem, k_cosign_label);
}

Result<Key> Key::load_private(std::string_view pem, std::string_view password,
                              std::string_view what) {
  auto body = pem_body(pem, k_sigstore_label);
  if (!body) body = pem_body(pem, k_cosign_label);
  if (body) {
    if (!sodium_ready()) return fail(Errc::internal, "libsodium failed to initialise");
    auto json = net::base64_decode(*body);
    if (!json) return failf(Errc::invalid_argument, "{}: the PEM body is not base64", what);
    auto sealed = KILN_TRY(parse_sealed_key_json(*json, what));
    if (sealed.nonce.size() != crypto_secretbox_NONCEBYTES ||
        sealed.ciphertext.size() < crypto_secretbox_MACBYTES)
      return failf(Errc::invalid_argument, "{}: the sealed key's nonce or ciphertext is truncated",
                   what);
    auto box_key = KILN_TRY(derive(sealed, password, what));
    std::string der(sealed.ciphertext.size() - crypto_secretbox_MACBYTES, '\0');
    if (crypto_secretbox_open_easy(reinterpret_cast<uint8_t*>(der.data()),
                                   reinterpret_cast<const uint8_t*>(sealed.ciphertext.data()),
                                   sealed.ciphertext.size(),
                                   reinterpret_cast<const uint8_t*>(sealed.nonce.data()),
                                   reinterpret_cast<const uint8_t*>(box_key.data())) != 0)
      return failf(Errc::unauthorized, "{}: wrong password (the key does not decrypt)", what);
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    EVP_PKEY* k = d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(der.size()));
    sodium_memzero(der.data(), der.size());
    if (!k)
      return failf(Errc::invalid_argument, "{}: the sealed key is not a private key ({})", what,
                   openssl_error());
    Key out;
    out.m_pkey = own(k);
    out.m_private = true;
    return out;
  }
  auto b = mem_bio(pem);
  std::string pw(password);
  EVP_PKEY* k = PEM_read_bio_PrivateKey(b.get(), nullptr, nullptr, pw.data());
  if (!k)
    return failf(Errc::invalid_argument,
                 "{}: not a private key PEM (want cosign's ENCRYPTED SIGSTORE PRIVATE KEY, or "
                 "PKCS#8 PRIVATE KEY / EC PRIVATE KEY): {}",
                 what, openssl_error());
  Key out;
  out.m_pkey = own(k);
  out.m_private = true;
  return out;
}

Result<Key> Key::load_public(std::string_view pem, std::string_view what) {
  auto b = mem_bio(pem);
  EVP_PKEY* k = PEM_read_bio_PUBKEY(b.get(), nullptr, nullptr, nullptr);
  if (!k)
    return failf(Errc::invalid_argument, "{}: not a public key PEM (want PUBLIC KEY): {}", what,
                 openssl_error());
  Key out;
  out.m_pkey = own(k);
  return out;
}

Result<std::string> Key::public_pem() const {
  Bio b(BIO_new(BIO_s_mem()), &BIO_free);
  if (PEM_write_bio_PUBKEY(b.get(), pkey(m_pkey)) != 1)
    return failf(Errc::internal, "writing a public key: {}", openssl_error());
  return bio_text(b.get());
}

Result<std::string> Key::pkcs8_der() const {
  if (!m_private) return fail(Errc::invalid_argument, "a public key has no private part");
  Bio b(BIO_new(BIO_s_mem()), &BIO_free);
  if (i2d_PKCS8PrivateKey_bio(b.get(), pkey(m_pkey), nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return failf(Errc::internal, "writing a private key: {}", openssl_error());
  return bio_text(b.get());
}

std::string Key::fingerprint() const {
  unsigned char* der = nullptr;
  int n = i2d_PUBKEY(pkey(m_pkey), &der);
  if (n <= 0) return "";
  std::string out = Digest::of(std::string_view(reinterpret_cast<char*>(der), n)).str();
  OPENSSL_free(der);
  return out;
}

Result<std::string> Key::sign(std::string_view data) const {
  if (!m_private) return fail(Errc::invalid_argument, "signing needs a private key");
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  size_t n = 0;
  if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey(m_pkey)) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &n, reinterpret_cast<const unsigned char*>(data.data()),
                     data.size()) != 1)
    return failf(Errc::internal, "signing: {}", openssl_error());
  std::string sig(n, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &n,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1)
    return failf(Errc::internal, "signing: {}", openssl_error());
  sig.resize(n);
  return sig;
}

bool Key::verify(std::string_view data, std::string_view signature) const {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  bool ok = EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey(m_pkey)) == 1 &&
            EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                             signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                             data.size()) == 1;
  ERR_clear_error();
  return ok;
}

Result<std::string> encrypt_private_pem(const Key& key, std::string_view password) {
  if (!sodium_ready()) return fail(Errc::internal, "libsodium failed to initialise");
  auto der = KILN_TRY(key.pkcs8_der());
  SealedKey s;
  s.n = k_scrypt_n;
  s.r = k_scrypt_r;
  s.p = k_scrypt_p;
  s.salt.resize(32);
  s.nonce.resize(crypto_secretbox_NONCEBYTES);
  randombytes_buf(s.salt.data(), s.salt.size());
  randombytes_buf(s.nonce.data(), s.nonce.size());
  auto box_key = KILN_TRY(derive(s, password, "new key"));
  s.ciphertext.resize(der.size() + crypto_secretbox_MACBYTES);
  crypto_secretbox_easy(reinterpret_cast<uint8_t*>(s.ciphertext.data()),
                        reinterpret_cast<const uint8_t*>(der.data()), der.size(),
                        reinterpret_cast<const uint8_t*>(s.nonce.data()),
                        reinterpret_cast<const uint8_t*>(box_key.data()));
  sodium_memzero(box_key.data(), box_key.size());
  sodium_memzero(der.data(), der.size());
  return pem_block(k_sigstore_label, sealed_key_json(s));
}

}  // namespace kiln::sign
