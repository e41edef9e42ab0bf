// The registry's storage layout: the one place that maps names and digests to driver keys.
//
//   blobs/sha256/<hh>/<hex>                         content: layers, configs and manifests,
//                                                   stored once and shared by every repository
//   repositories/<name>/                            <name> is the repository name, '/' and all
//       _layers/sha256/<hex>                        link: the blob belongs to this repository
//       _manifests/revisions/sha256/<hex>           link: the manifest belongs to it
//       _manifests/tags/<tag>                       the digest the tag points at
//       _referrers/sha256/<subject>/sha256/<hex>    link: manifest <hex> has subject <subject>
//       _proxy/tags/<tag>                           a pull-through cache fetched the tag then
//   uploads/<uuid>/data                             bytes received so far
//   uploads/<uuid>/info                             {"repo": ..., "started": seconds}
//
// A link's content is the digest it names. Repository name components cannot start with '_'
// (names.hpp), so a repository can never collide with the entries beside it.
#pragma once

#include <string>
#include <string_view>

#include <vector>

#include "kiln/digest/digest.hpp"
#include "kiln/registry/server/driver.hpp"

namespace kiln::registry::server::layout {

inline std::string blobs() {
  return "blobs";
}
inline std::string blob(const Digest& d) {
  return "blobs/sha256/" + d.hex().substr(0, 2) + "/" + d.hex();
}
inline std::string repos() {
  return "repositories";
}
inline std::string repo(std::string_view name) {
  return "repositories/" + std::string(name);
}
inline std::string layer_links(std::string_view name) {
  return repo(name) + "/_layers/sha256";
}
inline std::string layer_link(std::string_view name, const Digest& d) {
  return layer_links(name) + "/" + d.hex();
}
inline std::string revisions(std::string_view name) {
  return repo(name) + "/_manifests/revisions/sha256";
}
inline std::string revision(std::string_view name, const Digest& d) {
  return revisions(name) + "/" + d.hex();
}
inline std::string tags(std::string_view name) {
  return repo(name) + "/_manifests/tags";
}
inline std::string tag(std::string_view name, std::string_view t) {
  return tags(name) + "/" + std::string(t);
}
inline std::string referrers(std::string_view name) {
  return repo(name) + "/_referrers/sha256";
}
inline std::string referrers_of(std::string_view name, const Digest& subject) {
  return referrers(name) + "/" + subject.hex() + "/sha256";
}
inline std::string referrer(std::string_view name, const Digest& subject, const Digest& d) {
  return referrers_of(name, subject) + "/" + d.hex();
}
// When a pull-through cache last fetched tag t from its upstream (proxy.hpp): the digest.
inline std::string proxy_tag(std::string_view name, std::string_view t) {
  return repo(name) + "/_proxy/tags/" + std::string(t);
}
inline std::string uploads() {
  return "uploads";
}
inline std::string upload(std::string_view uuid) {
  return "uploads/" + std::string(uuid);
}
inline std::string upload_data(std::string_view uuid) {
  return upload(uuid) + "/data";
}
inline std::string upload_info(std::string_view uuid) {
  return upload(uuid) + "/info";
}

// Marks a directory under repositories/ as a repository (rather than a path prefix of one).
inline bool is_repo_entry(std::string_view child) {
  return child == "_layers" || child == "_manifests";
}

// Every repository name, sorted: walks repositories/, where a directory holding _layers or
// _manifests is a repository and the others are path prefixes of repositories.
Result<std::vector<std::string>> list_repositories(const Driver& d);

}  // namespace kiln::registry::server::layout
