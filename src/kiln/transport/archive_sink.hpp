// What the two archive sinks (oci-archive:, docker-archive:) share: the output file, the tar
// envelope, and blobs written once each under blobs/sha256/ (internal to transport/).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "kiln/image/image.hpp"
#include "kiln/transport/oci_layout.hpp"
#include "kiln/transport/out_file.hpp"
#include "kiln/transport/tar_out.hpp"

namespace kiln::transport {

class ArchiveSink : public image::Sink {
 public:
  ArchiveSink(OutFile out, std::string temp_dir)
      : m_out(std::move(out)), m_tar(m_out.fd(), std::move(temp_dir)) {}
  // Writes the blobs/sha256/ directories.
  Status start() {
    KILN_TRY(m_tar.add_dir("blobs/"));
    return m_tar.add_dir("blobs/sha256/");
  }
  Result<std::optional<int64_t>> find_blob(const oci::Descriptor& d) override {
    auto it = m_written.find(d.digest);
    if (it == m_written.end()) return std::nullopt;
    return it->second;
  }
  Status put_blob(const oci::Descriptor& d, io::Reader& data) override {
    m_written[d.digest] = KILN_TRY(m_tar.add_stream(blob_path(d.digest), d.size, data));
    return {};
  }

 protected:
  // The closing members (name, content), the end of the archive, then the rename into place.
  Status close(const std::vector<std::pair<std::string, std::string>>& files) {
    for (const auto& [name, data] : files) KILN_TRY(m_tar.add_file(name, data));
    KILN_TRY(m_tar.finish());
    return m_out.publish();
  }
  OutFile m_out;
  TarOut m_tar;

 private:
  std::map<Digest, int64_t> m_written;
};

}  // namespace kiln::transport
