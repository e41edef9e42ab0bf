// OCI image layouts (image-spec image-layout.md): the `oci:DIR[:REF]` and
// `oci-archive:FILE[:REF]` transports. Reading works on any FileSet (a directory or an indexed
// archive); REF matches the `org.opencontainers.image.ref.name` annotation of an index.json
// entry. Only imageLayoutVersion 1.0.x is accepted.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kiln/image/image.hpp"
#include "kiln/transport/files.hpp"

namespace kiln::transport {

inline constexpr std::string_view k_ref_name = "org.opencontainers.image.ref.name";
inline constexpr std::string_view k_containerd_name = "io.containerd.image.name";

// "blobs/sha256/<hex>"
std::string blob_path(const Digest& d);

// Checks oci-layout and returns index.json's entries.
Result<std::vector<oci::Descriptor>> layout_entries(FileSet& files);
// The entry REF names, or the only entry when REF is empty.
Result<oci::Descriptor> pick_entry(const std::vector<oci::Descriptor>& entries,
                                   std::string_view ref, std::string_view where);
// The full references an entry carries (io.containerd.image.name, or a ref.name that is a
// full reference rather than a bare tag).
std::vector<std::string> entry_names(const oci::Descriptor& d);

std::unique_ptr<image::Source> layout_source(std::shared_ptr<FileSet> files, oci::Descriptor entry,
                                             std::string describe);

// `oci:DIR[:REF]`: created if missing; blobs are linked in and index.json replaced atomically
// on commit; an entry with the same REF is replaced, other entries are kept.
Result<std::unique_ptr<image::Sink>> layout_dir_sink(const std::string& dir, std::string ref);
// `oci-archive:FILE[:REF]` ("-" for standard output): written whole on finish().
Result<std::unique_ptr<image::Sink>> layout_archive_sink(const std::string& file, std::string ref,
                                                         std::string temp_dir);

}  // namespace kiln::transport
