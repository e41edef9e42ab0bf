// Pushing cosign signatures to a registry, shared by kiln-sign (`kiln sign`) and kiln itself
// (`kiln push` carries the signatures `kiln sign` made for a store image): the image in its
// registry, blobs from memory, and cosign's `sha256-<hex>.sig` manifest, appended to. Only
// documents and uploads here: no keys, no signature code (signing_cli.hpp says why kiln keeps
// that out).
#pragma once

#include <memory>
#include <string>

#include "kiln/image/image.hpp"
#include "kiln/oci/reference.hpp"
#include "kiln/registry/client/client.hpp"
#include "kiln/sign/cosign.hpp"

namespace kiln::cli {

struct RemoteImage {
  std::unique_ptr<registry::client::Registry> reg;
  oci::Reference ref;
  std::string repo;  // as the API spells it
  image::Document doc;
  // What a signature names: registry host and repository, no tag ("localhost:5000/app").
  std::string identity() const { return ref.domain + "/" + ref.path; }
};

// Uploads bytes as a blob of the image's repository (nothing when the registry has it).
Result<sign::Descriptor> push_bytes(RemoteImage& img, std::string_view media_type,
                                    std::string_view bytes);
// Adds a signature layer (its payload already pushed) to the image's `sha256-<hex>.sig`
// manifest, as cosign does; returns "HOST/REPO:TAG".
Result<std::string> push_sig_tag(RemoteImage& img, const sign::Descriptor& layer);

}  // namespace kiln::cli
