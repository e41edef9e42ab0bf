// A streaming check of a tar archive's structure, as an io::Writer the uncompressed layer is
// written through (the store's layer probe). It reads no member data, only headers: each
// header's checksum, the sizes that say where the next header is, PAX ('x', 'g') and GNU
// long-name ('L', 'K') extension headers, and the end-of-archive marker. What libarchive or
// Go's archive/tar would stop at later (a damaged header after valid members) is refused
// here, before the layer enters the store. Sparse members (GNU 'S', PAX GNU.sparse.*) are
// refused: kiln never expands them (a 1 TiB hole would be written out as 1 TiB of zeros).
// Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "kiln/io/stream.hpp"

namespace kiln::archive {

class TarChecker final : public io::Writer {
 public:
  Status write(const void* buf, size_t size) override;
  // The stream has ended: an error when it ends inside a header, an extension header or a
  // member's data. A stream that ends right after a member's data (no padding, no end
  // marker, as umoci writes) is accepted, as Go's readers accept it.
  Status finish();
  int64_t members() const { return m_members; }
  // The layer's size as docker shows it (a graph driver's diff size): bytes of regular files
  // plus the length of each symlink's target; hard links and directories count nothing.
  int64_t content_size() const { return m_content; }

 private:
  enum class State { header, skip, extension, done };
  Status on_header();
  Status on_extension();
  std::unexpected<Error> bad(std::string_view what) const;

  State m_state = State::header;
  unsigned char m_block[512];
  size_t m_fill = 0;
  int64_t m_offset = 0;      // of the next byte to come
  int64_t m_header_at = 0;   // of the header being looked at
  int64_t m_data_left = 0;   // member data still to skip
  int64_t m_pad_left = 0;    // then padding to the next block
  bool m_zero_seen = false;  // one end-of-archive block seen
  char m_ext_type = 0;       // the extension header being collected
  int64_t m_ext_size = 0;
  std::string m_ext;
  std::map<std::string, std::string> m_pax;  // for the next member
  std::optional<std::string> m_long_name;
  std::string m_last;  // the last member's name, for errors
  int64_t m_members = 0;
  int64_t m_content = 0;
  std::optional<std::string> m_long_link;
  std::optional<Error> m_error;  // sticky
};

}  // namespace kiln::archive
