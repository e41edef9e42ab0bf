// The package databases kiln reads, as text: dpkg's status file (and distroless's status.d/
// files, one or more stanzas each), and apk's installed file.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kiln/scan/package.hpp"

namespace kiln::scan {

// Stanzas of "Field: value" lines (continuation lines start with a space), separated by blank
// lines. With `installed_only` (the status file), a stanza counts only when its Status is
// "install ok installed"; status.d files have no Status. A stanza without Package or Version
// is skipped with a warning naming `db` and the stanza's line.
std::vector<Package> parse_dpkg(std::string_view text, const std::string& db, bool installed_only,
                                std::vector<std::string>& warnings);

// Records of "X:value" lines separated by blank lines: P name, V version, A arch, o origin,
// L license.
std::vector<Package> parse_apk(std::string_view text, const std::string& db,
                               std::vector<std::string>& warnings);

// A Python distribution's METADATA (*.dist-info) or PKG-INFO (*.egg-info): the RFC 822 headers
// Name, Version and License (or License-Expression) before the first blank line. Empty, with
// a warning, when Name or Version is missing.
std::vector<Package> parse_python_metadata(std::string_view text, const std::string& path,
                                           std::vector<std::string>& warnings);

// An installed npm package's package.json (node_modules/NAME/package.json): name, version,
// license (npm_json.cpp). Empty, with a warning, when it is not such a document.
std::vector<Package> parse_npm_package(std::string_view text, const std::string& path,
                                       std::vector<std::string>& warnings);

// An npm lock file (package-lock.json or npm-shrinkwrap.json, lockfileVersion 1, 2 or 3):
// every installed dependency it lists, as (where npm installs it relative to the lock file's
// directory, "node_modules/a/node_modules/b"; the package). Linked workspace packages and the
// root project are not listed. Empty, with a warning, when it is not such a document.
std::vector<std::pair<std::string, Package>> parse_npm_lock(std::string_view text,
                                                            const std::string& path,
                                                            std::vector<std::string>& warnings);

// An installed gem's specification (.../specifications/NAME-VERSION.gemspec, Ruby source as
// RubyGems writes it): `s.name = "rake".freeze`, `s.version = "13.0.6"`, `s.licenses = [...]`.
// Empty, with a warning, when no name or version is found.
std::vector<Package> parse_gemspec(std::string_view text, const std::string& path,
                                   std::vector<std::string>& warnings);

}  // namespace kiln::scan
