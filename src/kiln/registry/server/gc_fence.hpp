// Garbage collection across replicas: what keeps a sweep on one process from deleting a blob
// that another process sharing the storage (replicas over one S3 bucket) is linking right now.
//
// The state lives in the storage itself, beside the content:
//
//   gc/active/<token>            a running collection: "expires <epoch>" (its lease, renewed)
//   gc/intent/<token>            the digests that collection may delete, one per line
//   gc/touched/<token>/<id>      digests an operation referenced while that collection ran
//   gc/seen/<token>              the touched records that collection has read so far
//
// The protocol has two halves, each a write followed by a read (Dekker's pattern), which needs
// only what S3 and a shared filesystem give: a read or list that starts after a write has
// finished sees it.
//
//   collector: W gc/active/T ... mark (lists and reads) ... W gc/intent/T, R gc/touched/T,
//              then deletes only what is in its intent and not touched, re-reading touched
//              as it goes, and stops deleting when its lease runs out by its own clock.
//   replica:   W references (links, tags) ... R gc/active; for each T listed:
//              W gc/touched/T/<id>, R gc/intent/T; if the intent names one of its digests, it
//              waits until T lists <id> in gc/seen/T (T deletes none of its digests after
//              reading the record) or ends, then checks that what it relies on still exists,
//              and fails the request (nothing acknowledged) if a deletion got there first.
//
// Why nothing acknowledged can lose a blob: take a reference R written by a replica and a
// collection T that deletes a digest R relies on. T's mark did not see R (or R's digest would
// be marked), so R was written after T's listing and hence after W gc/active/T; the replica's
// R gc/active came after R, so it listed T. Both then wrote and read crosswise: either T read
// the replica's touched record before deleting the digest (and kept it) or the replica read T's
// intent (and waited until T had read its record or ended, saw the deletion, and failed the
// request). T deletes one thing at a time, so a deletion it made before reading the record
// has finished by the time gc/seen/T names it. An intent is kept for an
// hour after its collection ends, so a replica that listed T late still finds it; a request
// that takes longer than half of that fails rather than assume. A collection that dies leaves
// gc/active/T until its lease expires (plus 30 s for clock skew); the next collection removes
// it, and replicas stop waiting for it.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "kiln/base/error.hpp"
#include "kiln/digest/digest.hpp"
#include "kiln/registry/server/driver.hpp"

namespace kiln::registry::server {

// A key an operation relies on, and the digest it belongs to.
struct FenceRef {
  Digest digest;
  std::string key;
};

// The replica half: call after writing the references, before acknowledging. Fails with
// Errc::conflict when a collection deleted something in refs, and with the storage's error
// when it cannot tell.
Status gc_fence(Driver& d, std::span<const FenceRef> refs);

// The collector half.
class GcLease {
 public:
  // Starts collection T: removes what dead collections left, then writes gc/active/T.
  static Result<GcLease> acquire(Driver& d, int64_t lease_seconds = 600);
  GcLease(GcLease&& o) noexcept;
  GcLease& operator=(GcLease&&) = delete;
  ~GcLease();

  const std::string& token() const { return m_token; }
  // Writes the intent: every digest the sweep may delete.
  Status announce(const std::set<Digest>& candidates);
  // True when an operation has touched d since the collection began (re-reads the records
  // at most every 200 ms).
  Result<bool> touched(const Digest& d);
  // Fails once the lease is (nearly) out; renews it when half of it has passed.
  Status check();
  // Ends the collection (also done by the destructor).
  void release();

 private:
  GcLease(Driver& d, std::string token, int64_t lease_seconds);
  Status write_active();

  Driver* m_d = nullptr;
  std::string m_token;
  int64_t m_lease = 0;
  int64_t m_expires = 0;  // by this process's clock
  std::set<Digest> m_touched;
  std::set<std::string> m_read_ids;     // touched records already read
  std::optional<std::string> m_intent;  // as announced
  int64_t m_read_at_ms = -1;
};

}  // namespace kiln::registry::server
