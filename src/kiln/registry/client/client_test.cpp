// The registry client against the real registry Service over the memory driver, through the
// in-process HTTP transport: no sockets, no sleeping (a FakeClock takes the backoff). A test
// Authenticator and token server stand in for htpasswd and a Docker token service, and a
// fault layer in front of the transport drops connections and answers 503s.
#include "kiln/registry/client/client.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <set>

#include "kiln/oci/media_types.hpp"
#include "kiln/os/temp_dir.hpp"
#include "kiln/registry/server/dispatch.hpp"
#include "kiln/registry/server/inproc_transport.hpp"

namespace kiln::registry::client {
namespace {

namespace srv = registry::server;
using std::chrono::milliseconds;

// Basic (alice:secret) or Bearer (tokens from http://auth.test/token) access control.
class TestAuth final : public srv::Authenticator {
 public:
  enum class Mode { none, basic, bearer } mode = Mode::none;
  std::mutex mu;
  std::set<std::string> valid_tokens;

  srv::AuthOutcome check(const srv::Request& req, const std::vector<srv::Access>& need) override {
    std::string got(req.header("Authorization"));
    srv::AuthOutcome out;
    if (mode == Mode::none) {
      out.allowed = true;
      return out;
    }
    if (mode == Mode::basic) {
      out.allowed = got == "Basic " + net::base64_encode("alice:secret");
      out.challenge.status = 401;
      out.challenge.set("WWW-Authenticate", "Basic realm=\"test\"");
      return out;
    }
    {
      std::lock_guard lk(mu);
      out.allowed = got.starts_with("Bearer ") && valid_tokens.count(got.substr(7));
    }
    std::string scope;
    for (const auto& a : need)
      scope += (scope.empty() ? "" : " ") + a.type + ":" + a.name + ":" +
               (a.actions.empty() ? "" : a.actions[0]) +
               (a.actions.size() > 1 ? "," + a.actions[1] : "");
    out.challenge.status = 401;
    out.challenge.set("WWW-Authenticate",
                      "Bearer realm=\"http://auth.test/token\",service=\"test\"" +
                          (scope.empty() ? std::string() : ",scope=\"" + scope + "\""));
    return out;
  }
};

// The registry, its token server, a second host for redirected blobs, and a fault hook that
// can answer any request before the registry sees it.
class Harness {
 public:
  using Fault = std::function<std::optional<Result<net::Response>>(const net::Request&)>;

  Harness() : m_driver(srv::memory_driver()), m_service(*m_driver, {}) {
    auto inner = srv::in_process_transport([this](const srv::Request& r) { return route(r); });
    m_transport = std::make_shared<Faulty>(*this, inner);
  }

  Options options() {
    Options o;
    o.transport = m_transport;
    o.clock = &clock;
    o.authfile = m_tmp->path() + "/auth.json";  // none: no credentials unless given
    return o;
  }
  std::unique_ptr<Registry> open(Options o) {
    return std::move(*Registry::open("localhost:5000", o));
  }
  // A client of user alice with `password`.
  std::unique_ptr<Registry> open_as_alice(const std::string& password) {
    auto o = options();
    o.creds = Credentials{"alice", password};
    return open(o);
  }

  TestAuth auth;
  os::FakeClock clock;
  Fault fault;
  int token_expires_in = 300;
  std::atomic<int> token_requests{0};
  std::vector<std::string> seen;  // "METHOD path Authorization"
  std::mutex seen_mu;
  std::map<std::string, std::string> storage;  // http://storage.test/<key> contents

 private:
  struct Faulty final : net::HttpTransport {
    Faulty(Harness& h, std::shared_ptr<net::HttpTransport> inner) : h(h), inner(std::move(inner)) {}
    Result<net::Response> perform(const net::Request& r) override {
      {
        std::lock_guard lk(h.seen_mu);
        h.seen.push_back(r.method + " " + r.url + " " +
                         r.headers.get("Authorization").value_or(""));
      }
      if (h.fault)
        if (auto injected = h.fault(r)) return *injected;
      return inner->perform(r);
    }
    Harness& h;
    std::shared_ptr<net::HttpTransport> inner;
  };

  srv::Reply route(const srv::Request& r) {
    std::string host(r.header("Host"));
    if (host == "auth.test") return token(r);
    if (host == "storage.test") {
      srv::Response resp;
      if (!r.header("Authorization").empty()) {
        resp.status = 400;  // our credentials must not travel to another host
        resp.body = "credentials sent to storage";
      } else {
        resp.body = storage[r.path.substr(1)];
      }
      return {std::move(resp), nullptr};
    }
    return srv::dispatch(m_service, auth, srv::route(r.path), r);
  }

  srv::Reply token(const srv::Request& r) {
    ++token_requests;
    srv::Response resp;
    std::string got(r.header("Authorization"));
    if (!got.empty() && got != "Basic " + net::base64_encode("alice:secret")) {
      resp.status = 401;
      resp.body = R"({"details":"bad credentials"})";
      return {std::move(resp), nullptr};
    }
    std::string tok = "tok-" + std::to_string(token_requests.load());
    {
      std::lock_guard lk(auth.mu);
      auth.valid_tokens.insert(tok);
    }
    resp.body = fmt::format(R"({{"token":"{}","expires_in":{}}})", tok, token_expires_in);
    return {std::move(resp), nullptr};
  }

  std::unique_ptr<os::TempDir> m_tmp = std::make_unique<os::TempDir>(*os::TempDir::create("regc"));
  std::unique_ptr<srv::Driver> m_driver;
  srv::Service m_service;
  std::shared_ptr<net::HttpTransport> m_transport;
};

oci::Descriptor blob_desc(const std::string& data,
                          std::string mt = std::string(oci::mt::oci_layer_gzip)) {
  oci::Descriptor d;
  d.media_type = std::move(mt);
  d.digest = Digest::of(data);
  d.size = static_cast<int64_t>(data.size());
  return d;
}

image::Document manifest_doc(const oci::Descriptor& config, const oci::Descriptor& layer) {
  std::string raw = fmt::format(
      R"({{"schemaVersion":2,"mediaType":"{}","config":{{"mediaType":"{}","digest":"{}","size":{}}},"layers":[{{"mediaType":"{}","digest":"{}","size":{}}}]}})",
      oci::mt::oci_manifest, config.media_type, config.digest.str(), config.size, layer.media_type,
      layer.digest.str(), layer.size);
  return {raw, std::string(oci::mt::oci_manifest), Digest::of(raw)};
}

// Pushes a config, a layer and a manifest to repo:tag.
void push_image(Registry& reg, const std::string& repo, const std::string& tag,
                const std::string& layer_data) {
  std::string config =
      R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})";
  auto c = blob_desc(config, std::string(oci::mt::oci_config));
  auto l = blob_desc(layer_data);
  io::StringReader cr(config), lr(layer_data);
  ASSERT_TRUE(reg.put_blob(repo, c, cr));
  ASSERT_TRUE(reg.put_blob(repo, l, lr));
  auto st = reg.put_manifest(repo, tag, manifest_doc(c, l));
  ASSERT_TRUE(st) << st.error().message();
}

TEST(RegistryClient, PushPullListDelete) {
  Harness h;
  auto reg = h.open(h.options());
  ASSERT_TRUE(reg->ping());
  std::string big(3 << 20, 'x');  // past k_monolithic_max: a streamed PUT
  for (size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>('a' + i % 26);
  push_image(*reg, "team/app", "v1", big);

  auto m = reg->get_manifest("team/app", "v1");
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->media_type, oci::mt::oci_manifest);
  EXPECT_EQ(m->digest, Digest::of(m->raw));
  auto l = blob_desc(big);
  EXPECT_EQ(*reg->head_blob("team/app", l.digest), l.size);
  EXPECT_FALSE(*reg->head_blob("team/app", Digest::of("absent")));
  io::StringWriter out;
  ASSERT_TRUE(reg->get_blob("team/app", l, out));
  EXPECT_EQ(out.data(), big);
  EXPECT_EQ(*reg->tags("team/app"), std::vector<std::string>{"v1"});

  // A blob of one repository mounts into another without a new upload.
  EXPECT_TRUE(*reg->mount_blob("other/app", l.digest, "team/app"));
  EXPECT_EQ(*reg->head_blob("other/app", l.digest), l.size);

  ASSERT_TRUE(reg->delete_manifest("team/app", m->digest));
  auto gone = reg->get_manifest("team/app", "v1");
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code(), Errc::not_found);
}

TEST(RegistryClient, BearerTokenIsFetchedOnceAndRenewedWhenItExpires) {
  Harness h;
  h.auth.mode = TestAuth::Mode::bearer;
  auto reg = h.open_as_alice("secret");
  push_image(*reg, "team/app", "v1", "layer");
  EXPECT_EQ(h.token_requests, 1) << "one token for every request of the push's scope";
  // Pulls have a scope of their own (repository:team/app:pull): one more token, then reuse.
  ASSERT_TRUE(reg->get_manifest("team/app", "v1"));
  ASSERT_TRUE(reg->get_manifest("team/app", "v1"));
  EXPECT_EQ(h.token_requests, 2);
  bool sent_token = false;
  for (const auto& s : h.seen) sent_token |= s.find("Bearer tok-1") != std::string::npos;
  EXPECT_TRUE(sent_token);

  // Past its lifetime the token is not presented again: a new one is fetched.
  h.clock.advance(milliseconds(301'000));
  ASSERT_TRUE(reg->get_manifest("team/app", "v1"));
  EXPECT_EQ(h.token_requests, 3);
}

TEST(RegistryClient, AnonymousTokenAndRefusedCredentials) {
  Harness h;
  h.auth.mode = TestAuth::Mode::bearer;
  auto reg = h.open(h.options());  // anonymous: the token server gives one to anyone
  ASSERT_TRUE(reg->ping());
  auto bad = h.open_as_alice("wrong")->get_manifest("team/app", "v1");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), Errc::unauthorized);
  EXPECT_NE(bad.error().message().find("the token server refused the credentials"),
            std::string::npos)
      << bad.error().message();
}

TEST(RegistryClient, BasicAuth) {
  Harness h;
  h.auth.mode = TestAuth::Mode::basic;
  auto reg = h.open_as_alice("secret");
  push_image(*reg, "team/app", "v1", "layer");
  ASSERT_TRUE(reg->get_manifest("team/app", "v1"));

  auto bad = h.open_as_alice("wrong")->get_manifest("team/app", "v1");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), Errc::unauthorized);
  EXPECT_NE(bad.error().message().find("wrong credentials?"), std::string::npos)
      << bad.error().message();

  auto anonymous = h.open(h.options())->get_manifest("team/app", "v1");
  ASSERT_FALSE(anonymous);
  EXPECT_NE(anonymous.error().message().find("wants credentials (kiln login localhost:5000)"),
            std::string::npos)
      << anonymous.error().message();
}

TEST(RegistryClient, RetriesServerErrorsWithBackoffAndRetryAfter) {
  Harness h;
  auto reg = h.open(h.options());
  push_image(*reg, "team/app", "v1", "layer");
  int failures = 0;
  h.fault = [&](const net::Request& r) -> std::optional<Result<net::Response>> {
    if (r.url.find("/manifests/") == std::string::npos || failures >= 3) return std::nullopt;
    ++failures;
    net::Response resp;
    resp.status = failures == 2 ? 429 : 503;
    if (failures == 3) resp.headers.add("Retry-After", "7");
    return resp;
  };
  ASSERT_TRUE(reg->get_manifest("team/app", "v1"));
  EXPECT_EQ(h.clock.sleeps(),
            (std::vector<milliseconds>{milliseconds(200), milliseconds(400), milliseconds(7000)}));

  // A registry that keeps failing: max_retries more attempts, then its error.
  failures = -100;
  auto gave_up = reg->get_manifest("team/app", "v1");
  ASSERT_FALSE(gave_up);
  EXPECT_EQ(failures, -100 + 5) << "the first attempt and max_retries (4) retries";
}

TEST(RegistryClient, ConnectionErrorsAreRetriedOnlyWhenTheRequestCanBeRepeated) {
  Harness h;
  auto reg = h.open(h.options());
  int drops = 0;
  h.fault = [&](const net::Request&) -> std::optional<Result<net::Response>> {
    if (drops++ < 2) return Result<net::Response>(fail(Errc::io, "connection reset"));
    return std::nullopt;
  };
  ASSERT_TRUE(reg->ping());
  EXPECT_EQ(drops, 3);

  // A streamed upload body cannot be sent twice: the error comes back, no retry.
  drops = 0;
  h.fault = [&](const net::Request& r) -> std::optional<Result<net::Response>> {
    if (r.method == "PATCH" || (r.method == "PUT" && r.body && !r.body_data)) {
      ++drops;
      return Result<net::Response>(fail(Errc::io, "connection reset"));
    }
    return std::nullopt;
  };
  std::string big(2 << 20, 'y');
  io::StringReader in(big);
  auto st = reg->put_blob("team/app", blob_desc(big), in);
  ASSERT_FALSE(st);
  EXPECT_EQ(drops, 1);
  EXPECT_NE(st.error().message().find("connection reset"), std::string::npos)
      << st.error().message();
}

TEST(RegistryClient, DownloadResumesWithRangeAfterADroppedConnection) {
  Harness h;
  auto reg = h.open(h.options());
  std::string data(100000, 'z');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  push_image(*reg, "team/app", "v1", data);
  auto l = blob_desc(data);
  bool dropped = false;
  std::string range;
  h.fault = [&](const net::Request& r) -> std::optional<Result<net::Response>> {
    if (r.url.find("/blobs/sha256:") == std::string::npos || r.method != "GET") return std::nullopt;
    if (!dropped) {
      dropped = true;
      EXPECT_TRUE(r.sink->write(data.data(), 30000));  // part of the body, then the drop
      return Result<net::Response>(fail(Errc::io, "connection reset mid-body"));
    }
    range = r.headers.get("Range").value_or("");
    return std::nullopt;
  };
  io::StringWriter out;
  auto st = reg->get_blob("team/app", l, out);
  ASSERT_TRUE(st) << st.error().message();
  EXPECT_EQ(range, "bytes=30000-");
  EXPECT_EQ(out.data(), data);
}

TEST(RegistryClient, RedirectedBlobGoesToTheOtherHostWithoutOurCredentials) {
  Harness h;
  h.auth.mode = TestAuth::Mode::basic;
  auto o = h.options();
  o.creds = Credentials{"alice", "secret"};
  auto reg = h.open(o);
  push_image(*reg, "team/app", "v1", "layer-bytes");
  h.storage["blob1"] = "layer-bytes";
  h.fault = [&](const net::Request& r) -> std::optional<Result<net::Response>> {
    if (r.url.find("localhost:5000/v2/team/app/blobs/sha256:") == std::string::npos)
      return std::nullopt;
    net::Response resp;
    resp.status = 307;
    resp.headers.add("Location", "http://storage.test/blob1");
    return resp;
  };
  io::StringWriter out;
  auto st = reg->get_blob("team/app", blob_desc("layer-bytes"), out);
  ASSERT_TRUE(st) << st.error().message();
  EXPECT_EQ(out.data(), "layer-bytes");
  std::string storage_call;
  for (const auto& s : h.seen)
    if (s.starts_with("GET http://storage.test/")) storage_call = s;
  EXPECT_EQ(storage_call, "GET http://storage.test/blob1 ");
}

}  // namespace
}  // namespace kiln::registry::client
