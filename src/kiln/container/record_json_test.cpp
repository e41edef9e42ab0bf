#include "kiln/container/record_json.hpp"

#include <gtest/gtest.h>

namespace kiln::container {
namespace {

TEST(RecordJson, RoundTrips) {
  ContainerRecord c;
  c.id = std::string(64, 'a');
  c.image = "busybox";
  c.image_id = "sha256:" + std::string(64, 'b');
  c.command = {"sh", "-c", "echo \xff"};
  c.created = 1700000000;
  c.status = "exited";
  c.exit_code = -1;
  c.pid = 42;
  c.auto_remove = true;
  c.lowers = {"/x", "/y"};
  auto back = parse_record(serialize_record(c), "state.json");
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->id, c.id);
  EXPECT_EQ(back->exit_code, -1);
  EXPECT_TRUE(back->auto_remove);
  EXPECT_EQ(back->lowers, c.lowers);
  EXPECT_EQ(back->command[2], "echo \xEF\xBF\xBD") << "invalid UTF-8 is replaced, not thrown";
}

TEST(RecordJson, OlderRecordsAndBrokenOnes) {
  std::string old = R"({"id": "i", "image": "b", "image_id": "d", "command": [], "created": 1,
    "status": "exited", "exit_code": 0, "pid": 0, "pid_start": 0, "auto_remove": false,
    "runtime": "builtin"})";
  auto r = parse_record(old, "s");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->snapshotter, "overlay");
  EXPECT_EQ(r->finished, 0);

  std::string typed = old;
  typed.replace(typed.find("\"exit_code\": 0"), 14, "\"exit_code\": \"0\"");
  auto bad = parse_record(typed, "s");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), Errc::corrupt);
  EXPECT_EQ(bad.error().message(), "s: \"exit_code\" is missing or not of its type");
  EXPECT_EQ(parse_record("[]", "s").error().message(), "s: not a JSON object");
}

}  // namespace
}  // namespace kiln::container
