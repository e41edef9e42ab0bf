// The advisory index: OSV advisories in SQLite, in columns a scan reads without parsing JSON.
// It lives beside the store (<root>/vulndb/advisories.db). Writers build a new file from the
// current one plus what they add and publish it by rename, so readers always see a complete
// database, and an import that fails leaves the previous one as it was.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kiln/base/error.hpp"
#include "kiln/scan/osv.hpp"

namespace kiln::sql {
class Db;
}

namespace kiln::scan {

// Where advisories came from: a file, directory or URL given to `kiln db import`, with what
// `kiln db update` needs to ask for it again conditionally.
struct DbSource {
  std::string location;
  std::string etag, last_modified;  // of the last HTTP answer with a body, for URLs
  int64_t imported_at = 0;          // unix seconds of the last import or check
  int64_t advisories = 0;           // how many advisories the last import read from it
};

struct DbStatus {
  std::string path;
  int64_t advisories = 0, withdrawn = 0, packages = 0;
  int64_t built_at = 0;                       // unix seconds
  std::map<std::string, int64_t> ecosystems;  // "Debian:12" -> advisories naming it
  std::vector<DbSource> sources;
};

// One affected entry of an advisory, as stored.
struct StoredAffected {
  int64_t advisory = 0;  // the row of the advisory (VulnDb::advisory)
  std::string ecosystem, name;
  std::vector<OsvRange> ranges;
  std::vector<std::string> versions;
  std::string severity;  // the entry's own severity, if the advisory gave one
};

struct StoredAdvisory {
  std::string id, summary, published, modified, withdrawn, url, source;
  std::vector<std::string> aliases, upstream;
  // The severity the index computed at import: from the CVSS v3 vector when there is one
  // (score in tenths, vector kept), else the advisory's own rating (GitHub's LOW..CRITICAL),
  // else UNKNOWN.
  std::string severity = "UNKNOWN", cvss_vector;
  int score_tenths = -1;
};

class VulnDb {
 public:
  // Errc::not_found when no database was ever imported there.
  static Result<std::unique_ptr<VulnDb>> open(const std::string& path);
  ~VulnDb();
  Result<std::vector<StoredAffected>> affected(std::string_view ecosystem, std::string_view name);
  Result<StoredAdvisory> advisory(int64_t row);
  Result<DbStatus> status();

 private:
  explicit VulnDb(std::unique_ptr<sql::Db> db);
  std::unique_ptr<sql::Db> m_db;
  std::map<int64_t, StoredAdvisory> m_cache;
};

// Builds the next version of the database at `path`: starts as a copy of the current one
// (if any), takes advisories (an ID already present is replaced: the newer import wins) and
// replaces the current file on commit(). Writers are serialised by a lock file beside it.
class VulnDbWriter {
 public:
  static Result<std::unique_ptr<VulnDbWriter>> begin(const std::string& path);
  ~VulnDbWriter();
  Status add(const Advisory& a, std::string_view source);
  Status set_source(const DbSource& s);
  // Removes the advisories an earlier import of `location` added, before it is read again
  // (an advisory its publisher deleted then goes too). Returns how many went.
  Result<int64_t> drop_source(std::string_view location);
  // The sources recorded so far (of the current database and this writer's changes).
  Result<std::vector<DbSource>> sources();
  Status commit();

 private:
  struct Impl;
  explicit VulnDbWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m;
};

// The database's place under a store root.
std::string vulndb_path(const std::string& store_root);

}  // namespace kiln::scan
