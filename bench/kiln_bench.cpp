// kiln_bench MODE FILE: streams FILE through one of kiln's codecs and prints MB/s.
//   sha256 | gzip | zstd | gunzip | unzstd
#include <fcntl.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "kiln/io/compress.hpp"
#include "kiln/io/stream.hpp"

using namespace kiln;

namespace {

class NullWriter final : public io::Writer {
 public:
  Status write(const void*, size_t n) override {
    bytes += static_cast<int64_t>(n);
    return {};
  }
  int64_t bytes = 0;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: kiln_bench sha256|gzip|zstd|gunzip|unzstd FILE\n");
    return 2;
  }
  std::string mode = argv[1];
  int fd = ::open(argv[2], O_RDONLY);
  if (fd < 0) {
    std::perror(argv[2]);
    return 1;
  }
  io::FdReader in(fd);
  NullWriter sink;
  auto start = std::chrono::steady_clock::now();
  int64_t input = 0;
  Status st;
  if (mode == "sha256") {
    io::HashingWriter h(&sink);
    auto n = io::copy(in, h);
    if (n) {
      input = *n;
      std::printf("%s\n", h.digest().str().c_str());
    } else {
      st = std::unexpected(n.error());
    }
  } else if (mode == "gzip" || mode == "zstd") {
    auto c = mode == "gzip" ? io::Compression::gzip : io::Compression::zstd;
    auto w = io::make_compressor(c, sink);
    if (!w) return 1;
    auto n = io::copy(in, **w);
    if (n) input = *n;
    st = n ? (*w)->close() : Status(std::unexpected(n.error()));
  } else if (mode == "gunzip" || mode == "unzstd") {
    auto r =
        io::make_decompressor(mode == "gunzip" ? io::Compression::gzip : io::Compression::zstd, in);
    if (!r) return 1;
    auto n = io::copy(**r, sink);
    if (n)
      input = *n;
    else
      st = std::unexpected(n.error());
  } else {
    std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
    return 2;
  }
  if (!st) {
    std::fprintf(stderr, "kiln_bench: %s\n", st.error().message().c_str());
    return 1;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "%s: %.1f MB/s (%lld bytes in, %lld out, %.3f s)\n", mode.c_str(),
               static_cast<double>(input) / 1e6 / secs, static_cast<long long>(input),
               static_cast<long long>(sink.bytes), secs);
  return 0;
}
