#include "kiln/registry/server/notify.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>

#include "kiln/base/log.hpp"
#include "kiln/base/strings.hpp"
#include "kiln/os/random.hpp"

namespace kiln::registry::server {

struct Notifier::Queue {
  NotifyEndpoint ep;
  std::shared_ptr<net::HttpTransport> http;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<NotifyEvent> events;
  bool stop = false;
  uint64_t sent = 0;
  uint64_t failed = 0;
  uint64_t dropped = 0;
  std::jthread thread;
};

namespace {

constexpr size_t kBatch = 100;
constexpr double kMaxBackoff = 60;

std::string response_header(const Response& r, std::string_view name) {
  std::string want = to_lower(name);
  for (const auto& [k, v] : r.headers)
    if (to_lower(k) == want) return v;
  return {};
}

bool is_digest(std::string_view ref) {
  return ref.find(':') != std::string_view::npos;
}

std::string uuid_like() {
  std::string h = os::random_hex(16);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

}  // namespace

std::optional<double> parse_duration_seconds(std::string_view s) {
  if (s.empty()) return std::nullopt;
  double total = 0;
  while (!s.empty()) {
    size_t i = 0;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
    if (i == 0) return std::nullopt;
    double v = std::strtod(std::string(s.substr(0, i)).c_str(), nullptr);
    s.remove_prefix(i);
    size_t u = 0;
    while (u < s.size() && std::isalpha(static_cast<unsigned char>(s[u]))) ++u;
    std::string_view unit = s.substr(0, u);
    s.remove_prefix(u);
    double mult = unit == "ns"                   ? 1e-9
                  : unit == "us" || unit == "µs" ? 1e-6
                  : unit == "ms"                 ? 1e-3
                  : unit == "s" || unit.empty()  ? 1
                  : unit == "m"                  ? 60
                  : unit == "h"                  ? 3600
                                                 : -1;
    if (mult < 0) return std::nullopt;
    total += v * mult;
  }
  return total;
}

std::optional<NotifyEvent> event_of(const Exchange& ex, const Route& rt) {
  if (!ex.response) return std::nullopt;
  const Request& req = *ex.request;
  const Response& r = *ex.response;
  const std::string& m = req.method;
  NotifyEvent e;
  e.repository = rt.name;
  switch (rt.kind) {
    case RouteKind::manifest:
      if (m == "GET" && r.status == 200) {
        e.action = "pull";
        e.media_type = response_header(r, "Content-Type");
        e.size = ex.bytes_out;
      } else if (m == "PUT" && r.status == 201) {
        e.action = "push";
        e.media_type = std::string(req.header("Content-Type"));
        e.size = ex.bytes_in;
      } else if (m == "DELETE" && r.status == 202) {
        e.action = "delete";
      } else {
        return std::nullopt;
      }
      e.digest = response_header(r, "Docker-Content-Digest");
      if (is_digest(rt.ref)) {
        if (e.digest.empty()) e.digest = rt.ref;
      } else {
        e.tag = rt.ref;
      }
      break;
    case RouteKind::blob:
      if (m == "GET" && (r.status == 200 || r.status == 206 || r.status == 307)) {
        e.action = "pull";
        e.size = r.file ? r.file->size() : 0;
      } else if (m == "DELETE" && r.status == 202) {
        e.action = "delete";
      } else {
        return std::nullopt;
      }
      e.digest = rt.ref;
      e.media_type = "application/octet-stream";
      break;
    case RouteKind::upload_start:
    case RouteKind::upload:
      if (r.status != 201 || (m != "POST" && m != "PUT")) return std::nullopt;
      e.action = req.has_param("mount") ? "mount" : "push";
      if (e.action == "mount") e.from_repository = req.param("from");
      e.digest = response_header(r, "Docker-Content-Digest");
      e.media_type = "application/octet-stream";
      break;
    default:
      return std::nullopt;
  }
  e.id = uuid_like();
  e.timestamp = rfc3339(static_cast<int64_t>(::time(nullptr)));
  e.request_id = uuid_like();
  e.request_addr = req.remote;
  e.request_host = std::string(req.header("Host"));
  e.request_method = m;
  e.user_agent = std::string(req.header("User-Agent"));
  e.actor = req.user;
  std::string kind = rt.kind == RouteKind::manifest ? "manifests" : "blobs";
  e.url = "http://" + e.request_host + "/v2/" + rt.name + "/" + kind + "/" +
          (e.digest.empty() ? rt.ref : e.digest);
  return e;
}

Notifier::Notifier(std::vector<NotifyEndpoint> endpoints, std::string source_addr,
                   std::shared_ptr<net::HttpTransport> http)
    : m_source(std::move(source_addr)) {
  for (auto& ep : endpoints) {
    if (ep.disabled) continue;
    auto q = std::make_unique<Queue>();
    q->http = http;
    if (!q->http) {
      // An endpoint that accepts but does not answer holds its queue for `timeout` at most.
      net::ClientOptions o;
      o.connect_timeout_s = o.stall_timeout_s =
          std::max(1, static_cast<int>(std::ceil(ep.timeout_s)));
      q->http = net::curl_transport(o);
    }
    q->ep = std::move(ep);
    Queue* raw = q.get();
    q->thread = std::jthread([this, raw] { run(*raw); });
    m_queues.push_back(std::move(q));
  }
}

Notifier::~Notifier() {
  for (auto& q : m_queues) {
    {
      std::lock_guard lock(q->mu);
      q->stop = true;
    }
    q->cv.notify_all();
  }
  m_queues.clear();  // joins
}

void Notifier::publish(NotifyEvent e) {
  e.source_addr = m_source;
  for (auto& q : m_queues) {
    if (q->ep.ignored_actions.contains(e.action) ||
        q->ep.ignored_media_types.contains(e.media_type))
      continue;
    {
      std::lock_guard lock(q->mu);
      if (q->events.size() >= std::max<size_t>(1, q->ep.queue)) {
        q->events.pop_front();
        ++q->dropped;
      }
      q->events.push_back(e);
    }
    q->cv.notify_one();
  }
}

void Notifier::run(Queue& q) {
  double backoff = q.ep.backoff_s;
  std::vector<NotifyEvent> batch;
  while (true) {
    std::unique_lock lock(q.mu);
    if (batch.empty()) {
      q.cv.wait(lock, [&] { return q.stop || !q.events.empty(); });
      if (q.stop) return;
      while (!q.events.empty() && batch.size() < kBatch) {
        batch.push_back(std::move(q.events.front()));
        q.events.pop_front();
      }
    }
    if (q.stop) return;
    lock.unlock();
    net::Request req;
    req.method = "POST";
    req.url = q.ep.url;
    for (const auto& [k, v] : q.ep.headers) req.headers.add(k, v);
    req.headers.add("Content-Type", "application/vnd.docker.distribution.events.v1+json");
    req.body_data = notify_envelope_json(batch);
    auto r = q.http->perform(req);
    lock.lock();
    if (r && r->status >= 200 && r->status < 300) {
      q.sent += batch.size();
      batch.clear();
      backoff = q.ep.backoff_s;
      continue;
    }
    ++q.failed;
    log::debug("registry: notifications to {}: {}", q.ep.name,
               r ? fmt::format("HTTP {}", r->status) : r.error().message());
    q.cv.wait_for(lock, std::chrono::duration<double>(backoff), [&] { return q.stop; });
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

std::string Notifier::metrics() const {
  if (m_queues.empty()) return {};
  std::string out =
      "# HELP kiln_registry_notifications_total Events sent to each endpoint, failed attempts "
      "and events dropped from a full queue.\n"
      "# TYPE kiln_registry_notifications_total counter\n";
  std::string pending =
      "# HELP kiln_registry_notifications_pending Events queued for each endpoint.\n"
      "# TYPE kiln_registry_notifications_pending gauge\n";
  for (const auto& q : m_queues) {
    std::lock_guard lock(q->mu);
    const std::string& n = q->ep.name;
    out += fmt::format("kiln_registry_notifications_total{{endpoint=\"{}\",result=\"sent\"}} {}\n",
                       n, q->sent);
    out +=
        fmt::format("kiln_registry_notifications_total{{endpoint=\"{}\",result=\"failed\"}} {}\n",
                    n, q->failed);
    out +=
        fmt::format("kiln_registry_notifications_total{{endpoint=\"{}\",result=\"dropped\"}} {}\n",
                    n, q->dropped);
    pending += fmt::format("kiln_registry_notifications_pending{{endpoint=\"{}\"}} {}\n", n,
                           q->events.size());
  }
  return out + pending;
}

}  // namespace kiln::registry::server
