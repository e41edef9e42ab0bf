#include "kiln/scan/db_import.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include "kiln/archive/tar.hpp"
#include "kiln/base/fd.hpp"
#include "kiln/io/stream.hpp"
#include "kiln/os/dir.hpp"
#include "kiln/scan/osv_json.hpp"

namespace kiln::scan {

namespace {

constexpr int k_max_depth = 32;

class Importer {
 public:
  Importer(VulnDbWriter& db, std::string_view source, const ImportOptions& o)
      : m_db(db), m_source(source), m_opts(o) {}

  Status document(std::string_view text, const std::string& where) {
    auto a = parse_osv(text);
    if (!a) {
      m_stats.warnings.push_back(fmt::format("{}: {}", where, a.error().message()));
      return {};
    }
    KILN_TRY_CTX(m_db.add(*a, m_source), where);
    ++m_stats.advisories;
    if (m_opts.on_progress && m_stats.advisories % 500 == 0) m_opts.on_progress(m_stats.advisories);
    return {};
  }

  Status archive(int fd, const std::string& where) {
    io::FdReader in(fd);
    auto tar = KILN_TRY_CTX(archive::TarReader::open_bundle(in), where);
    while (auto e = KILN_TRY_CTX(tar->next(), where)) {
      if (e->type != archive::EntryType::file || !e->path.ends_with(".json")) continue;
      std::string member = fmt::format("{}:{}", where, e->path);
      if (e->size > m_opts.max_document_bytes) {
        m_stats.warnings.push_back(
            fmt::format("{}: {} bytes, over the {} byte limit for one advisory", member, e->size,
                        m_opts.max_document_bytes));
        continue;
      }
      archive::EntryReader r(*tar);
      auto text = KILN_TRY_CTX(io::read_all(r, m_opts.max_document_bytes), member);
      KILN_TRY(document(text, member));
    }
    return {};
  }

  Status file(int fd, const std::string& where, int64_t size) {
    char first = 0;
    if (size > 0 && pread(fd, &first, 1, 0) != 1) return fail_errno(fmt::format("read {}", where));
    bool json = first == '{' || first == '[' || first == ' ' || first == '\n' || first == '\t' ||
                first == '\r';
    if (!json) return archive(fd, where);
    if (size > m_opts.max_document_bytes) {
      m_stats.warnings.push_back(
          fmt::format("{}: {} bytes, over the {} byte limit for one advisory", where, size,
                      m_opts.max_document_bytes));
      return {};
    }
    io::FdReader in(fd);
    auto text = KILN_TRY_CTX(io::read_all(in, m_opts.max_document_bytes), where);
    return document(text, where);
  }

  Status directory(const os::Dir& dir, int depth) {
    if (depth > k_max_depth)
      return failf(Errc::invalid_argument, "{}: directories nested over {} levels", dir.path(),
                   k_max_depth);
    auto names = KILN_TRY(dir.list());
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
      auto st = KILN_TRY(dir.stat(n));
      std::string where = dir.child_path(n);
      if (S_ISDIR(st.st_mode)) {
        auto sub = KILN_TRY(dir.open_dir(n));
        KILN_TRY(directory(sub, depth + 1));
      } else if (S_ISREG(st.st_mode) && n.ends_with(".json")) {
        auto fd = KILN_TRY(dir.open_file(n, O_RDONLY | O_NOFOLLOW));
        KILN_TRY(file(fd.get(), where, st.st_size));
      }
    }
    return {};
  }

  ImportStats take() { return std::move(m_stats); }

 private:
  VulnDbWriter& m_db;
  std::string m_source;
  ImportOptions m_opts;
  ImportStats m_stats;
};

}  // namespace

Result<ImportStats> import_osv(VulnDbWriter& db, const std::string& path, std::string_view source,
                               const ImportOptions& opts) {
  Importer imp(db, source, opts);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return fail_errno(fmt::format("import {}", path));
  if (S_ISDIR(st.st_mode)) {
    auto dir = KILN_TRY(os::Dir::open(path));
    KILN_TRY(imp.directory(dir, 0));
  } else {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return fail_errno(fmt::format("open {}", path));
    KILN_TRY(imp.file(fd.get(), path, st.st_size));
  }
  return imp.take();
}

}  // namespace kiln::scan
