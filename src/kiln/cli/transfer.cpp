#include "kiln/cli/transfer.hpp"

#include <sys/resource.h>

#include "kiln/oci/codec.hpp"
#include "kiln/oci/media_types.hpp"
#include "kiln/oci/platform.hpp"
#include "kiln/oci/reference.hpp"
#include "kiln/os/dir.hpp"
#include "kiln/store/paths.hpp"
#include "kiln/transport/registry_transport.hpp"

namespace kiln::cli {

std::function<void(const image::CopyEvent&)> copy_progress(bool quiet) {
  if (quiet || !stderr_is_terminal()) return {};
  return [](const image::CopyEvent& e) {
    if (e.kind != image::CopyEvent::blob_start) return;
    fmt::print(stderr, "Copying blob {} ({})\n", e.blob.digest.str().substr(0, 19), e.action);
  };
}

Result<transport::OpenOptions> open_options(Context& ctx, bool need_store) {
  // The store holds every new blob of a copy open (anonymous temporary files) until it links
  // them in together: allow as many descriptors as the hard limit does.
  struct rlimit nofile {};
  if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
    nofile.rlim_cur = nofile.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &nofile);
  }
  transport::OpenOptions o;
  if (!need_store) return o;
  auto* st = KILN_TRY(ctx.store());
  o.store = st;
  if (st->root_dir().make_dir(store::paths::tmp_dir)) {
    o.temp_dir = st->root() + "/" + std::string(store::paths::tmp_dir);
    o.limits.temp_dir = o.temp_dir;
  }
  return o;
}

void add_registry_flags(CLI::App* c, RegistryFlags& f) {
  c->add_option("--tls-verify", f.tls_verify,
                "Verify TLS certificates (default true; loopback registries speak plain HTTP)");
  c->add_option("--creds", f.creds, "USER:PASSWORD for the registry (else the auth file)");
  c->add_option("--max-concurrent", f.max_concurrent, "Layers moved at once (default 6)")
      ->check(CLI::Range(1, 64));
  c->add_option("--authfile", f.authfile,
                "Credentials file (default $REGISTRY_AUTH_FILE, ~/.docker/config.json)");
}

Result<registry::Options> registry_options(const RegistryFlags& f) {
  registry::Options o;
  if (f.tls_verify == "false")
    o.tls_verify = false;
  else if (f.tls_verify == "true")
    o.tls_verify = true;
  else if (!f.tls_verify.empty())
    return failf(Errc::invalid_argument, "--tls-verify={:?}: want true or false", f.tls_verify);
  if (!f.creds.empty()) {
    auto colon = f.creds.find(':');
    if (colon == std::string::npos)
      return fail(Errc::invalid_argument, "--creds: want USER:PASSWORD");
    o.creds = registry::Credentials{f.creds.substr(0, colon), f.creds.substr(colon + 1)};
  }
  o.authfile = f.authfile;
  return o;
}

Result<ops::ImageView> remote_image_view(const std::string& text, const RegistryFlags& f) {
  auto ref = KILN_TRY(oci::Reference::parse(text.substr(9)));
  auto src = KILN_TRY(transport::registry_source(ref, KILN_TRY(registry_options(f))));
  auto root = KILN_TRY(src->root());
  if (oci::mt::is_index(root.media_type)) {
    auto d = KILN_TRY(
        image::select_platform(KILN_TRY(oci::parse_index(root.raw)), oci::host_platform()));
    root = image::Document{KILN_TRY(image::read_blob(*src, d, image::k_max_manifest_bytes)),
                           d.media_type, d.digest};
  }
  ops::ImageView v;
  v.raw_manifest = root.raw;
  v.manifest = KILN_TRY(oci::parse_manifest(root.raw));
  v.raw_config = KILN_TRY(image::read_blob(*src, v.manifest.config, image::k_max_config_bytes));
  v.config = KILN_TRY(oci::parse_config(v.raw_config));
  v.record.manifest_digest = root.digest;
  v.record.media_type = root.media_type;
  v.record.config_digest = v.manifest.config.digest;
  for (const auto& l : v.manifest.layers) v.record.size += l.size;
  if (!ref.tag.empty()) v.record.names.push_back(ref.str());
  return v;
}

}  // namespace kiln::cli
