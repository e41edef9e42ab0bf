#include "kiln/build/fetch.hpp"

#include <curl/curl.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <type_traits>

namespace kiln::build {

namespace {

// libcurl and the two dozen libraries it pulls in are loaded only when a build downloads
// something: linked normally, they would add ~15 ms to the start of every kiln command.
struct Curl {
  decltype(&curl_global_init) global_init = nullptr;
  decltype(&curl_easy_init) easy_init = nullptr;
  decltype(&curl_easy_setopt) setopt = nullptr;
  decltype(&curl_easy_perform) perform = nullptr;
  decltype(&curl_easy_getinfo) getinfo = nullptr;
  decltype(&curl_easy_cleanup) cleanup = nullptr;
  decltype(&curl_easy_strerror) strerror = nullptr;
  std::string error;
};

const Curl& curl() {
  static const Curl c = [] {
    Curl c;
    void* h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      c.error = fmt::format("downloading needs libcurl (Debian's libcurl4): {}", dlerror());
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
    sym(c.strerror, "curl_easy_strerror");
    if (c.error.empty() && c.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
      c.error = "libcurl failed to initialise";
    return c;
  }();
  return c;
}

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
  const Curl& lib = curl();
  if (!lib.error.empty()) return fail(Errc::unsupported, lib.error);
  Fetched f;
  f.name = file_name(url);
  auto fd = KILN_TRY(dir.open_file(f.name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600));
  Sink sink;
  sink.fd = fd.get();
  CURL* c = lib.easy_init();
  if (!c) return fail(Errc::internal, "libcurl: no handle");
  struct Cleanup {
    CURL* c;
    const Curl& lib;
    ~Cleanup() { lib.cleanup(c); }
  } cleanup{c, lib};
  char errbuf[CURL_ERROR_SIZE] = {};
  lib.setopt(c, CURLOPT_URL, url.c_str());
  lib.setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  lib.setopt(c, CURLOPT_MAXREDIRS, 10L);
  lib.setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  lib.setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  lib.setopt(c, CURLOPT_FAILONERROR, 1L);
  lib.setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
  lib.setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  lib.setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
  lib.setopt(c, CURLOPT_FILETIME, 1L);
  lib.setopt(c, CURLOPT_USERAGENT, "kiln");
  lib.setopt(c, CURLOPT_WRITEFUNCTION, on_data);
  lib.setopt(c, CURLOPT_WRITEDATA, &sink);
  lib.setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  CURLcode rc = lib.perform(c);
  auto drop = [&] { (void)dir.unlink(f.name); };
  if (rc != CURLE_OK) {
    drop();
    if (sink.failed) return failf(Errc::io, "download {}: writing the file failed", url);
    return failf(Errc::not_found, "download {}: {}", url, errbuf[0] ? errbuf : lib.strerror(rc));
  }
  long filetime = -1;
  lib.getinfo(c, CURLINFO_FILETIME, &filetime);
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
