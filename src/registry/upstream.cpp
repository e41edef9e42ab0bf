#include "registry/upstream.hpp"

#include <fmt/format.h>

#include "kiln/registry/client/client.hpp"

namespace kiln::cli {
namespace {

namespace rs = registry::server;

class ClientUpstream final : public rs::Upstream {
 public:
  ClientUpstream(std::string url, std::unique_ptr<registry::client::Registry> reg)
      : m_url(std::move(url)), m_reg(std::move(reg)) {}
  std::string describe() const override { return m_url; }
  Result<rs::UpstreamManifest> manifest(const std::string& repo, const std::string& ref) override {
    auto doc = KILN_TRY(m_reg->get_manifest(repo, ref));
    return rs::UpstreamManifest{std::move(doc.raw), std::move(doc.media_type)};
  }
  Result<int64_t> blob_size(const std::string& repo, const Digest& d) override {
    auto n = KILN_TRY(m_reg->head_blob(repo, d));
    if (!n) return failf(Errc::not_found, "{}/{}: no blob {}", m_url, repo, d.str());
    return *n;
  }
  Status blob(const std::string& repo, const Digest& d, int64_t size, io::Writer& out) override {
    oci::Descriptor desc;
    desc.digest = d;
    desc.size = size;  // a dropped connection resumes with Range up to it
    return m_reg->get_blob(repo, desc, out);
  }

 private:
  std::string m_url;
  std::unique_ptr<registry::client::Registry> m_reg;
};

}  // namespace

Result<std::unique_ptr<rs::Upstream>> open_upstream(const rs::ProxyConfig& cfg) {
  bool plain = cfg.remote_url.starts_with("http://");
  std::string host = cfg.remote_url.substr(plain ? 7 : 8);
  if (host.empty() || host.find('/') != std::string::npos)
    return failf(Errc::invalid_argument,
                 "proxy.remoteurl {}: want a registry's base URL, with no path", cfg.remote_url);
  registry::client::Options opts;
  if (!cfg.username.empty()) opts.creds = registry::client::Credentials{cfg.username, cfg.password};
  if (plain) opts.tls_verify = false;  // plain HTTP to a host that is not loopback
  opts.max_retries = 2;                // a cached tag is served when the upstream stays away
  auto reg = KILN_TRY_CTX(registry::client::Registry::open(host, opts), "proxy");
  return std::unique_ptr<rs::Upstream>(
      std::make_unique<ClientUpstream>(cfg.remote_url, std::move(reg)));
}

}  // namespace kiln::cli
