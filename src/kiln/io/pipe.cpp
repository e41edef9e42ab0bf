#include "kiln/io/pipe.hpp"

#include <algorithm>
#include <cstring>

namespace kiln::io {

Pipe::Pipe(int64_t expected, size_t wake_after)
    : m_size(expected > 0 ? std::clamp(static_cast<size_t>(expected), k_min, k_max) : k_max),
      m_wake_after(std::clamp<size_t>(wake_after, 1, m_size)),
      m_ring(m_size) {}

Status Pipe::write(const void* buf, size_t size) {
  const auto* in = static_cast<const char*>(buf);
  while (size > 0) {
    size_t at = 0, n = 0;
    {
      std::unique_lock lk(m_mu);
      if (m_used == m_size && !m_reader_gone) {
        m_writer_waiting = true;
        m_cv.wait(lk, [&] { return m_used < m_size || m_reader_gone; });
        m_writer_waiting = false;
      }
      if (m_reader_gone) return fail(Errc::cancelled, "reader gone");
      at = (m_head + m_used) % m_size;
      n = std::min({size, m_size - m_used, m_size - at});
    }
    std::memcpy(m_ring.data() + at, in, n);
    in += n;
    size -= n;
    std::lock_guard lk(m_mu);
    m_used += n;
    if (m_reader_waiting && m_used >= m_reader_wants) m_cv.notify_all();
  }
  return {};
}

void Pipe::close_write(std::optional<Error> e) {
  std::lock_guard lk(m_mu);
  m_done = true;
  m_error = std::move(e);
  m_cv.notify_all();
}

Result<size_t> Pipe::read(void* buf, size_t size) {
  size_t head = 0, avail = 0;
  {
    std::unique_lock lk(m_mu);
    m_reader_wants = std::clamp<size_t>(size, 1, m_wake_after);
    if (m_used < m_reader_wants && !m_done) {
      m_reader_waiting = true;
      m_cv.wait(lk, [&] { return m_used >= m_reader_wants || m_done; });
      m_reader_waiting = false;
    }
    if (m_used == 0) {
      if (m_error) return std::unexpected(*m_error);
      return size_t{0};
    }
    head = m_head;
    avail = m_used;
  }
  // What is queued, in up to two pieces (the ring wraps).
  size_t n = std::min(size, avail);
  size_t first = std::min(n, m_size - head);
  auto* out = static_cast<char*>(buf);
  std::memcpy(out, m_ring.data() + head, first);
  if (n > first) std::memcpy(out + first, m_ring.data(), n - first);
  std::lock_guard lk(m_mu);
  m_head = (m_head + n) % m_size;
  m_used -= n;
  if (m_writer_waiting) m_cv.notify_all();
  return n;
}

void Pipe::close_read() {
  std::lock_guard lk(m_mu);
  m_reader_gone = true;
  m_cv.notify_all();
}

}  // namespace kiln::io
