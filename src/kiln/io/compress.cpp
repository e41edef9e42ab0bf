#include "kiln/io/compress.hpp"

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

Result<std::unique_ptr<Reader>> make_decompressor(Compression c, Reader& in) {
  switch (c) {
    case Compression::none:
      return std::make_unique<ReaderRef>(in);
    case Compression::gzip:
      return make_gzip_reader(in);
    case Compression::zstd:
      return make_zstd_reader(in);
    default:
      return failf(Errc::unsupported, "{}-compressed input is not supported (use gzip or zstd)",
                   compression_name(c));
  }
}

Result<std::unique_ptr<Reader>> auto_decompress(PeekReader& in, Compression* detected) {
  auto head = KILN_TRY(in.peek(6));
  Compression c = detect_compression(head);
  if (detected) *detected = c;
  return make_decompressor(c, in);
}

}  // namespace kiln::io
