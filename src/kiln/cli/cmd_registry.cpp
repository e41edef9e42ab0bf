// kiln push / pull / login / logout / tags / manifest / delete: the registry client's commands.
#include <unistd.h>

#include <iostream>

#include "kiln/cli/json_output.hpp"
#include "kiln/cli/signature_policy.hpp"
#include "kiln/cli/tagging.hpp"
#include "kiln/cli/transfer.hpp"
#include "kiln/net/http.hpp"
#include "kiln/oci/codec.hpp"
#include "kiln/oci/media_types.hpp"
#include "kiln/oci/platform.hpp"
#include "kiln/oci/reference.hpp"
#include "kiln/transport/registry_transport.hpp"
#include "kiln/transport/store_transport.hpp"

namespace kiln::cli {
namespace {

std::string strip_docker(std::string s) {
  return s.starts_with("docker://") ? s.substr(9) : s;
}

struct PushArgs {
  std::string ref, dest, semver;
  bool all_tags = false, quiet = false, latest = false;
  RegistryFlags reg;
};

Status push_one(Context& ctx, const std::string& ref, const oci::Reference& dest,
                const PushArgs& a) {
  KILN_TRY(push_image(ctx, ref, dest, a.reg, a.quiet));
  return {};
}

Status push(Context& ctx, const PushArgs& a) {
  net::preload();
  if (!a.semver.empty()) {
    if (a.all_tags)
      return fail(Errc::invalid_argument, "push: --semver and --all-tags exclude each other");
    // The first tag is pushed; the others name the same manifest (one PUT each).
    auto refs = KILN_TRY(semver_references(strip_docker(a.dest.empty() ? a.ref : a.dest), a.semver,
                                           a.latest, "push"));
    KILN_TRY(push_one(ctx, a.ref, refs[0], a));
    return retag_remote(refs[0], {refs.begin() + 1, refs.end()}, a.reg, a.quiet);
  }
  if (a.latest) return fail(Errc::invalid_argument, "push: --latest goes with --semver");
  if (!a.all_tags) {
    auto dest = KILN_TRY(oci::Reference::parse(strip_docker(a.dest.empty() ? a.ref : a.dest)));
    return push_one(ctx, a.ref, dest, a);
  }
  if (!a.dest.empty()) return fail(Errc::invalid_argument, "push --all-tags takes no DEST");
  auto repo = KILN_TRY(oci::Reference::parse(a.ref, false));
  if (!repo.tag.empty() || repo.digest)
    return fail(Errc::invalid_argument, "push --all-tags: give a repository without tag");
  auto* st = KILN_TRY(ctx.store());
  int pushed = 0;
  for (const auto& img : KILN_TRY(st->images()))
    for (const auto& n : img.names) {
      auto r = KILN_TRY(oci::Reference::parse(n));
      if (r.name() != repo.name() || r.tag.empty()) continue;
      KILN_TRY(push_one(ctx, n, r, a));
      ++pushed;
    }
  if (pushed == 0)
    return failf(Errc::not_found, "no tags of {} in the store", repo.familiar_name());
  return {};
}

struct PullArgs {
  std::string ref, platform;
  bool all_platforms = false, quiet = false;
  RegistryFlags reg;
  PolicyFlags policy;
};

Status pull(Context& ctx, const PullArgs& a) {
  if (a.all_platforms && !a.platform.empty())
    return fail(Errc::invalid_argument, "pull: --all-platforms and --platform exclude each other");
  net::preload();
  auto ref = KILN_TRY(oci::Reference::parse(strip_docker(a.ref)));
  auto o = KILN_TRY(open_options(ctx, true));
  auto src = KILN_TRY(transport::registry_source(ref, KILN_TRY(registry_options(a.reg))));
  auto policy = KILN_TRY(load_signature_policy(a.policy.file));
  if (policy && signed_rule(*policy, ref)) {
    // Checked by digest, then pulled by that digest: the tag cannot move in between.
    auto root = KILN_TRY(src->root());
    KILN_TRY(enforce_signature_policy(*policy, a.policy, ref, root.digest, a.reg, "pull"));
    oci::Reference pinned = ref;
    pinned.digest = root.digest;
    src = KILN_TRY(transport::registry_source(pinned, KILN_TRY(registry_options(a.reg))));
  }
  auto sink = KILN_TRY(transport::store_sink(*o.store, ref.tag.empty() ? "" : ref.str()));
  image::CopyOptions co;
  co.scratch_dir = o.temp_dir;
  co.on_event = copy_progress(a.quiet);
  co.max_concurrent = a.reg.max_concurrent;
  if (!a.platform.empty()) co.platform = KILN_TRY(oci::parse_platform(a.platform));
  co.all_platforms = a.all_platforms;
  auto res =
      KILN_TRY_CTX(image::copy_image(*src, *sink, co), fmt::format("pull {}", ref.familiar()));
  KILN_TRY(sink->finish());
  if (!a.quiet)
    fmt::print("{}\n", oci::mt::is_index(res.root.media_type)
                           ? res.root.digest
                           : KILN_TRY(oci::parse_manifest(res.root.raw)).config.digest);
  return {};
}

struct LoginArgs {
  std::string host, user, password;
  bool password_stdin = false;
  RegistryFlags reg;
};

Status login(const LoginArgs& a) {
  registry::client::Credentials c{a.user, a.password};
  if (a.password_stdin) {
    if (!a.password.empty())
      return fail(Errc::invalid_argument,
                  "login: --password and --password-stdin exclude each other");
    std::getline(std::cin, c.password);
    while (!c.password.empty() && (c.password.back() == '\r' || c.password.back() == '\n'))
      c.password.pop_back();
  }
  if (c.username.empty() || c.password.empty())
    return fail(Errc::invalid_argument, "login: give -u USER and -p PASSWORD or --password-stdin");
  auto opts = KILN_TRY(registry_options(a.reg));
  opts.creds = c;
  opts.offline_token = true;
  std::string host = strip_docker(a.host);
  auto reg = KILN_TRY(registry::client::Registry::open(host, opts));
  KILN_TRY_CTX(reg->ping(), fmt::format("login {}", host));
  // A token server that hands out refresh tokens gets that stored instead of the password.
  KILN_TRY(registry::client::store_credentials(registry::client::auth_file_path(a.reg.authfile),
                                               host, c, reg->identity_token()));
  fmt::print("Login Succeeded\n");
  return {};
}

Status logout(const std::string& host, const RegistryFlags& f) {
  if (!KILN_TRY(registry::client::erase_credentials(registry::client::auth_file_path(f.authfile),
                                                    strip_docker(host))))
    return failf(Errc::not_found, "not logged in to {}", host);
  fmt::print("Removed login credentials for {}\n", host);
  return {};
}

struct RemoteArgs {
  std::string ref;
  RegistryFlags reg;
};

Result<std::unique_ptr<registry::client::Registry>> open_remote(const RemoteArgs& a,
                                                                oci::Reference* ref,
                                                                bool default_tag = true) {
  if (!a.ref.starts_with("docker://"))
    return failf(Errc::invalid_argument, "{}: give a docker://HOST/REPO reference", a.ref);
  *ref = KILN_TRY(oci::Reference::parse(strip_docker(a.ref), default_tag));
  return registry::client::Registry::open(ref->domain, KILN_TRY(registry_options(a.reg)));
}

Status manifest(const RemoteArgs& a) {
  oci::Reference ref;
  auto reg = KILN_TRY(open_remote(a, &ref));
  auto doc = KILN_TRY(
      reg->get_manifest(transport::api_repo(ref), ref.digest ? ref.digest->str() : ref.tag));
  fmt::print("{}", doc.raw);
  if (isatty(1)) fmt::print("\n");
  return {};
}

Status remove(const RemoteArgs& a) {
  oci::Reference ref;
  auto reg = KILN_TRY(open_remote(a, &ref));
  Digest d = ref.digest ? *ref.digest
                        : KILN_TRY(reg->get_manifest(transport::api_repo(ref), ref.tag)).digest;
  KILN_TRY(reg->delete_manifest(transport::api_repo(ref), d));
  fmt::print("Deleted {}@{}\n", ref.name(), d);
  return {};
}

template <class Args, class F>
void on_run(CLI::App* c, Context& ctx, std::shared_ptr<Args> a, F f) {
  c->callback([&ctx, a, f] {
    if (auto st = f(*a); !st) ctx.report(st.error());
  });
}

}  // namespace

void add_registry_commands(CLI::App& app, Context& ctx) {
  auto pa = std::make_shared<PushArgs>();
  auto* c = app.add_subcommand("push", "Push an image from the store to a registry");
  c->add_option("image", pa->ref,
                "Image in the store (name, ID); also the destination without DEST")
      ->required();
  c->add_option("destination", pa->dest, "[docker://]HOST/REPO[:TAG] to push to");
  c->add_flag("--all-tags,-a", pa->all_tags, "Push every tag of the repository");
  c->add_option("--semver", pa->semver,
                "Push to DEST:MAJOR.MINOR.PATCH and point DEST:MAJOR.MINOR and DEST:MAJOR at it "
                "(DEST is then a repository; a prerelease gets only its full tag)");
  c->add_flag("--latest", pa->latest, "With --semver, also DEST:latest");
  c->add_flag("-q,--quiet", pa->quiet, "No progress output");
  add_registry_flags(c, pa->reg);
  on_run(c, ctx, pa, [&ctx](const PushArgs& a) { return push(ctx, a); });

  auto pl = std::make_shared<PullArgs>();
  c = app.add_subcommand("pull", "Pull an image from a registry into the store");
  c->add_option("image", pl->ref, "[docker://]HOST/REPO[:TAG|@DIGEST]")->required();
  c->add_option("--platform", pl->platform,
                "Which image of a multi-platform index (default: this host)");
  c->add_flag("--all-platforms,-a", pl->all_platforms,
              "Every platform of a multi-platform image (stored as its index)");
  c->add_flag("-q,--quiet", pl->quiet, "No progress output");
  add_registry_flags(c, pl->reg);
  add_policy_flags(c, pl->policy);
  on_run(c, ctx, pl, [&ctx](const PullArgs& a) { return pull(ctx, a); });

  auto li = std::make_shared<LoginArgs>();
  c = app.add_subcommand("login",
                         "Check and store credentials for a registry (docker's config.json)");
  c->add_option("host", li->host, "Registry host, e.g. localhost:5000")->required();
  c->add_option("-u,--username", li->user, "User name");
  c->add_option("-p,--password", li->password, "Password (prefer --password-stdin)");
  c->add_flag("--password-stdin", li->password_stdin, "Read the password from stdin");
  add_registry_flags(c, li->reg);
  on_run(c, ctx, li, [](const LoginArgs& a) { return login(a); });

  auto lo = std::make_shared<RemoteArgs>();
  c = app.add_subcommand("logout", "Remove stored credentials for a registry");
  c->add_option("host", lo->ref, "Registry host")->required();
  c->add_option("--authfile", lo->reg.authfile, "Credentials file");
  on_run(c, ctx, lo, [](const RemoteArgs& a) { return logout(a.ref, a.reg); });

  struct Remote {
    const char* name;
    const char* help;
    Status (*fn)(const RemoteArgs&);
  };
  for (auto r :
       {Remote{"manifest", "Print an image's raw manifest without pulling it", &manifest},
        Remote{"delete", "Delete a manifest (by tag or digest) from a registry", &remove}}) {
    auto ra = std::make_shared<RemoteArgs>();
    c = app.add_subcommand(r.name, r.help);
    c->add_option("reference", ra->ref, "docker://HOST/REPO[:TAG|@DIGEST]")->required();
    add_registry_flags(c, ra->reg);
    auto fn = r.fn;
    on_run(c, ctx, ra, [fn](const RemoteArgs& a) { return fn(a); });
  }
}

}  // namespace kiln::cli
