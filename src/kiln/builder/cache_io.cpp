#include "kiln/builder/cache_io.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "kiln/base/strings.hpp"
#include "kiln/builder/cache_json.hpp"
#include "kiln/io/stream.hpp"
#include "kiln/store/metadata.hpp"

namespace kiln::builder {

namespace {

Status copy_blob(store::Store& store, const Digest& d, const os::Dir& blobs) {
  if (blobs.exists(d.hex())) return {};
  auto src = KILN_TRY(store.blob_reader(d));
  auto tmp = KILN_TRY(os::TempFile::create(blobs, 0444));
  io::FdWriter out(tmp.fd());
  KILN_TRY(io::copy(*src, out));
  return tmp.link_as(d.hex());
}

}  // namespace

Result<std::string> parse_cache_spec(const std::string& spec, std::string_view dir_key,
                                     std::string_view flag) {
  std::string type, dir, unknown;
  for (const auto& part : split(spec, ',')) {
    auto eq = part.find('=');
    if (eq == std::string::npos)
      return failf(Errc::invalid_argument, "{} {:?}: want key=value pairs", flag, spec);
    std::string k = part.substr(0, eq), v = part.substr(eq + 1);
    if (k == "type")
      type = v;
    else if (k == dir_key)
      dir = v;
    else if (k != "mode")
      unknown = k;
  }
  if (type != "local")
    return failf(Errc::unsupported, "{} type={:?}: kiln supports type=local", flag, type);
  if (!unknown.empty())
    return failf(Errc::invalid_argument, "{} {:?}: unknown key {:?}", flag, spec, unknown);
  if (dir.empty())
    return failf(Errc::invalid_argument, "{} {:?}: {}= is required", flag, spec, dir_key);
  return dir;
}

Status export_cache(store::Store& store, const std::vector<std::string>& keys,
                    const std::string& dir) {
  auto root = KILN_TRY(os::Dir::create(dir, 0755));
  auto blobs = KILN_TRY(os::Dir::create(dir + "/blobs/sha256", 0755));
  std::vector<CacheIndexEntry> entries;
  // Entries already exported by earlier builds stay, unless this build replaced them.
  if (auto old = os::read_file_at(root, "index.json"))
    if (auto parsed = parse_cache_index(*old, "index.json"))
      for (auto& e : *parsed)
        if (std::find(keys.begin(), keys.end(), e.key) == keys.end())
          entries.push_back(std::move(e));
  for (const auto& key : keys) {
    auto c = KILN_TRY(store.metadata().cache(key));
    if (!c) continue;
    CacheIndexEntry e;
    e.key = c->key;
    e.layer = c->layer_digest;
    e.created = c->created;
    if (!c->layer_digest.empty()) {
      auto d = KILN_TRY(Digest::parse(c->layer_digest));
      auto rec = KILN_TRY(store.layer(d));
      if (!rec) continue;
      KILN_TRY_CTX(copy_blob(store, d, blobs), fmt::format("--cache-to {}", dir));
      e.diff_id = rec->diff_id.str();
      e.media_type = rec->media_type;
      e.size = rec->size;
      e.uncompressed_size = rec->uncompressed_size;
    }
    entries.push_back(std::move(e));
  }
  return os::write_file_atomic(root, "index.json", serialize_cache_index(entries));
}

Result<int> import_cache(store::Store& store, store::Lease& lease, const std::string& dir) {
  auto root = os::Dir::open(dir);
  if (!root) return 0;  // nothing cached yet: the first CI run
  auto text = os::read_file_at(*root, "index.json");
  if (!text) return 0;
  auto entries =
      KILN_TRY(parse_cache_index(*text, fmt::format("--cache-from {}: index.json", dir)));
  int added = 0;
  for (const auto& e : entries) {
    store::CacheEntry c{e.key, e.layer, e.created};
    if (KILN_TRY(store.metadata().cache(c.key))) continue;
    if (!c.layer_digest.empty()) {
      auto d = Digest::parse(c.layer_digest);
      auto diff = Digest::parse(e.diff_id);
      if (!d || !diff) continue;  // a malformed entry is skipped, as a cache miss
      auto fd = root->open_file("blobs/sha256/" + d->hex(), O_RDONLY);
      if (!fd) continue;
      io::FdReader in(fd->get());
      if (!store.ingest(in, lease, *d, e.size)) continue;  // damaged: skip the entry
      KILN_TRY(store.metadata().put_layer({*d, *diff, e.media_type, e.size, e.uncompressed_size}));
    }
    KILN_TRY(store.metadata().put_cache(c));
    ++added;
  }
  return added;
}

}  // namespace kiln::builder
