// HTTP for kiln's clients. HttpTransport is the seam: the registry client and ADD <url> send
// their requests through one, so tests hand them an in-process server instead of sockets
// (registry/server/inproc_transport.hpp). curl_transport() is the real one: a pool of Clients
// over libcurl (http.cpp is the only file that knows it; the library is loaded on first use, so
// commands that never talk HTTP do not pay for its start-up). A Client keeps its connection
// alive between requests and is not thread-safe (one per thread). Redirects are not followed
// here: the registry client decides where its credentials may go.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "kiln/base/error.hpp"
#include "kiln/io/stream.hpp"

namespace kiln::net {

// Starts loading libcurl (about 15 ms: it links some thirty libraries) on a thread of its own,
// for a command that will talk HTTP after local work it can overlap with (opening the store).
// The first request waits for the load to end; the process joins the thread at exit.
void preload();

struct Headers {
  std::vector<std::pair<std::string, std::string>> list;
  // The first value of a header, by case-insensitive name.
  std::optional<std::string> get(std::string_view name) const;
  std::vector<std::string> all(std::string_view name) const;
  void add(std::string name, std::string value) {
    list.emplace_back(std::move(name), std::move(value));
  }
};

struct Request {
  std::string method = "GET";
  std::string url;
  Headers headers;
  io::Reader* body = nullptr;            // request body, streamed
  int64_t body_size = -1;                // with a body: its size, or -1 for chunked transfer
  std::optional<std::string> body_data;  // or a body held in memory (can be sent again)
  io::Writer* sink = nullptr;  // the body of a 2xx response goes here (else into Response::body)
  int64_t max_body = 4 << 20;  // the most a Response::body may hold (larger is an error)
};

struct Response {
  long status = 0;
  Headers headers;
  std::string body;  // unless the body went to Request::sink
  int64_t body_bytes = 0;
};

struct ClientOptions {
  bool tls_verify = true;
  std::string ca_file;      // extra CA bundle (e.g. /etc/docker/certs.d/HOST/ca.crt)
  std::string client_cert;  // PEM
  std::string client_key;   // PEM
  int connect_timeout_s = 30;
  int stall_timeout_s = 60;  // a transfer that moves no byte for this long fails
};

class Client {
 public:
  explicit Client(ClientOptions opts = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Errors: Errc::io for connection and TLS failures (the message names the URL and libcurl's
  // reason), the sink's own errors as they are. An HTTP error status is not an Error.
  Result<Response> perform(const Request& req);

 private:
  ClientOptions m_opts;
  void* m_handle = nullptr;
};

// Sends requests. Thread-safe: perform may be called from several threads at once. Errors as
// Client::perform's; an HTTP error status is a Response, not an Error.
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  virtual Result<Response> perform(const Request& req) = 0;
};

// Takes the next `data` of a response body, as every transport must: to req.sink when the
// status is 2xx, else into resp.body up to req.max_body (Errc::invalid_argument beyond it).
// Counts resp.body_bytes either way.
Status take_body(const Request& req, Response& resp, std::string_view data);

// The real transport: a pool of Clients (kept-alive connections), one per concurrent request.
std::shared_ptr<HttpTransport> curl_transport(ClientOptions opts);

// "Basic realm=x", "Bearer realm="...",service="...",scope="..."": the scheme and parameters.
struct Challenge {
  std::string scheme;  // lower case
  std::vector<std::pair<std::string, std::string>> params;
  std::string param(std::string_view name) const;
};
std::vector<Challenge> parse_challenges(std::string_view header);

// A Location header against the URL it answered: absolute, host-relative or path-relative.
std::string resolve_url(const std::string& base, const std::string& location);

std::string base64_encode(std::string_view data);
Result<std::string> base64_decode(std::string_view text);
std::string url_escape(std::string_view s);

}  // namespace kiln::net
