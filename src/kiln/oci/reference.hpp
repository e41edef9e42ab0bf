// Image references with the docker grammar (distribution/reference):
//   [DOMAIN[:PORT]/]PATH[:TAG][@DIGEST]
// Reference::parse normalises like `docker`: "busybox" -> docker.io/library/busybox,
// "index.docker.io/x" -> docker.io/library/x, "localhost:5000/x" keeps its domain; a name
// without tag or digest gets ":latest". Errors say what is wrong and where.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "kiln/base/error.hpp"
#include "kiln/digest/digest.hpp"

namespace kiln::oci {

inline constexpr std::string_view k_default_domain = "docker.io";
inline constexpr size_t k_max_name_length = 255;

struct Reference {
  std::string domain;  // "docker.io", "localhost:5000", "[::1]:5000"
  std::string path;    // "library/busybox"
  std::string tag;     // may be empty when a digest is given
  std::optional<Digest> digest;

  // Parses and normalises. With default_tag, a reference with neither tag nor digest gets
  // "latest".
  static Result<Reference> parse(std::string_view s, bool default_tag = true);

  std::string name() const;           // "docker.io/library/busybox"
  std::string str() const;            // name[:tag][@digest]
  std::string familiar_name() const;  // "busybox", "user/app", "localhost:5000/x"
  std::string familiar() const;       // familiar_name[:tag][@digest]
  bool operator==(const Reference&) const = default;
};

// True if s looks like a full or abbreviated image ID (hex, optionally "sha256:"-prefixed).
bool looks_like_id(std::string_view s);

}  // namespace kiln::oci
