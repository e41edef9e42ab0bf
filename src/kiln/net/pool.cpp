// curl_transport(): a pool of Clients, so concurrent requests each get a kept-alive connection
// and a finished request hands its connection to the next.
#include <vector>

#include "kiln/net/http.hpp"

namespace kiln::net {
namespace {

class PooledTransport final : public HttpTransport {
 public:
  explicit PooledTransport(ClientOptions opts) : m_opts(std::move(opts)) {}
  Result<Response> perform(const Request& req) override {
    std::unique_ptr<Client> client;
    {
      std::lock_guard lk(m_mu);
      if (!m_pool.empty()) {
        client = std::move(m_pool.back());
        m_pool.pop_back();
      }
    }
    if (!client) client = std::make_unique<Client>(m_opts);
    auto r = client->perform(req);
    std::lock_guard lk(m_mu);
    m_pool.push_back(std::move(client));
    return r;
  }

 private:
  ClientOptions m_opts;
  std::mutex m_mu;
  std::vector<std::unique_ptr<Client>> m_pool;
};

}  // namespace

std::shared_ptr<HttpTransport> curl_transport(ClientOptions opts) {
  return std::make_shared<PooledTransport>(std::move(opts));
}

}  // namespace kiln::net
