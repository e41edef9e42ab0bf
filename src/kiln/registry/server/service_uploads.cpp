// Blob uploads: POST (session, monolithic, mount), PATCH (streamed or chunked with
// Content-Range), PUT (final chunk and digest), GET (status), DELETE (cancel).
//
// An upload's bytes go to uploads/<uuid>/data and are hashed as they arrive; the hash state
// lives in memory. After a restart the state is gone and the data is hashed again at PUT, so
// uploads survive restarts. A blob becomes visible only after its digest and size check out.

#include <atomic>
#include <functional>
#include <future>

#include "kiln/base/strings.hpp"
#include "kiln/os/random.hpp"
#include "kiln/registry/server/json_codec.hpp"
#include "kiln/registry/server/layout.hpp"
#include "kiln/registry/server/names.hpp"
#include "kiln/registry/server/service.hpp"

namespace kiln::registry::server {

struct Service::UploadState {
  Sha256 hash;
  int64_t hashed = -1;            // bytes the hash covers; -1: unknown (rehash at PUT)
  std::atomic<bool> busy{false};  // a request is writing to it
};

namespace {

std::string random_id() {
  return os::random_hex(16);
}

bool valid_uuid(std::string_view id) {
  if (id.size() != 32) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string upload_url(const std::string& name, const std::string& uuid) {
  return "/v2/" + name + "/blobs/uploads/" + uuid;
}

// "a-b" or "bytes a-b" (with an optional "/total").
std::optional<std::pair<int64_t, int64_t>> parse_content_range(std::string_view h) {
  if (h.starts_with("bytes ")) h.remove_prefix(6);
  if (auto slash = h.find('/'); slash != std::string_view::npos) h = h.substr(0, slash);
  size_t dash = h.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto a = parse_int(h.substr(0, dash));
  auto b = parse_int(h.substr(dash + 1));
  if (!a || !b || *a < 0 || *b < *a) return std::nullopt;
  return std::make_pair(*a, *b);
}

// A body that could not be written (over the size limit, or storage failed).
Response write_failure(const Error& why) {
  if (why.code() == Errc::no_space) return error_response(Code::too_large, why.message());
  return error_response(Code::internal, why.message());
}

// A finished upload that could not be published (its digest, or storage).
Response publish_failure(const Error& why) {
  return error_response(why.code() == Errc::corrupt ? Code::digest_invalid : Code::internal,
                        why.message());
}

// Writes a request body into an upload, hashing it on the way.
class UploadSink final : public BodySink {
 public:
  UploadSink(Service& svc, std::string name, std::string uuid,
             std::shared_ptr<Service::UploadState> state, std::unique_ptr<Appender> out,
             std::optional<int64_t> expect_len, bool finish, std::string digest, int64_t limit)
      : m_svc(svc),
        m_name(std::move(name)),
        m_uuid(std::move(uuid)),
        m_state(std::move(state)),
        m_out(std::move(out)),
        m_start(m_out->size()),
        m_expect_len(expect_len),
        m_finish(finish),
        m_digest(std::move(digest)),
        m_limit(limit) {}

  ~UploadSink() override { m_state->busy = false; }

  Status write(std::span<const char> data) override {
    if (m_limit > 0 && m_out->size() + static_cast<int64_t>(data.size()) > m_limit)
      return failf(Errc::no_space, "blob larger than the registry's limit of {} bytes", m_limit);
    if (auto st = m_out->write(data); !st) return st;
    if (m_state->hashed >= 0) {
      m_state->hash.update(data.data(), data.size());
      m_state->hashed += static_cast<int64_t>(data.size());
    }
    return {};
  }

  Response finish() override {
    int64_t got = m_out->size() - m_start;
    if (m_expect_len && got != *m_expect_len) {
      rollback();
      return error_response(Code::size_invalid,
                            fmt::format("received {} bytes, expected {}", got, *m_expect_len));
    }
    if (!m_finish) {
      if (auto st = m_out->close(); !st) {
        rollback();
        return error_response(Code::internal, st.error().message());
      }
      return m_svc.upload_status(m_name, m_uuid, m_out->size(), 202);
    }
    if (auto st = m_out->sync(); !st) return error_response(Code::internal, st.error().message());
    m_out.reset();
    auto r = m_svc.finish_upload(m_name, m_uuid, *m_state, m_digest);
    if (!r) return publish_failure(r.error());
    return std::move(*r);
  }

  Response abort(const Error& why) override {
    rollback();
    return write_failure(why);
  }

 private:
  // A chunk that did not arrive whole is cut off, so the client can send it again.
  void rollback() {
    if (!m_out) return;
    m_out.reset();
    (void)m_svc.driver().truncate(layout::upload_data(m_uuid), m_start);
    m_state->hashed = -1;
  }

  Service& m_svc;
  std::string m_name;
  std::string m_uuid;
  std::shared_ptr<Service::UploadState> m_state;
  std::unique_ptr<Appender> m_out;
  int64_t m_start;
  std::optional<int64_t> m_expect_len;
  bool m_finish;
  std::string m_digest;
  int64_t m_limit;
};

// A body that is a whole blob (PUT ?digest= on an empty upload, or POST ?digest=) written
// straight to the blob's key through a driver Writer, hashed on the way: the bytes are
// stored once, and appear only when the digest checks out. uuid: the upload session, if any.
class DirectSink final : public BodySink {
 public:
  DirectSink(Service& svc, std::string name, std::string uuid,
             std::shared_ptr<Service::UploadState> state, std::unique_ptr<Writer> out, Digest want,
             std::optional<int64_t> expect_len, int64_t limit)
      : m_svc(svc),
        m_name(std::move(name)),
        m_uuid(std::move(uuid)),
        m_state(std::move(state)),
        m_out(std::move(out)),
        m_want(std::move(want)),
        m_expect_len(expect_len),
        m_limit(limit) {}

  ~DirectSink() override {
    if (m_state) m_state->busy = false;
  }

  Status write(std::span<const char> data) override {
    if (m_limit > 0 && m_got + static_cast<int64_t>(data.size()) > m_limit)
      return failf(Errc::no_space, "blob larger than the registry's limit of {} bytes", m_limit);
    KILN_TRY(m_out->write(data));
    m_hash.update(data.data(), data.size());
    m_got += static_cast<int64_t>(data.size());
    return {};
  }

  Response finish() override {
    if (m_expect_len && m_got != *m_expect_len) {
      m_out.reset();
      return error_response(Code::size_invalid,
                            fmt::format("received {} bytes, expected {}", m_got, *m_expect_len));
    }
    auto r = m_svc.publish_blob(m_name, m_uuid, m_want, m_hash.finish(),
                                [this] { return m_out->commit(); });
    m_out.reset();
    if (!r) return publish_failure(r.error());
    return std::move(*r);
  }

  // Dropping the Writer drops what it wrote; the session (if any) stays, empty, for a retry.
  Response abort(const Error& why) override {
    m_out.reset();
    return write_failure(why);
  }

 private:
  Service& m_svc;
  std::string m_name;
  std::string m_uuid;
  std::shared_ptr<Service::UploadState> m_state;
  std::unique_ptr<Writer> m_out;
  Digest m_want;
  std::optional<int64_t> m_expect_len;
  int64_t m_limit;
  Sha256 m_hash;
  int64_t m_got = 0;
};

}  // namespace

Response Service::upload_status(const std::string& name, const std::string& uuid, int64_t size,
                                int status) {
  Response r;
  r.status = status;
  r.set("Location", upload_url(name, uuid));
  r.set("Range", fmt::format("0-{}", std::max<int64_t>(0, size - 1)));
  r.set("Docker-Upload-UUID", uuid);
  return r;
}

Result<std::string> Service::new_upload(const std::string& name) {
  std::string uuid = random_id();
  std::string info = upload_info_json(name, static_cast<int64_t>(::time(nullptr)));
  // Not durable: a crash before the first byte arrives loses only an empty session.
  if (auto st = m_driver.put_volatile(layout::upload_info(uuid), info); !st)
    return std::unexpected(st.error());
  auto out = m_driver.append(layout::upload_data(uuid));
  if (!out) return std::unexpected(out.error());
  auto state = upload_state(uuid);
  state->hashed = 0;
  return uuid;
}

std::shared_ptr<Service::UploadState> Service::upload_state(const std::string& uuid) {
  std::lock_guard lock(m_mu);
  auto& s = m_uploads[uuid];
  if (!s) s = std::make_shared<UploadState>();
  return s;
}

void Service::drop_upload_state(const std::string& uuid) {
  std::lock_guard lock(m_mu);
  m_uploads.erase(uuid);
}

Result<Response> Service::finish_upload(const std::string& name, const std::string& uuid,
                                        UploadState& state, std::string_view digest) {
  auto want = Digest::parse(digest);
  if (!want) return failf(Errc::corrupt, "invalid digest '{}'", digest.substr(0, 100));
  std::string data = layout::upload_data(uuid);
  Digest got;
  if (state.hashed >= 0) {
    got = state.hash.finish();
  } else {
    auto reader = m_driver.open(data);
    if (!reader) return std::unexpected(reader.error());
    Sha256 h;
    std::vector<char> buf(1 << 20);
    for (int64_t off = 0;;) {
      auto n = (*reader)->read_at(off, buf);
      if (!n) return std::unexpected(n.error());
      if (*n == 0) break;
      h.update(buf.data(), *n);
      off += static_cast<int64_t>(*n);
    }
    got = h.finish();
  }
  state.hashed = -1;
  return publish_blob(name, uuid, *want, got,
                      [&] { return m_driver.move(data, layout::blob(*want)); });
}

Result<Response> Service::publish_blob(const std::string& name, const std::string& uuid,
                                       const Digest& want, const Digest& got,
                                       const std::function<Status()>& place) {
  auto forget = [&] {
    if (uuid.empty()) return;
    (void)m_driver.remove(layout::upload(uuid));
    drop_upload_state(uuid);
  };
  if (got != want) {
    forget();
    return failf(Errc::corrupt, "the upload's digest is {}, not {}", got.str(), want.str());
  }
  std::shared_lock gc_lock(m_gc_mu);
  touch(want);
  // The blob and its link are written even when they are there already: an old unreferenced
  // blob may be on its way out in a collection, and a fresh one is younger than its grace.
  KILN_TRY(place());
  // The session's removal (over S3 a delete, a listing and more) runs beside the link and the
  // fence: nothing waits on it but this function's return (the future's destructor).
  auto removal = std::async(std::launch::async, forget);
  KILN_TRY(m_driver.put(layout::layer_link(name, want), want.str()));
  gc_lock.unlock();
  KILN_TRY(fence_blob(name, want));
  Response r;
  r.status = 201;
  r.set("Location", "/v2/" + name + "/blobs/" + want.str());
  r.set("Docker-Content-Digest", want.str());
  return r;
}

std::unique_ptr<BodySink> Service::upload_sink(std::string name, std::string uuid,
                                               std::shared_ptr<UploadState> state,
                                               int64_t expect_start,
                                               std::optional<int64_t> expect_len, bool finish,
                                               std::string digest) {
  if (state->busy.exchange(true)) return nullptr;
  if (finish && expect_start == 0) {
    if (auto direct = direct_sink(name, uuid, state, digest, expect_len); direct && *direct)
      return std::move(*direct);
  }
  auto out = m_driver.append(layout::upload_data(uuid));
  if (!out || (*out)->size() != expect_start) {
    state->busy = false;
    return nullptr;
  }
  if (state->hashed >= 0 && state->hashed != (*out)->size()) state->hashed = -1;
  return std::make_unique<UploadSink>(*this, std::move(name), std::move(uuid), std::move(state),
                                      std::move(*out), expect_len, finish, std::move(digest),
                                      m_opt.max_blob_bytes);
}

// A sink writing the body straight to the blob digest names, or nullptr when the driver has no
// Writer (or the digest is invalid, which the caller reports).
Result<std::unique_ptr<BodySink>> Service::direct_sink(const std::string& name,
                                                       const std::string& uuid,
                                                       std::shared_ptr<UploadState> state,
                                                       std::string_view digest,
                                                       std::optional<int64_t> expect_len) {
  auto d = Digest::parse(digest);
  if (!d) return std::unique_ptr<BodySink>();
  auto w = KILN_TRY(m_driver.create(layout::blob(*d)));
  if (!w) return std::unique_ptr<BodySink>();
  return std::unique_ptr<BodySink>(std::make_unique<DirectSink>(
      *this, name, uuid, std::move(state), std::move(w), *d, expect_len, m_opt.max_blob_bytes));
}

Reply Service::start_upload(const Route& rt, const Request& req) {
  if (req.has_param("mount")) {
    auto d = Digest::parse(req.param("mount"));
    if (!d) return {error_response(Code::digest_invalid, "invalid mount digest"), nullptr};
    std::string from = req.param("from");
    bool known = valid_repository(from) && linked(layout::layer_link(from, *d));
    if (!known && m_opt.auto_mount) known = linked(layout::blob(*d));
    std::shared_lock gc_lock(m_gc_mu);
    touch(*d);
    if (known && linked(layout::blob(*d))) {
      if (auto st = link(layout::layer_link(rt.name, *d), *d); !st)
        return {error_response(Code::internal, st.error().message()), nullptr};
      gc_lock.unlock();
      if (auto st = fence_blob(rt.name, *d); !st)
        return {error_response(
                    st.error().code() == Errc::conflict ? Code::blob_unknown : Code::internal,
                    st.error().message()),
                nullptr};
      Response r;
      r.status = 201;
      r.set("Location", "/v2/" + rt.name + "/blobs/" + d->str());
      r.set("Docker-Content-Digest", d->str());
      return {std::move(r), nullptr};
    }
  }
  if (req.has_param("digest") && Digest::parse(req.param("digest")).has_value() == false)
    return {error_response(Code::digest_invalid, "invalid digest"), nullptr};
  if (req.content_length && m_opt.max_blob_bytes > 0 && *req.content_length > m_opt.max_blob_bytes)
    return {error_response(Code::too_large, "blob larger than the registry's limit"), nullptr};
  if (auto free = m_driver.usage().free;
      req.content_length && free >= 0 && *req.content_length > free)
    return {error_response(Code::too_large, fmt::format("{} bytes do not fit: {} are free",
                                                        *req.content_length, free)),
            nullptr};
  if (req.has_param("digest")) {  // monolithic: with a Writer, no session at all
    auto direct = direct_sink(rt.name, "", nullptr, req.param("digest"), req.content_length);
    if (!direct) return {error_response(Code::internal, direct.error().message()), nullptr};
    if (*direct) return {{}, std::move(*direct)};
  }
  auto uuid = new_upload(rt.name);
  if (!uuid) return {error_response(Code::internal, uuid.error().message()), nullptr};
  if (req.has_param("digest")) {
    // Monolithic: the body is the whole blob.
    auto sink = upload_sink(rt.name, *uuid, upload_state(*uuid), 0, req.content_length, true,
                            req.param("digest"));
    if (!sink) return {error_response(Code::internal, "cannot open the upload"), nullptr};
    return {{}, std::move(sink)};
  }
  Response r = upload_status(rt.name, *uuid, 0, 202);
  return {std::move(r), nullptr};
}

Reply Service::upload(const Route& rt, const Request& req) {
  const std::string& uuid = rt.ref;
  if (!valid_uuid(uuid))
    return {error_response(Code::blob_upload_unknown, "no such upload"), nullptr};
  auto info = m_driver.get(layout::upload_info(uuid));
  if (!info) return {error_response(Code::blob_upload_unknown, "no such upload"), nullptr};
  if (upload_info_repo(*info) != rt.name)
    return {error_response(Code::blob_upload_unknown, "the upload belongs to another repository"),
            nullptr};
  auto st = m_driver.stat(layout::upload_data(uuid));
  if (!st) return {error_response(Code::blob_upload_unknown, "no such upload"), nullptr};
  int64_t size = st->size;

  if (req.method == "GET") return {upload_status(rt.name, uuid, size, 204), nullptr};
  if (req.method == "DELETE") {
    (void)m_driver.remove(layout::upload(uuid));
    drop_upload_state(uuid);
    Response r;
    r.status = 204;
    return {std::move(r), nullptr};
  }
  auto state = upload_state(uuid);
  std::optional<int64_t> expect_len = req.content_length;
  if (auto cr = req.header("Content-Range"); !cr.empty()) {
    auto range = parse_content_range(cr);
    if (!range || range->first != size) {
      Response r = upload_status(rt.name, uuid, size, 416);
      Response e = error_response(Code::range_invalid,
                                  fmt::format("the upload has {} bytes; Content-Range {} does not "
                                              "continue it",
                                              size, cr.substr(0, 100)));
      r.body = std::move(e.body);
      r.set("Content-Type", "application/json");
      return {std::move(r), nullptr};
    }
    int64_t len = range->second - range->first + 1;
    if (expect_len && *expect_len != len)
      return {error_response(Code::size_invalid, "Content-Range and Content-Length disagree"),
              nullptr};
    expect_len = len;
  }
  bool finish = req.method == "PUT";
  if (finish && !Digest::parse(req.param("digest")))
    return {error_response(Code::digest_invalid, "PUT needs ?digest= with a valid digest"),
            nullptr};
  if (m_opt.max_blob_bytes > 0 && expect_len && size + *expect_len > m_opt.max_blob_bytes)
    return {error_response(Code::too_large, "blob larger than the registry's limit"), nullptr};
  if (auto free = m_driver.usage().free; expect_len && free >= 0 && *expect_len > free)
    return {error_response(Code::too_large,
                           fmt::format("{} bytes do not fit: {} are free", *expect_len, free)),
            nullptr};
  auto sink = upload_sink(rt.name, uuid, state, size, expect_len, finish, req.param("digest"));
  if (!sink)
    return {error_response(Code::blob_upload_invalid,
                           "another request is writing this upload, or it changed meanwhile"),
            nullptr};
  return {{}, std::move(sink)};
}

}  // namespace kiln::registry::server
