#include "kiln/io/gzip.hpp"

#include <libdeflate.h>
#include <zlib.h>

#include <cmath>
#include <cstring>

#include <vector>
#include "kiln/base/buffer.hpp"

namespace kiln::io {

namespace {

// Whether a block would not shrink, so that it is stored (level 0) at memory speed instead of
// searched for matches (libdeflate at level 6 spends about 15 ms per MiB of random data to find
// that storing is best). Cheap test first: the byte distribution of a quarter of the block must
// be near uniform; then four 16 KiB slices spread over the block, compressed at level 1, must
// save under 2%. The decision depends on the bytes alone, so the output stays reproducible.
bool incompressible(const std::string& in) {
  constexpr size_t k_slice = 16 << 10, k_slices = 4;
  if (in.size() < k_slice * k_slices * 2) return false;
  uint32_t hist[256] = {};
  size_t samples = 0;
  for (size_t i = 0; i < in.size(); i += 4, ++samples) ++hist[static_cast<unsigned char>(in[i])];
  double bits = 0;
  for (uint32_t h : hist)
    if (h) {
      double p = static_cast<double>(h) / static_cast<double>(samples);
      bits -= p * std::log2(p);
    }
  if (bits < 7.9) return false;
  libdeflate_compressor* c = libdeflate_alloc_compressor(1);
  if (!c) return false;
  std::vector<char> out(libdeflate_deflate_compress_bound(c, k_slice));
  size_t packed = 0;
  size_t step = (in.size() - k_slice) / (k_slices - 1);
  for (size_t k = 0; k < k_slices; ++k) {
    size_t n =
        libdeflate_deflate_compress(c, in.data() + k * step, k_slice, out.data(), out.size());
    packed += n == 0 ? k_slice : n;
  }
  libdeflate_free_compressor(c);
  return packed * 50 >= k_slice * k_slices * 49;
}

std::string compress_block(const std::string& in, int level) {
  if (level > 0 && incompressible(in)) level = 0;
  libdeflate_compressor* c = libdeflate_alloc_compressor(level);
  std::string out;
  if (!c) return out;
  out.resize(libdeflate_gzip_compress_bound(c, in.size()));
  size_t n = libdeflate_gzip_compress(c, in.data(), in.size(), out.data(), out.size());
  libdeflate_free_compressor(c);
  out.resize(n);
  return out;
}

// Decompresses gzip, multi-member included. Members of up to k_max_member bytes (kiln writes
// 1 MiB ones, so do pigz-style writers) are decoded whole by libdeflate, about twice as fast as
// zlib; at the first member that does not fit (or any error) the rest of the stream goes through
// zlib's streaming inflate, which also gives the precise error for corrupt data.
class GzipReader final : public Reader {
 public:
  explicit GzipReader(Reader& in) : m_in(in) {
    m_zs.zalloc = nullptr;
    m_zs.zfree = nullptr;
    m_zs.opaque = nullptr;
    m_ok = inflateInit2(&m_zs, 16 + MAX_WBITS) == Z_OK;
    m_fast = (m_dec = libdeflate_alloc_decompressor()) != nullptr;
  }
  ~GzipReader() override {
    inflateEnd(&m_zs);
    if (m_dec) libdeflate_free_decompressor(m_dec);
  }

  Result<size_t> read(void* out, size_t size) override {
    if (m_fast) {
      auto n = KILN_TRY(read_fast(out, size));
      if (m_fast) return n;
    }
    return read_zlib(out, size);
  }

 private:
  static constexpr size_t k_window = 8 << 20;
  static constexpr size_t k_max_member = 4 << 20;
  static constexpr size_t k_step = 2 << 20;

  // Reads into the window until `want` bytes wait there to be decoded (or the window is full,
  // or the input ends); false when nothing came. A member is decoded from its start at every
  // attempt, so a decode starts only once k_step bytes wait (a whole 1 MiB member, as kiln and
  // pigz-style writers make them: decoding one that is cut short wastes the work), and a member
  // longer than that gets k_step more per attempt. The window is compacted only when `want`
  // would not fit behind what waits, so most bytes are not moved at all.
  Result<bool> fill(size_t want) {
    want = std::min(want, k_window);
    if (m_win_pos + want > k_window) {
      std::memmove(m_win.data(), m_win.data() + m_win_pos, m_win_len - m_win_pos);
      m_win_len -= m_win_pos;
      m_win_pos = 0;
    }
    size_t before = m_win_len;
    while (m_win_len - m_win_pos < want) {
      size_t n = KILN_TRY(m_in.read(m_win.data() + m_win_len, k_window - m_win_len));
      if (n == 0) {
        m_in_eof = true;
        break;
      }
      m_win_len += n;
    }
    return m_win_len > before;
  }

  Result<size_t> read_fast(void* out, size_t size) {
    while (m_out_pos == m_out_len) {
      if (m_win_pos == m_win_len && m_in_eof) {
        if (m_members == 0) return switch_to_zlib();
        m_eof = true;
        return size_t{0};
      }
      if (m_win_len - m_win_pos < k_step && !m_in_eof) {
        KILN_TRY(fill(k_step));
        if (m_win_pos == m_win_len) continue;  // the input ended
      }
      size_t in_used = 0, out_used = 0;
      auto rc =
          libdeflate_gzip_decompress_ex(m_dec, m_win.data() + m_win_pos, m_win_len - m_win_pos,
                                        m_out.data(), m_out.size(), &in_used, &out_used);
      if (rc == LIBDEFLATE_SUCCESS) {
        m_win_pos += in_used;
        m_out_len = out_used;
        m_out_pos = 0;
        ++m_members;
        continue;
      }
      // The member may continue past the window: read more, unless the window is full.
      if (rc != LIBDEFLATE_INSUFFICIENT_SPACE && !m_in_eof && m_win_len - m_win_pos < k_window &&
          KILN_TRY(fill(m_win_len - m_win_pos + k_step)))
        continue;
      return switch_to_zlib();
    }
    size_t n = std::min(size, m_out_len - m_out_pos);
    std::memcpy(out, m_out.data() + m_out_pos, n);
    m_out_pos += n;
    return n;
  }

  // zlib takes over at the current member, with the bytes already in the window.
  size_t switch_to_zlib() {
    m_fast = false;
    m_zs.next_in = reinterpret_cast<Bytef*>(m_win.data() + m_win_pos);
    m_zs.avail_in = static_cast<uInt>(m_win_len - m_win_pos);
    m_eof = false;
    m_member_done = m_members > 0;
    return 0;
  }

  Result<size_t> read_zlib(void* out, size_t size) {
    if (!m_ok) return fail(Errc::internal, "gzip: cannot initialise zlib");
    if (m_eof || size == 0) return size_t{0};
    m_zs.next_out = static_cast<Bytef*>(out);
    m_zs.avail_out = static_cast<uInt>(std::min<size_t>(size, 1u << 30));
    while (m_zs.avail_out == static_cast<uInt>(std::min<size_t>(size, 1u << 30))) {
      if (m_zs.avail_in == 0) {
        if (m_buf.empty()) m_buf.resize(1 << 18);  // zlib's input: only once it takes over
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

  Reader& m_in;
  std::vector<char> m_buf;
  z_stream m_zs{};
  libdeflate_decompressor* m_dec = nullptr;
  bool m_fast = false;
  Buffer m_win{k_window};  // compressed bytes; [m_win_pos, m_win_len) not yet decoded
  size_t m_win_pos = 0, m_win_len = 0;
  bool m_in_eof = false;
  Buffer m_out{k_max_member};  // one decoded member; [m_out_pos, m_out_len) not yet returned
  size_t m_out_pos = 0, m_out_len = 0;
  int64_t m_members = 0;
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
