// Signatures the store keeps for its images: `kiln sign --key K IMAGE` of a store image signs
// its manifest digest here, `kiln verify` checks them, and `kiln push` carries them to the
// registry (as cosign's `.sig` tag) when the pushed manifest is the same one.
//
//   <root>/signatures/<manifest hex>/<payload hex>       the signed payload (cosign's JSON)
//   <root>/signatures/<manifest hex>/<payload hex>.sig   its signature, base64
//
// Each file is written atomically, the payload first: a payload without its .sig is ignored.
// `kiln system prune` removes the folders of manifests the store no longer has.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "kiln/store/store.hpp"

namespace kiln::store {

struct StoredSignature {
  Digest payload_digest;
  std::string payload;
  std::string signature;  // base64, as cosign's annotation holds it
};

Status add_signature(const Store& st, const Digest& manifest, std::string_view payload,
                     std::string_view signature_b64);
// The manifest's signatures, payloads checked against their names (a changed file is corrupt).
Result<std::vector<StoredSignature>> signatures(const Store& st, const Digest& manifest);
// Removes the signatures of manifests the store no longer has; returns how many.
Result<int> prune_signatures(Store& st);

}  // namespace kiln::store
