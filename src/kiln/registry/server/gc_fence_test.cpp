#include "kiln/registry/server/gc_fence.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <future>

#include "kiln/registry/server/gc.hpp"
#include "kiln/registry/server/layout.hpp"

using namespace kiln;
using namespace kiln::registry::server;

namespace {

Digest dg(std::string_view s) {
  return Digest::of(s);
}

}  // namespace

TEST(GcFence, NoCollectionRunningWritesNothing) {
  auto d = memory_driver();
  Digest a = dg("a");
  FenceRef refs[] = {{a, layout::blob(a)}};
  ASSERT_TRUE(gc_fence(*d, refs));
  EXPECT_TRUE(d->list("gc")->empty());
}

TEST(GcFence, TouchedRecordsReachTheCollector) {
  auto d = memory_driver();
  auto lease = GcLease::acquire(*d);
  ASSERT_TRUE(lease) << lease.error().message();
  Digest a = dg("a"), b = dg("b");
  FenceRef refs[] = {{a, layout::blob(a)}};
  ASSERT_TRUE(gc_fence(*d, refs));  // not announced yet: only the record
  ASSERT_TRUE(lease->announce({a, b}));
  EXPECT_TRUE(*lease->touched(a));
  EXPECT_FALSE(*lease->touched(b));
  lease->release();
  EXPECT_TRUE(d->list("gc/active")->empty());
}

// A request whose digest is in an announced intent waits for the collection to end, then
// fails if the collection deleted what it links, and succeeds if not.
TEST(GcFence, WaitsForTheCollectionAndChecksWhatItLinks) {
  auto d = memory_driver();
  Digest a = dg("a"), b = dg("b");
  ASSERT_TRUE(d->put(layout::blob(a), "a"));
  ASSERT_TRUE(d->put(layout::blob(b), "b"));
  auto lease = GcLease::acquire(*d);
  ASSERT_TRUE(lease);
  ASSERT_TRUE(lease->announce({a, b}));
  FenceRef ra[] = {{a, layout::blob(a)}};
  FenceRef rb[] = {{b, layout::blob(b)}};
  auto t0 = std::chrono::steady_clock::now();
  auto fa = std::async(std::launch::async, [&] { return gc_fence(*d, ra); });
  auto fb = std::async(std::launch::async, [&] { return gc_fence(*d, rb); });
  EXPECT_EQ(fa.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout);
  ASSERT_TRUE(d->remove(layout::blob(a)));  // the sweep deleted a, kept b
  lease->release();
  auto sa = fa.get();
  auto sb = fb.get();
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(300));
  ASSERT_FALSE(sa);
  EXPECT_EQ(sa.error().code(), Errc::conflict);
  EXPECT_NE(sa.error().message().find(a.str()), std::string::npos);
  EXPECT_TRUE(sb) << sb.error().message();
}

// An intent outlives its collection: a request that listed the collection late still finds it.
TEST(GcFence, AnEndedCollectionsIntentStillCounts) {
  auto d = memory_driver();
  Digest a = dg("a");
  auto lease = GcLease::acquire(*d);
  ASSERT_TRUE(lease);
  ASSERT_TRUE(lease->announce({a}));
  std::string token = lease->token();
  lease->release();
  EXPECT_TRUE(d->stat("gc/intent/" + token));
  // Simulate a request that listed the collection before it ended.
  ASSERT_TRUE(d->put("gc/active/" + token, "expires 0\n"));  // expired: no waiting
  FenceRef refs[] = {{a, layout::blob(a)}};
  auto st = gc_fence(*d, refs);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), Errc::conflict);
}

TEST(GcFence, AcquireRemovesDeadCollections) {
  auto d = memory_driver();
  ASSERT_TRUE(d->put("gc/active/dead", "expires 1\nholder x:1\n"));
  auto lease = GcLease::acquire(*d);
  ASSERT_TRUE(lease);
  auto active = *d->list("gc/active");
  ASSERT_EQ(active.size(), 1u);
  EXPECT_EQ(active[0], lease->token());
}

// A real sweep announces what it may delete and ends its lease; a dry run leaves no trace.
TEST(GcFence, CollectionAnnouncesAndEnds) {
  auto d = memory_driver();
  Digest a = dg("orphan");
  ASSERT_TRUE(d->put(layout::blob(a), "orphan"));
  GcRequest req;
  req.grace = -10;  // everything is old enough
  req.dry_run = true;
  ASSERT_TRUE(collect_garbage(*d, req));
  EXPECT_TRUE(d->list("gc")->empty());
  req.dry_run = false;
  auto rep = collect_garbage(*d, req);
  ASSERT_TRUE(rep) << rep.error().message();
  EXPECT_EQ(rep->blobs_deleted, 1);
  EXPECT_TRUE(d->list("gc/active")->empty());
  auto intents = *d->list("gc/intent");
  ASSERT_EQ(intents.size(), 1u);
  EXPECT_NE(d->get("gc/intent/" + intents[0])->find(a.str()), std::string::npos);
}
