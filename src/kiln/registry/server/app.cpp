#include "kiln/registry/server/app.hpp"

#include <condition_variable>
#include <ctime>
#include <mutex>
#include <thread>

#include "kiln/base/log.hpp"
#include "kiln/base/strings.hpp"
#include "kiln/registry/server/auth.hpp"
#include "kiln/registry/server/dispatch.hpp"
#include "kiln/registry/server/gc.hpp"
#include "kiln/registry/server/json_log.hpp"
#include "kiln/registry/server/layout.hpp"
#include "kiln/registry/server/metrics.hpp"

namespace kiln::registry::server {
namespace {

constexpr int kS3Threads = 64;

class Impl final : public App {
 public:
  Status init(Config cfg, std::unique_ptr<Upstream> upstream) {
    m_cfg = std::move(cfg);
    auto d = open_storage(m_cfg);
    if (!d) return std::unexpected(d.error());
    m_driver = std::move(*d);
    switch (m_cfg.auth) {
      case Config::Auth::none:
        m_auth = no_auth();
        break;
      case Config::Auth::htpasswd: {
        auto a = htpasswd_auth(m_cfg.htpasswd_realm, m_cfg.htpasswd_path);
        if (!a) return std::unexpected(a.error());
        m_auth = std::move(*a);
        break;
      }
      case Config::Auth::token: {
        auto a = token_auth(m_cfg.token);
        if (!a) return std::unexpected(a.error());
        m_auth = std::move(*a);
        m_cfg.service.auto_mount = false;
        break;
      }
    }
    // Handlers block on storage: over S3 every request waits on the network, so one thread
    // per core would serve a couple of requests at a time. limits.threads still wins.
    if (m_cfg.s3 && m_cfg.http.threads <= 0) m_cfg.http.threads = kS3Threads;
    // Concurrent reads of one tag share a round trip to the bucket (fresh_reads.hpp).
    if (m_cfg.s3) m_cfg.service.coalesce_reads = true;
    m_service = std::make_unique<Service>(*m_driver, m_cfg.service);
    if (m_cfg.proxy) {
      if (!upstream)
        return fail(Errc::invalid_argument, "proxy: no client for the upstream registry");
      m_proxy = std::make_unique<Proxy>(*m_driver, std::move(upstream), m_cfg.proxy->ttl);
      m_service->set_proxy(m_proxy.get());
      // A pull of an uncached blob holds its thread for the download.
      if (m_cfg.http.threads <= 0) m_cfg.http.threads = kS3Threads;
    }
    auto http = HttpServer::bind(
        m_cfg.http, [this](const Request& r) { return handle(r); },
        [this](const Exchange& e) { observe(e); });
    if (!http) return std::unexpected(http.error());
    m_http = std::move(*http);
    if (!m_cfg.notify.empty())
      m_notifier = std::make_unique<Notifier>(std::move(m_cfg.notify), m_http->address());
    return {};
  }

  std::string address() const override { return m_http->address(); }

  Status run() override {
    std::jthread gc;
    if (m_cfg.gc.interval > 0) gc = std::jthread([this] { gc_loop(); });
    auto st = m_http->run();
    {
      std::lock_guard lock(m_mu);
      m_stopping = true;
    }
    m_cv.notify_all();
    return st;  // gc joins here
  }

 private:
  Reply handle(const Request& req) {
    Route rt = route(req.path);
    if (rt.kind == RouteKind::health) {
      Response r;
      r.body = "{\"status\":\"ok\"}";
      r.set("Content-Type", "application/json");
      return {std::move(r), nullptr};
    }
    if (rt.kind == RouteKind::metrics) {
      Response r;
      auto [bytes, blobs] = usage();
      r.body = m_metrics.render(bytes, m_driver->usage().free, blobs);
      if (m_notifier) r.body += m_notifier->metrics();
      r.set("Content-Type", "text/plain; version=0.0.4");
      return {std::move(r), nullptr};
    }
    return dispatch(*m_service, *m_auth, rt, req);
  }

  void observe(const Exchange& e) {
    const Request& req = *e.request;
    RouteKind kind = route(req.path).kind;
    m_metrics.record(kind, req.method, e.status, e.bytes_in, e.bytes_out, e.seconds);
    if (m_notifier) notify(e);
    if (!m_cfg.access_log) return;
    std::string text = log_line({{"time", rfc3339(::time(nullptr))},
                                 {"remote", req.remote},
                                 {"method", req.method},
                                 {"path", req.path},
                                 {"status", int64_t{e.status}},
                                 {"in", e.bytes_in},
                                 {"out", e.bytes_out},
                                 {"ms", static_cast<int64_t>(e.seconds * 1000 + 0.5)}}) +
                       "\n";
    std::fwrite(text.data(), 1, text.size(), stderr);
  }

  // Blob usage, walked at most once a minute.
  std::pair<int64_t, int64_t> usage() {
    std::lock_guard lock(m_usage_mu);
    auto now = std::chrono::steady_clock::now();
    if (now - m_usage_at > std::chrono::seconds(60) || m_usage.first < 0) {
      m_usage = blob_usage(*m_driver);
      m_usage_at = now;
    }
    return m_usage;
  }

  void notify(const Exchange& e) {
    Route rt = route(e.request->path);
    auto ev = event_of(e, rt);
    if (!ev) return;
    if (ev->size == 0 &&
        (ev->action == "push" || ev->action == "mount" || rt.kind == RouteKind::blob)) {
      if (auto d = Digest::parse(ev->digest))
        if (auto st = m_driver->stat(layout::blob(*d))) ev->size = st->size;
    }
    m_notifier->publish(std::move(*ev));
  }

  void gc_loop() {
    std::unique_lock lock(m_mu);
    while (!m_cv.wait_for(lock, std::chrono::seconds(m_cfg.gc.interval),
                          [this] { return m_stopping; })) {
      lock.unlock();
      GcRequest req{false, m_cfg.gc.delete_untagged, m_cfg.gc.grace, m_service.get()};
      auto t0 = std::chrono::steady_clock::now();
      auto rep = collect_garbage(*m_driver, req);
      int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now() - t0)
                       .count();
      if (!rep) {
        log::warn("registry: gc: {}", rep.error().message());
      } else {
        std::string text = log_line({{"time", rfc3339(::time(nullptr))},
                                     {"event", std::string("gc")},
                                     {"blobs_deleted", rep->blobs_deleted},
                                     {"bytes_freed", rep->bytes_freed},
                                     {"manifests_deleted", rep->manifests_deleted},
                                     {"uploads_deleted", rep->uploads_deleted},
                                     {"duration_ms", ms}}) +
                           "\n";
        std::fwrite(text.data(), 1, text.size(), stderr);
      }
      lock.lock();
    }
  }

  Config m_cfg;
  std::unique_ptr<Driver> m_driver;
  std::unique_ptr<Authenticator> m_auth;
  std::unique_ptr<Proxy> m_proxy;  // before m_service: the service points at it
  std::unique_ptr<Service> m_service;
  std::unique_ptr<HttpServer> m_http;
  Metrics m_metrics;
  std::unique_ptr<Notifier> m_notifier;  // when endpoints are configured
  std::mutex m_usage_mu;
  std::pair<int64_t, int64_t> m_usage{-1, -1};
  std::chrono::steady_clock::time_point m_usage_at;
  std::mutex m_mu;
  std::condition_variable m_cv;
  bool m_stopping = false;
};

}  // namespace

Result<std::unique_ptr<App>> App::open(Config cfg, std::unique_ptr<Upstream> upstream) {
  auto app = std::make_unique<Impl>();
  if (auto st = app->init(std::move(cfg), std::move(upstream)); !st)
    return std::unexpected(st.error());
  return std::unique_ptr<App>(std::move(app));
}

}  // namespace kiln::registry::server
