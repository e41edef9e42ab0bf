#include "kiln/sql/sqlite.hpp"

#include <unistd.h>

#include <sqlite3.h>

namespace kiln::sql {

namespace {

std::unexpected<Error> sql_error(sqlite3* db, int rc, std::string_view what,
                                 std::string_view label) {
  Errc code = Errc::io;
  int primary = rc & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
    code = Errc::conflict;
  else if (primary == SQLITE_FULL)
    code = Errc::no_space;
  else if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB)
    code = Errc::corrupt;
  else if (primary == SQLITE_READONLY || primary == SQLITE_PERM || primary == SQLITE_CANTOPEN)
    code = Errc::permission_denied;
  else if (primary == SQLITE_CONSTRAINT)
    code = Errc::conflict;
  return failf(code, "{}: {}: {}", label, what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

}  // namespace

Stmt::~Stmt() {
  if (m_s) sqlite3_finalize(m_s);
}

Stmt& Stmt::bind(int i, std::string_view v) {
  sqlite3_bind_text(m_s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}

Stmt& Stmt::bind(int i, int64_t v) {
  sqlite3_bind_int64(m_s, i, v);
  return *this;
}

Stmt& Stmt::bind_null(int i) {
  sqlite3_bind_null(m_s, i);
  return *this;
}

Result<bool> Stmt::step() {
  int rc = sqlite3_step(m_s);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return sql_error(m_db, rc, sqlite3_sql(m_s), *m_label);
}

Status Stmt::run() {
  while (KILN_TRY(step())) {
  }
  return {};
}

Stmt& Stmt::reset() {
  sqlite3_reset(m_s);
  sqlite3_clear_bindings(m_s);
  return *this;
}

std::string Stmt::text(int col) const {
  const unsigned char* t = sqlite3_column_text(m_s, col);
  return t ? reinterpret_cast<const char*>(t) : "";
}

int64_t Stmt::integer(int col) const {
  return sqlite3_column_int64(m_s, col);
}
bool Stmt::is_null(int col) const {
  return sqlite3_column_type(m_s, col) == SQLITE_NULL;
}

Result<std::unique_ptr<Db>> Db::open(const std::string& path, const OpenOptions& o) {
  sqlite3* db = nullptr;
  int flags = o.mode == OpenOptions::read_only ? SQLITE_OPEN_READONLY
                                               : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    auto err = sql_error(db, rc, "open " + path, o.label);
    sqlite3_close(db);
    return err;
  }
  sqlite3_busy_timeout(db, 60000);
  auto out = std::unique_ptr<Db>(new Db(db, o.label));
  if (o.mode == OpenOptions::read_only) return out;
  if (o.mode == OpenOptions::bulk) {
    KILN_TRY(out->exec("PRAGMA journal_mode=OFF"));
    KILN_TRY(out->exec("PRAGMA synchronous=OFF"));
    return out;
  }
  // WAL mode is persistent in the file: set it once, on a new database.
  // Switching a new database to WAL needs an exclusive lock, for which SQLite's busy handler
  // does not wait: when several processes open a new store at once, retry for up to 60 s.
  for (int attempt = 0;; ++attempt) {
    bool wal = false;
    {
      auto mode = KILN_TRY(out->prepare("PRAGMA journal_mode"));
      wal = KILN_TRY(mode.step()) && mode.text(0) == "wal";
    }
    if (wal) break;
    auto set = out->exec("PRAGMA journal_mode=WAL");
    if (set) break;
    if (attempt >= 6000 || set.error().message().find("locked") == std::string::npos)
      return std::unexpected(set.error());
    usleep(10000);
  }
  // NORMAL in WAL mode: commits do not wait for the disk; a crash of kiln loses nothing, a
  // power loss may lose the newest transactions but never corrupts the database (blobs are
  // fsynced before they are linked, so a lost record only leaves a blob for gc).
  KILN_TRY(out->exec("PRAGMA synchronous=NORMAL"));
  KILN_TRY(out->exec("PRAGMA foreign_keys=ON"));
  // The last connection to close would checkpoint (and fsync) the WAL: leave that to SQLite's
  // automatic checkpoints, so that a short kiln command does not wait for the disk at exit.
  sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  // Every command that opens the store first reads the whole WAL back (the wal-index is
  // rebuilt by the first connection). A small WAL keeps that cheap: checkpoint after 64 pages,
  // and cut the file back afterwards.
  KILN_TRY(out->exec("PRAGMA wal_autocheckpoint=64"));
  KILN_TRY(out->exec("PRAGMA journal_size_limit=1048576"));
  return out;
}

Db::~Db() {
  sqlite3_close(m_db);
}

Result<Stmt> Db::prepare(std::string_view sql) {
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v2(m_db, sql.data(), static_cast<int>(sql.size()), &s, nullptr);
  if (rc != SQLITE_OK) return sql_error(m_db, rc, sql, m_label);
  return Stmt(m_db, s, &m_label);
}

Status Db::exec(std::string_view sql) {
  std::string s(sql);
  int rc = sqlite3_exec(m_db, s.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return sql_error(m_db, rc, sql, m_label);
  return {};
}

int64_t Db::changes() const {
  return sqlite3_changes64(m_db);
}

int64_t Db::last_insert_rowid() const {
  return sqlite3_last_insert_rowid(m_db);
}

Result<Transaction> Transaction::begin(Db& db) {
  KILN_TRY(db.exec("BEGIN IMMEDIATE"));
  return Transaction(&db);
}

Transaction::~Transaction() {
  if (m_db) (void)m_db->exec("ROLLBACK");
}

Status Transaction::commit() {
  Db* db = std::exchange(m_db, nullptr);
  auto st = db->exec("COMMIT");
  if (!st) (void)db->exec("ROLLBACK");
  return st;
}

}  // namespace kiln::sql
