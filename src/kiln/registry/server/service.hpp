// The distribution API's handlers over a storage driver: what each endpoint does, without
// sockets (http_server.cpp) or access control (auth.hpp). Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>

#include "kiln/digest/digest.hpp"
#include "kiln/registry/server/driver.hpp"
#include "kiln/registry/server/errors.hpp"
#include "kiln/registry/server/fresh_reads.hpp"
#include "kiln/registry/server/http_types.hpp"
#include "kiln/registry/server/routes.hpp"
#include "kiln/registry/server/signed_tags.hpp"
#include "kiln/registry/server/tag_history.hpp"

namespace kiln::registry::server {

struct ServiceOptions {
  bool read_only = false;
  bool delete_enabled = true;
  // Mount a blob on POST ?mount= without (or with a wrong) from= when the registry holds it.
  // Off under token auth: the caller may not be allowed to read the repository it came from.
  bool auto_mount = true;
  int64_t max_manifest_bytes = 4 << 20;
  int64_t max_blob_bytes = 0;  // 0: bounded only by free space
  // Blob GETs answer 307 to the driver's redirect_url when it has one (storage.redirect).
  bool redirect = false;
  // Tags that never move once set (tag_history.hpp); deleting one needs the admin scope.
  std::vector<ImmutableRule> immutable;
  HistoryPolicy history;
  // Tags that need a valid signature before they are set (signed_tags.hpp).
  std::vector<SignedRule> signed_tags;
  // Concurrent reads of one tag or link share their storage round trips (fresh_reads.hpp):
  // for storage where a read is a network round trip (S3).
  bool coalesce_reads = false;
};

class Proxy;

class Service {
 public:
  Service(Driver& driver, ServiceOptions options);
  ~Service();

  // rt must be one of the /v2/ kinds. The caller has checked access.
  Reply handle(const Route& rt, const Request& req);

  Driver& driver() { return m_driver; }
  // Makes this registry a pull-through cache of p's upstream (proxy.hpp). p outlives it.
  void set_proxy(Proxy* p) { m_proxy = p; }

  // Online garbage collection (gc.hpp). While a collection runs, every digest a new
  // reference names is remembered, and the sweep leaves it alone.
  void gc_begin();
  void gc_end();
  std::shared_mutex& gc_mutex() { return m_gc_mu; }
  bool gc_touched(const Digest& d);
  bool upload_active(const std::string& uuid);
  void touch(const Digest& d);
  const ServiceOptions& options() const { return m_opt; }

  // Shared by the handler files (service_*.cpp).
  struct Manifest {
    std::shared_ptr<const std::string> body;
    std::string media_type;
    Digest digest;
  };
  struct UploadState;

 private:
  Reply blob(const Route& rt, const Request& req, const Digest& d);
  Reply start_upload(const Route& rt, const Request& req);
  Reply upload(const Route& rt, const Request& req);
  Reply manifest(const Route& rt, const Request& req);
  Reply put_manifest(const Route& rt, const Request& req);
  Reply delete_manifest(const Route& rt, const Request& req);
  Reply tags(const Route& rt, const Request& req);
  Reply catalog(const Request& req);
  Reply referrers(const Route& rt, const Request& req);
  Reply tag_history(const Route& rt, const Request& req);
  // Points name:tag at d (nullopt: deletes it) and records the change in its history, unless
  // an immutable rule forbids it. Serialised with every other tag change.
  Result<std::optional<Response>> move_tag(const std::string& name, const std::string& tag,
                                           const std::optional<Digest>& d, const Request* req,
                                           const std::string& user);
  // The 403 refusal when a signed-tags rule covers name:tag and d (body: the manifest) has no
  // valid signature.
  std::optional<Response> signature_denial(const std::string& name, const std::string& tag,
                                           const Digest& d, std::string_view body);

 public:  // for the body sinks
  // Reads (and caches) a manifest the registry holds.
  Result<Manifest> load_manifest(const Digest& d);
  bool linked(const std::string& key) const;
  // The value at key (a tag), read as options().coalesce_reads says.
  Result<std::string> read_link(const std::string& key) const;
  Status link(const std::string& key, const Digest& d);
  // gc_fence for a blob just linked into repository name.
  Status fence_blob(const std::string& name, const Digest& d);
  Result<Response> store_manifest(const std::string& name, const std::string& ref, std::string body,
                                  std::string_view content_type, const std::string& user);
  // Verifies and publishes a finished upload into name.
  Result<Response> finish_upload(const std::string& name, const std::string& uuid,
                                 UploadState& state, std::string_view digest);
  // Publishes a blob of digest want that arrived as got: place() puts it at its key, then it
  // is linked into name and the upload session uuid (if any) is removed.
  Result<Response> publish_blob(const std::string& name, const std::string& uuid,
                                const Digest& want, const Digest& got,
                                const std::function<Status()>& place);
  Result<std::unique_ptr<BodySink>> direct_sink(const std::string& name, const std::string& uuid,
                                                std::shared_ptr<UploadState> state,
                                                std::string_view digest,
                                                std::optional<int64_t> expect_len);
  std::shared_ptr<UploadState> upload_state(const std::string& uuid);
  void drop_upload_state(const std::string& uuid);
  Response upload_status(const std::string& name, const std::string& uuid, int64_t size,
                         int status);
  std::unique_ptr<BodySink> upload_sink(std::string name, std::string uuid,
                                        std::shared_ptr<UploadState> state, int64_t expect_start,
                                        std::optional<int64_t> expect_end, bool finish,
                                        std::string digest);
  Result<std::string> new_upload(const std::string& name);

 private:
  Driver& m_driver;
  ServiceOptions m_opt;
  std::mutex m_mu;
  std::map<Digest, Manifest> m_manifests;  // immutable by digest; bounded
  int64_t m_manifest_bytes = 0;
  std::map<std::string, std::shared_ptr<UploadState>> m_uploads;
  std::shared_mutex m_gc_mu;
  Proxy* m_proxy = nullptr;
  bool m_gc_active = false;
  std::set<Digest> m_touched;
  std::mutex m_tag_mu;  // tag changes: check, write and history entry as one step
  mutable FreshReads<Result<std::string>> m_fresh_get;
  mutable FreshReads<Result<Stat>> m_fresh_stat;
};

// The 409 refusal when pointing name:tag at `to` would move an immutable tag, else nullopt.
std::optional<Response> immutable_denial(const Driver& d, const ServiceOptions& o,
                                         const std::string& name, const std::string& tag,
                                         const Digest& to);

// A JSON error response from the table in errors.hpp.
Response error_response(Code c, std::string_view detail = {});
// A pull-through cache's failure: `missing` (404) when the upstream has no such thing, else 502.
Response upstream_failure(Code missing, const Error& e);

}  // namespace kiln::registry::server
