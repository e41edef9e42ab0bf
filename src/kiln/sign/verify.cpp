#include "kiln/sign/verify.hpp"

#include <algorithm>

#include "kiln/net/http.hpp"

namespace kiln::sign {

std::vector<Descriptor> signature_layers(const Artifact& a) {
  std::vector<Descriptor> out;
  for (const auto& l : a.layers)
    if (l.media_type == k_simple_signing_type &&
        l.annotations.contains(std::string(k_signature_annotation)))
      out.push_back(l);
  return out;
}

Result<Verified> check_signature(const std::vector<Key>& keys, const Descriptor& layer,
                                 std::string_view payload, const Digest& image) {
  if (Digest::of(payload) != layer.digest)
    return failf(Errc::corrupt, "signature payload {}: its bytes hash to {} (tampered payload)",
                 layer.digest, Digest::of(payload));
  auto it = layer.annotations.find(std::string(k_signature_annotation));
  if (it == layer.annotations.end())
    return failf(Errc::corrupt, "signature layer {} has no {} annotation", layer.digest,
                 k_signature_annotation);
  auto sig = net::base64_decode(it->second);
  if (!sig)
    return failf(Errc::corrupt, "signature layer {}: the signature is not base64", layer.digest);
  auto key =
      std::find_if(keys.begin(), keys.end(), [&](const Key& k) { return k.verify(payload, *sig); });
  if (key == keys.end())
    return failf(
        Errc::unauthorized, "signature {}: does not verify with {} (wrong key)", layer.digest,
        keys.size() == 1 ? "the given key" : fmt::format("any of the {} given keys", keys.size()));
  Verified v;
  v.payload = KILN_TRY(parse_payload(payload));
  if (v.payload.type != k_payload_type)
    return failf(Errc::corrupt, "signature {}: payload type \"{}\", not \"{}\"", layer.digest,
                 v.payload.type, k_payload_type);
  if (v.payload.manifest_digest != image)
    return failf(Errc::corrupt,
                 "signature {}: signs {}, not this image's {} (a signature for another image)",
                 layer.digest, v.payload.manifest_digest, image);
  v.payload_json = std::string(payload);
  v.key = key->fingerprint();
  return v;
}

Result<Statement> check_envelope(const std::vector<Key>& keys, std::string_view envelope_json,
                                 const Digest& image) {
  auto env = KILN_TRY(parse_dsse(envelope_json));
  std::string pae = dsse_pae(env.payload_type, env.payload);
  bool ok = std::any_of(keys.begin(), keys.end(), [&](const Key& k) {
    return std::any_of(env.signatures.begin(), env.signatures.end(),
                       [&](const std::string& s) { return k.verify(pae, s); });
  });
  if (!ok) return fail(Errc::unauthorized, "DSSE envelope: no signature verifies with the keys");
  if (env.payload_type != k_intoto_type)
    return failf(Errc::corrupt, "DSSE envelope: payload type \"{}\", not {}", env.payload_type,
                 k_intoto_type);
  auto st = KILN_TRY(parse_statement(env.payload));
  if (std::find(st.subjects.begin(), st.subjects.end(), image) == st.subjects.end())
    return failf(Errc::corrupt, "in-toto statement: its subjects do not include {}", image);
  return st;
}

}  // namespace kiln::sign
