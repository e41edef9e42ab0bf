#include "kiln/scan/match.hpp"
#include "kiln/scan/os_release.hpp"

#include <gtest/gtest.h>

namespace kiln::scan {
namespace {

OsvRange range(std::string type, std::vector<OsvEvent> events) {
  return OsvRange{std::move(type), std::move(events)};
}

OsvEvent intro(std::string v) {
  return {OsvEvent::introduced, std::move(v)};
}
OsvEvent fixed(std::string v) {
  return {OsvEvent::fixed, std::move(v)};
}
OsvEvent last(std::string v) {
  return {OsvEvent::last_affected, std::move(v)};
}
OsvEvent limit(std::string v) {
  return {OsvEvent::limit, std::move(v)};
}

bool affected(std::string_view eco, std::string_view v, std::vector<OsvRange> r,
              std::vector<std::string> versions = {}, std::string* fix = nullptr) {
  return is_affected(eco, v, r, versions, fix);
}

TEST(Match, IntroducedZeroToFixed) {
  std::vector<OsvRange> r{range("ECOSYSTEM", {intro("0"), fixed("3.0.11-1~deb12u2")})};
  std::string fix;
  EXPECT_TRUE(affected("Debian:12", "3.0.11-1~deb12u1", r, {}, &fix));
  EXPECT_EQ(fix, "3.0.11-1~deb12u2");
  EXPECT_FALSE(affected("Debian:12", "3.0.11-1~deb12u2", r));
  EXPECT_FALSE(affected("Debian:12", "3.0.13-1~deb12u1", r));
  // '~' sorts before the end: 3.0.11-1~deb12u2 is below 3.0.11-1.
  EXPECT_FALSE(affected("Debian:12", "3.0.11-1", r));
  // Epochs beat everything after them.
  EXPECT_FALSE(affected("Debian:12", "1:1.0", r));
}

TEST(Match, LastAffectedIsInclusive) {
  std::vector<OsvRange> r{range("ECOSYSTEM", {intro("1.2"), last("1.4")})};
  EXPECT_FALSE(affected("Alpine:v3.19", "1.1", r));
  EXPECT_TRUE(affected("Alpine:v3.19", "1.2", r));
  EXPECT_TRUE(affected("Alpine:v3.19", "1.4", r));
  EXPECT_FALSE(affected("Alpine:v3.19", "1.4-r1", r));
  std::string fix;
  EXPECT_TRUE(affected("Alpine:v3.19", "1.3", r, {}, &fix));
  EXPECT_EQ(fix, "");  // last_affected names no fix
  // A single affected version: introduced and last_affected at the same version.
  std::vector<OsvRange> one{range("ECOSYSTEM", {intro("2.0"), last("2.0")})};
  EXPECT_TRUE(affected("Alpine:v3.19", "2.0", one));
  EXPECT_FALSE(affected("Alpine:v3.19", "2.0-r1", one));
}

TEST(Match, SeveralIntervalsInOneRangeInAnyOrder) {
  // Events need not be sorted in the document.
  std::vector<OsvRange> r{
      range("ECOSYSTEM", {fixed("2.5"), intro("2.0"), fixed("1.5"), intro("1.0")})};
  std::string fix;
  EXPECT_FALSE(affected("Alpine:v3.19", "0.9", r));
  EXPECT_TRUE(affected("Alpine:v3.19", "1.0", r, {}, &fix));
  EXPECT_EQ(fix, "1.5");
  EXPECT_FALSE(affected("Alpine:v3.19", "1.7", r));
  fix.clear();
  EXPECT_TRUE(affected("Alpine:v3.19", "2.4", r, {}, &fix));
  EXPECT_EQ(fix, "2.5");
  EXPECT_FALSE(affected("Alpine:v3.19", "3.0", r));
}

TEST(Match, OpenRangeAndLimit) {
  std::vector<OsvRange> open{range("ECOSYSTEM", {intro("1.0")})};
  EXPECT_TRUE(affected("Debian:12", "99", open));
  EXPECT_FALSE(affected("Debian:12", "0.9", open));
  std::vector<OsvRange> limited{range("ECOSYSTEM", {intro("1.0"), limit("2.0")})};
  EXPECT_TRUE(affected("Debian:12", "1.9", limited));
  EXPECT_FALSE(affected("Debian:12", "2.0", limited));
  EXPECT_FALSE(affected("Debian:12", "2.1", limited));
  std::vector<OsvRange> star{range("ECOSYSTEM", {intro("1.0"), limit("*")})};
  EXPECT_TRUE(affected("Debian:12", "5.0", star));
}

TEST(Match, VersionsListAndGitRangesAndUnknownEcosystems) {
  EXPECT_TRUE(affected("Debian:12", "1.2-1", {}, {"1.0-1", "1.2-1"}));
  EXPECT_TRUE(affected("Debian:12", "0:1.2-1", {}, {"1.2-1"}));  // equal under dpkg
  EXPECT_FALSE(affected("Debian:12", "1.3-1", {}, {"1.0-1", "1.2-1"}));
  // GIT ranges name commits: never a package version.
  EXPECT_FALSE(affected("Debian:12", "1.0", {range("GIT", {intro("0"), fixed("abc123")})}));
  // An ecosystem kiln cannot order matches nothing rather than guessing.
  EXPECT_FALSE(affected("Hackage", "1.0", {range("ECOSYSTEM", {intro("0")})}));
}

TEST(Match, EcosystemOfDistroPackages) {
  Package deb;
  deb.type = "deb";
  deb.name = "libssl3";
  deb.version = "3.0.11-1~deb12u2+b1";
  deb.source_name = "openssl";
  deb.source_version = "3.0.11-1~deb12u2";
  auto e = ecosystem_of(deb, Distro{"debian", "12", "", ""});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->ecosystems, std::vector<std::string>{"Debian:12"});
  EXPECT_EQ(e->name, "openssl");
  EXPECT_EQ(e->version, "3.0.11-1~deb12u2");  // the source version, not the binNMU
  auto u = ecosystem_of(deb, Distro{"ubuntu", "22.04", "", ""});
  ASSERT_TRUE(u);
  EXPECT_EQ(u->ecosystems, (std::vector<std::string>{"Ubuntu:22.04", "Ubuntu:22.04:LTS"}));
  Package apk;
  apk.type = "apk";
  apk.name = "libcrypto3";
  apk.version = "3.1.4-r5";
  apk.source_name = "openssl";
  auto a = ecosystem_of(apk, Distro{"alpine", "3.19.1", "", ""});
  ASSERT_TRUE(a);
  EXPECT_EQ(a->ecosystems, std::vector<std::string>{"Alpine:v3.19"});
  EXPECT_EQ(a->name, "openssl");
  EXPECT_EQ(a->version, "3.1.4-r5");
  EXPECT_FALSE(ecosystem_of(deb, Distro{"debian", "", "", ""}));  // sid: no release number
  EXPECT_FALSE(ecosystem_of(deb, std::nullopt));
  EXPECT_FALSE(ecosystem_of(apk, Distro{"debian", "12", "", ""}));
}

TEST(Match, EcosystemOfOtherDistributions) {
  auto of = [](std::string type, const std::string& os_release) {
    Package p;
    p.type = std::move(type);
    p.name = "libssl3";
    p.source_name = "openssl";
    auto e = ecosystem_of(p, parse_os_release(os_release));
    return e ? e->ecosystems : std::vector<std::string>{};
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(of("apk", "ID=wolfi\nVERSION_ID=20230201\n"), V{"Wolfi"});
  EXPECT_EQ(of("apk", "ID=chainguard\n"), V{"Chainguard"});
  EXPECT_EQ(of("rpm", "ID=\"opensuse-leap\"\nVERSION_ID=\"15.6\"\n"),
            (V{"openSUSE:Leap 15.6", "openSUSE:Leap 15.6 NonFree"}));
  EXPECT_EQ(of("rpm", "ID=\"opensuse-tumbleweed\"\nVERSION_ID=\"20240801\"\n"),
            V{"openSUSE:Tumbleweed"});
  EXPECT_EQ(of("rpm", "ID=\"rhel\"\nVERSION_ID=\"9.4\"\n"),
            (V{"Red Hat:enterprise_linux:9::baseos", "Red Hat:enterprise_linux:9::appstream",
               "Red Hat:enterprise_linux:9::crb"}));
  EXPECT_EQ(of("rpm", "ID=mageia\nVERSION_ID=9\n"), V{"Mageia:9"});
  EXPECT_EQ(of("rpm", "ID=\"openEuler\"\nVERSION=\"24.03 (LTS)\"\nVERSION_ID=\"24.03\"\n"),
            V{"openEuler:24.03-LTS"});
  EXPECT_EQ(of("rpm", "ID=\"openEuler\"\nVERSION=\"22.03 (LTS-SP3)\"\nVERSION_ID=\"22.03\"\n"),
            V{"openEuler:22.03-LTS-SP3"});
  EXPECT_EQ(of("rpm", "ID=azurelinux\nVERSION_ID=\"3.0\"\n"), V{"Azure Linux:3"});
  // No OSV data, or per product module: not matched (with a warning), never guessed.
  EXPECT_EQ(of("rpm", "ID=fedora\nVERSION_ID=40\n"), V{});
  EXPECT_EQ(of("rpm", "ID=sles\nVERSION_ID=\"15.5\"\n"), V{});
  EXPECT_EQ(of("rpm", "ID=amzn\nVERSION_ID=\"2023\"\n"), V{});
  EXPECT_EQ(of("apk", "ID=wolfi\n"), V{"Wolfi"});
  EXPECT_EQ(of("rpm", "ID=rhel\n"), V{});  // no release
}

}  // namespace
}  // namespace kiln::scan
