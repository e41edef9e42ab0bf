// Storage drivers for the registry server (DESIGN.md section 2: registry/server/).
//
// A driver stores opaque values under slash-separated keys ("blobs/sha256/ab/ab12...").
// Keys come from layout.hpp only, never from a client, so drivers may trust them. Every
// operation is safe to call from many threads at once. Writes that publish something are
// atomic: a reader sees the old value or the new one, never a torn one, and a crash at any
// instant leaves one of the two (put and move are the only ways to publish).
//
// Three drivers: the filesystem (the default, crash-safe, zero-copy reads through an fd), S3
// (s3_driver.hpp: object stores, several replicas over one bucket) and memory (unit tests). One
// suite in driver_test.cpp runs against all of them.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/base/error.hpp"

namespace kiln::registry::server {

struct Stat {
  int64_t size = 0;
  int64_t mtime = 0;  // seconds since the epoch
  bool dir = false;
};

// An open, immutable value. fd() is a file descriptor for sendfile(), or -1 when the driver
// has none (then read_at is the way).
class Reader {
 public:
  virtual ~Reader() = default;
  virtual int64_t size() const = 0;
  virtual int fd() const = 0;
  virtual Result<size_t> read_at(int64_t offset, std::span<char> buf) const = 0;
};

// An append-only value being written (an upload's data). Not thread-safe: one writer per key,
// which the caller arranges.
class Appender {
 public:
  virtual ~Appender() = default;
  virtual int64_t size() const = 0;
  virtual Status write(std::span<const char> data) = 0;
  // Makes what was written durable.
  virtual Status sync() = 0;
  // Makes what was written visible to stat, open and the next append, durable or not. An
  // Appender dropped without close() or sync() may keep or drop what it wrote since it was
  // opened (the filesystem keeps it, S3 drops it); truncate() rolls back either way.
  virtual Status close() { return {}; }
};

// A value written once, from start to end, that appears at its key all at once on commit();
// dropped without commit(), nothing appears. Not thread-safe.
class Writer {
 public:
  virtual ~Writer() = default;
  virtual Status write(std::span<const char> data) = 0;
  virtual Status commit() = 0;
};

class Driver {
 public:
  virtual ~Driver() = default;
  virtual std::string describe() const = 0;

  virtual Result<std::string> get(std::string_view key) const = 0;
  // Atomically creates or replaces key with data, durably.
  virtual Status put(std::string_view key, std::string_view data) = 0;
  // As put, atomic but not durable: a crash may lose it (scratch state such as upload info).
  virtual Status put_volatile(std::string_view key, std::string_view data) = 0;
  virtual Result<Stat> stat(std::string_view key) const = 0;  // not_found when absent
  // The names directly under prefix (files and directories), sorted. A missing prefix is empty.
  virtual Result<std::vector<std::string>> list(std::string_view prefix) const = 0;
  // Atomically moves a value (not a directory) to a new key, replacing what was there.
  virtual Status move(std::string_view from, std::string_view to) = 0;
  // Removes a value or a whole tree; a missing key is fine.
  virtual Status remove(std::string_view key) = 0;

  virtual Result<std::unique_ptr<Reader>> open(std::string_view key) const = 0;
  // Opens key for appending, creating it (and its parents) if missing.
  virtual Result<std::unique_ptr<Appender>> append(std::string_view key) = 0;
  // Cuts an appended value back to size bytes (an upload chunk that failed half-way).
  virtual Status truncate(std::string_view key, int64_t size) = 0;

  // A Writer straight to key, or nullptr when the driver has no cheaper way to publish a big
  // value than writing it elsewhere and moving it (then callers do that). S3 has: a multipart
  // upload at the key itself, completed at commit(), saves the server-side copy a move is.
  virtual Result<std::unique_ptr<Writer>> create(std::string_view) {
    return std::unique_ptr<Writer>();
  }
  // Drops the unfinished Writers under prefix that were started before `before` (seconds
  // since the epoch) by a process that died before commit() or its cleanup; how many.
  virtual Result<int> drop_unfinished(std::string_view, int64_t) { return 0; }

  // Bytes stored and bytes still free where the driver keeps data (free = -1 if unknown).
  struct Usage {
    int64_t free = -1;
  };
  virtual Usage usage() const = 0;

  // A URL from which a client may GET key's bytes itself for a while (S3's presigned URLs), or
  // nullopt when the driver has none.
  virtual std::optional<std::string> redirect_url(std::string_view) const { return std::nullopt; }
};

// Creates root if missing.
Result<std::unique_ptr<Driver>> filesystem_driver(const std::string& root);
std::unique_ptr<Driver> memory_driver();

}  // namespace kiln::registry::server
