// kiln load [-i FILE|-]
#include "kiln/cli/transfer.hpp"
#include "kiln/oci/codec.hpp"
#include "kiln/oci/platform.hpp"
#include "kiln/oci/reference.hpp"
#include "kiln/transport/store_transport.hpp"

namespace kiln::cli {
namespace {

struct LoadArgs {
  std::string input = "-";
  bool quiet = false;
  std::string platform;
};

Status run(Context& ctx, const LoadArgs& a) {
  if (a.input == "-" && isatty(0))
    return fail(Errc::invalid_argument,
                "load: refusing to read an archive from a terminal (use -i FILE or a pipe)");
  auto o = KILN_TRY(open_options(ctx, true));
  std::string what = a.input == "-" ? "stdin" : a.input;
  auto sources = KILN_TRY_CTX(transport::archive_sources(a.input, o), fmt::format("load {}", what));
  auto sink = KILN_TRY(transport::store_sink(*o.store, ""));
  image::CopyOptions co;
  co.scratch_dir = o.temp_dir;
  co.on_event = copy_progress(a.quiet);
  if (!a.platform.empty()) co.platform = KILN_TRY(oci::parse_platform(a.platform));
  std::vector<std::string> lines;
  for (auto& src : sources) {
    auto names = src->names();
    auto res = KILN_TRY_CTX(image::copy_image(*src, *sink, co), fmt::format("load {}", what));
    auto m = KILN_TRY(oci::parse_manifest(res.root.raw));
    if (names.empty()) lines.push_back(fmt::format("Loaded image ID: {}", m.config.digest));
    for (const auto& n : names)
      lines.push_back(
          fmt::format("Loaded image: {}", KILN_TRY(oci::Reference::parse(n)).familiar()));
  }
  KILN_TRY_CTX(sink->finish(), fmt::format("load {}", what));
  for (const auto& l : lines) fmt::print("{}\n", l);
  return {};
}

}  // namespace

void add_load(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<LoadArgs>();
  auto* c = app.add_subcommand(
      "load", "Load images from a docker or OCI archive (plain, gzip or zstd; stdin by default)");
  c->add_option("-i,--input", a->input, "Read from FILE instead of stdin");
  c->add_option("--platform", a->platform,
                "Which image of a multi-platform index (default: this host)");
  c->add_flag("-q,--quiet", a->quiet, "No progress output");
  c->callback([&ctx, a] {
    if (auto st = run(ctx, *a); !st) ctx.report(st.error());
  });
}

}  // namespace kiln::cli
