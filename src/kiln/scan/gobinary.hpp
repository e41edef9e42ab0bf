// Go binaries: the build information the Go toolchain (1.18 and later) embeds in every
// executable it links, in the section `.go.buildinfo`: a 32-byte header starting with the
// magic "\xff Go buildinf:" at a 16-byte boundary, then the Go version and the module info as
// length-prefixed (uvarint) strings. The module info lists the main module ("path", "mod"),
// each dependency ("dep") and replacements ("=>"), as `go version -m` prints them.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/base/error.hpp"
#include "kiln/io/stream.hpp"
#include "kiln/scan/package.hpp"

namespace kiln::scan {

struct GoBuildInfo {
  std::string go_version;  // "go1.21.5"
  std::string modinfo;     // the lines, without the toolchain's 16-byte sentinels
};

// The build info in an ELF file's bytes; nullopt when there is none (not ELF, not Go, or a
// Go before 1.18, whose header points into the binary instead of holding the strings).
std::optional<GoBuildInfo> go_buildinfo_in(std::string_view file);

// The same, reading an ELF file from a stream (a tar entry) until the build info is found:
// at most the file, never more than 4 MB of it held at once. nullopt when the first bytes are
// not ELF's. Errors: only the stream's.
Result<std::optional<GoBuildInfo>> read_go_buildinfo(io::Reader& file);

// Go 1.13 to 1.17 wrote the header with two addresses instead of the strings: of the Go string
// values (data pointer, length) runtime.buildVersion and runtime.modinfo, in .data after the
// header, whose bytes are in .rodata before it. Read as the file streams by: every place that
// could hold those bytes (a "go1." or the module info's 16-byte start sentinel) is kept in
// part; the header, found later, and the string values after it say which one is meant; the
// program headers at the start of the file map the addresses to file offsets. Only a file
// with Go's build ID note in its first 8 kB is searched. nullopt when the file is not such an
// ELF file, has no such header, or the strings cannot be found.
class GoLegacyFinder {
 public:
  GoLegacyFinder();
  ~GoLegacyFinder();
  GoLegacyFinder(const GoLegacyFinder&) = delete;
  GoLegacyFinder& operator=(const GoLegacyFinder&) = delete;

  void feed(const char* data, size_t size);  // the next bytes of the file
  std::optional<GoBuildInfo> finish();

 private:
  struct State;
  std::unique_ptr<State> m_s;
};

std::optional<GoBuildInfo> go_legacy_buildinfo_in(std::string_view file);

// The packages a Go binary at `path` is built from, each of type "golang": the standard
// library ("stdlib", at the toolchain's version as the Go vulnerability database writes it:
// go1.21.5 -> 1.21.5, go1.22rc1 -> 1.22.0-rc.1), the main module and every dependency (a
// replaced one under its replacement's path and version).
std::vector<Package> parse_go_buildinfo(const GoBuildInfo& info, const std::string& path,
                                        std::vector<std::string>& warnings);

// The semantic version of a Go toolchain version ("go1.21.5"), "" when it is not one.
std::string go_stdlib_version(std::string_view go_version);

}  // namespace kiln::scan
