// The local content-addressed store: blobs on disk (paths.hpp), metadata in SQLite
// (metadata.hpp), leases that protect in-flight work from GC.
//
// Writes are atomic and idempotent: a blob becomes visible only after its size and digest
// were verified and its data fsynced; an image and its names appear in one transaction. Every
// blob an operation writes is first recorded in its Lease, so a concurrent gc() never removes
// it. Several processes may use one store at once. A Store object is not thread-safe; give
// each thread its own.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kiln/base/fd.hpp"
#include "kiln/io/stream.hpp"
#include "kiln/oci/reference.hpp"
#include "kiln/oci/types.hpp"
#include "kiln/os/dir.hpp"
#include "kiln/store/records.hpp"

namespace kiln::store {

class Metadata;
class Store;

struct BlobRef {
  Digest digest;
  int64_t size = 0;
};

// Protects the blobs added to it from gc() until destroyed.
//
// The lease is recorded in the metadata only when it first has to be: add() records at once (a
// blob about to be linked, one the caller is about to rely on for long), protect() only notes
// the digest until the next add() or sync(). A build whose every step comes from the cache thus
// writes nothing: the blobs it names are checked again inside put_image()'s transaction, which
// gc() cannot interleave with (gc unlinks under the same write lock).
class Lease {
 public:
  Lease(Store& store, std::string id) : m_store(&store), m_id(std::move(id)) {}
  Lease(Lease&& o) noexcept
      : m_store(std::exchange(o.m_store, nullptr)),
        m_id(std::move(o.m_id)),
        m_owner(o.m_owner),
        m_recorded(o.m_recorded),
        m_pending(std::move(o.m_pending)) {}
  Lease(const Lease&) = delete;
  ~Lease();

  // Records d in the lease now (with whatever protect() noted).
  Status add(const Digest& d);
  // Notes d, to be recorded with the next add() or sync().
  void protect(const Digest& d) { m_pending.push_back(d); }
  // Records what protect() noted: before long work that relies on those blobs.
  Status sync();
  // The lease is recorded as held by process `pid` (default: this one): it protects its blobs
  // while that process lives. For a helper process working for another one.
  void set_owner(pid_t pid) { m_owner = pid; }
  // The lease's ID; it is no longer released when this object goes (its owner releases it,
  // or gc drops it once the owner is gone).
  std::string detach() {
    m_recorded = false;
    return m_id;
  }

 private:
  Store* m_store;
  std::string m_id;
  pid_t m_owner = 0;
  bool m_recorded = false;
  std::vector<Digest> m_pending;
};

// Streams a new blob into the store. Nothing is visible until commit() succeeds.
class BlobWriter final : public io::Writer {
 public:
  BlobWriter(Store& store, Lease& lease, os::TempFile tmp, bool hashing = true)
      : m_store(store), m_lease(lease), m_tmp(std::move(tmp)), m_hashing(hashing) {}
  Status write(const void* buf, size_t size) override;
  // Verifies against want / want_size when given (Errc::corrupt on mismatch), records the blob
  // in the lease, then links it into place. An existing blob with that digest is success.
  Result<BlobRef> commit(const std::optional<Digest>& want = std::nullopt, int64_t want_size = -1);
  int64_t size() const { return m_size; }

 private:
  Store& m_store;
  Lease& m_lease;
  os::TempFile m_tmp;
  Sha256 m_hash;
  int64_t m_size = 0;
  int64_t m_flushed = 0;  // bytes handed to writeback
  bool m_hashing = true;
};

class Store {
 public:
  // Opens (creating if needed) the store at root.
  static Result<std::unique_ptr<Store>> open(const std::string& root);
  ~Store();

  const std::string& root() const { return m_root_path; }
  const os::Dir& root_dir() const { return m_root; }

  // Leases live until destroyed, or until their process dies, or 24 hours.
  Result<Lease> lease();

  // Blobs.
  Result<std::unique_ptr<BlobWriter>> new_blob(Lease& lease);
  // For a caller that verifies the stream against the digest it commits with (a verifying
  // reader that fails on mismatch before the blob is committed): the writer does not hash
  // again, and commit() requires `want`.
  Result<std::unique_ptr<BlobWriter>> new_verified_blob(Lease& lease);
  Result<BlobRef> put_blob(std::string_view data, Lease& lease,
                           const std::optional<Digest>& want = std::nullopt);
  Result<BlobRef> ingest(io::Reader& src, Lease& lease, const std::optional<Digest>& want,
                         int64_t want_size);
  bool has_blob(const Digest& d) const;
  Result<int64_t> blob_size(const Digest& d) const;
  Result<Fd> open_blob(const Digest& d) const;
  // Reads a whole (small) blob and verifies its digest: a damaged blob is Errc::corrupt.
  Result<std::string> read_blob(const Digest& d, int64_t limit = 64 << 20) const;
  // A reader that verifies size and digest as it streams.
  Result<std::unique_ptr<io::Reader>> blob_reader(const Digest& d) const;

  // Images.
  Status put_image(const NewImage& img);
  Result<std::vector<ImageRecord>> images();
  Result<std::optional<ImageRecord>> image(const Digest& manifest_digest);
  // Resolves a name ("busybox", "x:1", "x@sha256:..."), a full image or manifest ID, or an
  // ID prefix to one image. Errc::not_found names what was asked for. A multi-platform index
  // resolves to its image for `platform` (default: this machine's).
  Result<ImageRecord> resolve(std::string_view ref,
                              const std::optional<oci::Platform>& platform = std::nullopt);
  // The same, but an index is returned as itself (tag, rmi, push).
  Result<ImageRecord> resolve_top(std::string_view ref);
  Status set_name(const oci::Reference& name, const Digest& manifest_digest);
  Result<bool> remove_name(const oci::Reference& name);
  // Deletes the image record and its names; blobs go with the next gc().
  Status delete_image(const Digest& manifest_digest);
  Result<std::optional<LayerRecord>> layer(const Digest& d);
  Result<std::vector<Digest>> image_blobs(const Digest& manifest_digest);

  Metadata& metadata() { return *m_meta; }
  // The Dockerfile location of each history entry of an image kiln built (by config
  // digest); empty for other images.
  Result<std::vector<std::string>> build_sources(const Digest& config);

  // Maintenance (maintenance.cpp).
  Result<GcReport> gc(bool dry_run = false);
  Result<CheckReport> check();
  Result<DiskUsage> disk_usage();

  // Drops a lease by ID (one a helper process detached, once its blobs are in another lease).
  void release(const std::string& lease_id);

 private:
  friend class BlobWriter;
  friend class Lease;
  Store(std::string root, os::Dir root_dir, os::Dir blobs, std::unique_ptr<Metadata> meta);

  std::string m_root_path;
  os::Dir m_root;
  os::Dir m_blobs;
  std::unique_ptr<Metadata> m_meta;
};

int64_t now_seconds();

}  // namespace kiln::store
