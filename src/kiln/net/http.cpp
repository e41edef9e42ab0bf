#include "kiln/net/http.hpp"

#include "kiln/base/percent.hpp"

#include <curl/curl.h>
#include <dlfcn.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <mutex>
#include <thread>
#include <type_traits>

namespace kiln::net {
namespace {

// libcurl and the libraries it pulls in are loaded on first use (they would add ~15 ms to the
// start of every kiln command).
struct Curl {
  decltype(&curl_global_init) global_init = nullptr;
  decltype(&curl_easy_init) easy_init = nullptr;
  decltype(&curl_easy_setopt) setopt = nullptr;
  decltype(&curl_easy_perform) perform = nullptr;
  decltype(&curl_easy_getinfo) getinfo = nullptr;
  decltype(&curl_easy_cleanup) cleanup = nullptr;
  decltype(&curl_easy_reset) reset = nullptr;
  decltype(&curl_easy_strerror) strerror = nullptr;
  decltype(&curl_slist_append) slist_append = nullptr;
  decltype(&curl_slist_free_all) slist_free_all = nullptr;
  std::string error;
};

const Curl& curl() {
  static const Curl c = [] {
    Curl c;
    void* h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      c.error = fmt::format("HTTP needs libcurl (Debian's libcurl4): {}", dlerror());
      return c;
    }
    auto sym = [&](auto& fn, const char* name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(h, name));
      if (!fn && c.error.empty()) c.error = fmt::format("libcurl lacks {}", name);
    };
    sym(c.global_init, "curl_global_init");
    sym(c.easy_init, "curl_easy_init");
    sym(c.setopt, "curl_easy_setopt");
    sym(c.perform, "curl_easy_perform");
    sym(c.getinfo, "curl_easy_getinfo");
    sym(c.cleanup, "curl_easy_cleanup");
    sym(c.reset, "curl_easy_reset");
    sym(c.strerror, "curl_easy_strerror");
    sym(c.slist_append, "curl_slist_append");
    sym(c.slist_free_all, "curl_slist_free_all");
    if (c.error.empty() && c.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
      c.error = "libcurl failed to initialise";
    return c;
  }();
  return c;
}

}  // namespace

void preload() {
  static std::jthread loader;  // joined at exit
  static std::once_flag once;
  std::call_once(once, [] { loader = std::jthread([] { (void)curl(); }); });
}

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

struct Transfer {
  const Request* req;
  Response* resp;
  std::optional<Error> error;  // from the sink or the body reader
};

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * n);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {
    t->resp->headers.list.clear();  // a new response (after 100 Continue)
    return size * n;
  }
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    auto value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    t->resp->headers.add(std::string(line.substr(0, colon)), std::string(value));
  }
  return size * n;
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  if (auto st = take_body(*t->req, *t->resp, std::string_view(data, len)); !st) {
    t->error = st.error();
    return 0;
  }
  return len;
}

size_t on_read(char* buf, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  auto got = t->req->body->read(buf, size * n);
  if (!got) {
    t->error = got.error();
    return CURL_READFUNC_ABORT;
  }
  return *got;
}

}  // namespace

std::optional<std::string> Headers::get(std::string_view name) const {
  for (const auto& [k, v] : list)
    if (iequals(k, name)) return v;
  return std::nullopt;
}

std::vector<std::string> Headers::all(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : list)
    if (iequals(k, name)) out.push_back(v);
  return out;
}

Status take_body(const Request& req, Response& resp, std::string_view data) {
  resp.body_bytes += static_cast<int64_t>(data.size());
  if (req.sink && resp.status >= 200 && resp.status < 300)
    return req.sink->write(data.data(), data.size());
  if (static_cast<int64_t>(resp.body.size() + data.size()) > req.max_body)
    return failf(Errc::invalid_argument, "{}: response body larger than {} bytes", req.url,
                 req.max_body);
  resp.body.append(data);
  return {};
}

Client::Client(ClientOptions opts) : m_opts(std::move(opts)) {}

Client::~Client() {
  if (m_handle) curl().cleanup(static_cast<CURL*>(m_handle));
}

namespace {

// Timeouts, buffers, TLS and callbacks: the same for every request of a Client.
void set_transfer_options(const Curl& c, CURL* h, const ClientOptions& opts, Transfer& t) {
  c.setopt(h, CURLOPT_NOSIGNAL, 1L);
  c.setopt(h, CURLOPT_USERAGENT, "kiln/0.1");
  // Blobs move in large pieces: 16 KB reads and 64 KB uploads cost a callback (and a hand-over
  // to the thread that stores the bytes) per piece.
  c.setopt(h, CURLOPT_BUFFERSIZE, 512L << 10);
  c.setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 1L << 20);
  c.setopt(h, CURLOPT_HEADERDATA, &t);
  c.setopt(h, CURLOPT_WRITEFUNCTION, &on_body);
  c.setopt(h, CURLOPT_WRITEDATA, &t);
  c.setopt(h, CURLOPT_CONNECTTIMEOUT, static_cast<long>(opts.connect_timeout_s));
  c.setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  c.setopt(h, CURLOPT_LOW_SPEED_TIME, static_cast<long>(opts.stall_timeout_s));
  c.setopt(h, CURLOPT_SSL_VERIFYPEER, opts.tls_verify ? 1L : 0L);
  c.setopt(h, CURLOPT_SSL_VERIFYHOST, opts.tls_verify ? 2L : 0L);
  if (!opts.ca_file.empty()) c.setopt(h, CURLOPT_CAINFO, opts.ca_file.c_str());
  if (!opts.client_cert.empty()) c.setopt(h, CURLOPT_SSLCERT, opts.client_cert.c_str());
  if (!opts.client_key.empty()) c.setopt(h, CURLOPT_SSLKEY, opts.client_key.c_str());
}

// The method, and the request body (streamed from req.body) or an empty one.
void set_method(const Curl& c, CURL* h, const Request& req, Transfer& t) {
  if (req.method == "HEAD") {
    c.setopt(h, CURLOPT_NOBODY, 1L);
  } else if (req.method != "GET") {
    c.setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  }
  if (req.body) {
    c.setopt(h, CURLOPT_UPLOAD, 1L);
    c.setopt(h, CURLOPT_READFUNCTION, &on_read);
    c.setopt(h, CURLOPT_READDATA, &t);
    if (req.body_size >= 0)
      c.setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(req.body_size));
  } else if (req.method == "PUT" || req.method == "POST" || req.method == "PATCH") {
    c.setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
    c.setopt(h, CURLOPT_POSTFIELDS, "");
  }
}

}  // namespace

Result<Response> Client::perform(const Request& in) {
  Request req_copy;
  std::optional<io::StringReader> data;
  const Request* rp = &in;
  if (in.body_data) {  // a fresh reader for every attempt
    req_copy = in;
    data.emplace(*in.body_data);
    req_copy.body = &*data;
    req_copy.body_size = static_cast<int64_t>(in.body_data->size());
    rp = &req_copy;
  }
  const Request& req = *rp;
  const Curl& c = curl();
  if (!c.error.empty()) return fail(Errc::unsupported, c.error);
  if (!m_handle) m_handle = c.easy_init();
  if (!m_handle) return fail(Errc::internal, "libcurl: cannot create a handle");
  CURL* h = static_cast<CURL*>(m_handle);
  c.reset(h);  // keeps the connection cache
  Response resp;
  Transfer t{&req, &resp, std::nullopt};
  curl_slist* hdrs = nullptr;
  for (const auto& [k, v] : req.headers.list) hdrs = c.slist_append(hdrs, (k + ": " + v).c_str());
  if (req.body) hdrs = c.slist_append(hdrs, "Expect:");  // no 100-continue round trip
  c.setopt(h, CURLOPT_URL, req.url.c_str());
  c.setopt(h, CURLOPT_HTTPHEADER, hdrs);
  set_transfer_options(c, h, m_opts, t);
  set_method(c, h, req, t);
  // The status is known once the headers are in: on_body needs it.
  c.setopt(
      h, CURLOPT_HEADERFUNCTION, +[](char* d, size_t s, size_t n, void* u) -> size_t {
        auto* t = static_cast<Transfer*>(u);
        std::string_view line(d, s * n);
        if (line.starts_with("HTTP/")) {
          auto sp = line.find(' ');
          if (sp != std::string_view::npos)
            t->resp->status = std::strtol(line.data() + sp + 1, nullptr, 10);
        }
        return on_header(d, s, n, u);
      });
  CURLcode rc = c.perform(h);
  c.slist_free_all(hdrs);
  if (t.error) return std::unexpected(*t.error);
  if (rc != CURLE_OK) {
    Errc code = Errc::io;
    std::string why = c.strerror(rc);
    if (rc == CURLE_OPERATION_TIMEDOUT)
      why = fmt::format("no data for {} s (timed out)", m_opts.stall_timeout_s);
    return failf(code, "{} {}: {}", req.method, req.url, why);
  }
  long status = 0;
  c.getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  resp.status = status;
  return resp;
}

std::string Challenge::param(std::string_view name) const {
  for (const auto& [k, v] : params)
    if (iequals(k, name)) return v;
  return "";
}

std::vector<Challenge> parse_challenges(std::string_view s) {
  std::vector<Challenge> out;
  size_t i = 0;
  auto skip_ws = [&] {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == ',')) ++i;
  };
  while (true) {
    skip_ws();
    if (i >= s.size()) break;
    size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != ',' && s[i] != '=') ++i;
    std::string token(s.substr(start, i - start));
    if (i < s.size() && s[i] == '=' && !out.empty()) {  // a parameter of the last challenge
      ++i;
      std::string value;
      if (i < s.size() && s[i] == '"') {
        for (++i; i < s.size() && s[i] != '"'; ++i) {
          if (s[i] == '\\' && i + 1 < s.size()) ++i;
          value += s[i];
        }
        ++i;
      } else {
        size_t v = i;
        while (i < s.size() && s[i] != ',') ++i;
        value = std::string(s.substr(v, i - v));
      }
      out.back().params.emplace_back(token, value);
    } else {
      Challenge c;
      for (char& ch : token) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      c.scheme = token;
      out.push_back(std::move(c));
    }
  }
  return out;
}

std::string resolve_url(const std::string& base, const std::string& loc) {
  if (loc.starts_with("http://") || loc.starts_with("https://")) return loc;
  auto scheme_end = base.find("://");
  auto host_end = base.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
  std::string origin = base.substr(0, host_end);
  if (loc.starts_with("/")) return origin + loc;
  std::string dir =
      host_end == std::string::npos ? origin + "/" : base.substr(0, base.rfind('/') + 1);
  return dir + loc;
}

std::string base64_encode(std::string_view in) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += {k[v >> 18], k[(v >> 12) & 63], k[(v >> 6) & 63], k[v & 63]};
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    out += {k[v >> 18], k[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += {k[v >> 18], k[(v >> 12) & 63], k[(v >> 6) & 63], '='};
  }
  return out;
}

Result<std::string> base64_decode(std::string_view in) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=' || c == '\n' || c == '\r') continue;
    int v = val(c);
    if (v < 0) return fail(Errc::invalid_argument, "invalid base64");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

std::string url_escape(std::string_view s) {
  return percent_encode(s);
}

}  // namespace kiln::net
