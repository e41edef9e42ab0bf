#include "kiln/oci/codec.hpp"

#include <gtest/gtest.h>

#include "kiln/oci/convert.hpp"
#include "kiln/oci/media_types.hpp"

namespace kiln::oci {
namespace {

const std::string D1 = "sha256:" + std::string(64, 'a');
const std::string D2 = "sha256:" + std::string(64, 'b');

std::string manifest_json() {
  return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
         R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
         D1 +
         R"(","size":123},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip",)"
         R"("digest":")" +
         D2 +
         R"(","size":456,"urls":["https://x/y"],"annotations":{"a":"b"},)"
         R"("x-vendor":{"k":[1,2]}}],"subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
         R"("digest":")" +
         D1 +
         R"(","size":9},"annotations":{"org.opencontainers.image.created":"now"},)"
         R"("zzz-unknown":true})";
}

TEST(Codec, ManifestRoundTripKeepsUnknownFields) {
  auto m = parse_manifest(manifest_json());
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->layers.size(), 1u);
  EXPECT_EQ(m->layers[0].size, 456);
  EXPECT_EQ(m->layers[0].extra.at("x-vendor"), R"({"k":[1,2]})");
  EXPECT_EQ(m->extra.at("zzz-unknown"), "true");
  ASSERT_TRUE(m->subject);
  // Modify and write: unknown members survive, known order is Go's.
  m->annotations["new"] = "1";
  std::string out = serialize(*m);
  auto again = parse_manifest(out);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->annotations.at("new"), "1");
  EXPECT_EQ(again->layers[0].extra.at("x-vendor"), R"({"k":[1,2]})");
  EXPECT_EQ(again->extra.at("zzz-unknown"), "true");
  EXPECT_EQ(out.find(R"({"schemaVersion":2,"mediaType")"), 0u);
  EXPECT_EQ(serialize(*again), out) << "serialisation is stable";
}

struct Bad {
  std::string json, message;
};
void PrintTo(const Bad& v, std::ostream* os) {
  *os << v.json.substr(0, 40);
}

class ManifestRejects : public ::testing::TestWithParam<Bad> {};

TEST_P(ManifestRejects, NamingTheField) {
  auto m = parse_manifest(GetParam().json);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().message(), GetParam().message);
}

std::string cfg(const std::string& digest) {
  return R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" + digest +
         R"(","size":1})";
}

INSTANTIATE_TEST_SUITE_P(
    All, ManifestRejects,
    ::testing::Values(
        Bad{"{", "manifest: invalid JSON at byte 2"}, Bad{"[]", "manifest: must be a JSON object"},
        Bad{R"({"schemaVersion":1,)" + cfg(D1) + R"(,"layers":[]})",
            "manifest.schemaVersion: must be 2, got 1"},
        Bad{R"({"schemaVersion":2,"layers":[]})", "manifest.config: missing"},
        Bad{R"({"schemaVersion":2,)" + cfg(D1) + "}", "manifest.layers: missing"},
        Bad{R"({"schemaVersion":2,)" + cfg("sha256:xyz") + R"(,"layers":[]})",
            "manifest.config.digest: invalid digest \"sha256:xyz\": sha256 needs 64 hex "
            "characters, got 3"},
        Bad{R"({"schemaVersion":2,)" + cfg(D1) + R"(,"layers":[{"mediaType":"x","digest":")" + D2 +
                R"(","size":"9"}]})",
            "manifest.layers[0].size: must be an integer"},
        Bad{R"({"schemaVersion":2,)" + cfg(D1) + R"(,"layers":[{"mediaType":"x","digest":")" + D2 +
                R"(","size":-1}]})",
            "manifest.layers[0].size: must not be negative"},
        Bad{R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",)" +
                cfg(D1) + R"(,"layers":[]})",
            "manifest.mediaType: \"application/vnd.oci.image.index.v1+json\" is not an image "
            "manifest type"},
        Bad{R"({"schemaVersion":1,"name":"x","fsLayers":[]})",
            "manifest: Docker schema 1 manifests are deprecated and not supported"}));

TEST(Codec, IndexRoundTrip) {
  std::string j =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)"
      R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
      D1 +
      R"(","size":7,"platform":{"architecture":"arm","os":"linux","variant":"v7","os.features":["x"]}}]})";
  auto x = parse_index(j);
  ASSERT_TRUE(x) << x.error().message();
  ASSERT_TRUE(x->manifests[0].platform);
  EXPECT_EQ(x->manifests[0].platform->variant, "v7");
  EXPECT_EQ(
      serialize(*x),
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)"
      R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
          D1 +
          R"(","size":7,"platform":{"architecture":"arm","os":"linux","os.features":["x"],"variant":"v7"}}]})");
  EXPECT_EQ(parse_index(R"({"schemaVersion":2})").error().message(), "index.manifests: missing");
  EXPECT_EQ(parse_index(R"({"schemaVersion":2,"manifests":[{"mediaType":"m","digest":")" + D1 +
                        R"(","size":1,"platform":{"os":"linux"}}]})")
                .error()
                .message(),
            "index.manifests[0].platform.architecture: missing");
}

TEST(Codec, ConfigEveryFieldRoundTrips) {
  std::string j =
      R"({"created":"2024-01-02T03:04:05Z","author":"me","architecture":"amd64","os":"linux",)"
      R"("config":{"User":"app","ExposedPorts":{"80/tcp":{},"53/udp":{}},"Env":["A=1"],)"
      R"("Entrypoint":["/e"],"Cmd":[],"Volumes":{"/data":{}},"WorkingDir":"/w","Labels":{"l":"v"},)"
      R"("StopSignal":"SIGTERM","ArgsEscaped":true,"Healthcheck":{"Test":["CMD","true"],)"
      R"("Interval":1000000000,"Retries":3},"OnBuild":["RUN x"],"Shell":["/bin/bash","-c"],)"
      R"("Hostname":"keep-me"},"rootfs":{"type":"layers","diff_ids":[")" +
      D1 +
      R"("]},)"
      R"("history":[{"created":"2024-01-02T03:04:05Z","created_by":"RUN x","empty_layer":true,"comment":"c"}],)"
      R"("container":"abc"})";
  auto c = parse_config(j);
  ASSERT_TRUE(c) << c.error().message();
  ASSERT_TRUE(c->config);
  const auto& cc = *c->config;
  EXPECT_EQ(cc.exposed_ports, (std::vector<std::string>{"53/udp", "80/tcp"}));
  ASSERT_TRUE(cc.cmd);
  EXPECT_TRUE(cc.cmd->empty()) << "an empty Cmd is not the same as no Cmd";
  EXPECT_FALSE(c->config->on_build->empty());
  EXPECT_EQ(cc.healthcheck->interval, 1000000000);
  EXPECT_EQ(cc.extra.at("Hostname"), "\"keep-me\"");
  EXPECT_EQ(c->extra.at("container"), "\"abc\"");
  EXPECT_TRUE(c->history[0].empty_layer);
  auto again = parse_config(serialize(*c));
  ASSERT_TRUE(again);
  EXPECT_EQ(serialize(*again), serialize(*c));
  EXPECT_EQ(again->config->extra.at("Hostname"), "\"keep-me\"");
}

TEST(Codec, ConfigRejects) {
  EXPECT_EQ(
      parse_config(R"({"os":"linux","rootfs":{"type":"layers","diff_ids":[]}})").error().message(),
      "config.architecture: missing");
  EXPECT_EQ(parse_config(R"({"os":"linux","architecture":"amd64"})").error().message(),
            "config.rootfs: missing");
  EXPECT_EQ(
      parse_config(R"({"os":"linux","architecture":"amd64","rootfs":{"type":"x","diff_ids":[]}})")
          .error()
          .message(),
      "config.rootfs.type: must be \"layers\", got \"x\"");
  EXPECT_EQ(
      parse_config(
          R"({"os":"linux","architecture":"amd64","rootfs":{"type":"layers","diff_ids":["x"]}})")
          .error()
          .message(),
      "config.rootfs.diff_ids[0]: invalid digest \"x\": missing algorithm prefix");
  EXPECT_EQ(
      parse_config(
          R"({"os":"linux","architecture":"amd64","config":{"Env":"A=1"},"rootfs":{"type":"layers","diff_ids":[]}})")
          .error()
          .message(),
      "config.config.Env: must be an array of strings");
}

TEST(Convert, OciDockerRoundTrip) {
  auto m = parse_manifest(manifest_json());
  m->subject.reset();
  auto d = convert(*m, Format::docker);
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(d->media_type, mt::docker_manifest);
  EXPECT_EQ(d->config.media_type, mt::docker_config);
  EXPECT_EQ(d->layers[0].media_type, mt::docker_layer_gzip);
  auto o = convert(*d, Format::oci);
  EXPECT_EQ(o->layers[0].media_type, mt::oci_layer_gzip);
  EXPECT_EQ(o->config.media_type, mt::oci_config);
  m->layers[0].media_type = mt::oci_layer_zstd;
  EXPECT_EQ(convert(*m, Format::docker).error().message(),
            "layers[0]: layer media type \"application/vnd.oci.image.layer.v1.tar+zstd\" has no "
            "Docker v2 equivalent");
}

TEST(Codec, SniffMediaType) {
  EXPECT_EQ(sniff_media_type(manifest_json()), mt::oci_manifest);
  EXPECT_EQ(sniff_media_type("nope"), "");
}

}  // namespace
}  // namespace kiln::oci
