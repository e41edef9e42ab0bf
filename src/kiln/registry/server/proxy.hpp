// Pull-through cache (`proxy: {remoteurl, username, password, ttl}`, as Distribution spells it):
// a pull of what the registry lacks is fetched from the upstream registry, stored, and served
// from storage afterwards.
//
// - A tag is looked up upstream when the registry has not fetched it within `ttl` seconds (0,
//   the default, asks every time, as Distribution does); when the upstream cannot be reached
//   the tag last fetched is served. A tag the upstream no longer has is 404.
// - A manifest or blob by digest is fetched once, verified against its digest, and kept.
// - A blob is fetched whole into an upload, checked, then moved into place and served from
//   storage; concurrent pulls of one blob share one download.
// - What is neither stored nor reachable upstream is 502 with the upstream's error.
//
// The upstream is an interface so that this layer needs no registry client: kiln-registry
// gives it one over registry/client (auth, retries and redirects as `kiln pull` has them).
#pragma once

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
  virtual Status blob(const std::string& repo, const Digest& d, io::Writer& out) = 0;
};

class Proxy {
 public:
  Proxy(Driver& d, std::unique_ptr<Upstream> upstream, int64_t ttl_seconds);

  const Upstream& upstream() const { return *m_up; }

  // The digest tag names, fetched upstream when stale. not_found: neither has it;
  // Errc::unavailable-like errors (io) when the upstream fails and nothing is cached.
  Result<Digest> tag(const std::string& repo, const std::string& tag);
  // Makes manifest d of repo present locally (fetching it when missing).
  Status manifest(const std::string& repo, const Digest& d);
  // Makes blob d of repo present locally (fetching it when missing).
  Status blob(const std::string& repo, const Digest& d);

 private:
  Status store_manifest(const std::string& repo, const Digest& d, const UpstreamManifest& m);

  Driver& m_d;
  std::unique_ptr<Upstream> m_up;
  int64_t m_ttl;
  std::mutex m_mu;
  std::map<Digest, std::shared_ptr<std::mutex>> m_fetching;  // one download per blob
};

}  // namespace kiln::registry::server
