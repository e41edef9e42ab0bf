#include "kiln/registry/server/inproc_transport.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <vector>

#include "kiln/registry/server/dispatch.hpp"

namespace kiln::registry::server {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The request as the socket server would hand it to a handler.
struct Incoming {
  Request req;
  std::map<std::string, std::string> headers;  // lower-case names; req.header reads them
};

void make_request(const net::Request& in, Incoming& out) {
  std::string_view url = in.url;
  if (auto scheme = url.find("://"); scheme != std::string_view::npos) {
    url.remove_prefix(scheme + 3);
    auto slash = url.find('/');
    out.headers["host"] = std::string(url.substr(0, slash));
    url = slash == std::string_view::npos ? "/" : url.substr(slash);
  }
  auto q = url.find('?');
  out.req.method = in.method;
  out.req.path = std::string(url.substr(0, q));
  out.req.query = q == std::string_view::npos ? "" : std::string(url.substr(q + 1));
  out.req.remote = "in-process";
  for (const auto& [k, v] : in.headers.list) out.headers[lower(k)] = v;
  if (in.body_data) {
    out.req.content_length = static_cast<int64_t>(in.body_data->size());
  } else if (in.body && in.body_size >= 0) {
    out.req.content_length = in.body_size;
  } else if (in.body) {
    out.req.chunked = true;
  }
  if (out.req.content_length)
    out.headers["content-length"] = std::to_string(*out.req.content_length);
  auto* headers = &out.headers;
  out.req.header = [headers](std::string_view name) -> std::string_view {
    auto it = headers->find(lower(name));
    return it == headers->end() ? std::string_view() : std::string_view(it->second);
  };
}

// Feeds the request body to the handler's sink, as the socket server does.
Response feed_body(const net::Request& in, BodySink& sink) {
  auto fail = [&](const Error& e) { return sink.abort(e); };
  if (in.body_data) {
    if (auto st = sink.write(std::span<const char>(in.body_data->data(), in.body_data->size()));
        !st)
      return fail(st.error());
  } else if (in.body) {
    std::vector<char> buf(1 << 16);
    while (true) {
      auto n = in.body->read(buf.data(), buf.size());
      if (!n) return fail(n.error());
      if (*n == 0) break;
      if (auto st = sink.write(std::span<const char>(buf.data(), *n)); !st) return fail(st.error());
    }
  }
  return sink.finish();
}

// The reply's body, where the client would put it: the request's sink for a 2xx, else the
// response (bounded by max_body).
Result<net::Response> translate(const net::Request& in, const Response& r) {
  net::Response out;
  out.status = r.status;
  out.headers.add("Docker-Distribution-Api-Version", "registry/2.0");
  for (const auto& [k, v] : r.headers) out.headers.add(k, v);
  if (r.status != 204) out.headers.add("Content-Length", std::to_string(r.content_length()));
  bool send_body = in.method != "HEAD" && !r.head && r.status != 204 && r.status != 304;
  if (!send_body) return out;
  if (!r.file) {
    KILN_TRY(net::take_body(in, out, r.body));
    return out;
  }
  std::vector<char> buf(1 << 16);
  for (int64_t off = r.file_offset, end = r.file_offset + r.file_length; off < end;) {
    size_t want =
        static_cast<size_t>(std::min<int64_t>(end - off, static_cast<int64_t>(buf.size())));
    auto n = r.file->read_at(off, std::span<char>(buf.data(), want));
    if (!n) return std::unexpected(n.error());
    if (*n == 0) return failf(Errc::io, "{}: the blob ended early", in.url);
    KILN_TRY(net::take_body(in, out, std::string_view(buf.data(), *n)));
    off += static_cast<int64_t>(*n);
  }
  return out;
}

class InProcessTransport final : public net::HttpTransport {
 public:
  explicit InProcessTransport(InProcessHandler h) : m_handler(std::move(h)) {}
  Result<net::Response> perform(const net::Request& in) override {
    Incoming inc;
    make_request(in, inc);
    Reply rep = m_handler(inc.req);
    Response resp = rep.sink ? feed_body(in, *rep.sink) : std::move(rep.response);
    return translate(in, resp);
  }

 private:
  InProcessHandler m_handler;
};

}  // namespace

std::shared_ptr<net::HttpTransport> in_process_transport(InProcessHandler handler) {
  return std::make_shared<InProcessTransport>(std::move(handler));
}

std::shared_ptr<net::HttpTransport> in_process_transport(Service& service, Authenticator& auth) {
  return in_process_transport([&service, &auth](const Request& req) {
    return dispatch(service, auth, route(req.path), req);
  });
}

}  // namespace kiln::registry::server
