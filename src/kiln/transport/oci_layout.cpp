#include "kiln/transport/oci_layout.hpp"

#include "kiln/transport/json_codec.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <set>

#include "kiln/image/copy.hpp"
#include "kiln/oci/codec.hpp"
#include "kiln/oci/media_types.hpp"
#include "kiln/oci/reference.hpp"
#include "kiln/os/dir.hpp"
#include "kiln/transport/archive_sink.hpp"
#include "kiln/transport/out_file.hpp"
#include "kiln/transport/tar_out.hpp"

namespace kiln::transport {

std::string blob_path(const Digest& d) {
  return fmt::format("blobs/{}/{}", d.algorithm(), d.hex());
}

namespace {

constexpr std::string_view k_layout_file = R"({"imageLayoutVersion":"1.0.0"})";

Status check_layout_version(std::string_view raw, std::string_view where) {
  auto v = KILN_TRY(parse_layout_version(raw, where));
  if (!v.starts_with("1.0."))
    return failf(Errc::unsupported, "{}: imageLayoutVersion {} is not supported (kiln reads 1.0.x)",
                 where, v);
  return {};
}

}  // namespace

Result<std::vector<oci::Descriptor>> layout_entries(FileSet& files) {
  auto where = files.describe();
  if (!files.exists("oci-layout"))
    return failf(Errc::invalid_argument, "{}: not an OCI image layout (no oci-layout file)", where);
  KILN_TRY(check_layout_version(KILN_TRY(files.read("oci-layout", 1 << 16)), where));
  auto raw = KILN_TRY(files.read("index.json", image::k_max_manifest_bytes));
  auto x = KILN_TRY_CTX(oci::parse_index(raw), fmt::format("{}: index.json", where));
  return x.manifests;
}

Result<oci::Descriptor> pick_entry(const std::vector<oci::Descriptor>& entries,
                                   std::string_view ref, std::string_view where) {
  if (ref.empty()) {
    if (entries.size() == 1) return entries.front();
    return failf(Errc::invalid_argument, "{} holds {} images; name one as {}:REF", where,
                 entries.size(), where);
  }
  const oci::Descriptor* found = nullptr;
  for (const auto& d : entries) {
    auto it = d.annotations.find(std::string(k_ref_name));
    if (it == d.annotations.end() || it->second != ref) continue;
    if (found && found->digest != d.digest)
      return failf(Errc::conflict, "{}: two different images are named \"{}\"", where, ref);
    found = &d;
  }
  if (!found) return failf(Errc::not_found, "{}: no image named \"{}\"", where, ref);
  return *found;
}

std::vector<std::string> entry_names(const oci::Descriptor& d) {
  for (auto key : {k_containerd_name, k_ref_name}) {
    auto it = d.annotations.find(std::string(key));
    if (it == d.annotations.end()) continue;
    if (key == k_ref_name && it->second.find_first_of(":/") == std::string::npos) continue;
    auto r = oci::Reference::parse(it->second);
    if (r && !r->tag.empty()) return {r->str()};
  }
  return {};
}

namespace {

class LayoutSource final : public image::Source {
 public:
  LayoutSource(std::shared_ptr<FileSet> files, oci::Descriptor entry, std::string describe)
      : m_files(std::move(files)), m_entry(std::move(entry)), m_describe(std::move(describe)) {}
  std::string describe() const override { return m_describe; }
  Result<image::Document> root() override {
    auto raw = KILN_TRY(image::read_blob(*this, m_entry, image::k_max_manifest_bytes));
    std::string mt = m_entry.media_type.empty() ? oci::sniff_media_type(raw) : m_entry.media_type;
    return image::Document{std::move(raw), mt, m_entry.digest};
  }
  Result<std::unique_ptr<io::Reader>> open_blob(const oci::Descriptor& d) override {
    return m_files->open(blob_path(d.digest));
  }
  std::vector<std::string> names() override { return entry_names(m_entry); }
  bool concurrent() const override { return true; }  // open and pread on a shared FileSet

 private:
  std::shared_ptr<FileSet> m_files;
  oci::Descriptor m_entry;
  std::string m_describe;
};

// The index.json a layout sink writes: entries kept from before plus the committed roots.
class LayoutIndex {
 public:
  // Without REF, each full name becomes an entry annotated as Docker 25 does.
  Status add(const image::Document& root, const std::string& ref,
             const std::vector<std::string>& names) {
    if (!ref.empty() || names.empty()) {
      add(root, ref);
      return {};
    }
    for (const auto& n : names) {
      auto r = KILN_TRY(oci::Reference::parse(n));
      if (r.tag.empty()) continue;
      oci::Descriptor d = descriptor(root);
      d.annotations[std::string(k_containerd_name)] = r.str();
      d.annotations[std::string(k_ref_name)] = r.tag;
      std::erase_if(m_index.manifests, [&](const oci::Descriptor& e) {
        auto it = e.annotations.find(std::string(k_containerd_name));
        return it != e.annotations.end() && it->second == r.str();
      });
      m_index.manifests.push_back(std::move(d));
    }
    return {};
  }
  static oci::Descriptor descriptor(const image::Document& root) {
    oci::Descriptor d;
    d.media_type = root.media_type;
    d.digest = root.digest;
    d.size = static_cast<int64_t>(root.raw.size());
    return d;
  }
  void add(const image::Document& root, const std::string& ref) {
    oci::Descriptor d;
    d.media_type = root.media_type;
    d.digest = root.digest;
    d.size = static_cast<int64_t>(root.raw.size());
    if (!ref.empty()) {
      std::erase_if(m_index.manifests, [&](const oci::Descriptor& e) {
        auto it = e.annotations.find(std::string(k_ref_name));
        return it != e.annotations.end() && it->second == ref;
      });
      d.annotations[std::string(k_ref_name)] = ref;
    } else {
      for (const auto& e : m_index.manifests)
        if (e.digest == d.digest && e.annotations.empty()) return;
    }
    m_index.manifests.push_back(std::move(d));
  }
  std::string json() {
    m_index.media_type = oci::mt::oci_index;
    return oci::serialize(m_index);
  }
  oci::Index& index() { return m_index; }

 private:
  oci::Index m_index;
};

class LayoutDirSink final : public image::Sink {
 public:
  LayoutDirSink(std::unique_ptr<os::Dir> root, std::unique_ptr<os::Dir> blobs, std::string ref)
      : m_root(std::move(root)), m_blobs(std::move(blobs)), m_ref(std::move(ref)) {}
  std::string describe() const override { return "oci:" + m_root->path(); }
  bool accepts_index() const override { return true; }
  Result<std::optional<int64_t>> find_blob(const oci::Descriptor& d) override {
    struct stat st {};
    auto it = m_pending.find(d.digest);
    if (it != m_pending.end()) {
      if (::fstat(it->second.fd(), &st) != 0) return fail_errno("stat a temporary blob");
      return static_cast<int64_t>(st.st_size);
    }
    auto s = m_blobs->stat(d.digest.hex(), true);
    if (!s)
      return s.error().code() == Errc::not_found ? Result<std::optional<int64_t>>(std::nullopt)
                                                 : std::unexpected(s.error());
    return static_cast<int64_t>(s->st_size);
  }
  Status put_blob(const oci::Descriptor& d, io::Reader& data) override {
    auto tmp = KILN_TRY(os::TempFile::create(*m_blobs, 0644));
    io::FdWriter w(tmp.fd());
    KILN_TRY(io::copy(data, w));
    m_pending.emplace(d.digest, std::move(tmp));
    return {};
  }
  Status put_image(const image::ImageInfo&) override { return {}; }
  Status commit(const image::Document& root, const std::vector<std::string>& names) override {
    for (auto& [digest, tmp] : m_pending) KILN_TRY(tmp.link_as(digest.hex()));
    m_pending.clear();
    LayoutIndex index;
    if (m_root->exists("index.json")) {
      auto raw = KILN_TRY(os::read_file_at(*m_root, "index.json"));
      index.index() = KILN_TRY_CTX(oci::parse_index(raw), m_root->child_path("index.json"));
    }
    KILN_TRY(index.add(root, m_ref, names));
    if (!m_root->exists("oci-layout"))
      KILN_TRY(os::write_file_atomic(*m_root, "oci-layout", k_layout_file));
    return os::write_file_atomic(*m_root, "index.json", index.json());
  }

 private:
  std::unique_ptr<os::Dir> m_root, m_blobs;
  std::string m_ref;
  std::map<Digest, os::TempFile> m_pending;
};

class LayoutArchiveSink final : public ArchiveSink {
 public:
  LayoutArchiveSink(OutFile out, std::string ref, std::string temp_dir)
      : ArchiveSink(std::move(out), std::move(temp_dir)), m_ref(std::move(ref)) {}
  Status start() {
    KILN_TRY(m_tar.add_file("oci-layout", k_layout_file));
    return ArchiveSink::start();
  }
  std::string describe() const override { return "oci-archive:" + m_out.path(); }
  bool accepts_index() const override { return true; }
  Status put_image(const image::ImageInfo&) override { return {}; }
  Status commit(const image::Document& root, const std::vector<std::string>& names) override {
    return m_index.add(root, m_ref, names);
  }
  Status finish() override { return close({{"index.json", m_index.json()}}); }

 private:
  std::string m_ref;
  LayoutIndex m_index;
};

}  // namespace

std::unique_ptr<image::Source> layout_source(std::shared_ptr<FileSet> files, oci::Descriptor entry,
                                             std::string describe) {
  return std::make_unique<LayoutSource>(std::move(files), std::move(entry), std::move(describe));
}

Result<std::unique_ptr<image::Sink>> layout_dir_sink(const std::string& dir, std::string ref) {
  auto root = std::make_unique<os::Dir>(KILN_TRY(os::Dir::create(dir)));
  if (root->exists("oci-layout"))
    KILN_TRY(check_layout_version(KILN_TRY(os::read_file_at(*root, "oci-layout")), dir));
  auto b = KILN_TRY(root->make_dir("blobs"));
  auto sha = std::make_unique<os::Dir>(KILN_TRY(b.make_dir("sha256")));
  return std::unique_ptr<image::Sink>(
      new LayoutDirSink(std::move(root), std::move(sha), std::move(ref)));
}

Result<std::unique_ptr<image::Sink>> layout_archive_sink(const std::string& file, std::string ref,
                                                         std::string temp_dir) {
  auto out = KILN_TRY(OutFile::create(file));
  auto s = std::make_unique<LayoutArchiveSink>(std::move(out), std::move(ref), std::move(temp_dir));
  KILN_TRY_CTX(s->start(), file);
  return std::unique_ptr<image::Sink>(std::move(s));
}

}  // namespace kiln::transport
