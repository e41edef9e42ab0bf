// A fixed-size scratch buffer that is not zero-filled (std::vector<char> would memset it, and
// touch every page, for buffers that usually carry a few hundred bytes).
#pragma once

#include <cstddef>
#include <memory>

namespace kiln {

class Buffer {
 public:
  explicit Buffer(size_t size)
      : m_data(std::make_unique_for_overwrite<char[]>(size)), m_size(size) {}
  char* data() { return m_data.get(); }
  const char* data() const { return m_data.get(); }
  size_t size() const { return m_size; }

 private:
  std::unique_ptr<char[]> m_data;
  size_t m_size;
};

}  // namespace kiln
