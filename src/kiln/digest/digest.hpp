// Digest: a validated content identifier "sha256:<64 lowercase hex>" (OCI image-spec
// descriptor.md). Sha256: a streaming hasher over OpenSSL's low-level SHA-256 (uses the CPU's SHA
// extensions).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "kiln/base/error.hpp"

namespace kiln {

class Digest {
 public:
  Digest() = default;

  // Parses "algorithm:encoded". Syntax per the OCI grammar; only sha256 is supported, and its
  // encoded part must be exactly 64 lowercase hex characters.
  static Result<Digest> parse(std::string_view s);
  // From a raw 32-byte SHA-256 value.
  static Digest from_sha256(std::span<const uint8_t, 32> raw);
  // SHA-256 of a whole buffer.
  static Digest of(std::string_view data);

  bool empty() const { return m_hex.empty(); }
  std::string_view algorithm() const { return "sha256"; }
  const std::string& hex() const { return m_hex; }
  std::string str() const { return m_hex.empty() ? std::string() : "sha256:" + m_hex; }
  std::string short_hex() const { return m_hex.substr(0, 12); }

  auto operator<=>(const Digest&) const = default;

 private:
  std::string m_hex;
};

// Streaming SHA-256. Not thread-safe; one per stream.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void update(const void* data, size_t size);
  void update(std::string_view s) { update(s.data(), s.size()); }
  // Returns the digest; the hasher is reset afterwards.
  Digest finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace kiln

template <>
struct fmt::formatter<kiln::Digest> : fmt::formatter<std::string> {
  auto format(const kiln::Digest& d, format_context& ctx) const {
    return fmt::formatter<std::string>::format(d.str(), ctx);
  }
};
