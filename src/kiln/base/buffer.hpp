// A fixed-size scratch buffer that is not zero-filled (std::vector<char> would memset it, and
// touch every page, for buffers that usually carry a few hundred bytes).
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>

namespace kiln {

class Buffer {
 public:
  explicit Buffer(size_t size) : m_size(size) {
    if (size >= k_huge) {
      // Large buffers (decompression windows, copy buffers) are filled once per use: in 2 MiB
      // pages their first touch is a few faults instead of one per 4 KiB, which matters most in
      // a virtual machine. Transparent huge pages are a hint; without them this is plain memory.
      size_t rounded = (size + k_huge - 1) / k_huge * k_huge;
      void* p = std::aligned_alloc(k_huge, rounded);
      if (!p) throw std::bad_alloc();
      ::madvise(p, rounded, MADV_HUGEPAGE);
      m_data.reset(static_cast<char*>(p));
    } else {
      m_data.reset(static_cast<char*>(std::malloc(size ? size : 1)));
      if (!m_data) throw std::bad_alloc();
    }
  }
  char* data() { return m_data.get(); }
  const char* data() const { return m_data.get(); }
  size_t size() const { return m_size; }

 private:
  static constexpr size_t k_huge = size_t{2} << 20;
  struct Free {
    void operator()(char* p) const { std::free(p); }
  };
  std::unique_ptr<char, Free> m_data;
  size_t m_size;
};

}  // namespace kiln
