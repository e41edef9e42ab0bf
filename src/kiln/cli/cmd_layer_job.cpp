// kiln __layer-job (hidden): makes one layer from a build step's snapshot, for `kiln build`,
// which starts it beside its next steps (builder/layer_jobs.hpp). Prints the layer record.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <unistd.h>

#include "kiln/builder/layer_jobs.hpp"
#include "kiln/cli/context.hpp"
#include "kiln/container/snapshots.hpp"
#include "kiln/store/store.hpp"

namespace kiln::cli {

namespace {

struct LayerJobArgs {
  std::string tree, compression = "gzip";
  int64_t owner = 0;
  std::optional<int64_t> clamp_mtime;
};

Status make(Context& ctx, const LayerJobArgs& a) {
  if (a.owner <= 0 || ::getppid() != static_cast<pid_t>(a.owner))
    return failf(Errc::invalid_argument, "__layer-job: --lease-owner {} is not the parent process",
                 a.owner);
  // The snapshot is held (as the build holds it) for as long as this job reads it, also when
  // the build is killed meanwhile: the job then finishes a blob no lease keeps, which gc takes.
  // (No PR_SET_PDEATHSIG: it fires when the build's thread that started the job ends.)
  auto slash = a.tree.find_last_of('/');
  std::string snapshot = slash == std::string::npos ? "." : a.tree.substr(0, slash);
  Fd hold(::open(snapshot.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!hold.valid() || ::flock(hold.get(), LOCK_SH) != 0)
    return fail_errno(fmt::format("hold snapshot {}", snapshot));
  // Beside the build, not in front of it: the next step's processes come first for the cores.
  (void)::setpriority(PRIO_PROCESS, 0, 10);
  auto compression = KILN_TRY(io::parse_compression(a.compression));
  auto* store = KILN_TRY(ctx.store());
  // The snapshot's row (under its placeholder name), written here rather than on the build's
  // way to its next step: gc and prune know it; finish() renames both.
  auto placeholder =
      KILN_TRY(Digest::parse("sha256:" + snapshot.substr(snapshot.find_last_of('/') + 1)));
  KILN_TRY(container::record_snapshot(*store, placeholder, 0));
  auto lease = KILN_TRY(store->lease());
  lease.set_owner(static_cast<pid_t>(a.owner));
  auto rec = KILN_TRY(builder::make_layer(*store, lease, a.tree, compression, a.clamp_mtime));
  fmt::print("{}", builder::format_job_result(rec, lease.detach()));
  return {};
}

}  // namespace

void add_layer_job(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<LayerJobArgs>();
  auto* c = app.add_subcommand("__layer-job",
                               "Make a layer from a build step's snapshot (used by kiln build)");
  c->group("");  // internal: not listed in kiln --help
  c->add_option("tree", a->tree, "The snapshot's tree")->required();
  c->add_option("--compression", a->compression, "gzip or zstd");
  c->add_option("--lease-owner", a->owner, "The build process, which the blob is leased to")
      ->required();
  c->add_option("--clamp-mtime", a->clamp_mtime, "Clamp mtimes to this time (SOURCE_DATE_EPOCH)");
  c->callback([&ctx, a] {
    if (auto st = make(ctx, *a); !st) ctx.report(st.error());
  });
}

}  // namespace kiln::cli
