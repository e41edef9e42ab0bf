#include "kiln/archive/tar.hpp"
#include "kiln/archive/libarchive.hpp"
#include "kiln/base/buffer.hpp"
#include "kiln/io/compress.hpp"

#include <locale.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <clocale>
#include <cstring>

#include <vector>

namespace kiln::archive {

namespace {

class LibarchiveReader final : public TarReader {
 public:
  explicit LibarchiveReader(io::Reader& src) : m_src(src) {}
  ~LibarchiveReader() override {
    if (m_a) la().archive_read_free(m_a);
  }

  // What the stream may be: a plain tar; a tar under any compression; that or a zip (an
  // advisory bundle); a zip alone (a Java archive).
  enum class Kind { tar, compressed_tar, bundle, zip };

  Status init(Kind kind = Kind::tar) {
    m_a = la().archive_read_new();
    m_pad_tail = kind == Kind::tar;
    m_compressed = kind == Kind::compressed_tar || kind == Kind::bundle;
    m_format = kind == Kind::zip ? "zip" : "tar";
    if (m_compressed) la().archive_read_support_filter_all(m_a);
    if (kind != Kind::zip) la().archive_read_support_format_tar(m_a);
    if (kind == Kind::bundle || kind == Kind::zip) la().archive_read_support_format_zip(m_a);
    la().archive_read_support_format_empty(m_a);
    if (la().archive_read_open(m_a, this, nullptr, &LibarchiveReader::read_cb, nullptr) !=
        ARCHIVE_OK)
      return error("open {} stream");
    return {};
  }

  Result<std::optional<Entry>> next() override {
    archive_entry* e = nullptr;
    int rc = la().archive_read_next_header(m_a, &e);
    // A source that failed is an error even when libarchive took it for the end (its "empty"
    // format does, for an error on the first read).
    if (m_src_error) return std::unexpected(*m_src_error);
    if (rc == ARCHIVE_EOF) return std::optional<Entry>();
    // ARCHIVE_RETRY is a damaged header (a bad checksum) that libarchive would skip to look
    // for the next one: an error here, never a silently shorter archive.
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) return error("read {} header");
    ++m_count;
    if (la().archive_entry_sparse_count(e) > 0) {
      const char* p = la().archive_entry_pathname(e);
      return failf(Errc::unsupported, "tar member {}: sparse files are not supported", p ? p : "?");
    }
    return std::optional<Entry>(convert(e));
  }

  Result<size_t> read(void* buf, size_t size) override {
    la_ssize_t n = la().archive_read_data(m_a, buf, size);
    if (n < 0) return error("read {} entry data");
    m_out += static_cast<uint64_t>(n);
    if (m_compressed)  // libarchive's own filters undo the compression: bound them here
      KILN_TRY(io::check_decompressed(static_cast<int64_t>(m_out), static_cast<int64_t>(m_total),
                                      "archive"));
    return static_cast<size_t>(n);
  }

 private:
  static la_ssize_t read_cb(struct archive* a, void* self_, const void** out) {
    auto* self = static_cast<LibarchiveReader*>(self_);
    auto n = self->m_src.read(self->m_buf.data(), self->m_buf.size());
    if (!n) {
      self->m_src_error = std::move(n.error());
      la().archive_set_error(a, EIO, "%s", self->m_src_error->message().c_str());
      return -1;
    }
    self->m_total += *n;
    if (*n == 0 && self->m_pad_tail) {
      // Some writers (umoci's insert) end a layer right after the last entry's data, without
      // the padding and end-of-archive blocks; Go's readers accept that, and so do we. The
      // bytes themselves are verified against the diffID by whoever hands us the stream.
      self->m_pad_tail = false;
      size_t pad = (512 - self->m_total % 512) % 512 + 1024;
      std::memset(self->m_buf.data(), 0, pad);
      *out = self->m_buf.data();
      return static_cast<la_ssize_t>(pad);
    }
    *out = self->m_buf.data();
    return static_cast<la_ssize_t>(*n);
  }

  // `what` names the format as "{}" ("read {} header").
  std::unexpected<Error> error(std::string_view what) {
    if (m_src_error) {
      Error e = *m_src_error;
      return std::unexpected(std::move(e));
    }
    const char* msg = la().archive_error_string(m_a);
    std::string m = msg ? msg : "damaged data";
    if (m == "Unrecognized archive format")
      m = fmt::format("not a {} archive", m_format);
    else if (m_count > 0 || m.find("runcated") != std::string::npos)
      m = fmt::format("{} (after {} entries)", m, m_count);
    return failf(Errc::corrupt, "{}: {}", fmt::format(fmt::runtime(what), m_format), m);
  }

  static Entry convert(archive_entry* e) {
    Entry out;
    const char* p = la().archive_entry_pathname(e);
    out.path = p ? p : "";
    const char* hl = la().archive_entry_hardlink(e);
    const char* sl = la().archive_entry_symlink(e);
    mode_t ft = la().archive_entry_filetype(e);
    if (hl) {
      out.type = EntryType::hardlink;
      out.linkname = hl;
    } else if (ft == AE_IFDIR)
      out.type = EntryType::dir;
    else if (ft == AE_IFLNK) {
      out.type = EntryType::symlink;
      out.linkname = sl ? sl : "";
    } else if (ft == AE_IFCHR)
      out.type = EntryType::chardev;
    else if (ft == AE_IFBLK)
      out.type = EntryType::blockdev;
    else if (ft == AE_IFIFO)
      out.type = EntryType::fifo;
    else
      out.type = EntryType::file;
    out.mode = la().archive_entry_perm(e) & 07777;
    out.uid = static_cast<uint32_t>(la().archive_entry_uid(e));
    out.gid = static_cast<uint32_t>(la().archive_entry_gid(e));
    if (const char* u = la().archive_entry_uname(e)) out.uname = u;
    if (const char* g = la().archive_entry_gname(e)) out.gname = g;
    out.size = out.type == EntryType::file ? la().archive_entry_size(e) : 0;
    out.mtime = la().archive_entry_mtime(e);
    out.mtime_nsec = static_cast<int32_t>(la().archive_entry_mtime_nsec(e));
    out.devmajor = static_cast<uint32_t>(la().archive_entry_rdevmajor(e));
    out.devminor = static_cast<uint32_t>(la().archive_entry_rdevminor(e));
    la().archive_entry_xattr_reset(e);
    const char* name;
    const void* value;
    size_t size;
    while (la().archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK)
      out.xattrs[name] = std::string(static_cast<const char*>(value), size);
    return out;
  }

  io::Reader& m_src;
  Buffer m_buf{1 << 20};
  ::archive* m_a = nullptr;
  std::optional<Error> m_src_error;
  int64_t m_count = 0;
  uint64_t m_total = 0;  // bytes read from the source
  uint64_t m_out = 0;    // member data given out
  bool m_pad_tail = false;
  bool m_compressed = false;
  std::string_view m_format = "tar";  // for messages
};

// libarchive converts names from the current locale's charset to UTF-8 for PAX records. In
// the "C" locale a non-ASCII name fails that conversion and is written with a
// hdrcharset=BINARY record, which GNU tar warns about. Names in images are UTF-8, so the
// writer's calls run in a UTF-8 locale (this thread only; a name that is not valid UTF-8 is
// still written as BINARY, which is then the truth).
class Utf8Locale {
 public:
  Utf8Locale() {
    static locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
    if (utf8) m_old = uselocale(utf8);
  }
  ~Utf8Locale() {
    if (m_old) uselocale(m_old);
  }
  Utf8Locale(const Utf8Locale&) = delete;
  Utf8Locale& operator=(const Utf8Locale&) = delete;

 private:
  locale_t m_old = nullptr;
};

class LibarchiveWriter final : public TarWriter {
 public:
  explicit LibarchiveWriter(io::Writer& dst) : m_dst(dst) {}
  ~LibarchiveWriter() override {
    if (!m_a) return;
    // Abandoned mid-stream (an error upstream): libarchive pads the rest of the current entry
    // on close; discard that instead of writing it to the destination.
    if (!m_finished) {
      m_discard = true;
      la().archive_write_close(m_a);
    }
    la().archive_write_free(m_a);
  }

  Status init() {
    Utf8Locale utf8;
    m_a = la().archive_write_new();
    la().archive_write_set_format_pax_restricted(m_a);
    la().archive_write_set_format_option(m_a, "pax", "xattrheader", "SCHILY");
    la().archive_write_set_bytes_per_block(m_a, 0);
    la().archive_write_set_bytes_in_last_block(m_a, 1);
    if (la().archive_write_open(m_a, this, nullptr, &LibarchiveWriter::write_cb, nullptr) !=
        ARCHIVE_OK)
      return error("open tar writer");
    return {};
  }

  Status add(const Entry& in) override {
    Utf8Locale utf8;
    archive_entry* e = la().archive_entry_new();
    la().archive_entry_set_pathname(e, in.path.c_str());
    switch (in.type) {
      case EntryType::file:
        la().archive_entry_set_filetype(e, AE_IFREG);
        break;
      case EntryType::dir:
        la().archive_entry_set_filetype(e, AE_IFDIR);
        break;
      case EntryType::symlink:
        la().archive_entry_set_filetype(e, AE_IFLNK);
        la().archive_entry_set_symlink(e, in.linkname.c_str());
        break;
      case EntryType::hardlink:
        la().archive_entry_set_filetype(e, AE_IFREG);
        la().archive_entry_set_hardlink(e, in.linkname.c_str());
        break;
      case EntryType::chardev:
        la().archive_entry_set_filetype(e, AE_IFCHR);
        break;
      case EntryType::blockdev:
        la().archive_entry_set_filetype(e, AE_IFBLK);
        break;
      case EntryType::fifo:
        la().archive_entry_set_filetype(e, AE_IFIFO);
        break;
    }
    la().archive_entry_set_perm(e, in.mode & 07777);
    la().archive_entry_set_uid(e, in.uid);
    la().archive_entry_set_gid(e, in.gid);
    if (!in.uname.empty()) la().archive_entry_set_uname(e, in.uname.c_str());
    if (!in.gname.empty()) la().archive_entry_set_gname(e, in.gname.c_str());
    la().archive_entry_set_size(e, in.type == EntryType::file ? in.size : 0);
    la().archive_entry_set_mtime(e, in.mtime, in.mtime_nsec);
    if (in.type == EntryType::chardev || in.type == EntryType::blockdev) {
      la().archive_entry_set_rdevmajor(e, in.devmajor);
      la().archive_entry_set_rdevminor(e, in.devminor);
    }
    for (const auto& [k, v] : in.xattrs)
      la().archive_entry_xattr_add_entry(e, k.c_str(), v.data(), v.size());
    int rc = la().archive_write_header(m_a, e);
    la().archive_entry_free(e);
    if (rc < ARCHIVE_WARN) return error(fmt::format("write tar header for {}", in.path));
    return {};
  }

  Status write_data(const void* buf, size_t size) override {
    const char* p = static_cast<const char*>(buf);
    while (size > 0) {
      la_ssize_t n = la().archive_write_data(m_a, p, size);
      if (n < 0) return error("write tar data");
      if (n == 0) return fail(Errc::internal, "write tar data: more bytes than the header's size");
      p += n;
      size -= static_cast<size_t>(n);
    }
    return {};
  }

  Status finish() override {
    if (la().archive_write_close(m_a) != ARCHIVE_OK) return error("finish tar stream");
    m_finished = true;
    return {};
  }

 private:
  static la_ssize_t write_cb(struct archive* a, void* self_, const void* buf, size_t size) {
    auto* self = static_cast<LibarchiveWriter*>(self_);
    if (self->m_discard) return static_cast<la_ssize_t>(size);
    auto st = self->m_dst.write(buf, size);
    if (!st) {
      self->m_dst_error = std::move(st.error());
      la().archive_set_error(a, EIO, "%s", self->m_dst_error->message().c_str());
      return -1;
    }
    return static_cast<la_ssize_t>(size);
  }

  std::unexpected<Error> error(std::string_view what) {
    if (m_dst_error) {
      Error e = *m_dst_error;
      return std::unexpected(std::move(e));
    }
    const char* msg = la().archive_error_string(m_a);
    return failf(Errc::io, "{}: {}", what, msg ? msg : "unknown error");
  }

  io::Writer& m_dst;
  ::archive* m_a = nullptr;
  std::optional<Error> m_dst_error;
  bool m_finished = false;
  bool m_discard = false;
};

}  // namespace

std::string_view entry_type_name(EntryType t) {
  switch (t) {
    case EntryType::file:
      return "file";
    case EntryType::dir:
      return "directory";
    case EntryType::symlink:
      return "symlink";
    case EntryType::hardlink:
      return "hardlink";
    case EntryType::chardev:
      return "character device";
    case EntryType::blockdev:
      return "block device";
    case EntryType::fifo:
      return "fifo";
  }
  return "unknown";
}

Result<std::unique_ptr<TarReader>> TarReader::open(io::Reader& src) {
  KILN_TRY(load_libarchive());
  auto r = std::make_unique<LibarchiveReader>(src);
  KILN_TRY(r->init());
  return std::unique_ptr<TarReader>(std::move(r));
}

Result<std::unique_ptr<TarReader>> TarReader::open_compressed(io::Reader& src) {
  KILN_TRY(load_libarchive());
  auto r = std::make_unique<LibarchiveReader>(src);
  KILN_TRY(r->init(LibarchiveReader::Kind::compressed_tar));
  return std::unique_ptr<TarReader>(std::move(r));
}

Result<std::unique_ptr<TarReader>> TarReader::open_bundle(io::Reader& src) {
  KILN_TRY(load_libarchive());
  auto r = std::make_unique<LibarchiveReader>(src);
  KILN_TRY(r->init(LibarchiveReader::Kind::bundle));
  return std::unique_ptr<TarReader>(std::move(r));
}

Result<std::unique_ptr<TarReader>> TarReader::open_zip(io::Reader& src) {
  KILN_TRY(load_libarchive());
  auto r = std::make_unique<LibarchiveReader>(src);
  KILN_TRY(r->init(LibarchiveReader::Kind::zip));
  return std::unique_ptr<TarReader>(std::move(r));
}

Result<std::unique_ptr<TarWriter>> TarWriter::open(io::Writer& dst) {
  KILN_TRY(load_libarchive());
  auto w = std::make_unique<LibarchiveWriter>(dst);
  KILN_TRY(w->init());
  return std::unique_ptr<TarWriter>(std::move(w));
}

}  // namespace kiln::archive
