#include "kiln/archive/tar_check.hpp"

#include <algorithm>
#include <cstring>

#include "kiln/archive/tar_header.hpp"

namespace kiln::archive {
namespace {

int64_t padding(int64_t size) {
  return (k_tar_block - size % k_tar_block) % k_tar_block;
}

// Types whose header carries no data, whatever its size field says (as in Go's archive/tar).
bool header_only(char type) {
  return type == '1' || type == '2' || type == '3' || type == '4' || type == '5' || type == '6';
}

}  // namespace

std::unexpected<Error> TarChecker::bad(std::string_view what) const {
  std::string after = m_members == 0 ? std::string("at the first member")
                                     : fmt::format("after {} members, the last {}", m_members,
                                                   m_last.empty() ? "unnamed" : m_last);
  return failf(Errc::corrupt, "tar: {} (header at byte {}, {})", what, m_header_at, after);
}

Status TarChecker::write(const void* buf, size_t size) {
  if (m_error) return std::unexpected(*m_error);
  auto* p = static_cast<const unsigned char*>(buf);
  while (size > 0 && m_state != State::done) {
    size_t n = 0;
    switch (m_state) {
      case State::header:
        n = std::min(size, sizeof m_block - m_fill);
        std::memcpy(m_block + m_fill, p, n);
        m_fill += n;
        break;
      case State::skip: {
        int64_t left = m_data_left + m_pad_left;
        n = static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(size), left));
        int64_t from_data = std::min<int64_t>(static_cast<int64_t>(n), m_data_left);
        m_data_left -= from_data;
        m_pad_left -= static_cast<int64_t>(n) - from_data;
        break;
      }
      case State::extension:
        n = static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(size),
                                                  m_ext_size - static_cast<int64_t>(m_ext.size())));
        m_ext.append(reinterpret_cast<const char*>(p), n);
        break;
      case State::done:
        break;
    }
    p += n;
    size -= n;
    m_offset += static_cast<int64_t>(n);
    Status st;
    if (m_state == State::header && m_fill == sizeof m_block) {
      m_fill = 0;
      st = on_header();
    } else if (m_state == State::skip && m_data_left == 0 && m_pad_left == 0) {
      m_state = State::header;
    } else if (m_state == State::extension && static_cast<int64_t>(m_ext.size()) == m_ext_size) {
      st = on_extension();
    }
    if (!st) {
      m_error = st.error();
      return st;
    }
  }
  return {};
}

Status TarChecker::on_header() {
  m_header_at = m_offset - k_tar_block;
  if (tar_block_is_zero(m_block)) {
    if (m_zero_seen) m_state = State::done;  // the end marker: what follows is not read
    m_zero_seen = true;
    return {};
  }
  if (m_zero_seen) return bad("a header follows a single end-of-archive block");
  if (!tar_checksum_ok(m_block))
    return bad(m_header_at == 0 ? "not a tar archive (bad header checksum)"
                                : "bad header checksum");
  char type = static_cast<char>(m_block[156]);
  auto size = parse_tar_number(m_block + 124, 12, "size");
  if (!size) return bad(size.error().message());
  if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
    if (*size > k_max_tar_extension)
      return bad(
          fmt::format("extension header of {} bytes (at most {})", *size, k_max_tar_extension));
    m_ext_type = type;
    m_ext_size = *size;
    m_ext.clear();
    m_pad_left = padding(*size);
    m_state = State::extension;
    if (*size == 0) return on_extension();
    return {};
  }
  std::string name = tar_field(m_block, 100);
  if (std::memcmp(m_block + 257, "ustar", 5) == 0 && m_block[345])
    name = tar_field(m_block + 345, 155) + "/" + name;
  if (m_long_name) name = *m_long_name;
  if (auto it = m_pax.find("path"); it != m_pax.end()) name = it->second;
  m_last = name;
  if (type == 'S')
    return bad(fmt::format("member {} is a sparse file (GNU sparse header): not supported", name));
  for (const auto& [k, v] : m_pax)
    if (is_sparse_pax_key(k))
      return bad(fmt::format("member {} is a sparse file (PAX {}): not supported", name, k));
  if (auto it = m_pax.find("size"); it != m_pax.end()) {
    auto v = parse_pax_size(it->second);
    if (!v) return bad(v.error().message());
    size = *v;
  }
  ++m_members;
  if (type == '2') {
    std::string link = tar_field(m_block + 157, 100);
    if (m_long_link) link = *m_long_link;
    if (auto it = m_pax.find("linkpath"); it != m_pax.end()) link = it->second;
    m_content += static_cast<int64_t>(link.size());
  } else if (!header_only(type)) {
    m_content += *size;
  }
  m_pax.clear();
  m_long_name.reset();
  m_long_link.reset();
  m_data_left = header_only(type) ? 0 : *size;
  m_pad_left = header_only(type) ? 0 : padding(*size);
  if (m_data_left + m_pad_left > 0) m_state = State::skip;
  return {};
}

Status TarChecker::on_extension() {
  if (m_ext_type == 'x') {
    auto st = parse_pax_records(m_ext, m_pax);
    if (!st) return bad(st.error().message());
  } else if (m_ext_type == 'L') {
    m_long_name = std::string(m_ext.c_str());
  } else if (m_ext_type == 'K') {
    m_long_link = std::string(m_ext.c_str());
  } else if (m_ext_type == 'g') {
    std::map<std::string, std::string> global;
    auto st = parse_pax_records(m_ext, global);
    if (!st) return bad(st.error().message());
    for (const auto& [k, v] : global)
      if (is_sparse_pax_key(k))
        return bad(fmt::format("global PAX header with {}: sparse files are not supported", k));
  }
  m_ext.clear();
  m_data_left = 0;
  m_state = m_pad_left > 0 ? State::skip : State::header;
  return {};
}

Status TarChecker::finish() {
  if (m_error) return std::unexpected(*m_error);
  switch (m_state) {
    case State::done:
      return {};
    case State::header:
      if (m_fill == 0) return {};
      m_header_at = m_offset - static_cast<int64_t>(m_fill);
      return bad("truncated: the stream ends inside a header");
    case State::skip:
      if (m_data_left == 0) return {};  // only the padding is missing
      return bad(fmt::format("truncated: the stream ends {} bytes short of member {}'s end",
                             m_data_left, m_last));
    case State::extension:
      return bad("truncated: the stream ends inside an extension header");
  }
  return {};
}

}  // namespace kiln::archive
