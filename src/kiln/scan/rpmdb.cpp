#include "kiln/scan/rpmdb.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <rpm/header.h>
#include <rpm/rpmdb.h>
#include <rpm/rpmlib.h>
#include <rpm/rpmlog.h>
#include <rpm/rpmmacro.h>
#include <rpm/rpmts.h>

#include <fmt/format.h>

#include <mutex>
#include <optional>

#include "kiln/os/dir.hpp"
#include "kiln/os/temp_dir.hpp"

namespace kiln::scan {

namespace {

#define KILN_LIBRPM_FUNCTIONS(X) \
  X(headerFree)                  \
  X(headerGetNumber)             \
  X(headerGetString)             \
  X(headerImport)                \
  X(rpmdbFreeIterator)           \
  X(rpmdbNextIterator)           \
  X(rpmlogRecMessage)            \
  X(rpmlogSetCallback)           \
  X(rpmPopMacro)                 \
  X(rpmPushMacro)                \
  X(rpmReadConfigFiles)          \
  X(rpmtsCloseDB)                \
  X(rpmtsCreate)                 \
  X(rpmtsFree)                   \
  X(rpmtsInitIterator)           \
  X(rpmtsOpenDB)                 \
  X(rpmtsSetRootDir)             \
  X(rpmtsSetVSFlags)

struct Librpm {
#define KILN_LIBRPM_MEMBER(name) decltype(&::name) name = nullptr;
  KILN_LIBRPM_FUNCTIONS(KILN_LIBRPM_MEMBER)
#undef KILN_LIBRPM_MEMBER
};

Librpm g_rpm;
std::string g_error;
// librpm keeps its configuration (the macros naming the database) in global state: one
// database is read at a time.
std::mutex g_mutex;
// What librpm logged while the current database was read (its errors name the cause).
std::string g_log;

// Keeps librpm's messages for the warning instead of printing them to stderr.
int log_callback(rpmlogRec rec, rpmlogCallbackData) {
  const char* m = g_rpm.rpmlogRecMessage(rec);
  if (m && g_log.size() < 1000) {
    std::string_view msg(m);
    while (!msg.empty() && msg.back() == '\n') msg.remove_suffix(1);
    g_log += (g_log.empty() ? "" : "; ") + std::string(msg);
  }
  return 0;
}

void load() {
  void* h = ::dlopen("librpm.so.9", RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char* e = ::dlerror();
    g_error = std::string("cannot load librpm (Debian package librpm9): ") + (e ? e : "unknown");
    return;
  }
#define KILN_LIBRPM_LOAD(name)                                            \
  g_rpm.name = reinterpret_cast<decltype(g_rpm.name)>(::dlsym(h, #name)); \
  if (!g_rpm.name && g_error.empty()) g_error = "librpm lacks " #name;
  KILN_LIBRPM_FUNCTIONS(KILN_LIBRPM_LOAD)
#undef KILN_LIBRPM_LOAD
  if (!g_error.empty()) return;
  if (g_rpm.rpmReadConfigFiles(nullptr, nullptr) != 0)
    g_error = "librpm cannot read its configuration (Debian package rpm-common)";
}

// librpm's messages name the private copy: they are made to name the image's file instead.
std::string name_copy(std::string msg, const std::string& copy, std::string_view db) {
  std::string_view dir = db.substr(0, db.rfind('/'));
  for (auto at = msg.find(copy); at != std::string::npos; at = msg.find(copy, at + dir.size()))
    msg.replace(at, copy.size(), dir);
  return msg;
}

const char* backend_of(std::string_view base) {
  return base == "Packages" ? "bdb_ro" : "sqlite";
}

// The package a header describes; nothing for an imported signing key ("gpg-pubkey") or a
// header without a name or version.
std::optional<Package> package_of(Header h, const std::string& db) {
  auto str = [&](rpmTagVal tag) {
    const char* s = g_rpm.headerGetString(h, tag);
    return std::string(s ? s : "");
  };
  Package p;
  p.type = "rpm";
  p.db = db;
  p.name = str(RPMTAG_NAME);
  std::string version = str(RPMTAG_VERSION), release = str(RPMTAG_RELEASE);
  if (p.name == "gpg-pubkey" || p.name.empty() || version.empty()) return std::nullopt;
  // As rpm -q shows it with %{EVR}: no epoch when there is none (rpm orders that as 0).
  uint64_t epoch = g_rpm.headerGetNumber(h, RPMTAG_EPOCH);
  std::string e = epoch ? fmt::format("{}:", epoch) : "";
  p.version = e + version + (release.empty() ? "" : "-" + release);
  p.arch = str(RPMTAG_ARCH);
  p.license = str(RPMTAG_LICENSE);
  auto [sname, sversion] = split_source_rpm(str(RPMTAG_SOURCERPM));
  p.source_name = sname.empty() ? p.name : sname;
  // A source rpm's file name has no epoch; its packages share the binary's.
  p.source_version = sname.empty() ? p.version : e + sversion;
  return p;
}

// An ndb database (rpm_ndb.cpp): kiln finds the header blobs, librpm reads each.
std::vector<Package> parse_ndb(std::string_view content, const std::string& db,
                               std::vector<std::string>& warnings) {
  std::vector<Package> out;
  std::vector<std::string> bad;
  auto blobs = ndb_blobs(content, bad);
  for (const auto& b : bad)
    warnings.push_back(fmt::format("{}: damaged rpm database entry, left out: {}", db, b));
  if (!blobs) {
    warnings.push_back(
        fmt::format("{}: cannot read the rpm database: {}", db, blobs.error().message()));
    return out;
  }
  for (const auto& b : *blobs) {
    // HEADERIMPORT_COPY: librpm checks the blob's structure and keeps its own copy.
    Header h = g_rpm.headerImport(const_cast<char*>(b.blob.data()),
                                  static_cast<unsigned int>(b.blob.size()), HEADERIMPORT_COPY);
    if (!h) {
      warnings.push_back(fmt::format(
          "{}: damaged rpm database entry, left out: package {}: not an rpm header", db, b.index));
      continue;
    }
    if (auto p = package_of(h, db)) out.push_back(std::move(*p));
    g_rpm.headerFree(h);
  }
  return out;
}

}  // namespace

bool is_rpmdb_name(std::string_view base) {
  return base == "rpmdb.sqlite" || base == "Packages" || base == "Packages.db";
}

std::pair<std::string, std::string> split_source_rpm(std::string_view srpm) {
  if (!srpm.ends_with(".src.rpm") && !srpm.ends_with(".nosrc.rpm")) return {};
  srpm = srpm.substr(0, srpm.rfind(".", srpm.size() - 5));  // drop ".src.rpm"
  auto rel = srpm.rfind('-');
  if (rel == std::string_view::npos || rel == 0) return {};
  auto ver = srpm.rfind('-', rel - 1);
  if (ver == std::string_view::npos || ver == 0) return {};
  return {std::string(srpm.substr(0, ver)), std::string(srpm.substr(ver + 1))};
}

std::vector<Package> parse_rpmdb(std::string_view content, std::string_view wal,
                                 std::string_view base, const std::string& db,
                                 std::vector<std::string>& warnings) {
  std::vector<Package> out;
  auto warn = [&](std::string_view why) {
    warnings.push_back(fmt::format("{}: cannot read the rpm database: {}", db, why));
  };
  std::lock_guard lock(g_mutex);
  static std::once_flag once;
  std::call_once(once, load);
  if (!g_error.empty()) {
    warn(g_error);
    return out;
  }
  if (base == "Packages.db") return parse_ndb(content, db, warnings);
  auto tmp = os::TempDir::create("kiln-rpmdb");
  if (!tmp) {
    warn(tmp.error().message());
    return out;
  }
  auto dir = os::Dir::open(tmp->path());
  Status wrote =
      dir ? os::write_file(*dir, base, content, 0600) : Status(std::unexpected(dir.error()));
  if (wrote && !wal.empty()) wrote = os::write_file(*dir, std::string(base) + "-wal", wal, 0600);
  if (!wrote) {
    warn(wrote.error().message());
    return out;
  }

  g_log.clear();
  g_rpm.rpmlogSetCallback(log_callback, nullptr);
  g_rpm.rpmPushMacro(nullptr, "_dbpath", nullptr, tmp->path().c_str(), RMIL_CMDLINE);
  g_rpm.rpmPushMacro(nullptr, "_db_backend", nullptr, backend_of(base), RMIL_CMDLINE);
  rpmts ts = g_rpm.rpmtsCreate();
  g_rpm.rpmtsSetRootDir(ts, "/");
  g_rpm.rpmtsSetVSFlags(ts, RPMVSF_MASK_NODIGESTS | RPMVSF_MASK_NOSIGNATURES);
  if (g_rpm.rpmtsOpenDB(ts, O_RDONLY) != 0) {
    warn(g_log.empty() ? "librpm could not open it (corrupt?)" : name_copy(g_log, tmp->path(), db));
  } else {
    rpmdbMatchIterator mi = g_rpm.rpmtsInitIterator(ts, RPMDBI_PACKAGES, nullptr, 0);
    while (Header h = mi ? g_rpm.rpmdbNextIterator(mi) : nullptr)
      if (auto p = package_of(h, db)) out.push_back(std::move(*p));
    if (mi) g_rpm.rpmdbFreeIterator(mi);
    g_rpm.rpmtsCloseDB(ts);
  }
  g_rpm.rpmtsFree(ts);
  g_rpm.rpmPopMacro(nullptr, "_db_backend");
  g_rpm.rpmPopMacro(nullptr, "_dbpath");
  g_rpm.rpmlogSetCallback(nullptr, nullptr);
  return out;
}

}  // namespace kiln::scan
