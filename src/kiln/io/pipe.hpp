// A bounded byte queue between two threads: one writes (io::Writer), the other reads
// (io::Reader). One ring buffer, allocated once and sized by the expected stream (64 KiB to
// 4 MiB), so a long stream touches no fresh memory after its first few megabytes (a queue of
// chunks, reallocated as curl handed over pieces of every size, took 2,400 page faults for a
// 10 MB download, 15 to 30 us each in a VM). Each side copies outside the lock (single producer,
// single consumer: the regions they touch never overlap) and wakes the other only when it waits.
#pragma once

#include <condition_variable>
#include <mutex>
#include <optional>

#include "kiln/base/buffer.hpp"
#include "kiln/io/stream.hpp"

namespace kiln::io {

class Pipe final : public Writer, public Reader {
 public:
  // `expected`: the stream's size when known (a short stream gets a small ring). `wake_after`:
  // a read waits until that many bytes are queued (or as many as it asks for, or the stream
  // has ended), so a fast reader is not woken for every small piece the writer hands over.
  explicit Pipe(int64_t expected, size_t wake_after = 1);
  // Blocks while the ring is full; Errc::cancelled once the reader has gone (close_read).
  Status write(const void* buf, size_t size) override;
  // The writer's end: the reader sees end of stream once the queue is drained, or `e`.
  void close_write(std::optional<Error> e = std::nullopt);
  // Blocks while fewer than min(size, wake_after) bytes are queued and the writer has not closed.
  Result<size_t> read(void* buf, size_t size) override;
  // The reader's end: a blocked or later write fails.
  void close_read();

 private:
  static constexpr size_t k_min = 64 << 10, k_max = 4 << 20;
  size_t m_size;
  size_t m_wake_after;
  Buffer m_ring;
  std::mutex m_mu;
  std::condition_variable m_cv;
  size_t m_head = 0, m_used = 0;  // the queued bytes are [m_head, m_head + m_used) mod m_size
  bool m_done = false, m_reader_gone = false;
  bool m_reader_waiting = false, m_writer_waiting = false;
  size_t m_reader_wants = 1;  // what a waiting read waits for
  std::optional<Error> m_error;
};

}  // namespace kiln::io
