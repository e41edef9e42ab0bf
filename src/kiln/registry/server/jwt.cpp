// JWT signature verification with OpenSSL: RS256/384/512, PS256 and ES256/384. The signing
// key is the first certificate of the header's x5c chain, which must verify up to a
// certificate of the configured bundle; without x5c, the bundle's keys are tried in turn.
#include <openssl/bio.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "kiln/os/dir.hpp"
#include "kiln/registry/server/auth.hpp"
#include "kiln/registry/server/json_codec.hpp"

namespace kiln::registry::server {
namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

X509Ptr parse_der(const std::string& der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  return X509Ptr(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
}

// JOSE ECDSA signatures are r||s; OpenSSL wants DER.
std::string ecdsa_to_der(const std::string& raw) {
  size_t half = raw.size() / 2;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), (int)half, nullptr);
  BIGNUM* s =
      BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + half, (int)half, nullptr);
  ECDSA_SIG_set0(sig, r, s);
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig, &der);
  std::string out = len > 0 ? std::string(reinterpret_cast<char*>(der), (size_t)len) : "";
  OPENSSL_free(der);
  ECDSA_SIG_free(sig);
  return out;
}

bool verify_sig(EVP_PKEY* key, std::string_view alg, std::string_view input,
                const std::string& sig) {
  const EVP_MD* md = nullptr;
  bool ec = false;
  bool pss = false;
  if (alg == "RS256" || alg == "ES256" || alg == "PS256")
    md = EVP_sha256();
  else if (alg == "RS384" || alg == "ES384")
    md = EVP_sha384();
  else if (alg == "RS512" || alg == "ES512")
    md = EVP_sha512();
  else
    return false;
  ec = alg.starts_with("ES");
  pss = alg.starts_with("PS");
  if (ec != (EVP_PKEY_base_id(key) == EVP_PKEY_EC)) return false;
  std::string s = ec ? ecdsa_to_der(sig) : sig;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  bool ok = EVP_DigestVerifyInit(ctx, &pctx, md, nullptr, key) == 1;
  if (ok && pss) ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1;
  ok = ok &&
       EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(s.data()), s.size(),
                        reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

class Verifier final : public TokenVerifier {
 public:
  ~Verifier() override {
    if (m_store) X509_STORE_free(m_store);
  }

  Status load_bundle(const std::string& pem) {
    m_store = X509_STORE_new();
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    while (X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
      X509_STORE_add_cert(m_store, x);
      m_roots.emplace_back(x);
    }
    BIO_free(bio);
    if (m_roots.empty()) return fail(Errc::invalid_argument, "no certificate in the bundle");
    return {};
  }

  Result<std::string> verify(std::string_view jwt) const override {
    size_t d1 = jwt.find('.');
    size_t d2 = d1 == std::string_view::npos ? d1 : jwt.find('.', d1 + 1);
    if (d2 == std::string_view::npos) return fail(Errc::unauthorized, "malformed token");
    auto header = base64_decode(jwt.substr(0, d1), true);
    auto payload = base64_decode(jwt.substr(d1 + 1, d2 - d1 - 1), true);
    auto sig = base64_decode(jwt.substr(d2 + 1), true);
    if (!header || !payload || !sig) return fail(Errc::unauthorized, "malformed token encoding");
    auto h = parse_jwt_header(*header);
    if (!h) return fail(Errc::unauthorized, "malformed token header");
    const std::string& alg = h->alg;
    std::string_view input = jwt.substr(0, d2);

    if (h->x5c_malformed) return fail(Errc::unauthorized, "malformed x5c");
    if (!h->x5c.empty()) {
      std::vector<X509Ptr> chain;
      for (const auto& c : h->x5c) {
        auto der = base64_decode(c, false);
        if (!der) return fail(Errc::unauthorized, "malformed x5c");
        auto x = parse_der(*der);
        if (!x) return fail(Errc::unauthorized, "malformed x5c certificate");
        chain.push_back(std::move(x));
      }
      STACK_OF(X509)* untrusted = sk_X509_new_null();
      for (size_t i = 1; i < chain.size(); ++i) sk_X509_push(untrusted, chain[i].get());
      X509_STORE_CTX* ctx = X509_STORE_CTX_new();
      X509_STORE_CTX_init(ctx, m_store, chain[0].get(), untrusted);
      bool trusted = X509_verify_cert(ctx) == 1;
      X509_STORE_CTX_free(ctx);
      sk_X509_free(untrusted);
      if (!trusted) return fail(Errc::unauthorized, "the token's certificate is not trusted");
      EVP_PKEY* key = X509_get0_pubkey(chain[0].get());
      if (!key || !verify_sig(key, alg, input, *sig))
        return fail(Errc::unauthorized, "bad token signature");
      return std::move(*payload);
    }
    for (const auto& root : m_roots) {
      EVP_PKEY* key = X509_get0_pubkey(root.get());
      if (key && verify_sig(key, alg, input, *sig)) return std::move(*payload);
    }
    return fail(Errc::unauthorized, "bad token signature");
  }

 private:
  X509_STORE* m_store = nullptr;
  std::vector<X509Ptr> m_roots;
};

}  // namespace

Result<std::string> base64_decode(std::string_view in, bool url) {
  std::string s(in);
  if (url) {
    for (char& c : s) {
      if (c == '-')
        c = '+';
      else if (c == '_')
        c = '/';
    }
    while (s.size() % 4) s += '=';
  } else if (s.size() % 4) {
    return fail(Errc::invalid_argument, "bad base64 length");
  }
  std::string out(s.size() / 4 * 3, '\0');
  int n =
      EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  if (n < 0) return fail(Errc::invalid_argument, "bad base64");
  size_t pad = 0;
  for (size_t i = s.size(); i > 0 && s[i - 1] == '='; --i) ++pad;
  out.resize(static_cast<size_t>(n) - std::min<size_t>(pad, static_cast<size_t>(n)));
  return out;
}

Result<std::unique_ptr<TokenVerifier>> TokenVerifier::load(const std::string& bundle_pem) {
  auto v = std::make_unique<Verifier>();
  if (auto st = v->load_bundle(bundle_pem); !st) return std::unexpected(st.error());
  return std::unique_ptr<TokenVerifier>(std::move(v));
}

}  // namespace kiln::registry::server
