// Concurrent reads of one key that share the storage's round trips, yet never answer with what
// the storage held before the caller asked.
//
// Over S3, every manifest GET by tag reads the tag's link from the bucket (another replica may
// have moved it), and fifty clients asking for the same tag make fifty identical GETs. Here
// the reads of one key run one at a time; a caller waits for the first read that *starts*
// after it arrived, and every caller waiting then takes that read's answer. A read that was
// already under way when a caller arrived may predate a write the caller saw complete, so it
// is never the answer for that caller. The answer is thus as fresh as a read of the caller's
// own, and storage sees at most one read per key per round-trip time, however many callers.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace kiln::registry::server {

template <class T>
class FreshReads {
 public:
  // read() of key, or the answer of a read of it that started after this call did.
  T get(const std::string& key, const std::function<T()>& read) {
    std::unique_lock lock(m_mu);
    auto& slot = m_slots[key];
    if (!slot) slot = std::make_unique<Slot>();
    Slot& s = *slot;
    ++s.users;
    const uint64_t need = s.started + 1;  // any read that starts from now on
    while (s.done < need) {
      if (s.running) {
        s.cv.wait(lock);
        continue;
      }
      s.running = true;
      const uint64_t gen = ++s.started;
      lock.unlock();
      std::optional<T> v;
      try {
        v.emplace(read());
      } catch (...) {
        lock.lock();
        s.running = false;
        s.cv.notify_all();
        release(key, s);
        throw;
      }
      lock.lock();
      s.value = std::move(v);
      s.done = gen;
      s.running = false;
      s.cv.notify_all();
    }
    T out = *s.value;
    release(key, s);
    return out;
  }

  // Callers inside get() for key (waiting or reading).
  int callers(const std::string& key) {
    std::lock_guard lock(m_mu);
    auto it = m_slots.find(key);
    return it == m_slots.end() ? 0 : it->second->users;
  }

 private:
  struct Slot {
    std::condition_variable cv;
    bool running = false;
    uint64_t started = 0;  // reads begun
    uint64_t done = 0;     // the newest read finished (they run one at a time, in order)
    std::optional<T> value;
    int users = 0;  // callers inside get(); the slot goes with the last
  };

  void release(const std::string& key, Slot& s) {
    if (--s.users == 0) m_slots.erase(key);
  }

  std::mutex m_mu;
  std::map<std::string, std::unique_ptr<Slot>> m_slots;
};

}  // namespace kiln::registry::server
