// Defer: runs a callable when the scope ends, unless cancelled.
#pragma once

#include <utility>

namespace kiln {

template <class F>
class Defer {
 public:
  explicit Defer(F f) : m_f(std::move(f)) {}
  Defer(const Defer&) = delete;
  Defer& operator=(const Defer&) = delete;
  ~Defer() {
    if (m_armed) m_f();
  }
  void cancel() { m_armed = false; }

 private:
  F m_f;
  bool m_armed = true;
};

}  // namespace kiln
