#include "kiln/scan/rpmdb.hpp"

#include <zlib.h>

#include <cstring>

#include <gtest/gtest.h>

namespace kiln::scan {
namespace {

TEST(Rpmdb, SourceRpmNames) {
  using P = std::pair<std::string, std::string>;
  EXPECT_EQ(split_source_rpm("bash-5.2.15-3.fc39.src.rpm"), P("bash", "5.2.15-3.fc39"));
  EXPECT_EQ(split_source_rpm("python3.11-3.11.5-1.el9_3.src.rpm"),
            P("python3.11", "3.11.5-1.el9_3"));
  EXPECT_EQ(split_source_rpm("kernel-rt-5.14.0-362.8.1.el9_3.nosrc.rpm"),
            P("kernel-rt", "5.14.0-362.8.1.el9_3"));
  EXPECT_EQ(split_source_rpm("noversion.src.rpm"), P());
  EXPECT_EQ(split_source_rpm("a-1.src.rpm"), P());
  EXPECT_EQ(split_source_rpm("bash-5.2.15-3.fc39.noarch.rpm"), P());
  EXPECT_EQ(split_source_rpm(""), P());
}

TEST(Rpmdb, NamesOfTheDatabaseFiles) {
  EXPECT_TRUE(is_rpmdb_name("rpmdb.sqlite"));
  EXPECT_TRUE(is_rpmdb_name("Packages"));
  EXPECT_TRUE(is_rpmdb_name("Packages.db"));
  EXPECT_FALSE(is_rpmdb_name("rpmdb.sqlite-wal"));
  EXPECT_FALSE(is_rpmdb_name("Name"));
}

TEST(Rpmdb, CorruptDatabaseWarnsAndListsNothing) {
  std::vector<std::string> warnings;
  auto got = parse_rpmdb(std::string(8192, '\x5a'), "", "rpmdb.sqlite", "/var/lib/rpm/rpmdb.sqlite",
                         warnings);
  EXPECT_TRUE(got.empty());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_TRUE(warnings[0].starts_with("/var/lib/rpm/rpmdb.sqlite: cannot read the rpm database: "))
      << warnings[0];
  EXPECT_EQ(warnings[0].find("kiln-rpmdb"), std::string::npos) << warnings[0];
}

// An ndb file as rpm's rpmpkg.c writes one: header, one slot page, each blob in its blocks.
// Slots: {index, blob}; an index of 0 leaves a free slot.
std::string ndb_file(const std::vector<std::pair<uint32_t, std::string>>& slots) {
  auto le = [](std::string& s, size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) s[at + i] = static_cast<char>(v >> (8 * i));
  };
  std::string db(4096, '\0');
  std::memcpy(db.data(), "RpmP", 4);
  le(db, 8, 7);   // generation
  le(db, 12, 1);  // one slot page
  le(db, 16, 9);  // next package index
  for (size_t at = 32; at < 4096; at += 16) std::memcpy(db.data() + at, "Slot", 4);
  size_t slot = 32;
  for (const auto& [index, blob] : slots) {
    if (index != 0) {
      uint32_t cnt = static_cast<uint32_t>((16 + blob.size() + 12 + 15) / 16);
      size_t off = db.size();
      std::string blocks(size_t{cnt} * 16, '\0');
      std::memcpy(blocks.data(), "BlbS", 4);
      le(blocks, 4, index);
      le(blocks, 8, 1700000000);
      le(blocks, 12, static_cast<uint32_t>(blob.size()));
      std::memcpy(blocks.data() + 16, blob.data(), blob.size());
      size_t tail = blocks.size() - 12;
      le(blocks, tail,
         static_cast<uint32_t>(
             adler32(1, reinterpret_cast<const Bytef*>(blocks.data()), static_cast<uInt>(tail))));
      le(blocks, tail + 4, static_cast<uint32_t>(blob.size()));
      std::memcpy(blocks.data() + tail + 8, "BlbE", 4);
      db += blocks;
      le(db, slot + 4, index);
      le(db, slot + 8, static_cast<uint32_t>(off / 16));
      le(db, slot + 12, cnt);
    }
    slot += 16;
  }
  return db;
}

TEST(RpmNdb, ListsTheBlobsOfUsedSlotsInIndexOrder) {
  std::vector<std::string> bad;
  auto got =
      ndb_blobs(ndb_file({{5, "fifth"}, {0, ""}, {2, std::string(4000, 'x')}, {3, ""}}), bad);
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_TRUE(bad.empty());
  ASSERT_EQ(got->size(), 3u);
  EXPECT_EQ((*got)[0].index, 2u);
  EXPECT_EQ((*got)[0].blob, std::string(4000, 'x'));
  EXPECT_EQ((*got)[1].index, 3u);
  EXPECT_EQ((*got)[1].blob, "");
  EXPECT_EQ((*got)[2].index, 5u);
  EXPECT_EQ((*got)[2].blob, "fifth");
}

TEST(RpmNdb, DamagedEntriesAreLeftOutAndNamed) {
  std::string db = ndb_file({{1, "one"}, {2, "two"}, {3, "three"}});
  db[4096 + 32 + 16 + 1] ^= 1;  // the second blob's byte: its Adler-32 no longer matches
  std::memcpy(db.data() + 4096 + 64, "XXXX", 4);  // the third blob's header magic
  std::vector<std::string> bad;
  auto got = ndb_blobs(db, bad);
  ASSERT_TRUE(got) << got.error().message();
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].blob, "one");
  ASSERT_EQ(bad.size(), 2u);
  EXPECT_EQ(bad[0], "package 2: checksum mismatch (Adler-32)");
  EXPECT_EQ(bad[1], "package 3: no blob header");

  std::string cut = ndb_file({{1, std::string(100, 'a')}});
  cut.resize(cut.size() - 16);
  bad.clear();
  got = ndb_blobs(cut, bad);
  ASSERT_TRUE(got);
  EXPECT_TRUE(got->empty());
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(bad[0], "package 1: its blocks pass the end of the file");
}

TEST(RpmNdb, DamagedFilesAreErrors) {
  std::vector<std::string> bad;
  auto not_ndb = ndb_blobs(std::string(8192, '\0'), bad);
  ASSERT_FALSE(not_ndb);
  EXPECT_EQ(not_ndb.error().message(), "not an ndb database (no RpmP header)");
  std::string v1 = ndb_file({});
  v1[4] = 1;
  EXPECT_EQ(ndb_blobs(v1, bad).error().code(), Errc::unsupported);
  std::string pages = ndb_file({});
  pages[12] = 3;  // three slot pages in a file of one
  EXPECT_EQ(ndb_blobs(pages, bad).error().message(), "3 slot pages in a file of 4096 bytes");
  std::string slot = ndb_file({});
  slot[48] = 'X';
  EXPECT_EQ(ndb_blobs(slot, bad).error().message(), "slot 3: no slot magic");
  EXPECT_FALSE(ndb_blobs("RpmP", bad));
}

TEST(RpmNdb, ABlobThatIsNotAHeaderIsAWarning) {
  std::vector<std::string> warnings;
  auto got = parse_rpmdb(ndb_file({{4, "not a header"}}), "", "Packages.db",
                         "/usr/lib/sysimage/rpm/Packages.db", warnings);
  EXPECT_TRUE(got.empty());
  ASSERT_EQ(warnings.size(), 1u);
  // Without librpm (not installed) the warning says so instead.
  if (warnings[0].find("librpm") == std::string::npos) {
    EXPECT_EQ(warnings[0],
              "/usr/lib/sysimage/rpm/Packages.db: damaged rpm database entry, left out: package 4: "
              "not an rpm header");
  }
}

}  // namespace
}  // namespace kiln::scan
