// The registry's HTTP/1.1 server: Boost.Beast on Asio, one coroutine per connection on its
// own strand, a thread per core. Keep-alive and pipelining; request bodies of any size
// streamed to the handler's BodySink in bounded memory; file bodies sent with sendfile();
// header, idle and per-read timeouts (slow clients are cut off); TLS with optional client
// certificates.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "kiln/base/error.hpp"
#include "kiln/registry/server/http_types.hpp"

namespace kiln::registry::server {

struct HttpOptions {
  std::string listen = "127.0.0.1:5000";    // HOST:PORT; port 0 picks a free one
  int threads = 0;                          // 0: one per core
  std::chrono::seconds header_timeout{20};  // the whole request head must arrive in this
  std::chrono::seconds idle_timeout{90};    // between requests on a kept-alive connection
  std::chrono::seconds io_timeout{60};      // any single read or write of a body
  size_t header_limit = 64 * 1024;
  size_t max_connections = 8192;
  std::string tls_cert;  // PEM; with tls_key, serve HTTPS
  std::string tls_key;
  std::string tls_client_ca;  // PEM bundle: require client certificates signed by it
};

// What happened to one request, for metrics and the access log.
struct Exchange {
  const Request* request;
  int status = 0;
  int64_t bytes_in = 0;
  int64_t bytes_out = 0;
  double seconds = 0;
  std::string_view user;
  std::string_view detail;             // Response::error
  const Response* response = nullptr;  // as sent
};

using Handler = std::function<Reply(const Request&)>;
using Observer = std::function<void(const Exchange&)>;

class HttpServer {
 public:
  // Binds the socket (so a busy port fails here), but serves nothing until run().
  static Result<std::unique_ptr<HttpServer>> bind(HttpOptions opt, Handler handler,
                                                  Observer observer);
  virtual ~HttpServer() = default;
  // "HOST:PORT" actually bound.
  virtual std::string address() const = 0;
  // Serves until stop() or SIGINT/SIGTERM.
  virtual Status run() = 0;
  virtual void stop() = 0;
};

}  // namespace kiln::registry::server
