#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "kiln/archive/apply.hpp"
#include "kiln/archive/path.hpp"
#include "kiln/archive/tar.hpp"
#include "kiln/archive/walk.hpp"
#include "kiln/os/temp_dir.hpp"

namespace kiln::archive {
namespace {

// Builds a tar in memory from entries (file data given per entry).
std::string make_tar(const std::vector<std::pair<Entry, std::string>>& entries) {
  io::StringWriter out;
  auto w = TarWriter::open(out);
  EXPECT_TRUE(w);
  for (auto [e, data] : entries) {
    if (e.type == EntryType::file) e.size = static_cast<int64_t>(data.size());
    EXPECT_TRUE((*w)->add(e)) << e.path;
    if (!data.empty()) {
      EXPECT_TRUE((*w)->write_data(data.data(), data.size()));
    }
  }
  EXPECT_TRUE((*w)->finish());
  return out.take();
}

Entry file(std::string path, uint32_t mode = 0644) {
  Entry e;
  e.path = std::move(path);
  e.mode = mode;
  e.mtime = 1700000000;
  return e;
}

Entry of_type(std::string path, EntryType t, std::string link = "") {
  Entry e = file(std::move(path), t == EntryType::dir ? 0755 : 0777);
  e.type = t;
  e.linkname = std::move(link);
  return e;
}

std::vector<Entry> read_entries(const std::string& tar, std::vector<std::string>* data = nullptr) {
  io::StringReader src(tar);
  auto r = TarReader::open(src);
  EXPECT_TRUE(r);
  std::vector<Entry> out;
  while (true) {
    auto e = (*r)->next();
    EXPECT_TRUE(e) << e.error().message();
    if (!e || !*e) break;
    EntryReader body(**r);
    auto d = io::read_all(body, 1 << 20);
    if (data) data->push_back(*d);
    out.push_back(**e);
  }
  return out;
}

TEST(Tar, RoundTripsPaxFeatures) {
  std::string long_name = std::string(150, 'n') + "/" + std::string(120, 'f');
  Entry big_ids = file("ids");
  big_ids.uid = 3000000;  // beyond ustar's 7 octal digits
  big_ids.gid = 4000000;
  Entry xa = file("xattr");
  xa.xattrs["security.capability"] = std::string("\x01\x00\x00\x02", 4);
  xa.xattrs["user.note"] = "hi";
  Entry dev = of_type("dev/null", EntryType::chardev);
  dev.devmajor = 1;
  dev.devminor = 3;
  std::string tar = make_tar({{of_type("dir/", EntryType::dir), ""},
                              {file(long_name), "long"},
                              {of_type("ln", EntryType::symlink, std::string(200, 't')), ""},
                              {of_type("hard", EntryType::hardlink, long_name), ""},
                              {big_ids, "x"},
                              {xa, "y"},
                              {dev, ""},
                              {of_type("fifo", EntryType::fifo), ""},
                              {file("suid", 04755), "s"}});
  EXPECT_EQ(tar.size() % 512, 0u);
  std::vector<std::string> data;
  auto es = read_entries(tar, &data);
  ASSERT_EQ(es.size(), 9u);
  EXPECT_EQ(es[0].type, EntryType::dir);
  EXPECT_EQ(es[1].path, long_name);
  EXPECT_EQ(data[1], "long");
  EXPECT_EQ(es[2].linkname, std::string(200, 't'));
  EXPECT_EQ(es[3].type, EntryType::hardlink);
  EXPECT_EQ(es[3].linkname, long_name);
  EXPECT_EQ(es[4].uid, 3000000u);
  EXPECT_EQ(es[4].gid, 4000000u);
  EXPECT_EQ(es[5].xattrs.at("user.note"), "hi");
  EXPECT_EQ(es[5].xattrs.at("security.capability"), std::string("\x01\x00\x00\x02", 4));
  EXPECT_EQ(es[6].type, EntryType::chardev);
  EXPECT_EQ(es[6].devminor, 3u);
  EXPECT_EQ(es[7].type, EntryType::fifo);
  EXPECT_EQ(es[8].mode, 04755u);
  EXPECT_EQ(es[8].mtime, 1700000000);
  EXPECT_EQ(tar.find("LIBARCHIVE.xattr"), std::string::npos)
      << "only SCHILY.xattr headers, as Go writes";
}

TEST(Tar, FilesBeyondUstarLimitsGetPaxSize) {
  // 9 GiB does not fit ustar's 11 octal digits: the size must go into a PAX record.
  io::StringWriter out;
  auto w = TarWriter::open(out);
  Entry big = file("big");
  big.size = 9LL << 30;
  ASSERT_TRUE((*w)->add(big));
  EXPECT_NE(out.data().find("size=9663676416"), std::string::npos);
  // Read side: a header declaring 9 GiB is parsed as such (the data itself is absent here).
  io::StringReader src(out.data() + std::string(1024, '\0'));
  auto r = TarReader::open(src);
  ASSERT_TRUE(r);
  auto e = (*r)->next();
  ASSERT_TRUE(e && *e);
  EXPECT_EQ((*e)->size, 9LL << 30);
}

TEST(Tar, RejectsNonTarAndTruncation) {
  io::StringReader junk(std::string(2048, 'x'));
  auto r = TarReader::open(junk);
  ASSERT_FALSE(r) << "junk is refused when the stream is opened";
  EXPECT_EQ(r.error().code(), Errc::corrupt);
  EXPECT_EQ(r.error().message(), "open tar stream: not a tar archive");

  std::string tar = make_tar({{file("a"), std::string(5000, 'a')}, {file("b"), "b"}});
  io::StringReader cut(tar.substr(0, 1500));
  auto r2 = TarReader::open(cut);
  bool failed = false;
  while (true) {
    auto n = (*r2)->next();
    if (!n) {
      failed = true;
      break;
    }
    if (!*n) break;
    EntryReader body(**r2);
    if (!io::read_all(body, 1 << 20)) {
      failed = true;
      break;
    }
  }
  EXPECT_TRUE(failed) << "a truncated archive must not read as complete";
}

TEST(Tar, EmptyStreamIsEmptyArchive) {
  io::StringReader empty("");
  auto r = TarReader::open(empty);
  ASSERT_TRUE(r);
  auto e = (*r)->next();
  ASSERT_TRUE(e) << e.error().message();
  EXPECT_FALSE(*e);
}

TEST(Path, CleansUntrustedNames) {
  EXPECT_EQ(clean_path("./a/../b/"), "b");
  EXPECT_EQ(clean_path("../../etc/passwd"), "etc/passwd");
  EXPECT_EQ(clean_path("/abs//x/."), "abs/x");
  EXPECT_EQ(clean_path("/"), "");
  EXPECT_TRUE(escapes_root("../x"));
  EXPECT_TRUE(escapes_root("/x"));
  EXPECT_TRUE(escapes_root("a/../../x"));
  EXPECT_FALSE(escapes_root("a/../x"));
}

class ApplyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp = std::make_unique<os::TempDir>(*os::TempDir::create("apply"));
    root = *os::Dir::create(*tmp / "root");
    ASSERT_TRUE(os::write_file_atomic(*os::Dir::open(tmp->path()), "host-secret", "host"));
  }
  Result<ApplyStats> apply(const std::string& tar) {
    io::StringReader src(tar);
    auto r = KILN_TRY(TarReader::open(src));
    ApplyOptions o;
    o.same_owner = geteuid() == 0;
    return apply_layer(root, *r, o);
  }
  std::string read(const std::string& rel) {
    auto s = os::read_file(*tmp / ("root/" + rel));
    return s ? *s : "<missing>";
  }
  std::unique_ptr<os::TempDir> tmp;
  os::Dir root;
};

TEST_F(ApplyTest, WritesTreeWithMetadata) {
  Entry exe = file("usr/bin/tool", 0755);
  exe.mtime = 1234567890;
  auto st = apply(make_tar({{exe, "#!/bin/sh\n"},
                            {of_type("usr/bin/link", EntryType::symlink, "tool"), ""},
                            {of_type("usr/bin/hard", EntryType::hardlink, "usr/bin/tool"), ""},
                            {of_type("etc/", EntryType::dir), ""}}));
  ASSERT_TRUE(st) << st.error().message();
  EXPECT_EQ(read("usr/bin/tool"), "#!/bin/sh\n");
  struct stat s {};
  ASSERT_EQ(lstat((*tmp / "root/usr/bin/tool").c_str(), &s), 0);
  EXPECT_EQ(s.st_mode & 07777, 0755u);
  EXPECT_EQ(s.st_mtime, 1234567890);
  EXPECT_EQ(s.st_nlink, 2u);
  char buf[64] = {};
  ASSERT_GT(readlink((*tmp / "root/usr/bin/link").c_str(), buf, sizeof buf), 0);
  EXPECT_STREQ(buf, "tool");
}

TEST_F(ApplyTest, ContainsDotDotAndAbsoluteNames) {
  auto st = apply(make_tar({{file("../../host-secret"), "pwned"}, {file("/abs"), "abs"}}));
  ASSERT_TRUE(st) << st.error().message();
  EXPECT_EQ(*os::read_file(*tmp / "host-secret"), "host");
  EXPECT_EQ(read("host-secret"), "pwned") << "contained inside the root";
  EXPECT_EQ(read("abs"), "abs");
}

TEST_F(ApplyTest, SymlinkEscapesStayInside) {
  // A symlink to the host path, then a file written "through" it.
  auto st = apply(make_tar({{of_type("evil", EntryType::symlink, "/"), ""},
                            {of_type("up", EntryType::symlink, "../.."), ""},
                            {file("evil/host-secret"), "via-abs"},
                            {file("up/host-secret2"), "via-rel"}}));
  ASSERT_TRUE(st) << st.error().message();
  EXPECT_EQ(*os::read_file(*tmp / "host-secret"), "host");
  EXPECT_FALSE(os::read_file(*tmp / "host-secret2"));
  EXPECT_EQ(read("host-secret"), "via-abs");
  EXPECT_EQ(read("host-secret2"), "via-rel");
}

TEST_F(ApplyTest, HardlinkCannotReachOutside) {
  auto st = apply(make_tar({{of_type("escape", EntryType::hardlink, "../host-secret"), ""}}));
  ASSERT_FALSE(st) << "a hardlink to a file outside the root must fail";
  EXPECT_EQ(st.error().message(),
            "entry escape: hardlink to ../host-secret: No such file or directory");
  auto st2 = apply(make_tar({{of_type("sl", EntryType::symlink, "/"), ""},
                             {of_type("escape2", EntryType::hardlink, "sl/../host-secret"), ""}}));
  EXPECT_FALSE(st2);
  struct stat s {};
  ASSERT_EQ(stat((*tmp / "host-secret").c_str(), &s), 0);
  EXPECT_EQ(s.st_nlink, 1u) << "the host file gained no link";
}

TEST_F(ApplyTest, Whiteouts) {
  ASSERT_TRUE(apply(make_tar({{file("a/keep"), "1"},
                              {file("a/gone"), "2"},
                              {file("b/x"), "3"},
                              {file("b/y"), "4"},
                              {file("c"), "5"}})));
  auto st = apply(make_tar({{file("a/.wh.gone"), ""},
                            {of_type("b/", EntryType::dir), ""},
                            {file("b/.wh..wh..opq"), ""},
                            {file("b/new"), "6"},
                            {file(".wh.c"), ""}}));
  ASSERT_TRUE(st) << st.error().message();
  EXPECT_EQ(read("a/keep"), "1");
  EXPECT_EQ(read("a/gone"), "<missing>");
  EXPECT_EQ(read("b/x"), "<missing>") << "opaque dir hides lower content";
  EXPECT_EQ(read("b/new"), "6") << "but keeps what this layer adds";
  EXPECT_EQ(read("c"), "<missing>");
  EXPECT_FALSE(root.exists("a/.wh.gone")) << "whiteouts are not materialised";
}

TEST_F(ApplyTest, ReplacesFileWithDirectoryAndBack) {
  ASSERT_TRUE(apply(
      make_tar({{file("x"), "file"}, {of_type("y/", EntryType::dir), ""}, {file("y/z"), "z"}})));
  ASSERT_TRUE(apply(make_tar({{of_type("x/", EntryType::dir), ""}, {file("y"), "now a file"}})));
  EXPECT_TRUE(S_ISDIR(root.stat("x")->st_mode));
  EXPECT_EQ(read("y"), "now a file");
}

TEST_F(ApplyTest, BombGuard) {
  io::StringReader src(make_tar({{file("big"), std::string(1 << 20, 'z')}}));
  auto r = TarReader::open(src);
  ApplyOptions o;
  o.same_owner = false;
  o.max_bytes = 1000;
  auto st = apply_layer(root, **r, o);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message(), "entry big: layer expands beyond the limit of 1000 bytes");
}

TEST_F(ApplyTest, DevicesAndOwnersAsRoot) {
  if (geteuid() != 0) GTEST_SKIP() << "creating devices and chown need root";
  Entry dev = of_type("dev/null", EntryType::chardev);
  dev.devmajor = 1;
  dev.devminor = 3;
  Entry owned = file("owned");
  owned.uid = 1234;
  owned.gid = 5678;
  ASSERT_TRUE(apply(make_tar({{dev, ""}, {owned, "o"}})));
  auto s = root.stat("dev/null");
  EXPECT_TRUE(S_ISCHR(s->st_mode));
  EXPECT_EQ(major(s->st_rdev), 1u);
  EXPECT_EQ(root.stat("owned")->st_uid, 1234u);
  EXPECT_EQ(root.stat("owned")->st_gid, 5678u);
}

TEST(Walk, DeterministicSortedTreeWithHardlinksAndClamp) {
  auto t = os::TempDir::create("walk");
  auto d = os::Dir::create(*t / "tree");
  ASSERT_TRUE(os::Dir::create(*t / "tree/b/sub"));
  ASSERT_TRUE(os::write_file_atomic(*d, "z", "zz"));
  ASSERT_TRUE(os::write_file_atomic(*os::Dir::open(*t / "tree/b"), "a", "ba"));
  ASSERT_EQ(link((*t / "tree/z").c_str(), (*t / "tree/b/hard").c_str()), 0);
  ASSERT_EQ(symlink("z", (*t / "tree/a-link").c_str()), 0);
  setxattr((*t / "tree/z").c_str(), "user.k", "v", 1, 0);  // may be unsupported on tmpfs
  auto tar_of = [&] {
    io::StringWriter out;
    auto w = TarWriter::open(out);
    WalkOptions o;
    o.clamp_mtime = 1000;
    EXPECT_TRUE(write_tree(*d, **w, o));
    EXPECT_TRUE((*w)->finish());
    return out.take();
  };
  std::string one = tar_of(), two = tar_of();
  EXPECT_EQ(one, two);
  auto es = read_entries(one);
  std::vector<std::string> names;
  for (const auto& e : es) names.push_back(e.path);
  EXPECT_EQ(names, (std::vector<std::string>{"a-link", "b/", "b/a", "b/hard", "b/sub/", "z"}));
  EXPECT_EQ(es[3].type, EntryType::file) << "first occurrence carries the data";
  EXPECT_EQ(es[5].type, EntryType::hardlink);
  EXPECT_EQ(es[5].linkname, "b/hard");
  for (const auto& e : es) EXPECT_EQ(e.mtime, 1000) << e.path;
}

TEST(Walk, OverlayWhiteoutsBecomeOciWhiteouts) {
  if (geteuid() != 0) GTEST_SKIP() << "mknod of a whiteout device needs root";
  auto t = os::TempDir::create("walk");
  auto d = os::Dir::create(*t / "upper");
  ASSERT_EQ(mknodat(d->fd(), "deleted", S_IFCHR | 0, makedev(0, 0)), 0);
  ASSERT_TRUE(os::Dir::create(*t / "upper/opq"));
  if (setxattr((*t / "upper/opq").c_str(), "trusted.overlay.opaque", "y", 1, 0) != 0)
    GTEST_SKIP() << "this filesystem has no trusted xattrs";
  io::StringWriter out;
  auto w = TarWriter::open(out);
  WalkOptions o;
  o.overlay_whiteouts = true;
  ASSERT_TRUE(write_tree(*d, **w, o));
  ASSERT_TRUE((*w)->finish());
  std::vector<std::string> names;
  for (const auto& e : read_entries(out.data())) names.push_back(e.path);
  EXPECT_EQ(names, (std::vector<std::string>{".wh.deleted", "opq/", "opq/.wh..wh..opq"}));
}

}  // namespace
}  // namespace kiln::archive
