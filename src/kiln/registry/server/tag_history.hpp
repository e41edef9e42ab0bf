// Tag history and immutable tags.
//
// Every time a tag starts pointing at another manifest (or is deleted) the registry writes one
// event under repositories/<name>/_tag_history/<tag>/<time>-<n>: the digest, the time, who did
// it, and what ("push" or "delete"). One key per event, named so a listing sorts them in time
// order: concurrent pushes never lose an entry to a read-modify-write of a shared file. The
// history is served at GET /v2/<name>/_kiln/tags/<tag>/history (docs/registry-server.md), read
// by `kiln tags --history` and `kiln rollback`, and pruned to the retention policy; garbage
// collection keeps every manifest a retained event names.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kiln/digest/digest.hpp"
#include "kiln/registry/server/driver.hpp"

namespace kiln::registry::server {

struct TagEvent {
  std::optional<Digest> digest;  // absent for "delete"
  int64_t time_ns = 0;           // since the epoch
  std::string user;              // "" when the registry has no authentication
  std::string action;            // "push" or "delete"
};

// Events beyond the newest `keep` of a tag are dropped once they are older than max_age
// seconds (0: right away).
struct HistoryPolicy {
  int64_t keep = 50;
  int64_t max_age = 0;
};

// Immutable tags: in repositories matching `repository` (a glob, '*' also crossing '/'),
// tags matching one of `patterns` (globs) never move to another digest once set.
struct ImmutableRule {
  std::string repository;
  std::vector<std::string> patterns;
};

// The rule that makes name:tag immutable, or nullptr.
const ImmutableRule* immutable_rule(const std::vector<ImmutableRule>& rules,
                                    const std::string& name, const std::string& tag);

std::string tag_history_dir(const std::string& name, const std::string& tag);

// Appends an event and prunes the tag's history to the policy.
Status record_tag_event(Driver& d, const std::string& name, const std::string& tag,
                        const TagEvent& e, const HistoryPolicy& policy);
// A tag's events, newest first.
Result<std::vector<TagEvent>> tag_history(const Driver& d, const std::string& name,
                                          const std::string& tag);
// The digests the history of the repository's tags names (for garbage collection).
Result<std::vector<Digest>> history_digests(const Driver& d, const std::string& name);

}  // namespace kiln::registry::server
