// index_tar (files.hpp): one pass over the headers of a tar file, remembering where each
// member's data is. ustar, PAX ('x' path/linkpath/size; 'g' ignored) and GNU long names
// ('L', 'K') are understood, sizes in octal or base-256.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <vector>

#include "kiln/archive/tar_header.hpp"
#include "kiln/transport/files.hpp"

namespace kiln::transport {
namespace {

constexpr int64_t k_block = archive::k_tar_block;
constexpr int k_max_link_depth = 40;

struct Member {
  char type = '0';
  int64_t offset = 0;  // of the data
  int64_t size = 0;
  std::string link;  // symlink target (raw) or hardlink target (cleaned)
};

// base + target with ".." applied; nullopt when it leaves the root or is absolute.
std::optional<std::string> resolve_link(const std::string& base, const std::string& target) {
  if (target.starts_with("/")) return std::nullopt;
  std::vector<std::string> parts;
  std::string all = base + target;
  size_t i = 0;
  while (i <= all.size()) {
    size_t j = all.find('/', i);
    if (j == std::string::npos) j = all.size();
    std::string part = all.substr(i, j - i);
    i = j + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (parts.empty()) return std::nullopt;
      parts.pop_back();
      continue;
    }
    parts.push_back(std::move(part));
  }
  if (parts.empty()) return std::nullopt;
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "/") + p;
  return out;
}

class PreadReader final : public io::Reader {
 public:
  PreadReader(int fd, int64_t offset, int64_t size)
      : m_fd(fd), m_pos(offset), m_end(offset + size) {}
  Result<size_t> read(void* buf, size_t size) override {
    size_t want = static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(size), m_end - m_pos));
    if (want == 0) return size_t{0};
    while (true) {
      ssize_t n = ::pread(m_fd, buf, want, m_pos);
      if (n > 0) {
        m_pos += n;
        return static_cast<size_t>(n);
      }
      if (n == 0) return fail(Errc::corrupt, "archive ends inside a member");
      if (errno != EINTR) return fail_errno("read archive");
    }
  }

 private:
  int m_fd;
  int64_t m_pos, m_end;
};

class TarIndex final : public FileSet {
 public:
  TarIndex(Fd fd, std::string name) : m_fd(std::move(fd)), m_name(std::move(name)) {}
  Status scan();
  std::string describe() const override { return m_name; }
  bool exists(std::string_view path) override { return static_cast<bool>(find(path)); }
  Result<int64_t> size(std::string_view path) override { return KILN_TRY(find(path))->size; }
  Result<std::unique_ptr<io::Reader>> open(std::string_view path) override {
    const Member* m = KILN_TRY(find(path));
    return std::unique_ptr<io::Reader>(new PreadReader(m_fd.get(), m->offset, m->size));
  }

 private:
  Result<std::string> read_at(int64_t offset, int64_t size);
  Status add(std::string path, Member m);
  Result<const Member*> find(std::string_view path);

  Fd m_fd;
  std::string m_name;
  int64_t m_file_size = 0;
  std::map<std::string, Member, std::less<>> m_members;
};

Result<std::string> TarIndex::read_at(int64_t offset, int64_t size) {
  if (size > archive::k_max_tar_extension)
    return failf(Errc::corrupt, "{}: oversized tar extension header", m_name);
  if (offset + size > m_file_size)
    return failf(Errc::corrupt, "{}: truncated archive (a header at {} runs past its end)", m_name,
                 offset);
  std::string s(static_cast<size_t>(size), '\0');
  PreadReader r(m_fd.get(), offset, size);
  size_t got = 0;
  while (got < s.size()) got += KILN_TRY(r.read(s.data() + got, s.size() - got));
  return s;
}

Status TarIndex::add(std::string raw, Member m) {
  auto path = clean_path(raw);
  if (!path) {
    if (raw == "./" || raw == ".") return {};
    return failf(Errc::invalid_argument, "{}: member \"{}\" escapes the archive", m_name, raw);
  }
  if (m.type == '5') return {};
  if (m.type == '1') {
    auto target = clean_path(m.link);
    if (!target)
      return failf(Errc::invalid_argument, "{}: hard link {} -> {} points outside the archive",
                   m_name, *path, m.link);
    m.link = *target;
  }
  if (!m_members.emplace(*path, std::move(m)).second)
    return failf(Errc::invalid_argument, "{}: the archive has two members named {}", m_name, *path);
  return {};
}

Status TarIndex::scan() {
  struct stat st {};
  if (::fstat(m_fd.get(), &st) != 0) return fail_errno(fmt::format("stat {}", m_name));
  m_file_size = st.st_size;
  if (m_file_size == 0) return failf(Errc::invalid_argument, "{} is empty", m_name);
  int64_t pos = 0;
  std::optional<std::string> long_name, long_link;
  std::map<std::string, std::string> pax;
  while (true) {
    if (pos + k_block > m_file_size) {
      if (pos == m_file_size && pos > 0) return {};  // no end-of-archive blocks: accepted
      return failf(Errc::corrupt, "{}: truncated archive (ends inside a header at byte {})", m_name,
                   pos);
    }
    auto raw = KILN_TRY(read_at(pos, k_block));
    auto* h = reinterpret_cast<const unsigned char*>(raw.data());
    if (std::all_of(raw.begin(), raw.end(), [](char c) { return c == 0; })) return {};
    if (!archive::tar_checksum_ok(h))
      return failf(Errc::corrupt, "{}: not a tar archive (bad header checksum at byte {})", m_name,
                   pos);
    char type = static_cast<char>(h[156]);
    int64_t size = KILN_TRY_CTX(archive::parse_tar_number(h + 124, 12, "size"), m_name);
    if (auto it = pax.find("size"); it != pax.end()) {
      size = KILN_TRY_CTX(archive::parse_pax_size(it->second), m_name);
    }
    int64_t data = pos + k_block;
    if (size < 0 || data + size > m_file_size)
      return failf(Errc::corrupt,
                   "{}: truncated archive (a member needs {} bytes at byte {}, "
                   "the file has {})",
                   m_name, size, data, m_file_size);
    pos = data + (size + k_block - 1) / k_block * k_block;
    if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
      auto body = KILN_TRY(read_at(data, size));
      if (type == 'x') KILN_TRY_CTX(archive::parse_pax_records(body, pax), m_name);
      if (type == 'L') long_name = std::string(body.c_str());
      if (type == 'K') long_link = std::string(body.c_str());
      continue;
    }
    std::string name = archive::tar_field(h, 100);
    if (std::memcmp(h + 257, "ustar", 5) == 0 && h[345])
      name = archive::tar_field(h + 345, 155) + "/" + name;
    if (long_name) name = *long_name;
    if (auto it = pax.find("path"); it != pax.end()) name = it->second;
    std::string link = archive::tar_field(h + 157, 100);
    if (long_link) link = *long_link;
    if (auto it = pax.find("linkpath"); it != pax.end()) link = it->second;
    long_name.reset();
    long_link.reset();
    pax.clear();
    if (type == '0' || type == '\0' || type == '7' || type == '1' || type == '2' || type == '5')
      KILN_TRY(add(std::move(name),
                   Member{type == '\0' || type == '7' ? '0' : type, data,
                          type == '0' || type == '\0' || type == '7' ? size : 0, link}));
  }
}

Result<const Member*> TarIndex::find(std::string_view raw) {
  std::string path = KILN_TRY_CTX(clean_path(raw), m_name);
  for (int depth = 0; depth < k_max_link_depth; ++depth) {
    auto it = m_members.find(path);
    if (it == m_members.end())
      return failf(Errc::not_found, "{}: no member named {}", m_name, path);
    const Member& m = it->second;
    if (m.type == '0') return &m;
    if (m.type == '1') {
      path = m.link;
      continue;
    }
    // A symlink: relative to its directory, never outside the archive.
    std::string base =
        path.rfind('/') == std::string::npos ? "" : path.substr(0, path.rfind('/') + 1);
    auto next = resolve_link(base, m.link);
    if (!next)
      return failf(Errc::invalid_argument, "{}: symlink {} -> {} points outside the archive",
                   m_name, path, m.link);
    path = *next;
  }
  return failf(Errc::invalid_argument, "{}: too many levels of links at {}", m_name, raw);
}

}  // namespace

Result<std::unique_ptr<FileSet>> index_tar(Fd fd, std::string name) {
  auto t = std::make_unique<TarIndex>(std::move(fd), std::move(name));
  KILN_TRY(t->scan());
  return std::unique_ptr<FileSet>(std::move(t));
}

}  // namespace kiln::transport
