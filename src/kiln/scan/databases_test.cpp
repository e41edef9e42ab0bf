#include "kiln/scan/databases.hpp"

#include <gtest/gtest.h>

#include "kiln/scan/os_release.hpp"

namespace kiln::scan {
namespace {

TEST(Dpkg, StatusFileKeepsInstalledPackagesOnly) {
  std::vector<std::string> w;
  auto got = parse_dpkg(R"(Package: libc6
Status: install ok installed
Priority: optional
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u4
Description: GNU C Library: Shared libraries
 Contains the standard libraries that are used by nearly all programs on
 the system.

Package: old-thing
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0

Package: libssl3
Status: install ok installed
Architecture: amd64
Source: openssl (3.0.11-1~deb12u2)
Version: 3.0.11-1~deb12u2+b1

Package: broken
Status: install ok installed
)",
                        "/var/lib/dpkg/status", true, w);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].name, "libc6");
  EXPECT_EQ(got[0].version, "2.36-9+deb12u4");
  EXPECT_EQ(got[0].source_name, "glibc");
  EXPECT_EQ(got[0].source_version, "2.36-9+deb12u4") << "no version in Source: the binary's";
  EXPECT_EQ(got[0].arch, "amd64");
  EXPECT_EQ(got[1].source_name, "openssl");
  EXPECT_EQ(got[1].source_version, "3.0.11-1~deb12u2");
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0], "/var/lib/dpkg/status:23: a package without Package or Version");
}

TEST(Dpkg, StatusDFilesHaveNoStatusField) {
  std::vector<std::string> w;
  auto got = parse_dpkg("Package: tzdata\r\nVersion: 2024a-0+deb12u1\r\nArchitecture: all\r\n",
                        "/var/lib/dpkg/status.d/tzdata", false, w);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].version, "2024a-0+deb12u1") << "CRLF endings are trimmed";
  EXPECT_EQ(got[0].source_name, "tzdata");
  EXPECT_TRUE(w.empty());
  EXPECT_TRUE(parse_dpkg("garbage\n\n\x01\x02", "x", true, w).empty());
}

TEST(Apk, InstalledDatabase) {
  std::vector<std::string> w;
  auto got = parse_apk(R"(C:Q1abc=
P:musl
V:1.2.4_git20230717-r4
A:x86_64
S:383152
L:MIT
o:musl
F:lib
R:ld-musl-x86_64.so.1

P:busybox-binsh
V:1.36.1-r15
A:x86_64
L:GPL-2.0-only
o:busybox

V:1.0
)",
                       "/lib/apk/db/installed", w);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].name, "musl");
  EXPECT_EQ(got[0].version, "1.2.4_git20230717-r4");
  EXPECT_EQ(got[0].license, "MIT");
  EXPECT_EQ(got[1].source_name, "busybox");
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0], "/lib/apk/db/installed:17: a package without P or V");
}

TEST(OsRelease, QuotedAndBareValues) {
  auto d = parse_os_release(R"OS(PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
# a comment
ID=debian
HOME_URL='https://www.debian.org/'
)OS");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->id, "debian");
  EXPECT_EQ(d->version_id, "12");
  EXPECT_EQ(d->pretty_name, "Debian GNU/Linux 12 (bookworm)");
  EXPECT_EQ(
      parse_os_release("ID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME=\"Alpine \\\"Linux\\\" v3.19\"")
          ->pretty_name,
      "Alpine \"Linux\" v3.19");
  EXPECT_FALSE(parse_os_release("NAME=nothing\n"));
}

TEST(Purl, DebAndApk) {
  Package p;
  p.type = "deb";
  p.name = "libssl3";
  p.version = "1:3.0.11-1~deb12u2+b1";
  p.arch = "amd64";
  EXPECT_EQ(p.purl(Distro{"debian", "12", "", ""}),
            "pkg:deb/debian/libssl3@1%3A3.0.11-1~deb12u2%2Bb1?arch=amd64&distro=debian-12");
  p.type = "apk";
  p.name = "musl";
  p.version = "1.2.4-r4";
  p.arch = "x86_64";
  EXPECT_EQ(p.purl(Distro{"alpine", "3.19.1", "", ""}),
            "pkg:apk/alpine/musl@1.2.4-r4?arch=x86_64&distro=3.19.1");
  EXPECT_EQ(p.purl(std::nullopt), "pkg:apk/alpine/musl@1.2.4-r4?arch=x86_64");
}

TEST(Purl, RpmEpochIsAQualifier) {
  Package p;
  p.type = "rpm";
  p.name = "openssl-libs";
  p.version = "1:3.0.7-24.el9";
  p.arch = "x86_64";
  EXPECT_EQ(p.purl(Distro{"almalinux", "9.3", "", ""}),
            "pkg:rpm/almalinux/openssl-libs@3.0.7-24.el9?arch=x86_64&distro=almalinux-9.3&epoch=1");
  p.version = "3.0.7-24.el9";
  EXPECT_EQ(p.purl(std::nullopt), "pkg:rpm/unknown/openssl-libs@3.0.7-24.el9?arch=x86_64");
}

TEST(PythonMetadata, HeadersBeforeTheBodyOnly) {
  std::vector<std::string> w;
  auto p = parse_python_metadata(
      "Metadata-Version: 2.1\r\nName: Django\r\nVersion: 4.2.1\r\nLicense: BSD\r\n  3-Clause\r\n"
      "\r\nVersion: 9.9 (the description, not a header)\n",
      "/x/METADATA", w);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].type, "pypi");
  EXPECT_EQ(p[0].name, "Django");
  EXPECT_EQ(p[0].version, "4.2.1");
  EXPECT_EQ(p[0].license, "BSD 3-Clause");
  EXPECT_TRUE(w.empty());
  EXPECT_TRUE(parse_python_metadata("Name: x\n", "/y/METADATA", w).empty());
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0], "/y/METADATA: no Name or Version header");
  // License-Expression (PEP 639) wins over the free-text License.
  auto e = parse_python_metadata(
      "Name: a\nVersion: 1\nLicense: see file\nLicense-Expression: MIT\n", "/z", w);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].license, "MIT");
}

TEST(NpmPackage, NameVersionLicense) {
  std::vector<std::string> w;
  auto p = parse_npm_package(R"({"name": "@a/b", "version": "1.0.0", "license": {"type": "ISC"}})",
                             "/n/package.json", w);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].name, "@a/b");
  EXPECT_EQ(p[0].license, "ISC");
  EXPECT_TRUE(parse_npm_package(R"({"name": 5, "version": "1"})", "/m/package.json", w).empty());
  EXPECT_TRUE(parse_npm_package("{", "/k/package.json", w).empty());
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[1], "/k/package.json: not a JSON object");
}

TEST(NpmLock, Versions3And1) {
  std::vector<std::string> w;
  auto v3 = parse_npm_lock(R"({"name": "app", "lockfileVersion": 3, "packages": {
      "": {"name": "app", "version": "1.0.0"},
      "node_modules/lodash": {"version": "4.17.20", "license": "MIT"},
      "node_modules/express/node_modules/qs": {"version": "6.7.0"},
      "node_modules/@babel/core": {"version": "7.22.0", "dev": true},
      "node_modules/my-alias": {"name": "minimist", "version": "1.2.5"},
      "node_modules/shared": {"resolved": "packages/shared", "link": true},
      "packages/shared": {"name": "shared", "version": "0.0.1"}}})",
                           "/app/package-lock.json", w);
  std::string got;
  for (auto& [where, p] : v3)
    got += where + " " + p.name + "@" + p.version + " " + p.license + "\n";
  EXPECT_EQ(got,
            "node_modules/@babel/core @babel/core@7.22.0 \n"
            "node_modules/express/node_modules/qs qs@6.7.0 \n"
            "node_modules/lodash lodash@4.17.20 MIT\n"
            "node_modules/my-alias minimist@1.2.5 \n");
  EXPECT_EQ(v3[0].second.db, "/app/package-lock.json");
  auto v1 = parse_npm_lock(R"({"lockfileVersion": 1, "dependencies": {
      "express": {"version": "4.16.0", "dependencies": {"qs": {"version": "6.5.1"}}},
      "local": {"version": "file:../local"}}})",
                           "/b/package-lock.json", w);
  got.clear();
  for (auto& [where, p] : v1) got += where + " " + p.name + "@" + p.version + "\n";
  EXPECT_EQ(got,
            "node_modules/express express@4.16.0\nnode_modules/express/node_modules/qs qs@6.5.1\n");
  EXPECT_TRUE(w.empty());
  EXPECT_TRUE(parse_npm_lock("[1]", "/c/package-lock.json", w).empty());
  EXPECT_TRUE(parse_npm_lock("{}", "/d/package-lock.json", w).empty());
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0], "/c/package-lock.json: not a JSON object");
  EXPECT_EQ(w[1], "/d/package-lock.json: neither \"packages\" nor \"dependencies\"");
}

// The specification file as RubyGems writes it on install, its two header comment lines
// (encoding, then NAME VERSION PLATFORM PATHS) included.
TEST(Gemspec, AsRubyGemsWritesThem) {
  std::vector<std::string> w;
  auto g = parse_gemspec(R"(# -*- encoding: utf-8 -*-
# stub: rack 2.2.3 ruby lib

Gem::Specification.new do |s|
  s.name = "rack".freeze
  s.version = "2.2.3"

  s.required_rubygems_version = Gem::Requirement.new(">= 0".freeze) if s.respond_to? :required_rubygems_version=
  s.authors = ["Leah Neukirchen".freeze]
  s.licenses = ["MIT".freeze, 'Ruby'.freeze] # dual
  s.add_development_dependency(%q<minitest>.freeze, ["~> 5.0"])
  if s.version == "9"
  end
end
)",
                         "/usr/lib/ruby/gems/3.1.0/specifications/rack-2.2.3.gemspec", w);
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].type, "gem");
  EXPECT_EQ(g[0].name, "rack");
  EXPECT_EQ(g[0].version, "2.2.3");
  EXPECT_EQ(g[0].license, "MIT OR Ruby");
  EXPECT_EQ(g[0].purl(std::nullopt), "pkg:gem/rack@2.2.3");
  EXPECT_TRUE(
      parse_gemspec("Gem::Specification.new do |spec|\n  spec.name = 'x'\nend\n", "/y", w).empty());
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0], "/y: no name or version assignment");
}

}  // namespace
}  // namespace kiln::scan
