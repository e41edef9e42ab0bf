// `docker://HOST/REPO[:TAG|@DIGEST]`: a registry as a source and a sink (registry/client.hpp).
// Blobs stream both ways; manifests of an index are PUT by digest, the root by the reference's
// tag (or digest). A copy between two repositories of one registry mounts blobs instead of
// uploading them.
#pragma once

#include <memory>
#include <string>

#include "kiln/image/image.hpp"
#include "kiln/oci/reference.hpp"
#include "kiln/registry/client/client.hpp"

namespace kiln::transport {

Result<std::unique_ptr<image::Source>> registry_source(const oci::Reference& ref,
                                                       const registry::client::Options& opts);
// mount_from: a repository on the same registry whose blobs may be mounted ("" for none).
Result<std::unique_ptr<image::Sink>> registry_sink(const oci::Reference& ref,
                                                   const registry::client::Options& opts,
                                                   std::string mount_from = "");

// The repository path the registry API uses ("library/busybox").
std::string api_repo(const oci::Reference& ref);

}  // namespace kiln::transport
