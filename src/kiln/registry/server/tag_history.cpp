#include "kiln/registry/server/tag_history.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <atomic>
#include <chrono>

#include <fmt/format.h>

#include "kiln/registry/server/json_codec.hpp"
#include "kiln/registry/server/layout.hpp"

namespace kiln::registry::server {

namespace {

bool glob(const std::string& pattern, const std::string& s) {
  return fnmatch(pattern.c_str(), s.c_str(), 0) == 0;
}

std::string history_root(const std::string& name) {
  return layout::repo(name) + "/_tag_history";
}

// The time part of an event key, in nanoseconds.
int64_t key_time(std::string_view key) {
  int64_t t = 0;
  for (char c : key.substr(0, key.find('-'))) {
    if (c < '0' || c > '9') return 0;
    t = t * 10 + (c - '0');
  }
  return t;
}

}  // namespace

const ImmutableRule* immutable_rule(const std::vector<ImmutableRule>& rules,
                                    const std::string& name, const std::string& tag) {
  for (const auto& r : rules) {
    if (!glob(r.repository, name)) continue;
    for (const auto& p : r.patterns)
      if (glob(p, tag)) return &r;
  }
  return nullptr;
}

std::string tag_history_dir(const std::string& name, const std::string& tag) {
  return history_root(name) + "/" + tag;
}

Status record_tag_event(Driver& d, const std::string& name, const std::string& tag,
                        const TagEvent& e, const HistoryPolicy& policy) {
  // Zero-padded time first, then a process-wide sequence number: keys sort in event order and
  // two events in the same nanosecond still get two keys.
  static std::atomic<uint64_t> seq{0};
  std::string dir = tag_history_dir(name, tag);
  std::string key = fmt::format("{:020}-{:012}", e.time_ns, seq.fetch_add(1));
  KILN_TRY(d.put(dir + "/" + key, tag_event_json(e)));
  auto keys = d.list(dir);
  if (!keys || static_cast<int64_t>(keys->size()) <= policy.keep) return {};
  std::sort(keys->begin(), keys->end());
  int64_t cutoff = e.time_ns - policy.max_age * 1'000'000'000;
  size_t drop = keys->size() - static_cast<size_t>(std::max<int64_t>(policy.keep, 1));
  for (size_t i = 0; i < drop; ++i)
    if (key_time((*keys)[i]) < cutoff || policy.max_age == 0)
      (void)d.remove(dir + "/" + (*keys)[i]);  // a failed prune leaves a longer history
  return {};
}

Result<std::vector<TagEvent>> tag_history(const Driver& d, const std::string& name,
                                          const std::string& tag) {
  std::string dir = tag_history_dir(name, tag);
  auto keys = d.list(dir);
  if (!keys) {
    if (keys.error().code() == Errc::not_found) return std::vector<TagEvent>{};
    return std::unexpected(keys.error());
  }
  std::sort(keys->rbegin(), keys->rend());
  std::vector<TagEvent> out;
  for (const auto& k : *keys) {
    auto text = d.get(dir + "/" + k);
    if (!text) continue;  // pruned since the listing
    auto e = parse_tag_event(*text);
    if (!e) return failf(Errc::corrupt, "tag history {}:{}: entry {} is not valid", name, tag, k);
    out.push_back(std::move(*e));
  }
  return out;
}

Result<std::vector<Digest>> history_digests(const Driver& d, const std::string& name) {
  std::vector<Digest> out;
  auto tags = d.list(history_root(name));
  if (!tags) {
    if (tags.error().code() == Errc::not_found) return out;
    return std::unexpected(tags.error());
  }
  for (const auto& t : *tags)
    for (const auto& e : KILN_TRY(tag_history(d, name, t)))
      if (e.digest) out.push_back(*e.digest);
  return out;
}

}  // namespace kiln::registry::server
