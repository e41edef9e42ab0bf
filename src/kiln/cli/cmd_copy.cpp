// kiln copy [--all | --platform P] [--format oci|v2s2] [--dest-compress-format F]
//           [--preserve-digests] SRC DST

#include "kiln/cli/transfer.hpp"
#include "kiln/oci/platform.hpp"
#include "kiln/oci/reference.hpp"
#include "kiln/transport/out_file.hpp"

namespace kiln::cli {
namespace {

struct CopyArgs {
  std::string src, dst, format, compress, platform, digestfile;
  int compress_level = -1;
  bool all = false, preserve = false, quiet = false;
  RegistryFlags reg;
};

Status run(Context& ctx, const CopyArgs& a) {
  auto from = KILN_TRY(transport::parse_location(a.src));
  auto to = KILN_TRY(transport::parse_location(a.dst));
  if (to.path == "-" && stdout_is_terminal())
    return fail(Errc::invalid_argument, "copy: refusing to write an archive to a terminal");
  if (a.all && !a.platform.empty())
    return fail(Errc::invalid_argument, "copy: --all and --platform exclude each other");
  image::CopyOptions co;
  if (a.format == "oci")
    co.format = oci::Format::oci;
  else if (a.format == "v2s2" || a.format == "docker")
    co.format = oci::Format::docker;
  else if (!a.format.empty())
    return failf(Errc::invalid_argument, "copy: unknown --format \"{}\" (oci or v2s2)", a.format);
  if (!a.compress.empty()) {
    co.compress = KILN_TRY(io::parse_compression(a.compress));
    if (*co.compress != io::Compression::gzip && *co.compress != io::Compression::zstd)
      return failf(Errc::invalid_argument,
                   "copy: --dest-compress-format must be gzip or zstd, not \"{}\"", a.compress);
  }
  co.compress_options.level = a.compress_level;
  co.all_platforms = a.all;
  if (!a.platform.empty()) co.platform = KILN_TRY(oci::parse_platform(a.platform));
  co.preserve_digests = a.preserve;
  co.on_event = copy_progress(a.quiet);
  bool need_store = from.kind == transport::Kind::store || to.kind == transport::Kind::store;
  auto o = KILN_TRY(open_options(ctx, need_store));
  co.scratch_dir = o.temp_dir;
  co.max_concurrent = a.reg.max_concurrent;
  o.registry = KILN_TRY(registry_options(a.reg));
  if (from.kind == transport::Kind::registry && to.kind == transport::Kind::registry) {
    auto f = KILN_TRY(oci::Reference::parse(from.path)),
         t = KILN_TRY(oci::Reference::parse(to.path));
    if (f.domain == t.domain && f.path != t.path) o.mount_from = f.path;  // mount, not upload
  }
  auto src = KILN_TRY(transport::open_source(from, o));
  auto sink = KILN_TRY(transport::open_sink(to, o));
  auto res = KILN_TRY(image::copy_image(*src, *sink, co));
  KILN_TRY_CTX(sink->finish(), fmt::format("copy to {}", to.str()));
  if (!a.digestfile.empty())
    KILN_TRY(transport::write_out_file(a.digestfile, res.root.digest.str()));
  if (!a.quiet && stderr_is_terminal())
    fmt::print(stderr, "Copied {} ({})\n", res.root.digest, res.root.media_type);
  return {};
}

}  // namespace

void add_copy(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<CopyArgs>();
  auto* c = app.add_subcommand(
      "copy",
      "Copy an image between transports: kiln://REF (or a bare REF), oci:DIR[:REF], "
      "oci-archive:FILE[:REF], docker-archive:FILE[:REF], docker://HOST/REPO[:TAG|@DIGEST]");
  c->add_option("source", a->src, "Where to read the image")->required();
  c->add_option("destination", a->dst, "Where to write it")->required();
  c->add_flag("--all", a->all, "Copy every image of a multi-platform index");
  c->add_option("--platform", a->platform, "Which image of an index (default: this host)");
  c->add_option("--format", a->format, "Manifest format to write: oci or v2s2 (default: keep)");
  c->add_option("--dest-compress-format", a->compress, "Recompress layers: gzip or zstd");
  c->add_option("--dest-compress-level", a->compress_level, "Compression level");
  c->add_flag("--preserve-digests", a->preserve, "Fail instead of changing any digest");
  c->add_option("--digestfile", a->digestfile, "Write the copied manifest's digest to FILE");
  c->add_flag("-q,--quiet", a->quiet, "No progress output");
  add_registry_flags(c, a->reg);
  c->callback([&ctx, a] {
    if (auto st = run(ctx, *a); !st) ctx.report(st.error());
  });
}

}  // namespace kiln::cli
