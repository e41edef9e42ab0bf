#include "kiln/scan/gobinary.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "kiln/io/stream.hpp"

namespace kiln::scan {
namespace {

std::string uvarint(size_t n) {
  std::string out;
  while (n >= 0x80) {
    out += static_cast<char>((n & 0x7f) | 0x80);
    n >>= 7;
  }
  return out + static_cast<char>(n);
}

// cmd/go's 16-byte sentinels around the module info (their bytes do not matter to kiln).
const std::string k_sentinel_start(16, '\x5a');
const std::string k_sentinel_end = std::string(
                                       "\xf9"
                                       "2C1\x86\x18 r",
                                       8) +
                                   std::string(1, '\0') +
                                   std::string(
                                       "\x82"
                                       "B\x10"
                                       "A\x16\xd8\xf2",
                                       7);

// The .go.buildinfo section as Go 1.18+ writes it.
std::string buildinfo(const std::string& version, const std::string& modinfo, char flags = 2) {
  std::string h = std::string("\xff Go buildinf:", 14) + '\x08' + flags;
  h.resize(32, '\0');
  std::string mod = k_sentinel_start + modinfo + k_sentinel_end;
  return h + uvarint(version.size()) + version + uvarint(mod.size()) + mod;
}

// An ELF file with `section` at `offset` (and filler around it).
std::string elf_with(const std::string& section, size_t offset, size_t size) {
  std::string f = std::string(
      "\x7f"
      "ELF\x02\x01\x01",
      7);
  f.resize(offset, 'x');
  f += section;
  if (f.size() < size) f.resize(size, 'y');
  return f;
}

const std::string k_modinfo =
    "path\texample.com/app\n"
    "mod\texample.com/app\t(devel)\t\n"
    "dep\tgithub.com/gin-gonic/gin\tv1.5.0\th1:abc=\n"
    "dep\tgolang.org/x/text\tv0.3.0\th1:def=\n"
    "=>\tgolang.org/x/text\tv0.3.8\th1:ghi=\n"
    "dep\texample.com/local\tv1.0.0\n"
    "=>\t../local\t\t\n"
    "build\t-compiler=gc\n"
    "build\tGOARCH=amd64\n";

// Hands out at most `step` bytes per read, as a tar entry reader may.
class Trickle final : public io::Reader {
 public:
  Trickle(std::string s, size_t step) : m_s(std::move(s)), m_step(step) {}
  Result<size_t> read(void* buf, size_t size) override {
    size_t n = std::min({size, m_step, m_s.size() - m_pos});
    std::memcpy(buf, m_s.data() + m_pos, n);
    m_pos += n;
    return n;
  }

 private:
  std::string m_s;
  size_t m_step, m_pos = 0;
};

TEST(GoBuildInfo, FoundInAWholeFile) {
  auto f = elf_with(buildinfo("go1.21.5", k_modinfo), 4096, 10000);
  auto info = go_buildinfo_in(f);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->go_version, "go1.21.5");
  EXPECT_EQ(info->modinfo, k_modinfo);  // the sentinels are gone
}

TEST(GoBuildInfo, StreamedAcrossChunksPastADecoy) {
  // A stray magic at an odd offset, then the real header just before the first 256 KB chunk
  // ends, so that its strings are in the next chunk; read in uneven pieces.
  std::string f = elf_with("\xff Go buildinf:", 1001, 0);
  f.resize(262128, 'x');
  f += buildinfo("go1.22rc1", k_modinfo);
  f.resize(600000, 'z');
  ASSERT_EQ(f.find(std::string("\xff Go buildinf:", 14), 2000), 262128u);
  Trickle r(f, 7777);
  auto info = read_go_buildinfo(r);
  ASSERT_TRUE(info);
  ASSERT_TRUE(*info);
  EXPECT_EQ((*info)->go_version, "go1.22rc1");
  EXPECT_EQ((*info)->modinfo, k_modinfo);
  // Also far into a big file.
  std::string big = elf_with(buildinfo("go1.20", "path\tx\n"), 3 * 262144 + 48, 4 << 20);
  Trickle r2(big, 65536);
  info = read_go_buildinfo(r2);
  ASSERT_TRUE(info && *info);
  EXPECT_EQ((*info)->go_version, "go1.20");
}

TEST(GoBuildInfo, NotGo) {
  EXPECT_FALSE(go_buildinfo_in("#!/bin/sh\necho hi\n"));
  EXPECT_FALSE(go_buildinfo_in(elf_with("no build info here", 100, 5000)));
  // Unaligned, pre-1.18 (pointers, flags without bit 1), a truncated or absurd length.
  EXPECT_FALSE(go_buildinfo_in(elf_with(buildinfo("go1.21.5", k_modinfo), 4100, 10000)));
  EXPECT_FALSE(go_buildinfo_in(elf_with(buildinfo("go1.16", k_modinfo, 0), 4096, 10000)));
  auto cut = buildinfo("go1.21.5", k_modinfo);
  EXPECT_FALSE(go_buildinfo_in(elf_with(cut.substr(0, cut.size() - 40), 4096, 0)));
  std::string absurd = std::string("\xff Go buildinf:", 14) + "\x08\x02";
  absurd.resize(32, '\0');
  absurd += "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01";
  EXPECT_FALSE(go_buildinfo_in(elf_with(absurd, 4096, 10000)));
  // A stream that is not ELF is not read past its first chunk.
  io::StringReader sh("#!/bin/sh\n" + std::string(1 << 20, ' '));
  auto r = read_go_buildinfo(sh);
  ASSERT_TRUE(r);
  EXPECT_FALSE(*r);
}

TEST(GoBuildInfo, Packages) {
  std::vector<std::string> warnings;
  auto pkgs = parse_go_buildinfo({"go1.21.5 X:boringcrypto", k_modinfo}, "/app", warnings);
  ASSERT_EQ(pkgs.size(), 5u);
  EXPECT_EQ(pkgs[0].name, "stdlib");
  EXPECT_EQ(pkgs[0].version, "1.21.5");
  EXPECT_EQ(pkgs[1].name, "example.com/app");
  EXPECT_EQ(pkgs[1].version, "(devel)");
  EXPECT_EQ(pkgs[2].name, "github.com/gin-gonic/gin");
  EXPECT_EQ(pkgs[2].version, "v1.5.0");
  EXPECT_EQ(pkgs[3].name, "golang.org/x/text");  // replaced by a newer version
  EXPECT_EQ(pkgs[3].version, "v0.3.8");
  EXPECT_EQ(pkgs[4].name, "example.com/local");  // replaced by a directory: as required
  EXPECT_EQ(pkgs[4].version, "v1.0.0");
  for (const auto& p : pkgs) {
    EXPECT_EQ(p.type, "golang");
    EXPECT_EQ(p.db, "/app");
  }
  EXPECT_EQ(pkgs[2].purl(std::nullopt), "pkg:golang/github.com/gin-gonic/gin@v1.5.0");
  EXPECT_EQ(pkgs[0].purl(std::nullopt), "pkg:golang/stdlib@1.21.5");
  EXPECT_TRUE(warnings.empty());
  pkgs = parse_go_buildinfo({"devel go1.23-abcdef", "path\tx\n"}, "/x", warnings);
  EXPECT_TRUE(pkgs.empty());
  ASSERT_EQ(warnings.size(), 1u);
}

TEST(GoStdlibVersion, AsTheGoDatabaseWritesIt) {
  EXPECT_EQ(go_stdlib_version("go1.21.5"), "1.21.5");
  EXPECT_EQ(go_stdlib_version("go1.21"), "1.21.0");
  EXPECT_EQ(go_stdlib_version("go1.9"), "1.9.0");
  EXPECT_EQ(go_stdlib_version("go1.22rc1"), "1.22.0-rc.1");
  EXPECT_EQ(go_stdlib_version("go1.21beta2"), "1.21.0-beta.2");
  EXPECT_EQ(go_stdlib_version("go1.19.8 X:nocoverageredesign"), "1.19.8");
  EXPECT_EQ(go_stdlib_version("devel +abc"), "");
  EXPECT_EQ(go_stdlib_version("go"), "");
  EXPECT_EQ(go_stdlib_version("go1.21.x"), "");
}

}  // namespace
}  // namespace kiln::scan

namespace kiln::scan {
namespace {

void put_int(std::string& s, size_t at, uint64_t v, size_t n, bool le) {
  for (size_t i = 0; i < n; ++i)
    s[at + (le ? i : n - 1 - i)] = static_cast<char>((v >> (8 * i)) & 0xff);
}

// A Go 1.13-1.17 binary: its build ID note, the strings in "rodata", the header with two addresses,
// then the string values in "data"; one PT_LOAD maps the file at 0x400000.
std::string legacy_binary(const std::string& version, const std::string& modinfo, bool is64,
                          bool le) {
  const uint64_t base = 0x400000;
  unsigned ptr = is64 ? 8 : 4;
  size_t eh = is64 ? 64 : 52, ph = is64 ? 56 : 32;
  std::string f(eh + ph, '\0');
  f.replace(0, 4,
            "\x7f"
            "ELF");
  f[4] = is64 ? 2 : 1;
  f[5] = le ? 1 : 2;
  put_int(f, is64 ? 0x20 : 0x1c, eh, ptr, le);  // e_phoff
  put_int(f, is64 ? 0x36 : 0x2a, ph, 2, le);
  put_int(f, is64 ? 0x38 : 0x2c, 1, 2, le);
  std::string note(16, '\0');  // the Go build ID note: namesz 4, descsz 4, type 4, "Go"
  put_int(note, 0, 4, 4, le);
  put_int(note, 4, 4, 4, le);
  put_int(note, 8, 4, 4, le);
  note.replace(12, 2, "Go");
  f += note + "abcd" + std::string(300, 'x') + "go1.19 decoy " + std::string(5000, '\0');
  size_t v_at = f.size();
  f += version + "runtime.text";
  std::string mod =
      std::string("\x30\x77\xaf\x0c\x92\x74\x08\x02\x41\xe1\xc1\x07\xe6\xd6\x18\xe6", 16) +
      modinfo + std::string(16, '\xf9');
  size_t m_at = f.size();
  f += mod + "more rodata";
  f.resize((f.size() + 15) / 16 * 16, '\0');
  size_t h_at = f.size();
  std::string h =
      std::string("\xff Go buildinf:", 14) + static_cast<char>(ptr) + (le ? '\0' : '\1');
  h.resize(32, '\0');
  size_t vv_at = h_at + 64, mv_at = vv_at + 2 * ptr;
  put_int(h, 16, base + vv_at, ptr, le);
  put_int(h, 16 + ptr, base + mv_at, ptr, le);
  f += h + std::string(32, '\0');
  std::string values(4 * ptr, '\0');
  put_int(values, 0, base + v_at, ptr, le);
  put_int(values, ptr, version.size(), ptr, le);
  put_int(values, 2 * ptr, modinfo.empty() ? 0 : base + m_at, ptr, le);
  put_int(values, 3 * ptr, modinfo.empty() ? 0 : mod.size(), ptr, le);
  f += values + std::string(3000, '\0');
  size_t e = eh;  // the PT_LOAD program header
  put_int(f, e, 1, 4, le);
  put_int(f, e + (is64 ? 8 : 4), 0, ptr, le);
  put_int(f, e + (is64 ? 16 : 8), base, ptr, le);
  put_int(f, e + (is64 ? 32 : 16), f.size(), ptr, le);
  return f;
}

std::optional<GoBuildInfo> legacy_streamed(const std::string& file, size_t chunk) {
  GoLegacyFinder f;
  for (size_t i = 0; i < file.size(); i += chunk)
    f.feed(file.data() + i, std::min(chunk, file.size() - i));
  return f.finish();
}

TEST(GoLegacy, FindsVersionAndModulesThroughTheAddresses) {
  std::string mods =
      "path\texample.com/old\nmod\texample.com/old\tv0.1.0\th1:x=\ndep\tgithub.com/gin-gonic/"
      "gin\tv1.5.0\th1:y=\n";
  for (bool is64 : {true, false})
    for (bool le : {true, false}) {
      std::string file = legacy_binary("go1.16.15", mods, is64, le);
      for (size_t chunk : {1, 7, 100, 4096, 1 << 20}) {
        auto info = legacy_streamed(file, chunk);
        ASSERT_TRUE(info) << is64 << le << chunk;
        EXPECT_EQ(info->go_version, "go1.16.15");
        EXPECT_EQ(info->modinfo, mods);
      }
    }
  std::vector<std::string> warnings;
  auto pkgs = parse_go_buildinfo(
      *go_legacy_buildinfo_in(legacy_binary("go1.16.15", mods, true, true)), "/app", warnings);
  ASSERT_EQ(pkgs.size(), 3u);
  EXPECT_EQ(pkgs[0].name, "stdlib");
  EXPECT_EQ(pkgs[0].version, "1.16.15");
  EXPECT_EQ(pkgs[2].name, "github.com/gin-gonic/gin");
}

TEST(GoLegacy, GopathBinaryHasOnlyItsVersion) {
  auto info = go_legacy_buildinfo_in(legacy_binary("go1.13.8", "", true, true));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->go_version, "go1.13.8");
  EXPECT_EQ(info->modinfo, "");
}

TEST(GoLegacy, NothingFromOtherFiles) {
  EXPECT_EQ(go_legacy_buildinfo_in(""), std::nullopt);
  EXPECT_EQ(go_legacy_buildinfo_in("#!/bin/sh\ngo1.16\n"), std::nullopt);
  std::string file = legacy_binary("go1.16.15", "", true, true);
  auto at = file.find("\xff Go buildinf:");
  std::string broken = file;
  broken[at + 14] = 3;  // not a pointer size
  EXPECT_EQ(go_legacy_buildinfo_in(broken), std::nullopt);
  std::string cut = file.substr(0, at + 40);  // the string values are past the end
  EXPECT_EQ(go_legacy_buildinfo_in(cut), std::nullopt);
  // The 1.18+ form is read by read_go_buildinfo, not here.
  std::string modern = file;
  modern[at + 15] = 2;
  EXPECT_EQ(go_legacy_buildinfo_in(modern), std::nullopt);
  // Without the Go build ID note the file is not searched.
  std::string no_note = file;
  no_note.replace(no_note.find(std::string("Go\0\0", 4)), 2, "Xx");
  EXPECT_EQ(go_legacy_buildinfo_in(no_note), std::nullopt);
}

}  // namespace
}  // namespace kiln::scan
