#include <gtest/gtest.h>

#include "kiln/cli/image_views.hpp"
#include "kiln/container/import.hpp"
#include "kiln/container/rootfs_fixture.hpp"
#include "kiln/store/image_view.hpp"

namespace kiln::cli {
namespace {

using container::import_rootfs;
using container::ImportOptions;
using store::load_image;

using ImageViewsTest = container::RootfsStoreTest;

TEST_F(ImageViewsTest, HistoryAndListRows) {
  ImportOptions o;
  o.source = *tmp / "rootfs";
  o.ref = *oci::Reference::parse("localhost:5000/team/app:v1");
  auto rec = import_rootfs(*store, o);
  auto v = load_image(*store, *rec);
  auto rows = image_history(*store, *v);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].id, rec->config_digest.str());
  EXPECT_GT((*rows)[0].size, 0);
  auto list = list_images(*store, "localhost:5000/team/*");
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].repository, "localhost:5000/team/app");
  EXPECT_EQ((*list)[0].tag, "v1");
  EXPECT_TRUE(list_images(*store, "other")->empty());
  EXPECT_EQ(list_images(*store, "*/team/app:v*")->size(), 1u);
  std::string j = inspect_json(*v);
  EXPECT_NE(j.find("\"RepoTags\": [\n        \"localhost:5000/team/app:v1\""), std::string::npos)
      << j;
}

}  // namespace
}  // namespace kiln::cli
