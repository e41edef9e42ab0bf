// Java archives (.jar, .war, .ear and Jenkins' .jpi/.hpi): zip files read front to back from a
// stream (a tar entry), never unpacked. Each `META-INF/maven/GROUP/ARTIFACT/pom.properties`
// names an artifact built into the archive (a shaded jar has several); an archive without one
// is named by its MANIFEST.MF (Implementation-* or Bundle-* headers) or, failing that, by its
// file name (`name-1.2.3.jar`). Archives inside it (Spring Boot's BOOT-INF/lib, a war's
// WEB-INF/lib, an ear's modules) are read the same way, two levels deep.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "kiln/base/error.hpp"
#include "kiln/io/stream.hpp"
#include "kiln/scan/package.hpp"

namespace kiln::scan {

struct JavaArtifact {
  std::string group, artifact, version;
  // Where it was found: "/app.jar", or "/app.jar!/BOOT-INF/lib/x.jar" for a nested archive.
  std::string path;
};

// What a hostile archive may cost before the reader stops (with a warning).
struct JavaLimits {
  int64_t max_bytes = int64_t{1} << 30;  // decompressed bytes read, nested archives included
  int64_t max_members = 200000;          // zip members, nested archives included
  int max_depth = 2;                     // levels of archives inside the archive
};

bool is_java_archive(std::string_view path);

// The artifacts of the archive at `path` read from `file`. What is not a readable zip (or
// exceeds the limits) is a warning naming the archive, and what was read before stays.
// Errors: only `file`'s own (the layer stream is broken).
Result<std::vector<JavaArtifact>> read_java_archive(io::Reader& file, const std::string& path,
                                                    std::vector<std::string>& warnings,
                                                    const JavaLimits& limits = {});

// Packages of type "maven" named "GROUP:ARTIFACT" (as the OSV Maven ecosystem names them;
// just "ARTIFACT" when no group is known), `db` the archive they were found in.
std::vector<Package> java_packages(const std::vector<JavaArtifact>& artifacts);

// One artifact per line, tab-separated, for the catalog's file map; and back.
std::string encode_java_artifacts(const std::vector<JavaArtifact>& artifacts);
std::vector<JavaArtifact> decode_java_artifacts(std::string_view text);

}  // namespace kiln::scan
