#include "kiln/io/gzip.hpp"

#include <libdeflate.h>

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

}  // namespace kiln::io
