// kiln tags docker://REPO [--sort semver|name] [--filter RANGE]
// kiln tags --history docker://REPO:TAG
// kiln rollback docker://REPO:TAG [--steps N | --to DIGEST]
#include "kiln/base/semver.hpp"
#include "kiln/base/strings.hpp"
#include "kiln/cli/json_output.hpp"
#include "kiln/cli/tagging.hpp"
#include "kiln/registry/client/client.hpp"
#include "kiln/transport/registry_transport.hpp"

namespace kiln::cli {
namespace {

struct TagsArgs {
  std::string ref, sort, filter, format = "json", to;
  bool history = false;
  int steps = 1;
  RegistryFlags reg;
};

Result<std::unique_ptr<registry::client::Registry>> open_repo(const TagsArgs& a,
                                                              oci::Reference* ref,
                                                              bool default_tag) {
  if (!a.ref.starts_with("docker://"))
    return failf(Errc::invalid_argument, "{}: give a docker://HOST/REPO reference", a.ref);
  *ref = KILN_TRY(oci::Reference::parse(a.ref.substr(9), default_tag));
  return registry::client::Registry::open(ref->domain, KILN_TRY(registry_options(a.reg)));
}

Status print_history(const TagsArgs& a) {
  oci::Reference ref;
  auto reg = KILN_TRY(open_repo(a, &ref, true));
  if (ref.digest)
    return fail(Errc::invalid_argument, "tags --history: give REPO:TAG, not a digest");
  auto events = KILN_TRY(reg->tag_history(transport::api_repo(ref), ref.tag));
  if (a.format == "json") {
    std::string out = "[";
    for (size_t i = 0; i < events.size(); ++i) {
      const auto& e = events[i];
      out += (i ? ",\n  " : "\n  ") + JsonObject()
                                          .add("Action", e.action)
                                          .add("Digest", e.digest)
                                          .add("Time", e.time)
                                          .add("User", e.user)
                                          .dump();
    }
    fmt::print("{}\n]\n", out);
    return {};
  }
  if (a.format != "table")
    return failf(Errc::invalid_argument, "tags: unknown --format \"{}\" (json or table)", a.format);
  std::vector<std::vector<std::string>> rows{{"TIME", "ACTION", "DIGEST", "USER"}};
  for (const auto& e : events) rows.push_back({e.time, e.action, e.digest, e.user});
  print_table(rows);
  return {};
}

Status list_tags(const TagsArgs& a) {
  if (a.history) return print_history(a);
  oci::Reference ref;
  auto reg = KILN_TRY(open_repo(a, &ref, false));
  auto tags = KILN_TRY(reg->tags(transport::api_repo(ref)));
  if (!a.filter.empty()) {
    auto range = KILN_TRY(semver::Range::parse(a.filter));
    std::erase_if(tags, [&](const std::string& t) {
      auto v = semver::parse(t);
      return !v || !range.matches(*v);
    });
  }
  if (a.sort == "semver")
    semver::sort_tags(tags);
  else if (a.sort == "name")
    std::sort(tags.begin(), tags.end());
  else if (!a.sort.empty())
    return failf(Errc::invalid_argument, "tags: unknown --sort \"{}\" (semver or name)", a.sort);
  if (a.format == "table") {
    for (const auto& t : tags) fmt::print("{}\n", t);
    return {};
  }
  if (a.format != "json")
    return failf(Errc::invalid_argument, "tags: unknown --format \"{}\" (json or table)", a.format);
  fmt::print("{}\n", JsonObject().add("Repository", ref.name()).add("Tags", tags).dump(4));
  return {};
}

// The digest `--steps N` goes back to: the Nth different digest the tag pointed at before the
// current one (deletions skipped).
Result<std::string> earlier_digest(const std::vector<registry::client::codec::TagHistoryEntry>& h,
                                   const std::string& current, int steps) {
  std::vector<std::string> seen{current};
  for (const auto& e : h) {
    if (e.action != "push" || e.digest.empty() ||
        std::find(seen.begin(), seen.end(), e.digest) != seen.end())
      continue;
    seen.push_back(e.digest);
    if (static_cast<int>(seen.size()) == steps + 1) return e.digest;
  }
  return failf(Errc::not_found,
               "rollback: the tag's history holds {} earlier digest{}, fewer than --steps {}",
               seen.size() - 1, seen.size() == 2 ? "" : "s", steps);
}

Status rollback(const TagsArgs& a) {
  if (a.steps < 1) return fail(Errc::invalid_argument, "rollback: --steps must be at least 1");
  oci::Reference ref;
  auto reg = KILN_TRY(open_repo(a, &ref, true));
  if (ref.digest) return fail(Errc::invalid_argument, "rollback: give REPO:TAG, not a digest");
  std::string repo = transport::api_repo(ref);
  auto history = KILN_TRY(reg->tag_history(repo, ref.tag));
  std::string current;
  if (auto doc = reg->get_manifest(repo, ref.tag)) current = doc->digest.str();
  std::string target;
  if (!a.to.empty()) {
    auto want = KILN_TRY(Digest::parse(a.to));
    target = want.str();
    bool known = std::any_of(history.begin(), history.end(),
                             [&](const auto& e) { return e.digest == target; });
    if (!known)
      return failf(Errc::not_found, "rollback: {} never was {} (not in the tag's history)",
                   ref.familiar(), target);
    if (target == current)
      return failf(Errc::invalid_argument, "rollback: {} already points at {}", ref.familiar(),
                   target);
  } else {
    target = KILN_TRY(earlier_digest(history, current, a.steps));
  }
  auto doc = reg->get_manifest(repo, target);
  if (!doc)
    return failf(Errc::not_found,
                 "rollback: {} pointed at {}, which the registry no longer has ({})",
                 ref.familiar(), target, doc.error().message());
  KILN_TRY_CTX(reg->put_manifest(repo, ref.tag, *doc), fmt::format("rollback {}", ref.familiar()));
  fmt::print("{}: {} -> {}\n", ref.familiar(), current.empty() ? "(none)" : current, target);
  return {};
}

}  // namespace

void add_tags(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<TagsArgs>();
  auto* c = app.add_subcommand(
      "tags", "List a repository's tags (kiln tags docker://HOST/REPO), or a tag's history");
  c->add_option("reference", a->ref, "docker://HOST/REPO (with --history: docker://HOST/REPO:TAG)")
      ->required();
  c->add_option("--sort", a->sort,
                "Order: semver (versions by precedence, then 1.2 and 1 after what they cover, "
                "then other tags by name) or name");
  c->add_option("--filter", a->filter,
                "Only versions in this npm-style range, e.g. '>=1.2 <2', '^1.4', '~2.0 || 3.x'");
  c->add_flag("--history", a->history,
              "What the tag pointed at over time, newest first (kiln registry serve's extension)");
  c->add_option("--format", a->format, "json or table")->capture_default_str();
  add_registry_flags(c, a->reg);
  c->callback([&ctx, a] {
    if (auto st = list_tags(*a); !st) ctx.report(st.error());
  });

  auto r = std::make_shared<TagsArgs>();
  c = app.add_subcommand("rollback",
                         "Point a tag back at an earlier digest from its history in the registry "
                         "(one manifest PUT)");
  c->add_option("reference", r->ref, "docker://HOST/REPO:TAG")->required();
  auto* steps = c->add_option("--steps", r->steps, "How many earlier digests to go back")
                    ->capture_default_str();
  c->add_option("--to", r->to, "The digest to go back to (must be in the tag's history)")
      ->excludes(steps);
  add_registry_flags(c, r->reg);
  c->callback([&ctx, r] {
    if (auto st = rollback(*r); !st) ctx.report(st.error());
  });
}

}  // namespace kiln::cli
