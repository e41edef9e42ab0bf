// Byte streams. Reader::read returns 0 only at end of stream. Writer::close flushes anything
// buffered (compressors write their trailer) and must be called before the result is used;
// a Writer destroyed without close() discards its pending state. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "kiln/base/error.hpp"
#include "kiln/digest/digest.hpp"

namespace kiln::io {

class Reader {
 public:
  virtual ~Reader() = default;
  virtual Result<size_t> read(void* buf, size_t size) = 0;
};

class Writer {
 public:
  virtual ~Writer() = default;
  virtual Status write(const void* buf, size_t size) = 0;
  Status write(std::string_view s) { return write(s.data(), s.size()); }
  virtual Status close() { return {}; }
};

// Reads from / writes to a file descriptor it does not own.
class FdReader final : public Reader {
 public:
  explicit FdReader(int fd) : m_fd(fd) {}
  Result<size_t> read(void* buf, size_t size) override;

 private:
  int m_fd;
};

class FdWriter final : public Writer {
 public:
  explicit FdWriter(int fd) : m_fd(fd) {}
  Status write(const void* buf, size_t size) override;

 private:
  int m_fd;
};

class StringReader final : public Reader {
 public:
  explicit StringReader(std::string data) : m_data(std::move(data)) {}
  Result<size_t> read(void* buf, size_t size) override;

 private:
  std::string m_data;
  size_t m_pos = 0;
};

class StringWriter final : public Writer {
 public:
  Status write(const void* buf, size_t size) override;
  const std::string& data() const { return m_data; }
  std::string take() { return std::move(m_data); }

 private:
  std::string m_data;
};

// Passes bytes through to `next` (may be null: a sink) and hashes and counts them.
class HashingWriter final : public Writer {
 public:
  explicit HashingWriter(Writer* next) : m_next(next) {}
  void set_next(Writer* next) { m_next = next; }
  Status write(const void* buf, size_t size) override;
  Status close() override { return m_next ? m_next->close() : Status{}; }
  int64_t size() const { return m_size; }
  Digest digest() { return m_hash.finish(); }  // once, after the last write

 private:
  Writer* m_next;
  Sha256 m_hash;
  int64_t m_size = 0;
};

// Hashes and counts what is read through it.
class HashingReader final : public Reader {
 public:
  explicit HashingReader(Reader& src) : m_src(src) {}
  Result<size_t> read(void* buf, size_t size) override;
  int64_t size() const { return m_size; }
  Digest digest() { return m_hash.finish(); }

 private:
  Reader& m_src;
  Sha256 m_hash;
  int64_t m_size = 0;
};

// Verifies a stream against a descriptor while it is read (DESIGN.md habit 2): more bytes than
// `size` fail at once, and the end of stream fails unless both size and digest match. The
// error is Errc::corrupt and names `what`. size < 0 means "unknown size".
class VerifyingReader final : public Reader {
 public:
  VerifyingReader(Reader& src, Digest want, int64_t size, std::string what)
      : m_src(src), m_want(std::move(want)), m_size(size), m_what(std::move(what)) {}
  Result<size_t> read(void* buf, size_t size) override;

 private:
  Reader& m_src;
  Digest m_want;
  int64_t m_size;
  std::string m_what;
  Sha256 m_hash;
  int64_t m_seen = 0;
  bool m_done = false;
};

// Fails with Errc::invalid_argument once more than `limit` bytes have been read.
class LimitReader final : public Reader {
 public:
  LimitReader(Reader& src, int64_t limit, std::string what)
      : m_src(src), m_limit(limit), m_what(std::move(what)) {}
  Result<size_t> read(void* buf, size_t size) override;

 private:
  Reader& m_src;
  int64_t m_limit;
  std::string m_what;
  int64_t m_seen = 0;
};

// Every byte read from `src` is also written to `side`.
class TeeReader final : public Reader {
 public:
  TeeReader(Reader& src, Writer& side) : m_src(src), m_side(side) {}
  Result<size_t> read(void* buf, size_t size) override;

 private:
  Reader& m_src;
  Writer& m_side;
};

// Writes every byte to both writers.
class TeeWriter final : public Writer {
 public:
  TeeWriter(Writer& a, Writer& b) : m_a(a), m_b(b) {}
  Status write(const void* buf, size_t size) override {
    KILN_TRY(m_a.write(buf, size));
    return m_b.write(buf, size);
  }

 private:
  Writer& m_a;
  Writer& m_b;
};

// Lets a caller look at the first bytes of a stream before consuming it.
class PeekReader final : public Reader {
 public:
  explicit PeekReader(Reader& src) : m_src(src) {}
  // Returns up to n bytes from the start without consuming them (fewer at end of stream).
  Result<std::string_view> peek(size_t n);
  Result<size_t> read(void* buf, size_t size) override;

 private:
  Reader& m_src;
  std::string m_buf;
  size_t m_pos = 0;
};

// Copies src to dst until end of stream; returns the byte count. Does not close dst.
Result<int64_t> copy(Reader& src, Writer& dst);
// The same, with reading and writing on two threads (a ring of 1 MiB buffers between them):
// for long streams whose reading (hashing, decompressing) and writing both cost. src is used
// only by the calling thread, dst only by the other.
Result<int64_t> copy_pipelined(Reader& src, Writer& dst);
// Reads src to its end, discarding the bytes; returns how many there were.
Result<int64_t> drain(Reader& src);
// Reads everything, up to `limit` bytes (invalid_argument past it).
Result<std::string> read_all(Reader& src, int64_t limit);
// Reads the first `max` bytes (fewer at the end of src); the rest stays unread.
Result<std::string> read_prefix(Reader& src, int64_t max);

}  // namespace kiln::io
