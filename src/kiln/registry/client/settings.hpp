// kiln's own registry settings file: which registries may be reached without verified TLS.
//
//   $KILN_CONFIG, else $XDG_CONFIG_HOME/kiln/config.json (~/.config/kiln/config.json), else
//   /etc/kiln/config.json:
//   {"insecure-registries": ["registry.lan:5000", "10.0.0.0/8"]}
//
// As in docker's daemon.json: an entry is a host, a host:port, or an IPv4 CIDR. kiln speaks
// HTTPS to such a registry without verifying its certificate, and plain HTTP when it does not
// speak TLS at all. Loopback registries are always treated so (plain HTTP).
#pragma once

#include <string>
#include <vector>

#include "kiln/base/error.hpp"

namespace kiln::registry::client {

struct Settings {
  std::vector<std::string> insecure_registries;
  std::string path;  // the file read, "" if none
};

// A missing file is no settings; a malformed one is an error naming the file.
Result<Settings> load_settings();

// host as in a reference ("10.1.2.3:5000").
bool is_insecure(const Settings& s, const std::string& host);

}  // namespace kiln::registry::client
