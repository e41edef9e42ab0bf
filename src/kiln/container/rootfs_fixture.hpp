// For unit tests: a temporary directory with an empty store (TMP/store) and a one-file root
// filesystem to import (TMP/rootfs/bin/hello, a shell script).
#pragma once

#include <memory>

#include <gtest/gtest.h>

#include "kiln/os/dir.hpp"
#include "kiln/os/temp_dir.hpp"
#include "kiln/store/store.hpp"

namespace kiln::container {

class RootfsStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp = std::make_unique<os::TempDir>(*os::TempDir::create("rootfs-store"));
    store = std::move(*store::Store::open(*tmp / "store"));
    auto root = os::Dir::create(*tmp / "rootfs/bin");
    ASSERT_TRUE(os::write_file_atomic(*root, "hello", "#!/bin/sh\necho hello\n", 0755));
  }
  std::unique_ptr<os::TempDir> tmp;
  std::unique_ptr<store::Store> store;
};

}  // namespace kiln::container
