// The memory driver: a sorted map of keys to shared, immutable strings. For unit tests and
// for the driver suite; values vanish with the process.
#include <algorithm>
#include <cstring>
#include <ctime>
#include <map>
#include <mutex>
#include <set>

#include "kiln/registry/server/driver.hpp"

namespace kiln::registry::server {
namespace {

using Value = std::shared_ptr<std::string>;

struct Entry {
  Value data;
  int64_t mtime = 0;
};

class MemReader final : public Reader {
 public:
  explicit MemReader(Value v) : m_v(std::move(v)) {}
  int64_t size() const override { return static_cast<int64_t>(m_v->size()); }
  int fd() const override { return -1; }
  Result<size_t> read_at(int64_t offset, std::span<char> buf) const override {
    if (offset >= size()) return size_t{0};
    size_t n = std::min(buf.size(), m_v->size() - static_cast<size_t>(offset));
    std::memcpy(buf.data(), m_v->data() + offset, n);
    return n;
  }

 private:
  Value m_v;
};

class MemDriver final : public Driver {
 public:
  std::string describe() const override { return "memory"; }

  Result<std::string> get(std::string_view key) const override {
    std::lock_guard lock(m_mu);
    auto it = m_values.find(std::string(key));
    if (it == m_values.end()) return failf(Errc::not_found, "{}: not found", key);
    return *it->second.data;
  }

  Status put(std::string_view key, std::string_view data) override {
    std::lock_guard lock(m_mu);
    m_values[std::string(key)] =
        Entry{std::make_shared<std::string>(data), static_cast<int64_t>(::time(nullptr))};
    return {};
  }

  Status put_volatile(std::string_view key, std::string_view data) override {
    return put(key, data);
  }

  Result<Stat> stat(std::string_view key) const override {
    std::lock_guard lock(m_mu);
    auto it = m_values.find(std::string(key));
    if (it != m_values.end())
      return Stat{static_cast<int64_t>(it->second.data->size()), it->second.mtime, false};
    std::string prefix = std::string(key) + "/";
    auto lb = m_values.lower_bound(prefix);
    if (lb != m_values.end() && lb->first.starts_with(prefix)) return Stat{0, 0, true};
    return failf(Errc::not_found, "{}: not found", key);
  }

  Result<std::vector<std::string>> list(std::string_view prefix) const override {
    std::lock_guard lock(m_mu);
    std::string p = prefix.empty() ? std::string() : std::string(prefix) + "/";
    std::set<std::string> names;
    for (auto it = m_values.lower_bound(p); it != m_values.end() && it->first.starts_with(p);
         ++it) {
      std::string_view rest = std::string_view(it->first).substr(p.size());
      names.emplace(rest.substr(0, rest.find('/')));
    }
    return std::vector<std::string>(names.begin(), names.end());
  }

  Status move(std::string_view from, std::string_view to) override {
    std::lock_guard lock(m_mu);
    auto it = m_values.find(std::string(from));
    if (it == m_values.end()) return failf(Errc::not_found, "{}: not found", from);
    Entry e = std::move(it->second);
    m_values.erase(it);
    m_values[std::string(to)] = std::move(e);
    return {};
  }

  Status remove(std::string_view key) override {
    std::lock_guard lock(m_mu);
    m_values.erase(std::string(key));
    std::string p = std::string(key) + "/";
    auto it = m_values.lower_bound(p);
    while (it != m_values.end() && it->first.starts_with(p)) it = m_values.erase(it);
    return {};
  }

  Result<std::unique_ptr<Reader>> open(std::string_view key) const override {
    std::lock_guard lock(m_mu);
    auto it = m_values.find(std::string(key));
    if (it == m_values.end()) return failf(Errc::not_found, "{}: not found", key);
    return std::unique_ptr<Reader>(std::make_unique<MemReader>(it->second.data));
  }

  Result<std::unique_ptr<Appender>> append(std::string_view key) override;
  Result<std::unique_ptr<Writer>> create(std::string_view key) override;

  Status truncate(std::string_view key, int64_t size) override {
    std::lock_guard lock(m_mu);
    auto it = m_values.find(std::string(key));
    if (it == m_values.end()) return failf(Errc::not_found, "{}: not found", key);
    auto copy = std::make_shared<std::string>(*it->second.data);
    copy->resize(static_cast<size_t>(size));
    it->second.data = std::move(copy);
    return {};
  }

  Usage usage() const override { return {}; }

  // Appends by replacing the value with a longer copy, so open readers keep their snapshot.
  Status append_to(const std::string& key, std::span<const char> data) {
    std::lock_guard lock(m_mu);
    auto& e = m_values[key];
    auto copy = std::make_shared<std::string>(e.data ? *e.data : std::string());
    copy->append(data.data(), data.size());
    e = Entry{std::move(copy), static_cast<int64_t>(::time(nullptr))};
    return {};
  }

 private:
  mutable std::mutex m_mu;
  std::map<std::string, Entry> m_values;
};

class MemAppender final : public Appender {
 public:
  MemAppender(MemDriver* d, std::string key, int64_t size)
      : m_d(d), m_key(std::move(key)), m_size(size) {}
  int64_t size() const override { return m_size; }
  Status write(std::span<const char> data) override {
    if (auto st = m_d->append_to(m_key, data); !st) return st;
    m_size += static_cast<int64_t>(data.size());
    return {};
  }
  Status sync() override { return {}; }

 private:
  MemDriver* m_d;
  std::string m_key;
  int64_t m_size;
};

Result<std::unique_ptr<Appender>> MemDriver::append(std::string_view key) {
  std::string k(key);
  if (auto st = append_to(k, {}); !st) return std::unexpected(st.error());
  auto size = stat(key);
  if (!size) return std::unexpected(size.error());
  return std::unique_ptr<Appender>(std::make_unique<MemAppender>(this, std::move(k), size->size));
}

// Keeps the bytes until commit(), as S3 keeps a multipart upload's parts out of sight.
class MemWriter final : public Writer {
 public:
  MemWriter(MemDriver* d, std::string key) : m_d(d), m_key(std::move(key)) {}
  Status write(std::span<const char> data) override {
    m_buf.append(data.data(), data.size());
    return {};
  }
  Status commit() override { return m_d->put(m_key, m_buf); }

 private:
  MemDriver* m_d;
  std::string m_key;
  std::string m_buf;
};

Result<std::unique_ptr<Writer>> MemDriver::create(std::string_view key) {
  return std::unique_ptr<Writer>(std::make_unique<MemWriter>(this, std::string(key)));
}

}  // namespace

std::unique_ptr<Driver> memory_driver() {
  return std::make_unique<MemDriver>();
}

}  // namespace kiln::registry::server
