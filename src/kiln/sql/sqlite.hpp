// A thin RAII wrapper over SQLite (the one file that knows sqlite3.h is
// sqlite.cpp). Errors become kiln::Error; SQLITE_BUSY/LOCKED map to Errc::conflict.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "kiln/base/error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace kiln::sql {

class Stmt {
 public:
  Stmt(sqlite3* db, sqlite3_stmt* s, const std::string* label) : m_db(db), m_s(s), m_label(label) {}
  Stmt(Stmt&& o) noexcept : m_db(o.m_db), m_s(std::exchange(o.m_s, nullptr)), m_label(o.m_label) {}
  Stmt(const Stmt&) = delete;
  ~Stmt();

  Stmt& bind(int i, std::string_view v);
  Stmt& bind(int i, int64_t v);
  Stmt& bind_null(int i);
  // Steps once: true when a row is available.
  Result<bool> step();
  // Steps to completion (for statements without rows).
  Status run();
  // Makes the statement ready to run again with new bindings.
  Stmt& reset();
  std::string text(int col) const;
  int64_t integer(int col) const;
  bool is_null(int col) const;

 private:
  sqlite3* m_db;
  sqlite3_stmt* m_s;
  const std::string* m_label;
};

struct OpenOptions {
  // Names the database in error messages ("store metadata: ...").
  std::string label = "store metadata";
  enum Mode {
    wal,        // created if missing, WAL journal (the store's metadata)
    read_only,  // an existing file, never written
    bulk,       // created if missing; no journal, no syncs: a file built whole and then
                // published by rename (the caller fsyncs it), such as the advisory index
  } mode = wal;
};

class Db {
 public:
  static Result<std::unique_ptr<Db>> open(const std::string& path, const OpenOptions& o = {});
  ~Db();
  Result<Stmt> prepare(std::string_view sql);
  Status exec(std::string_view sql);
  int64_t changes() const;
  // The rowid of the last row this connection inserted.
  int64_t last_insert_rowid() const;

 private:
  Db(sqlite3* db, std::string label) : m_db(db), m_label(std::move(label)) {}
  sqlite3* m_db;
  std::string m_label;
};

// BEGIN IMMEDIATE ... COMMIT; rolls back when destroyed without commit().
class Transaction {
 public:
  static Result<Transaction> begin(Db& db);
  Transaction(Transaction&& o) noexcept : m_db(std::exchange(o.m_db, nullptr)) {}
  ~Transaction();
  Status commit();

 private:
  explicit Transaction(Db* db) : m_db(db) {}
  Db* m_db;
};

}  // namespace kiln::sql
