// kiln tag [--semver V [--latest]] [--remote] SOURCE TARGET
#include "kiln/cli/context.hpp"
#include "kiln/cli/tagging.hpp"
#include "kiln/store/store.hpp"

namespace kiln::cli {
namespace {

struct TagArgs {
  std::string src, dst, semver;
  bool latest = false, remote = false, quiet = false;
  RegistryFlags reg;
};

bool is_remote(std::string_view s) {
  return s.starts_with("docker://");
}

std::string strip(std::string_view s) {
  return std::string(is_remote(s) ? s.substr(9) : s);
}

Result<std::vector<oci::Reference>> targets(const TagArgs& a) {
  if (!a.semver.empty()) return semver_references(strip(a.dst), a.semver, a.latest, "tag");
  if (a.latest) return fail(Errc::invalid_argument, "tag: --latest goes with --semver");
  auto target = KILN_TRY(oci::Reference::parse(strip(a.dst)));
  if (target.digest)
    return failf(Errc::invalid_argument, "tag {}: a target name cannot contain a digest", a.dst);
  return std::vector<oci::Reference>{target};
}

Status run(Context& ctx, const TagArgs& a) {
  bool remote = a.remote || is_remote(a.src);
  if (remote != (a.remote || is_remote(a.dst)))
    return fail(Errc::invalid_argument,
                "tag: SOURCE and TARGET must both be in a registry (docker://...) or both in the "
                "store; to move an image between them use kiln push, pull or copy");
  auto names = KILN_TRY(targets(a));
  if (remote)
    return retag_remote(KILN_TRY(oci::Reference::parse(strip(a.src))), names, a.reg, a.quiet);
  auto* st = KILN_TRY(ctx.store());
  auto rec = KILN_TRY(st->resolve_top(a.src));
  for (const auto& n : names) KILN_TRY(st->set_name(n, rec.manifest_digest));
  return {};
}

}  // namespace

void add_tag(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<TagArgs>();
  auto* c = app.add_subcommand(
      "tag",
      "Create a name TARGET that refers to the image SOURCE, in the store or (docker://, "
      "--remote) in a registry without moving any layer");
  c->add_option("source", a->src, "Image name, ID or ID prefix; docker://HOST/REPO[:TAG|@DIGEST]")
      ->required();
  c->add_option("target", a->dst,
                "New name, e.g. registry:5000/app:1.0 (with --semver: a repository)")
      ->required();
  c->add_option("--semver", a->semver,
                "Tag TARGET:MAJOR.MINOR.PATCH, TARGET:MAJOR.MINOR and TARGET:MAJOR from this "
                "version (a prerelease gets only its full tag)");
  c->add_flag("--latest", a->latest, "With --semver, also TARGET:latest (not for a prerelease)");
  c->add_flag("--remote", a->remote,
              "SOURCE and TARGET are in a registry (as with docker://): one manifest PUT per tag");
  c->add_flag("-q,--quiet", a->quiet, "No output for remote tags");
  add_registry_flags(c, a->reg);
  c->callback([&ctx, a] {
    if (auto st = run(ctx, *a); !st) ctx.report(st.error());
  });
}

}  // namespace kiln::cli
