// Transport names as skopeo spells them: `kiln://NAME[:TAG|@DIGEST]` (a bare reference or ID
// means the same), `oci:DIR[:REF]`, `oci-archive:FILE[:REF]`, `docker-archive:FILE[:REF]`.
// `docker://HOST/REPO[:TAG|@DIGEST]` is a registry (registry_transport.hpp). The path ends at
// the first ':' after the transport name, as in skopeo.
#pragma once

#include <memory>
#include <string>

#include "kiln/image/image.hpp"
#include "kiln/registry/client/client.hpp"
#include "kiln/store/store.hpp"
#include "kiln/transport/files.hpp"

namespace kiln::transport {

enum class Kind { store, oci, oci_archive, docker_archive, registry };

struct Location {
  Kind kind = Kind::store;
  std::string path;  // directory or file ("-" for stdin/stdout); the reference for the store
  std::string ref;   // REF after the path; empty when not given
  std::string str() const;
};

Result<Location> parse_location(std::string_view s);
std::string_view kind_name(Kind k);

struct OpenOptions {
  store::Store* store = nullptr;  // for kiln:// (opened by the caller)
  std::string temp_dir;           // scratch space for archives
  SpoolLimits limits;
  registry::client::Options registry;  // for docker://
  std::string mount_from;  // docker:// sink: a repository of the same registry to mount from
};

Result<std::unique_ptr<image::Source>> open_source(const Location& at, const OpenOptions& opts);
Result<std::unique_ptr<image::Sink>> open_sink(const Location& at, const OpenOptions& opts);

// Every image an archive holds (a docker archive's manifest.json entries, or an OCI archive's
// index.json entries), for `kiln load`.
Result<std::vector<std::unique_ptr<image::Source>>> archive_sources(const std::string& path,
                                                                    const OpenOptions& opts);

}  // namespace kiln::transport
