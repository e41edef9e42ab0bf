// OCI image-spec v1.1 and Docker v2 schema 2 documents as plain C++ values.
//
// Every object keeps the members kiln does not model in `extra` (member name -> its raw JSON
// text), so a read/modify/write keeps them. Docker's schema2 manifest and manifest list share
// the OCI Manifest and Index types (same shape, other media types). Optional members that the
// specs distinguish between "absent" and "empty" (Entrypoint, Cmd, Healthcheck, ...) are
// std::optional. Serialisation and parsing live in codec.hpp.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kiln/digest/digest.hpp"

namespace kiln::oci {

using Extra = std::map<std::string, std::string>;
using StringMap = std::map<std::string, std::string>;

struct Platform {
  std::string architecture;
  std::string os;
  std::string os_version;
  std::vector<std::string> os_features;
  std::string variant;
  std::vector<std::string> features;  // reserved by the spec; kept when present
  Extra extra;
  bool operator==(const Platform&) const = default;
};

struct Descriptor {
  std::string media_type;
  Digest digest;
  int64_t size = 0;
  std::vector<std::string> urls;
  StringMap annotations;
  std::optional<std::string> data;  // base64, as in the document
  std::optional<Platform> platform;
  std::string artifact_type;
  Extra extra;
};

struct Manifest {
  int schema_version = 2;
  std::string media_type;
  std::string artifact_type;
  Descriptor config;
  std::vector<Descriptor> layers;
  std::optional<Descriptor> subject;
  StringMap annotations;
  Extra extra;
};

struct Index {
  int schema_version = 2;
  std::string media_type;
  std::string artifact_type;
  std::vector<Descriptor> manifests;
  std::optional<Descriptor> subject;
  StringMap annotations;
  Extra extra;
};

// Docker's HealthConfig (durations in nanoseconds, as the JSON has them).
struct HealthConfig {
  std::vector<std::string> test;
  int64_t interval = 0;
  int64_t timeout = 0;
  int64_t start_period = 0;
  int64_t start_interval = 0;
  int retries = 0;
  Extra extra;
};

// The "config" member of an image configuration.
struct ContainerConfig {
  std::string user;
  std::vector<std::string> exposed_ports;  // "80/tcp", sorted, unique
  std::vector<std::string> env;
  std::optional<std::vector<std::string>> entrypoint;
  std::optional<std::vector<std::string>> cmd;
  std::vector<std::string> volumes;  // sorted, unique
  std::string working_dir;
  StringMap labels;
  std::string stop_signal;
  bool args_escaped = false;
  std::optional<HealthConfig> healthcheck;           // Docker
  std::optional<std::vector<std::string>> on_build;  // Docker
  std::optional<std::vector<std::string>> shell;     // Docker
  Extra extra;
};

struct History {
  std::string created;  // RFC 3339, as written
  std::string created_by;
  std::string author;
  std::string comment;
  bool empty_layer = false;
  Extra extra;
};

struct RootFs {
  std::string type = "layers";
  std::vector<Digest> diff_ids;
  Extra extra;
};

struct ImageConfig {
  std::string created;  // RFC 3339, as written; may be empty
  std::string author;
  std::string architecture;
  std::string os;
  std::string os_version;
  std::vector<std::string> os_features;
  std::string variant;
  std::optional<ContainerConfig> config;
  RootFs rootfs;
  std::vector<History> history;
  Extra extra;

  Platform platform() const;
};

}  // namespace kiln::oci
