#include "kiln/scan/catalog.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "kiln/archive/path.hpp"
#include "kiln/archive/tar.hpp"
#include "kiln/image/layer_codec.hpp"
#include "kiln/image/layers.hpp"
#include "kiln/io/compress.hpp"
#include "kiln/scan/databases.hpp"
#include "kiln/scan/elf_stream.hpp"
#include "kiln/scan/gobinary.hpp"
#include "kiln/scan/java.hpp"
#include "kiln/scan/os_release.hpp"
#include "kiln/scan/rpmdb.hpp"
#include "kiln/scan/rustbinary.hpp"

namespace kiln::scan {

namespace {

constexpr std::string_view k_dpkg_status = "var/lib/dpkg/status";
constexpr std::string_view k_dpkg_status_d = "var/lib/dpkg/status.d/";
constexpr std::string_view k_apk_installed = "lib/apk/db/installed";
constexpr std::string_view k_rpm_dirs[] = {"var/lib/rpm/", "usr/lib/sysimage/rpm/"};
constexpr std::string_view k_os_release = "etc/os-release";
constexpr std::string_view k_os_release_lib = "usr/lib/os-release";

// Language packages: a Python distribution's metadata, an installed npm package's manifest
// (node_modules/NAME/package.json or node_modules/@SCOPE/NAME/package.json, not the
// package.json files inside a package).
bool python_metadata(std::string_view p) {
  return p.ends_with(".dist-info/METADATA") || p.ends_with(".egg-info/PKG-INFO") ||
         p.ends_with(".egg-info");
}

bool npm_manifest(std::string_view p) {
  if (!p.ends_with("/package.json")) return false;
  std::string_view dir = p.substr(0, p.size() - 13);
  auto nm = dir.rfind("node_modules/");
  if (nm == std::string_view::npos || (nm > 0 && dir[nm - 1] != '/')) return false;
  std::string_view name = dir.substr(nm + 13);
  auto slash = name.find('/');
  if (slash == std::string_view::npos) return !name.empty() && name.front() != '@';
  return name.front() == '@' && name.find('/', slash + 1) == std::string_view::npos;
}

// .../specifications/NAME-VERSION.gemspec (and specifications/default/ for default gems).
bool gemspec(std::string_view p) {
  if (!p.ends_with(".gemspec")) return false;
  auto slash = p.rfind('/');
  if (slash == std::string_view::npos) return false;
  std::string_view dir = p.substr(0, slash);
  if (dir.ends_with("/default")) dir.remove_suffix(8);
  return dir == "specifications" || dir.ends_with("/specifications");
}

// An npm lock file of a project (not one inside an installed package).
bool npm_lock(std::string_view p) {
  auto slash = p.rfind('/');
  std::string_view base = slash == std::string_view::npos ? p : p.substr(slash + 1);
  return (base == "package-lock.json" || base == "npm-shrinkwrap.json") &&
         !p.starts_with("node_modules/") && p.find("/node_modules/") == std::string_view::npos;
}

// The rpm database (rpmdb.hpp), and with "-wal" its sqlite write-ahead log.
bool rpm_db(std::string_view p, bool wal = false) {
  for (auto dir : k_rpm_dirs) {
    if (!p.starts_with(dir)) continue;
    std::string_view base = p.substr(dir.size());
    if (wal && base.ends_with("-wal")) base.remove_suffix(4);
    return is_rpmdb_name(base);
  }
  return false;
}

// One package per file.
bool language(std::string_view p) {
  return python_metadata(p) || npm_manifest(p) || gemspec(p);
}

bool tracked(std::string_view p) {
  return language(p) || npm_lock(p) || p == k_dpkg_status || p == k_apk_installed ||
         rpm_db(p, true) || p == k_os_release || p == k_os_release_lib ||
         (p.starts_with(k_dpkg_status_d) && p.size() > k_dpkg_status_d.size() &&
          p.substr(k_dpkg_status_d.size()).find('/') == std::string_view::npos);
}

bool is_db(std::string_view p) {
  return p == k_dpkg_status || p == k_apk_installed || p.starts_with(k_dpkg_status_d) ||
         rpm_db(p, true) || language(p) || npm_lock(p);
}

// How much of a language package's metadata is read: METADATA's headers come first (the rest
// is the long description), and no real package.json comes near 1 MB.
constexpr int64_t k_max_language_bytes = 1 << 20;

// The tracked files of the image as it stands after some layers: path -> content. A symlink
// is kept as "->TARGET", a Go binary as k_go_marker, its Go version, "\n" and its module info,
// a Rust binary as k_rust_marker and its cargo auditable JSON, a Java archive as k_java_marker
// and its artifacts (java.hpp).
using Files = std::map<std::string, std::string, std::less<>>;

constexpr std::string_view k_go_marker = "\x01go-buildinfo\n";
constexpr std::string_view k_java_marker = "\x01java\n";
constexpr std::string_view k_rust_marker = "\x01rust\n";

bool is_go(std::string_view content) {
  return content.starts_with(k_go_marker);
}

// What was read out of a binary file (a Go executable, a Java archive).
bool is_derived(std::string_view content) {
  return content.starts_with('\x01');
}

// Executables are searched for Go build info (a Go binary is at least ~1 MB; the header alone
// is 32 bytes) and cargo auditable data.
bool maybe_binary(const archive::Entry& e) {
  return e.type == archive::EntryType::file && (e.mode & 0111) != 0 && e.size >= 64;
}

std::string go_entry(const GoBuildInfo& info) {
  return std::string(k_go_marker) + info.go_version + "\n" + info.modinfo;
}

// Removes `path` and everything under it. True when a package database or Go binary was
// among what it removed.
bool remove_under(Files& files, const std::string& path) {
  bool db = false;
  for (auto it = files.lower_bound(path); it != files.end() && it->first.starts_with(path);) {
    if (it->first.size() == path.size() || it->first[path.size()] == '/' || path.ends_with('/')) {
      db |= is_db(it->first) || is_derived(it->second);
      it = files.erase(it);
    } else {
      ++it;
    }
  }
  return db;
}

// Applies one layer to `files`. True when a package database changed.
Result<bool> apply_layer(image::Source& src, const oci::Descriptor& d, int index, Files& files,
                         const CatalogOptions& opts, std::vector<std::string>& warnings) {
  auto blob = KILN_TRY(image::BlobStream::open(src, d));
  auto plain = KILN_TRY(io::make_decompressor(image::layer_codec(d.media_type), blob.reader()));
  auto tar = KILN_TRY(archive::TarReader::open(*plain));
  bool changed = false;
  while (auto e = KILN_TRY(tar->next())) {
    std::string path = archive::clean_path(e->path);
    if (path.empty() || archive::escapes_root(e->path)) continue;
    auto slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
    std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
    if (base == ".wh..wh..opq") {  // the directory's lower content is hidden
      changed |= remove_under(files, dir);
      if (opts.secrets) opts.secrets->remove(index, dir);
      continue;
    }
    if (base.starts_with(".wh.")) {
      std::string gone = dir + base.substr(4);
      if (opts.secrets) opts.secrets->remove(index, gone);
      changed |= remove_under(files, gone);
      continue;
    }
    // An entry replaces whatever was at its path (a directory replacing a file, too).
    if (e->type != archive::EntryType::dir) changed |= remove_under(files, path);
    if (opts.secrets && e->type != archive::EntryType::dir) opts.secrets->remove(index, path);
    if (!tracked(path)) {
      bool file = e->type == archive::EntryType::file;
      bool jar = file && e->size > 0 && is_java_archive(path);
      std::optional<GoBuildInfo> go;
      std::optional<std::string> rust;
      std::vector<JavaArtifact> artifacts;
      if (opts.secrets && file && opts.secrets->wants(path, e->size)) {
        archive::EntryReader data(*tar);
        auto content = KILN_TRY(io::read_all(data, SecretScanner::k_max_file_bytes));
        opts.secrets->scan_file(index, path, content);
        if (jar) {
          io::StringReader mem(std::move(content));
          artifacts = KILN_TRY(read_java_archive(mem, "/" + path, warnings));
        } else if (maybe_binary(*e)) {
          go = go_buildinfo_in(content);
          if (!go) go = go_legacy_buildinfo_in(content);
          if (!go) rust = rust_audit_in(content);
        }
      } else if (jar) {
        archive::EntryReader data(*tar);
        artifacts = KILN_TRY(read_java_archive(data, "/" + path, warnings));
      } else if (maybe_binary(*e)) {
        archive::EntryReader data(*tar);
        // One pass: Go 1.18+ build info, and on the way the older form and Rust's data.
        RustAuditFinder rust_finder;
        GoLegacyFinder go_finder;
        elf::Tap tap(data, [&](const char* p, size_t n) {
          rust_finder.feed(p, n);
          go_finder.feed(p, n);
        });
        go = KILN_TRY(read_go_buildinfo(tap));
        if (!go) go = go_finder.finish();
        if (!go) rust = rust_finder.finish();
      }
      if (go) {
        files[path] = go_entry(*go);
        changed = true;
      } else if (rust) {
        files[path] = std::string(k_rust_marker) + *rust;
        changed = true;
      } else if (!artifacts.empty()) {
        files[path] = std::string(k_java_marker) + encode_java_artifacts(artifacts);
        changed = true;
      }
      continue;
    }
    if (e->type == archive::EntryType::symlink) {
      files[path] = "->" + e->linkname;
    } else if (e->type == archive::EntryType::file && python_metadata(path)) {
      archive::EntryReader data(*tar);
      auto head = KILN_TRY(io::read_prefix(data, std::min<int64_t>(e->size, k_max_language_bytes)));
      // Only the headers are kept (the long description after them can be large).
      if (auto body = head.find("\n\n"); body != std::string::npos) head.resize(body + 1);
      if (opts.secrets && opts.secrets->wants(path, e->size))
        opts.secrets->scan_file(index, path, head);
      files[path] = std::move(head);
    } else if (e->type == archive::EntryType::file) {
      int64_t limit = language(path) ? k_max_language_bytes : opts.max_db_bytes;
      if (e->size > limit) {
        warnings.push_back(fmt::format("layer {}: {}: {} bytes, over the limit of {}; skipped",
                                       d.digest.short_hex(), path, e->size, limit));
        continue;
      }
      archive::EntryReader data(*tar);
      files[path] = KILN_TRY(io::read_all(data, limit));
      if (opts.secrets && opts.secrets->wants(path, e->size))
        opts.secrets->scan_file(index, path, files[path]);
    } else {
      continue;
    }
    changed |= is_db(path);
  }
  return changed;
}

// Every package the databases in `files` list.
std::vector<Package> packages_of(const Files& files, std::vector<std::string>& warnings) {
  std::vector<Package> out;
  for (const auto& [path, content] : files) {
    if (content.starts_with(k_java_marker)) {
      auto got = java_packages(decode_java_artifacts(content.substr(k_java_marker.size())));
      out.insert(out.end(), std::make_move_iterator(got.begin()),
                 std::make_move_iterator(got.end()));
      continue;
    }
    if (content.starts_with(k_rust_marker)) {
      auto got = parse_rust_audit(content.substr(k_rust_marker.size()), "/" + path, warnings);
      out.insert(out.end(), std::make_move_iterator(got.begin()),
                 std::make_move_iterator(got.end()));
      continue;
    }
    if (is_go(content)) {
      std::string_view rest = std::string_view(content).substr(k_go_marker.size());
      auto nl = rest.find('\n');
      GoBuildInfo info{std::string(rest.substr(0, nl)),
                       nl == std::string_view::npos ? "" : std::string(rest.substr(nl + 1))};
      auto got = parse_go_buildinfo(info, "/" + path, warnings);
      out.insert(out.end(), std::make_move_iterator(got.begin()),
                 std::make_move_iterator(got.end()));
      continue;
    }
    if (!is_db(path) || content.starts_with("->")) continue;  // a symlinked one: not followed
    std::vector<Package> got;
    if (path == k_dpkg_status)
      got = parse_dpkg(content, "/" + path, true, warnings);
    else if (path.starts_with(k_dpkg_status_d))
      got = parse_dpkg(content, "/" + path, false, warnings);
    else if (path == k_apk_installed)
      got = parse_apk(content, "/" + path, warnings);
    else if (rpm_db(path)) {
      auto wal = files.find(path + "-wal");
      auto slash = path.rfind('/');
      got = parse_rpmdb(content, wal == files.end() ? "" : wal->second, path.substr(slash + 1),
                        "/" + path, warnings);
      if (got.empty()) continue;  // it has warned, or lists nothing
    } else if (rpm_db(path, true))
      continue;  // a write-ahead log: read with its database
    else if (python_metadata(path))
      got = parse_python_metadata(content, "/" + path, warnings);
    else if (npm_manifest(path))
      got = parse_npm_package(content, "/" + path, warnings);
    else if (gemspec(path))
      got = parse_gemspec(content, "/" + path, warnings);
    if (npm_lock(path)) {
      // What is also installed (NODE_MODULES_PATH/package.json beside the lock file) is
      // listed from there.
      auto slash = path.rfind('/');
      std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
      for (auto& [where, p] : parse_npm_lock(content, "/" + path, warnings))
        if (!files.contains(dir + where + "/package.json")) out.push_back(std::move(p));
      continue;
    }
    if (language(path)) {  // one package per file; a bad one has warned already
      out.insert(out.end(), std::make_move_iterator(got.begin()),
                 std::make_move_iterator(got.end()));
      continue;
    }
    if (got.empty() && content.find_first_not_of(" \t\r\n") != std::string::npos)
      warnings.push_back(fmt::format("/{}: no package could be read from it (corrupt?)", path));
    out.insert(out.end(), std::make_move_iterator(got.begin()), std::make_move_iterator(got.end()));
  }
  return out;
}

std::optional<Distro> distro_of(const Files& files) {
  for (auto name : {k_os_release, k_os_release_lib}) {
    auto it = files.find(name);
    if (it == files.end()) continue;
    std::string_view content = it->second;
    if (content.starts_with("->")) {
      // Usually etc/os-release -> ../usr/lib/os-release: the other name is read next.
      continue;
    }
    if (auto d = parse_os_release(content)) return d;
  }
  return std::nullopt;
}

// type, name, arch, and for language packages the file that lists them: two copies of one npm
// package in different node_modules directories are two packages.
using Key = std::tuple<std::string, std::string, std::string, std::string>;

Key key_of(const Package& p) {
  bool os = p.type == "deb" || p.type == "apk" || p.type == "rpm";
  return Key{p.type, p.name, p.arch, os ? "" : p.db};
}

}  // namespace

Result<Catalog> catalog_image(image::Source& src, const image::Loaded& img,
                              const CatalogOptions& opts) {
  Catalog cat;
  const auto& layers = img.parsed.layers;
  // The history line of each layer and, when kiln built the image, its Dockerfile location.
  std::vector<std::string> created_by, location;
  for (size_t h : image::layer_history(img)) {
    created_by.push_back(img.config.history[h].created_by);
    location.push_back(h < opts.history_locations.size() ? opts.history_locations[h] : "");
  }

  Files files;
  std::map<Key, Package> current;  // as listed after the layers read so far
  std::vector<std::string> final_warnings;
  for (size_t i = 0; i < layers.size(); ++i) {
    if (opts.on_layer) opts.on_layer(i, layers.size());
    bool changed =
        KILN_TRY_CTX(apply_layer(src, layers[i], static_cast<int>(i), files, opts, cat.warnings),
                     fmt::format("layer {} ({})", i, layers[i].digest));
    if (!changed) continue;
    // Warnings are reported once, for the final image: the databases as the last layer that
    // changed one left them (a layer that changes none leaves what packages_of reads as is).
    final_warnings.clear();
    std::map<Key, Package> now;
    for (auto& p : packages_of(files, final_warnings)) {
      Key k = key_of(p);
      auto before = current.find(k);
      // Listed before with the same version: it keeps the layer that added it.
      bool same = before != current.end() && before->second.version == p.version;
      p.layer = same ? before->second.layer : static_cast<int>(i);
      now[k] = std::move(p);
    }
    current = std::move(now);
  }
  cat.warnings.insert(cat.warnings.end(), std::make_move_iterator(final_warnings.begin()),
                      std::make_move_iterator(final_warnings.end()));
  if (opts.secrets) opts.secrets->scan_config(img.config);
  for (size_t i = 0; i < layers.size(); ++i)
    cat.layers.push_back({layers[i].digest, created_by.empty() ? "" : created_by[i],
                          location.empty() ? "" : location[i]});
  cat.distro = distro_of(files);
  for (auto& [k, p] : current) {
    p.layer_digest = layers[static_cast<size_t>(p.layer)].digest;
    if (!created_by.empty()) {
      p.created_by = created_by[static_cast<size_t>(p.layer)];
      p.location = location[static_cast<size_t>(p.layer)];
    }
    cat.packages.push_back(std::move(p));
  }
  return cat;
}

}  // namespace kiln::scan
