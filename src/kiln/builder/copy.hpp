// COPY and ADD into a step's root filesystem (a Dir of the mounted tree), with BuildKit's
// semantics: a directory source copies its contents; a file goes to DEST/<name> when DEST ends
// in "/" or is an existing directory or there are several sources, else to DEST itself;
// missing parents of DEST are created (root's, or --chown's); --chown owner and --chmod mode
// apply to every copied entry; without --chown, files from the context become 0:0 and files
// from another stage or image keep their uid and gid; times are kept. ADD of a local tar
// archive (any compression libarchive reads) extracts it into DEST, whatever DEST's spelling. Every
// destination path is resolved inside the root, so symlinks in the image cannot redirect a write to
// the host.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kiln/builder/sources.hpp"
#include "kiln/dockerfile/ast.hpp"

namespace kiln::builder {

struct CopySpec {
  std::string dest;                  // absolute, as written (a trailing "/" means a directory)
  bool dest_is_dir = false;          // trailing slash, several sources, or a wildcard
  std::optional<uint32_t> uid, gid;  // --chown, resolved; root when absent (but keep_owner)
  bool keep_owner = false;           // COPY --from without --chown: files keep uid and gid
  std::optional<uint32_t> mode;      // --chmod
  bool parents = false;              // --parents: keep the source's path below DEST
  bool unpack = false;               // ADD: local tar archives are extracted
  dockerfile::IgnoreMatcher excludes;
};

// Copies `rels` (from SourceTree::expand) of `src` into `root`.
Status copy_sources(const SourceTree& src, const std::vector<std::string>& rels,
                    const os::Dir& root, const CopySpec& spec);
// Writes heredoc sources (COPY <<EOF /dest) as files.
Status copy_heredocs(const std::vector<dockerfile::Heredoc>& docs, const os::Dir& root,
                     const CopySpec& spec);

// Resolves --chown "user[:group]" against the root's /etc/passwd and /etc/group.
Result<std::pair<uint32_t, uint32_t>> resolve_chown(const os::Dir& root, std::string_view chown);

// mkdir -p of an absolute path inside root; created directories get mode 0755 and uid/gid.
Result<os::Dir> make_dirs(const os::Dir& root, std::string_view path, uint32_t uid, uint32_t gid);

}  // namespace kiln::builder
