#include "kiln/cli/tagging.hpp"

#include "kiln/base/semver.hpp"
#include "kiln/registry/client/client.hpp"
#include "kiln/transport/registry_transport.hpp"

namespace kiln::cli {

Result<std::vector<oci::Reference>> semver_references(const std::string& repo,
                                                      const std::string& version, bool latest,
                                                      std::string_view what) {
  auto base = KILN_TRY(oci::Reference::parse(repo, false));
  if (!base.tag.empty() || base.digest)
    return failf(Errc::invalid_argument,
                 "{}: with --semver give a repository without tag or digest (\"{}\"), the tags "
                 "come from the version",
                 what, base.familiar_name());
  std::vector<oci::Reference> out;
  for (auto& t : KILN_TRY(semver::expand_tags(version, latest))) {
    oci::Reference r = base;
    r.tag = std::move(t);
    out.push_back(std::move(r));
  }
  return out;
}

Status retag_remote(const oci::Reference& source, const std::vector<oci::Reference>& targets,
                    const RegistryFlags& flags, bool quiet) {
  for (const auto& t : targets) {
    if (t.domain != source.domain)
      return failf(Errc::invalid_argument,
                   "tag: {} is in another registry than {}; a tag cannot cross registries (use "
                   "kiln copy)",
                   t.familiar(), source.familiar());
    if (t.digest || t.tag.empty())
      return failf(Errc::invalid_argument, "tag: the target {} needs a tag and no digest",
                   t.familiar());
  }
  auto opts = KILN_TRY(registry_options(flags));
  auto reg = KILN_TRY(registry::client::Registry::open(source.domain, opts));
  std::string src_repo = transport::api_repo(source);
  auto doc =
      KILN_TRY_CTX(reg->get_manifest(src_repo, source.digest ? source.digest->str() : source.tag),
                   fmt::format("tag {}", source.familiar()));
  oci::Reference pinned = source;
  pinned.tag.clear();
  pinned.digest = doc.digest;
  for (const auto& t : targets) {
    std::string repo = transport::api_repo(t);
    if (repo == src_repo) {
      KILN_TRY_CTX(reg->put_manifest(repo, t.tag, doc), fmt::format("tag {}", t.familiar()));
    } else {
      // Another repository: its blobs (and an index's images) must be there first.
      auto src = KILN_TRY(transport::registry_source(pinned, opts));
      auto sink = KILN_TRY(transport::registry_sink(t, opts, source.path));
      image::CopyOptions co;
      co.all_platforms = true;
      co.preserve_digests = true;
      co.on_event = copy_progress(quiet);
      KILN_TRY_CTX(image::copy_image(*src, *sink, co), fmt::format("tag {}", t.familiar()));
      KILN_TRY(sink->finish());
    }
    if (!quiet) fmt::print("Tagged {} ({})\n", t.familiar(), doc.digest);
  }
  return {};
}

}  // namespace kiln::cli
