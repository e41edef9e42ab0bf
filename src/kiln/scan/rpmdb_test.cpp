#include "kiln/scan/rpmdb.hpp"

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

}  // namespace
}  // namespace kiln::scan
