#include "kiln/scan/catalog.hpp"

#include <gtest/gtest.h>

#include <map>

#include "kiln/archive/tar.hpp"
#include "kiln/oci/media_types.hpp"

namespace kiln::scan {
namespace {

// Layers as uncompressed tars, by digest.
class Layers final : public image::Source {
 public:
  std::map<Digest, std::string> blobs;
  image::Loaded img;

  std::string describe() const override { return "memory"; }
  Result<image::Document> root() override { return fail(Errc::internal, "not used"); }
  Result<std::unique_ptr<io::Reader>> open_blob(const oci::Descriptor& d) override {
    auto it = blobs.find(d.digest);
    if (it == blobs.end()) return failf(Errc::not_found, "no blob {}", d.digest);
    return std::unique_ptr<io::Reader>(new io::StringReader(it->second));
  }

  // A layer of files (path -> content; content "->T" is a symlink to T), with its history.
  void add(const std::vector<std::pair<std::string, std::string>>& files,
           const std::string& created_by) {
    io::StringWriter out;
    auto tar = *archive::TarWriter::open(out);
    for (const auto& [path, content] : files) {
      archive::Entry e;
      e.path = path;
      if (content.starts_with("->")) {
        e.type = archive::EntryType::symlink;
        e.linkname = content.substr(2);
      } else {
        e.size = static_cast<int64_t>(content.size());
      }
      EXPECT_TRUE(tar->add(e));
      if (e.type == archive::EntryType::file) {
        EXPECT_TRUE(tar->write_data(content.data(), content.size()));
      }
    }
    EXPECT_TRUE(tar->finish());
    oci::Descriptor d;
    d.media_type = oci::mt::oci_layer;
    d.digest = Digest::of(out.data());
    d.size = static_cast<int64_t>(out.data().size());
    blobs[d.digest] = out.data();
    img.parsed.layers.push_back(d);
    oci::History h;
    h.created_by = created_by;
    img.config.history.push_back(h);
  }
};

std::string dpkg(const std::vector<std::pair<std::string, std::string>>& pkgs) {
  std::string s;
  for (const auto& [name, version] : pkgs)
    s += "Package: " + name +
         "\nStatus: install ok installed\nArchitecture: amd64\nVersion: " + version + "\n\n";
  return s;
}

std::map<std::string, const Package*> by_name(const Catalog& c) {
  std::map<std::string, const Package*> out;
  for (const auto& p : c.packages) out[p.name] = &p;
  return out;
}

TEST(Catalog, LayersWhiteoutsAndUpgrades) {
  Layers src;
  src.add({{"usr/lib/os-release", "ID=debian\nVERSION_ID=12\n"},
           {"etc/os-release", "->../usr/lib/os-release"},
           {"var/lib/dpkg/status", dpkg({{"a", "1"}, {"b", "1"}})},
           {"var/lib/dpkg/status.d/c", "Package: c\nVersion: 1\n"},
           {"var/lib/dpkg/status.d/d", "Package: d\nVersion: 1\n"}},
          "base");
  src.add({{"var/lib/dpkg/status.d/.wh.c", ""}, {"etc/motd", "hi"}}, "RUN rm c");
  src.add({{"var/lib/dpkg/status", dpkg({{"a", "1"}, {"b", "2"}, {"e", "1"}})}}, "RUN upgrade b");
  src.add({{"etc/motd", "again"}}, "RUN touch");
  auto cat = catalog_image(src, src.img);
  ASSERT_TRUE(cat) << cat.error().message();
  ASSERT_TRUE(cat->distro);
  EXPECT_EQ(cat->distro->id, "debian") << "etc/os-release's link is read through usr/lib";
  auto p = by_name(*cat);
  ASSERT_EQ(p.size(), 4u);  // a, b, d, e: c was whited out
  EXPECT_FALSE(p.contains("c"));
  EXPECT_EQ(p["a"]->layer, 0);
  EXPECT_EQ(p["a"]->created_by, "base");
  EXPECT_EQ(p["b"]->layer, 2);
  EXPECT_EQ(p["b"]->version, "2");
  EXPECT_EQ(p["b"]->created_by, "RUN upgrade b");
  EXPECT_EQ(p["b"]->layer_digest, src.img.parsed.layers[2].digest);
  EXPECT_EQ(p["d"]->layer, 0);
  EXPECT_EQ(p["d"]->db, "/var/lib/dpkg/status.d/d");
  EXPECT_EQ(p["e"]->layer, 2);
  EXPECT_TRUE(cat->warnings.empty());
}

TEST(Catalog, OpaqueDirectoryAndRemovalThenReinstall) {
  Layers src;
  src.add({{"var/lib/dpkg/status", dpkg({{"a", "1"}})}, {"lib/apk/db/installed", "P:x\nV:1\n"}},
          "one");
  // An opaque /var/lib/dpkg hides the status file: nothing of dpkg is left.
  src.add({{"var/lib/dpkg/.wh..wh..opq", ""}}, "two");
  src.add({{"var/lib/dpkg/status", dpkg({{"a", "1"}})}}, "three");
  auto cat = catalog_image(src, src.img);
  ASSERT_TRUE(cat) << cat.error().message();
  auto p = by_name(*cat);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p["a"]->layer, 2) << "gone in layer 1, installed again in layer 2";
  EXPECT_EQ(p["x"]->layer, 0);
  EXPECT_EQ(p["x"]->type, "apk");
  EXPECT_FALSE(cat->distro);
}

TEST(Catalog, OversizedAndCorruptDatabasesAreWarnings) {
  Layers src;
  src.add({{"var/lib/dpkg/status", dpkg({{"a", "1"}})}, {"lib/apk/db/installed", "\x01\x02junk"}},
          "one");
  CatalogOptions o;
  o.max_db_bytes = 20;
  auto cat = catalog_image(src, src.img, o);
  ASSERT_TRUE(cat) << cat.error().message();
  EXPECT_TRUE(cat->packages.empty());
  ASSERT_EQ(cat->warnings.size(), 2u);
  EXPECT_NE(cat->warnings[0].find("var/lib/dpkg/status: "), std::string::npos) << cat->warnings[0];
  EXPECT_NE(cat->warnings[0].find(" bytes, over the limit of 20; skipped"), std::string::npos)
      << cat->warnings[0];
  EXPECT_EQ(cat->warnings[1], "/lib/apk/db/installed: no package could be read from it (corrupt?)");

  // A layer that is not what its descriptor says is an error, not a warning.
  Layers bad;
  bad.add({{"etc/x", "1"}}, "one");
  bad.blobs.begin()->second[0] ^= 1;
  auto err = catalog_image(bad, bad.img);
  ASSERT_FALSE(err);
  EXPECT_NE(err.error().message().find("layer 0"), std::string::npos) << err.error().message();
}

TEST(Catalog, LockFilesListWhatIsNotInstalledAndGemspecs) {
  Layers src;
  src.add({{"app/package-lock.json",
            R"({"lockfileVersion": 3, "packages": {"": {},
                "node_modules/lodash": {"version": "4.17.20"},
                "node_modules/qs": {"version": "6.7.0"}}})"},
           {"usr/lib/ruby/gems/3.1.0/specifications/rake-13.0.6.gemspec",
            "Gem::Specification.new do |s|\n  s.name = \"rake\".freeze\n  s.version = "
            "\"13.0.6\"\nend\n"},
           {"usr/lib/ruby/gems/3.1.0/specifications/default/json-2.6.1.gemspec",
            "Gem::Specification.new do |s|\n  s.name = \"json\"\n  s.version = \"2.6.1\"\nend\n"},
           {"usr/share/doc/x.gemspec", "s.name = 'not-installed'\ns.version = '1'\n"}},
          "COPY . /app");
  src.add({{"app/node_modules/lodash/package.json", R"({"name": "lodash", "version": "4.17.21"})"}},
          "RUN npm ci");
  auto cat = catalog_image(src, src.img);
  ASSERT_TRUE(cat) << cat.error().message();
  std::string got;
  for (const auto& p : cat->packages)
    got +=
        p.type + " " + p.name + "@" + p.version + " " + p.db + " " + std::to_string(p.layer) + "\n";
  // lodash is installed (the installed version wins over the lock's); qs only locked.
  EXPECT_EQ(got,
            "gem json@2.6.1 /usr/lib/ruby/gems/3.1.0/specifications/default/json-2.6.1.gemspec 0\n"
            "gem rake@13.0.6 /usr/lib/ruby/gems/3.1.0/specifications/rake-13.0.6.gemspec 0\n"
            "npm lodash@4.17.21 /app/node_modules/lodash/package.json 1\n"
            "npm qs@6.7.0 /app/package-lock.json 0\n");
}

}  // namespace
}  // namespace kiln::scan
