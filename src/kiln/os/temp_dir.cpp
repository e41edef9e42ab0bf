#include "kiln/os/temp_dir.hpp"

#include <stdlib.h>

#include <cstdlib>

namespace kiln::os {

Result<TempDir> TempDir::create(std::string_view prefix, std::string parent) {
  if (parent.empty()) {
    const char* t = std::getenv("TMPDIR");
    parent = t && *t ? t : "/tmp";
  }
  std::string tmpl = fmt::format("{}/{}.XXXXXX", parent, prefix);
  if (!mkdtemp(tmpl.data()))
    return fail_errno(fmt::format("create temporary directory in {}", parent));
  return TempDir(tmpl);
}

TempDir::~TempDir() {
  if (m_path.empty()) return;
  size_t slash = m_path.rfind('/');
  auto parent = Dir::open(slash == 0 ? "/" : m_path.substr(0, slash));
  if (parent) (void)parent->remove_all(m_path.substr(slash + 1));
}

}  // namespace kiln::os
