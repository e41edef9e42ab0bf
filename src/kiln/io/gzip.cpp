#include "kiln/io/gzip.hpp"

#include <libdeflate.h>
#include <zlib.h>

#include <vector>

namespace kiln::io {

namespace {

std::string compress_block(const std::string& in, int level) {
  libdeflate_compressor* c = libdeflate_alloc_compressor(level);
  std::string out;
  if (!c) return out;
  out.resize(libdeflate_gzip_compress_bound(c, in.size()));
  size_t n = libdeflate_gzip_compress(c, in.data(), in.size(), out.data(), out.size());
  libdeflate_free_compressor(c);
  out.resize(n);
  return out;
}

class GzipReader final : public Reader {
 public:
  explicit GzipReader(Reader& in) : m_in(in), m_buf(1 << 18) {
    m_zs.zalloc = nullptr;
    m_zs.zfree = nullptr;
    m_zs.opaque = nullptr;
    m_ok = inflateInit2(&m_zs, 16 + MAX_WBITS) == Z_OK;
  }
  ~GzipReader() override { inflateEnd(&m_zs); }

  Result<size_t> read(void* out, size_t size) override {
    if (!m_ok) return fail(Errc::internal, "gzip: cannot initialise zlib");
    if (m_eof || size == 0) return size_t{0};
    m_zs.next_out = static_cast<Bytef*>(out);
    m_zs.avail_out = static_cast<uInt>(std::min<size_t>(size, 1u << 30));
    while (m_zs.avail_out == static_cast<uInt>(std::min<size_t>(size, 1u << 30))) {
      if (m_zs.avail_in == 0) {
        size_t n = KILN_TRY(m_in.read(m_buf.data(), m_buf.size()));
        if (n == 0) {
          if (m_member_done) {
            m_eof = true;
            break;
          }
          return fail(Errc::corrupt, "gzip: unexpected end of compressed data (truncated)");
        }
        m_zs.next_in = reinterpret_cast<Bytef*>(m_buf.data());
        m_zs.avail_in = static_cast<uInt>(n);
      }
      if (m_member_done) {
        // Another member follows the previous one.
        inflateReset(&m_zs);
        m_member_done = false;
      }
      int rc = inflate(&m_zs, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        m_member_done = true;
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        return failf(Errc::corrupt, "gzip: corrupt data: {}", m_zs.msg ? m_zs.msg : "error");
      }
    }
    return size - m_zs.avail_out;
  }

 private:
  Reader& m_in;
  std::vector<char> m_buf;
  z_stream m_zs{};
  bool m_ok = false;
  bool m_member_done = false;
  bool m_eof = false;
};

}  // namespace

GzipWriter::GzipWriter(Writer& out, int level, int threads)
    : m_out(out), m_level(level), m_max_inflight(static_cast<size_t>(threads) * 2) {
  m_block.reserve(k_block_size);
}

GzipWriter::~GzipWriter() {
  for (auto& f : m_inflight) f.wait();
}

Status GzipWriter::write(const void* buf, size_t size) {
  const char* p = static_cast<const char*>(buf);
  while (size > 0) {
    size_t n = std::min(size, k_block_size - m_block.size());
    m_block.append(p, n);
    p += n;
    size -= n;
    if (m_block.size() == k_block_size) KILN_TRY(submit_block());
  }
  return {};
}

Status GzipWriter::submit_block() {
  std::string block;
  block.reserve(k_block_size);
  block.swap(m_block);
  int level = m_level;
  m_inflight.push_back(std::async(
      std::launch::async, [b = std::move(block), level] { return compress_block(b, level); }));
  m_wrote_any = true;
  return drain(m_max_inflight);
}

Status GzipWriter::drain(size_t keep) {
  while (m_inflight.size() > keep) {
    std::string out = m_inflight.front().get();
    m_inflight.pop_front();
    if (out.empty()) return fail(Errc::internal, "gzip: compression failed");
    KILN_TRY(m_out.write(out.data(), out.size()));
  }
  return {};
}

Status GzipWriter::close() {
  if (m_closed) return {};
  m_closed = true;
  // An empty input still produces one (empty) member, so the output is a valid gzip file.
  if (!m_block.empty() || !m_wrote_any) KILN_TRY(submit_block());
  return drain(0);
}

Result<std::unique_ptr<Reader>> make_gzip_reader(Reader& in) {
  return std::make_unique<GzipReader>(in);
}

}  // namespace kiln::io
