// Notifications: durations as Distribution writes them, events from exchanges, the envelope,
// and a sender that retries a failing endpoint and drops from a full queue.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "kiln/registry/server/notify.hpp"

namespace kiln::registry::server {
namespace {

TEST(Notify, Durations) {
  EXPECT_DOUBLE_EQ(*parse_duration_seconds("500ms"), 0.5);
  EXPECT_DOUBLE_EQ(*parse_duration_seconds("1.5s"), 1.5);
  EXPECT_DOUBLE_EQ(*parse_duration_seconds("1m30s"), 90);
  EXPECT_DOUBLE_EQ(*parse_duration_seconds("3"), 3);
  EXPECT_FALSE(parse_duration_seconds("soon"));
  EXPECT_FALSE(parse_duration_seconds("5y"));
  EXPECT_FALSE(parse_duration_seconds(""));
}

Request request(std::string method, std::string path, std::string query = "") {
  Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.query = std::move(query);
  r.remote = "127.0.0.1:5555";
  r.header = [](std::string_view n) -> std::string_view {
    if (n == "Content-Type") return "application/vnd.oci.image.manifest.v1+json";
    if (n == "Host") return "reg:5000";
    return "";
  };
  return r;
}

TEST(Notify, EventsFromExchanges) {
  const std::string d = "sha256:" + std::string(64, 'a');
  Request put = request("PUT", "/v2/team/app/manifests/v1");
  Response created;
  created.status = 201;
  created.set("Docker-Content-Digest", d);
  Exchange ex{&put, 201, 321, 0, 0, "", "", &created};
  auto e = event_of(ex, route(put.path));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->action, "push");
  EXPECT_EQ(e->repository, "team/app");
  EXPECT_EQ(e->tag, "v1");
  EXPECT_EQ(e->digest, d);
  EXPECT_EQ(e->size, 321);
  EXPECT_EQ(e->media_type, "application/vnd.oci.image.manifest.v1+json");
  EXPECT_EQ(e->url, "http://reg:5000/v2/team/app/manifests/" + d);

  Request mount = request("POST", "/v2/other/app/blobs/uploads/", "mount=" + d + "&from=team/app");
  Exchange mx{&mount, 201, 0, 0, 0, "", "", &created};
  auto m = event_of(mx, route(mount.path));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->action, "mount");
  EXPECT_EQ(m->from_repository, "team/app");

  Request head = request("HEAD", "/v2/team/app/manifests/v1");
  Response ok;
  Exchange hx{&head, 200, 0, 0, 0, "", "", &ok};
  EXPECT_FALSE(event_of(hx, route(head.path))) << "HEAD is not a pull";
  Response missing;
  missing.status = 404;
  Request get = request("GET", "/v2/team/app/manifests/v2");
  Exchange gx{&get, 404, 0, 0, 0, "", "", &missing};
  EXPECT_FALSE(event_of(gx, route(get.path))) << "a failed request is no event";

  std::string env = notify_envelope_json({*e, *m});
  EXPECT_NE(env.find("\"events\":[{"), std::string::npos) << env;
  EXPECT_NE(env.find("\"fromRepository\":\"team/app\""), std::string::npos) << env;
  EXPECT_NE(env.find("\"tag\":\"v1\""), std::string::npos) << env;
}

// Fails the first `fail` posts, then records what arrives.
class Hook final : public net::HttpTransport {
 public:
  explicit Hook(int fail) : m_fail(fail) {}
  Result<net::Response> perform(const net::Request& req) override {
    net::Response r;
    if (m_fail-- > 0) {
      r.status = 503;
      return r;
    }
    r.status = 200;
    m_bodies += *req.body_data;
    ++m_posts;
    return r;
  }
  std::atomic<int> m_fail;
  std::atomic<int> m_posts{0};
  std::string m_bodies;
};

TEST(Notify, RetriesWithBackoffAndDropsFromAFullQueue) {
  auto hook = std::make_shared<Hook>(2);
  NotifyEndpoint ep;
  ep.name = "h";
  ep.url = "http://h/";
  ep.backoff_s = 0.01;
  ep.ignored_actions = {"pull"};
  {
    Notifier n({ep}, "reg:5000", hook);
    NotifyEvent e;
    e.action = "push";
    e.digest = "sha256:x";
    n.publish(e);
    e.action = "pull";
    n.publish(e);
    for (int i = 0; i < 200 && hook->m_posts == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_EQ(hook->m_posts, 1);
    EXPECT_NE(n.metrics().find("endpoint=\"h\",result=\"failed\"} 2"), std::string::npos)
        << n.metrics();
    EXPECT_NE(n.metrics().find("endpoint=\"h\",result=\"sent\"} 1"), std::string::npos);
  }
  EXPECT_EQ(hook->m_bodies.find("\"pull\""), std::string::npos) << "pulls are ignored";
  EXPECT_NE(hook->m_bodies.find("\"source\":{\"addr\":\"reg:5000\"}"), std::string::npos);

  auto dead = std::make_shared<Hook>(1 << 30);
  ep.backoff_s = 30;
  ep.queue = 3;
  Notifier n({ep}, "reg:5000", dead);
  NotifyEvent e;
  e.action = "push";
  for (int i = 0; i < 10; ++i) n.publish(e);
  std::string m = n.metrics();
  // One batch may be out being sent; the rest queue and the oldest go.
  EXPECT_NE(m.find("kiln_registry_notifications_pending{endpoint=\"h\"} 3"), std::string::npos)
      << m;
  EXPECT_NE(m.find("result=\"dropped\"} "), std::string::npos);
}

}  // namespace
}  // namespace kiln::registry::server
