// Compression codecs as stream adapters.
//
// gzip output is a sequence of gzip members, one per 1 MiB block of input, compressed on
// `threads` threads (libdeflate) and written in order: any gzip reader (Go's compress/gzip,
// zlib, gzip -d) reads it as one stream, and the bytes do not depend on the thread count. zstd
// uses libzstd's multi-threaded mode with nbWorkers >= 1, whose output is likewise independent
// of the worker count. Decompressors accept multi-member gzip and multi-frame zstd; gzip made of
// small members (kiln's, pigz-style) is inflated on all cores, members ahead of the reader.
#pragma once

#include <memory>
#include <string_view>

#include "kiln/io/stream.hpp"

namespace kiln::io {

enum class Compression { none, gzip, zstd, xz, bzip2 };

std::string_view compression_name(Compression c);
Result<Compression> parse_compression(std::string_view name);  // "gzip", "zstd", "none"
// Recognises the magic bytes at the start of a stream.
Compression detect_compression(std::string_view head);

struct CompressOptions {
  int level = -1;   // codec default when < 0 (gzip 6, zstd 3)
  int threads = 0;  // 0: all cores
};

// Returns a Writer that compresses into `out`. close() finishes the stream (it does not close
// `out`). Compression::none passes through. xz and bzip2 are not supported for writing.
Result<std::unique_ptr<Writer>> make_compressor(Compression c, Writer& out,
                                                const CompressOptions& opts = {});
// Bounds on what one compressed stream may decompress to (decompression bombs). A stream is
// refused once its output passes max_bytes, or passes ratio_floor while being more than
// max_ratio times the compressed bytes read so far. Process-wide: the CLI sets them from
// --max-decompressed-size and --max-decompression-ratio (docs/cli.md) before any work starts.
struct DecompressLimits {
  int64_t max_bytes = int64_t{64} << 30;     // <= 0: no absolute limit
  int64_t max_ratio = 100;                   // <= 0: no ratio limit
  int64_t ratio_floor = int64_t{256} << 20;  // output below this is never refused by ratio
};
const DecompressLimits& decompress_limits();
void set_decompress_limits(const DecompressLimits& limits);
// The limits' verdict on `out` bytes decompressed from `in` compressed bytes: Errc::corrupt,
// "WHAT: decompressed size exceeds limit: ...", when either limit is passed.
Status check_decompressed(int64_t out, int64_t in, std::string_view what);

// Returns a Reader of the decompressed bytes of `in`, within decompress_limits() unless
// `bounded` is false (data kiln already checked on its way in: the store's own layers).
// Errors (truncated or corrupt input, a limit passed) are Errc::corrupt.
Result<std::unique_ptr<Reader>> make_decompressor(Compression c, Reader& in, bool bounded = true);

// Peeks at the magic of `in` and decompresses when needed. `in` must outlive the result.
Result<std::unique_ptr<Reader>> auto_decompress(PeekReader& in, Compression* detected = nullptr,
                                                bool bounded = true);

int default_threads();

}  // namespace kiln::io
