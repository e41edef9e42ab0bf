#include "kiln/scan/vulndb.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cctype>
#include <ctime>

#include "kiln/base/strings.hpp"
#include "kiln/os/dir.hpp"
#include "kiln/scan/cvss.hpp"
#include "kiln/scan/match.hpp"
#include "kiln/sql/sqlite.hpp"

namespace kiln::scan {

namespace {

constexpr std::string_view k_schema = "kiln-vulndb/1";

constexpr const char* k_tables[] = {
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE sources(location TEXT PRIMARY KEY, etag TEXT NOT NULL, last_modified TEXT "
    "NOT NULL, imported_at INTEGER NOT NULL, advisories INTEGER NOT NULL)",
    "CREATE TABLE advisories(row INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, source TEXT NOT "
    "NULL, summary TEXT NOT NULL, published TEXT NOT NULL, modified TEXT NOT NULL, withdrawn "
    "TEXT NOT NULL, url TEXT NOT NULL, aliases TEXT NOT NULL, upstream TEXT NOT NULL, severity "
    "TEXT NOT NULL, cvss_vector TEXT NOT NULL, score INTEGER NOT NULL)",
    "CREATE TABLE affected(advisory INTEGER NOT NULL, ecosystem TEXT NOT NULL, name TEXT NOT "
    "NULL, ranges TEXT NOT NULL, versions TEXT NOT NULL, severity TEXT NOT NULL)",
    "CREATE INDEX affected_package ON affected(ecosystem, name)",
    "CREATE INDEX affected_advisory ON affected(advisory)",
};

sql::OpenOptions options(sql::OpenOptions::Mode mode) {
  sql::OpenOptions o;
  o.label = "advisory database";
  o.mode = mode;
  return o;
}

// Lists are stored joined by a separator; an empty column is an empty list.
std::vector<std::string> fields(std::string_view s, char sep) {
  return s.empty() ? std::vector<std::string>{} : split(s, sep);
}

// One line per range: TYPE, then KIND:VERSION per event, tab-separated (versions with tabs or
// newlines are refused by the parser).
std::string encode_ranges(const std::vector<OsvRange>& ranges) {
  static constexpr char kinds[] = {'i', 'f', 'l', 'm'};
  std::string out;
  for (const auto& r : ranges) {
    if (!out.empty()) out += '\n';
    out += r.type;
    for (const auto& e : r.events) {
      out += '\t';
      out += kinds[e.kind];
      out += ':';
      out += e.version;
    }
  }
  return out;
}

std::vector<OsvRange> decode_ranges(std::string_view s) {
  std::vector<OsvRange> out;
  for (const auto& line : fields(s, '\n')) {
    auto parts = fields(line, '\t');
    if (parts.empty()) continue;
    OsvRange r{parts[0], {}};
    for (size_t i = 1; i < parts.size(); ++i) {
      if (parts[i].size() < 2) continue;
      OsvEvent::Kind k = parts[i][0] == 'i'   ? OsvEvent::introduced
                         : parts[i][0] == 'f' ? OsvEvent::fixed
                         : parts[i][0] == 'l' ? OsvEvent::last_affected
                                              : OsvEvent::limit;
      r.events.push_back({k, parts[i].substr(2)});
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::string normalise_rating(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (s == "MODERATE") return "MEDIUM";
  if (s == "IMPORTANT") return "HIGH";
  if (s == "LOW" || s == "MEDIUM" || s == "HIGH" || s == "CRITICAL" || s == "NEGLIGIBLE")
    return s == "NEGLIGIBLE" ? "LOW" : s;
  return "UNKNOWN";
}

struct Severity {
  std::string rating = "UNKNOWN", vector;
  int tenths = -1;
};

Severity severity_of(const Advisory& a) {
  Severity out;
  // A v3 vector first (what most advisories and tools rate by), else a v4 one.
  for (auto type : {"CVSS_V3", "CVSS_V4"})
    for (const auto& s : a.severity)
      if (s.type == type)
        if (auto c = s.type == "CVSS_V3" ? cvss3_base(s.score) : cvss4_score(s.score)) {
          out.rating = c->rating;
          out.vector = s.score;
          out.tenths = static_cast<int>(c->score * 10 + 0.5);
          return out;
        }
  out.rating = normalise_rating(a.db_severity);
  return out;
}

int64_t now() {
  return static_cast<int64_t>(std::time(nullptr));
}

}  // namespace

std::string vulndb_path(const std::string& store_root) {
  return store_root + "/vulndb/advisories.db";
}

// ---- reading ----

VulnDb::VulnDb(std::unique_ptr<sql::Db> db) : m_db(std::move(db)) {}
VulnDb::~VulnDb() = default;

Result<std::unique_ptr<VulnDb>> VulnDb::open(const std::string& path) {
  if (access(path.c_str(), F_OK) != 0)
    return failf(Errc::not_found,
                 "no advisory database at {} (load one with `kiln db import FILE|DIR|URL`)", path);
  auto db = KILN_TRY(sql::Db::open(path, options(sql::OpenOptions::read_only)));
  auto q = KILN_TRY(db->prepare("SELECT value FROM meta WHERE key='schema'"));
  if (!KILN_TRY(q.step()) || q.text(0) != k_schema)
    return failf(Errc::corrupt, "{}: not a kiln advisory database of schema {}", path, k_schema);
  return std::unique_ptr<VulnDb>(new VulnDb(std::move(db)));
}

Result<std::vector<StoredAffected>> VulnDb::affected(std::string_view ecosystem,
                                                     std::string_view name) {
  auto q = KILN_TRY(m_db->prepare(
      "SELECT advisory, ranges, versions, severity FROM affected WHERE ecosystem=? AND name=?"));
  q.bind(1, ecosystem).bind(2, name);
  std::vector<StoredAffected> out;
  while (KILN_TRY(q.step())) {
    StoredAffected a;
    a.advisory = q.integer(0);
    a.ecosystem = std::string(ecosystem);
    a.name = std::string(name);
    a.ranges = decode_ranges(q.text(1));
    a.versions = fields(q.text(2), '\n');
    a.severity = q.text(3);
    out.push_back(std::move(a));
  }
  return out;
}

Result<StoredAdvisory> VulnDb::advisory(int64_t row) {
  if (auto it = m_cache.find(row); it != m_cache.end()) return it->second;
  auto q = KILN_TRY(
      m_db->prepare("SELECT id, source, summary, published, modified, withdrawn, url, aliases, "
                    "upstream, severity, cvss_vector, score FROM advisories WHERE row=?"));
  q.bind(1, row);
  if (!KILN_TRY(q.step()))
    return failf(Errc::corrupt, "advisory database: no advisory row {}", row);
  StoredAdvisory a;
  a.id = q.text(0);
  a.source = q.text(1);
  a.summary = q.text(2);
  a.published = q.text(3);
  a.modified = q.text(4);
  a.withdrawn = q.text(5);
  a.url = q.text(6);
  a.aliases = fields(q.text(7), ' ');
  a.upstream = fields(q.text(8), ' ');
  a.severity = q.text(9);
  a.cvss_vector = q.text(10);
  a.score_tenths = static_cast<int>(q.integer(11));
  return m_cache.emplace(row, std::move(a)).first->second;
}

Result<DbStatus> VulnDb::status() {
  DbStatus s;
  auto count = [&](std::string_view sql) -> Result<int64_t> {
    auto q = KILN_TRY(m_db->prepare(sql));
    return KILN_TRY(q.step()) ? q.integer(0) : 0;
  };
  s.advisories = KILN_TRY(count("SELECT COUNT(*) FROM advisories"));
  s.withdrawn = KILN_TRY(count("SELECT COUNT(*) FROM advisories WHERE withdrawn != ''"));
  s.packages =
      KILN_TRY(count("SELECT COUNT(*) FROM (SELECT DISTINCT ecosystem, name FROM affected)"));
  {
    auto q = KILN_TRY(m_db->prepare("SELECT value FROM meta WHERE key='built_at'"));
    if (KILN_TRY(q.step())) s.built_at = std::stoll("0" + q.text(0));
  }
  auto e = KILN_TRY(
      m_db->prepare("SELECT ecosystem, COUNT(DISTINCT advisory) FROM affected GROUP BY ecosystem"));
  while (KILN_TRY(e.step())) s.ecosystems[e.text(0)] = e.integer(1);
  auto src = KILN_TRY(
      m_db->prepare("SELECT location, etag, last_modified, imported_at, advisories FROM sources "
                    "ORDER BY location"));
  while (KILN_TRY(src.step()))
    s.sources.push_back({src.text(0), src.text(1), src.text(2), src.integer(3), src.integer(4)});
  return s;
}

// ---- writing ----

struct VulnDbWriter::Impl {
  std::string path, tmp;
  int lock_fd = -1;
  std::unique_ptr<sql::Db> db;
  std::optional<sql::Transaction> tx;
  std::optional<sql::Stmt> find, drop_affected, drop_advisory, insert_advisory, insert_affected;
  bool committed = false;

  ~Impl() {
    tx.reset();
    find.reset();
    drop_affected.reset();
    drop_advisory.reset();
    insert_advisory.reset();
    insert_affected.reset();
    db.reset();
    if (!committed && !tmp.empty()) unlink(tmp.c_str());
    if (lock_fd >= 0) close(lock_fd);
  }

  Status copy_current() {
    if (access(path.c_str(), F_OK) != 0) return {};
    {
      auto old = KILN_TRY(VulnDb::open(path));  // checks the schema
    }
    auto attach = KILN_TRY(db->prepare("ATTACH DATABASE ? AS old"));
    attach.bind(1, path);
    KILN_TRY(attach.run());
    for (const char* t : {"sources", "advisories", "affected"})
      KILN_TRY(db->exec(fmt::format("INSERT INTO main.{0} SELECT * FROM old.{0}", t)));
    return db->exec("DETACH DATABASE old");
  }

  Status prepare() {
    find.emplace(KILN_TRY(db->prepare("SELECT row FROM advisories WHERE id=?")));
    drop_affected.emplace(KILN_TRY(db->prepare("DELETE FROM affected WHERE advisory=?")));
    drop_advisory.emplace(KILN_TRY(db->prepare("DELETE FROM advisories WHERE row=?")));
    insert_advisory.emplace(KILN_TRY(db->prepare(
        "INSERT INTO advisories(id, source, summary, published, modified, withdrawn, url, "
        "aliases, upstream, severity, cvss_vector, score) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)")));
    insert_affected.emplace(KILN_TRY(
        db->prepare("INSERT INTO affected(advisory, ecosystem, name, ranges, versions, severity) "
                    "VALUES(?,?,?,?,?,?)")));
    return {};
  }
};

VulnDbWriter::VulnDbWriter(std::unique_ptr<Impl> impl) : m(std::move(impl)) {}
VulnDbWriter::~VulnDbWriter() = default;

Result<std::unique_ptr<VulnDbWriter>> VulnDbWriter::begin(const std::string& path) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  auto slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) KILN_TRY(os::Dir::create(path.substr(0, slash)));
  impl->lock_fd = ::open((path + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (impl->lock_fd < 0) return fail_errno(fmt::format("open {}.lock", path));
  if (flock(impl->lock_fd, LOCK_EX) != 0) return fail_errno(fmt::format("lock {}.lock", path));
  // Under the lock, a leftover .new is from a writer that died: start it afresh.
  impl->tmp = path + ".new";
  unlink(impl->tmp.c_str());
  impl->db = KILN_TRY(sql::Db::open(impl->tmp, options(sql::OpenOptions::bulk)));
  for (const char* t : k_tables) KILN_TRY(impl->db->exec(t));
  KILN_TRY(impl->copy_current());
  auto meta = KILN_TRY(impl->db->prepare("INSERT INTO meta(key, value) VALUES('schema', ?)"));
  meta.bind(1, k_schema);
  KILN_TRY(meta.run());
  impl->tx.emplace(KILN_TRY(sql::Transaction::begin(*impl->db)));
  KILN_TRY(impl->prepare());
  return std::unique_ptr<VulnDbWriter>(new VulnDbWriter(std::move(impl)));
}

Status VulnDbWriter::add(const Advisory& a, std::string_view source) {
  m->find->reset().bind(1, a.id);
  if (KILN_TRY(m->find->step())) {
    int64_t row = m->find->integer(0);
    KILN_TRY(m->drop_affected->reset().bind(1, row).run());
    KILN_TRY(m->drop_advisory->reset().bind(1, row).run());
  }
  m->find->reset();
  Severity sev = severity_of(a);
  auto& ins = m->insert_advisory->reset();
  ins.bind(1, a.id).bind(2, source).bind(3, a.summary).bind(4, a.published).bind(5, a.modified);
  ins.bind(6, a.withdrawn).bind(7, a.url).bind(8, join(a.aliases, " "));
  ins.bind(9, join(a.upstream, " ")).bind(10, sev.rating).bind(11, sev.vector);
  ins.bind(12, static_cast<int64_t>(sev.tenths));
  KILN_TRY(ins.run());
  int64_t id = m->db->last_insert_rowid();
  for (const auto& af : a.affected) {
    std::vector<std::string> versions;
    for (const auto& v : af.versions)
      if (v.find('\n') == std::string::npos) versions.push_back(v);
    auto& st = m->insert_affected->reset();
    // PyPI names are looked up in PEP 503's form, whatever the record spells.
    std::string name = af.ecosystem == "PyPI" ? pypi_normalise(af.name) : af.name;
    st.bind(1, id).bind(2, af.ecosystem).bind(3, name).bind(4, encode_ranges(af.ranges));
    st.bind(5, join(versions, "\n")).bind(6, normalise_rating(af.severity));
    KILN_TRY(st.run());
  }
  return {};
}

Status VulnDbWriter::set_source(const DbSource& s) {
  auto q = KILN_TRY(m->db->prepare(
      "INSERT OR REPLACE INTO sources(location, etag, last_modified, imported_at, advisories) "
      "VALUES(?,?,?,?,?)"));
  q.bind(1, s.location).bind(2, s.etag).bind(3, s.last_modified);
  q.bind(4, s.imported_at ? s.imported_at : now()).bind(5, s.advisories);
  return q.run();
}

Result<int64_t> VulnDbWriter::drop_source(std::string_view location) {
  auto aff = KILN_TRY(m->db->prepare(
      "DELETE FROM affected WHERE advisory IN (SELECT row FROM advisories WHERE source=?)"));
  aff.bind(1, location);
  KILN_TRY(aff.run());
  auto adv = KILN_TRY(m->db->prepare("DELETE FROM advisories WHERE source=?"));
  adv.bind(1, location);
  KILN_TRY(adv.run());
  return m->db->changes();
}

Result<std::vector<DbSource>> VulnDbWriter::sources() {
  auto q = KILN_TRY(
      m->db->prepare("SELECT location, etag, last_modified, imported_at, advisories FROM sources "
                     "ORDER BY location"));
  std::vector<DbSource> out;
  while (KILN_TRY(q.step()))
    out.push_back({q.text(0), q.text(1), q.text(2), q.integer(3), q.integer(4)});
  return out;
}

Status VulnDbWriter::commit() {
  auto meta =
      KILN_TRY(m->db->prepare("INSERT OR REPLACE INTO meta(key, value) VALUES('built_at', ?)"));
  meta.bind(1, std::to_string(now()));
  KILN_TRY(meta.run());
  KILN_TRY(m->tx->commit());
  m->tx.reset();
  m->find.reset();
  m->drop_affected.reset();
  m->drop_advisory.reset();
  m->insert_advisory.reset();
  m->insert_affected.reset();
  m->db.reset();
  // The new file is complete on disk before it takes the old one's name.
  int fd = ::open(m->tmp.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail_errno(fmt::format("open {}", m->tmp));
  int rc = fsync(fd);
  close(fd);
  if (rc != 0) return fail_errno(fmt::format("fsync {}", m->tmp));
  if (rename(m->tmp.c_str(), m->path.c_str()) != 0)
    return fail_errno(fmt::format("rename {} to {}", m->tmp, m->path));
  m->committed = true;
  auto slash = m->path.rfind('/');
  if (auto dir = os::Dir::open(slash == std::string::npos ? "." : m->path.substr(0, slash)))
    (void)dir->fsync();
  return {};
}

}  // namespace kiln::scan
