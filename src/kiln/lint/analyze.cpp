#include "kiln/lint/analyze.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "kiln/archive/path.hpp"
#include "kiln/archive/tar.hpp"
#include "kiln/base/strings.hpp"
#include "kiln/digest/digest.hpp"
#include "kiln/image/layer_codec.hpp"
#include "kiln/image/layers.hpp"
#include "kiln/io/compress.hpp"

namespace kiln::lint {

namespace {

// One tar entry as the merge needs it.
struct Entry {
  enum class Type : uint8_t { file, dir, other, whiteout, opaque } type = Type::file;
  std::string path;  // cleaned, no leading "/"; for opaque: the directory
  int64_t size = 0;
  uint32_t mode = 0, uid = 0, gid = 0;
  std::string owner;  // uname, else the uid
  std::string hash;   // of a regular file's content (hex, 32 characters)
};

// Reads one layer: every entry, each regular file hashed.
Result<std::vector<Entry>> scan_layer(image::Source& src, const oci::Descriptor& d) {
  auto blob = KILN_TRY(image::BlobStream::open(src, d));
  auto plain = KILN_TRY(io::make_decompressor(image::layer_codec(d.media_type), blob.reader()));
  auto tar = KILN_TRY(archive::TarReader::open(*plain));
  std::vector<Entry> out;
  Sha256 hasher;
  std::vector<char> buf(1 << 16);
  while (auto e = KILN_TRY(tar->next())) {
    if (archive::escapes_root(e->path)) continue;
    std::string path = archive::clean_path(e->path);
    if (path.empty()) continue;
    Entry x;
    auto slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
    std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
    if (base == ".wh..wh..opq") {
      x.type = Entry::Type::opaque;
      x.path = dir;
    } else if (base.starts_with(".wh.")) {
      x.type = Entry::Type::whiteout;
      x.path = dir + base.substr(4);
    } else {
      x.path = std::move(path);
      x.type = e->type == archive::EntryType::dir    ? Entry::Type::dir
               : e->type == archive::EntryType::file ? Entry::Type::file
                                                     : Entry::Type::other;
      x.size = x.type == Entry::Type::file ? e->size : 0;
      x.mode = e->mode, x.uid = e->uid, x.gid = e->gid;
      x.owner = (e->uname.empty() ? std::to_string(e->uid) : e->uname) + ":" +
                (e->gname.empty() ? std::to_string(e->gid) : e->gname);
      if (x.type == Entry::Type::file) {
        for (;;) {
          size_t n = KILN_TRY(tar->read(buf.data(), buf.size()));
          if (n == 0) break;
          hasher.update(buf.data(), n);
        }
        x.hash = hasher.finish().hex().substr(0, 32);
      }
    }
    out.push_back(std::move(x));
  }
  return out;
}

struct Node {
  int64_t size = 0;
  std::string hash;
  uint32_t mode = 0, uid = 0, gid = 0;
  int layer = 0;
  bool dir = false;
};

struct PathStat {
  int64_t cumulative = 0, smallest = -1;
  int count = 0;
};

// "RUN |1 X=1 /bin/sh -c make # buildkit" gives "RUN make".
std::string instruction_of(std::string_view created_by) {
  std::string s(created_by);
  if (s.ends_with(" # buildkit")) s.resize(s.size() - 11);
  if (s.starts_with("RUN ")) {
    std::string rest = s.substr(4);
    if (rest.starts_with('|')) {  // |N K=V ... : N build args
      size_t sp = rest.find(' ');
      auto n = parse_int(rest.substr(1, sp == std::string::npos ? 0 : sp - 1)).value_or(0);
      rest = sp == std::string::npos ? "" : rest.substr(sp + 1);
      for (int64_t i = 0; i < n; ++i) {
        size_t next = rest.find(' ');
        rest = next == std::string::npos ? "" : rest.substr(next + 1);
      }
    }
    if (rest.starts_with("/bin/sh -c ")) rest = rest.substr(11);
    s = "RUN " + rest;
  }
  if (s.starts_with("/bin/sh -c #(nop) ")) s = s.substr(18);
  if (s.starts_with("/bin/sh -c ")) s = "RUN " + s.substr(11);
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

std::string files(int n) {
  return n == 1 ? "1 file" : fmt::format("{} files", n);
}

class Merger {
 public:
  Merger(Analysis& a, const AnalyzeOptions& o) : m_a(a), m_opts(o) {}

  void layer(int i, std::vector<Entry>& entries) {
    auto& sum = m_a.layers[static_cast<size_t>(i)];
    std::map<std::string, FileChange> changes;
    // The directories that hold other entries of this layer (not leaves).
    std::unordered_set<std::string> parents;
    for (const auto& e : entries) {
      if (e.type == Entry::Type::opaque) continue;
      for (size_t p = e.path.rfind('/'); p != std::string::npos && p > 0;
           p = e.path.rfind('/', p - 1)) {
        if (!parents.insert(e.path.substr(0, p)).second) break;
        if (p == 0) break;
      }
    }
    for (auto& e : entries) {
      switch (e.type) {
        case Entry::Type::opaque:
          remove_under(i, e.path, /*keep_layer=*/i, changes, nullptr);
          break;
        case Entry::Type::whiteout: {
          // dive sizes a whiteout by what it hides when that was a directory, else 0.
          auto was = m_tree.find(e.path);
          bool was_dir = was != m_tree.end() && was->second.dir;
          int64_t bytes = 0;
          int n = remove_under(i, e.path, -1, changes, &bytes);
          if (n > 0 || was != m_tree.end()) {
            auto& c = changes[e.path];
            c.kind = FileChange::Kind::removed, c.path = "/" + e.path, c.size = bytes;
            c.files = std::max(n, 1);
          }
          note_path(e.path, was_dir ? bytes : 0);
          break;
        }
        case Entry::Type::dir: {
          if (!parents.contains(e.path)) note_path(e.path, 0);  // a leaf in dive's layer tree
          auto it = m_tree.find(e.path);
          if (it != m_tree.end() && !it->second.dir) replace(i, e.path, it->second, e);
          Node& n = m_tree[e.path];
          n.dir = true, n.layer = it == m_tree.end() ? i : n.layer;
          n.mode = e.mode, n.uid = e.uid, n.gid = e.gid;
          break;
        }
        default:
          add(i, e, changes);
          break;
      }
    }
    for (auto& [p, c] : changes) {
      if (c.dir) continue;
      if (c.kind == FileChange::Kind::added) ++sum.files_added, sum.bytes_added += c.size;
      if (c.kind == FileChange::Kind::modified) ++sum.files_modified, sum.bytes_modified += c.size;
      if (c.kind == FileChange::Kind::removed)
        sum.files_removed += c.files, sum.bytes_removed += c.size;
      sum.changes.push_back(std::move(c));
    }
  }

  void finish() {
    // dive's figures.
    int64_t smallest = 0, all = 0;
    for (const auto& [p, s] : m_stats) {
      smallest += s.smallest;
      all += s.cumulative;
      if (s.count > 1) m_a.wasted_bytes += s.cumulative;
    }
    m_a.efficiency = all == 0 ? 1.0 : static_cast<double>(smallest) / static_cast<double>(all);
    for (size_t i = 0; i < m_a.layers.size(); ++i) {
      m_a.image_size += m_a.layers[i].size;
      if (i > 0) m_a.user_size += m_a.layers[i].size;
    }
    m_a.user_wasted_percent = m_a.user_size == 0 ? 0.0
                                                 : static_cast<double>(m_a.wasted_bytes) /
                                                       static_cast<double>(m_a.user_size);
    for (const auto& [p, n] : m_tree)
      if (!n.dir) ++m_a.final_files, m_a.final_size += n.size;
    caches();
    duplicates();
    for (auto& [k, item] : m_items) m_a.waste.push_back(std::move(item));
    for (auto& item : m_a.waste) describe(item);
    std::stable_sort(m_a.waste.begin(), m_a.waste.end(),
                     [](const WasteItem& x, const WasteItem& y) { return x.bytes > y.bytes; });
    for (const auto& item : m_a.waste) m_a.waste_total += item.bytes;
  }

 private:
  using Key = std::tuple<std::string, int, int>;

  WasteItem& item(const std::string& kind, int layer, int by, const std::string& path,
                  int64_t bytes) {
    auto& it = m_items[Key{kind, layer, by}];
    it.kind = kind, it.layer = layer, it.by_layer = by;
    it.bytes += bytes;
    ++it.files;
    auto& top = m_top[Key{kind, layer, by}];
    top.emplace_back(bytes, "/" + path);
    if (top.size() > 4 * m_opts.max_paths_per_item) trim(top);
    return it;
  }

  void trim(std::vector<std::pair<int64_t, std::string>>& top) const {
    std::sort(top.begin(), top.end(), [](const auto& x, const auto& y) {
      return x.first != y.first ? x.first > y.first : x.second < y.second;
    });
    if (top.size() > m_opts.max_paths_per_item) top.resize(m_opts.max_paths_per_item);
  }

  void note_path(const std::string& path, int64_t size) {
    auto& s = m_stats[path];
    s.cumulative += size;
    if (s.smallest < 0 || size < s.smallest) s.smallest = size;
    ++s.count;
  }

  // Removes `path` and everything under it that came from layers other than keep_layer.
  int remove_under(int layer, const std::string& path, int keep_layer,
                   std::map<std::string, FileChange>& changes, int64_t* bytes) {
    int n = 0;
    std::string prefix = path.empty() || path.ends_with('/') ? path : path + "/";
    auto it = path.ends_with('/') ? m_tree.lower_bound(path) : m_tree.find(path);
    if (!path.ends_with('/') && it != m_tree.end()) {
      if (it->second.layer != keep_layer) {
        n += drop(layer, it->first, it->second, changes, bytes);
        it = m_tree.erase(it);
      }
    }
    it = m_tree.lower_bound(prefix);
    while (it != m_tree.end() && it->first.starts_with(prefix)) {
      if (it->second.layer == keep_layer) {
        ++it;
        continue;
      }
      n += drop(layer, it->first, it->second, changes, bytes);
      it = m_tree.erase(it);
    }
    return n;
  }

  int drop(int layer, const std::string& path, const Node& n,
           std::map<std::string, FileChange>& changes, int64_t* bytes) {
    if (n.dir) return 0;
    if (bytes) *bytes += n.size;
    if (n.size > 0) item("deleted", n.layer, layer, path, n.size);
    if (!bytes) {  // an opaque directory: each file is a removal
      auto& c = changes[path];
      c.kind = FileChange::Kind::removed, c.path = "/" + path, c.size = n.size;
    }
    return 1;
  }

  // A non-directory entry replacing what was at its path.
  void replace(int layer, const std::string& path, const Node& old, const Entry& e) {
    if (old.size <= 0) return;
    bool same = !old.hash.empty() && old.hash == e.hash;
    if (same) {
      auto& it = item("rewrite", old.layer, layer, path, e.size);
      if (it.fix.empty()) {
        std::string what;
        if (old.uid != e.uid || old.gid != e.gid) what = "--chown=" + e.owner;
        if ((old.mode & 07777) != (e.mode & 07777))
          what += (what.empty() ? "" : " ") + fmt::format("--chmod={:o}", e.mode & 07777);
        it.fix = what;  // completed in describe()
      }
    } else {
      item("overwritten", old.layer, layer, path, old.size);
    }
  }

  void add(int layer, Entry& e, std::map<std::string, FileChange>& changes) {
    auto it = m_tree.find(e.path);
    bool existed = it != m_tree.end() && it->second.layer != layer;
    if (it != m_tree.end()) {
      if (it->second.dir) {
        int64_t b = 0;
        std::map<std::string, FileChange> ignored;
        remove_under(layer, e.path, layer, ignored, &b);
      } else if (it->second.layer != layer) {
        replace(layer, e.path, it->second, e);
      }
    }
    note_path(e.path, e.size);
    m_a.layers[static_cast<size_t>(layer)].size += e.size;
    Node& n = m_tree[e.path];
    n = Node{e.size, e.hash, e.mode, e.uid, e.gid, layer, false};
    auto& c = changes[e.path];
    c.kind = existed ? FileChange::Kind::modified : FileChange::Kind::added;
    c.path = "/" + e.path, c.size = e.size;
    if (e.type == Entry::Type::file && e.size >= 1024 && !cache_of(e.path))
      m_copies[e.hash].emplace_back(e.path, layer, e.size);
  }

  struct Cache {
    std::string_view prefix, name, fix;
  };
  static const Cache* cache_of(std::string_view path) {
    static const Cache k[] = {
        {"var/lib/apt/lists/", "apt package lists",
         "end the RUN with `rm -rf /var/lib/apt/lists/*`"},
        {"var/cache/apt/", "apt package cache", "end the RUN with `apt-get clean`"},
        {"var/cache/apk/", "apk cache", "use `apk add --no-cache`"},
        {"etc/apk/cache/", "apk cache", "use `apk add --no-cache`"},
        {"root/.cache/pip/", "pip cache", "use `pip install --no-cache-dir`"},
        {"root/.npm/", "npm cache", "end the RUN with `npm cache clean --force`"},
        {"usr/local/share/.cache/yarn/", "yarn cache", "end the RUN with `yarn cache clean`"},
        {"root/.cache/go-build/", "Go build cache",
         "use RUN --mount=type=cache,target=/root/.cache/go-build"},
        {"root/go/pkg/mod/cache/", "Go module download cache",
         "use RUN --mount=type=cache,target=/root/go/pkg/mod"},
        {"var/cache/dnf/", "dnf cache", "end the RUN with `dnf clean all`"},
        {"var/cache/yum/", "yum cache", "end the RUN with `yum clean all`"},
        {"root/.cargo/registry/", "cargo registry cache",
         "use RUN --mount=type=cache,target=/root/.cargo/registry"},
    };
    for (const auto& c : k)
      if (path.starts_with(c.prefix) && path != "var/lib/apt/lists/lock" &&
          !path.starts_with("var/lib/apt/lists/partial"))
        return &c;
    return nullptr;
  }

  void caches() {
    for (const auto& [path, n] : m_tree) {
      if (n.dir || n.size == 0) continue;
      const Cache* c = cache_of(path);
      if (!c) continue;
      auto& it = item("cache", n.layer, -1, path, n.size);
      it.message = std::string(c->name);
      it.fix = std::string(c->fix);
    }
  }

  void duplicates() {
    for (auto& [hash, copies] : m_copies) {
      std::map<std::string, std::pair<int, int64_t>> first;  // path -> first layer, size
      for (const auto& [path, layer, size] : copies)
        if (!first.contains(path)) first[path] = {layer, size};
      std::set<int> layers;
      for (const auto& [p, ls] : first) layers.insert(ls.first);
      if (first.size() < 2 || layers.size() < 2) continue;
      // The copy in the earliest layer is the original; each other path is a duplicate.
      std::vector<std::tuple<int, std::string, int64_t>> order;
      for (const auto& [p, ls] : first) order.emplace_back(ls.first, p, ls.second);
      std::sort(order.begin(), order.end());
      WasteItem w;
      w.kind = "duplicate";
      w.layer = std::get<0>(order.front());
      w.by_layer = std::get<0>(order.back());
      for (size_t i = 1; i < order.size(); ++i) w.bytes += std::get<2>(order[i]), ++w.files;
      for (size_t i = 0; i < order.size() && i < m_opts.max_paths_per_item; ++i)
        w.paths.push_back("/" + std::get<1>(order[i]));
      m_dups.push_back(std::move(w));
    }
    // Many small duplicate groups: the largest are items, the rest one summary item.
    std::sort(m_dups.begin(), m_dups.end(),
              [](const WasteItem& x, const WasteItem& y) { return x.bytes > y.bytes; });
    const size_t k_max = 20;
    for (size_t i = 0; i < m_dups.size() && i < k_max; ++i) m_a.waste.push_back(m_dups[i]);
    if (m_dups.size() > k_max) {
      WasteItem rest;
      rest.kind = "duplicate";
      for (size_t i = k_max; i < m_dups.size(); ++i)
        rest.bytes += m_dups[i].bytes, rest.files += m_dups[i].files;
      rest.message = fmt::format("{} more groups of identical files in several layers ({})",
                                 m_dups.size() - k_max, human_size(rest.bytes));
      rest.fix = "copy each file once (or link it)";
      m_a.waste.push_back(std::move(rest));
    }
  }

  std::string where(int layer) const {
    if (layer < 0 || static_cast<size_t>(layer) >= m_a.layers.size()) return "?";
    const auto& l = m_a.layers[static_cast<size_t>(layer)];
    std::string instr = instruction_of(l.created_by);
    if (instr.empty()) instr = fmt::format("layer {}", layer);
    return l.location.empty() ? fmt::format("{} (layer {})", instr, layer)
                              : fmt::format("{} at {}", instr, l.location);
  }

  std::string_view verb(int layer) const {
    return instruction_of(m_a.layers[static_cast<size_t>(layer)].created_by).substr(0, 4);
  }

  void describe(WasteItem& w) {
    if (w.paths.empty()) {
      auto it = m_top.find(Key{w.kind, w.layer, w.by_layer});
      if (it != m_top.end()) {
        trim(it->second);
        for (const auto& [b, p] : it->second) w.paths.push_back(p);
      }
    }
    if (!w.message.empty() && w.kind == "duplicate") return;  // the summary item
    std::string size = human_size(w.bytes);
    if (w.kind == "overwritten") {
      w.message = fmt::format("{} replaced {} ({}) that {} added: the old copies still ship",
                              where(w.by_layer), files(w.files), size, where(w.layer));
      w.fix = fmt::format(
          "write those files once: leave them out of {}, or produce them in one "
          "step",
          where(w.layer));
    } else if (w.kind == "deleted") {
      w.message = fmt::format(
          "{} deleted {} ({}) that {} added: deleting does not shrink the "
          "image",
          where(w.by_layer), files(w.files), size, where(w.layer));
      w.fix =
          verb(w.layer) == "RUN "
              ? fmt::format("delete them in the same RUN that creates them ({})", where(w.layer))
              : fmt::format(
                    "do not add them ({}): .dockerignore, a narrower COPY, or a "
                    "build stage",
                    where(w.layer));
    } else if (w.kind == "rewrite") {
      std::string flags = w.fix;
      w.message = fmt::format(
          "{} duplicated {} ({} added by {}) changing only ownership, "
          "permissions or times",
          where(w.by_layer), size, files(w.files), where(w.layer));
      std::string_view v = verb(w.layer);
      if ((v == "COPY" || v == "ADD ") && !flags.empty())
        w.fix =
            fmt::format("use {} {} at {} and drop the rewrite", v == "ADD " ? "ADD" : "COPY", flags,
                        m_a.layers[static_cast<size_t>(w.layer)].location.empty()
                            ? where(w.layer)
                            : m_a.layers[static_cast<size_t>(w.layer)].location);
      else
        w.fix = fmt::format(
            "set ownership and permissions in the step that creates the files "
            "({})",
            where(w.layer));
    } else if (w.kind == "cache") {
      std::string name = w.message;
      w.message = fmt::format("{} of {} left in the image by {}", size, name, where(w.layer));
    } else if (w.kind == "duplicate") {
      w.message =
          fmt::format("The same content is stored {} more time{} ({}) in {} and {}", w.files,
                      w.files == 1 ? "" : "s", size, where(w.layer), where(w.by_layer));
      w.fix = "copy it once, or link to the first copy";
    }
  }

  Analysis& m_a;
  const AnalyzeOptions& m_opts;
  std::map<std::string, Node> m_tree;
  std::unordered_map<std::string, PathStat> m_stats;
  std::map<Key, WasteItem> m_items;
  std::map<Key, std::vector<std::pair<int64_t, std::string>>> m_top;
  std::unordered_map<std::string, std::vector<std::tuple<std::string, int, int64_t>>> m_copies;
  std::vector<WasteItem> m_dups;
};

}  // namespace

Result<Analysis> analyze_image(image::Source& src, const image::Loaded& img,
                               const AnalyzeOptions& opts) {
  Analysis a;
  const auto& layers = img.parsed.layers;
  auto history = image::layer_history(img);
  for (size_t i = 0; i < layers.size(); ++i) {
    LayerSummary s;
    s.index = static_cast<int>(i);
    s.digest = layers[i].digest.str();
    s.blob_size = layers[i].size;
    if (!history.empty()) {
      size_t h = history[i];
      s.created_by = img.config.history[h].created_by;
      s.location = h < opts.history_locations.size() ? opts.history_locations[h] : "";
      s.instruction = instruction_of(s.created_by);
    }
    a.layers.push_back(std::move(s));
  }
  // Layers are read in parallel when the source allows (each is decompressed and hashed on
  // its own), then merged in order.
  std::vector<std::optional<Result<std::vector<Entry>>>> scans(layers.size());
  size_t threads = opts.threads > 0 ? static_cast<size_t>(opts.threads)
                                    : std::max(1u, std::thread::hardware_concurrency());
  if (!src.concurrent()) threads = 1;
  threads = std::min(threads, std::max<size_t>(layers.size(), 1));
  std::mutex mu;
  size_t next = 0, done = 0;
  auto work = [&] {
    for (;;) {
      size_t i;
      {
        std::lock_guard lock(mu);
        if (next >= layers.size()) return;
        i = next++;
      }
      auto r = scan_layer(src, layers[i]);
      std::lock_guard lock(mu);
      scans[i] = std::move(r);
      if (opts.on_layer) opts.on_layer(++done, layers.size());
    }
  };
  if (threads <= 1) {
    work();
  } else {
    std::vector<std::jthread> pool;
    for (size_t t = 0; t < threads; ++t) pool.emplace_back(work);
  }
  Merger m(a, opts);
  for (size_t i = 0; i < layers.size(); ++i) {
    auto& r = *scans[i];
    if (!r)
      return std::unexpected(
          Error(r.error().code(),
                fmt::format("layer {} ({}): {}", i, layers[i].digest, r.error().message())));
    m.layer(static_cast<int>(i), *r);
    r->clear();
    r->shrink_to_fit();
  }
  m.finish();
  return a;
}

}  // namespace kiln::lint
