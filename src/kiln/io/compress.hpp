// Compression codecs as stream adapters.
//
// gzip output is a sequence of gzip members, one per 1 MiB block of input, compressed on
// `threads` threads (libdeflate) and written in order: any gzip reader (Go's compress/gzip,
// zlib, gzip -d) reads it as one stream, and the bytes do not depend on the thread count. zstd
// uses libzstd's multi-threaded mode with nbWorkers >= 1, whose output is likewise independent
// of the worker count. Decompressors accept multi-member gzip and multi-frame zstd.
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
// Returns a Reader of the decompressed bytes of `in`. Errors (truncated or corrupt input) are
// Errc::corrupt.
Result<std::unique_ptr<Reader>> make_decompressor(Compression c, Reader& in);

// Peeks at the magic of `in` and decompresses when needed. `in` must outlive the result.
Result<std::unique_ptr<Reader>> auto_decompress(PeekReader& in, Compression* detected = nullptr);

int default_threads();

}  // namespace kiln::io
