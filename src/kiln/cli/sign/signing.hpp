// Shared by kiln sign, verify, attach and tree, and the signature policy of pull and run: an
// image in a registry, the keys, and finding and checking what refers to the image (cosign's
// `sha256-<hex>.sig` tag and OCI 1.1 referrers, through the referrers API or its tag schema).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kiln/cli/signature_push.hpp"
#include "kiln/cli/signing_cli.hpp"
#include "kiln/cli/transfer.hpp"
#include "kiln/oci/reference.hpp"
#include "kiln/registry/client/client.hpp"
#include "kiln/sign/cosign.hpp"
#include "kiln/sign/keys.hpp"
#include "kiln/sign/verify.hpp"

namespace kiln::cli {

// docker://HOST/REPO[:TAG|@DIGEST], resolved to its manifest.
Result<RemoteImage> open_remote_image(const std::string& arg, const RegistryFlags& f,
                                      std::string_view command);
Result<sign::Key> load_signing_key(const std::string& file);
Result<std::vector<sign::Key>> load_public_keys(const std::vector<std::string>& files);

// A small blob (a payload, an envelope), verified against its descriptor.
Result<std::string> fetch_small_blob(RemoteImage& img, const sign::Descriptor& d);
// The manifests whose subject is d: from the referrers API, or the `sha256-<hex>` fallback
// index when the registry has none. Filtered by artifact type when given.
Result<std::vector<sign::Descriptor>> list_referrers(RemoteImage& img, const Digest& d,
                                                     const std::string& artifact_type);
// Pushes a manifest with a subject by digest; on a registry without the referrers API, also
// adds it to the subject's fallback index tag. Returns its descriptor.
Result<sign::Descriptor> push_referrer(RemoteImage& img, const sign::Artifact& a);

struct Verification {
  std::vector<sign::Verified> verified;
  std::vector<std::string> problems;  // why each signature found did not hold
  int found = 0;                      // signatures looked at
};
// Every cosign signature of the image, in the .sig tag and among its referrers, checked.
Result<Verification> verify_image(RemoteImage& img, const std::vector<sign::Key>& keys);
// Why `what` (HOST/REPO@DIGEST) failed verification; `where` says where signatures were looked
// for when none was found.
std::string verification_failure(const std::string& what, const std::string& where,
                                 const Verification& v);

}  // namespace kiln::cli
