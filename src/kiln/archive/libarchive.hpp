// libarchive, loaded with dlopen on first use (as net/ loads libcurl): its dependencies
// (libxml2, ICU, the shared libstdc++, nettle, ...) would otherwise be mapped and relocated at
// every kiln start, which commands that never read a tar (a cached build, `kiln version`) pay.
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include "kiln/base/error.hpp"

namespace kiln::archive {

#define KILN_LIBARCHIVE_FUNCTIONS(X)       \
  X(archive_entry_filetype)                \
  X(archive_entry_free)                    \
  X(archive_entry_gid)                     \
  X(archive_entry_gname)                   \
  X(archive_entry_hardlink)                \
  X(archive_entry_mtime)                   \
  X(archive_entry_mtime_nsec)              \
  X(archive_entry_new)                     \
  X(archive_entry_pathname)                \
  X(archive_entry_perm)                    \
  X(archive_entry_rdevmajor)               \
  X(archive_entry_rdevminor)               \
  X(archive_entry_set_filetype)            \
  X(archive_entry_set_gid)                 \
  X(archive_entry_set_gname)               \
  X(archive_entry_set_hardlink)            \
  X(archive_entry_set_mtime)               \
  X(archive_entry_set_pathname)            \
  X(archive_entry_set_perm)                \
  X(archive_entry_set_rdevmajor)           \
  X(archive_entry_set_rdevminor)           \
  X(archive_entry_set_size)                \
  X(archive_entry_set_symlink)             \
  X(archive_entry_set_uid)                 \
  X(archive_entry_set_uname)               \
  X(archive_entry_size)                    \
  X(archive_entry_sparse_count)            \
  X(archive_entry_symlink)                 \
  X(archive_entry_uid)                     \
  X(archive_entry_uname)                   \
  X(archive_entry_xattr_add_entry)         \
  X(archive_entry_xattr_next)              \
  X(archive_entry_xattr_reset)             \
  X(archive_error_string)                  \
  X(archive_read_data)                     \
  X(archive_read_free)                     \
  X(archive_read_new)                      \
  X(archive_read_next_header)              \
  X(archive_read_open)                     \
  X(archive_read_support_filter_all)       \
  X(archive_read_support_format_empty)     \
  X(archive_read_support_format_tar)       \
  X(archive_read_support_format_zip)       \
  X(archive_set_error)                     \
  X(archive_write_close)                   \
  X(archive_write_data)                    \
  X(archive_write_free)                    \
  X(archive_write_header)                  \
  X(archive_write_new)                     \
  X(archive_write_open)                    \
  X(archive_write_set_bytes_in_last_block) \
  X(archive_write_set_bytes_per_block)     \
  X(archive_write_set_format_option)       \
  X(archive_write_set_format_pax_restricted)

struct Libarchive {
#define KILN_LIBARCHIVE_DECLARE(name) decltype(&::name) name = nullptr;
  KILN_LIBARCHIVE_FUNCTIONS(KILN_LIBARCHIVE_DECLARE)
#undef KILN_LIBARCHIVE_DECLARE
};

// Loads the library once (thread-safe); an error names what is missing.
Result<const Libarchive*> load_libarchive();
// The loaded table; only after load_libarchive() succeeded.
const Libarchive& la();

}  // namespace kiln::archive
