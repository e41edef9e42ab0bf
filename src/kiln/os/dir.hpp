// Dir: a directory file descriptor and the *at() operations on it (DESIGN.md habit 4).
//
// Every path argument is relative to the Dir. open_in_root() resolves with
// openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), so "..", absolute names and symlinks can
// never reach outside the directory: use it for untrusted trees. The other calls resolve
// normally and are for trees kiln owns (the store). Move-only; not thread-safe to mutate, but
// concurrent *at() calls on one Dir are fine.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "kiln/base/error.hpp"
#include "kiln/base/fd.hpp"

namespace kiln::os {

class Dir {
 public:
  Dir() = default;
  Dir(Fd fd, std::string path) : m_fd(std::move(fd)), m_path(std::move(path)) {}

  // Opens an existing directory.
  static Result<Dir> open(const std::string& path);
  // Creates the directory and its parents as needed (like mkdir -p), then opens it.
  static Result<Dir> create(const std::string& path, mode_t mode = 0755);

  int fd() const { return m_fd.get(); }
  bool valid() const { return m_fd.valid(); }
  // The path this Dir was opened with, for messages only.
  const std::string& path() const { return m_path; }
  std::string child_path(std::string_view rel) const;

  Result<Dir> open_dir(std::string_view rel) const;
  // mkdirat (an existing directory is fine), then opens it.
  Result<Dir> make_dir(std::string_view rel, mode_t mode = 0755) const;
  Result<Fd> open_file(std::string_view rel, int flags, mode_t mode = 0644) const;
  // Resolves rel as if this Dir were "/" (see above).
  Result<Fd> open_in_root(std::string_view rel, int flags, mode_t mode = 0) const;

  Result<struct stat> stat(std::string_view rel, bool follow_symlinks = false) const;
  bool exists(std::string_view rel) const;
  Result<std::vector<std::string>> list() const;  // names, without "." and ".."
  Status rename(std::string_view from, const Dir& to_dir, std::string_view to) const;
  Status unlink(std::string_view rel) const;      // a file; not_found is an error
  Status remove_all(std::string_view rel) const;  // a file or a tree; missing is fine
  Status fsync() const;

 private:
  Fd m_fd;
  std::string m_path;
};

// Whole-file helpers.
Result<std::string> read_file(const std::string& path);
Result<std::string> read_file_at(const Dir& dir, std::string_view rel);
Result<std::string> read_fd(int fd);
Status write_all(int fd, const void* data, size_t size);

// Writes data to a temporary file in dir, fsyncs, and renames it over name. With
// durable=false there is no fsync: a crash may lose the update but never leaves a torn file.
Status write_file_atomic(const Dir& dir, std::string_view name, std::string_view data,
                         mode_t mode = 0644, bool durable = true);

// Writes data to dir/name (created or truncated), without fsync: for scratch files only.
Status write_file(const Dir& dir, std::string_view name, std::string_view data, mode_t mode = 0644);

// Creates an anonymous file in dir (O_TMPFILE; a named, unlinked-on-failure temp file where the
// filesystem lacks it). Publish it with TempFile::link_as.
class TempFile {
 public:
  static Result<TempFile> create(const Dir& dir, mode_t mode = 0444);
  TempFile(TempFile&&) = default;
  TempFile& operator=(TempFile&&) = default;
  ~TempFile();

  int fd() const { return m_fd.get(); }
  // fsyncs the data, then gives it the name `name` in the directory. If `name` exists already
  // the call succeeds and leaves the existing file (content-addressed names are immutable).
  Status link_as(std::string_view name);

 private:
  TempFile(const Dir* dir, Fd fd, std::string tmp_name)
      : m_dir(dir), m_fd(std::move(fd)), m_tmp_name(std::move(tmp_name)) {}
  const Dir* m_dir;
  Fd m_fd;
  std::string m_tmp_name;  // empty for O_TMPFILE
};

}  // namespace kiln::os
