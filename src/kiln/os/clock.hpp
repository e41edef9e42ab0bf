// Time as a seam: code that waits (retry backoff) or expires things (tokens, grace periods)
// takes a Clock, so tests move time by hand instead of sleeping. real_clock() is the process's
// clocks; FakeClock stands still until advanced (sleep_for advances it at once).
// Both are thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <vector>

namespace kiln::os {

class Clock {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  // Monotonic time, for durations and expiry.
  virtual time_point now() = 0;
  // Blocks the calling thread for d.
  virtual void sleep_for(std::chrono::milliseconds d) = 0;
  // Wall-clock seconds since the epoch, for timestamps.
  virtual int64_t unix_seconds() = 0;
};

// steady_clock, std::this_thread::sleep_for and time(2).
Clock& real_clock();

class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t unix_start = 1700000000) : m_unix_start(unix_start) {}
  time_point now() override {
    std::lock_guard lk(m_mu);
    return time_point{} + m_elapsed;
  }
  void sleep_for(std::chrono::milliseconds d) override {
    std::lock_guard lk(m_mu);
    m_sleeps.push_back(d);
    m_elapsed += d;
  }
  int64_t unix_seconds() override {
    std::lock_guard lk(m_mu);
    return m_unix_start + std::chrono::duration_cast<std::chrono::seconds>(m_elapsed).count();
  }
  void advance(std::chrono::milliseconds d) {
    std::lock_guard lk(m_mu);
    m_elapsed += d;
  }
  // Every sleep_for so far, in order.
  std::vector<std::chrono::milliseconds> sleeps() {
    std::lock_guard lk(m_mu);
    return m_sleeps;
  }

 private:
  std::mutex m_mu;
  std::chrono::milliseconds m_elapsed{0};
  int64_t m_unix_start;
  std::vector<std::chrono::milliseconds> m_sleeps;
};

}  // namespace kiln::os
