// kiln_bench MODE FILE: streams FILE through one of kiln's codecs and prints MB/s.
//   sha256 | gzip | zstd | gunzip | unzstd
#include <fcntl.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "kiln/dockerfile/ast.hpp"
#include "kiln/dockerfile/instructions.hpp"
#include "kiln/io/compress.hpp"
#include "kiln/io/stream.hpp"
#include "kiln/os/dir.hpp"

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

// Parses FILE (syntax tree + instruction model) 20 times in-process; prints the median.
int bench_dockerfile(const char* path) {
  auto text = os::read_file(path);
  if (!text) {
    std::fprintf(stderr, "kiln_bench: %s\n", text.error().message().c_str());
    return 1;
  }
  std::vector<double> ms;
  size_t lines = 0;
  for (int i = 0; i < 20; ++i) {
    auto start = std::chrono::steady_clock::now();
    auto ast = dockerfile::parse(*text, path);
    if (!ast) {
      std::fprintf(stderr, "kiln_bench: %s\n", ast.error().message().c_str());
      return 1;
    }
    auto df = dockerfile::parse_instructions(*ast);
    if (!df) {
      std::fprintf(stderr, "kiln_bench: %s\n", df.error().message().c_str());
      return 1;
    }
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count());
    lines = ast->source->lines.size();
  }
  std::sort(ms.begin(), ms.end());
  std::printf("dockerfile: %zu lines parsed in %.2f ms (median of 20)\n", lines, ms[10]);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: kiln_bench sha256|gzip|zstd|gunzip|unzstd|dockerfile FILE\n");
    return 2;
  }
  std::string mode = argv[1];
  if (mode == "dockerfile") return bench_dockerfile(argv[2]);
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
