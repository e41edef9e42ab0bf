// TarChecker: the layer probe's structural check of a tar stream, fed in pieces of every size.
#include "kiln/archive/tar_check.hpp"

#include <gtest/gtest.h>

#include <cstring>

#include "kiln/archive/tar.hpp"
#include "kiln/archive/tar_header.hpp"

namespace kiln::archive {
namespace {

std::string make_tar(const std::vector<std::pair<std::string, std::string>>& files) {
  io::StringWriter out;
  auto w = TarWriter::open(out);
  EXPECT_TRUE(w);
  for (const auto& [path, data] : files) {
    Entry e;
    e.path = path;
    e.size = static_cast<int64_t>(data.size());
    EXPECT_TRUE((*w)->add(e));
    if (!data.empty()) {
      EXPECT_TRUE((*w)->write_data(data.data(), data.size()));
    }
  }
  EXPECT_TRUE((*w)->finish());
  return out.take();
}

// A raw ustar header with a correct checksum.
std::string header(const std::string& name, char type, int64_t size) {
  std::string h(512, '\0');
  std::memcpy(h.data(), name.data(), std::min<size_t>(name.size(), 100));
  std::snprintf(h.data() + 100, 8, "%07o", 0644);
  std::snprintf(h.data() + 124, 12, "%011llo", static_cast<unsigned long long>(size));
  h[156] = type;
  std::memcpy(h.data() + 257, "ustar\00000", 8);
  std::memset(h.data() + 148, ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  std::snprintf(h.data() + 148, 8, "%06o", sum);
  return h;
}

Status check(const std::string& tar, size_t piece) {
  TarChecker c;
  for (size_t i = 0; i < tar.size(); i += piece)
    KILN_TRY(c.write(tar.data() + i, std::min(piece, tar.size() - i)));
  return c.finish();
}

class TarCheckPieces : public ::testing::TestWithParam<size_t> {};

TEST_P(TarCheckPieces, AcceptsWellFormedArchives) {
  auto tar = make_tar({{"a", "hello"},
                       {"dir/b", std::string(1000, 'x')},
                       {"empty", ""},
                       {std::string(150, 'n'), "long name (PAX)"}});
  auto st = check(tar, GetParam());
  EXPECT_TRUE(st) << st.error().message();
  EXPECT_TRUE(check("", GetParam())) << "an empty layer";
  // umoci writes no padding and no end marker after the last member's data.
  std::string bare = header("f", '0', 3) + "abc";
  EXPECT_TRUE(check(bare, GetParam()));
}

TEST_P(TarCheckPieces, RefusesADamagedHeaderAfterValidMembers) {
  auto good = make_tar({{"a", "hello"}, {"b", "world"}});
  std::string bad = header("c", '0', 4);
  bad[0] ^= 1;  // the checksum no longer matches
  std::string tar =
      good.substr(0, 2048) + bad + "data" + std::string(508, '\0') + std::string(1024, '\0');
  auto st = check(tar, GetParam());
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), Errc::corrupt);
  EXPECT_EQ(st.error().message(),
            "tar: bad header checksum (header at byte 2048, after 2 members, the last b)");
}

TEST_P(TarCheckPieces, RefusesWhatIsNotTar) {
  auto st = check(std::string(4096, 'j'), GetParam());
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message(),
            "tar: not a tar archive (bad header checksum) (header at byte 0, at the first member)");
}

TEST_P(TarCheckPieces, RefusesTruncation) {
  auto tar = make_tar({{"a", std::string(3000, 'x')}});
  auto st = check(tar.substr(0, 512 + 1000), GetParam());
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message().find("truncated: the stream ends 2000 bytes short of member a"),
            std::string::npos)
      << st.error().message();
  st = check(tar.substr(0, 100), GetParam());
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message().find("ends inside a header"), std::string::npos);
}

TEST_P(TarCheckPieces, RefusesAHeaderAfterOneZeroBlock) {
  std::string tar = header("a", '0', 0) + std::string(512, '\0') + header("b", '0', 0);
  auto st = check(tar, GetParam());
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message().find("follows a single end-of-archive block"), std::string::npos);
}

TEST_P(TarCheckPieces, IgnoresWhatFollowsTheEndMarker) {
  std::string tar = header("a", '0', 0) + std::string(1024, '\0') + std::string(700, 'z');
  EXPECT_TRUE(check(tar, GetParam()));
}

TEST_P(TarCheckPieces, RefusesSparseMembers) {
  // GNU 'S': a 1 TiB file of holes in one 512-byte block.
  std::string gnu = header("huge", 'S', 512);
  auto st = check(gnu + std::string(512, '\0') + std::string(1024, '\0'), GetParam());
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message().find("member huge is a sparse file (GNU sparse header)"),
            std::string::npos)
      << st.error().message();
  // PAX 1.0 sparse: the keys on the next member.
  std::string recs = "30 GNU.sparse.realsize=1099511627776\n";
  recs = std::to_string(recs.size()) + recs.substr(2);
  std::string pax = header("PaxHeaders/huge", 'x', static_cast<int64_t>(recs.size())) + recs +
                    std::string(512 - recs.size(), '\0') + header("huge", '0', 0) +
                    std::string(1024, '\0');
  st = check(pax, GetParam());
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message().find("sparse file (PAX GNU.sparse.realsize)"), std::string::npos)
      << st.error().message();
}

TEST_P(TarCheckPieces, HonoursPaxSizes) {
  // A PAX size overrides the header's: the checker must skip 600 bytes, not 0.
  std::string rec = "12 size=600\n";
  std::string tar = header("PaxHeaders/a", 'x', 12) + rec + std::string(500, '\0') +
                    header("a", '0', 0) + std::string(600, 'd') + std::string(424, '\0') +
                    std::string(1024, '\0');
  auto st = check(tar, GetParam());
  EXPECT_TRUE(st) << st.error().message();
}

INSTANTIATE_TEST_SUITE_P(Pieces, TarCheckPieces, ::testing::Values(1, 7, 512, 1 << 20));

TEST(TarHeader, Numbers) {
  unsigned char octal[12] = {'0', '0', '0', '0', '0', '0', '0', '0', '0', '1', '7', 0};
  EXPECT_EQ(*parse_tar_number(octal, 12, "size"), 15);
  unsigned char b256[12] = {0x80, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0};
  EXPECT_EQ(*parse_tar_number(b256, 12, "size"), int64_t{1} << 32);
  unsigned char neg[12] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  EXPECT_FALSE(parse_tar_number(neg, 12, "size"));
  unsigned char junk[12] = {'1', 'x', 0};
  EXPECT_FALSE(parse_tar_number(junk, 12, "size"));
}

}  // namespace
}  // namespace kiln::archive
