#include "kiln/build/fetch.hpp"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>

namespace kiln::build {

namespace {

struct Sink {
  int fd = -1;
  Sha256 hash;
  bool failed = false;
};

size_t on_data(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  size_t len = size * n;
  sink->hash.update(data, len);
  if (!os::write_all(sink->fd, data, len)) {
    sink->failed = true;
    return 0;
  }
  return len;
}

std::string file_name(const std::string& url) {
  std::string path = url.substr(url.find("://") + 3);
  auto slash = path.find('/');
  path = slash == std::string::npos ? "" : path.substr(slash);
  path = path.substr(0, path.find_first_of("?#"));
  std::string name = path.substr(path.rfind('/') + 1);
  if (name.empty() || name == "." || name == "..") name = "index.html";
  return name;
}

}  // namespace

Result<Fetched> fetch_url(const std::string& url, const os::Dir& dir,
                          const std::optional<Digest>& checksum) {
  static bool init = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  if (!init) return fail(Errc::internal, "libcurl failed to initialise");
  Fetched f;
  f.name = file_name(url);
  auto fd = KILN_TRY(dir.open_file(f.name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600));
  Sink sink;
  sink.fd = fd.get();
  CURL* c = curl_easy_init();
  if (!c) return fail(Errc::internal, "libcurl: no handle");
  struct Cleanup {
    CURL* c;
    ~Cleanup() { curl_easy_cleanup(c); }
  } cleanup{c};
  char errbuf[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(c, CURLOPT_FILETIME, 1L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "kiln");
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  CURLcode rc = curl_easy_perform(c);
  auto drop = [&] { (void)dir.unlink(f.name); };
  if (rc != CURLE_OK) {
    drop();
    if (sink.failed) return failf(Errc::io, "download {}: writing the file failed", url);
    return failf(Errc::not_found, "download {}: {}", url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
  }
  long filetime = -1;
  curl_easy_getinfo(c, CURLINFO_FILETIME, &filetime);
  f.mtime = filetime > 0 ? filetime : 0;
  f.digest = sink.hash.finish();
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

}  // namespace kiln::build
