#include "kiln/os/dir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "kiln/os/temp_dir.hpp"

namespace kiln::os {
namespace {

TEST(Dir, CreateListRemove) {
  auto t = TempDir::create("dirtest");
  ASSERT_TRUE(t);
  auto d = Dir::create(*t / "a/b/c");
  ASSERT_TRUE(d) << d.error().message();
  ASSERT_TRUE(write_file_atomic(*d, "f", "hello"));
  EXPECT_EQ(*read_file(*t / "a/b/c/f"), "hello");
  auto names = d->list();
  ASSERT_TRUE(names);
  EXPECT_EQ(*names, std::vector<std::string>{"f"}) << "no temporary files left behind";
  auto a = Dir::open(*t / "a");
  ASSERT_TRUE(a->remove_all("b"));
  EXPECT_FALSE(a->exists("b"));
  EXPECT_TRUE(a->remove_all("missing")) << "removing what is not there is fine";
}

TEST(Dir, MissingIsNotFound) {
  auto d = Dir::open("/nonexistent/kiln/dir");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code(), Errc::not_found);
  EXPECT_EQ(d.error().message(), "open directory /nonexistent/kiln/dir: No such file or directory");
}

TEST(Dir, OpenInRootContainsEscapes) {
  auto t = TempDir::create("dirtest");
  auto root = Dir::create(*t / "root");
  ASSERT_TRUE(write_file_atomic(*Dir::open(t->path()), "secret", "host"));
  ASSERT_TRUE(write_file_atomic(*root, "inside", "root"));
  ASSERT_EQ(symlinkat("/secret", root->fd(), "abs"), 0);
  ASSERT_EQ(symlinkat("../../secret", root->fd(), "rel"), 0);
  // Absolute and relative symlinks and ".." resolve inside the root, never to the host file.
  for (const char* p : {"abs", "rel", "../secret", "/secret", "../../../secret"}) {
    auto fd = root->open_in_root(p, O_RDONLY);
    EXPECT_FALSE(fd) << p << " must not reach the host's secret";
  }
  ASSERT_TRUE(write_file_atomic(*root, "secret", "contained"));
  auto fd = root->open_in_root("abs", O_RDONLY);
  ASSERT_TRUE(fd);
  EXPECT_EQ(*read_fd(fd->get()), "contained");
}

TEST(TempFile, LinkIsAtomicAndIdempotent) {
  auto t = TempDir::create("dirtest");
  auto d = Dir::open(t->path());
  {
    auto f = TempFile::create(*d);
    ASSERT_TRUE(f);
    ASSERT_TRUE(write_all(f->fd(), "abc", 3));
    EXPECT_EQ(d->list()->size(), 0u) << "nothing visible before link_as";
    ASSERT_TRUE(f->link_as("name"));
  }
  {
    auto f = TempFile::create(*d);
    ASSERT_TRUE(write_all(f->fd(), "xyz", 3));
    ASSERT_TRUE(f->link_as("name")) << "an existing content-addressed name is success";
  }
  {
    auto f = TempFile::create(*d);
    ASSERT_TRUE(write_all(f->fd(), "dropped", 7));
  }
  EXPECT_EQ(*read_file(*t / "name"), "abc");
  EXPECT_EQ(d->list()->size(), 1u) << "an unlinked temp file leaves nothing";
}

}  // namespace
}  // namespace kiln::os
