#include "kiln/builder/cache_io.hpp"
#include "kiln/base/json_depth.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "kiln/base/strings.hpp"
#include "kiln/io/stream.hpp"
#include "kiln/store/metadata.hpp"

namespace kiln::builder {

namespace {

using json = nlohmann::json;

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
  json entries = json::array();
  // Entries already exported by earlier builds stay, unless this build replaced them.
  if (auto old = os::read_file_at(root, "index.json"); old && json_depth_ok(*old)) {
    try {
      for (const auto& e : json::parse(*old).at("entries"))
        if (std::find(keys.begin(), keys.end(), e.at("key").get<std::string>()) == keys.end())
          entries.push_back(e);
    } catch (const std::exception&) {
    }
  }
  for (const auto& key : keys) {
    auto c = KILN_TRY(store.metadata().cache(key));
    if (!c) continue;
    json e = {{"key", c->key}, {"layer", c->layer_digest}, {"created", c->created}};
    if (!c->layer_digest.empty()) {
      auto d = KILN_TRY(Digest::parse(c->layer_digest));
      auto rec = KILN_TRY(store.layer(d));
      if (!rec) continue;
      KILN_TRY_CTX(copy_blob(store, d, blobs), fmt::format("--cache-to {}", dir));
      e["diff_id"] = rec->diff_id.str();
      e["media_type"] = rec->media_type;
      e["size"] = rec->size;
      e["uncompressed_size"] = rec->uncompressed_size;
    }
    entries.push_back(e);
  }
  json index = {{"kiln-build-cache", 1}, {"entries", entries}};
  return os::write_file_atomic(root, "index.json", index.dump(1));
}

Result<int> import_cache(store::Store& store, store::Lease& lease, const std::string& dir) {
  auto root = os::Dir::open(dir);
  if (!root) return 0;  // nothing cached yet: the first CI run
  auto text = os::read_file_at(*root, "index.json");
  if (!text) return 0;
  KILN_TRY(check_json_depth(*text, fmt::format("--cache-from {}: index.json", dir)));
  json index;
  try {
    index = json::parse(*text);
  } catch (const std::exception& e) {
    return failf(Errc::corrupt, "--cache-from {}: index.json: {}", dir, e.what());
  }
  if (!index.is_object() || index.value("kiln-build-cache", 0) != 1 || !index.contains("entries"))
    return failf(Errc::unsupported, "--cache-from {}: not a kiln build cache", dir);
  int added = 0;
  for (const auto& e : index["entries"]) {
    try {
      store::CacheEntry c{e.at("key").get<std::string>(), e.at("layer").get<std::string>(),
                          e.value("created", int64_t{0})};
      if (KILN_TRY(store.metadata().cache(c.key))) continue;
      if (!c.layer_digest.empty()) {
        auto d = Digest::parse(c.layer_digest);
        auto diff = Digest::parse(e.at("diff_id").get<std::string>());
        if (!d || !diff) continue;
        int64_t size = e.at("size").get<int64_t>();
        auto fd = root->open_file("blobs/sha256/" + d->hex(), O_RDONLY);
        if (!fd) continue;
        io::FdReader in(fd->get());
        if (!store.ingest(in, lease, *d, size)) continue;  // damaged: skip the entry
        KILN_TRY(store.metadata().put_layer({*d, *diff, e.at("media_type").get<std::string>(), size,
                                             e.value("uncompressed_size", int64_t{-1})}));
      }
      KILN_TRY(store.metadata().put_cache(c));
      ++added;
    } catch (const std::exception&) {
      continue;  // a malformed entry is skipped, as a cache miss
    }
  }
  return added;
}

}  // namespace kiln::builder
