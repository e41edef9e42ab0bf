// The one place that knows the store's on-disk layout (DESIGN.md habit 7).
//
//   <root>/
//     blobs/sha256/<hex>      content-addressed blobs, mode 0444, immutable once linked in.
//                             Data is written to an anonymous O_TMPFILE in the same directory
//                             (or a ".tmp-*" file where the filesystem lacks O_TMPFILE),
//                             verified, fsynced, then linked to its name.
//     meta.db, meta.db-wal    SQLite metadata (WAL): images, names, layers, leases,
//                             unpacked-layer cache entries (see metadata.hpp).
//     snapshots/<diffID hex>/fs   one layer unpacked alone, whiteouts as overlayfs markers:
//                             a read-only overlay lower dir (ops/snapshots.hpp). Made in
//                             snapshots/.tmp-* and renamed into place.
//     containers/<id>/        one container (ops/containers.hpp): state.json, upper/ and
//                             work/ (overlay) or fs/ (copy), run/ (the sandbox's state dir).
//     tmp/                    scratch space for one operation (export), removed when done.
//     signatures/<manifest hex>/<payload hex>[.sig]   signatures `kiln sign` made for a store
//                             image (store/signatures.hpp), pushed with it.
#pragma once

#include <string>
#include <string_view>

#include "kiln/digest/digest.hpp"

namespace kiln::store::paths {

inline constexpr std::string_view blobs_dir = "blobs/sha256";
inline constexpr std::string_view db_file = "meta.db";
inline constexpr std::string_view snapshots_dir = "snapshots";
inline constexpr std::string_view containers_dir = "containers";
inline constexpr std::string_view temp_prefix = ".tmp-";
inline constexpr std::string_view tmp_dir = "tmp";
inline constexpr std::string_view signatures_dir = "signatures";

// Name of a blob inside blobs_dir.
inline std::string blob_name(const Digest& d) {
  return d.hex();
}
// The default store root: /var/lib/kiln for root, $XDG_DATA_HOME/kiln (or ~/.local/share/kiln).
std::string default_root();

}  // namespace kiln::store::paths
