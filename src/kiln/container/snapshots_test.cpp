// prune_snapshots and half-made snapshots: a snapshot directory no row names (a build killed
// between moving a step's upper dir in and its layer job recording it) goes once it is an hour
// old and no process holds it; younger ones, held ones and the mount points' snapshot stay.
#include "kiln/container/snapshots.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "kiln/base/fd.hpp"
#include "kiln/os/temp_dir.hpp"
#include "kiln/store/paths.hpp"

namespace kiln::container {
namespace {

TEST(PruneSnapshots, RemovesOldUnrecordedSnapshotsNobodyHolds) {
  auto tmp = *os::TempDir::create("snapshots");
  auto store = std::move(*store::Store::open(tmp / "store"));
  std::string base = store->root() + "/" + std::string(store::paths::snapshots_dir);
  auto snaps = *os::Dir::create(base, 0700);
  auto make = [&](const std::string& name, bool old) {
    ASSERT_TRUE(os::Dir::create(base + "/" + name + "/fs", 0755));
    if (!old) return;
    struct timespec times[2] = {{time(nullptr) - 7200, 0}, {time(nullptr) - 7200, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, (base + "/" + name).c_str(), times, 0), 0);
  };
  std::string old_orphan(64, 'a'), young_orphan(64, 'b'), held_orphan(64, 'c');
  make(old_orphan, true);
  make(young_orphan, false);
  make(held_orphan, true);
  make("init-v1", true);
  Fd held(::open((base + "/" + held_orphan).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_EQ(::flock(held.get(), LOCK_SH), 0);
  ASSERT_TRUE(prune_snapshots(*store, {}));
  EXPECT_FALSE(snaps.exists(old_orphan));
  EXPECT_TRUE(snaps.exists(young_orphan));
  EXPECT_TRUE(snaps.exists(held_orphan));
  EXPECT_TRUE(snaps.exists("init-v1"));
}

}  // namespace
}  // namespace kiln::container
