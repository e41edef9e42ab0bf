// gzip codec internals; use compress.hpp.
#pragma once

#include <deque>
#include <future>
#include <string>

#include "kiln/io/stream.hpp"

namespace kiln::io {

// Parallel block compressor writing one gzip member per block (see compress.hpp).
class GzipWriter final : public Writer {
 public:
  static constexpr size_t k_block_size = 1 << 20;

  GzipWriter(Writer& out, int level, int threads);
  ~GzipWriter() override;
  Status write(const void* buf, size_t size) override;
  Status close() override;

 private:
  Status submit_block();
  Status drain(size_t keep);

  Writer& m_out;
  int m_level;
  size_t m_max_inflight;
  std::string m_block;
  std::deque<std::future<std::string>> m_inflight;
  bool m_closed = false;
  bool m_wrote_any = false;
};

Result<std::unique_ptr<Reader>> make_gzip_reader(Reader& in);

}  // namespace kiln::io
