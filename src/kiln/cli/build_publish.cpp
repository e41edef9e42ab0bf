#include "kiln/cli/build_publish.hpp"

#include <unistd.h>

#include <cstdlib>
#include <map>

#include "kiln/base/defer.hpp"

#include "kiln/cli/helpers.hpp"
#include "kiln/cli/scan_common.hpp"
#include "kiln/cli/signing_cli.hpp"
#include "kiln/oci/reference.hpp"
#include "kiln/os/dir.hpp"
#include "kiln/scan/sbom_formats.hpp"
#include "kiln/store/store.hpp"

namespace kiln::cli {
namespace {

Status run_signer(const std::vector<std::string>& args, const PublishOptions& o,
                  const std::string& target) {
  if (int rc = KILN_TRY(run_kiln_sign(args, o.reg, target)); rc != 0)
    return failf(Errc::failed, "kiln-sign {} {} failed (exit {}; the reason is above)", args[0],
                 target, rc);
  return {};
}

// The image's SPDX SBOM in a file under the store's tmp/.
Result<std::string> sbom_file(Context& ctx, const std::string& image_id) {
  auto info = KILN_TRY(document_info());
  auto ci = KILN_TRY(catalog_image(ctx, image_id, "", RegistryFlags{}, "build --sbom"));
  auto o = KILN_TRY(open_options(ctx, true));
  auto dir = KILN_TRY(os::Dir::open(o.temp_dir.empty() ? "/tmp" : o.temp_dir));
  std::string name = "sbom-" + Digest::of(image_id).short_hex() + ".spdx.json";
  KILN_TRY(os::write_file(dir, name, scan::spdx_json(ci.subject, ci.catalog, info), 0600));
  return dir.path() + "/" + name;
}

}  // namespace

Status check_publish(const PublishOptions& o, const std::vector<std::string>& tags) {
  if ((o.sbom || o.sign) && !o.push)
    return fail(Errc::invalid_argument,
                "build: --sbom and --sign go with --push (signatures and SBOMs are attached in "
                "the registry)");
  if (o.sign && o.key.empty()) return fail(Errc::invalid_argument, "build: --sign needs --key");
  if (!o.sign && !o.key.empty())
    return fail(Errc::invalid_argument, "build: --key goes with --sign");
  if (o.push && tags.empty())
    return fail(Errc::invalid_argument, "build: --push needs -t HOST/REPO:TAG");
  return {};
}

Status publish_build(Context& ctx, const std::string& image_id,
                     const std::vector<std::string>& tags, const PublishOptions& o) {
  if (!o.push) return {};
  auto* st = KILN_TRY(ctx.store());
  auto rec = KILN_TRY(st->resolve_top(tags.front()));
  std::map<std::string, std::vector<oci::Reference>> repos;  // HOST/REPO -> its tags
  for (const auto& t : tags) {
    auto r = KILN_TRY(oci::Reference::parse(t));
    repos[r.domain + "/" + r.path].push_back(r);
  }
  if (o.sign) {
    // kiln-sign runs once per signature and attachment: ask for the password once, here.
    auto pem = KILN_TRY(os::read_file(o.key));
    if (pem.find("-----BEGIN ENCRYPTED") != std::string::npos)
      ::setenv("KILN_PASSWORD", KILN_TRY(key_password(false)).c_str(), 1);
  }
  std::string sbom;
  if (o.sbom) sbom = KILN_TRY(sbom_file(ctx, image_id));
  Defer remove_sbom([&] {
    if (!sbom.empty()) ::unlink(sbom.c_str());
  });
  for (const auto& [repo, refs] : repos) {
    oci::Reference by_digest = refs.front();
    by_digest.tag.clear();
    by_digest.digest = rec.manifest_digest;
    auto root = KILN_TRY(push_image(ctx, tags.front(), by_digest, o.reg, o.quiet));
    std::string target = fmt::format("docker://{}@{}", repo, root.digest);
    if (o.sign) KILN_TRY(run_signer({"sign", "--key", o.key}, o, target));
    if (o.sbom) {
      std::vector<std::string> args{"attach", "sbom", "--predicate", sbom};
      if (o.sign) args.insert(args.end(), {"--key", o.key});
      KILN_TRY(run_signer(args, o, target));
    }
    for (const auto& r : refs) KILN_TRY(push_image(ctx, tags.front(), r, o.reg, o.quiet));
  }
  return {};
}

}  // namespace kiln::cli
