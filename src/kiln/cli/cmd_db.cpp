// kiln db import SOURCE... | kiln db update | kiln db status: the advisory database.
#include <fcntl.h>
#include <unistd.h>

#include <ctime>

#include "kiln/base/fd.hpp"
#include "kiln/cli/scan_common.hpp"
#include "kiln/io/stream.hpp"
#include "kiln/net/http.hpp"
#include "kiln/scan/db_import.hpp"
#include "kiln/scan/report_json.hpp"

namespace kiln::cli {

namespace {

struct DbArgs {
  std::vector<std::string> sources;
  std::string db, format = "table";
  bool insecure = false;
};

bool is_url(std::string_view s) {
  return s.starts_with("http://") || s.starts_with("https://");
}

std::string absolute(const std::string& p) {
  if (p.starts_with("/")) return p;
  char buf[4096];
  if (!getcwd(buf, sizeof buf)) return p;
  return std::string(buf) + "/" + p;
}

void print_warnings(const std::vector<std::string>& w) {
  size_t shown = std::min<size_t>(w.size(), 20);
  for (size_t i = 0; i < shown; ++i) fmt::print(stderr, "warning: {}\n", w[i]);
  if (w.size() > shown) fmt::print(stderr, "warning: ... and {} more skipped\n", w.size() - shown);
}

// A URL source: fetched into a file beside the database (the writer's lock is held), with the
// validators of the last import so that an unchanged source answers 304.
struct Fetched {
  bool changed = true;
  std::string file, etag, last_modified;
};

Result<Fetched> fetch(const std::string& url, const scan::DbSource* prev, const std::string& db,
                      bool insecure) {
  net::preload();
  Fetched out;
  out.file = db + ".download";
  Fd fd(::open(out.file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd.valid()) return fail_errno(fmt::format("create {}", out.file));
  io::FdWriter sink(fd.get());
  net::ClientOptions co;
  co.tls_verify = !insecure;
  net::Client client(co);
  net::Request req;
  req.url = url;
  req.sink = &sink;
  if (prev && !prev->etag.empty()) req.headers.list.emplace_back("If-None-Match", prev->etag);
  if (prev && !prev->last_modified.empty())
    req.headers.list.emplace_back("If-Modified-Since", prev->last_modified);
  auto res = KILN_TRY(client.perform(req));
  if (res.status == 304) {
    out.changed = false;
    return out;
  }
  if (res.status < 200 || res.status >= 300)
    return failf(res.status == 404 ? Errc::not_found : Errc::io, "GET {}: HTTP {}", url,
                 res.status);
  out.etag = res.headers.get("ETag").value_or("");
  out.last_modified = res.headers.get("Last-Modified").value_or("");
  return out;
}

struct Outcome {
  std::string location;
  bool changed = true;
  int64_t advisories = 0, dropped = 0;
};

Result<Outcome> import_one(scan::VulnDbWriter& w, const std::string& given, const std::string& db,
                           bool insecure) {
  Outcome o;
  o.location = is_url(given) ? given : absolute(given);
  const scan::DbSource* prev = nullptr;
  auto sources = KILN_TRY(w.sources());
  for (const auto& s : sources)
    if (s.location == o.location) prev = &s;
  std::string path = o.location;
  scan::DbSource rec{o.location, "", "", 0, 0};
  std::optional<Fetched> got;
  if (is_url(given)) {
    got = KILN_TRY(fetch(given, prev, db, insecure));
    if (!got->changed) {
      unlink(got->file.c_str());
      rec = *prev;
      rec.imported_at = static_cast<int64_t>(std::time(nullptr));
      KILN_TRY(w.set_source(rec));
      o.changed = false;
      o.advisories = prev->advisories;
      return o;
    }
    path = got->file;
    rec.etag = got->etag;
    rec.last_modified = got->last_modified;
  }
  o.dropped = KILN_TRY(w.drop_source(o.location));
  scan::ImportOptions io;
  if (stderr_is_terminal())
    io.on_progress = [&](int64_t n) { fmt::print(stderr, "\r{}: {} advisories", given, n); };
  auto stats = import_osv(w, path, o.location, io);
  if (got) unlink(got->file.c_str());
  if (io.on_progress) fmt::print(stderr, "\r\033[K");
  if (!stats) return std::unexpected(stats.error());
  print_warnings(stats->warnings);
  rec.advisories = stats->advisories;
  KILN_TRY(w.set_source(rec));
  o.advisories = stats->advisories;
  return o;
}

Status run_import(Context& ctx, const DbArgs& a, bool update) {
  std::string db = vulndb_location(ctx, a.db);
  auto w = KILN_TRY(scan::VulnDbWriter::begin(db));
  // `import` reads what it is given; `update` every source recorded so far.
  std::vector<std::string> locations = a.sources;
  if (update) {
    for (const auto& s : KILN_TRY(w->sources())) locations.push_back(s.location);
    if (locations.empty())
      return failf(Errc::not_found,
                   "db update: no sources recorded in {} (add one with `kiln db import URL`)", db);
  }
  for (const auto& s : locations) {
    auto o = KILN_TRY_CTX(import_one(*w, s, db, a.insecure), fmt::format("db import {}", s));
    if (!o.changed)
      fmt::print(stderr, "{}: unchanged ({} advisories)\n", o.location, o.advisories);
    else
      fmt::print(stderr, "{}: {} advisories\n", o.location, o.advisories);
  }
  KILN_TRY(w->commit());
  return {};
}

std::string age(int64_t t) {
  if (t <= 0) return "never";
  int64_t d = static_cast<int64_t>(std::time(nullptr)) - t;
  if (d < 120) return fmt::format("{} seconds ago", std::max<int64_t>(d, 0));
  if (d < 7200) return fmt::format("{} minutes ago", d / 60);
  if (d < 172800) return fmt::format("{} hours ago", d / 3600);
  return fmt::format("{} days ago", d / 86400);
}

Status run_status(Context& ctx, const DbArgs& a) {
  if (a.format != "table" && a.format != "json")
    return failf(Errc::invalid_argument, "db status: unknown --format \"{}\" (want table or json)",
                 a.format);
  std::string path = vulndb_location(ctx, a.db);
  auto db = KILN_TRY(scan::VulnDb::open(path));
  auto s = KILN_TRY(db->status());
  s.path = path;
  if (a.format == "json") {
    fmt::print("{}", scan::db_status_json(s));
    return {};
  }
  fmt::print("Database:   {}\nBuilt:      {}\nAdvisories: {} ({} withdrawn), {} packages\n", path,
             age(s.built_at), s.advisories, s.withdrawn, s.packages);
  std::vector<std::vector<std::string>> rows{{"SOURCE", "ADVISORIES", "UPDATED"}};
  for (const auto& src : s.sources)
    rows.push_back({src.location, std::to_string(src.advisories), age(src.imported_at)});
  print_table(rows);
  std::vector<std::vector<std::string>> eco{{"ECOSYSTEM", "ADVISORIES"}};
  for (const auto& [e, n] : s.ecosystems) eco.push_back({e, std::to_string(n)});
  fmt::print("\n");
  print_table(eco);
  return {};
}

}  // namespace

void add_db(CLI::App& app, Context& ctx) {
  auto* db = app.add_subcommand("db", "Manage the vulnerability database `kiln scan` uses");
  db->require_subcommand(1);
  auto a = std::make_shared<DbArgs>();
  auto* imp = db->add_subcommand(
      "import", "Load OSV advisories from files, directories, archives (.zip, .tar.gz) or URLs");
  imp->add_option("source", a->sources, "OSV JSON file, directory, archive or http(s) URL")
      ->required();
  auto* upd = db->add_subcommand(
      "update", "Fetch every recorded source again (conditional GET: unchanged ones are kept)");
  auto* st = db->add_subcommand("status", "Show the database's sources, counts and age");
  st->add_option("--format", a->format, "table (default) or json");
  for (auto* c : {imp, upd, st})
    c->add_option("--db", a->db,
                  "The database file (default: $KILN_VULN_DB or "
                  "<root>/vulndb/advisories.db)");
  for (auto* c : {imp, upd})
    c->add_flag("--insecure", a->insecure, "Do not verify TLS certificates of URL sources");
  imp->callback([&ctx, a] {
    if (auto s = run_import(ctx, *a, false); !s) ctx.report(s.error());
  });
  upd->callback([&ctx, a] {
    if (auto s = run_import(ctx, *a, true); !s) ctx.report(s.error());
  });
  st->callback([&ctx, a] {
    if (auto s = run_status(ctx, *a); !s) ctx.report(s.error());
  });
}

}  // namespace kiln::cli
