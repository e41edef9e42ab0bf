#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "kiln/base/buffer.hpp"
#include "kiln/io/stream.hpp"

namespace kiln::io {
namespace {

constexpr size_t k_chunk = 1 << 20;
constexpr size_t k_slots = 4;

// A ring of k_slots buffers: the reading thread fills, the writing thread drains.
struct Ring {
  std::vector<Buffer> bufs;
  std::vector<size_t> lens = std::vector<size_t>(k_slots);
  size_t head = 0, tail = 0;  // filled slots are [tail, head)
  bool eof = false, stop = false;
  std::optional<Error> write_error;
  std::mutex mu;
  std::condition_variable cv;
  Ring() {
    for (size_t i = 0; i < k_slots; ++i) bufs.emplace_back(k_chunk);
  }
};

void writer_loop(Ring& r, Writer& dst) {
  while (true) {
    size_t slot, len;
    {
      std::unique_lock lk(r.mu);
      r.cv.wait(lk, [&] { return r.tail != r.head || r.eof || r.stop; });
      if (r.tail == r.head) return;  // eof or stop with nothing left
      if (r.stop) return;
      slot = r.tail % k_slots;
      len = r.lens[slot];
    }
    auto st = dst.write(r.bufs[slot].data(), len);
    std::lock_guard lk(r.mu);
    if (!st) {
      r.write_error = st.error();
      r.stop = true;
      r.cv.notify_all();
      return;
    }
    ++r.tail;
    r.cv.notify_all();
  }
}

}  // namespace

Result<int64_t> copy_pipelined(Reader& src, Writer& dst) {
  Ring r;
  std::jthread writer([&] { writer_loop(r, dst); });
  int64_t total = 0;
  std::optional<Error> read_error;
  while (true) {
    size_t slot;
    {
      std::unique_lock lk(r.mu);
      r.cv.wait(lk, [&] { return r.head - r.tail < k_slots || r.stop; });
      if (r.stop) break;
      slot = r.head % k_slots;
    }
    auto n = src.read(r.bufs[slot].data(), k_chunk);
    std::lock_guard lk(r.mu);
    if (!n) {
      read_error = n.error();
      r.stop = true;
      break;
    }
    if (*n == 0) {
      r.eof = true;
      break;
    }
    r.lens[slot] = *n;
    ++r.head;
    total += static_cast<int64_t>(*n);
    r.cv.notify_all();
  }
  r.cv.notify_all();
  writer.join();
  if (read_error) return std::unexpected(*read_error);
  if (r.write_error) return std::unexpected(*r.write_error);
  return total;
}

}  // namespace kiln::io
