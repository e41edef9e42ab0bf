// kiln export IMAGE [-o FILE]
#include <fcntl.h>
#include <unistd.h>

#include "kiln/cli/context.hpp"
#include "kiln/container/export.hpp"
#include "kiln/os/dir.hpp"
#include "kiln/store/store.hpp"

namespace kiln::cli {

namespace {

Status run(Context& ctx, const std::string& ref, const std::string& output) {
  if (output.empty() && stdout_is_terminal())
    return fail(Errc::invalid_argument,
                "export: refusing to write a tar archive to a terminal (use -o FILE or a pipe)");
  auto* st = KILN_TRY(ctx.store());
  auto image = KILN_TRY(store::load_image(*st, ref));
  auto ctx_msg = fmt::format("export {}", ref);
  if (output.empty()) {
    io::FdWriter out(1);
    return with_context(container::export_rootfs(*st, image, out), ctx_msg);
  }
  // Written next to the target and renamed into place only when complete.
  std::string dir =
      output.find('/') == std::string::npos ? "." : output.substr(0, output.rfind('/'));
  if (dir.empty()) dir = "/";
  std::string name = output.substr(output.rfind('/') + 1);
  auto d = KILN_TRY_CTX(os::Dir::open(dir), ctx_msg);
  std::string tmp = ".kiln-export-" + std::to_string(getpid()) + "-" + name;
  auto fd = KILN_TRY_CTX(d.open_file(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644), ctx_msg);
  io::FdWriter out(fd.get());
  auto done = container::export_rootfs(*st, image, out);
  if (done && ::fsync(fd.get()) != 0) done = fail_errno("fsync " + output);
  if (done) done = d.rename(tmp, d, name);
  if (!done) {
    (void)d.unlink(tmp);
    return with_context(std::move(done), ctx_msg);
  }
  return {};
}

}  // namespace

void add_export(CLI::App& app, Context& ctx) {
  auto ref = std::make_shared<std::string>(), output = std::make_shared<std::string>();
  auto* c =
      app.add_subcommand("export", "Write an image's flattened root filesystem as one tar archive");
  c->add_option("image", *ref, "Image name, ID or ID prefix")->required();
  c->add_option("-o,--output", *output, "Write to FILE instead of stdout");
  c->callback([&ctx, ref, output] {
    if (auto st = run(ctx, *ref, *output); !st) ctx.report(st.error());
  });
}

}  // namespace kiln::cli
