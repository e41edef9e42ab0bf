// gzip decompression (see compress.hpp): members decoded whole by libdeflate, several at once
// when the stream is made of small members, and zlib's streaming inflate for the rest.
#include <libdeflate.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <thread>
#include <vector>

#include "kiln/base/buffer.hpp"
#include "kiln/io/compress.hpp"
#include "kiln/io/gzip.hpp"

namespace kiln::io {

namespace {

constexpr size_t k_window = 8 << 20;      // compressed bytes held for decoding
constexpr size_t k_max_member = 4 << 20;  // decoded size of a member libdeflate decodes whole
constexpr size_t k_step = 2 << 20;

// Whether the bytes at `p` could start a gzip member: the magic, deflate, no reserved flag bits,
// and room for a header and a trailer.
bool member_head(const char* p, size_t n) {
  return n >= 18 && p[0] == '\x1f' && static_cast<unsigned char>(p[1]) == 0x8b && p[2] == 8 &&
         (static_cast<unsigned char>(p[3]) & 0xe0) == 0;
}

// Members decoded ahead of the reader, in parallel. Where a member ends is known only once it is
// decoded, so the batch guesses: every member head in the window is decoded from there on its own
// thread. The reader then chains the results from the member it knows starts at the window's
// read position: a guess is taken only if it starts exactly where the member before it ended and
// decoded whole (libdeflate checks the member's CRC-32 and length), so the output is what the
// sequential reader gives. A guess inside a member (its bytes happen to look like a head) is
// dropped; a chain that reaches a guess that failed stops there and the sequential path goes on.
class Batch {
 public:
  struct Guess {
    size_t start = 0;  // in the window
    size_t in_used = 0, out_used = 0;
    libdeflate_result rc = LIBDEFLATE_BAD_DATA;
  };

  explicit Batch(size_t jobs) {
    m_outs.reserve(jobs);
    for (size_t i = 0; i < jobs; ++i) m_outs.emplace_back(k_max_member);
  }
  ~Batch() { join(); }
  Batch(const Batch&) = delete;
  Batch& operator=(const Batch&) = delete;

  size_t capacity() const { return m_outs.size(); }
  std::vector<Guess>& guesses() { return m_guesses; }
  const char* out(size_t i) const { return m_outs[i].data(); }

  // Decodes every guess from `win` (len bytes) on `decs.size()` threads; join() waits.
  void start(const char* win, size_t len, const std::vector<libdeflate_decompressor*>& decs) {
    size_t threads = std::min(decs.size(), m_guesses.size());
    for (size_t t = 0; t < threads; ++t) {
      auto work = [this, win, len, t, threads, dec = decs[t]] {
        for (size_t i = t; i < m_guesses.size(); i += threads) {
          Guess& g = m_guesses[i];
          g.rc = libdeflate_gzip_decompress_ex(dec, win + g.start, len - g.start, m_outs[i].data(),
                                               m_outs[i].size(), &g.in_used, &g.out_used);
        }
      };
      try {
        m_workers.emplace_back(work);
      } catch (...) {
        work();  // no thread to be had: decode this share here
      }
    }
  }
  void join() {
    for (auto& w : m_workers) w.join();
    m_workers.clear();
  }

 private:
  std::vector<Buffer> m_outs;
  std::vector<Guess> m_guesses;
  std::vector<std::thread> m_workers;
};

// Decompresses gzip, multi-member included. Members of up to k_max_member bytes (kiln writes
// 1 MiB ones, so do pigz-style writers) are decoded whole by libdeflate, about twice as fast as
// zlib, and once the first one has been, the following ones in parallel batches (Batch) while
// the caller reads the batch before. At the first member that does not fit (or any error) the
// rest of the stream goes through zlib's streaming inflate, which also gives the precise error
// for corrupt data.
class GzipReader final : public Reader {
 public:
  explicit GzipReader(Reader& in) : m_in(in) {
    m_zs.zalloc = nullptr;
    m_zs.zfree = nullptr;
    m_zs.opaque = nullptr;
    m_ok = inflateInit2(&m_zs, 16 + MAX_WBITS) == Z_OK;
    m_fast = (m_dec = libdeflate_alloc_decompressor()) != nullptr;
    m_threads = static_cast<size_t>(std::min(default_threads(), 8));
  }
  ~GzipReader() override {
    m_batches.clear();  // joins the workers before the window goes
    for (auto* d : m_decs) libdeflate_free_decompressor(d);
    inflateEnd(&m_zs);
    if (m_probe_ok) inflateEnd(&m_probe);
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
  // Reads into the window until `want` bytes wait there to be decoded (or the window is full,
  // or the input ends); false when nothing came. A member is decoded from its start at every
  // attempt, so a decode starts only once k_step bytes wait (a whole 1 MiB member, as kiln and
  // pigz-style writers make them: decoding one that is cut short wastes the work), and a member
  // longer than that gets k_step more per attempt. The window is compacted only when `want`
  // would not fit behind what waits, so most bytes are not moved at all. Never called while a
  // batch decodes from the window.
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
      if (next_ready()) continue;
      if (m_inflight) {
        KILN_TRY(collect());
        continue;
      }
      if (!m_sequential_next && m_members > 0 && KILN_TRY(launch())) continue;
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
        m_cur = m_out.data();
        m_out_len = out_used;
        m_out_pos = 0;
        ++m_members;
        m_sequential_next = false;
        continue;
      }
      // The member may continue past the window: read more, unless the window is full.
      if (rc != LIBDEFLATE_INSUFFICIENT_SPACE && !m_in_eof && m_win_len - m_win_pos < k_window &&
          KILN_TRY(fill(m_win_len - m_win_pos + k_step)))
        continue;
      return switch_to_zlib();
    }
    size_t n = std::min(size, m_out_len - m_out_pos);
    std::memcpy(out, m_cur + m_out_pos, n);
    m_out_pos += n;
    return n;
  }

  // The next member of the batch being read, if one is left.
  bool next_ready() {
    if (m_ready_next == m_ready.size()) return false;
    size_t i = m_ready[m_ready_next++];
    m_cur = m_batches[m_read]->out(i);
    m_out_len = m_batches[m_read]->guesses()[i].out_used;
    m_out_pos = 0;
    return true;
  }

  // Whether a member head found in the window decodes for its first KiB. Bytes that only look
  // like a head (stored data full of .gz files has many) fail within a few bytes, so they do not
  // take a batch's places from real members.
  bool plausible(const char* p, size_t n) {
    if (!m_probe_ok) {
      m_probe_ok = inflateInit2(&m_probe, 16 + MAX_WBITS) == Z_OK;
      if (!m_probe_ok) return true;
    } else {
      inflateReset(&m_probe);
    }
    char out[1024];
    m_probe.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(p));
    m_probe.avail_in = static_cast<uInt>(std::min<size_t>(n, 64 << 10));
    m_probe.next_out = reinterpret_cast<Bytef*>(out);
    m_probe.avail_out = sizeof out;
    int rc = inflate(&m_probe, Z_NO_FLUSH);
    return rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR;
  }

  // Starts decoding the members ahead into the batch not being read; false when the window holds
  // no second member head (the sequential path is as fast then). Only one batch decodes at a time.
  Result<bool> launch() {
    if (m_threads < 2) return false;
    // Refilled once half the window is used, so that few bytes are moved to its front.
    if (!m_in_eof && m_win_len - m_win_pos < k_window / 2) KILN_TRY(fill(k_window));
    if (m_batches.empty()) {
      for (int i = 0; i < 2; ++i) m_batches.push_back(std::make_unique<Batch>(3 * m_threads));
      for (size_t t = 0; t < m_threads; ++t)
        if (auto* d = libdeflate_alloc_decompressor()) m_decs.push_back(d);
      if (m_decs.size() < 2) m_threads = 1;  // out of memory: decode sequentially from now on
      if (m_threads < 2) return false;
    }
    size_t target = 1 - m_read;
    Batch& b = *m_batches[target];
    auto& guesses = b.guesses();
    guesses.clear();
    const char* win = m_win.data();
    size_t p = m_win_pos;
    while (p < m_win_len && guesses.size() < b.capacity()) {
      if (member_head(win + p, m_win_len - p) &&
          (p == m_win_pos || plausible(win + p, m_win_len - p)))
        guesses.push_back({.start = p});
      const void* next = std::memchr(win + p + 1, '\x1f', m_win_len - p - 1);
      if (!next) break;
      p = static_cast<size_t>(static_cast<const char*>(next) - win);
    }
    if (guesses.size() < 2 || guesses[0].start != m_win_pos) return false;
    b.start(win, m_win_len, m_decs);
    m_inflight = true;
    m_launched = target;
    return true;
  }

  // Waits for the batch in flight, chains its members from the read position, and starts the
  // next batch so that it decodes while these are read.
  Result<bool> collect() {
    Batch& b = *m_batches[m_launched];
    b.join();
    m_inflight = false;
    m_read = m_launched;
    m_ready.clear();
    m_ready_next = 0;
    size_t pos = m_win_pos;
    const auto& guesses = b.guesses();
    for (size_t i = 0; i < guesses.size(); ++i) {
      if (guesses[i].start < pos) continue;  // inside a member: not a head after all
      if (guesses[i].start > pos || guesses[i].rc != LIBDEFLATE_SUCCESS) break;
      m_ready.push_back(i);
      pos += guesses[i].in_used;
    }
    m_win_pos = pos;
    m_members += static_cast<int64_t>(m_ready.size());
    if (m_ready.empty()) {
      m_sequential_next = true;  // the member here needs the sequential path (more input, zlib)
      return false;
    }
    return launch();
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
  Buffer m_out{k_max_member};   // the member the sequential path decoded
  const char* m_cur = nullptr;  // the member being returned: [m_out_pos, m_out_len) of it left
  size_t m_out_pos = 0, m_out_len = 0;
  int64_t m_members = 0;
  // Parallel decoding: two batches, one read while the other decodes.
  size_t m_threads = 1;
  z_stream m_probe{};  // for plausible()
  bool m_probe_ok = false;
  std::vector<libdeflate_decompressor*> m_decs;  // one per worker thread
  std::vector<std::unique_ptr<Batch>> m_batches;
  size_t m_read = 0, m_launched = 0;  // the batch being read, the one decoding
  bool m_inflight = false;
  std::vector<size_t> m_ready;  // members of the batch being read, in order
  size_t m_ready_next = 0;
  bool m_sequential_next = false;
  bool m_ok = false;
  bool m_member_done = false;
  bool m_eof = false;
};

}  // namespace

Result<std::unique_ptr<Reader>> make_gzip_reader(Reader& in) {
  return std::make_unique<GzipReader>(in);
}

}  // namespace kiln::io
