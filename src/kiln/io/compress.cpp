#include "kiln/io/compress.hpp"

#include <algorithm>

#include <thread>

#include "kiln/io/gzip.hpp"
#include "kiln/io/zstd.hpp"

namespace kiln::io {

namespace {

class PassThrough final : public Writer {
 public:
  explicit PassThrough(Writer& out) : m_out(out) {}
  Status write(const void* buf, size_t size) override { return m_out.write(buf, size); }

 private:
  Writer& m_out;
};

class ReaderRef final : public Reader {
 public:
  explicit ReaderRef(Reader& in) : m_in(in) {}
  Result<size_t> read(void* buf, size_t size) override { return m_in.read(buf, size); }

 private:
  Reader& m_in;
};

}  // namespace

int default_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

std::string_view compression_name(Compression c) {
  switch (c) {
    case Compression::none:
      return "none";
    case Compression::gzip:
      return "gzip";
    case Compression::zstd:
      return "zstd";
    case Compression::xz:
      return "xz";
    case Compression::bzip2:
      return "bzip2";
  }
  return "unknown";
}

Result<Compression> parse_compression(std::string_view name) {
  if (name == "gzip") return Compression::gzip;
  if (name == "zstd") return Compression::zstd;
  if (name == "none" || name == "uncompressed") return Compression::none;
  return failf(Errc::invalid_argument, "unknown compression \"{}\" (want gzip, zstd or none)",
               name);
}

Compression detect_compression(std::string_view h) {
  if (h.size() >= 2 && h[0] == '\x1f' && h[1] == '\x8b') return Compression::gzip;
  if (h.size() >= 4 && h.substr(0, 4) == std::string_view("\x28\xb5\x2f\xfd", 4))
    return Compression::zstd;
  if (h.size() >= 6 && h.substr(0, 6) == std::string_view("\xfd"
                                                          "7zXZ\0",
                                                          6))
    return Compression::xz;
  if (h.size() >= 3 && h.substr(0, 3) == "BZh") return Compression::bzip2;
  return Compression::none;
}

Result<std::unique_ptr<Writer>> make_compressor(Compression c, Writer& out,
                                                const CompressOptions& opts) {
  int threads = opts.threads > 0 ? opts.threads : default_threads();
  switch (c) {
    case Compression::none:
      return std::make_unique<PassThrough>(out);
    case Compression::gzip:
      return std::make_unique<GzipWriter>(out, opts.level < 0 ? 6 : opts.level, threads);
    case Compression::zstd:
      return make_zstd_writer(out, opts.level < 0 ? 3 : opts.level, threads);
    default:
      return failf(Errc::unsupported, "compressing with {} is not supported", compression_name(c));
  }
}

namespace {

DecompressLimits g_limits;

// Counts what the decompressor takes from the compressed stream and what it gives, and
// stops it at the limits.
class BoundedDecompressor final : public Reader {
 public:
  BoundedDecompressor(Compression c, Reader& in) : m_counter(in), m_c(c) {}
  Status init() {
    if (m_c == Compression::gzip)
      m_inner = KILN_TRY(make_gzip_reader(m_counter));
    else
      m_inner = KILN_TRY(make_zstd_reader(m_counter));
    return {};
  }
  Result<size_t> read(void* buf, size_t size) override {
    size_t n = KILN_TRY(m_inner->read(buf, size));
    m_out += static_cast<int64_t>(n);
    KILN_TRY(check_decompressed(m_out, m_counter.count, compression_name(m_c)));
    return n;
  }

 private:
  struct Counter final : Reader {
    explicit Counter(Reader& r) : in(r) {}
    Result<size_t> read(void* buf, size_t size) override {
      size_t n = KILN_TRY(in.read(buf, size));
      count += static_cast<int64_t>(n);
      return n;
    }
    Reader& in;
    int64_t count = 0;
  };
  Counter m_counter;
  Compression m_c;
  std::unique_ptr<Reader> m_inner;
  int64_t m_out = 0;
};

}  // namespace

const DecompressLimits& decompress_limits() {
  return g_limits;
}

void set_decompress_limits(const DecompressLimits& limits) {
  g_limits = limits;
}

Status check_decompressed(int64_t out, int64_t in, std::string_view what) {
  const auto& l = g_limits;
  if (l.max_bytes > 0 && out > l.max_bytes)
    return failf(Errc::corrupt,
                 "{}: decompressed size exceeds limit: more than {} bytes (raise it with "
                 "--max-decompressed-size)",
                 what, l.max_bytes);
  if (l.max_ratio > 0 && out > l.ratio_floor && out / std::max<int64_t>(in, 1) > l.max_ratio)
    return failf(Errc::corrupt,
                 "{}: decompressed size exceeds limit: {} bytes from {} compressed, more than "
                 "{}:1 (a decompression bomb? raise it with --max-decompression-ratio if the "
                 "data is genuine)",
                 what, out, in, l.max_ratio);
  return {};
}

Result<std::unique_ptr<Reader>> make_decompressor(Compression c, Reader& in, bool bounded) {
  if (c == Compression::none) return std::make_unique<ReaderRef>(in);
  if (c != Compression::gzip && c != Compression::zstd)
    return failf(Errc::unsupported, "{}-compressed input is not supported (use gzip or zstd)",
                 compression_name(c));
  if (!bounded) return c == Compression::gzip ? make_gzip_reader(in) : make_zstd_reader(in);
  auto r = std::make_unique<BoundedDecompressor>(c, in);
  KILN_TRY(r->init());
  return std::unique_ptr<Reader>(std::move(r));
}

Result<std::unique_ptr<Reader>> auto_decompress(PeekReader& in, Compression* detected,
                                                bool bounded) {
  auto head = KILN_TRY(in.peek(6));
  Compression c = detect_compression(head);
  if (detected) *detected = c;
  return make_decompressor(c, in, bounded);
}

}  // namespace kiln::io
