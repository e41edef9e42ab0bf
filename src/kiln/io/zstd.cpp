#include "kiln/io/zstd.hpp"

#include <zstd.h>

#include <vector>

namespace kiln::io {

namespace {

class ZstdWriter final : public Writer {
 public:
  ZstdWriter(Writer& out, ZSTD_CCtx* ctx) : m_out(out), m_ctx(ctx), m_buf(ZSTD_CStreamOutSize()) {}
  ~ZstdWriter() override { ZSTD_freeCCtx(m_ctx); }

  Status write(const void* buf, size_t size) override {
    ZSTD_inBuffer in{buf, size, 0};
    while (in.pos < in.size) KILN_TRY(step(&in, ZSTD_e_continue));
    return {};
  }

  Status close() override {
    if (m_closed) return {};
    m_closed = true;
    ZSTD_inBuffer in{nullptr, 0, 0};
    while (true) {
      size_t remaining = KILN_TRY(step(&in, ZSTD_e_end));
      if (remaining == 0) return {};
    }
  }

 private:
  Result<size_t> step(ZSTD_inBuffer* in, ZSTD_EndDirective mode) {
    ZSTD_outBuffer out{m_buf.data(), m_buf.size(), 0};
    size_t rc = ZSTD_compressStream2(m_ctx, &out, in, mode);
    if (ZSTD_isError(rc)) return failf(Errc::internal, "zstd: {}", ZSTD_getErrorName(rc));
    if (out.pos) KILN_TRY(m_out.write(m_buf.data(), out.pos));
    return rc;
  }

  Writer& m_out;
  ZSTD_CCtx* m_ctx;
  std::vector<char> m_buf;
  bool m_closed = false;
};

class ZstdReader final : public Reader {
 public:
  ZstdReader(Reader& in, ZSTD_DCtx* ctx) : m_in(in), m_ctx(ctx), m_buf(ZSTD_DStreamInSize()) {}
  ~ZstdReader() override { ZSTD_freeDCtx(m_ctx); }

  Result<size_t> read(void* buf, size_t size) override {
    ZSTD_outBuffer out{buf, size, 0};
    while (out.pos == 0 && size > 0) {
      if (m_in_buf.pos == m_in_buf.size) {
        size_t n = KILN_TRY(m_in.read(m_buf.data(), m_buf.size()));
        if (n == 0) {
          if (m_frame_done) return size_t{0};
          return fail(Errc::corrupt, "zstd: unexpected end of compressed data (truncated)");
        }
        m_in_buf = ZSTD_inBuffer{m_buf.data(), n, 0};
      }
      size_t rc = ZSTD_decompressStream(m_ctx, &out, &m_in_buf);
      if (ZSTD_isError(rc)) return failf(Errc::corrupt, "zstd: {}", ZSTD_getErrorName(rc));
      m_frame_done = rc == 0;
    }
    return out.pos;
  }

 private:
  Reader& m_in;
  ZSTD_DCtx* m_ctx;
  std::vector<char> m_buf;
  ZSTD_inBuffer m_in_buf{nullptr, 0, 0};
  bool m_frame_done = true;
};

}  // namespace

Result<std::unique_ptr<Writer>> make_zstd_writer(Writer& out, int level, int threads) {
  ZSTD_CCtx* ctx = ZSTD_createCCtx();
  if (!ctx) return fail(Errc::internal, "zstd: cannot create context");
  ZSTD_CCtx_setParameter(ctx, ZSTD_c_compressionLevel, level);
  // nbWorkers >= 1 always, so the output is the same whatever the core count.
  size_t rc = ZSTD_CCtx_setParameter(ctx, ZSTD_c_nbWorkers, std::max(1, threads));
  if (ZSTD_isError(rc)) {
    ZSTD_freeCCtx(ctx);
    return fail(Errc::unsupported, "zstd: this libzstd was built without multi-threading");
  }
  ZSTD_CCtx_setParameter(ctx, ZSTD_c_checksumFlag, 1);
  return std::make_unique<ZstdWriter>(out, ctx);
}

Result<std::unique_ptr<Reader>> make_zstd_reader(Reader& in) {
  ZSTD_DCtx* ctx = ZSTD_createDCtx();
  if (!ctx) return fail(Errc::internal, "zstd: cannot create context");
  return std::make_unique<ZstdReader>(in, ctx);
}

}  // namespace kiln::io
