// kiln export IMAGE [-o FILE]

#include "kiln/cli/context.hpp"
#include "kiln/container/export.hpp"
#include "kiln/store/store.hpp"
#include "kiln/transport/out_file.hpp"

namespace kiln::cli {

namespace {

Status run(Context& ctx, const std::string& ref, const std::string& output) {
  if ((output.empty() || output == "-") && stdout_is_terminal())
    return fail(Errc::invalid_argument,
                "export: refusing to write a tar archive to a terminal (use -o FILE or a pipe)");
  auto* st = KILN_TRY(ctx.store());
  auto image = KILN_TRY(store::load_image(*st, ref));
  auto ctx_msg = fmt::format("export {}", ref);
  if (output.empty()) {
    io::FdWriter out(1);
    return with_context(container::export_rootfs(*st, image, out), ctx_msg);
  }
  // Written next to the target and renamed into place only when complete (a device or FIFO
  // such as /dev/null is written in place).
  auto file = KILN_TRY_CTX(transport::OutFile::create(output), ctx_msg);
  io::FdWriter out(file.fd());
  KILN_TRY_CTX(container::export_rootfs(*st, image, out), ctx_msg);
  KILN_TRY_CTX(file.publish(), ctx_msg);
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
