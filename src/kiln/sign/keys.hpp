// Signing keys as cosign keeps them: ECDSA P-256 (also any key OpenSSL reads as PKCS#8), the
// private key in cosign's encrypted PEM ("ENCRYPTED SIGSTORE PRIVATE KEY": scrypt derives a key
// from the password, NaCl secretbox (XSalsa20-Poly1305) seals the PKCS#8 DER; the envelope is
// JSON), the public key as a PKIX "PUBLIC KEY" PEM. Signatures are ECDSA over SHA-256, DER.
// OpenSSL does the keys and signatures; libsodium the scrypt and secretbox.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "kiln/base/error.hpp"

namespace kiln::sign {

class Key {
 public:
  // A new ECDSA P-256 key pair.
  static Result<Key> generate();
  // A private key from PEM: cosign's encrypted form (ENCRYPTED SIGSTORE PRIVATE KEY or the older
  // ENCRYPTED COSIGN PRIVATE KEY; `password` decrypts it), PKCS#8 "PRIVATE KEY" or "EC PRIVATE
  // KEY". `what` names the file in errors.
  static Result<Key> load_private(std::string_view pem, std::string_view password,
                                  std::string_view what);
  static Result<Key> load_public(std::string_view pem, std::string_view what);

  bool is_private() const { return m_private; }
  Result<std::string> public_pem() const;
  // The private key as PKCS#8 DER (what cosign seals).
  Result<std::string> pkcs8_der() const;
  // "sha256:<hex>" of the DER public key: names the key in messages.
  std::string fingerprint() const;
  // ECDSA-SHA256 (or the key type's own scheme) over data; DER.
  Result<std::string> sign(std::string_view data) const;
  bool verify(std::string_view data, std::string_view signature) const;

 private:
  std::shared_ptr<void> m_pkey;  // EVP_PKEY
  bool m_private = false;
};

// True when the PEM text is one of cosign's encrypted private keys.
bool is_encrypted_pem(std::string_view pem);
// The private key in cosign's encrypted PEM. scrypt N = 65536, r = 8, p = 1 as cosign 2 writes.
Result<std::string> encrypt_private_pem(const Key& key, std::string_view password);

}  // namespace kiln::sign
