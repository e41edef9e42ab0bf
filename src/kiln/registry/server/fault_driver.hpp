// A storage driver that wraps another and fails chosen operations on chosen keys, for the
// driver suite and the garbage collector's fail-closed tests (DESIGN.md section 3.6: one seam,
// a real and a fake). A rule fails every call of its operation whose key starts with its
// prefix, with its error code (io stands for EIO, no_space for ENOSPC, ...), until removed.
// Thread-safe like the drivers it wraps.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kiln/registry/server/driver.hpp"

namespace kiln::registry::server {

class FaultDriver final : public Driver {
 public:
  enum class Op { get, put, stat, list, move, remove, open, append };
  struct Rule {
    Op op;
    std::string prefix;
    Errc code = Errc::io;
    std::string message = "injected fault: Input/output error";
  };

  explicit FaultDriver(Driver& inner) : m_inner(inner) {}
  void fail(Rule r) {
    std::lock_guard lk(m_mu);
    m_rules.push_back(std::move(r));
  }
  void clear() {
    std::lock_guard lk(m_mu);
    m_rules.clear();
  }
  int faults() const {
    std::lock_guard lk(m_mu);
    return m_faults;
  }

  std::string describe() const override { return "faulty " + m_inner.describe(); }
  Result<std::string> get(std::string_view key) const override {
    KILN_TRY(check(Op::get, key));
    return m_inner.get(key);
  }
  Status put(std::string_view key, std::string_view data) override {
    KILN_TRY(check(Op::put, key));
    return m_inner.put(key, data);
  }
  Status put_volatile(std::string_view key, std::string_view data) override {
    KILN_TRY(check(Op::put, key));
    return m_inner.put_volatile(key, data);
  }
  Result<Stat> stat(std::string_view key) const override {
    KILN_TRY(check(Op::stat, key));
    return m_inner.stat(key);
  }
  Result<std::vector<std::string>> list(std::string_view prefix) const override {
    KILN_TRY(check(Op::list, prefix));
    return m_inner.list(prefix);
  }
  Status move(std::string_view from, std::string_view to) override {
    KILN_TRY(check(Op::move, from));
    return m_inner.move(from, to);
  }
  Status remove(std::string_view key) override {
    KILN_TRY(check(Op::remove, key));
    return m_inner.remove(key);
  }
  Result<std::unique_ptr<Reader>> open(std::string_view key) const override {
    KILN_TRY(check(Op::open, key));
    return m_inner.open(key);
  }
  Result<std::unique_ptr<Appender>> append(std::string_view key) override {
    KILN_TRY(check(Op::append, key));
    return m_inner.append(key);
  }
  Status truncate(std::string_view key, int64_t size) override {
    KILN_TRY(check(Op::append, key));
    return m_inner.truncate(key, size);
  }
  Usage usage() const override { return m_inner.usage(); }

 private:
  Status check(Op op, std::string_view key) const {
    std::lock_guard lk(m_mu);
    for (const auto& r : m_rules)
      if (r.op == op && key.starts_with(r.prefix)) {
        ++m_faults;
        return failf(r.code, "{}: {}", key, r.message);
      }
    return {};
  }

  Driver& m_inner;
  mutable std::mutex m_mu;
  std::vector<Rule> m_rules;
  mutable int m_faults = 0;
};

}  // namespace kiln::registry::server
