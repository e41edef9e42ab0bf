#include "kiln/scan/rustbinary.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>

namespace kiln::scan {
namespace {

std::string deflate(const std::string& s) {
  uLongf n = compressBound(s.size());
  std::string out(n, '\0');
  EXPECT_EQ(compress2(reinterpret_cast<Bytef*>(out.data()), &n,
                      reinterpret_cast<const Bytef*>(s.data()), s.size(), 7),
            Z_OK);
  out.resize(n);
  return out;
}

void put(std::string& s, size_t at, uint64_t v, size_t n, bool le) {
  for (size_t i = 0; i < n; ++i)
    s[at + (le ? i : n - 1 - i)] = static_cast<char>((v >> (8 * i)) & 0xff);
}

struct Sec {
  std::string name, data;
};

// An ELF file: the header, the sections' data in order, the names, and the section table at
// the end (as linkers lay it out) or, with `table_first`, right after the header.
std::string elf(const std::vector<Sec>& secs, bool is64 = true, bool le = true,
                bool table_first = false) {
  size_t hsize = is64 ? 64 : 52, ent = is64 ? 64 : 40;
  std::vector<Sec> all = {{"", ""}};
  all.insert(all.end(), secs.begin(), secs.end());
  std::string names(1, '\0');
  std::vector<size_t> name_at;
  for (auto& s : all) {
    name_at.push_back(s.name.empty() ? 0 : names.size());
    if (!s.name.empty()) names += s.name + '\0';
  }
  name_at.push_back(names.size());
  names += std::string(".shstrtab") + '\0';
  all.push_back({".shstrtab", names});
  std::string table(all.size() * ent, '\0');
  std::string file(hsize, '\0');
  file.replace(0, 4,
               "\x7f"
               "ELF");
  file[4] = is64 ? 2 : 1;
  file[5] = le ? 1 : 2;
  file[6] = 1;
  size_t table_at = table_first ? hsize : 0;
  if (table_first) file += table;
  std::vector<size_t> offsets;
  for (auto& s : all) {
    offsets.push_back(s.data.empty() ? 0 : file.size());
    file += s.data;
    file += "xx";  // filler, and a byte that starts every zlib header
  }
  if (!table_first) {
    table_at = file.size();
    file += table;
  }
  for (size_t i = 0; i < all.size(); ++i) {
    size_t at = table_at + i * ent;
    put(file, at, name_at[i], 4, le);
    put(file, at + 4, i == 0 ? 0 : 1, 4, le);
    put(file, at + (is64 ? 24 : 16), offsets[i], is64 ? 8 : 4, le);
    put(file, at + (is64 ? 32 : 20), all[i].data.size(), is64 ? 8 : 4, le);
  }
  put(file, is64 ? 0x28 : 0x20, table_at, is64 ? 8 : 4, le);
  size_t n = is64 ? 0x3a : 0x2e;
  put(file, n, ent, 2, le);
  put(file, n + 2, all.size(), 2, le);
  put(file, n + 4, all.size() - 1, 2, le);
  return file;
}

const std::string k_json =
    R"({"packages":[{"name":"app","version":"0.1.0","source":"local","root":true,)"
    R"("dependencies":[1,2]},{"name":"smallvec","version":"1.6.0","source":"crates.io"},)"
    R"({"name":"serde_derive","version":"1.0.190","source":"crates.io","kind":"build"}]})";

// Text with stray zlib-looking headers, and a decoy: the audit JSON compressed but not in the
// section.
std::string noise() {
  std::string out;
  for (int i = 0; i < 300; ++i)
    out +=
        "x\x9c"
        "x\xda"
        "x^x\x01 code ";
  return out + deflate(R"({"packages":[{"name":"decoy","version":"9.9.9"}]})");
}

std::optional<std::string> streamed(const std::string& file, size_t chunk) {
  RustAuditFinder f;
  for (size_t i = 0; i < file.size(); i += chunk)
    f.feed(file.data() + i, std::min(chunk, file.size() - i));
  return f.finish();
}

TEST(RustAudit, FindsTheSectionInMemoryAndStreamedInAnyChunking) {
  std::string file = elf({{".text", noise()}, {".dep-v0", deflate(k_json)}, {".data", noise()}});
  EXPECT_EQ(rust_audit_in(file), k_json);
  for (size_t chunk : {1, 2, 7, 64, 4096, 1 << 20})
    EXPECT_EQ(streamed(file, chunk), k_json) << chunk;
}

TEST(RustAudit, LayoutsAndByteOrders) {
  for (bool is64 : {true, false})
    for (bool le : {true, false})
      for (bool first : {true, false}) {
        std::string file = elf({{".text", noise()}, {".dep-v0", deflate(k_json)}}, is64, le, first);
        EXPECT_EQ(streamed(file, 100), k_json) << is64 << le << first;
      }
}

TEST(RustAudit, OnlyTheNamedSectionCounts) {
  EXPECT_EQ(rust_audit_in(elf({{".text", noise()}, {".rodata", deflate(k_json)}})), std::nullopt);
  EXPECT_EQ(rust_audit_in(elf({{".dep-v0", "not zlib"}})), std::nullopt);
  EXPECT_EQ(rust_audit_in(elf({{".dep-v0", deflate("[1,2,3]")}})), std::nullopt);
  std::string truncated = elf({{".dep-v0", deflate(k_json)}});
  truncated.resize(truncated.size() - 10);  // the section table cut short
  EXPECT_EQ(rust_audit_in(truncated), std::nullopt);
  EXPECT_EQ(rust_audit_in("#!/bin/sh\necho x\x9c\n"), std::nullopt);
  EXPECT_EQ(rust_audit_in(""), std::nullopt);
}

TEST(RustAudit, PackagesLeaveOutBuildDependencies) {
  std::vector<std::string> warnings;
  auto p = parse_rust_audit(k_json, "/usr/bin/app", warnings);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].type, "cargo");
  EXPECT_EQ(p[0].name, "app");
  EXPECT_EQ(p[0].origin, "local");
  EXPECT_EQ(p[1].name, "smallvec");
  EXPECT_EQ(p[1].version, "1.6.0");
  EXPECT_EQ(p[1].origin, "crates.io");
  EXPECT_EQ(p[1].db, "/usr/bin/app");
  EXPECT_TRUE(warnings.empty());
}

TEST(RustAudit, BadJsonWarns) {
  std::vector<std::string> warnings;
  EXPECT_TRUE(parse_rust_audit("{\"packages\":[", "/bin/x", warnings).empty());
  EXPECT_TRUE(parse_rust_audit(R"({"packages":[{"name":"a"},7]})", "/bin/y", warnings).empty());
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[0].find("/bin/x"), std::string::npos);
  EXPECT_NE(warnings[1].find("2 cargo auditable entries"), std::string::npos);
}

}  // namespace
}  // namespace kiln::scan
