// One suite for every storage driver (driver.hpp): each test runs against the filesystem
// driver and the memory driver, and against the S3 driver when KILN_TEST_S3_ENDPOINT names an
// S3 engine (tests/test_registry_s3.sh starts Ceph RGW and runs the S3 instantiation).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

#include "kiln/os/temp_dir.hpp"
#include "kiln/registry/server/driver.hpp"
#include "kiln/registry/server/fault_driver.hpp"
#include "kiln/registry/server/s3_driver.hpp"
#include "kiln/registry/server/s3_test_env.hpp"

namespace kiln::registry::server {
namespace {

class DriverSuite : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "memory") {
      m_driver = memory_driver();
    } else if (GetParam() == "faulty-without-faults") {
      // The fault-injecting wrapper passes the whole suite when no fault is set.
      m_inner = memory_driver();
      m_driver = std::make_unique<FaultDriver>(*m_inner);
    } else if (GetParam() == "s3") {
      auto d = s3_driver(test_s3_options());
      ASSERT_TRUE(d) << d.error().message();
      m_driver = std::move(*d);
    } else {
      m_dir = std::make_unique<os::TempDir>(std::move(*os::TempDir::create("drivertest")));
      m_driver = std::move(*filesystem_driver(m_dir->path() + "/root"));
    }
  }
  Driver& d() { return *m_driver; }
  std::unique_ptr<os::TempDir> m_dir;
  std::unique_ptr<Driver> m_inner;
  std::unique_ptr<Driver> m_driver;
};

// S3 only where an engine is configured: then the suite runs under its own prefix each time.
std::vector<std::string> s3_params() {
  const char* e = std::getenv("KILN_TEST_S3_ENDPOINT");
  return e && *e ? std::vector<std::string>{"s3"} : std::vector<std::string>{};
}

TEST_P(DriverSuite, PutGetReplace) {
  ASSERT_TRUE(d().put("a/b/c", "one"));
  EXPECT_EQ(*d().get("a/b/c"), "one");
  ASSERT_TRUE(d().put("a/b/c", "two"));
  EXPECT_EQ(*d().get("a/b/c"), "two");
  auto st = d().stat("a/b/c");
  ASSERT_TRUE(st);
  EXPECT_EQ(st->size, 3);
  EXPECT_FALSE(st->dir);
  EXPECT_TRUE(d().stat("a/b")->dir);
}

TEST_P(DriverSuite, PutVolatileIsAtomicToo) {
  ASSERT_TRUE(d().put_volatile("x/y", "scratch"));
  EXPECT_EQ(*d().get("x/y"), "scratch");
  ASSERT_TRUE(d().put_volatile("x/y", "more"));
  EXPECT_EQ(*d().get("x/y"), "more");
  EXPECT_EQ(*d().list("x"), std::vector<std::string>{"y"}) << "no temporary files left behind";
}

TEST_P(DriverSuite, MissingIsNotFound) {
  EXPECT_EQ(d().get("nope").error().code(), Errc::not_found);
  EXPECT_EQ(d().stat("nope/x").error().code(), Errc::not_found);
  EXPECT_EQ(d().open("nope").error().code(), Errc::not_found);
  auto l = d().list("nope");
  ASSERT_TRUE(l);
  EXPECT_TRUE(l->empty());
  EXPECT_TRUE(d().remove("nope")) << "removing what is not there is fine";
}

TEST_P(DriverSuite, ListIsSortedAndShallow) {
  ASSERT_TRUE(d().put("r/b", "1"));
  ASSERT_TRUE(d().put("r/a/x", "2"));
  ASSERT_TRUE(d().put("r/c", "3"));
  EXPECT_EQ(*d().list("r"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(*d().list("r/a"), (std::vector<std::string>{"x"}));
}

TEST_P(DriverSuite, MoveReplacesAndRemoveTakesTrees) {
  ASSERT_TRUE(d().put("up/1", "data"));
  ASSERT_TRUE(d().put("blobs/x", "old"));
  ASSERT_TRUE(d().move("up/1", "blobs/x"));
  EXPECT_EQ(*d().get("blobs/x"), "data");
  EXPECT_FALSE(d().stat("up/1"));
  ASSERT_TRUE(d().move("blobs/x", "deep/er/y"));
  EXPECT_EQ(*d().get("deep/er/y"), "data");
  ASSERT_TRUE(d().remove("deep"));
  EXPECT_FALSE(d().stat("deep/er/y"));
}

TEST_P(DriverSuite, AppendTruncateAndRead) {
  auto a = d().append("u/data");
  ASSERT_TRUE(a);
  EXPECT_EQ((*a)->size(), 0);
  ASSERT_TRUE((*a)->write(std::span<const char>("hello ", 6)));
  ASSERT_TRUE((*a)->write(std::span<const char>("world", 5)));
  ASSERT_TRUE((*a)->sync());
  a->reset();
  auto again = d().append("u/data");
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)->size(), 11) << "appending resumes at the end";
  ASSERT_TRUE(d().truncate("u/data", 5));
  auto r = d().open("u/data");
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)->size(), 5);
  EXPECT_EQ(read_all(**r), "hello");
  char buf[3];
  auto n = (*r)->read_at(1, std::span(buf, 3));
  ASSERT_TRUE(n);
  EXPECT_EQ(std::string(buf, *n), "ell");
  EXPECT_EQ(*(*r)->read_at(5, std::span(buf, 3)), 0u) << "end of value";
}

TEST_P(DriverSuite, OpenReadersKeepTheirSnapshot) {
  ASSERT_TRUE(d().put("k", "first"));
  auto r = d().open("k");
  ASSERT_TRUE(r);
  ASSERT_TRUE(d().put("k", "second value"));
  EXPECT_EQ(read_all(**r), "first") << "a replaced value never tears an open reader";
}

// Drivers with a Writer (memory, S3) publish its bytes at commit and not before; one dropped
// uncommitted publishes nothing and leaves the old value as it was.
TEST_P(DriverSuite, WritersPublishOnlyOnCommit) {
  auto w = d().create("blobs/w");
  ASSERT_TRUE(w);
  if (!*w) GTEST_SKIP() << GetParam() << " has no Writer (uploads are moved into place)";
  ASSERT_TRUE(d().put("blobs/w", "old"));
  std::string big(6 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 4099) big[i] = static_cast<char>(i);
  ASSERT_TRUE((*w)->write(std::span(big.data(), 4 << 20)));
  ASSERT_TRUE((*w)->write(std::span(big.data() + (4 << 20), big.size() - (4 << 20))));
  EXPECT_EQ(*d().get("blobs/w"), "old");
  ASSERT_TRUE((*w)->commit());
  EXPECT_EQ(*d().get("blobs/w"), big);
  {
    auto dropped = d().create("blobs/w");
    ASSERT_TRUE(dropped && *dropped);
    ASSERT_TRUE((*dropped)->write(std::span(big.data(), big.size())));
  }
  EXPECT_EQ(*d().get("blobs/w"), big);
  auto small = d().create("blobs/s");
  ASSERT_TRUE(small && *small);
  ASSERT_TRUE((*small)->write(std::span("tiny", 4)));
  ASSERT_TRUE((*small)->commit());
  EXPECT_EQ(*d().get("blobs/s"), "tiny");
}

TEST_P(DriverSuite, ConcurrentPutsAreAtomic) {
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([this, t] {
      std::string v(1000, static_cast<char>('a' + t));
      for (int i = 0; i < 50; ++i) ASSERT_TRUE(d().put("shared/key", v));
    });
  bool torn = false;
  for (int i = 0; i < 200; ++i) {
    auto v = d().get("shared/key");
    if (v && (v->size() != 1000 || v->find_first_not_of((*v)[0]) != std::string::npos)) torn = true;
  }
  for (auto& t : ts) t.join();
  EXPECT_FALSE(torn);
}

INSTANTIATE_TEST_SUITE_P(Drivers, DriverSuite,
                         ::testing::Values("filesystem", "memory", "faulty-without-faults"),
                         [](const auto& info) {
                           std::string n = info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

INSTANTIATE_TEST_SUITE_P(S3, DriverSuite, ::testing::ValuesIn(s3_params()));
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(DriverSuite);

TEST(FaultDriver, FailsWhatItIsToldAndNothingElse) {
  auto inner = memory_driver();
  FaultDriver d(*inner);
  ASSERT_TRUE(d.put("a/x", "1"));
  ASSERT_TRUE(d.put("b/y", "2"));
  d.fail({FaultDriver::Op::list, "a", Errc::io});
  d.fail({FaultDriver::Op::get, "b/", Errc::no_space});
  EXPECT_EQ(d.list("a").error().code(), Errc::io);
  EXPECT_EQ(d.get("b/y").error().code(), Errc::no_space);
  EXPECT_EQ(*d.get("a/x"), "1");
  EXPECT_EQ(*d.list("b"), std::vector<std::string>{"y"});
  EXPECT_EQ(d.faults(), 2);
  d.clear();
  EXPECT_EQ(*d.get("b/y"), "2");
}

TEST(FilesystemDriver, ReadersHaveAnFdForSendfile) {
  auto dir = os::TempDir::create("drivertest");
  auto d = filesystem_driver(dir->path() + "/r");
  ASSERT_TRUE(d);
  ASSERT_TRUE((*d)->put("x", "abc"));
  EXPECT_GE((*(*d)->open("x"))->fd(), 0);
  EXPECT_GE((*d)->usage().free, 0);
}

}  // namespace
}  // namespace kiln::registry::server
