// Docker archives: what `docker save` writes and `docker load` reads, the
// `docker-archive:FILE[:REF]` transport. Read: the classic layout (manifest.json,
// `<id>/layer.tar`, `<id>.json`, repositories; layers plain or compressed, shared layers as
// symlinks) and the Docker 25+ layout (the same manifest.json pointing into an OCI layout's
// blobs/sha256/, whose index.json manifests are then used byte for byte). Written: the Docker
// 25+ layout, which older engines load through manifest.json; layers as plain tar.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kiln/image/image.hpp"
#include "kiln/transport/files.hpp"

namespace kiln::transport {

struct DockerArchiveEntry {
  std::string config;               // path of the config in the archive
  std::vector<std::string> tags;    // RepoTags, normalised to full references
  std::vector<std::string> layers;  // paths
};

// Parses and checks manifest.json: every entry names a config and layers; a tag that two
// entries give to different images is an error.
Result<std::vector<DockerArchiveEntry>> docker_archive_entries(FileSet& files);
// The entry REF names ("name:tag" or "@N", the N-th entry), or the only one when REF is empty.
Result<size_t> pick_docker_entry(const std::vector<DockerArchiveEntry>& entries,
                                 std::string_view ref, std::string_view where);

std::unique_ptr<image::Source> docker_archive_source(std::shared_ptr<FileSet> files,
                                                     DockerArchiveEntry entry,
                                                     std::string describe);

// `docker-archive:FILE[:REF]` ("-" for standard output). REF, when given, is added to the tags
// of every image committed.
Result<std::unique_ptr<image::Sink>> docker_archive_sink(const std::string& file, std::string ref,
                                                         std::string temp_dir);

}  // namespace kiln::transport
