// The rpm database of an image (Fedora, RHEL and its rebuilds, openSUSE, Amazon Linux, ...),
// read with librpm (Debian package librpm9), which kiln loads with dlopen on first use so that
// nothing else pays for it. librpm reads a database from a directory, so the database file is
// written to a private temporary directory first; nothing of the image is unpacked.
// Formats: sqlite (rpmdb.sqlite, rpm >= 4.16) and BerkeleyDB (Packages, read-only) through
// librpm's backends; the ndb format (Packages.db, openSUSE and SLE), which Debian's librpm lacks,
// is read by kiln (rpm_ndb.cpp) and only its header blobs are handed to librpm.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "kiln/base/error.hpp"
#include "kiln/scan/package.hpp"

namespace kiln::scan {

// "rpmdb.sqlite", "Packages" or "Packages.db": the rpm database file names kiln reads.
bool is_rpmdb_name(std::string_view base);

// Every package in the database `content` (a file named `base`, with the sqlite write-ahead
// log `wal` when the image has one): name, version "[EPOCH:]VERSION-RELEASE", arch, license,
// and the source rpm's name and version. A database that cannot be read (no librpm, a corrupt
// file) gives a warning naming `db` and no packages.
std::vector<Package> parse_rpmdb(std::string_view content, std::string_view wal,
                                 std::string_view base, const std::string& db,
                                 std::vector<std::string>& warnings);

// One package's header blob in an ndb database, by package index.
struct NdbBlob {
  uint32_t index = 0;
  std::string_view blob;
};
// The header blobs of the ndb database `db`, in index order. A package whose blocks are damaged
// (bad magic, length or Adler-32) is left out with a line in `bad`; a damaged file header or
// slot page is Errc::corrupt, another ndb version Errc::unsupported.
Result<std::vector<NdbBlob>> ndb_blobs(std::string_view db, std::vector<std::string>& bad);

// "bash-5.2.15-3.fc39.src.rpm" -> ("bash", "5.2.15-3.fc39"); empty names when it is not one.
std::pair<std::string, std::string> split_source_rpm(std::string_view srpm);

}  // namespace kiln::scan
