#include "kiln/scan/gobinary.hpp"

#include <string.h>  // memmem

#include <algorithm>

#include <fmt/format.h>

#include "kiln/base/strings.hpp"

namespace kiln::scan {

namespace {

constexpr std::string_view k_magic{"\xff Go buildinf:", 14};
constexpr std::string_view k_elf{
    "\x7f"
    "ELF",
    4};
constexpr size_t k_header = 32;
constexpr size_t k_max_strings = 4 << 20;  // a big module list is ~100 kB
constexpr size_t k_chunk = 256 << 10;

// A uvarint at `pos`; nullopt when it runs past the end or over 64 bits.
std::optional<uint64_t> uvarint(std::string_view s, size_t& pos) {
  uint64_t x = 0;
  for (int shift = 0; shift < 64 && pos < s.size(); shift += 7) {
    auto b = static_cast<unsigned char>(s[pos++]);
    x |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (b < 0x80) return x;
  }
  return std::nullopt;
}

std::optional<std::string_view> varstring(std::string_view s, size_t& pos, size_t max) {
  auto n = uvarint(s, pos);
  if (!n || *n > max || *n > s.size() - pos) return std::nullopt;
  auto out = s.substr(pos, *n);
  pos += *n;
  return out;
}

// The build info whose header starts `at` (the magic). nullopt when what follows is not one
// (a stray copy of the magic, or the pre-1.18 pointer form).
std::optional<GoBuildInfo> parse_at(std::string_view at) {
  if (at.size() < k_header || !at.starts_with(k_magic)) return std::nullopt;
  auto ptr_size = static_cast<unsigned char>(at[14]);
  auto flags = static_cast<unsigned char>(at[15]);
  if ((ptr_size != 4 && ptr_size != 8) || (flags & 2) == 0) return std::nullopt;
  size_t pos = k_header;
  auto version = varstring(at, pos, 256);
  if (!version || version->empty() ||
      !(version->starts_with("go") || version->starts_with("devel")))
    return std::nullopt;
  auto mod = varstring(at, pos, k_max_strings);
  if (!mod) return std::nullopt;
  // cmd/go wraps the module info in 16 bytes of sentinel on each side.
  if (mod->size() >= 33 && (*mod)[mod->size() - 17] == '\n')
    *mod = mod->substr(16, mod->size() - 32);
  return GoBuildInfo{std::string(*version), std::string(*mod)};
}

const char* find_magic(std::string_view s, size_t from) {
  if (from >= s.size()) return nullptr;
  return static_cast<const char*>(
      memmem(s.data() + from, s.size() - from, k_magic.data(), k_magic.size()));
}

// Appends up to `want` bytes from `r`; false at the end of the stream.
Result<bool> append(io::Reader& r, std::string& buf, size_t want) {
  size_t old = buf.size();
  buf.resize(old + want);
  size_t got = 0;
  while (got < want) {
    size_t n = KILN_TRY(r.read(buf.data() + old + got, want - got));
    if (n == 0) break;
    got += n;
  }
  buf.resize(old + got);
  return got == want;
}

}  // namespace

std::optional<GoBuildInfo> go_buildinfo_in(std::string_view file) {
  if (!file.starts_with(k_elf)) return std::nullopt;
  for (const char* hit = find_magic(file, 0); hit; hit = find_magic(file, hit - file.data() + 1)) {
    size_t i = static_cast<size_t>(hit - file.data());
    if (i % 16 != 0) continue;
    if (auto info = parse_at(file.substr(i))) return info;
  }
  return std::nullopt;
}

Result<std::optional<GoBuildInfo>> read_go_buildinfo(io::Reader& r) {
  std::string buf;
  bool more = KILN_TRY(append(r, buf, k_chunk));
  if (!std::string_view(buf).starts_with(k_elf)) return std::nullopt;
  uint64_t base = 0;  // the file offset of buf[0]
  size_t from = 0;
  while (true) {
    if (const char* hit = find_magic(buf, from)) {
      size_t i = static_cast<size_t>(hit - buf.data());
      from = i + 1;
      if ((base + i) % 16 != 0) continue;
      // The strings follow the header: have all of them that the file holds.
      if (more && buf.size() < i + k_header + k_max_strings)
        more = KILN_TRY(append(r, buf, i + k_header + k_max_strings - buf.size()));
      if (auto info = parse_at(std::string_view(buf).substr(i))) return info;
      continue;
    }
    if (!more) return std::nullopt;
    // Keep the tail that could be the start of a magic cut by the chunk's end.
    size_t keep = std::min(buf.size(), k_magic.size() - 1);
    base += buf.size() - keep;
    buf.erase(0, buf.size() - keep);
    from = 0;
    more = KILN_TRY(append(r, buf, k_chunk));
  }
}

std::string go_stdlib_version(std::string_view v) {
  if (auto sp = v.find(' '); sp != std::string_view::npos) v = v.substr(0, sp);
  if (!v.starts_with("go")) return "";
  v.remove_prefix(2);
  std::vector<std::string> nums;
  size_t i = 0;
  while (nums.size() < 3) {
    size_t start = i;
    while (i < v.size() && v[i] >= '0' && v[i] <= '9') ++i;
    if (i == start) return "";
    nums.emplace_back(v.substr(start, i - start));
    if (i < v.size() && v[i] == '.') {
      ++i;
      continue;
    }
    break;
  }
  while (nums.size() < 3) nums.emplace_back("0");
  std::string out = join(nums, ".");
  std::string_view rest = v.substr(i);
  if (rest.empty()) return out;
  for (std::string_view pre : {"rc", "beta", "alpha"}) {
    if (!rest.starts_with(pre)) continue;
    std::string_view n = rest.substr(pre.size());
    if (n.empty() || n.find_first_not_of("0123456789") != std::string_view::npos) return "";
    return fmt::format("{}-{}.{}", out, pre, n);
  }
  return "";
}

std::vector<Package> parse_go_buildinfo(const GoBuildInfo& info, const std::string& path,
                                        std::vector<std::string>& warnings) {
  std::vector<Package> out;
  auto golang = [&](std::string name, std::string version) {
    Package p;
    p.type = "golang";
    p.name = std::move(name);
    p.version = std::move(version);
    p.db = path;
    return p;
  };
  if (auto v = go_stdlib_version(info.go_version); !v.empty())
    out.push_back(golang("stdlib", v));
  else
    warnings.push_back(fmt::format("{}: Go version \"{}\" is not a release; stdlib left out", path,
                                   info.go_version));
  bool last_is_module = false;  // a replacement applies to the module line before it
  for (auto line : split(info.modinfo, '\n')) {
    auto f = split(line, '\t');
    if (f.empty()) continue;
    if ((f[0] == "mod" || f[0] == "dep") && f.size() >= 3 && !f[1].empty()) {
      out.push_back(golang(std::string(f[1]), std::string(f[2])));
      last_is_module = true;
      continue;
    }
    if (f[0] == "=>" && f.size() >= 3 && last_is_module) {
      // A replacement by a module version names what is really built in; one by a local
      // directory (no version) keeps the required module's name and version.
      if (!f[2].empty()) {
        out.back().name = std::string(f[1]);
        out.back().version = std::string(f[2]);
      }
    }
    last_is_module = false;
  }
  return out;
}

}  // namespace kiln::scan
