// Go binaries built by Go 1.13 to 1.17 (gobinary.hpp).
#include <string.h>  // memmem

#include <algorithm>
#include <vector>

#include "kiln/scan/elf_stream.hpp"
#include "kiln/scan/gobinary.hpp"

namespace kiln::scan {

namespace {

using elf::Capture;
using elf::get;

constexpr std::string_view k_magic{"\xff Go buildinf:", 14};
// cmd/go's sentinels around runtime.modinfo.
constexpr std::string_view k_mod_start{
    "\x30\x77\xaf\x0c\x92\x74\x08\x02\x41\xe1\xc1\x07\xe6\xd6\x18\xe6", 16};
constexpr std::string_view k_version{"go1.1"};  // go1.13 to go1.17
constexpr size_t k_prefix = 64 << 10;           // the ELF and program headers are in here
constexpr size_t k_max_modinfo = 1 << 20;       // a big module list is ~100 kB
constexpr size_t k_max_version = 64;
constexpr size_t k_max_candidates = 256;
constexpr size_t k_overlap = 32;  // bytes kept from the previous chunk, for cut patterns

// Go's linker writes its build ID as an ELF note (owner "Go", type 4) near the start of the
// file. Only files with it are searched, so that other executables cost nothing here; a
// binary linked with an empty -buildid has no note and is not recognised.
constexpr size_t k_note_window = 8 << 10;

bool go_note(std::string_view head) {
  auto e = elf::parse_header(head);
  if (!e) return false;
  bool le = e->le;
  head = head.substr(0, k_note_window);
  for (size_t at = head.find(std::string_view("Go\0\0", 4)); at != std::string_view::npos;
       at = head.find(std::string_view("Go\0\0", 4), at + 1))
    if (at >= 12 && at % 4 == 0 && get(head, at - 12, 4, le) == 4 && get(head, at - 4, 4, le) == 4)
      return true;
  return false;
}

struct Segment {
  uint64_t vaddr, offset, size;
};

struct StringValue {  // a Go string: data pointer and length, both of the pointer size
  Capture value;
};

}  // namespace

struct GoLegacyFinder::State {
  enum class Kind { unknown, elf, other } kind = Kind::unknown;
  std::string prefix, recent;
  uint64_t pos = 0;
  bool le = true;
  std::vector<Segment> segments;
  std::vector<Capture> versions, modinfos;  // candidates
  Capture header;
  unsigned ptr = 0;
  StringValue version, modinfo;
  bool have_header = false;

  bool read_segments() {
    std::string_view h = prefix;
    auto e = elf::parse_header(h);
    if (!e) return false;
    bool is64 = e->is64;
    le = e->le;
    uint64_t entsize = e->phentsize, num = e->phnum;
    if (entsize < (is64 ? 56u : 32u) || e->phoff + entsize * num > h.size()) return false;
    for (uint64_t i = 0; i < num; ++i) {
      size_t at = static_cast<size_t>(e->phoff + i * entsize);
      if (get(h, at, 4, le) != 1) continue;  // PT_LOAD
      Segment s;
      s.offset = is64 ? get(h, at + 8, 8, le) : get(h, at + 4, 4, le);
      s.vaddr = is64 ? get(h, at + 16, 8, le) : get(h, at + 8, 4, le);
      s.size = is64 ? get(h, at + 32, 8, le) : get(h, at + 16, 4, le);
      segments.push_back(s);
    }
    return !segments.empty();
  }

  std::optional<uint64_t> file_offset(uint64_t vaddr) const {
    for (const auto& s : segments)
      if (vaddr >= s.vaddr && vaddr - s.vaddr < s.size) return s.offset + (vaddr - s.vaddr);
    return std::nullopt;
  }

  // A capture of `size` bytes at `offset`, with what `recent` (file offset `base`) has of them.
  Capture capture(uint64_t offset, uint64_t size, uint64_t base) const {
    Capture c{offset, size, {}, true};
    if (offset >= base && offset < base + recent.size())
      c.data = recent.substr(
          static_cast<size_t>(offset - base),
          static_cast<size_t>(std::min<uint64_t>(size, base + recent.size() - offset)));
    return c;
  }

  // Matches of `pat` in `recent` that end in the new bytes (those before were seen already).
  template <typename F>
  void each_match(std::string_view pat, size_t old, F&& f) {
    size_t from = old >= pat.size() ? old - pat.size() + 1 : 0;
    while (from + pat.size() <= recent.size()) {
      auto* hit = static_cast<const char*>(
          memmem(recent.data() + from, recent.size() - from, pat.data(), pat.size()));
      if (!hit) return;
      size_t i = static_cast<size_t>(hit - recent.data());
      f(i);
      from = i + 1;
    }
  }

  void search(size_t old, uint64_t base) {
    each_match(k_version, old, [&](size_t i) {
      if (versions.size() < k_max_candidates)
        versions.push_back(capture(base + i, k_max_version, base));
    });
    each_match(k_mod_start, old, [&](size_t i) {
      if (modinfos.size() < 4) modinfos.push_back(capture(base + i, k_max_modinfo, base));
    });
    if (have_header) return;
    each_match(k_magic, old, [&](size_t i) {
      if ((base + i) % 16 == 0 && !header.wanted) header = capture(base + i, 32, base);
    });
  }

  // Once the header is whole: where the two string values are.
  void read_header(uint64_t base) {
    have_header = true;
    std::string_view h = header.data;
    ptr = static_cast<unsigned char>(h[14]);
    unsigned flags = static_cast<unsigned char>(h[15]);
    if ((flags & 2) != 0) return;  // 1.18+: read by gobinary.cpp
    if (ptr != 4 && ptr != 8) {    // not a header: a later copy of the magic may be one
      header = {};
      have_header = false;
      return;
    }
    bool big = (flags & 1) != 0;
    if (segments.empty() && !read_segments()) return;
    auto v = file_offset(get(h, 16, ptr, !big));
    auto m = file_offset(get(h, 16 + ptr, ptr, !big));
    if (!v || !m) return;
    le = !big;
    version.value = capture(*v, 2 * ptr, base);
    modinfo.value = capture(*m, 2 * ptr, base);
  }

  void process(const char* p, size_t n) {
    size_t old = recent.size();
    uint64_t base = pos - old;
    recent.append(p, n);
    search(old, base);
    for (auto* c : {&header, &version.value, &modinfo.value}) c->take(pos, p, n);
    for (auto& c : versions) c.take(pos, p, n);
    for (auto& c : modinfos) c.take(pos, p, n);
    pos += n;
    if (header.complete() && !have_header) read_header(base);
    if (recent.size() > k_overlap) recent.erase(0, recent.size() - k_overlap);
  }
};

GoLegacyFinder::GoLegacyFinder() : m_s(std::make_unique<State>()) {}
GoLegacyFinder::~GoLegacyFinder() = default;

void GoLegacyFinder::feed(const char* p, size_t n) {
  State& s = *m_s;
  if (n == 0 || s.kind == State::Kind::other) return;
  if (s.kind == State::Kind::elf) return s.process(p, n);
  s.prefix.append(p, n);
  if (s.prefix.size() < k_note_window) return;
  s.kind = go_note(s.prefix) ? State::Kind::elf : State::Kind::other;
  std::string head = std::move(s.prefix);
  s.prefix = head.substr(0, std::min(head.size(), k_prefix));  // for the program headers
  if (s.kind == State::Kind::elf) s.process(head.data(), head.size());
}

std::optional<GoBuildInfo> GoLegacyFinder::finish() {
  State& s = *m_s;
  if (s.kind != State::Kind::elf || !s.have_header || !s.version.value.complete() ||
      !s.modinfo.value.complete())
    return std::nullopt;
  auto value = [&](StringValue& v, const std::vector<Capture>& candidates,
                   size_t max) -> std::optional<std::string> {
    uint64_t data = get(v.value.data, 0, s.ptr, s.le), len = get(v.value.data, s.ptr, s.ptr, s.le);
    if (len == 0) return std::string();
    if (len > max) return std::nullopt;
    auto off = s.file_offset(data);
    if (!off) return std::nullopt;
    for (const auto& c : candidates)
      if (c.offset == *off && c.data.size() >= len)
        return c.data.substr(0, static_cast<size_t>(len));
    return std::nullopt;
  };
  auto version = value(s.version, s.versions, k_max_version);
  auto mod = value(s.modinfo, s.modinfos, k_max_modinfo);
  if (!version || version->empty() || !mod) return std::nullopt;
  if (mod->size() >= 33 && (*mod)[mod->size() - 17] == '\n')
    *mod = mod->substr(16, mod->size() - 32);
  return GoBuildInfo{*version, *mod};
}

std::optional<GoBuildInfo> go_legacy_buildinfo_in(std::string_view file) {
  GoLegacyFinder f;
  f.feed(file.data(), file.size());
  return f.finish();
}

}  // namespace kiln::scan
