// Tag changes with history and immutable rules (tag_history.hpp), and the history endpoint.
#include <chrono>

#include "kiln/base/strings.hpp"
#include "kiln/registry/server/json_codec.hpp"
#include "kiln/registry/server/layout.hpp"
#include "kiln/registry/server/names.hpp"
#include "kiln/registry/server/service.hpp"

namespace kiln::registry::server {

namespace {

// What a tag holds, read once: whether it exists and the digest it names (nullopt when its
// link is corrupt). A read error other than "missing" counts as existing.
struct TagState {
  bool exists = false;
  std::optional<Digest> digest;
};

TagState read_tag(const Driver& d, const std::string& name, const std::string& tag) {
  auto v = d.get(layout::tag(name, tag));
  if (!v) return {v.error().code() != Errc::not_found, std::nullopt};
  auto dg = Digest::parse(*v);
  return {true, dg ? std::optional<Digest>(*dg) : std::nullopt};
}

std::optional<Response> denial(const ServiceOptions& o, const std::string& name,
                               const std::string& tag, const TagState& cur, const Digest& to) {
  const ImmutableRule* rule = immutable_rule(o.immutable, name, tag);
  if (!rule || !cur.exists || (cur.digest && *cur.digest == to)) return std::nullopt;
  return error_response(
      Code::tag_immutable,
      fmt::format("tag {}:{} is immutable (rule: tags {} in repositories \"{}\") and points at "
                  "{}; push under a new tag instead",
                  name, tag, join(rule->patterns, ", "), rule->repository,
                  cur.digest ? cur.digest->str() : std::string("another manifest")));
}

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::optional<Response> immutable_denial(const Driver& d, const ServiceOptions& o,
                                         const std::string& name, const std::string& tag,
                                         const Digest& to) {
  if (!immutable_rule(o.immutable, name, tag)) return std::nullopt;  // no read for most tags
  return denial(o, name, tag, read_tag(d, name, tag), to);
}

Result<std::optional<Response>> Service::move_tag(const std::string& name, const std::string& tag,
                                                  const std::optional<Digest>& d,
                                                  const Request* req, const std::string& user) {
  std::lock_guard lk(m_tag_mu);
  std::string key = layout::tag(name, tag);
  TagState cur = read_tag(m_driver, name, tag);
  if (d && cur.digest && *cur.digest == *d) return std::optional<Response>();  // no change
  if (!d && !cur.exists) return std::optional<Response>();
  if (d) {
    if (auto denied = denial(m_opt, name, tag, cur, *d)) return denied;
  } else if (immutable_rule(m_opt.immutable, name, tag) && !(req && req->admin)) {
    return std::optional<Response>(error_response(
        Code::denied, fmt::format("tag {}:{} is immutable: deleting it needs the admin scope "
                                  "(\"*\" on the repository)",
                                  name, tag)));
  }
  // The event first: a change the history does not show never happens.
  KILN_TRY(record_tag_event(m_driver, name, tag, TagEvent{d, now_ns(), user, d ? "push" : "delete"},
                            m_opt.history));
  if (d)
    KILN_TRY(m_driver.put(key, d->str()));
  else
    KILN_TRY(m_driver.remove(key));
  return std::optional<Response>();
}

Reply Service::tag_history(const Route& rt, const Request&) {
  if (!valid_tag(rt.ref))
    return {error_response(Code::manifest_invalid, "invalid tag " + rt.ref.substr(0, 130)),
            nullptr};
  if (!m_driver.stat(layout::repo(rt.name)))
    return {error_response(Code::name_unknown, rt.name), nullptr};
  auto events = server::tag_history(m_driver, rt.name, rt.ref);
  if (!events) return {error_response(Code::internal, events.error().message()), nullptr};
  if (events->empty() && !m_driver.stat(layout::tag(rt.name, rt.ref)))
    return {error_response(Code::manifest_unknown, "no tag " + rt.ref + " and no history of it"),
            nullptr};
  Response r;
  r.body = tag_history_json(rt.name, rt.ref, *events);
  r.set("Content-Type", "application/json");
  return {std::move(r), nullptr};
}

}  // namespace kiln::registry::server
