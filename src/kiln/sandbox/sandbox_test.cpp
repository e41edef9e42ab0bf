#include <gtest/gtest.h>

#include "kiln/sandbox/caps.hpp"
#include "kiln/sandbox/child.hpp"
#include "kiln/sandbox/mount_exec.hpp"
#include "kiln/sandbox/mount_plan.hpp"
#include "kiln/sandbox/seccomp.hpp"
#include "kiln/sandbox/users.hpp"

namespace kiln::sandbox {
namespace {

constexpr std::string_view k_passwd =
    "root:x:0:0:root:/root:/bin/sh\n"
    "# comment\n"
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "app:x:1000:1000::/home/app:/bin/sh\n"
    "broken line\n";
constexpr std::string_view k_group =
    "root:x:0:\n"
    "app:x:1000:\n"
    "audio:x:29:app,other\n"
    "video:x:44: app \n"
    "staff:x:50:other\n";

TEST(Users, ByNameGetsPrimaryAndSupplementaryGroups) {
  auto u = resolve_user("app", k_passwd, k_group);
  ASSERT_TRUE(u) << u.error().message();
  EXPECT_EQ(u->uid, 1000u);
  EXPECT_EQ(u->gid, 1000u);
  EXPECT_EQ(u->groups, (std::vector<gid_t>{29, 44}));
  EXPECT_EQ(u->home, "/home/app");
}

TEST(Users, NumericForms) {
  auto u = resolve_user("1000", k_passwd, k_group);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->gid, 1000u);  // from passwd
  u = resolve_user("4242", k_passwd, k_group);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->uid, 4242u);
  EXPECT_EQ(u->gid, 0u);
  u = resolve_user("4242:77", "", "");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->gid, 77u);
  u = resolve_user("app:staff", k_passwd, k_group);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->gid, 50u);
  EXPECT_TRUE(u->groups.empty());
  u = resolve_user("", k_passwd, k_group);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->uid, 0u);
}

TEST(Users, UnknownNamesAreErrors) {
  auto u = resolve_user("nobody", k_passwd, k_group);
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error().code(), Errc::not_found);
  EXPECT_EQ(u.error().message(), "unable to find user nobody: no matching entries in passwd file");
  u = resolve_user("app:nogroup", k_passwd, k_group);
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error().message(), "unable to find group nogroup: no matching entries in group file");
  EXPECT_FALSE(resolve_user("app:", k_passwd, k_group));
}

TEST(Caps, DockerDefaultMask) {
  auto mask = capability_mask(default_capabilities());
  ASSERT_TRUE(mask);
  EXPECT_EQ(*mask, 0xa80425fbu);  // what `docker run` shows as CapEff
}

TEST(Caps, AddAndDrop) {
  auto set = adjust_capabilities({"sys_admin"}, {"CAP_NET_RAW", "chown"});
  ASSERT_TRUE(set);
  auto mask = *capability_mask(*set);
  EXPECT_TRUE(mask & (1u << 21));
  EXPECT_FALSE(mask & (1u << 13));
  EXPECT_FALSE(mask & 1u);
  set = adjust_capabilities({"KILL"}, {"ALL"});
  ASSERT_TRUE(set);
  EXPECT_EQ(*set, std::vector<std::string>{"CAP_KILL"});
  set = adjust_capabilities({"ALL"}, {"SYS_ADMIN"});
  ASSERT_TRUE(set);
  EXPECT_GT(set->size(), 30u);
  EXPECT_FALSE(*capability_mask(*set) & (1u << 21));
  auto bad = adjust_capabilities({"CAP_FLY"}, {});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "--cap-add: unknown capability \"CAP_FLY\"");
}

TEST(Seccomp, CapabilitiesLiftTheirBlocks) {
  auto names = [](uint64_t mask) {
    std::vector<std::string> out;
    for (const auto& d : default_seccomp_denials(mask))
      if (!d.clone_flag) out.push_back(d.syscall);
    return out;
  };
  auto base = names(*capability_mask(default_capabilities()));
  auto has = [](const std::vector<std::string>& v, std::string_view s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  EXPECT_TRUE(has(base, "mount"));
  EXPECT_TRUE(has(base, "keyctl"));
  EXPECT_TRUE(has(base, "settimeofday"));
  auto admin = names(*capability_mask(*adjust_capabilities({"SYS_ADMIN", "SYS_TIME"}, {})));
  EXPECT_FALSE(has(admin, "mount"));
  EXPECT_FALSE(has(admin, "settimeofday"));
  EXPECT_TRUE(has(admin, "keyctl"));  // never allowed
}

TEST(MountPlan, DefaultsVolumesAndReadOnlyRootLast) {
  SandboxSpec spec;
  spec.state_dir = "/state";
  spec.etc_hosts = "127.0.0.1 localhost\n";
  spec.readonly_rootfs = true;
  spec.mounts.push_back({Mount::Kind::bind, "/tmp", "/data", true, ""});
  spec.mounts.push_back({Mount::Kind::tmpfs, "", "/scratch", false, "size=1m"});
  auto ops = plan_mounts(spec);
  ASSERT_TRUE(ops) << ops.error().message();
  auto find = [&](std::string_view target, MountOp::Kind kind) {
    return std::find_if(ops->begin(), ops->end(),
                        [&](const MountOp& o) { return o.target == target && o.kind == kind; });
  };
  EXPECT_NE(find("/proc", MountOp::Kind::mount), ops->end());
  EXPECT_NE(find("/dev/null", MountOp::Kind::mknod), ops->end());
  EXPECT_NE(find("/etc/hosts", MountOp::Kind::mount), ops->end());
  EXPECT_EQ(find("/etc/resolv.conf", MountOp::Kind::mount), ops->end());  // none given
  auto data = find("/data", MountOp::Kind::mount);
  ASSERT_NE(data, ops->end());
  EXPECT_EQ(std::next(data)->kind, MountOp::Kind::remount_ro);
  auto scratch = find("/scratch", MountOp::Kind::mount);
  ASSERT_NE(scratch, ops->end());
  EXPECT_EQ(scratch->data, "size=1m");
  EXPECT_EQ(ops->back().kind, MountOp::Kind::remount_ro);
  EXPECT_EQ(ops->back().target, "/");
}

TEST(MountPlan, RejectsRelativeAndClimbingTargets) {
  SandboxSpec spec;
  spec.mounts.push_back({Mount::Kind::bind, "/tmp", "data", false, ""});
  EXPECT_FALSE(plan_mounts(spec));
  spec.mounts[0].target = "/a/../../etc";
  auto r = plan_mounts(spec);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("may not contain"), std::string::npos);
  spec.mounts[0] = {Mount::Kind::tmpfs, "", "rel", false, ""};
  EXPECT_FALSE(plan_mounts(spec));
}

TEST(Overlay, LowerDirsTopFirstRelativeToTheirParent) {
  RootFs r;
  r.lowers = {"/s/snapshots/aaa/fs", "/s/snapshots/bbb/fs"};
  r.upper = "/c/upper";
  r.work = "/c/work";
  std::string dir;
  auto opts = overlay_options(r, dir);
  ASSERT_TRUE(opts);
  EXPECT_EQ(dir, "/s/snapshots");
  EXPECT_EQ(*opts, "lowerdir=bbb/fs:aaa/fs,upperdir=/c/upper,workdir=/c/work");
  r.lowers.push_back("/elsewhere/x/fs");
  opts = overlay_options(r, dir);
  ASSERT_TRUE(opts);
  EXPECT_EQ(dir, "");
  r.lowers = std::vector<std::string>(200, "/a/very/long/path/to/some/snapshots/dir/x/fs");
  r.lowers.push_back("/b/fs");
  EXPECT_EQ(overlay_options(r, dir).error().code(), Errc::unsupported);
}

TEST(Report, WireFormatRoundTrip) {
  auto r = detail::parse_report("127 1\nexec: \"x\": executable file not found in $PATH");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->exit_code, 127);
  EXPECT_EQ(r->code, Errc::not_found);
  EXPECT_EQ(r->message, "exec: \"x\": executable file not found in $PATH");
  EXPECT_FALSE(detail::parse_report(""));
  EXPECT_FALSE(detail::parse_report("garbage"));
  EXPECT_FALSE(detail::parse_report("1 999\nx"));
}

}  // namespace
}  // namespace kiln::sandbox
