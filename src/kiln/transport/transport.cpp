#include "kiln/transport/transport.hpp"

#include "kiln/oci/reference.hpp"
#include "kiln/transport/docker_archive.hpp"
#include "kiln/transport/oci_layout.hpp"
#include "kiln/transport/registry_transport.hpp"
#include "kiln/transport/store_transport.hpp"

namespace kiln::transport {

std::string_view kind_name(Kind k) {
  switch (k) {
    case Kind::store:
      return "kiln";
    case Kind::oci:
      return "oci";
    case Kind::oci_archive:
      return "oci-archive";
    case Kind::docker_archive:
      return "docker-archive";
    case Kind::registry:
      return "docker";
  }
  return "?";
}

std::string Location::str() const {
  if (kind == Kind::store) return "kiln://" + path;
  if (kind == Kind::registry) return "docker://" + path;
  return fmt::format("{}:{}{}{}", kind_name(kind), path, ref.empty() ? "" : ":", ref);
}

Result<Location> parse_location(std::string_view s) {
  Location at;
  if (s.starts_with("kiln://"))
    s.remove_prefix(7);
  else if (s.starts_with("docker://")) {
    at.kind = Kind::registry;
    at.path = std::string(s.substr(9));
    if (at.path.empty()) return failf(Errc::invalid_argument, "{}: no reference given", s);
    return at;
  }
  for (Kind k : {Kind::oci_archive, Kind::docker_archive, Kind::oci}) {
    std::string prefix = fmt::format("{}:", kind_name(k));
    if (!s.starts_with(prefix)) continue;
    auto rest = s.substr(prefix.size());
    auto colon = rest.find(':');
    at.kind = k;
    at.path = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) at.ref = std::string(rest.substr(colon + 1));
    if (at.path.empty()) return failf(Errc::invalid_argument, "{}: no path given", s);
    return at;
  }
  if (s.empty()) return fail(Errc::invalid_argument, "empty image location");
  at.path = std::string(s);
  return at;
}

namespace {

Result<std::shared_ptr<FileSet>> open_files(const Location& at, const OpenOptions& opts) {
  if (at.kind == Kind::oci) return std::shared_ptr<FileSet>(KILN_TRY(open_dir_files(at.path)));
  return std::shared_ptr<FileSet>(KILN_TRY(open_archive(at.path, opts.limits)));
}

}  // namespace

Result<std::unique_ptr<image::Source>> open_source(const Location& at, const OpenOptions& opts) {
  auto ctx = at.str();
  switch (at.kind) {
    case Kind::store:
      if (!opts.store) return fail(Errc::internal, "no store for kiln://");
      return with_context(store_source(*opts.store, at.path), ctx);
    case Kind::oci:
    case Kind::oci_archive: {
      auto files = KILN_TRY_CTX(open_files(at, opts), ctx);
      auto entries = KILN_TRY_CTX(layout_entries(*files), ctx);
      auto entry = KILN_TRY_CTX(pick_entry(entries, at.ref, at.str()), ctx);
      return layout_source(files, std::move(entry), at.str());
    }
    case Kind::registry: {
      auto ref = KILN_TRY_CTX(oci::Reference::parse(at.path), ctx);
      return registry_source(ref, opts.registry);
    }
    case Kind::docker_archive: {
      auto files = KILN_TRY_CTX(open_files(at, opts), ctx);
      auto entries = KILN_TRY_CTX(docker_archive_entries(*files), ctx);
      size_t i = KILN_TRY_CTX(pick_docker_entry(entries, at.ref, at.str()), ctx);
      return docker_archive_source(files, std::move(entries[i]), at.str());
    }
  }
  return fail(Errc::internal, "unknown transport");
}

Result<std::unique_ptr<image::Sink>> open_sink(const Location& at, const OpenOptions& opts) {
  auto ctx = at.str();
  switch (at.kind) {
    case Kind::store:
      if (!opts.store) return fail(Errc::internal, "no store for kiln://");
      return with_context(store_sink(*opts.store, at.path), ctx);
    case Kind::oci:
      return with_context(layout_dir_sink(at.path, at.ref), ctx);
    case Kind::oci_archive:
      return with_context(layout_archive_sink(at.path, at.ref, opts.temp_dir), ctx);
    case Kind::docker_archive:
      return with_context(docker_archive_sink(at.path, at.ref, opts.temp_dir), ctx);
    case Kind::registry: {
      auto ref = KILN_TRY_CTX(oci::Reference::parse(at.path), ctx);
      return registry_sink(ref, opts.registry, opts.mount_from);
    }
  }
  return fail(Errc::internal, "unknown transport");
}

Result<std::vector<std::unique_ptr<image::Source>>> archive_sources(const std::string& path,
                                                                    const OpenOptions& opts) {
  std::string where = path == "-" ? "stdin" : path;
  std::shared_ptr<FileSet> files = KILN_TRY(open_archive(path, opts.limits));
  std::vector<std::unique_ptr<image::Source>> out;
  if (files->exists("manifest.json")) {
    auto entries = KILN_TRY(docker_archive_entries(*files));
    for (size_t i = 0; i < entries.size(); ++i)
      out.push_back(docker_archive_source(files, std::move(entries[i]),
                                          fmt::format("docker-archive:{}:@{}", where, i)));
    return out;
  }
  if (files->exists("index.json") || files->exists("oci-layout")) {
    auto entries = KILN_TRY(layout_entries(*files));
    if (entries.empty())
      return failf(Errc::invalid_argument, "{}: index.json lists no images", where);
    for (auto& e : entries)
      out.push_back(layout_source(files, e, fmt::format("oci-archive:{}", where)));
    return out;
  }
  return failf(Errc::invalid_argument,
               "{}: not an image archive (neither manifest.json nor index.json)", where);
}

}  // namespace kiln::transport
