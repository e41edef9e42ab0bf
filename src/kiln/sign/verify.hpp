// Checking signatures: nothing is trusted before it is checked. A cosign signature layer holds
// only when its payload's bytes hash to the layer's digest, the signature in its annotation
// verifies over those bytes with one of the given keys, the payload is a cosign container image
// signature, and its docker-manifest-digest is the image's digest.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "kiln/sign/cosign.hpp"
#include "kiln/sign/keys.hpp"

namespace kiln::sign {

// A payload larger than this is refused before it is read.
inline constexpr int64_t k_max_payload = 1 << 20;

struct Verified {
  Payload payload;
  std::string payload_json;  // the signed bytes
  std::string key;           // fingerprint of the key that verified it
};

// The layers of a signature manifest that carry a cosign signature.
std::vector<Descriptor> signature_layers(const Artifact& a);
Result<Verified> check_signature(const std::vector<Key>& keys, const Descriptor& layer,
                                 std::string_view payload, const Digest& image);
// A DSSE envelope with an in-toto statement about `image`, signed by one of the keys.
Result<Statement> check_envelope(const std::vector<Key>& keys, std::string_view envelope_json,
                                 const Digest& image);

}  // namespace kiln::sign
