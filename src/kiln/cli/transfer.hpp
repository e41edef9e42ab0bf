// Shared by save, load and copy: transport options and progress lines.
#pragma once

#include "kiln/cli/context.hpp"
#include "kiln/image/copy.hpp"
#include "kiln/store/image_view.hpp"
#include "kiln/transport/transport.hpp"

namespace kiln::cli {

// "Copying blob sha256:0123456789ab (decompress)" on stderr when it is a terminal and not quiet.
std::function<void(const image::CopyEvent&)> copy_progress(bool quiet);
// Scratch space for archives and recompressed layers: the store's tmp/ when a store is open
// (same filesystem, cleaned by `kiln system prune`), else $TMPDIR.
Result<transport::OpenOptions> open_options(Context& ctx, bool need_store);

// --tls-verify, --creds USER:PASS, --authfile F: the flags of every command that talks to a
// registry.
struct RegistryFlags {
  std::string tls_verify;  // "", "true" or "false"
  std::string creds, authfile;
  int max_concurrent = 6;
};
void add_registry_flags(CLI::App* c, RegistryFlags& f);
Result<registry::client::Options> registry_options(const RegistryFlags& f);

// Copies an image from the store (a name or ID; an index whole) to a registry, dest naming a
// tag or a digest; prints "TAG: digest: D size: N" unless quiet. Returns the pushed root.
Result<image::Document> push_image(Context& ctx, const std::string& store_ref,
                                   const oci::Reference& dest, const RegistryFlags& reg,
                                   bool quiet);

// An image in a registry (docker://REF; an index resolves to this host's platform) read without
// pulling it, as the store's views are, for `kiln inspect docker://REF`.
Result<store::ImageView> remote_image_view(const std::string& ref, const RegistryFlags& f);

}  // namespace kiln::cli
