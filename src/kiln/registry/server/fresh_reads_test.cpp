#include "kiln/registry/server/fresh_reads.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

using namespace kiln::registry::server;

namespace {

void wait_for(const std::function<bool()>& cond) {
  for (int i = 0; i < 5000 && !cond(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_TRUE(cond());
}

}  // namespace

TEST(FreshReads, CallersOneAfterAnotherEachRead) {
  FreshReads<int> f;
  int reads = 0;
  EXPECT_EQ(f.get("k", [&] { return ++reads; }), 1);
  EXPECT_EQ(f.get("k", [&] { return ++reads; }), 2);
  EXPECT_EQ(f.callers("k"), 0);  // nothing is kept between callers
}

// Callers arriving while a read is under way never take its answer (it may predate a write
// they saw complete): they share the next read, which starts after all of them arrived.
TEST(FreshReads, CallersDuringAReadShareTheNextOneNeverTheOldOne) {
  FreshReads<std::string> f;
  std::atomic<int> reads{0};
  std::atomic<bool> stored_new{false};
  std::promise<void> release;
  auto released = release.get_future().share();
  auto read = [&]() -> std::string {
    if (reads++ == 0) {
      std::string v = stored_new ? "new" : "old";  // read before the write below
      released.wait();
      return v;
    }
    return stored_new ? "new" : "old";
  };
  auto first = std::async(std::launch::async, [&] { return f.get("tag", read); });
  wait_for([&] { return reads.load() == 1; });
  stored_new = true;  // a write completes while the first read is under way
  std::vector<std::future<std::string>> later;
  for (int i = 0; i < 8; ++i)
    later.push_back(std::async(std::launch::async, [&] { return f.get("tag", read); }));
  wait_for([&] { return f.callers("tag") == 9; });
  release.set_value();
  EXPECT_EQ(first.get(), "old");
  for (auto& l : later) EXPECT_EQ(l.get(), "new");
  EXPECT_EQ(reads.load(), 2);  // nine callers, two reads
  EXPECT_EQ(f.callers("tag"), 0);
}

TEST(FreshReads, KeysDoNotWaitForEachOther) {
  FreshReads<int> f;
  std::promise<void> release;
  auto released = release.get_future().share();
  std::atomic<bool> in_a{false};
  auto a = std::async(std::launch::async, [&] {
    return f.get("a", [&] {
      in_a = true;
      released.wait();
      return 1;
    });
  });
  wait_for([&] { return in_a.load(); });
  EXPECT_EQ(f.get("b", [] { return 2; }), 2);  // while "a" is still being read
  release.set_value();
  EXPECT_EQ(a.get(), 1);
}

TEST(FreshReads, AFailedReadLetsTheNextCallerRead) {
  FreshReads<int> f;
  EXPECT_THROW(f.get("k", []() -> int { throw std::runtime_error("boom"); }), std::runtime_error);
  EXPECT_EQ(f.get("k", [] { return 7; }), 7);
  EXPECT_EQ(f.callers("k"), 0);
}
