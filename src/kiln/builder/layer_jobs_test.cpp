// LayerJobs: make_layer gives the layer a synchronous commit makes (same diffID, digest and
// sizes); a job's answer completes pending records; finish() names the snapshot by its diffID
// and writes the cache entries that waited for it; a job that fails or cannot start is an error
// with its reason, and leaves neither a snapshot nor a cache entry behind.
#include "kiln/builder/layer_jobs.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>

#include "kiln/archive/tar.hpp"
#include "kiln/archive/walk.hpp"
#include "kiln/os/temp_dir.hpp"
#include "kiln/store/layer_sink.hpp"
#include "kiln/store/metadata.hpp"

namespace kiln::builder {
namespace {

class LayerJobsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp = std::make_unique<os::TempDir>(*os::TempDir::create("layerjobs"));
    store = std::move(*store::Store::open(*tmp / "store"));
    snaps = *tmp / "snaps";
    pending.diff_id = Digest::of("placeholder");
    pending.media_type = std::string(store::layer_media_type(io::Compression::gzip));
    auto fs = *os::Dir::create(snaps + "/" + pending.diff_id.hex() + "/fs", 0755);
    auto etc = *fs.make_dir("etc", 0755);
    ASSERT_TRUE(os::write_file_atomic(etc, "hello", "hello\n", 0644));
    std::string big(3 << 20, 'x');
    for (size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>(i * 7);
    ASSERT_TRUE(os::write_file_atomic(fs, "big", big, 0600));
  }
  std::string tree() const { return snaps + "/" + pending.diff_id.hex() + "/fs"; }
  // The layer as Trees makes it without jobs: one pass through a LayerSink.
  store::LayerRecord synchronous(store::Lease& lease) {
    auto sink = *store::LayerSink::create(*store, lease, io::Compression::gzip);
    auto tar = *archive::TarWriter::open(*sink);
    archive::WalkOptions wo;
    wo.overlay_whiteouts = true;
    EXPECT_TRUE(archive::write_tree(*os::Dir::open(tree()), *tar, wo));
    EXPECT_TRUE(tar->finish());
    return *sink->commit();
  }
  std::unique_ptr<os::TempDir> tmp;
  std::unique_ptr<store::Store> store;
  std::string snaps;
  store::LayerRecord pending;
};

TEST_F(LayerJobsTest, MakeLayerMatchesSynchronousCommit) {
  auto lease = *store->lease();
  store::LayerRecord want = synchronous(lease);
  auto got = make_layer(*store, lease, tree(), io::Compression::gzip, std::nullopt);
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_EQ(got->diff_id, want.diff_id);
  EXPECT_EQ(got->digest, want.digest);
  EXPECT_EQ(got->size, want.size);
  EXPECT_EQ(got->uncompressed_size, want.uncompressed_size);
  EXPECT_EQ(got->content_size, want.content_size);
  EXPECT_EQ(got->media_type, want.media_type);
  EXPECT_TRUE(store->has_blob(got->digest));
}

TEST(LayerJobResult, RoundTripsAndRefusesGarbage) {
  store::LayerRecord rec;
  rec.digest = Digest::of("blob");
  rec.diff_id = Digest::of("tar");
  rec.size = 12;
  rec.uncompressed_size = 34;
  rec.content_size = 5;
  rec.media_type = "application/vnd.oci.image.layer.v1.tar+gzip";
  auto back = parse_job_result(format_job_result(rec, "lease-1"));
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->first.digest, rec.digest);
  EXPECT_EQ(back->first.diff_id, rec.diff_id);
  EXPECT_EQ(back->first.size, 12);
  EXPECT_EQ(back->first.uncompressed_size, 34);
  EXPECT_EQ(back->first.content_size, 5);
  EXPECT_EQ(back->first.media_type, rec.media_type);
  EXPECT_EQ(back->second, "lease-1");
  for (const std::string& bad :
       std::vector<std::string>{"", "ok", "error something", "ok a b 1 2 3 t l",
                                "ok " + rec.digest.str() + " " + rec.diff_id.str() + " x 2 3 t l"})
    EXPECT_FALSE(parse_job_result(bad)) << bad;
}

// A job command that answers as kiln __layer-job would, with a layer really made (the test
// binary cannot start kiln itself): complete() gives its record, finish() names the snapshot,
// writes the deferred cache entry and releases the job's lease into the build's.
TEST_F(LayerJobsTest, JobAnswerCompletesAndFinishes) {
  auto lease = *store->lease();
  auto job_lease = *store->lease();
  auto made = *make_layer(*store, job_lease, tree(), io::Compression::gzip, std::nullopt);
  std::string answer = format_job_result(made, job_lease.detach());
  // A warning the job printed first does not stand in the way of its answer.
  LayerJobs jobs(
      store->root(),
      {"/bin/sh", "-c", "echo 'kiln: warning: xattr skipped'; printf '%s' \"$0\"", answer});
  jobs.start(pending, snaps, Fd(), io::Compression::gzip, std::nullopt);
  jobs.defer_cache({"key1", "", 42}, pending.diff_id);
  std::vector<store::LayerRecord> layers{pending};
  ASSERT_TRUE(jobs.complete(layers));
  EXPECT_EQ(layers[0].digest, made.digest);
  EXPECT_EQ(layers[0].diff_id, made.diff_id);
  EXPECT_FALSE(*store->metadata().cache("key1"));  // not before finish()
  ASSERT_TRUE(jobs.finish(*store, lease));
  auto entry = *store->metadata().cache("key1");
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->layer_digest, made.digest.str());
  EXPECT_EQ(entry->created, 42);
  auto rec = *store->layer(made.digest);
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->diff_id, made.diff_id);
  auto dir = *os::Dir::open(snaps);
  EXPECT_TRUE(dir.exists(made.diff_id.hex() + "/fs/etc/hello"));
  EXPECT_FALSE(dir.exists(pending.diff_id.hex()));
  store::LayerRecord again = pending;  // complete() still answers after finish()
  ASSERT_TRUE(jobs.complete(again));
  EXPECT_EQ(again.digest, made.digest);
}

TEST_F(LayerJobsTest, SnapshotOfThatNameExistingDropsThePlaceholder) {
  auto lease = *store->lease();
  auto job_lease = *store->lease();
  auto made = *make_layer(*store, job_lease, tree(), io::Compression::gzip, std::nullopt);
  ASSERT_TRUE(os::Dir::create(snaps + "/" + made.diff_id.hex() + "/fs", 0755));
  LayerJobs jobs(store->root(), {"/bin/sh", "-c", "printf '%s' \"$0\"",
                                 format_job_result(made, job_lease.detach())});
  jobs.start(pending, snaps, Fd(), io::Compression::gzip, std::nullopt);
  ASSERT_TRUE(jobs.finish(*store, lease));
  auto dir = *os::Dir::open(snaps);
  EXPECT_FALSE(dir.exists(pending.diff_id.hex()));
  EXPECT_TRUE(dir.exists(made.diff_id.hex() + "/fs"));
}

TEST_F(LayerJobsTest, FailedJobFailsWithItsMessageAndLeavesNothing) {
  LayerJobs jobs(store->root(), {"/bin/sh", "-c", "echo 'kiln: disk on fire'; exit 5"});
  jobs.start(pending, snaps, Fd(), io::Compression::gzip, std::nullopt);
  jobs.defer_cache({"key2", "", 1}, pending.diff_id);
  store::LayerRecord l = pending;
  auto st = jobs.complete(l);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message(),
            "make layer from snapshot " + pending.diff_id.hex() + ": disk on fire");
  auto lease = *store->lease();
  EXPECT_FALSE(jobs.finish(*store, lease));
  EXPECT_FALSE(*store->metadata().cache("key2"));  // no entry for a layer that was not made
  EXPECT_FALSE(os::Dir::open(snaps)->exists(pending.diff_id.hex()));
}

TEST_F(LayerJobsTest, JobThatCannotStartIsAnErrorNotAHang) {
  LayerJobs jobs(store->root(), {"/nonexistent/kiln", "__layer-job"});
  jobs.start(pending, snaps, Fd(), io::Compression::gzip, std::nullopt);
  store::LayerRecord l = pending;
  auto st = jobs.complete(l);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message().find("/nonexistent/kiln"), std::string::npos)
      << st.error().message();
}

TEST_F(LayerJobsTest, CompleteWithoutAJobIsAnError) {
  LayerJobs jobs(store->root(), {});
  store::LayerRecord l = pending;
  auto st = jobs.complete(l);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), Errc::internal);
  store::LayerRecord done = pending;
  done.digest = pending.diff_id;  // a complete record is left alone
  EXPECT_TRUE(jobs.complete(done));
}

}  // namespace
}  // namespace kiln::builder
