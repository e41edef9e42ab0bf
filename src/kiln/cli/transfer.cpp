#include "kiln/cli/transfer.hpp"

#include "kiln/cli/signature_push.hpp"

#include "kiln/store/store.hpp"

#include <sys/resource.h>

#include <chrono>
#include <map>
#include <mutex>

#include "kiln/base/strings.hpp"
#include "kiln/image/load.hpp"
#include "kiln/oci/codec.hpp"
#include "kiln/oci/media_types.hpp"
#include "kiln/oci/platform.hpp"
#include "kiln/oci/reference.hpp"
#include "kiln/os/dir.hpp"
#include "kiln/store/paths.hpp"
#include "kiln/store/signatures.hpp"
#include "kiln/transport/registry_transport.hpp"
#include "kiln/transport/store_transport.hpp"

namespace kiln::cli {

namespace {

// One line per layer, redrawn in place (at most ten times a second): bytes, total and rate
// while it moves, then how long it took, or that the destination already had it.
class ProgressView {
 public:
  void on(const image::CopyEvent& e) {
    std::lock_guard lock(m_mu);
    auto now = Clock::now();
    std::string id = e.blob.digest.short_hex();
    auto it = m_index.find(id);
    if (it == m_index.end()) {
      it = m_index.emplace(id, m_lines.size()).first;
      m_lines.push_back(Line{id, e.action, e.blob.size, 0, now, 0, State::running});
    }
    Line& l = m_lines[it->second];
    bool force = true;
    switch (e.kind) {
      case image::CopyEvent::blob_start:
        l.start = now;
        break;
      case image::CopyEvent::blob_progress:
        l.done = e.bytes;
        force = false;
        break;
      case image::CopyEvent::blob_skipped:
        l.state = State::exists;
        break;
      case image::CopyEvent::blob_done:
        l.state = State::done;
        l.done = std::max(l.done, l.total);
        l.seconds = std::chrono::duration<double>(now - l.start).count();
        break;
    }
    if (force || now - m_drawn_at > std::chrono::milliseconds(100)) draw(now);
  }

 private:
  using Clock = std::chrono::steady_clock;
  enum class State { running, done, exists };
  struct Line {
    std::string id;
    std::string action;
    int64_t total;
    int64_t done;
    Clock::time_point start;
    double seconds;
    State state;
  };

  static std::string rate(int64_t bytes, double secs) {
    return secs > 0.05 ? human_size(static_cast<int64_t>(bytes / secs)) + "/s" : "";
  }

  void draw(Clock::time_point now) {
    std::string out;
    if (m_drawn > 0) out += fmt::format("\x1b[{}A", m_drawn);
    for (const auto& l : m_lines) {
      std::string text;
      switch (l.state) {
        case State::exists:
          text = fmt::format("{}  {:<12} {}", l.id, "exists", human_size(l.total));
          break;
        case State::done:
          text = fmt::format("{}  {:<12} {} in {:.1f} s  {}", l.id, "done", human_size(l.total),
                             l.seconds, rate(l.total, l.seconds));
          break;
        case State::running: {
          double secs = std::chrono::duration<double>(now - l.start).count();
          text = fmt::format("{}  {:<12} {} / {}  {}", l.id, l.action, human_size(l.done),
                             human_size(l.total), rate(l.done, secs));
          break;
        }
      }
      out += "\r\x1b[2K" + text + "\n";
    }
    m_drawn = m_lines.size();
    m_drawn_at = now;
    std::fwrite(out.data(), 1, out.size(), stderr);
    std::fflush(stderr);
  }

  std::mutex m_mu;
  std::vector<Line> m_lines;
  std::map<std::string, size_t> m_index;
  size_t m_drawn = 0;
  Clock::time_point m_drawn_at;
};

}  // namespace

std::function<void(const image::CopyEvent&)> copy_progress(bool quiet) {
  if (quiet || !stderr_is_terminal()) return {};
  auto view = std::make_shared<ProgressView>();
  return [view](const image::CopyEvent& e) { view->on(e); };
}

Result<transport::OpenOptions> open_options(Context& ctx, bool need_store) {
  // The store holds every new blob of a copy open (anonymous temporary files) until it links
  // them in together: allow as many descriptors as the hard limit does.
  struct rlimit nofile {};
  if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
    nofile.rlim_cur = nofile.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &nofile);
  }
  transport::OpenOptions o;
  if (!need_store) return o;
  auto* st = KILN_TRY(ctx.store());
  o.store = st;
  if (st->root_dir().make_dir(store::paths::tmp_dir)) {
    o.temp_dir = st->root() + "/" + std::string(store::paths::tmp_dir);
    o.limits.temp_dir = o.temp_dir;
  }
  return o;
}

namespace {

Result<image::Document> copy_to_registry(transport::OpenOptions& o, const std::string& store_ref,
                                         const oci::Reference& dest, const RegistryFlags& reg,
                                         bool quiet) {
  auto src = KILN_TRY(transport::store_source(*o.store, store_ref));
  auto sink = KILN_TRY(transport::registry_sink(dest, KILN_TRY(registry_options(reg))));
  image::CopyOptions co;
  co.on_event = copy_progress(quiet);
  co.max_concurrent = reg.max_concurrent;
  co.all_platforms = true;  // a multi-platform index in the store is pushed whole
  auto res =
      KILN_TRY_CTX(image::copy_image(*src, *sink, co), fmt::format("push {}", dest.familiar()));
  KILN_TRY(sink->finish());
  if (!quiet)
    fmt::print("{}: digest: {} size: {}\n", dest.tag.empty() ? dest.digest->str() : dest.tag,
               res.root.digest, res.root.raw.size());
  return std::move(res.root);
}

// The signatures `kiln sign` kept in the store for the pushed manifest, into its .sig tag.
Status push_signatures(const std::vector<store::StoredSignature>& sigs, const oci::Reference& dest,
                       const image::Document& root, const RegistryFlags& reg, bool quiet) {
  RemoteImage img;
  img.ref = dest;
  img.repo = transport::api_repo(dest);
  img.reg =
      KILN_TRY(registry::client::Registry::open(dest.domain, KILN_TRY(registry_options(reg))));
  img.doc = root;
  std::string where;
  for (const auto& s : sigs) {
    auto layer = KILN_TRY(push_bytes(img, sign::k_simple_signing_type, s.payload));
    layer.annotations[std::string(sign::k_signature_annotation)] = s.signature;
    where = KILN_TRY(push_sig_tag(img, layer));
  }
  if (!quiet)
    fmt::print(stderr, "Pushed {} signature{} to {}\n", sigs.size(), sigs.size() == 1 ? "" : "s",
               where);
  return {};
}

}  // namespace

Result<image::Document> push_image(Context& ctx, const std::string& store_ref,
                                   const oci::Reference& dest, const RegistryFlags& reg,
                                   bool quiet) {
  auto o = KILN_TRY(open_options(ctx, true));
  auto rec = KILN_TRY(o.store->resolve_top(store_ref));
  auto sigs = KILN_TRY(store::signatures(*o.store, rec.manifest_digest));
  if (sigs.empty()) return copy_to_registry(o, store_ref, dest, reg, quiet);
  // Signed in the store: the manifest goes by digest, then its signatures, then the tag, so that
  // a registry that requires signed tags accepts the tag.
  oci::Reference by_digest = dest;
  by_digest.tag.clear();
  by_digest.digest = rec.manifest_digest;
  auto root = KILN_TRY(copy_to_registry(o, store_ref, by_digest, reg, true));
  KILN_TRY(push_signatures(sigs, dest, root, reg, quiet));
  if (dest.tag.empty()) return root;
  return copy_to_registry(o, store_ref, dest, reg, quiet);
}

void add_registry_flags(CLI::App* c, RegistryFlags& f) {
  c->add_option("--tls-verify", f.tls_verify,
                "Verify TLS certificates (default true; loopback registries speak plain HTTP)");
  c->add_option("--creds", f.creds, "USER:PASSWORD for the registry (else the auth file)");
  c->add_option("--max-concurrent", f.max_concurrent, "Layers moved at once (default 6)")
      ->check(CLI::Range(1, 64));
  c->add_option("--authfile", f.authfile,
                "Credentials file (default $REGISTRY_AUTH_FILE, ~/.docker/config.json)");
}

Result<registry::client::Options> registry_options(const RegistryFlags& f) {
  registry::client::Options o;
  if (f.tls_verify == "false")
    o.tls_verify = false;
  else if (f.tls_verify == "true")
    o.tls_verify = true;
  else if (!f.tls_verify.empty())
    return failf(Errc::invalid_argument, "--tls-verify={:?}: want true or false", f.tls_verify);
  if (!f.creds.empty()) {
    auto colon = f.creds.find(':');
    if (colon == std::string::npos)
      return fail(Errc::invalid_argument, "--creds: want USER:PASSWORD");
    o.creds = registry::client::Credentials{f.creds.substr(0, colon), f.creds.substr(colon + 1)};
  }
  o.authfile = f.authfile;
  return o;
}

Result<store::ImageView> remote_image_view(const std::string& text, const RegistryFlags& f) {
  auto ref = KILN_TRY(oci::Reference::parse(text.substr(9)));
  auto src = KILN_TRY(transport::registry_source(ref, KILN_TRY(registry_options(f))));
  auto loaded = KILN_TRY(image::load(*src));
  store::ImageView v;
  v.raw_manifest = std::move(loaded.manifest.raw);
  v.manifest = std::move(loaded.parsed);
  v.raw_config = std::move(loaded.raw_config);
  v.config = std::move(loaded.config);
  v.record.manifest_digest = loaded.manifest.digest;
  v.record.media_type = loaded.manifest.media_type;
  v.record.config_digest = v.manifest.config.digest;
  for (const auto& l : v.manifest.layers) v.record.size += l.size;
  if (!ref.tag.empty()) v.record.names.push_back(ref.str());
  return v;
}

}  // namespace kiln::cli
