#include "kiln/registry/server/http_server.hpp"

#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>

#include <fmt/format.h>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast.hpp>
#include <boost/beast/ssl.hpp>
#include <thread>
#include <vector>

#include "kiln/base/strings.hpp"
#include "kiln/registry/server/json_log.hpp"

namespace kiln::registry::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
constexpr size_t k_chunk = 1 << 20;

std::string_view sv(beast::string_view s) {
  return {s.data(), s.size()};
}

struct Shared {
  HttpOptions opt;
  Handler handler;
  Observer observer;
  std::atomic<size_t> connections{0};
};

tcp::socket& raw_socket(beast::tcp_stream& s) {
  return s.socket();
}
tcp::socket& raw_socket(beast::ssl_stream<beast::tcp_stream>& s) {
  return beast::get_lowest_layer(s).socket();
}
constexpr bool is_tls(beast::tcp_stream*) {
  return false;
}
constexpr bool is_tls(beast::ssl_stream<beast::tcp_stream>*) {
  return true;
}

// Waits until the socket is ready to read or write, at most timeout; false on timeout or
// error. The timer cancels the wait (both run on the connection's strand).
asio::awaitable<bool> wait_ready(tcp::socket& sock, tcp::socket::wait_type what,
                                 std::chrono::seconds timeout) {
  asio::steady_timer timer(sock.get_executor());
  bool expired = false;
  timer.expires_after(timeout);
  timer.async_wait([&](boost::system::error_code ec) {
    if (!ec) {
      expired = true;
      sock.cancel();
    }
  });
  auto [ec] = co_await sock.async_wait(what, nothrow);
  timer.cancel();
  co_return !ec && !expired;
}

// Sends [offset, offset+length) of a stored value: sendfile() on plain TCP when the driver
// gives an fd, else reads and writes through the stream.
template <class Stream>
asio::awaitable<bool> send_file(Stream& stream, const Response& r, const HttpOptions& opt) {
  auto& lowest = beast::get_lowest_layer(stream);
  int64_t off = r.file_offset;
  int64_t end = r.file_offset + r.file_length;
  if (!is_tls(static_cast<Stream*>(nullptr)) && r.file->fd() >= 0) {
    auto& sock = raw_socket(stream);
    sock.native_non_blocking(true);
    while (off < end) {
      off_t o = off;
      ssize_t n = ::sendfile(sock.native_handle(), r.file->fd(), &o,
                             static_cast<size_t>(std::min<int64_t>(end - off, 1 << 30)));
      if (n > 0) {
        off = o;
        continue;
      }
      if (n == 0) co_return false;  // the file shrank: cannot happen to an immutable blob
      if (errno == EINTR) continue;
      if (errno != EAGAIN) co_return false;
      if (!co_await wait_ready(sock, tcp::socket::wait_write, opt.io_timeout)) co_return false;
    }
    co_return true;
  }
  std::vector<char> buf(k_chunk);
  while (off < end) {
    size_t want =
        static_cast<size_t>(std::min<int64_t>(end - off, static_cast<int64_t>(buf.size())));
    auto n = r.file->read_at(off, std::span<char>(buf.data(), want));
    if (!n || *n == 0) co_return false;
    if (!is_tls(static_cast<Stream*>(nullptr))) {
      // As sendfile above: send() straight from this thread, waiting only when the socket is
      // full. An async_write per chunk handed each completion to another of the pool's
      // threads: a futex wake-up per few dozen KiB, twice the CPU of the copy itself (S3).
      auto& sock = raw_socket(stream);
      sock.native_non_blocking(true);
      for (size_t sent = 0; sent < *n;) {
        ssize_t w = ::send(sock.native_handle(), buf.data() + sent, *n - sent, MSG_NOSIGNAL);
        if (w > 0) {
          sent += static_cast<size_t>(w);
          continue;
        }
        if (w < 0 && errno == EINTR) continue;
        if (w == 0 || errno != EAGAIN) co_return false;
        if (!co_await wait_ready(sock, tcp::socket::wait_write, opt.io_timeout)) co_return false;
      }
      off += static_cast<int64_t>(*n);
      continue;
    }
    lowest.expires_after(opt.io_timeout);
    auto [ec, w] = co_await asio::async_write(stream, asio::buffer(buf.data(), *n), nothrow);
    if (ec) co_return false;
    off += static_cast<int64_t>(*n);
  }
  co_return true;
}

// Appends "name: value\r\n"; a CR or LF in either (a header cannot carry one) becomes a space.
void append_field(std::string& out, std::string_view name, std::string_view value) {
  size_t from = out.size();
  out.append(name).append(": ").append(value);
  for (size_t i = from; i < out.size(); ++i)
    if (out[i] == '\r' || out[i] == '\n') out[i] = ' ';
  out.append("\r\n");
}

// A response's head, formatted into a buffer the connection reuses. (beast's response object
// allocated every field, and its serializer walked them through a buffers_cat_view per write:
// about a fifth of the server's user time on a manifest GET.)
void format_head(std::string& out, const Response& r, bool keep_alive, unsigned version) {
  out.clear();
  auto reason = http::obsolete_reason(static_cast<http::status>(r.status));
  fmt::format_to(std::back_inserter(out), "HTTP/{}.{} {} {}\r\n", version / 10, version % 10,
                 r.status, sv(reason));
  out.append("Server: kiln\r\nDocker-Distribution-Api-Version: registry/2.0\r\n");
  for (const auto& [k, v] : r.headers) append_field(out, k, v);
  if (version >= 11 && !keep_alive) out.append("Connection: close\r\n");
  if (version < 11 && keep_alive) out.append("Connection: keep-alive\r\n");
  if (r.status != 204)
    fmt::format_to(std::back_inserter(out), "Content-Length: {}\r\n", r.content_length());
  out.append("\r\n");
}

// Writes the head and the body in one writev; a stored body follows with sendfile.
template <class Stream>
asio::awaitable<bool> write_response(Stream& stream, const Response& r, bool keep_alive,
                                     const HttpOptions& opt, unsigned version, std::string& head) {
  format_head(head, r, keep_alive, version);
  bool send_body = !r.head && r.status != 204 && r.status != 304;
  std::array<asio::const_buffer, 2> parts = {
      asio::buffer(head), asio::buffer(send_body && !r.file ? std::string_view(r.body) : "")};
  beast::get_lowest_layer(stream).expires_after(opt.io_timeout);
  auto [ec, n] = co_await asio::async_write(stream, parts, nothrow);
  if (ec) co_return false;
  if (r.file && send_body && r.file_length > 0) co_return co_await send_file(stream, r, opt);
  co_return true;
}

// Reads up to want bytes of a body straight from the socket. Plain TCP waits (epoll) until
// SO_RCVLOWAT bytes are queued and then takes them in one recv: an upload costs a wakeup and a
// syscall per MiB instead of one per TCP segment. Returns 0 on EOF, error or timeout.
asio::awaitable<size_t> read_direct(beast::tcp_stream& stream, char* p, size_t want,
                                    const HttpOptions& opt) {
  auto& sock = stream.socket();
  sock.native_non_blocking(true);
  int fd = sock.native_handle();
  int lowat = static_cast<int>(std::min<size_t>(want, 512 * 1024));
  ::setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof lowat);
  size_t got = 0;
  for (;;) {
    ssize_t n = ::recv(fd, p + got, want - got, 0);
    if (n > 0) {
      got += static_cast<size_t>(n);
      if (got == want) break;
      continue;
    }
    if (n == 0) break;
    if (errno == EINTR) continue;
    if (errno != EAGAIN || got > 0) break;
    if (!co_await wait_ready(sock, tcp::socket::wait_read, opt.io_timeout)) break;
  }
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &one, sizeof one);
  co_return got;
}

asio::awaitable<size_t> read_direct(beast::ssl_stream<beast::tcp_stream>& stream, char* p,
                                    size_t want, const HttpOptions& opt) {
  beast::get_lowest_layer(stream).expires_after(opt.io_timeout);
  auto [ec, n] = co_await stream.async_read_some(asio::buffer(p, want), nothrow);
  co_return ec ? 0 : n;
}

Response plain_error(int status, std::string_view text) {
  Response r;
  r.status = status;
  r.body = std::string(text) + "\n";
  r.set("Content-Type", "text/plain");
  return r;
}

// The Request a handler sees, from a parsed header. The header functor reads the parser's
// fields, so the request lives no longer than the parser.
Request make_request(http::request_parser<http::buffer_body>& parser, const std::string& remote) {
  auto& h = parser.get();
  Request req;
  req.method = std::string(sv(h.method_string()));
  std::string_view target = sv(h.target());
  size_t q = target.find('?');
  req.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) req.query = std::string(target.substr(q + 1));
  req.header = [&h](std::string_view name) {
    return sv(h[beast::string_view(name.data(), name.size())]);
  };
  if (auto cl = parser.content_length()) req.content_length = static_cast<int64_t>(*cl);
  req.chunked = parser.chunked();
  req.remote = remote;
  return req;
}

// The handler's reply; an exception from it is logged and answered 500.
Reply call_handler(Shared& s, const Request& req) {
  try {
    return s.handler(req);
  } catch (const std::exception& e) {
    json_log(
        "error",
        {{"event", "exception"}, {"method", req.method}, {"path", req.path}, {"error", e.what()}});
    return Reply{plain_error(500, "internal error"), nullptr};
  }
}

// How feeding a body ended: all of it reached the sink, the sink refused it (the rest is left
// unread and resp holds the sink's answer), or the client went away.
enum class Fed { all, refused, gone };

// Hands bytes to rep.sink; on a refusal, resp becomes the sink's answer.
Fed give(Reply& rep, Response& resp, const char* data, size_t n) {
  if (auto st = rep.sink->write(std::span<const char>(data, n)); !st) {
    resp = rep.sink->abort(st.error());
    return Fed::refused;
  }
  return Fed::all;
}

// The common case, a Content-Length body, is read past Beast: first what came with the
// header, then straight from the socket in large reads.
template <class Stream>
asio::awaitable<Fed> feed_sized_body(Stream& stream, beast::flat_buffer& buf,
                                     std::vector<char>& chunk, const Request& req, Reply& rep,
                                     Response& resp, int64_t& bytes_in, Shared& s) {
  int64_t remaining = *req.content_length;
  auto pending = buf.data();
  size_t take = std::min<size_t>(pending.size(), static_cast<size_t>(remaining));
  if (take > 0) {
    std::string head(static_cast<const char*>(pending.data()), take);
    buf.consume(take);
    remaining -= static_cast<int64_t>(take);
    bytes_in += static_cast<int64_t>(take);
    if (give(rep, resp, head.data(), head.size()) == Fed::refused) co_return Fed::refused;
  }
  while (remaining > 0) {
    size_t want = static_cast<size_t>(std::min<int64_t>(remaining, k_chunk));
    size_t got = co_await read_direct(stream, chunk.data(), want, s.opt);
    if (got == 0) {
      rep.sink->abort(Error(Errc::cancelled, "the client went away mid-body"));
      co_return Fed::gone;
    }
    remaining -= static_cast<int64_t>(got);
    bytes_in += static_cast<int64_t>(got);
    if (give(rep, resp, chunk.data(), got) == Fed::refused) co_return Fed::refused;
  }
  co_return Fed::all;
}

// A chunked body (or one without a length) goes through Beast's parser, a chunk at a time.
template <class Stream>
asio::awaitable<Fed> feed_parsed_body(Stream& stream, beast::flat_buffer& buf,
                                      http::request_parser<http::buffer_body>& parser,
                                      std::vector<char>& chunk, Reply& rep, Response& resp,
                                      int64_t& bytes_in, Shared& s) {
  auto& lowest = beast::get_lowest_layer(stream);
  auto& h = parser.get();
  while (!parser.is_done()) {
    h.body().data = chunk.data();
    h.body().size = chunk.size();
    lowest.expires_after(s.opt.io_timeout);
    auto [e2, r2] = co_await http::async_read(stream, buf, parser, nothrow);
    if (e2 == http::error::need_buffer) e2 = {};
    size_t got = chunk.size() - h.body().size;
    if (e2) {
      rep.sink->abort(Error(Errc::cancelled, "the client went away: " + e2.message()));
      co_return Fed::gone;
    }
    bytes_in += static_cast<int64_t>(got);
    if (got == 0) continue;
    if (give(rep, resp, chunk.data(), got) == Fed::refused) co_return Fed::refused;
  }
  co_return Fed::all;
}

// Feeds the request body to rep.sink and sets resp to the sink's answer. False when the client
// went away (the connection is dropped); keep turns false when a refused body is left unread.
template <class Stream>
asio::awaitable<bool> feed_body(Stream& stream, beast::flat_buffer& buf,
                                http::request_parser<http::buffer_body>& parser,
                                std::vector<char>& chunk, const Request& req, Reply& rep,
                                Response& resp, bool& keep, int64_t& bytes_in, Shared& s) {
  auto& h = parser.get();
  if (beast::iequals(h[http::field::expect], "100-continue")) {
    http::response<http::empty_body> cont{http::status::continue_, h.version()};
    beast::get_lowest_layer(stream).expires_after(s.opt.io_timeout);
    auto [e1, w1] = co_await http::async_write(stream, cont, nothrow);
    if (e1) {
      rep.sink->abort(Error(Errc::cancelled, "client gone"));
      co_return false;
    }
  }
  chunk.resize(k_chunk);
  Fed fed = req.content_length && !req.chunked
                ? co_await feed_sized_body(stream, buf, chunk, req, rep, resp, bytes_in, s)
                : co_await feed_parsed_body(stream, buf, parser, chunk, rep, resp, bytes_in, s);
  if (fed == Fed::gone) co_return false;
  if (fed == Fed::refused)
    keep = false;  // the rest of the body is not read
  else
    resp = rep.sink->finish();
  rep.sink.reset();
  co_return true;
}

template <class Stream>
asio::awaitable<void> serve(Stream& stream, Shared& s, std::string remote) {
  auto& lowest = beast::get_lowest_layer(stream);
  beast::flat_buffer buf;
  std::vector<char> chunk;
  std::string head;  // each response's head, formatted here
  for (bool first = true;; first = false) {
    http::request_parser<http::buffer_body> parser;
    parser.header_limit(static_cast<uint32_t>(s.opt.header_limit));
    parser.body_limit(boost::none);
    // The first byte of a request may take the idle time; the whole head must then follow
    // within the header timeout (a client trickling headers is cut off).
    if (buf.size() == 0) {
      lowest.expires_after(first ? s.opt.header_timeout : s.opt.idle_timeout);
      auto [ec, n] = co_await stream.async_read_some(buf.prepare(4096), nothrow);
      if (ec) co_return;
      buf.commit(n);
    }
    lowest.expires_after(s.opt.header_timeout);
    auto [ec, n] = co_await http::async_read_header(stream, buf, parser, nothrow);
    auto started = Clock::now();
    if (ec) {
      if (ec == http::error::header_limit)
        co_await write_response(stream, plain_error(431, "request header fields too large"), false,
                                s.opt, 11, head);
      else if (ec != beast::error::timeout && ec != http::error::end_of_stream &&
               ec != asio::error::eof && ec != asio::error::connection_reset &&
               ec != asio::error::operation_aborted)
        co_await write_response(stream, plain_error(400, "bad request: " + ec.message()), false,
                                s.opt, 11, head);
      co_return;
    }
    auto& h = parser.get();
    Request req = make_request(parser, remote);
    bool keep = h.keep_alive();
    unsigned version = h.version();
    Reply rep = call_handler(s, req);
    Response resp = std::move(rep.response);
    int64_t bytes_in = 0;
    if (rep.sink) {
      if (!co_await feed_body(stream, buf, parser, chunk, req, rep, resp, keep, bytes_in, s))
        co_return;  // the client went away mid-body
    } else if (!parser.is_done()) {
      keep = false;  // a body nobody wants: answer and close rather than read it
    }
    // A response to HEAD has no body, whoever made it (errors included): a body would be
    // read by the client as the start of the next response on the connection.
    if (req.method == "HEAD") resp.head = true;
    bool ok = co_await write_response(stream, resp, keep, s.opt, version, head);
    if (s.observer) {
      Exchange ex{&req,
                  resp.status,
                  bytes_in,
                  resp.head ? 0 : (resp.file ? resp.file_length : (int64_t)resp.body.size()),
                  std::chrono::duration<double>(Clock::now() - started).count(),
                  req.user,
                  resp.error,
                  &resp};
      s.observer(ex);
    }
    if (!ok || !keep) co_return;
  }
}

template <class Stream>
void close_stream(Stream& stream) {
  boost::system::error_code ec;
  beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_send, ec);
}

struct ConnectionCount {
  std::atomic<size_t>& n;
  ~ConnectionCount() { --n; }
};

void log_exception(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    json_log("error", {{"event", "connection"}, {"error", ex.what()}});
  }
}

asio::awaitable<void> plain_session(tcp::socket sock, Shared& s, std::string remote) {
  ConnectionCount count{s.connections};
  beast::tcp_stream stream(std::move(sock));
  co_await serve(stream, s, remote);
  close_stream(stream);
}

asio::awaitable<void> tls_session(tcp::socket sock, ssl::context& ctx, Shared& s,
                                  std::string remote) {
  ConnectionCount count{s.connections};
  beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(sock)), ctx);
  beast::get_lowest_layer(stream).expires_after(s.opt.header_timeout);
  auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, nothrow);
  if (!ec) {
    co_await serve(stream, s, remote);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(5));
    co_await stream.async_shutdown(nothrow);
  }
  close_stream(stream);
}

class Server final : public HttpServer {
 public:
  Server(HttpOptions opt, Handler handler, Observer observer)
      : m_threads(opt.threads > 0 ? opt.threads
                                  : std::max(1u, std::thread::hardware_concurrency())),
        m_ioc(m_threads),
        m_acceptor(m_ioc),
        m_signals(m_ioc, SIGINT, SIGTERM),
        m_tls(ssl::context::tls_server) {
    m_shared.opt = std::move(opt);
    m_shared.handler = std::move(handler);
    m_shared.observer = std::move(observer);
  }

  Status open() {
    const auto& opt = m_shared.opt;
    size_t colon = opt.listen.rfind(':');
    if (colon == std::string::npos)
      return failf(Errc::invalid_argument, "listen address '{}' needs HOST:PORT", opt.listen);
    std::string host = opt.listen.substr(0, colon);
    if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
    if (host.empty()) host = "0.0.0.0";
    auto port = parse_int(opt.listen.substr(colon + 1));
    if (!port || *port < 0 || *port > 65535)
      return failf(Errc::invalid_argument, "listen address '{}': bad port", opt.listen);
    boost::system::error_code ec;
    auto addr = asio::ip::make_address(host, ec);
    if (ec) {
      tcp::resolver res(m_ioc);
      auto found = res.resolve(host, "", ec);
      if (ec || found.empty())
        return failf(Errc::invalid_argument, "listen address '{}': cannot resolve {}", opt.listen,
                     host);
      addr = found.begin()->endpoint().address();
    }
    tcp::endpoint ep(addr, static_cast<unsigned short>(*port));
    m_acceptor.open(ep.protocol(), ec);
    if (!ec) m_acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) m_acceptor.bind(ep, ec);
    if (!ec) m_acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return failf(Errc::io, "listen on {}: {}", opt.listen, ec.message());
    if (!opt.tls_cert.empty() || !opt.tls_key.empty()) {
      if (opt.tls_cert.empty() || opt.tls_key.empty())
        return fail(Errc::invalid_argument, "TLS needs both a certificate and a key");
      m_tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                        ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
      m_tls.use_certificate_chain_file(opt.tls_cert, ec);
      if (ec)
        return failf(Errc::invalid_argument, "TLS certificate {}: {}", opt.tls_cert, ec.message());
      m_tls.use_private_key_file(opt.tls_key, ssl::context::pem, ec);
      if (ec) return failf(Errc::invalid_argument, "TLS key {}: {}", opt.tls_key, ec.message());
      if (!opt.tls_client_ca.empty()) {
        m_tls.load_verify_file(opt.tls_client_ca, ec);
        if (ec)
          return failf(Errc::invalid_argument, "client CA {}: {}", opt.tls_client_ca, ec.message());
        m_tls.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
      }
      m_use_tls = true;
    }
    // Every connection is a file descriptor: allow as many as the hard limit does.
    struct rlimit rl {};
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
      rl.rlim_cur = rl.rlim_max;
      ::setrlimit(RLIMIT_NOFILE, &rl);
    }
    return {};
  }

  std::string address() const override {
    boost::system::error_code ec;
    auto ep = m_acceptor.local_endpoint(ec);
    if (ec) return m_shared.opt.listen;
    return fmt::format("{}:{}", ep.address().to_string(), ep.port());
  }

  Status run() override {
    m_signals.async_wait([this](boost::system::error_code ec, int) {
      if (!ec) stop();
    });
    asio::co_spawn(m_ioc, accept_loop(), log_exception);
    std::vector<std::jthread> pool;
    for (int i = 1; i < m_threads; ++i) pool.emplace_back([this] { m_ioc.run(); });
    m_ioc.run();
    return {};  // the pool joins here
  }

  void stop() override {
    asio::post(m_ioc, [this] {
      boost::system::error_code ec;
      m_acceptor.close(ec);
      m_ioc.stop();
    });
  }

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, sock] = co_await m_acceptor.async_accept(asio::make_strand(m_ioc), nothrow);
      if (ec == asio::error::operation_aborted) co_return;
      if (ec) {
        // Out of descriptors or memory: back off rather than spin.
        json_log("error", {{"event", "accept"}, {"error", ec.message()}});
        asio::steady_timer t(m_ioc, std::chrono::milliseconds(100));
        co_await t.async_wait(nothrow);
        continue;
      }
      if (m_shared.connections >= m_shared.opt.max_connections) {
        boost::system::error_code ignored;
        sock.close(ignored);
        continue;
      }
      ++m_shared.connections;
      boost::system::error_code rec;
      auto peer = sock.remote_endpoint(rec);
      std::string remote = rec ? std::string() : peer.address().to_string();
      sock.set_option(tcp::no_delay(true), rec);
      auto ex = sock.get_executor();
      if (m_use_tls)
        asio::co_spawn(ex, tls_session(std::move(sock), m_tls, m_shared, remote), log_exception);
      else
        asio::co_spawn(ex, plain_session(std::move(sock), m_shared, remote), log_exception);
    }
  }

  int m_threads;
  asio::io_context m_ioc;
  tcp::acceptor m_acceptor;
  asio::signal_set m_signals;
  ssl::context m_tls;
  bool m_use_tls = false;
  Shared m_shared;
};

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::bind(HttpOptions opt, Handler handler,
                                                     Observer observer) {
  auto s = std::make_unique<Server>(std::move(opt), std::move(handler), std::move(observer));
  if (auto st = s->open(); !st) return std::unexpected(st.error());
  return std::unique_ptr<HttpServer>(std::move(s));
}

}  // namespace kiln::registry::server
