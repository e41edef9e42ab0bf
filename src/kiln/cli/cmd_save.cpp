// kiln save [-o FILE] [--format docker-archive|oci-archive] IMAGE...
#include "kiln/cli/transfer.hpp"
#include "kiln/oci/reference.hpp"
#include "kiln/transport/docker_archive.hpp"
#include "kiln/transport/oci_layout.hpp"
#include "kiln/transport/store_transport.hpp"

namespace kiln::cli {
namespace {

struct SaveArgs {
  std::vector<std::string> refs;
  std::string output, format = "docker-archive";
  bool quiet = false;
};

Status run(Context& ctx, const SaveArgs& a) {
  if ((a.output.empty() || a.output == "-") && stdout_is_terminal())
    return fail(Errc::invalid_argument,
                "save: refusing to write an archive to a terminal (use -o FILE or a pipe)");
  if (a.format != "docker-archive" && a.format != "oci-archive")
    return failf(Errc::invalid_argument,
                 "save: unknown --format \"{}\" (docker-archive or oci-archive)", a.format);
  auto o = KILN_TRY(open_options(ctx, true));
  std::string out = a.output.empty() ? "-" : a.output;
  auto sink = a.format == "docker-archive"
                  ? KILN_TRY(transport::docker_archive_sink(out, "", o.temp_dir))
                  : KILN_TRY(transport::layout_archive_sink(out, "", o.temp_dir));
  image::CopyOptions co;
  co.scratch_dir = o.temp_dir;
  co.on_event = copy_progress(a.quiet);
  for (const auto& ref : a.refs) {
    auto src = KILN_TRY_CTX(transport::store_source(*o.store, ref), fmt::format("save {}", ref));
    co.names.clear();
    // A name (not an ID) is recorded in the archive, as docker save does.
    if (!oci::looks_like_id(ref))
      if (auto r = oci::Reference::parse(ref); r && !r->digest) co.names.push_back(r->str());
    KILN_TRY_CTX(image::copy_image(*src, *sink, co), fmt::format("save {}", ref));
  }
  return with_context(sink->finish(), "save");
}

}  // namespace

void add_save(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<SaveArgs>();
  auto* c =
      app.add_subcommand("save", "Write images to a docker or OCI archive (stdout by default)");
  c->add_option("images", a->refs, "Image names or IDs")->required();
  c->add_option("-o,--output", a->output, "Write to FILE instead of stdout");
  c->add_option("--format", a->format,
                "docker-archive (default; docker load reads it) or oci-archive");
  c->add_flag("-q,--quiet", a->quiet, "No progress output");
  c->callback([&ctx, a] {
    if (auto st = run(ctx, *a); !st) ctx.report(st.error());
  });
}

}  // namespace kiln::cli
