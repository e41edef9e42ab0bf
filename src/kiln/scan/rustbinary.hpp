// Rust binaries built with `cargo auditable`: the dependency tree as zlib-compressed JSON in
// the ELF section `.dep-v0` ({"packages":[{"name","version","source","kind","dependencies",
// "root"}]}, the schema at rustsec.org/schemas/cargo-auditable.json).
//
// Layers are streamed, so a binary is read once from start to end. The section headers that
// say where `.dep-v0` is are usually at the end of the file, after the section itself, so the
// finder does not wait for them: every place where a zlib stream could start is inflated on the
// fly and dropped as soon as its first bytes are not the audit JSON; at the end, the section
// table (captured when its offset is reached) and the section names (from the 1 MB kept before the
// table, where linkers put them, or captured when they come later) decide which of the surviving
// streams is the section. Memory: the window (1 MB), the section table and the JSON.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/io/stream.hpp"
#include "kiln/scan/package.hpp"

namespace kiln::scan {

class RustAuditFinder {
 public:
  RustAuditFinder();
  ~RustAuditFinder();
  RustAuditFinder(const RustAuditFinder&) = delete;
  RustAuditFinder& operator=(const RustAuditFinder&) = delete;

  // The next bytes of the file.
  void feed(const char* data, size_t size);
  // The decompressed JSON of the `.dep-v0` section, once the whole file has been fed; nullopt
  // when the file is not ELF, has no such section, or its content is not a zlib stream of the
  // audit JSON.
  std::optional<std::string> finish();

 private:
  struct State;
  std::unique_ptr<State> m_s;
};

// The same over a whole file in memory.
std::optional<std::string> rust_audit_in(std::string_view file);

// The packages of the audit JSON: every crate linked into the binary at `path` (kind
// "runtime"; build-time dependencies such as proc macros are left out), of type "cargo", with
// the crate's source in Package::origin ("crates.io", "registry", "git", "local"). A document
// that does not parse gives a warning and no packages.
std::vector<Package> parse_rust_audit(std::string_view json, const std::string& path,
                                      std::vector<std::string>& warnings);

}  // namespace kiln::scan
