// The server's view of one HTTP exchange, independent of the HTTP library: the handlers
// (service.hpp) see a Request and return a Reply; http_server.cpp does the sockets.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kiln/base/error.hpp"
#include "kiln/registry/server/driver.hpp"

namespace kiln::registry::server {

struct Request {
  std::string method;
  std::string path;                                          // without the query
  std::string query;                                         // without the '?'
  std::function<std::string_view(std::string_view)> header;  // "" when absent
  std::optional<int64_t> content_length;                     // nullopt: chunked or none
  bool chunked = false;
  std::string remote;        // peer address, for logs
  mutable std::string user;  // who authenticated, set by access control, for logs
  // The caller holds every action on the route's repository (a token's "*"; always so for
  // htpasswd users and an open registry): needed to delete an immutable tag.
  mutable bool admin = false;

  // The value of a query parameter ("" when absent), percent-decoded.
  std::string param(std::string_view key) const;
  bool has_param(std::string_view key) const;
  bool has_body() const { return chunked || content_length.value_or(0) > 0; }
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // A body served from storage (sendfile where the driver has an fd).
  std::shared_ptr<Reader> file;
  int64_t file_offset = 0;
  int64_t file_length = 0;
  // HEAD: headers as for GET (Content-Length included), no body.
  bool head = false;
  // What went wrong, for the error log (not sent).
  std::string error;

  Response& set(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  int64_t content_length() const { return file ? file_length : static_cast<int64_t>(body.size()); }
};

// Receives a request body as it arrives.
class BodySink {
 public:
  virtual ~BodySink() = default;
  virtual Status write(std::span<const char> data) = 0;
  // The whole body arrived.
  virtual Response finish() = 0;
  // write() failed (its error), or the client went away (cancelled): the response to send,
  // if the connection still stands.
  virtual Response abort(const Error& why) = 0;
};

// A handler's answer: a response now, or a sink for the body first.
struct Reply {
  Response response;
  std::unique_ptr<BodySink> sink;
};

// Percent-decodes a query component ('+' is a space). Invalid escapes are kept as they are.
std::string url_decode(std::string_view s);

}  // namespace kiln::registry::server
