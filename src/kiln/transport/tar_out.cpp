#include "kiln/transport/tar_out.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <vector>

#include "kiln/base/buffer.hpp"
#include "kiln/base/fd.hpp"
#include "kiln/os/dir.hpp"

namespace kiln::transport {
namespace {

constexpr size_t k_block = 512;
constexpr int64_t k_max_octal = 077777777777;  // 11 octal digits

// n-1 zero-padded octal digits and a NUL.
void put_octal(char* p, size_t n, int64_t v) {
  p[n - 1] = 0;
  for (size_t i = n - 1; i > 0; --i, v >>= 3) p[i - 1] = static_cast<char>('0' + (v & 7));
}

void put_size(char* p, int64_t v) {
  if (v <= k_max_octal) {
    put_octal(p, 12, v);
    return;
  }
  std::memset(p, 0, 12);  // base-256: GNU's and Go's readers take it
  p[0] = static_cast<char>(0x80);
  for (int i = 11; i > 0 && v; --i, v >>= 8) p[i] = static_cast<char>(v & 0xff);
}

void put_checksum(char* h) {
  std::memset(h + 148, ' ', 8);
  unsigned sum = 0;
  for (size_t i = 0; i < k_block; ++i) sum += static_cast<unsigned char>(h[i]);
  put_octal(h + 148, 7, sum);  // six digits, NUL, space
  h[155] = ' ';
}

}  // namespace

TarOut::TarOut(int fd, std::string temp_dir) : m_fd(fd), m_temp_dir(std::move(temp_dir)) {
  struct stat st {};
  off_t off = ::lseek(fd, 0, SEEK_CUR);
  m_seekable = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && off >= 0;
  m_base = m_seekable ? off : 0;
}

Status TarOut::write(const void* p, size_t n) {
  KILN_TRY(os::write_all(m_fd, p, n));
  m_pos += static_cast<int64_t>(n);
  return {};
}

Status TarOut::pad() {
  static const char zeros[k_block] = {};
  size_t rem = static_cast<size_t>(m_pos % static_cast<int64_t>(k_block));
  return rem ? write(zeros, k_block - rem) : Status{};
}

Status TarOut::header(std::string_view name, char type, int64_t size, uint32_t mode) {
  char h[k_block];
  KILN_TRY(make_header(h, name, type, size, mode));
  return write(h, k_block);
}

Status TarOut::make_header(char* h, std::string_view name, char type, int64_t size, uint32_t mode) {
  if (name.size() > 100)
    return failf(Errc::internal, "tar member name {} is longer than 100 bytes", name);
  std::memset(h, 0, k_block);
  std::memcpy(h, name.data(), name.size());
  put_octal(h + 100, 8, mode);
  put_octal(h + 108, 8, 0);
  put_octal(h + 116, 8, 0);
  put_size(h + 124, size);
  put_octal(h + 136, 12, 0);
  h[156] = type;
  std::memcpy(h + 257, "ustar", 6);
  std::memcpy(h + 263, "00", 2);
  put_checksum(h);
  return {};
}

Status TarOut::add_dir(std::string_view name) {
  return header(name, '5', 0, 0755);
}

Status TarOut::add_file(std::string_view name, std::string_view data) {
  KILN_TRY(header(name, '0', static_cast<int64_t>(data.size()), 0644));
  KILN_TRY(write(data.data(), data.size()));
  return pad();
}

Result<int64_t> TarOut::add_stream(std::string_view name, int64_t size, io::Reader& data) {
  auto ctx = fmt::format("archive member {}", name);
  if (size < 0 && !m_seekable) {
    // Spool: the header needs the size before the data.
    std::string dir = m_temp_dir;
    if (dir.empty()) dir = std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/var/tmp";
    int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) return fail_errno(fmt::format("{}: create a temporary file in {}", ctx, dir));
    Fd tmp(fd);
    io::FdWriter w(tmp.get());
    int64_t n = KILN_TRY_CTX(io::copy(data, w), ctx);
    if (::lseek(tmp.get(), 0, SEEK_SET) < 0) return fail_errno(ctx);
    io::FdReader back(tmp.get());
    return add_stream(name, n, back);
  }
  int64_t start = m_pos;
  KILN_TRY(header(name, '0', size < 0 ? 0 : size, 0644));
  // Reading (verifying, decompressing) and writing overlap on two threads. The output is
  // discarded as a whole on error, so a size found wrong at the end is soon enough.
  io::FdWriter out(m_fd);
  int64_t n = KILN_TRY_CTX(io::copy_pipelined(data, out), ctx);
  m_pos += n;
  if (size >= 0 && n != size)
    return failf(Errc::corrupt, "{}: got {} bytes, want {}", ctx, n, size);
  if (size < 0) {
    char h[k_block];
    KILN_TRY(make_header(h, name, '0', n, 0644));
    if (::pwrite(m_fd, h, k_block, m_base + start) != static_cast<ssize_t>(k_block))
      return fail_errno(ctx);
  }
  KILN_TRY(pad());
  return n;
}

Status TarOut::finish() {
  static const char zeros[2 * k_block] = {};
  return write(zeros, sizeof zeros);
}

}  // namespace kiln::transport
