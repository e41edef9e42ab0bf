#include "kiln/store/metadata.hpp"

#include <signal.h>

#include <random>

namespace kiln::store {

namespace {

constexpr std::string_view k_schema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS images(
  manifest_digest TEXT PRIMARY KEY,
  media_type TEXT NOT NULL,
  config_digest TEXT NOT NULL,
  size INTEGER NOT NULL,
  stored_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS images_config ON images(config_digest);
CREATE TABLE IF NOT EXISTS image_blobs(
  manifest_digest TEXT NOT NULL REFERENCES images(manifest_digest) ON DELETE CASCADE,
  blob_digest TEXT NOT NULL,
  PRIMARY KEY(manifest_digest, blob_digest));
CREATE INDEX IF NOT EXISTS image_blobs_blob ON image_blobs(blob_digest);
CREATE TABLE IF NOT EXISTS names(
  name TEXT PRIMARY KEY,
  manifest_digest TEXT NOT NULL REFERENCES images(manifest_digest) ON DELETE CASCADE);
CREATE INDEX IF NOT EXISTS names_digest ON names(manifest_digest);
CREATE TABLE IF NOT EXISTS layers(
  digest TEXT PRIMARY KEY,
  diff_id TEXT NOT NULL,
  media_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  uncompressed_size INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS layers_diff_id ON layers(diff_id);
CREATE TABLE IF NOT EXISTS leases(
  id TEXT PRIMARY KEY, pid INTEGER NOT NULL, created INTEGER NOT NULL, expires INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS lease_blobs(
  lease_id TEXT NOT NULL REFERENCES leases(id) ON DELETE CASCADE,
  digest TEXT NOT NULL,
  PRIMARY KEY(lease_id, digest));
CREATE TABLE IF NOT EXISTS unpacked(
  chain_id TEXT PRIMARY KEY, path TEXT NOT NULL, size INTEGER NOT NULL, last_used INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS index_children(
  index_digest TEXT NOT NULL REFERENCES images(manifest_digest) ON DELETE CASCADE,
  child_digest TEXT NOT NULL,
  PRIMARY KEY(index_digest, child_digest));
CREATE INDEX IF NOT EXISTS index_children_child ON index_children(child_digest);
CREATE TABLE IF NOT EXISTS layer_content(diff_id TEXT PRIMARY KEY, size INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS build_cache(
  key TEXT PRIMARY KEY, layer_digest TEXT NOT NULL, created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS build_sources(
  config_digest TEXT PRIMARY KEY, locations TEXT NOT NULL);
INSERT OR IGNORE INTO meta(key, value) VALUES('schema_version', '1');
)sql";

// Raised whenever k_schema gains a table or index.
constexpr int k_schema_level = 5;

Result<Digest> column_digest(const Stmt& s, int col) {
  return with_context(Digest::parse(s.text(col)), "store metadata");
}

}  // namespace

Result<std::unique_ptr<Metadata>> Metadata::open(const std::string& path) {
  auto db = KILN_TRY(Db::open(path));
  // user_version k_schema_level marks a database whose schema is complete: then opening needs
  // no write transaction.
  {
    auto v = KILN_TRY(db->prepare("PRAGMA user_version"));
    if (KILN_TRY(v.step()) && v.integer(0) >= k_schema_level)
      return std::unique_ptr<Metadata>(new Metadata(std::move(db)));
  }
  auto tx = KILN_TRY(Transaction::begin(*db));
  KILN_TRY(db->exec(k_schema));
  KILN_TRY(db->exec(fmt::format("PRAGMA user_version={}", k_schema_level)));
  auto q = KILN_TRY(db->prepare("SELECT value FROM meta WHERE key='schema_version'"));
  if (KILN_TRY(q.step()) && q.text(0) != "1")
    return failf(Errc::unsupported, "store metadata {}: schema version {} is newer than this kiln",
                 path, q.text(0));
  KILN_TRY(tx.commit());
  return std::unique_ptr<Metadata>(new Metadata(std::move(db)));
}

Result<bool> Metadata::recorded_as(const NewImage& img) {
  if (!img.children.empty()) return false;
  {
    auto s = KILN_TRY(m_db->prepare(
        "SELECT count(*) FROM images WHERE manifest_digest = ?1 AND media_type = ?2 AND "
        "config_digest = ?3"));
    s.bind(1, img.manifest_digest.str()).bind(2, img.media_type).bind(3, img.config_digest.str());
    if (!KILN_TRY(s.step()) || s.integer(0) != 1) return false;
  }
  {
    auto s = KILN_TRY(m_db->prepare(
        "SELECT count(*) FROM image_blobs WHERE manifest_digest = ? AND blob_digest = ?"));
    for (const auto& b : img.blobs) {
      s.reset().bind(1, img.manifest_digest.str()).bind(2, b.str());
      if (!KILN_TRY(s.step()) || s.integer(0) != 1) return false;
    }
  }
  {
    auto s =
        KILN_TRY(m_db->prepare("SELECT count(*) FROM layers WHERE digest = ? AND diff_id = ? AND "
                               "media_type = ? AND size = ? AND uncompressed_size >= ?"));
    for (const auto& l : img.layers) {
      s.reset()
          .bind(1, l.digest.str())
          .bind(2, l.diff_id.str())
          .bind(3, l.media_type)
          .bind(4, l.size)
          .bind(5, l.uncompressed_size);
      if (!KILN_TRY(s.step()) || s.integer(0) != 1) return false;
    }
  }
  for (const auto& n : img.names) {
    auto d = KILN_TRY(lookup_name(n));
    if (!d || *d != img.manifest_digest) return false;
  }
  return true;
}

Status Metadata::put_image(const NewImage& img, int64_t now, const std::function<Status()>& check) {
  // Read first: an image recorded exactly so already needs no write transaction (and no WAL
  // growth, no checkpoint): the common case of a rebuild from the cache. Its blobs are safe
  // from gc because the image record itself references them.
  if (KILN_TRY(recorded_as(img))) return {};
  auto tx = KILN_TRY(Transaction::begin(*m_db));
  KILN_TRY(check());
  int64_t size = 0;
  for (const auto& l : img.layers)
    size += l.content_size >= 0        ? l.content_size
            : l.uncompressed_size >= 0 ? l.uncompressed_size
                                       : l.size;
  if (!img.children.empty()) {
    // An index is as large as its images together.
    auto s = KILN_TRY(m_db->prepare("SELECT size FROM images WHERE manifest_digest = ?"));
    for (const auto& c : img.children) {
      s.reset().bind(1, c.str());
      if (!KILN_TRY(s.step()))
        return failf(Errc::internal, "store index {}: its image {} is not stored",
                     img.manifest_digest, c);
      size += s.integer(0);
    }
  }
  {
    auto s = KILN_TRY(m_db->prepare(
        "INSERT INTO images(manifest_digest, media_type, config_digest, size, stored_at) "
        "VALUES(?,?,?,?,?) ON CONFLICT(manifest_digest) DO NOTHING"));
    KILN_TRY(s.bind(1, img.manifest_digest.str())
                 .bind(2, img.media_type)
                 .bind(3, img.config_digest.str())
                 .bind(4, size)
                 .bind(5, now)
                 .run());
  }
  auto blob = KILN_TRY(
      m_db->prepare("INSERT OR IGNORE INTO image_blobs(manifest_digest, blob_digest) VALUES(?,?)"));
  for (const auto& b : img.blobs)
    KILN_TRY(blob.reset().bind(1, img.manifest_digest.str()).bind(2, b.str()).run());
  auto layer = KILN_TRY(
      m_db->prepare("INSERT INTO layers(digest, diff_id, media_type, size, uncompressed_size) "
                    "VALUES(?,?,?,?,?) ON CONFLICT(digest) DO UPDATE SET uncompressed_size = "
                    "max(uncompressed_size, excluded.uncompressed_size)"));
  for (const auto& l : img.layers) {
    KILN_TRY(layer.reset()
                 .bind(1, l.digest.str())
                 .bind(2, l.diff_id.str())
                 .bind(3, l.media_type)
                 .bind(4, l.size)
                 .bind(5, l.uncompressed_size)
                 .run());
    KILN_TRY(put_content_size(l));
  }
  auto child = KILN_TRY(m_db->prepare(
      "INSERT OR IGNORE INTO index_children(index_digest, child_digest) VALUES(?,?)"));
  for (const auto& c : img.children)
    KILN_TRY(child.reset().bind(1, img.manifest_digest.str()).bind(2, c.str()).run());
  for (const auto& n : img.names) KILN_TRY(set_name(n, img.manifest_digest));
  return tx.commit();
}

Result<std::vector<ImageRecord>> Metadata::query_images(std::string_view where,
                                                        std::string_view arg) {
  std::string sql =
      "SELECT i.manifest_digest, i.media_type, i.config_digest, i.size, i.stored_at, "
      "(SELECT group_concat(name, char(10)) FROM (SELECT name FROM names n WHERE "
      "n.manifest_digest = i.manifest_digest ORDER BY name)), "
      "EXISTS(SELECT 1 FROM index_children c WHERE c.child_digest = i.manifest_digest) "
      "FROM images i ";
  sql += where;
  sql += " ORDER BY i.stored_at DESC, i.manifest_digest";
  auto s = KILN_TRY(m_db->prepare(sql));
  if (!arg.empty()) s.bind(1, arg);
  std::vector<ImageRecord> out;
  while (KILN_TRY(s.step())) {
    ImageRecord r;
    r.manifest_digest = KILN_TRY(column_digest(s, 0));
    r.media_type = s.text(1);
    r.config_digest = KILN_TRY(column_digest(s, 2));
    r.size = s.integer(3);
    r.stored_at = s.integer(4);
    r.in_index = s.integer(6) != 0;
    std::string names = s.text(5);
    size_t start = 0;
    while (!names.empty() && start <= names.size()) {
      size_t nl = names.find('\n', start);
      r.names.push_back(names.substr(start, nl == std::string::npos ? nl : nl - start));
      if (nl == std::string::npos) break;
      start = nl + 1;
    }
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::optional<ImageRecord>> Metadata::image(const Digest& d) {
  auto v = KILN_TRY(query_images("WHERE i.manifest_digest = ?1", d.str()));
  if (v.empty()) return std::optional<ImageRecord>();
  return std::optional(std::move(v.front()));
}

Result<std::vector<ImageRecord>> Metadata::images() {
  return query_images("", "");
}

Result<std::vector<ImageRecord>> Metadata::images_by_id_prefix(std::string_view hex_prefix) {
  std::string pattern = "sha256:" + std::string(hex_prefix) + "%";
  return query_images("WHERE i.config_digest LIKE ?1 OR i.manifest_digest LIKE ?1", pattern);
}

Result<std::optional<Digest>> Metadata::lookup_name(std::string_view name) {
  auto s = KILN_TRY(m_db->prepare("SELECT manifest_digest FROM names WHERE name = ?"));
  s.bind(1, name);
  if (!KILN_TRY(s.step())) return std::optional<Digest>();
  return std::optional(KILN_TRY(column_digest(s, 0)));
}

Status Metadata::set_name(std::string_view name, const Digest& d) {
  auto s = KILN_TRY(
      m_db->prepare("INSERT INTO names(name, manifest_digest) VALUES(?,?) "
                    "ON CONFLICT(name) DO UPDATE SET manifest_digest = excluded.manifest_digest"));
  return s.bind(1, name).bind(2, d.str()).run();
}

Result<bool> Metadata::remove_name(std::string_view name) {
  auto s = KILN_TRY(m_db->prepare("DELETE FROM names WHERE name = ?"));
  KILN_TRY(s.bind(1, name).run());
  return m_db->changes() > 0;
}

Status Metadata::delete_image(const Digest& d) {
  auto tx = KILN_TRY(Transaction::begin(*m_db));
  std::vector<std::string> children;
  {
    auto c =
        KILN_TRY(m_db->prepare("SELECT child_digest FROM index_children WHERE index_digest = ?"));
    c.bind(1, d.str());
    while (KILN_TRY(c.step())) children.push_back(c.text(0));
  }
  auto s = KILN_TRY(m_db->prepare("DELETE FROM images WHERE manifest_digest = ?"));
  KILN_TRY(s.bind(1, d.str()).run());
  // An index's images go with it, unless they have a name or another index of their own.
  auto orphan = KILN_TRY(
      m_db->prepare("DELETE FROM images WHERE manifest_digest = ?1 "
                    "AND NOT EXISTS(SELECT 1 FROM names WHERE manifest_digest = ?1) "
                    "AND NOT EXISTS(SELECT 1 FROM index_children WHERE child_digest = ?1)"));
  for (const auto& c : children) KILN_TRY(orphan.reset().bind(1, c).run());
  return tx.commit();
}

Result<std::optional<LayerRecord>> Metadata::layer(const Digest& d) {
  auto s =
      KILN_TRY(m_db->prepare("SELECT layers.diff_id, media_type, layers.size, uncompressed_size, "
                             "coalesce(layer_content.size, -1) FROM layers LEFT JOIN layer_content "
                             "ON layer_content.diff_id = layers.diff_id WHERE digest = ?"));
  s.bind(1, d.str());
  if (!KILN_TRY(s.step())) return std::optional<LayerRecord>();
  LayerRecord r;
  r.digest = d;
  r.diff_id = KILN_TRY(column_digest(s, 0));
  r.media_type = s.text(1);
  r.size = s.integer(2);
  r.uncompressed_size = s.integer(3);
  r.content_size = s.integer(4);
  return std::optional(r);
}

Result<std::vector<Digest>> Metadata::image_blobs(const Digest& d) {
  auto s = KILN_TRY(
      m_db->prepare("SELECT blob_digest FROM image_blobs WHERE manifest_digest = ? ORDER BY 1"));
  s.bind(1, d.str());
  std::vector<Digest> out;
  while (KILN_TRY(s.step())) out.push_back(KILN_TRY(column_digest(s, 0)));
  return out;
}

Status Metadata::record_lease(std::string_view id, bool create, int64_t pid, int64_t now,
                              int64_t ttl, const std::vector<Digest>& blobs) {
  auto tx = KILN_TRY(Transaction::begin(*m_db));
  if (create) {
    auto s =
        KILN_TRY(m_db->prepare("INSERT INTO leases(id, pid, created, expires) VALUES(?,?,?,?)"));
    KILN_TRY(s.bind(1, id).bind(2, pid).bind(3, now).bind(4, now + ttl).run());
  }
  auto s =
      KILN_TRY(m_db->prepare("INSERT OR IGNORE INTO lease_blobs(lease_id, digest) VALUES(?,?)"));
  for (const auto& d : blobs) KILN_TRY(s.reset().bind(1, id).bind(2, d.str()).run());
  return tx.commit();
}

Status Metadata::delete_lease(std::string_view lease) {
  auto s = KILN_TRY(m_db->prepare("DELETE FROM leases WHERE id = ?"));
  return s.bind(1, lease).run();
}

Result<int64_t> Metadata::expire_leases(int64_t now) {
  auto s = KILN_TRY(m_db->prepare("SELECT id, pid, expires FROM leases"));
  std::vector<std::string> dead;
  while (KILN_TRY(s.step())) {
    auto pid = static_cast<pid_t>(s.integer(1));
    bool alive = ::kill(pid, 0) == 0 || errno == EPERM;
    if (!alive || s.integer(2) < now) dead.push_back(s.text(0));
  }
  for (const auto& id : dead) KILN_TRY(delete_lease(id));
  return static_cast<int64_t>(dead.size());
}

Result<std::set<std::string>> Metadata::live_blobs() {
  std::set<std::string> live;
  auto s = KILN_TRY(
      m_db->prepare("SELECT blob_digest FROM image_blobs UNION SELECT digest FROM lease_blobs "
                    "UNION SELECT layer_digest FROM build_cache WHERE layer_digest != ''"));
  while (KILN_TRY(s.step())) live.insert(s.text(0));
  return live;
}

Status Metadata::prune_layers(const std::set<std::string>& live) {
  auto s = KILN_TRY(m_db->prepare("SELECT digest FROM layers"));
  std::vector<std::string> dead;
  while (KILN_TRY(s.step()))
    if (!live.contains(s.text(0))) dead.push_back(s.text(0));
  auto del = KILN_TRY(m_db->prepare("DELETE FROM layers WHERE digest = ?"));
  for (const auto& d : dead) KILN_TRY(del.reset().bind(1, d).run());
  return {};
}

Status Metadata::put_unpacked(const UnpackedLayer& u) {
  auto s = KILN_TRY(
      m_db->prepare("INSERT INTO unpacked(chain_id, path, size, last_used) VALUES(?,?,?,?) "
                    "ON CONFLICT(chain_id) DO UPDATE SET path=excluded.path, size=excluded.size, "
                    "last_used=excluded.last_used"));
  return s.bind(1, u.chain_id).bind(2, u.path).bind(3, u.size).bind(4, u.last_used).run();
}

Result<std::optional<UnpackedLayer>> Metadata::unpacked(std::string_view chain_id) {
  auto s = KILN_TRY(m_db->prepare("SELECT path, size, last_used FROM unpacked WHERE chain_id = ?"));
  s.bind(1, chain_id);
  if (!KILN_TRY(s.step())) return std::optional<UnpackedLayer>();
  return std::optional(UnpackedLayer{std::string(chain_id), s.text(0), s.integer(1), s.integer(2)});
}

Result<std::vector<UnpackedLayer>> Metadata::unpacked_all() {
  auto s = KILN_TRY(m_db->prepare("SELECT chain_id, path, size, last_used FROM unpacked"));
  std::vector<UnpackedLayer> out;
  while (KILN_TRY(s.step())) out.push_back({s.text(0), s.text(1), s.integer(2), s.integer(3)});
  return out;
}

Result<std::set<std::string>> Metadata::live_diff_ids() {
  std::set<std::string> live;
  auto s = KILN_TRY(m_db->prepare(
      "SELECT diff_id FROM layers WHERE digest IN (SELECT blob_digest FROM image_blobs)"));
  while (KILN_TRY(s.step())) live.insert(s.text(0));
  return live;
}

Status Metadata::put_cache(const CacheEntry& c) {
  auto s =
      KILN_TRY(m_db->prepare("INSERT INTO build_cache(key, layer_digest, created) VALUES(?,?,?) "
                             "ON CONFLICT(key) DO UPDATE SET layer_digest=excluded.layer_digest, "
                             "created=excluded.created"));
  return s.bind(1, c.key).bind(2, c.layer_digest).bind(3, c.created).run();
}

Status Metadata::put_build_sources(const Digest& config,
                                   const std::vector<std::string>& locations) {
  std::string joined;
  for (const auto& l : locations) joined += l + "\n";
  // A rebuild from the cache gives the same image: no write when the row is already so.
  if (auto have = KILN_TRY(build_sources(config)); have == locations) return {};
  auto s = KILN_TRY(
      m_db->prepare("INSERT OR REPLACE INTO build_sources(config_digest, locations) VALUES(?,?)"));
  return s.bind(1, config.str()).bind(2, joined).run();
}

Result<std::vector<std::string>> Metadata::build_sources(const Digest& config) {
  auto s = KILN_TRY(m_db->prepare("SELECT locations FROM build_sources WHERE config_digest = ?"));
  s.bind(1, config.str());
  std::vector<std::string> out;
  if (!KILN_TRY(s.step())) return out;
  std::string text = s.text(0);
  for (size_t start = 0; start < text.size();) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

Status Metadata::prune_build_sources() {
  auto s = KILN_TRY(m_db->prepare(
      "DELETE FROM build_sources WHERE config_digest NOT IN (SELECT config_digest FROM images)"));
  return s.run();
}

Status Metadata::put_layer(const LayerRecord& l) {
  auto s = KILN_TRY(
      m_db->prepare("INSERT INTO layers(digest, diff_id, media_type, size, uncompressed_size) "
                    "VALUES(?,?,?,?,?) ON CONFLICT(digest) DO NOTHING"));
  KILN_TRY(s.bind(1, l.digest.str())
               .bind(2, l.diff_id.str())
               .bind(3, l.media_type)
               .bind(4, l.size)
               .bind(5, l.uncompressed_size)
               .run());
  return put_content_size(l);
}

Status Metadata::put_content_size(const LayerRecord& l) {
  if (l.content_size < 0) return {};
  auto s =
      KILN_TRY(m_db->prepare("INSERT OR IGNORE INTO layer_content(diff_id, size) VALUES(?,?)"));
  return s.bind(1, l.diff_id.str()).bind(2, l.content_size).run();
}

Status Metadata::clear_cache() {
  auto s = KILN_TRY(m_db->prepare("DELETE FROM build_cache"));
  return s.run();
}

Result<std::optional<CacheEntry>> Metadata::cache(std::string_view key) {
  auto s = KILN_TRY(m_db->prepare("SELECT layer_digest, created FROM build_cache WHERE key = ?"));
  s.bind(1, key);
  if (!KILN_TRY(s.step())) return std::optional<CacheEntry>();
  return std::optional(CacheEntry{std::string(key), s.text(0), s.integer(1)});
}

Result<std::vector<CacheEntry>> Metadata::cache_entries() {
  auto s = KILN_TRY(m_db->prepare("SELECT key, layer_digest, created FROM build_cache"));
  std::vector<CacheEntry> out;
  while (KILN_TRY(s.step())) out.push_back({s.text(0), s.text(1), s.integer(2)});
  return out;
}

Status Metadata::delete_unpacked(std::string_view chain_id) {
  auto s = KILN_TRY(m_db->prepare("DELETE FROM unpacked WHERE chain_id = ?"));
  return s.bind(1, chain_id).run();
}

}  // namespace kiln::store
