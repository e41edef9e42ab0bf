#include "kiln/store/signatures.hpp"

#include <set>

#include "kiln/os/dir.hpp"
#include "kiln/store/paths.hpp"

namespace kiln::store {
namespace {

constexpr int64_t k_max_payload = 1 << 20;

bool is_hex64(std::string_view s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

}  // namespace

Status add_signature(const Store& st, const Digest& manifest, std::string_view payload,
                     std::string_view signature_b64) {
  auto top = KILN_TRY(st.root_dir().make_dir(paths::signatures_dir));
  auto dir = KILN_TRY(top.make_dir(manifest.hex()));
  std::string name = Digest::of(payload).hex();
  KILN_TRY(os::write_file_atomic(dir, name, payload));
  KILN_TRY(os::write_file_atomic(dir, name + ".sig", signature_b64));
  return {};
}

Result<std::vector<StoredSignature>> signatures(const Store& st, const Digest& manifest) {
  std::vector<StoredSignature> out;
  auto dir = st.root_dir().open_dir(std::string(paths::signatures_dir) + "/" + manifest.hex());
  if (!dir && dir.error().code() == Errc::not_found) return out;
  if (!dir) return std::unexpected(dir.error());
  auto names = KILN_TRY(dir->list());
  std::set<std::string> all(names.begin(), names.end());
  for (const auto& n : all) {
    if (!is_hex64(n) || !all.contains(n + ".sig")) continue;
    auto info = KILN_TRY(dir->stat(n));
    if (info.st_size > k_max_payload)
      return failf(Errc::corrupt, "signature payload {}/{} has {} bytes (more than 1 MiB)",
                   manifest.hex(), n, info.st_size);
    StoredSignature s;
    s.payload = KILN_TRY(os::read_file_at(*dir, n));
    s.payload_digest = Digest::of(s.payload);
    if (s.payload_digest.hex() != n)
      return failf(Errc::corrupt, "signature payload {}/{} hashes to {} (changed on disk)",
                   manifest.hex(), n, s.payload_digest);
    s.signature = KILN_TRY(os::read_file_at(*dir, n + ".sig"));
    out.push_back(std::move(s));
  }
  return out;
}

Result<int> prune_signatures(Store& st) {
  auto top = st.root_dir().open_dir(paths::signatures_dir);
  if (!top && top.error().code() == Errc::not_found) return 0;
  if (!top) return std::unexpected(top.error());
  std::set<std::string> kept;
  for (const auto& img : KILN_TRY(st.images())) kept.insert(img.manifest_digest.hex());
  int removed = 0;
  for (const auto& n : KILN_TRY(top->list())) {
    if (kept.contains(n)) continue;
    KILN_TRY(top->remove_all(n));
    ++removed;
  }
  return removed;
}

}  // namespace kiln::store
