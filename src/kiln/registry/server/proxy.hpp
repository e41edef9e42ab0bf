// Pull-through cache (`proxy: {remoteurl, username, password, ttl}`, as Distribution spells it):
// a pull of what the registry lacks is fetched from the upstream registry, stored, and served
// from storage afterwards.
//
// - A tag is looked up upstream when the registry has not fetched it within `ttl` seconds (0,
//   the default, asks every time, as Distribution does); when the upstream cannot be reached
//   the tag last fetched is served. A tag the upstream no longer has is 404.
// - A manifest or blob by digest is fetched once, verified against its digest, and kept.
// - A blob is streamed to the client as it arrives while it is written to storage (and to a
//   temporary file the readers read from); the last byte is held back until the digest checks,
//   so a client never completes a blob the upstream corrupted. Concurrent pulls of one blob
//   share one download. A HEAD starts the download too (docker HEADs, then GETs).
// - What is neither stored nor reachable upstream is 502 with the upstream's error.
//
// The upstream is an interface so that this layer needs no registry client: kiln-registry
// gives it one over registry/client (auth, retries and redirects as `kiln pull` has them).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "kiln/base/error.hpp"
#include "kiln/digest/digest.hpp"
#include "kiln/io/stream.hpp"
#include "kiln/registry/server/driver.hpp"

namespace kiln::registry::server {

struct UpstreamManifest {
  std::string body;
  std::string media_type;
};

class Upstream {
 public:
  virtual ~Upstream() = default;
  virtual std::string describe() const = 0;
  // Errc::not_found when the upstream does not have it; other errors when it cannot answer.
  virtual Result<UpstreamManifest> manifest(const std::string& repo, const std::string& ref) = 0;
  virtual Result<int64_t> blob_size(const std::string& repo, const Digest& d) = 0;
  // size is what blob_size said (a dropped connection resumes up to it).
  virtual Status blob(const std::string& repo, const Digest& d, int64_t size, io::Writer& out) = 0;
};

struct Fetch;

class Proxy {
 public:
  Proxy(Driver& d, std::unique_ptr<Upstream> upstream, int64_t ttl_seconds);
  ~Proxy();  // waits for downloads in progress

  const Upstream& upstream() const { return *m_up; }

  // The digest tag names, fetched upstream when stale. not_found: neither has it;
  // Errc::unavailable-like errors (io) when the upstream fails and nothing is cached.
  Result<Digest> tag(const std::string& repo, const std::string& tag);
  // Makes manifest d of repo present locally (fetching it when missing).
  Status manifest(const std::string& repo, const Digest& d);
  // Blob d of repo as it arrives from the upstream (a Reader whose read_at waits for the
  // bytes), or nullptr when it is in storage.
  Result<std::shared_ptr<Reader>> stream_blob(const std::string& repo, const Digest& d);

 private:
  Status store_manifest(const std::string& repo, const Digest& d, const UpstreamManifest& m);
  void download(std::string repo, Digest d, std::shared_ptr<Fetch> f);

  Driver& m_d;
  std::unique_ptr<Upstream> m_up;
  int64_t m_ttl;
  std::mutex m_mu;
  std::condition_variable m_cv;
  std::map<Digest, std::weak_ptr<Fetch>> m_inflight;  // one download per blob
  int m_running = 0;                                  // download threads
};

}  // namespace kiln::registry::server
