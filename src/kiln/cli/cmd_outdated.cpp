// kiln outdated IMAGE...: is each image's base (the labels org.opencontainers.image.base.name
// and .base.digest that kiln build records) still what its tag names in the registry?
#include <unistd.h>

#include <set>

#include "kiln/base/strings.hpp"
#include "kiln/cli/json_output.hpp"
#include "kiln/cli/scan_common.hpp"
#include "kiln/oci/platform.hpp"
#include "kiln/oci/reference.hpp"
#include "kiln/registry/client/client.hpp"
#include "kiln/scan/match.hpp"
#include "kiln/scan/vulndb.hpp"
#include "kiln/transport/registry_transport.hpp"

namespace kiln::cli {
namespace {

constexpr std::string_view k_base_name = "org.opencontainers.image.base.name";
constexpr std::string_view k_base_digest = "org.opencontainers.image.base.digest";

struct OutdatedArgs {
  std::vector<std::string> images;
  std::string format = "table", db;
  bool no_scan = false;
  RegistryFlags reg;
};

struct Verdict {
  std::string image, base, status, current, latest, pushed, problem;
  int64_t fixes = -1;  // known vulnerabilities the newer base no longer has; -1: not counted
};

std::string label(const oci::ImageConfig& c, std::string_view key) {
  if (!c.config) return "";
  auto it = c.config->labels.find(std::string(key));
  return it == c.config->labels.end() ? "" : it->second;
}

// The known vulnerabilities of an image, as "ID package" pairs.
Result<std::set<std::string>> vulnerabilities(Context& ctx, scan::VulnDb& db,
                                              const std::string& image, const std::string& platform,
                                              const RegistryFlags& reg) {
  auto ci = KILN_TRY(catalog_image(ctx, image, platform, reg, "outdated"));
  auto m = KILN_TRY(scan::match(db, ci.catalog));
  std::set<std::string> out;
  for (const auto& f : m.findings) out.insert(f.id + " " + f.name);
  return out;
}

// When the tag last moved: the registry's tag history (kiln registry serve), else the new
// image's creation time.
std::string pushed_time(registry::client::Registry& reg, const std::string& repo,
                        const std::string& tag, const oci::ImageConfig& latest) {
  if (auto h = reg.tag_history(repo, tag))
    for (const auto& e : *h)
      if (e.action == "push") return e.time;
  return latest.created;
}

Status check_one(Context& ctx, const OutdatedArgs& a, scan::VulnDb* db, Verdict& v) {
  auto opened = KILN_TRY(open_image(ctx, v.image, "", a.reg, "outdated"));
  const auto& config = opened.image.config;
  v.base = label(config, k_base_name);
  v.current = label(config, k_base_digest);
  if (v.base.empty() || v.current.empty()) {
    v.status = "unknown";
    v.problem = "no base image recorded (FROM scratch, a base given by ID, or not built by kiln)";
    return {};
  }
  auto ref = KILN_TRY(oci::Reference::parse(v.base));
  if (ref.tag.empty()) {
    v.status = "pinned";
    v.problem = "the base is named by digest only";
    return {};
  }
  auto reg =
      KILN_TRY(registry::client::Registry::open(ref.domain, KILN_TRY(registry_options(a.reg))));
  std::string repo = transport::api_repo(ref);
  auto root = KILN_TRY_CTX(reg->get_manifest(repo, ref.tag), fmt::format("outdated {}", v.base));
  std::string platform = oci::platform_string(oci::platform_of(config));
  oci::Reference pinned = ref;
  pinned.digest = root.digest;
  auto latest = KILN_TRY(open_image(ctx, "docker://" + pinned.str(), platform, a.reg, "outdated"));
  v.latest = latest.image.manifest.digest.str();
  if (v.current == v.latest || v.current == root.digest.str()) {
    v.status = "up to date";
    return {};
  }
  v.status = "outdated";
  v.pushed = pushed_time(*reg, repo, ref.tag, latest.image.config);
  if (!db) return {};
  oci::Reference old = ref;
  old.digest = KILN_TRY(Digest::parse(v.current));
  auto before = vulnerabilities(ctx, *db, "docker://" + old.str(), platform, a.reg);
  if (!before) {
    v.problem = "vulnerabilities not compared: " + before.error().message();
    return {};
  }
  auto after = KILN_TRY(vulnerabilities(ctx, *db, "docker://" + pinned.str(), platform, a.reg));
  v.fixes = 0;
  for (const auto& id : *before) v.fixes += after.contains(id) ? 0 : 1;
  return {};
}

void print(const OutdatedArgs& a, const std::vector<Verdict>& verdicts) {
  if (a.format == "json") {
    std::string out = "[";
    for (size_t i = 0; i < verdicts.size(); ++i) {
      const auto& v = verdicts[i];
      JsonObject o;
      o.add("Image", v.image).add("Base", v.base).add("Status", v.status);
      o.add("BaseDigest", v.current).add("LatestDigest", v.latest).add("Pushed", v.pushed);
      if (v.fixes >= 0) o.add("VulnerabilitiesFixed", v.fixes);
      if (!v.problem.empty()) o.add("Note", v.problem);
      out += (i ? ",\n  " : "\n  ") + o.dump();
    }
    fmt::print("{}\n]\n", out);
    return;
  }
  std::vector<std::vector<std::string>> rows{
      {"IMAGE", "BASE", "STATUS", "LATEST", "PUSHED", "FIXES", "NOTE"}};
  for (const auto& v : verdicts)
    rows.push_back({v.image, v.base, v.status, v.latest.empty() ? "" : short_id(v.latest), v.pushed,
                    v.fixes >= 0 ? std::to_string(v.fixes) : "", v.problem});
  print_table(rows);
}

Status run(Context& ctx, const OutdatedArgs& a) {
  if (a.format != "table" && a.format != "json")
    return failf(Errc::invalid_argument, "outdated: unknown --format \"{}\" (table or json)",
                 a.format);
  std::unique_ptr<scan::VulnDb> db;
  std::string db_path = vulndb_location(ctx, a.db);
  if (!a.no_scan && ::access(db_path.c_str(), F_OK) == 0)
    db = KILN_TRY(scan::VulnDb::open(db_path));
  std::vector<Verdict> verdicts;
  std::optional<Error> first_error;
  for (const auto& image : a.images) {
    Verdict v;
    v.image = image;
    if (auto st = check_one(ctx, a, db.get(), v); !st) {
      v.status = "error";
      v.problem = st.error().message();
      if (!first_error) first_error = st.error();
    }
    verdicts.push_back(std::move(v));
  }
  print(a, verdicts);
  if (first_error) return std::unexpected(*first_error);
  for (const auto& v : verdicts)
    if (v.status == "outdated") ctx.exit_code = 1;
  return {};
}

}  // namespace

void add_outdated(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<OutdatedArgs>();
  auto* c = app.add_subcommand(
      "outdated",
      "Check whether each image's base (recorded by kiln build) has a newer build under the same "
      "tag in its registry; exit status 1 when one has");
  c->add_option("images", a->images, "Images (store names or IDs, docker://...)")->required();
  c->add_option("--format", a->format, "table or json")->capture_default_str();
  c->add_option("--db", a->db, "Advisory database for counting fixed vulnerabilities");
  c->add_flag("--no-scan", a->no_scan, "Do not count the vulnerabilities the newer base fixes");
  add_registry_flags(c, a->reg);
  c->callback([&ctx, a] {
    if (auto st = run(ctx, *a); !st) ctx.report(st.error());
  });
}

}  // namespace kiln::cli
