#include "kiln/builder/fetch.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>

#include "kiln/net/http.hpp"

namespace kiln::builder {

namespace {

std::string file_name(const std::string& url) {
  std::string path = url.substr(url.find("://") + 3);
  auto slash = path.find('/');
  path = slash == std::string::npos ? "" : path.substr(slash);
  path = path.substr(0, path.find_first_of("?#"));
  std::string name = path.substr(path.rfind('/') + 1);
  if (name.empty() || name == "." || name == "..") name = "index.html";
  return name;
}

bool web_url(const std::string& url) {
  return url.starts_with("http://") || url.starts_with("https://");
}

// "Wed, 21 Oct 2015 07:28:00 GMT" -> seconds, or 0.
int64_t http_date(const std::string& s) {
  struct tm tm {};
  if (!strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S", &tm)) return 0;
  return static_cast<int64_t>(timegm(&tm));
}

}  // namespace

Result<Fetched> fetch_url(const std::string& url, const os::Dir& dir,
                          const std::optional<Digest>& checksum) {
  Fetched f;
  f.name = file_name(url);
  auto fd = KILN_TRY(dir.open_file(f.name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600));
  auto drop = [&] { (void)dir.unlink(f.name); };
  io::FdWriter file(fd.get());
  io::HashingWriter hashed(&file);
  net::Client client;
  std::string where = url;
  for (int redirects = 0;; ++redirects) {
    if (!web_url(where)) {
      drop();
      return failf(Errc::invalid_argument, "download {}: only http and https URLs ({})", url,
                   where);
    }
    net::Request req;
    req.url = where;
    req.sink = &hashed;
    auto resp = client.perform(req);
    if (!resp) {
      drop();
      return failf(Errc::not_found, "download {}: {}", url, resp.error().message());
    }
    if (resp->status >= 300 && resp->status < 400 && redirects < 10) {
      auto loc = resp->headers.get("Location");
      if (!loc) break;
      where = net::resolve_url(where, *loc);
      continue;
    }
    if (resp->status < 200 || resp->status >= 300) {
      drop();
      return failf(Errc::not_found, "download {}: HTTP {}", url, resp->status);
    }
    if (auto lm = resp->headers.get("Last-Modified")) f.mtime = http_date(*lm);
    break;
  }
  f.digest = hashed.digest();
  if (checksum && *checksum != f.digest) {
    drop();
    return failf(Errc::corrupt, "download {}: checksum mismatch: got {}, want {}", url, f.digest,
                 *checksum);
  }
  if (f.mtime > 0) {
    struct timespec ts[2] = {{f.mtime, 0}, {f.mtime, 0}};
    futimens(fd.get(), ts);
  }
  return f;
}

}  // namespace kiln::builder
