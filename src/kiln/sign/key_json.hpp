// The JSON inside cosign's encrypted private key PEM (go-securesystemslib's `encrypted` format):
//   {"kdf":{"name":"scrypt","params":{"N":65536,"r":8,"p":1},"salt":B64},
//    "cipher":{"name":"nacl/secretbox","nonce":B64},"ciphertext":B64}
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "kiln/base/error.hpp"

namespace kiln::sign {

struct SealedKey {
  uint64_t n = 0;
  uint32_t r = 0, p = 0;
  std::string salt, nonce, ciphertext;  // raw bytes
};

std::string sealed_key_json(const SealedKey& k);
Result<SealedKey> parse_sealed_key_json(std::string_view text, std::string_view what);

}  // namespace kiln::sign
