#include "kiln/registry/server/s3_driver.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <future>
#include <mutex>
#include <thread>

#include "kiln/base/strings.hpp"
#include "kiln/io/pipe.hpp"

namespace kiln::registry::server {
namespace {

constexpr int64_t kMinPart = int64_t{5} << 20;  // S3's smallest part but the last
constexpr int64_t kWindow = int64_t{8} << 20;   // bytes a reader fetches per request
// open() fetches this much at once: a manifest or config is then one request, and a value
// replaced later still reads as it was.
constexpr int64_t kFirstWindow = int64_t{1} << 20;
constexpr int64_t kRewriteInMemory = int64_t{64} << 20;

std::string seg_dir(std::string_view key) {
  return std::string(key) + "~parts/";
}
std::string seg_key(std::string_view key, int64_t offset) {
  return seg_dir(key) + fmt::format("{:016d}", offset);
}

// A piece of an object: bytes [offset, offset+size) of key.
struct Piece {
  std::string key;
  int64_t offset = 0;
  int64_t size = 0;
  std::string etag;
  int64_t mtime = 0;
};

// The segments of an appended value, in order and contiguous; empty when there are none.
Result<std::vector<Piece>> segments(S3Client& s3, std::string_view key) {
  std::string dir = seg_dir(key);
  auto l = KILN_TRY(s3.list(dir, ""));
  std::vector<Piece> out;
  for (auto& o : l.objects) {
    auto off = parse_int(std::string_view(o.key).substr(dir.size()));
    if (!off) continue;
    out.push_back({o.key, *off, o.size, o.etag, o.mtime});
  }
  std::sort(out.begin(), out.end(),
            [](const Piece& a, const Piece& b) { return a.offset < b.offset; });
  int64_t at = 0;
  for (const auto& p : out) {
    if (p.offset != at)
      return failf(Errc::corrupt, "{}: segment {} does not continue at byte {}", key, p.key, at);
    at += p.size;
  }
  return out;
}

int64_t total(const std::vector<Piece>& ps) {
  return ps.empty() ? 0 : ps.back().offset + ps.back().size;
}

// Appends data to buf and hands each whole part (the configured chunk size) to send.
template <class Send>
Status buffer_parts(S3Client& s3, std::string& buf, std::span<const char> data, Send&& send) {
  buf.append(data.data(), data.size());
  auto chunk = static_cast<size_t>(s3.options().chunk_size);
  while (buf.size() >= chunk) {
    KILN_TRY(send(buf.substr(0, chunk)));
    buf.erase(0, chunk);
  }
  return {};
}

// One GET of the rest of a piece, running on a thread of its own, its bytes handed to the
// reader as they arrive through a ring (io::Pipe, at most 4 MiB held). Reading a big blob in
// ranged windows left RGW idle between them; a single streamed GET is how a plain client reads
// fastest. The ring is allocated once: a queue of libcurl's 16 KiB pieces, each a fresh string,
// spent a fifth of the registry's CPU in malloc and page faults.
class S3Stream {
 public:
  S3Stream(S3Client& s3, const Piece& p, int64_t offset)
      : pos(offset), m_pipe(p.size - (offset - p.offset), kBatch) {
    int64_t in = offset - p.offset;
    m_thread = std::thread([this, &s3, key = p.key, in, len = p.size - in, etag = p.etag] {
      auto st = s3.get_to(key, in, len, etag, m_pipe);
      m_pipe.close_write(st ? std::nullopt : std::optional<Error>(st.error()));
    });
  }
  ~S3Stream() {
    m_pipe.close_read();  // a GET still under way stops at its next piece
    m_thread.join();
  }
  S3Stream(const S3Stream&) = delete;
  S3Stream& operator=(const S3Stream&) = delete;

  // Up to buf.size() bytes at pos, waiting for a batch (libcurl's pieces are handed over in
  // batches: a wake-up for each cost more CPU than the copying); 0 or an error when the GET
  // ended.
  Result<size_t> take(std::span<char> buf) {
    auto n = KILN_TRY(m_pipe.read(buf.data(), buf.size()));
    pos += static_cast<int64_t>(n);
    return n;
  }

  int64_t pos;  // the offset take() reads next (the reader's lock guards it)

 private:
  static constexpr size_t kBatch = size_t{512} << 10;
  io::Pipe m_pipe;
  std::thread m_thread;
};

// Reads a value's pieces. A read that goes on where the last one stopped, with more than a
// window of its piece left, streams the rest of the piece; other reads fetch a window.
class S3Reader final : public Reader {
 public:
  S3Reader(S3Client& s3, std::vector<Piece> pieces, int64_t size)
      : m_s3(s3), m_pieces(std::move(pieces)), m_size(size) {}
  S3Reader(S3Client& s3, Piece whole, std::string first)
      : m_s3(s3), m_size(whole.size), m_cache(std::move(first)) {
    m_pieces.push_back(std::move(whole));
  }

  int64_t size() const override { return m_size; }
  int fd() const override { return -1; }

  Result<size_t> read_at(int64_t offset, std::span<char> buf) const override {
    if (offset >= m_size || buf.empty()) return size_t{0};
    std::lock_guard lock(m_mu);
    int64_t cache_end = m_cache_at + static_cast<int64_t>(m_cache.size());
    if (offset >= m_cache_at && offset < cache_end) {
      size_t from = static_cast<size_t>(offset - m_cache_at);
      size_t n = std::min(buf.size(), m_cache.size() - from);
      std::memcpy(buf.data(), m_cache.data() + from, n);
      return n;
    }
    if (m_stream && m_stream->pos != offset) m_stream.reset();
    if (!m_stream && offset == cache_end && window(offset, 0) < rest_of_piece(offset))
      m_stream = std::make_unique<S3Stream>(m_s3, piece_at(offset), offset);
    if (m_stream) {
      auto n = m_stream->take(buf);
      if (n && *n > 0) return n;
      m_stream.reset();  // it failed or ended short: a window read retries, or says why
    }
    auto data = fetch(offset, static_cast<int64_t>(buf.size()));
    if (!data) return std::unexpected(data.error());
    m_cache = std::move(*data);
    m_cache_at = offset;
    size_t n = std::min(buf.size(), m_cache.size());
    std::memcpy(buf.data(), m_cache.data(), n);
    return n;
  }

 private:
  const Piece& piece_at(int64_t offset) const {
    auto it = std::upper_bound(m_pieces.begin(), m_pieces.end(), offset,
                               [](int64_t o, const Piece& p) { return o < p.offset; });
    return *std::prev(it);
  }

  int64_t rest_of_piece(int64_t offset) const {
    const Piece& p = piece_at(offset);
    return p.size - (offset - p.offset);
  }

  // The length of the window at offset: kWindow (or want, if more), within one piece.
  int64_t window(int64_t offset, int64_t want) const {
    return std::min(std::max(kWindow, want), rest_of_piece(offset));
  }

  // The window at offset. Each piece is read only as its own ETag, so a replaced object reads
  // as an error, never as a mix of two values.
  Result<std::string> fetch(int64_t offset, int64_t want) const {
    const Piece& p = piece_at(offset);
    int64_t n = window(offset, want);
    auto data = m_s3.get(p.key, offset - p.offset, n, p.etag);
    if (!data) return std::unexpected(data.error());
    if (static_cast<int64_t>(data->size()) != n)
      return failf(Errc::io, "S3 GET {}: {} bytes instead of {}", p.key, data->size(), n);
    return data;
  }

  S3Client& m_s3;
  std::vector<Piece> m_pieces;
  int64_t m_size;
  mutable std::mutex m_mu;
  mutable std::string m_cache;  // bytes [m_cache_at, m_cache_at + size) of the value
  mutable int64_t m_cache_at = 0;
  mutable std::unique_ptr<S3Stream> m_stream;  // the rest of a piece, on its way
};

class S3Appender final : public Appender {
 public:
  S3Appender(S3Client& s3, std::string key, int64_t base, std::string buf)
      : m_s3(s3), m_key(std::move(key)), m_base(base), m_buf(std::move(buf)) {}
  ~S3Appender() override {
    (void)wait_part();
    if (!m_upload.empty()) (void)m_s3.abort_upload(seg_key(m_key, m_base), m_upload);
  }

  int64_t size() const override { return m_base + m_uploaded + static_cast<int64_t>(m_buf.size()); }

  Status write(std::span<const char> data) override {
    return buffer_parts(m_s3, m_buf, data,
                        [this](std::string p) { return send_part(std::move(p)); });
  }

  Status sync() override { return close(); }

  Status close() override {
    std::string key = seg_key(m_key, m_base);
    int64_t written = m_uploaded + static_cast<int64_t>(m_buf.size());
    if (m_upload.empty()) {
      KILN_TRY(m_s3.put(key, m_buf));
      if (written >= kMinPart) {  // the next session starts a segment of its own
        m_base += written;
        m_buf.clear();
      }
      return {};
    }
    if (!m_buf.empty()) KILN_TRY(send_part(std::move(m_buf)));
    KILN_TRY(wait_part());
    KILN_TRY(m_s3.complete_upload(key, m_upload, m_etags));
    m_upload.clear();
    m_etags.clear();
    m_uploaded = 0;
    m_buf.clear();
    m_base += written;
    return {};
  }

 private:
  // Sends a part while the request's next bytes arrive: one part in flight at a time.
  Status send_part(std::string data) {
    KILN_TRY(wait_part());
    std::string key = seg_key(m_key, m_base);
    if (m_upload.empty()) m_upload = KILN_TRY(m_s3.create_upload(key));
    int part = static_cast<int>(m_etags.size()) + 1;
    m_uploaded += static_cast<int64_t>(data.size());
    m_inflight = std::async(std::launch::async, [this, key, part, d = std::move(data)] {
      return m_s3.upload_part(key, m_upload, part, d);
    });
    return {};
  }

  Status wait_part() {
    if (!m_inflight.valid()) return {};
    auto etag = m_inflight.get();
    if (!etag) return std::unexpected(etag.error());
    m_etags.push_back(std::move(*etag));
    return {};
  }

  S3Client& m_s3;
  std::string m_key;
  int64_t m_base;        // where this session's segment starts
  std::string m_buf;     // its bytes not yet sent as a part
  std::string m_upload;  // the segment's multipart upload, once a part has gone
  std::vector<std::string> m_etags;
  std::future<Result<std::string>> m_inflight;  // the part being sent
  int64_t m_uploaded = 0;                       // bytes sent (or being sent) as parts
};

// A multipart upload at the key itself, completed at commit(); a value under one part is a
// single PUT at commit(). Up to kWriterAhead parts go up while the next bytes arrive.
class S3Writer final : public Writer {
 public:
  static constexpr size_t kWriterAhead = 2;
  S3Writer(S3Client& s3, std::string key) : m_s3(s3), m_key(std::move(key)) {}
  ~S3Writer() override {
    while (!m_inflight.empty()) (void)wait_part();
    if (!m_upload.empty()) (void)m_s3.abort_upload(m_key, m_upload);
  }

  Status write(std::span<const char> data) override {
    return buffer_parts(m_s3, m_buf, data,
                        [this](std::string p) { return send_part(std::move(p)); });
  }

  Status commit() override {
    if (m_upload.empty()) return m_s3.put(m_key, m_buf);
    if (!m_buf.empty()) KILN_TRY(send_part(std::move(m_buf)));
    while (!m_inflight.empty()) KILN_TRY(wait_part());
    KILN_TRY(m_s3.complete_upload(m_key, m_upload, m_etags));
    m_upload.clear();
    return {};
  }

 private:
  Status send_part(std::string data) {
    if (m_inflight.size() >= kWriterAhead) KILN_TRY(wait_part());
    if (m_upload.empty()) m_upload = KILN_TRY(m_s3.create_upload(m_key));
    int part = m_parts++ + 1;
    m_inflight.push_back(std::async(std::launch::async, [this, part, d = std::move(data)] {
      return m_s3.upload_part(m_key, m_upload, part, d);
    }));
    return {};
  }

  // Waits for the oldest part in flight (parts finish in order of their numbers here).
  Status wait_part() {
    auto etag = m_inflight.front().get();
    m_inflight.erase(m_inflight.begin());
    if (!etag) return std::unexpected(etag.error());
    m_etags.push_back(std::move(*etag));
    return {};
  }

  S3Client& m_s3;
  std::string m_key;
  std::string m_buf;     // bytes not yet sent as a part
  std::string m_upload;  // the multipart upload, once a part has gone
  int m_parts = 0;
  std::vector<std::string> m_etags;
  std::vector<std::future<Result<std::string>>> m_inflight;  // oldest first
};

class S3Driver final : public Driver {
 public:
  explicit S3Driver(std::unique_ptr<S3Client> s3) : m_s3(std::move(s3)) {}

  std::string describe() const override {
    const auto& o = m_s3->options();
    return fmt::format("s3 bucket {} at {}{}", o.bucket,
                       o.endpoint.empty() ? "AWS " + o.creds.region : o.endpoint,
                       o.root.empty() ? "" : ", under " + o.root);
  }

  Result<std::string> get(std::string_view key) const override {
    auto r = m_s3->get(key);
    if (r || r.error().code() != Errc::not_found) return r;
    auto segs = KILN_TRY(segments(*m_s3, key));
    if (segs.empty()) return std::unexpected(r.error());
    std::string out;
    for (const auto& p : segs) out += KILN_TRY(m_s3->get(p.key, 0, p.size, p.etag));
    return out;
  }

  Status put(std::string_view key, std::string_view data) override { return m_s3->put(key, data); }
  Status put_volatile(std::string_view key, std::string_view data) override {
    return m_s3->put(key, data);
  }

  Result<Stat> stat(std::string_view key) const override {
    auto h = m_s3->head(key);
    if (h) return Stat{h->size, h->mtime, false};
    if (h.error().code() != Errc::not_found) return std::unexpected(h.error());
    auto segs = KILN_TRY(segments(*m_s3, key));
    if (!segs.empty()) {
      int64_t mtime = 0;
      for (const auto& p : segs) mtime = std::max(mtime, p.mtime);
      return Stat{total(segs), mtime, false};
    }
    auto l = KILN_TRY(m_s3->list(std::string(key) + "/", "/", 1));
    if (!l.objects.empty() || !l.prefixes.empty()) return Stat{0, 0, true};
    return failf(Errc::not_found, "{}: not found", key);
  }

  Result<std::vector<std::string>> list(std::string_view prefix) const override {
    std::string dir = prefix.empty() ? std::string() : std::string(prefix) + "/";
    auto l = KILN_TRY(m_s3->list(dir, "/"));
    std::vector<std::string> out;
    for (const auto& o : l.objects) out.push_back(o.key.substr(dir.size()));
    for (const auto& p : l.prefixes) {
      std::string name = p.substr(dir.size());
      if (!name.empty() && name.back() == '/') name.pop_back();
      if (name.ends_with("~parts")) name.resize(name.size() - 6);  // an appended value
      out.push_back(std::move(name));
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

  Status move(std::string_view from, std::string_view to) override {
    auto h = m_s3->head(from);
    if (!h && h.error().code() != Errc::not_found) return std::unexpected(h.error());
    if (h) {
      KILN_TRY(compose(to, {{std::string(from), 0, h->size, h->etag}}, true));
      return m_s3->remove(from);
    }
    auto segs = KILN_TRY(segments(*m_s3, from));
    if (segs.empty()) return failf(Errc::not_found, "move {}: not found", from);
    KILN_TRY(compose(to, segs, true));
    for (const auto& p : segs) KILN_TRY(m_s3->remove(p.key));
    return {};
  }

  Status remove(std::string_view key) override {
    KILN_TRY(m_s3->remove(key));
    std::string k(key);
    auto l = KILN_TRY(m_s3->list(k, ""));
    for (const auto& o : l.objects)
      if (o.key.starts_with(k + "/") || o.key.starts_with(seg_dir(k)))
        KILN_TRY(m_s3->remove(o.key));
    // Multipart uploads a crashed session left behind under the removed tree.
    auto ups = KILN_TRY(m_s3->list_uploads(k));
    for (const auto& u : ups)
      if (u.key.starts_with(k + "/") || u.key.starts_with(seg_dir(k)))
        KILN_TRY(m_s3->abort_upload(u.key, u.id));
    return {};
  }

  Result<std::unique_ptr<Reader>> open(std::string_view key) const override {
    S3Object info;
    auto first = m_s3->get(key, 0, kFirstWindow, {}, &info);
    if (first) {
      Piece whole{std::string(key), 0, info.size, info.etag, info.mtime};
      return std::make_unique<S3Reader>(*m_s3, std::move(whole), std::move(*first));
    }
    if (first.error().code() != Errc::not_found) return std::unexpected(first.error());
    auto segs = KILN_TRY(segments(*m_s3, key));
    if (segs.empty()) return std::unexpected(first.error());
    int64_t size = total(segs);
    return std::make_unique<S3Reader>(*m_s3, std::move(segs), size);
  }

  Result<std::unique_ptr<Appender>> append(std::string_view key) override {
    auto segs = KILN_TRY(segments(*m_s3, key));
    std::string k(key);
    if (segs.empty()) {  // (the registry never appends to a key it wrote with put)
      KILN_TRY(m_s3->put(seg_key(k, 0), ""));
      return std::make_unique<S3Appender>(*m_s3, k, 0, std::string());
    }
    const Piece& last = segs.back();
    if (last.size >= kMinPart)
      return std::make_unique<S3Appender>(*m_s3, k, last.offset + last.size, std::string());
    std::string buf;
    if (last.size > 0) buf = KILN_TRY(m_s3->get(last.key, 0, last.size, last.etag));
    return std::make_unique<S3Appender>(*m_s3, k, last.offset, std::move(buf));
  }

  Result<std::unique_ptr<Writer>> create(std::string_view key) override {
    return std::unique_ptr<Writer>(std::make_unique<S3Writer>(*m_s3, std::string(key)));
  }

  // A Writer's multipart upload sits at its own key; an appended value's at a segment's.
  Result<int> drop_unfinished(std::string_view prefix, int64_t before) override {
    int n = 0;
    for (const auto& u : KILN_TRY(m_s3->list_uploads(prefix))) {
      // (a start time the store did not give is taken as recent: never abort a live write)
      if (u.key.find("~parts/") != std::string::npos || u.initiated <= 0 || u.initiated >= before)
        continue;
      KILN_TRY(m_s3->abort_upload(u.key, u.id));
      ++n;
    }
    return n;
  }

  Status truncate(std::string_view key, int64_t size) override {
    auto segs = KILN_TRY(segments(*m_s3, key));
    if (segs.empty()) {
      auto h = KILN_TRY(m_s3->head(key));
      if (size < h.size) KILN_TRY(rewrite(std::string(key), size, h.etag));
      return {};
    }
    for (auto it = segs.rbegin(); it != segs.rend(); ++it) {
      if (it->offset >= size && it->offset > 0) {
        KILN_TRY(m_s3->remove(it->key));
      } else if (it->offset + it->size > size) {
        KILN_TRY(rewrite(it->key, size - it->offset, it->etag));
      }
    }
    return {};
  }

  Usage usage() const override { return {}; }

  std::optional<std::string> redirect_url(std::string_view key) const override {
    return m_s3->presigned_get(key, 20 * 60);  // as long as Distribution's
  }

 private:
  // Cuts object key to its first len bytes.
  Status rewrite(const std::string& key, int64_t len, const std::string& etag) {
    if (len <= kRewriteInMemory) {
      auto data = KILN_TRY(m_s3->get(key, 0, len, etag));
      return m_s3->put(key, data);
    }
    return compose(key, {{key, 0, len, etag}}, false);
  }

  // Writes to as the first p.size bytes of each piece's object, one after the other, on the
  // server side: one copy for a single whole object small enough, else a multipart upload of
  // part copies. whole: each piece is all of its object.
  Status compose(std::string_view to, const std::vector<Piece>& pieces, bool whole) {
    const auto& o = m_s3->options();
    int64_t sum = 0;
    for (const auto& p : pieces) sum += p.size;
    if (whole && pieces.size() == 1 && pieces[0].size <= o.copy_threshold)
      return m_s3->copy(pieces[0].key, to);
    if (sum == 0) return m_s3->put(to, "");
    std::vector<Piece> parts;
    for (const auto& p : pieces) {
      for (int64_t at = 0; at < p.size;) {
        int64_t n = std::min(o.copy_chunk_size, p.size - at);
        if (p.size - at - n < kMinPart) n = p.size - at;  // no small part in the middle
        parts.push_back({p.key, at, n, p.etag});          // offset: within p.key
        at += n;
      }
    }
    for (size_t i = 0; i + 1 < parts.size(); ++i)
      if (parts[i].size < kMinPart)
        return failf(Errc::corrupt, "{}: segment {} is smaller than S3's minimum part", to,
                     parts[i].key);
    auto id = KILN_TRY(m_s3->create_upload(to));
    std::vector<std::string> etags(parts.size());
    std::atomic<size_t> next{0};
    std::mutex mu;
    std::optional<Error> err;
    auto work = [&] {
      for (size_t i; (i = next++) < parts.size();) {
        auto e = m_s3->copy_part(to, id, static_cast<int>(i) + 1, parts[i].key, parts[i].offset,
                                 parts[i].size);
        std::lock_guard lock(mu);
        if (e)
          etags[i] = std::move(*e);
        else if (!err)
          err = e.error();
      }
    };
    {
      std::vector<std::jthread> ts;
      size_t n =
          std::min<size_t>(static_cast<size_t>(std::max(1, o.copy_concurrency)), parts.size());
      for (size_t t = 1; t < n; ++t) ts.emplace_back(work);
      work();
    }
    if (!err) {
      auto st = m_s3->complete_upload(to, id, etags);
      if (st) return {};
      err = st.error();
    }
    (void)m_s3->abort_upload(to, id);
    return std::unexpected(*err);
  }

  std::unique_ptr<S3Client> m_s3;
};

}  // namespace

Result<std::unique_ptr<Driver>> s3_driver(S3Options opts,
                                          std::shared_ptr<net::HttpTransport> http) {
  if (opts.bucket.empty()) return fail(Errc::invalid_argument, "s3: no bucket");
  if (opts.chunk_size < kMinPart)
    return failf(Errc::invalid_argument, "s3: chunksize {} is under S3's minimum part of {}",
                 opts.chunk_size, kMinPart);
  if (opts.copy_chunk_size < kMinPart || opts.copy_chunk_size > (int64_t{5} << 30) - kMinPart)
    return failf(Errc::invalid_argument,
                 "s3: multipartcopychunksize {} must be between 5 MiB and 5 GiB - 5 MiB",
                 opts.copy_chunk_size);
  if (opts.copy_threshold > (int64_t{5} << 30))
    return fail(Errc::invalid_argument, "s3: multipartcopythresholdsize is over S3's 5 GiB");
  while (!opts.root.empty() && opts.root.front() == '/') opts.root.erase(0, 1);
  while (!opts.root.empty() && opts.root.back() == '/') opts.root.pop_back();
  if (!http) {
    net::ClientOptions co;
    co.tls_verify = !opts.skip_verify;
    http = net::curl_transport(co);
  }
  auto s3 = std::make_unique<S3Client>(std::move(opts), std::move(http));
  if (auto l = s3->list("", "/", 1); !l)
    return std::unexpected(l.error().context("s3 bucket " + s3->options().bucket));
  return std::make_unique<S3Driver>(std::move(s3));
}

}  // namespace kiln::registry::server
