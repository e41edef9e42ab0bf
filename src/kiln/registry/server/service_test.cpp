// The distribution handlers and gc over the memory driver, without sockets.
#include "kiln/registry/server/service.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <nlohmann/json.hpp>

#include "kiln/registry/server/fault_driver.hpp"
#include "kiln/registry/server/gc.hpp"
#include "kiln/registry/server/layout.hpp"

namespace kiln::registry::server {
namespace {

struct Call {
  std::string method;
  std::string path;
  std::string body;
  std::map<std::string, std::string> headers;
};

Response run(Service& s, const Call& c) {
  Request r;
  r.method = c.method;
  size_t q = c.path.find('?');
  r.path = c.path.substr(0, q);
  if (q != std::string::npos) r.query = c.path.substr(q + 1);
  r.header = [&c](std::string_view k) -> std::string_view {
    auto it = c.headers.find(std::string(k));
    return it == c.headers.end() ? std::string_view() : std::string_view(it->second);
  };
  r.content_length = static_cast<int64_t>(c.body.size());
  Reply rep = s.handle(route(r.path), r);
  if (!rep.sink) return std::move(rep.response);
  if (!c.body.empty()) {
    if (auto st = rep.sink->write(std::span(c.body.data(), c.body.size())); !st)
      return rep.sink->abort(st.error());
  }
  return rep.sink->finish();
}

std::string header(const Response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

std::string push_blob(Service& s, const std::string& repo, const std::string& data) {
  std::string d = Digest::of(data).str();
  auto r = run(s, {"POST", "/v2/" + repo + "/blobs/uploads/?digest=" + d, data, {}});
  EXPECT_EQ(r.status, 201) << r.body;
  return d;
}

std::string manifest_for(const std::string& config, const std::vector<std::string>& layers) {
  nlohmann::json m{{"schemaVersion", 2},
                   {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                   {"config",
                    {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                     {"digest", Digest::of(config).str()},
                     {"size", config.size()}}},
                   {"layers", nlohmann::json::array()}};
  for (const auto& l : layers)
    m["layers"].push_back({{"mediaType", "application/vnd.oci.image.layer.v1.tar"},
                           {"digest", Digest::of(l).str()},
                           {"size", l.size()}});
  return m.dump();
}

TEST(Service, PushPullDelete) {
  auto d = memory_driver();
  Service s(*d, {});
  push_blob(s, "a/b", "config");
  push_blob(s, "a/b", "layer");
  std::string m = manifest_for("config", {"layer"});
  auto put = run(s, {"PUT",
                     "/v2/a/b/manifests/v1",
                     m,
                     {{"Content-Type", "application/vnd.oci.image.manifest.v1+json"}}});
  ASSERT_EQ(put.status, 201) << put.body;
  EXPECT_EQ(header(put, "Docker-Content-Digest"), Digest::of(m).str());
  auto get = run(s, {"GET", "/v2/a/b/manifests/v1", "", {}});
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(get.body, m);
  EXPECT_EQ(run(s, {"GET", "/v2/other/manifests/v1", "", {}}).status, 404)
      << "manifests are per repository";
  EXPECT_EQ(run(s, {"GET", "/v2/other/blobs/" + Digest::of("layer").str(), "", {}}).status, 404)
      << "blobs are per repository";
  EXPECT_EQ(run(s, {"DELETE", "/v2/a/b/manifests/" + Digest::of(m).str(), "", {}}).status, 202);
  EXPECT_EQ(run(s, {"GET", "/v2/a/b/manifests/v1", "", {}}).status, 404) << "tag went with it";
}

// POST then PUT with the whole blob: the memory driver has a Writer, so the bytes go straight
// to the blob's key; the fault wrapper has none, so they go through the upload and a move.
// Either way the same answers, and a wrong digest leaves nothing behind.
TEST(Service, MonolithicPutWithAndWithoutAWriter) {
  for (bool writer : {true, false}) {
    SCOPED_TRACE(writer ? "direct to the blob's key" : "through the upload");
    auto inner = memory_driver();
    FaultDriver wrapped{*inner};
    Driver& d = writer ? *inner : static_cast<Driver&>(wrapped);
    Service s(d, {});
    auto start = [&] {
      auto r = run(s, {"POST", "/v2/r/blobs/uploads/", "", {}});
      EXPECT_EQ(r.status, 202);
      return header(r, "Location");
    };
    std::string big(3 << 20, 'b');
    std::string dg = Digest::of(big).str();
    auto r = run(s, {"PUT", start() + "?digest=" + dg, big, {}});
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(header(r, "Docker-Content-Digest"), dg);
    EXPECT_EQ(*d.get(layout::blob(Digest::of(big))), big);
    EXPECT_EQ(run(s, {"HEAD", "/v2/r/blobs/" + dg, "", {}}).status, 200);
    r = run(s, {"PUT", start() + "?digest=" + Digest::of("other").str(), "not other", {}});
    EXPECT_EQ(r.status, 400);
    EXPECT_NE(r.body.find("DIGEST_INVALID"), std::string::npos) << r.body;
    EXPECT_FALSE(d.stat(layout::blob(Digest::of("other"))));
    EXPECT_FALSE(d.stat(layout::blob(Digest::of("not other"))));
    EXPECT_TRUE(d.list("uploads")->empty()) << "finished and failed sessions are removed";
  }
}

TEST(Service, ManifestValidation) {
  auto d = memory_driver();
  Service s(*d, {});
  push_blob(s, "r", "config");
  std::string m = manifest_for("config", {"missing layer"});
  auto r = run(s, {"PUT", "/v2/r/manifests/x", m, {}});
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("MANIFEST_BLOB_UNKNOWN"), std::string::npos);
  auto j = nlohmann::json::parse(manifest_for("config", {}));
  j["config"]["size"] = 99;
  r = run(s, {"PUT", "/v2/r/manifests/x", j.dump(), {}});
  EXPECT_EQ(r.status, 400) << "a descriptor size that does not match the blob";
  r = run(s, {"PUT",
              "/v2/r/manifests/x",
              manifest_for("config", {}),
              {{"Content-Type", "application/vnd.oci.image.index.v1+json"}}});
  EXPECT_EQ(r.status, 400) << "Content-Type must match the body's mediaType";
  r = run(s, {"PUT", "/v2/r/manifests/x", R"({"schemaVersion":1,"fsLayers":[]})", {}});
  EXPECT_EQ(r.status, 400);
  ServiceOptions small;
  small.max_manifest_bytes = 10;
  Service s2(*d, small);
  r = run(s2, {"PUT", "/v2/r/manifests/x", manifest_for("config", {}), {}});
  EXPECT_EQ(r.status, 413);
}

TEST(Service, UploadDigestMismatchStoresNothing) {
  auto d = memory_driver();
  Service s(*d, {});
  auto r = run(s, {"POST", "/v2/r/blobs/uploads/?digest=" + Digest::of("x").str(), "y", {}});
  EXPECT_EQ(r.status, 400);
  EXPECT_FALSE(d->stat(layout::blob(Digest::of("y"))));
  EXPECT_FALSE(d->stat(layout::blob(Digest::of("x"))));
  EXPECT_TRUE(d->list("uploads")->empty()) << "the failed upload is removed";
}

TEST(Service, UploadResumesWithoutHashState) {
  auto d = memory_driver();
  Service s(*d, {});
  auto r = run(s, {"POST", "/v2/r/blobs/uploads/", "", {}});
  std::string loc = header(r, "Location");
  r = run(s, {"PATCH", loc, "hello ", {{"Content-Range", "0-5"}}});
  ASSERT_EQ(r.status, 202);
  // A restart: a new service over the same storage has no hash state for the upload.
  Service again(*d, {});
  r = run(again, {"GET", loc, "", {}});
  EXPECT_EQ(header(r, "Range"), "0-5");
  r = run(again, {"PUT",
                  loc + "?digest=" + Digest::of("hello world").str(),
                  "world",
                  {{"Content-Range", "6-10"}}});
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(*d->get(layout::blob(Digest::of("hello world"))), "hello world");
}

TEST(Gc, KeepsWhatManifestsReachAndDeletesTheRest) {
  auto d = memory_driver();
  Service s(*d, {});
  push_blob(s, "r", "config");
  push_blob(s, "r", "kept layer");
  push_blob(s, "r", "orphan");
  std::string m = manifest_for("config", {"kept layer"});
  ASSERT_EQ(run(s, {"PUT", "/v2/r/manifests/v1", m, {}}).status, 201);
  GcRequest dry{true, false, 0, nullptr};
  auto rep = collect_garbage(*d, dry);
  ASSERT_TRUE(rep);
  EXPECT_EQ(rep->blobs_deleted, 1);
  EXPECT_TRUE(d->stat(layout::blob(Digest::of("orphan")))) << "a dry run deletes nothing";
  GcRequest real{false, false, 0, &s};
  rep = collect_garbage(*d, real);
  ASSERT_TRUE(rep);
  EXPECT_EQ(rep->blobs_deleted, 1);
  EXPECT_FALSE(d->stat(layout::blob(Digest::of("orphan"))));
  EXPECT_TRUE(d->stat(layout::blob(Digest::of("kept layer"))));
  EXPECT_EQ(run(s, {"GET", "/v2/r/manifests/v1", "", {}}).status, 200);

  // Untagged manifests go only with delete_untagged, and not while a tag's history names them
  // (kiln rollback).
  ASSERT_EQ(run(s, {"DELETE", "/v2/r/manifests/v1", "", {}}).status, 202);
  rep = collect_garbage(*d, GcRequest{false, false, 0, nullptr});
  EXPECT_EQ(rep->manifests_deleted, 0);
  EXPECT_TRUE(d->stat(layout::blob(Digest::of("kept layer"))));
  rep = collect_garbage(*d, GcRequest{false, true, 0, nullptr});
  EXPECT_EQ(rep->manifests_deleted, 0);
  EXPECT_TRUE(d->stat(layout::blob(Digest::of(m))));
  ASSERT_TRUE(d->remove(tag_history_dir("r", "v1")));  // the history forgets it
  rep = collect_garbage(*d, GcRequest{false, true, 0, nullptr});
  EXPECT_EQ(rep->manifests_deleted, 1);
  EXPECT_FALSE(d->stat(layout::blob(Digest::of("kept layer"))));
  EXPECT_FALSE(d->stat(layout::blob(Digest::of(m))));
}

TEST(Gc, GraceKeepsYoungBlobs) {
  auto d = memory_driver();
  Service s(*d, {});
  push_blob(s, "r", "young");
  auto rep = collect_garbage(*d, GcRequest{false, false, 3600, nullptr});
  ASSERT_TRUE(rep);
  EXPECT_EQ(rep->blobs_deleted, 0);
  EXPECT_TRUE(d->stat(layout::blob(Digest::of("young"))));
}

// Hostile manifests: wrongly typed fields and deep nesting are 400s, never an exception (a
// 500 from the HTTP layer's catch) and never a crash.
TEST(Service, HostileManifestsAreRefusedWith400) {
  auto d = memory_driver();
  Service s(*d, {});
  push_blob(s, "r", "config");
  auto m = nlohmann::json::parse(manifest_for("config", {}));
  m["config"]["mediaType"] = 5;
  m["layers"] = nlohmann::json::array({{{"mediaType", 7}, {"digest", 9}, {"size", "x"}}});
  auto r = run(s, {"PUT", "/v2/r/manifests/typed", m.dump(), {}});
  EXPECT_EQ(r.status, 400) << r.body;
  std::string deep =
      "{\"schemaVersion\":2,\"x\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  r = run(s, {"PUT", "/v2/r/manifests/deep", deep, {}});
  EXPECT_EQ(r.status, 400) << r.body.substr(0, 200);
  EXPECT_NE(r.body.find("MANIFEST_INVALID"), std::string::npos) << r.body.substr(0, 200);
  // A manifest under a name that is not a tag is unknown to GET and HEAD (404), not 400.
  r = run(s, {"GET", "/v2/r/manifests/.INVALID_MANIFEST_NAME", "", {}});
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("MANIFEST_UNKNOWN"), std::string::npos) << r.body;
  r = run(s, {"PUT", "/v2/r/manifests/.INVALID_MANIFEST_NAME", manifest_for("config", {}), {}});
  EXPECT_EQ(r.status, 400);
}

// Every key and value of a driver, to compare before and after.
std::map<std::string, std::string> snapshot(Driver& d, const std::string& prefix = "") {
  std::map<std::string, std::string> out;
  auto names = d.list(prefix);
  if (!names) return out;
  for (const auto& n : *names) {
    std::string key = prefix.empty() ? n : prefix + "/" + n;
    auto st = d.stat(key);
    if (st && st->dir) {
      out.merge(snapshot(d, key));
    } else if (auto v = d.get(key)) {
      out[key] = *v;
    }
  }
  return out;
}

// A registry with a tagged image, an untagged one and an orphan blob: gc has work to do.
struct GcFixture {
  std::unique_ptr<Driver> inner = memory_driver();
  FaultDriver d{*inner};
  Service s{d, {}};
  GcFixture() {
    push_blob(s, "r", "config");
    push_blob(s, "r", "layer");
    push_blob(s, "r", "orphan");
    push_blob(s, "r", "untagged layer");
    EXPECT_EQ(run(s, {"PUT", "/v2/r/manifests/v1", manifest_for("config", {"layer"}), {}}).status,
              201);
    std::string m2 = manifest_for("config", {"untagged layer"});
    EXPECT_EQ(run(s, {"PUT", "/v2/r/manifests/" + Digest::of(m2).str(), m2, {}}).status, 201);
  }
};

// Fails closed: an error while marking (listing, reading a tag or a manifest, a corrupt link)
// stops gc before it deletes anything.
TEST(Gc, AnErrorWhileMarkingDeletesNothing) {
  struct Case {
    const char* what;
    std::function<void(GcFixture&)> inject;
    Errc code;
    bool tags_only = false;  // tags are read only when untagged manifests are collected
  };
  std::vector<Case> cases = {
      {"EIO listing the revisions",
       [](GcFixture& f) {
         f.d.fail({FaultDriver::Op::list, layout::revisions("r")});
       },
       Errc::io},
      {"EMFILE listing the tags",
       [](GcFixture& f) {
         f.d.fail({FaultDriver::Op::list, layout::tags("r"), Errc::io,
                   "injected fault: Too many open files"});
       },
       Errc::io, true},
      {"EIO reading a tag",
       [](GcFixture& f) {
         f.d.fail({FaultDriver::Op::get, layout::tag("r", "v1")});
       },
       Errc::io, true},
      {"EIO reading a manifest",
       [](GcFixture& f) {
         f.d.fail(
             {FaultDriver::Op::get, layout::blob(Digest::of(manifest_for("config", {"layer"})))});
       },
       Errc::io},
      {"EIO listing the repositories",
       [](GcFixture& f) {
         f.d.fail({FaultDriver::Op::list, layout::repos()});
       },
       Errc::io},
      {"EIO listing a referrers directory",
       [](GcFixture& f) {
         f.d.fail({FaultDriver::Op::list, layout::referrers("r")});
       },
       Errc::io},
      {"a corrupt tag link",
       [](GcFixture& f) { ASSERT_TRUE(f.inner->put(layout::tag("r", "v1"), "garbage")); },
       Errc::corrupt, true},
      {"a manifest that is not JSON",
       [](GcFixture& f) {
         ASSERT_TRUE(f.inner->put(layout::blob(Digest::of(manifest_for("config", {"layer"}))),
                                  "{not json"));
       },
       Errc::corrupt},
  };
  for (const auto& c : cases) {
    for (bool untagged : {true, false}) {
      if (c.tags_only && !untagged) continue;
      GcFixture f;
      c.inject(f);
      auto before = snapshot(*f.inner);
      auto rep = collect_garbage(f.d, GcRequest{false, untagged, 0, nullptr});
      ASSERT_FALSE(rep) << c.what << ": gc went on";
      EXPECT_EQ(rep.error().code(), c.code) << c.what << ": " << rep.error().message();
      EXPECT_EQ(snapshot(*f.inner), before) << c.what << ": gc deleted something";
    }
  }
}

// The fixture of the test above does have garbage: without faults, gc deletes some.
TEST(Gc, WithoutFaultsTheFixtureHasGarbage) {
  GcFixture f;
  auto rep = collect_garbage(f.d, GcRequest{false, true, 0, nullptr});
  ASSERT_TRUE(rep) << rep.error().message();
  EXPECT_EQ(rep->blobs_deleted, 3);  // orphan, untagged layer, the untagged manifest
  EXPECT_EQ(rep->manifests_deleted, 1);
  EXPECT_TRUE(f.d.stat(layout::blob(Digest::of("layer"))));
}

}  // namespace
}  // namespace kiln::registry::server

namespace kiln::registry::server {
namespace {

const std::map<std::string, std::string> k_oci_type = {
    {"Content-Type", "application/vnd.oci.image.manifest.v1+json"}};

TEST(ServiceTags, HistoryRecordsEveryChangeNewestFirst) {
  auto d = memory_driver();
  Service s(*d, {});
  push_blob(s, "a", "config");
  push_blob(s, "a", "l1");
  push_blob(s, "a", "l2");
  std::string m1 = manifest_for("config", {"l1"}), m2 = manifest_for("config", {"l2"});
  EXPECT_EQ(run(s, {"PUT", "/v2/a/manifests/t", m1, k_oci_type}).status, 201);
  EXPECT_EQ(run(s, {"PUT", "/v2/a/manifests/t", m1, k_oci_type}).status, 201);  // no change
  EXPECT_EQ(run(s, {"PUT", "/v2/a/manifests/t", m2, k_oci_type}).status, 201);
  EXPECT_EQ(run(s, {"DELETE", "/v2/a/manifests/t", "", {}}).status, 202);
  auto h = run(s, {"GET", "/v2/a/_kiln/tags/t/history", "", {}});
  ASSERT_EQ(h.status, 200) << h.body;
  auto j = nlohmann::json::parse(h.body);
  ASSERT_EQ(j["history"].size(), 3u) << h.body;
  EXPECT_EQ(j["history"][0]["action"], "delete");
  EXPECT_EQ(j["history"][1]["digest"], Digest::of(m2).str());
  EXPECT_EQ(j["history"][2]["digest"], Digest::of(m1).str());
  EXPECT_EQ(run(s, {"GET", "/v2/a/_kiln/tags/never/history", "", {}}).status, 404);
}

TEST(ServiceTags, HistoryIsPrunedToThePolicy) {
  auto d = memory_driver();
  ServiceOptions o;
  o.history.keep = 2;
  Service s(*d, o);
  push_blob(s, "a", "config");
  for (int i = 0; i < 5; ++i) {
    std::string layer = "l" + std::to_string(i);
    push_blob(s, "a", layer);
    EXPECT_EQ(
        run(s, {"PUT", "/v2/a/manifests/t", manifest_for("config", {layer}), k_oci_type}).status,
        201);
  }
  auto events = tag_history(*d, "a", "t");
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ(events->front().digest, Digest::of(manifest_for("config", {"l4"})));
}

TEST(ServiceTags, ImmutableTagsNeverMoveAndNeedAnAdminToDelete) {
  auto d = memory_driver();
  ServiceOptions o;
  o.immutable.push_back({"prod/*", {"v*"}});
  Service s(*d, o);
  push_blob(s, "prod/x", "config");
  push_blob(s, "prod/x", "l1");
  push_blob(s, "prod/x", "l2");
  std::string m1 = manifest_for("config", {"l1"}), m2 = manifest_for("config", {"l2"});
  EXPECT_EQ(run(s, {"PUT", "/v2/prod/x/manifests/v1", m1, k_oci_type}).status, 201);
  EXPECT_EQ(run(s, {"PUT", "/v2/prod/x/manifests/v1", m1, k_oci_type}).status, 201);
  auto moved = run(s, {"PUT", "/v2/prod/x/manifests/v1", m2, k_oci_type});
  EXPECT_EQ(moved.status, 409);
  EXPECT_NE(moved.body.find("immutable"), std::string::npos) << moved.body;
  EXPECT_NE(moved.body.find("prod/*"), std::string::npos) << moved.body;
  // The refused manifest was not stored either.
  EXPECT_EQ(run(s, {"GET", "/v2/prod/x/manifests/" + Digest::of(m2).str(), "", {}}).status, 404);
  EXPECT_EQ(run(s, {"PUT", "/v2/prod/x/manifests/latest", m2, k_oci_type}).status, 201);

  Request del;
  del.method = "DELETE";
  del.path = "/v2/prod/x/manifests/v1";
  del.header = [](std::string_view) { return std::string_view(); };
  del.admin = false;
  EXPECT_EQ(s.handle(route(del.path), del).response.status, 403);
  del.path = "/v2/prod/x/manifests/" + Digest::of(m1).str();
  EXPECT_EQ(s.handle(route(del.path), del).response.status, 403);
  EXPECT_EQ(run(s, {"GET", "/v2/prod/x/manifests/v1", "", {}}).status, 200);
  del.admin = true;
  del.path = "/v2/prod/x/manifests/v1";
  EXPECT_EQ(s.handle(route(del.path), del).response.status, 202);
  EXPECT_EQ(run(s, {"GET", "/v2/prod/x/manifests/v1", "", {}}).status, 404);
}

}  // namespace
}  // namespace kiln::registry::server
