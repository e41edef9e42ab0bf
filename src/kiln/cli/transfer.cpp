#include "kiln/cli/transfer.hpp"

#include "kiln/os/dir.hpp"
#include "kiln/store/paths.hpp"

namespace kiln::cli {

std::function<void(const image::CopyEvent&)> copy_progress(bool quiet) {
  if (quiet || !stderr_is_terminal()) return {};
  return [](const image::CopyEvent& e) {
    if (e.kind != image::CopyEvent::blob_start) return;
    fmt::print(stderr, "Copying blob {} ({})\n", e.blob.digest.str().substr(0, 19), e.action);
  };
}

transport::OpenOptions open_options(Context& ctx, bool need_store, Result<void>* err) {
  transport::OpenOptions o;
  if (!need_store) return o;
  auto st = ctx.store();
  if (!st) {
    *err = std::unexpected(st.error());
    return o;
  }
  o.store = *st;
  auto tmp = (*st)->root_dir().make_dir(store::paths::tmp_dir);
  if (tmp) {
    o.temp_dir = (*st)->root() + "/" + std::string(store::paths::tmp_dir);
    o.limits.temp_dir = o.temp_dir;
  }
  return o;
}

}  // namespace kiln::cli
