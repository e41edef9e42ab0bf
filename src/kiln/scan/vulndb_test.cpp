#include "kiln/scan/vulndb.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "kiln/os/temp_dir.hpp"
#include "kiln/scan/db_import.hpp"
#include "kiln/scan/osv_json.hpp"

namespace kiln::scan {
namespace {

constexpr const char* k_doc = R"({
  "id": "DSA-5532-1", "summary": "openssl - security update", "upstream": ["CVE-2023-5363"],
  "aliases": [], "modified": "2023-10-24T00:00:00Z",
  "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}],
  "affected": [{"package": {"ecosystem": "Debian:12", "name": "openssl"},
                "ranges": [{"type": "ECOSYSTEM",
                            "events": [{"introduced": "0"}, {"fixed": "3.0.11-1~deb12u2"}]}],
                "versions": ["3.0.9-1"]}],
  "references": [{"type": "WEB", "url": "https://w"}, {"type": "ADVISORY", "url": "https://a"}]
})";

void write(const std::string& path, std::string_view text) {
  std::ofstream(path) << text;
}

TEST(Osv, ParsesWhatMatchingUses) {
  auto a = parse_osv(k_doc);
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ(a->id, "DSA-5532-1");
  EXPECT_EQ(a->upstream, std::vector<std::string>{"CVE-2023-5363"});
  EXPECT_EQ(a->url, "https://a");
  ASSERT_EQ(a->affected.size(), 1u);
  EXPECT_EQ(a->affected[0].ranges[0].events[1].kind, OsvEvent::fixed);
  EXPECT_EQ(a->affected[0].versions, std::vector<std::string>{"3.0.9-1"});
}

TEST(Osv, MalformedDocumentsAreErrorsNamingWhat) {
  EXPECT_FALSE(parse_osv("not json"));
  EXPECT_FALSE(parse_osv("[1]"));
  EXPECT_NE(parse_osv(R"({"summary": "x"})").error().message().find("id"), std::string::npos);
  auto no_pkg = parse_osv(R"({"id": "X-1", "affected": [{"ranges": []}]})");
  ASSERT_FALSE(no_pkg);
  EXPECT_NE(no_pkg.error().message().find("no package"), std::string::npos);
  auto bad_event = parse_osv(
      R"({"id": "X-1", "affected": [{"package": {"ecosystem": "npm", "name": "a"},
          "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"oops": "1"}]}]}]})");
  ASSERT_FALSE(bad_event);
  EXPECT_NE(bad_event.error().message().find("npm a"), std::string::npos);
  std::string deep(100000, '[');
  EXPECT_FALSE(parse_osv(deep));
}

TEST(VulnDb, WriteReadReplaceAndDropSource) {
  auto tmp = *os::TempDir::create("vulndb");
  std::string path = tmp.path() + "/db/advisories.db";
  EXPECT_EQ(VulnDb::open(path).error().code(), Errc::not_found);
  {
    auto w = *VulnDbWriter::begin(path);
    ASSERT_TRUE(w->add(*parse_osv(k_doc), "src-a"));
    ASSERT_TRUE(w->set_source({"src-a", "", "", 0, 1}));
    ASSERT_TRUE(w->commit());
  }
  auto db = *VulnDb::open(path);
  auto rows = *db->affected("Debian:12", "openssl");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].ranges[0].events[1].version, "3.0.11-1~deb12u2");
  EXPECT_EQ(rows[0].versions, std::vector<std::string>{"3.0.9-1"});
  auto adv = *db->advisory(rows[0].advisory);
  EXPECT_EQ(adv.id, "DSA-5532-1");
  EXPECT_EQ(adv.severity, "HIGH");  // computed from the vector: 7.5
  EXPECT_EQ(adv.score_tenths, 75);
  EXPECT_TRUE(db->affected("Debian:11", "openssl")->empty());

  // A writer that does not commit changes nothing; one that does replaces by ID.
  {
    auto w = *VulnDbWriter::begin(path);
    ASSERT_TRUE(w->drop_source("src-a"));
  }
  EXPECT_EQ(VulnDb::open(path).value()->affected("Debian:12", "openssl")->size(), 1u);
  {
    auto w = *VulnDbWriter::begin(path);
    std::string moved = k_doc;
    moved.replace(moved.find("\"openssl\""), 9, "\"openssl2\"");
    ASSERT_TRUE(w->add(*parse_osv(moved), "src-b"));
    ASSERT_TRUE(w->commit());
  }
  db = *VulnDb::open(path);
  EXPECT_TRUE(db->affected("Debian:12", "openssl")->empty());
  EXPECT_EQ(db->affected("Debian:12", "openssl2")->size(), 1u);
  EXPECT_EQ(db->status()->advisories, 1);
  {
    auto w = *VulnDbWriter::begin(path);
    EXPECT_EQ(*w->drop_source("src-b"), 1);
    ASSERT_TRUE(w->commit());
  }
  EXPECT_EQ(VulnDb::open(path).value()->status()->advisories, 0);
}

TEST(VulnDb, ImportsDirectoriesAndWarnsOnBadDocuments) {
  auto tmp = *os::TempDir::create("vulndb");
  std::string dir = tmp.path() + "/osv";
  ASSERT_TRUE(os::Dir::create(dir + "/sub"));
  write(dir + "/a.json", k_doc);
  write(dir + "/sub/broken.json", "{\"id\": ");
  write(dir + "/sub/notes.txt", "ignored");
  std::string path = tmp.path() + "/advisories.db";
  auto w = *VulnDbWriter::begin(path);
  auto st = import_osv(*w, dir, "osv");
  ASSERT_TRUE(st) << st.error().message();
  EXPECT_EQ(st->advisories, 1);
  ASSERT_EQ(st->warnings.size(), 1u);
  EXPECT_NE(st->warnings[0].find("sub/broken.json: not a JSON document"), std::string::npos);
  // A file that is neither JSON nor an archive is an error.
  write(tmp.path() + "/junk.bin", "\x01\x02garbage");
  EXPECT_FALSE(import_osv(*w, tmp.path() + "/junk.bin", "junk"));
  EXPECT_FALSE(import_osv(*w, tmp.path() + "/missing", "missing"));
}

}  // namespace
}  // namespace kiln::scan
