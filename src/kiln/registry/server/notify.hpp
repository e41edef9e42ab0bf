// Notifications: push, pull, mount and delete events sent to webhook endpoints as
// Distribution sends them (its event envelope, media type
// application/vnd.docker.distribution.events.v1+json), configured as Distribution spells it
// (`notifications: {endpoints: [...]}`).
//
// Events come from finished exchanges (event_of), so handlers know nothing of them. Each
// endpoint has a bounded queue and a sender thread of its own: a batch that fails (no answer,
// or a status other than 2xx) is sent again after a backoff that doubles up to a minute, while
// new events queue behind it; when the queue is full its oldest event is dropped and counted.
// A slow or dead endpoint therefore never slows a request, and what it misses shows in the
// metrics (kiln_registry_notifications_total{result="dropped"}).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "kiln/net/http.hpp"
#include "kiln/registry/server/http_server.hpp"
#include "kiln/registry/server/routes.hpp"

namespace kiln::registry::server {

struct NotifyEvent {
  std::string id;
  std::string timestamp;
  std::string action;  // push, pull, mount, delete
  std::string media_type;
  std::string digest;
  int64_t size = 0;
  std::string repository;
  std::string from_repository;  // mount
  std::string url;
  std::string tag;
  std::string request_id;
  std::string request_addr;
  std::string request_host;
  std::string request_method;
  std::string user_agent;
  std::string actor;
  std::string source_addr;
};

// The envelope {"events": [...]} (notify_json.cpp).
std::string notify_envelope_json(const std::vector<NotifyEvent>& events);

struct NotifyEndpoint {
  std::string name;
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  double timeout_s = 1;
  double backoff_s = 1;
  int threshold = 10;  // accepted as Distribution's; the backoff applies from the first failure
  bool disabled = false;
  std::set<std::string> ignored_media_types;
  std::set<std::string> ignored_actions;
  size_t queue = 1000;  // kiln's: events held for the endpoint at most
};

// What a finished exchange tells listeners, if anything (a blob push's size is the caller's to
// fill in: the exchange does not carry it).
std::optional<NotifyEvent> event_of(const Exchange& ex, const Route& rt);

class Notifier {
 public:
  // source_addr: this registry's address for the envelope's "source"; http: for tests (else
  // each endpoint gets libcurl with its timeout).
  Notifier(std::vector<NotifyEndpoint> endpoints, std::string source_addr,
           std::shared_ptr<net::HttpTransport> http = nullptr);
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // Queues e for every endpoint that does not ignore it. Never blocks on the network.
  void publish(NotifyEvent e);
  // Prometheus text: events sent, failed attempts and dropped events per endpoint.
  std::string metrics() const;

 private:
  struct Queue;
  void run(Queue& q);

  std::string m_source;
  std::vector<std::unique_ptr<Queue>> m_queues;
};

// "500ms", "1.5s", "2m", "1h" (Go's duration units), or a bare number of seconds.
std::optional<double> parse_duration_seconds(std::string_view s);

}  // namespace kiln::registry::server
