#include "kiln/cli/scan_common.hpp"

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "kiln/image/load.hpp"
#include "kiln/oci/platform.hpp"
#include "kiln/os/random.hpp"
#include "kiln/scan/vulndb.hpp"
#include "kiln/store/store.hpp"

namespace kiln::cli {

std::string vulndb_location(const Context& ctx, const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("KILN_VULN_DB"); env && *env) return env;
  return scan::vulndb_path(ctx.root);
}

namespace {

std::vector<std::string> build_locations(Context& ctx, bool in_store, const Digest& config) {
  if (!in_store) return {};
  auto st = ctx.store();
  if (!st) return {};
  auto l = (*st)->build_sources(config);
  return l ? *l : std::vector<std::string>{};
}

}  // namespace

Result<OpenedImage> open_image(Context& ctx, const std::string& image, const std::string& platform,
                               const RegistryFlags& reg, std::string_view command) {
  auto at = KILN_TRY(transport::parse_location(image));
  auto o = KILN_TRY(open_options(ctx, at.kind == transport::Kind::store));
  o.registry = KILN_TRY(registry_options(reg));
  OpenedImage out;
  out.source = KILN_TRY(transport::open_source(at, o));
  std::optional<oci::Platform> want;
  if (!platform.empty()) want = KILN_TRY(oci::parse_platform(platform));
  out.image = KILN_TRY_CTX(image::load(*out.source, want), fmt::format("{} {}", command, image));
  out.history_locations =
      build_locations(ctx, at.kind == transport::Kind::store, out.image.parsed.config.digest);
  return out;
}

Result<CatalogedImage> catalog_image(Context& ctx, const std::string& image,
                                     const std::string& platform, const RegistryFlags& reg,
                                     std::string_view command, scan::SecretScanner* secrets) {
  auto opened = KILN_TRY(open_image(ctx, image, platform, reg, command));
  const auto& img = opened.image;
  scan::CatalogOptions co;
  co.secrets = secrets;
  co.history_locations = opened.history_locations;
  if (stderr_is_terminal())
    co.on_layer = [](size_t i, size_t n) {
      fmt::print(stderr, "\rReading layer {}/{}", i + 1, n);
      if (i + 1 == n) fmt::print(stderr, "\r\033[K");
    };
  CatalogedImage out;
  out.catalog = KILN_TRY_CTX(scan::catalog_image(*opened.source, img, co),
                             fmt::format("{} {}", command, image));
  out.subject = {image, img.manifest.digest.str(), img.parsed.config.digest.str()};
  out.image = std::move(opened.image);
  out.history_locations = std::move(opened.history_locations);
  return out;
}

std::string short_text(std::string s, size_t n) {
  if (s.size() > n) s = s.substr(0, n - 1) + "…";
  return s;
}

Result<scan::DocumentInfo> document_info() {
  scan::DocumentInfo d;
  d.tool_version = KILN_VERSION;
  d.uuid = os::random_uuid();
  d.created = std::time(nullptr);
  if (const char* e = std::getenv("SOURCE_DATE_EPOCH"); e && *e) {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(e, e + std::strlen(e), v);
    if (ec != std::errc() || *end != '\0' || v < 0)
      return failf(Errc::invalid_argument,
                   "SOURCE_DATE_EPOCH=\"{}\" is not a number of seconds since 1970", e);
    d.created = v;
  }
  return d;
}

}  // namespace kiln::cli
