#include "kiln/scan/rustbinary.hpp"

#include <string.h>  // memchr
#include <zlib.h>

#include <algorithm>

#include "kiln/scan/elf_stream.hpp"

namespace kiln::scan {

namespace {

using elf::Capture;
using elf::get;

constexpr std::string_view k_section = ".dep-v0";
constexpr size_t k_window = 1 << 20;     // kept before the section table, for the names
constexpr size_t k_max_json = 8 << 20;   // cargo-auditable's own reader allows 8 MB
constexpr size_t k_max_table = 1 << 20;  // section headers (16k sections)
constexpr size_t k_max_live = 8;         // candidate streams inflating at once
constexpr size_t k_max_done = 4;         // candidate streams that inflated to JSON
// So at most (8 + 4) x 8 MB of inflated text is held, whatever the file.

// A zlib header: deflate with a 32 kB window, no preset dictionary, a valid check value.
bool zlib_header(unsigned char cmf, unsigned char flg) {
  return cmf == 0x78 && (flg & 0x20) == 0 && ((cmf << 8) | flg) % 31 == 0;
}

// The start of the audit JSON: an object whose first key is "packages" (or "format").
bool audit_start(std::string_view s) {
  if (s.empty()) return true;  // undecided: nothing inflated yet
  if (s[0] != '{') return false;
  size_t i = s.find_first_not_of(" \t\r\n", 1);
  if (i == std::string_view::npos) return s.size() < 64;  // undecided: only blanks so far
  std::string_view rest = s.substr(i);
  for (std::string_view key : {"\"packages\"", "\"format\""})
    if (key.starts_with(rest.substr(0, key.size()))) return true;
  return false;
}

// One place where a zlib stream might start, being inflated.
struct Candidate {
  uint64_t offset = 0;
  z_stream z{};
  std::string out;
  bool checked = false;

  explicit Candidate(uint64_t off) : offset(off) { inflateInit(&z); }
  ~Candidate() { inflateEnd(&z); }
  Candidate(const Candidate&) = delete;
  Candidate& operator=(const Candidate&) = delete;
};

enum class Fed { more, done, dead };

// Inflates what `c` gets next. The first call asks for a few bytes only, so that a stream that
// is not the audit JSON is dropped before it costs anything.
Fed feed_candidate(Candidate& c, const char* data, size_t size) {
  c.z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
  c.z.avail_in = static_cast<uInt>(size);
  while (c.z.avail_in > 0) {
    size_t room = c.checked ? size_t{64} << 10 : 16;
    size_t old = c.out.size();
    c.out.resize(old + room);
    c.z.next_out = reinterpret_cast<Bytef*>(c.out.data() + old);
    c.z.avail_out = static_cast<uInt>(room);
    uInt before = c.z.avail_in;
    int rc = inflate(&c.z, Z_NO_FLUSH);
    c.out.resize(old + room - c.z.avail_out);
    if (!audit_start(c.out)) return Fed::dead;
    if (c.out.size() >= 64) c.checked = true;
    if (rc == Z_STREAM_END) return c.out.size() > 2 ? Fed::done : Fed::dead;
    if (rc != Z_OK || c.out.size() > k_max_json) return Fed::dead;
    if (c.z.avail_in == before && c.z.avail_out == room) return Fed::dead;  // no progress
  }
  return Fed::more;
}

// The ELF header when the file has a section table kiln can read.
std::optional<elf::Header> section_table(std::string_view h) {
  auto e = elf::parse_header(h);
  if (!e) return std::nullopt;
  unsigned want = e->is64 ? 64 : 40;
  // No section table, or extended numbering (over 65279 sections): nothing to find.
  if (e->shoff == 0 || e->shnum == 0 || e->shentsize < want || e->shstrndx >= e->shnum ||
      static_cast<uint64_t>(e->shnum) * e->shentsize > k_max_table)
    return std::nullopt;
  return e;
}

struct Section {
  uint64_t name = 0, offset = 0, size = 0;
};

Section section_at(const elf::Header& e, std::string_view table, unsigned i) {
  size_t at = static_cast<size_t>(i) * e.shentsize;
  Section s;
  s.name = get(table, at, 4, e.le);
  s.offset = e.is64 ? get(table, at + 24, 8, e.le) : get(table, at + 16, 4, e.le);
  s.size = e.is64 ? get(table, at + 32, 8, e.le) : get(table, at + 20, 4, e.le);
  return s;
}

}  // namespace

struct RustAuditFinder::State {
  enum class Kind { unknown, elf, other } kind = Kind::unknown;
  std::string head;
  elf::Header elf;
  uint64_t pos = 0;  // bytes fed so far
  Capture window;    // the bytes just before the section table, where linkers put the names
  Capture table, names;
  bool prev_78 = false;  // the last byte fed was 0x78
  std::vector<std::unique_ptr<Candidate>> live;
  std::vector<std::pair<uint64_t, std::string>> done;

  // A candidate stream at `offset`, given its first bytes (`prefix`, then `p`).
  void start(uint64_t offset, std::string_view prefix, const char* p, size_t n) {
    if (live.size() >= k_max_live || done.size() >= k_max_done) return;
    auto c = std::make_unique<Candidate>(offset);
    Fed f = feed_candidate(*c, prefix.data(), prefix.size());
    if (f == Fed::more) f = feed_candidate(*c, p, n);
    if (f == Fed::more) live.push_back(std::move(c));
    if (f == Fed::done) done.emplace_back(offset, std::move(c->out));
  }

  void candidates(const char* p, size_t n) {
    for (auto it = live.begin(); it != live.end();) {
      Fed f = feed_candidate(**it, p, n);
      if (f == Fed::more) {
        ++it;
        continue;
      }
      if (f == Fed::done && done.size() < k_max_done)
        done.emplace_back((*it)->offset, std::move((*it)->out));
      it = live.erase(it);
    }
    if (prev_78 && zlib_header(0x78, static_cast<unsigned char>(p[0])))
      start(pos - 1, "\x78", p, n);  // a header cut by the previous chunk's end
    for (size_t i = 0; i + 1 < n;) {
      auto* hit = static_cast<const char*>(memchr(p + i, 0x78, n - 1 - i));
      if (!hit) break;
      i = static_cast<size_t>(hit - p);
      if (zlib_header(0x78, static_cast<unsigned char>(p[i + 1]))) start(pos + i, {}, hit, n - i);
      ++i;
    }
    prev_78 = static_cast<unsigned char>(p[n - 1]) == 0x78;
  }

  // The bytes of the file from `pos` on.
  void process(const char* p, size_t n) {
    candidates(p, n);
    bool had_table = table.complete();
    table.take(pos, p, n);
    names.take(pos, p, n);
    window.take(pos, p, n);
    pos += n;
    if (!had_table && table.complete()) locate_names();
  }

  // Once the section table is known: the section names are taken from the window when they
  // are in it, or kept when the stream reaches them.
  void locate_names() {
    Section s = section_at(elf, table.data, elf.shstrndx);
    if (s.size > k_max_table) return;
    uint64_t held_end = window.offset + window.data.size();
    if (s.offset < pos && (s.offset < window.offset || s.offset >= held_end))
      return;  // passed, and not held
    names = {s.offset, s.size, {}, true};
    if (s.offset < pos)
      names.data = window.data.substr(static_cast<size_t>(s.offset - window.offset),
                                      static_cast<size_t>(std::min(s.size, held_end - s.offset)));
  }
};

RustAuditFinder::RustAuditFinder() : m_s(std::make_unique<State>()) {}
RustAuditFinder::~RustAuditFinder() = default;

void RustAuditFinder::feed(const char* p, size_t n) {
  State& s = *m_s;
  if (n == 0 || s.kind == State::Kind::other) return;
  if (s.kind == State::Kind::elf) return s.process(p, n);
  s.head.append(p, n);
  constexpr std::string_view magic{
      "\x7f"
      "ELF",
      4};
  if (s.head.size() < 64 && magic.starts_with(std::string_view(s.head).substr(0, 4))) return;
  auto elf = section_table(s.head);
  if (!elf) {
    s.kind = State::Kind::other;
    s.head.clear();
    return;
  }
  s.kind = State::Kind::elf;
  s.elf = *elf;
  s.table = {elf->shoff, static_cast<uint64_t>(elf->shnum) * elf->shentsize, {}, true};
  uint64_t from = elf->shoff > k_window ? elf->shoff - k_window : 0;
  s.window = {from, elf->shoff - from, {}, true};
  std::string head = std::move(s.head);
  s.process(head.data(), head.size());
}

std::optional<std::string> RustAuditFinder::finish() {
  State& s = *m_s;
  if (s.kind != State::Kind::elf || !s.table.complete() || !s.names.complete() || s.done.empty())
    return std::nullopt;
  std::string_view strtab = s.names.data;
  for (unsigned i = 0; i < s.elf.shnum; ++i) {
    Section sec = section_at(s.elf, s.table.data, i);
    if (sec.name >= strtab.size()) continue;
    std::string_view name = strtab.substr(sec.name);
    name = name.substr(0, name.find('\0'));
    if (name != k_section) continue;
    for (auto& [offset, json] : s.done)
      if (offset == sec.offset) return std::move(json);
    return std::nullopt;
  }
  return std::nullopt;
}

std::optional<std::string> rust_audit_in(std::string_view file) {
  RustAuditFinder f;
  f.feed(file.data(), file.size());
  return f.finish();
}

}  // namespace kiln::scan
