// kiln import FILE|DIR|- [REF]
#include <chrono>
#include <cstdlib>

#include "kiln/base/strings.hpp"
#include "kiln/cli/context.hpp"
#include "kiln/container/import.hpp"
#include "kiln/oci/platform.hpp"
#include "kiln/store/store.hpp"

namespace kiln::cli {

namespace {

struct ImportArgs {
  std::string source, ref, message, platform, compression = "gzip";
  std::vector<std::string> changes;
  bool quiet = false;
};

// "\rImporting 123MB (45MB/s)" on a terminal, at most every 100 ms.
std::function<void(int64_t)> progress_printer(bool enabled) {
  if (!enabled) return {};
  auto start = std::chrono::steady_clock::now();
  auto last = start;
  return [start, last](int64_t bytes) mutable {
    auto now = std::chrono::steady_clock::now();
    if (now - last < std::chrono::milliseconds(100)) return;
    last = now;
    double secs = std::chrono::duration<double>(now - start).count();
    fmt::print(stderr, "\r\033[KImporting {} ({}/s)", human_size(bytes),
               human_size(static_cast<int64_t>(static_cast<double>(bytes) / std::max(secs, 1e-3))));
  };
}

Status run(Context& ctx, const ImportArgs& a) {
  container::ImportOptions o;
  o.source = a.source;
  o.changes = a.changes;
  o.message = a.message;
  if (!a.ref.empty()) o.ref = KILN_TRY(oci::Reference::parse(a.ref));
  if (!a.platform.empty()) o.platform = KILN_TRY(oci::parse_platform(a.platform));
  o.compression = KILN_TRY(io::parse_compression(a.compression));
  if (const char* sde = std::getenv("SOURCE_DATE_EPOCH"); sde && *sde) {
    auto v = parse_int(sde);
    if (!v || *v < 0)
      return failf(Errc::invalid_argument, "SOURCE_DATE_EPOCH=\"{}\" is not a number of seconds",
                   sde);
    o.source_date_epoch = *v;
  }
  bool show = !a.quiet && stderr_is_terminal();
  o.progress = progress_printer(show);
  auto* st = KILN_TRY(ctx.store());
  auto rec = container::import_rootfs(*st, o);
  if (show) fmt::print(stderr, "\r\033[K");
  if (!rec) return std::unexpected(rec.error());
  fmt::print("{}\n", rec->config_digest.str());
  return {};
}

}  // namespace

void add_import(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<ImportArgs>();
  auto* c =
      app.add_subcommand("import", "Create an image from a root filesystem (directory or tarball)");
  c->add_option("source", a->source, "A directory, a tar file (plain, gzip or zstd) or - for stdin")
      ->required();
  c->add_option("reference", a->ref, "Name for the image, e.g. myimage:1.0");
  c->add_option("-c,--change", a->changes,
                "Apply a Dockerfile instruction (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, "
                "STOPSIGNAL, USER, VOLUME, WORKDIR)")
      ->allow_extra_args(false);
  c->add_option("-m,--message", a->message, "Comment recorded in the image history");
  c->add_option("--platform", a->platform,
                "Platform of the image (default: this machine), e.g. linux/arm64");
  c->add_option("--compression", a->compression, "Layer compression: gzip, zstd or none")
      ->capture_default_str();
  c->add_flag("-q,--quiet", a->quiet, "No progress output");
  c->callback([&ctx, a] {
    if (auto st = run(ctx, *a); !st) ctx.report(st.error());
  });
}

}  // namespace kiln::cli
