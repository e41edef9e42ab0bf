// TempDir: creates a fresh directory (mkdtemp) and removes it, recursively, on destruction.
#pragma once

#include <string>

#include "kiln/base/error.hpp"
#include "kiln/os/dir.hpp"

namespace kiln::os {

class TempDir {
 public:
  // parent defaults to $TMPDIR or /tmp.
  static Result<TempDir> create(std::string_view prefix = "kiln", std::string parent = "");
  TempDir(TempDir&& o) noexcept : m_path(std::exchange(o.m_path, "")) {}
  TempDir(const TempDir&) = delete;
  ~TempDir();
  const std::string& path() const { return m_path; }
  // Keeps the directory: the caller takes it over.
  std::string release() { return std::exchange(m_path, ""); }
  std::string operator/(std::string_view rel) const { return m_path + "/" + std::string(rel); }

 private:
  explicit TempDir(std::string path) : m_path(std::move(path)) {}
  std::string m_path;
};

}  // namespace kiln::os
