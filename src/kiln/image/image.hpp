// The one image abstraction of DESIGN.md section 1: a Source hands out an image's raw
// documents and blobs, a Sink receives them. Every transport (the local store, OCI layouts and
// archives, docker archives, registries) implements both sides, and copy_image() (copy.hpp)
// moves an image from any source to any sink. Manifests and configs travel as the raw bytes
// they were read as; only a conversion makes new documents.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kiln/base/error.hpp"
#include "kiln/io/stream.hpp"
#include "kiln/oci/types.hpp"

namespace kiln::image {

// A manifest or index as raw bytes.
struct Document {
  std::string raw;
  std::string media_type;
  Digest digest;
};

// Where an image can be read from. Not thread-safe unless thread_safe() says so.
class Source {
 public:
  virtual ~Source() = default;
  // "oci:dir:tag", for messages.
  virtual std::string describe() const = 0;
  // The manifest or index the reference names.
  virtual Result<Document> root() = 0;
  // A blob named by a descriptor (a manifest of an index, a config, a layer). The stream is not
  // verified here: copy_image verifies every byte unless trusted() says the source already did.
  virtual Result<std::unique_ptr<io::Reader>> open_blob(const oci::Descriptor& d) = 0;
  // True when the source verified its blobs when they entered it (the local store).
  virtual bool trusted() const { return false; }
  // True when open_blob may be called from several threads at once (and its readers used each
  // on its own thread).
  virtual bool concurrent() const { return false; }
  // The uncompressed size of a layer when the source knows it.
  virtual std::optional<int64_t> uncompressed_size(const Digest&) { return std::nullopt; }
  // The names (full references) the source gives the image it resolved, e.g. a docker archive's
  // RepoTags; empty when it has none.
  virtual std::vector<std::string> names() { return {}; }
};

// One single-platform image the sink received, after its blobs.
struct ImageInfo {
  Document manifest;
  oci::Manifest parsed;
  std::string raw_config;
  oci::ImageConfig config;
  // Uncompressed sizes of the layers as they were written (-1 when unknown).
  std::vector<int64_t> uncompressed_sizes;
  // The bytes of the files in each layer, as docker shows a layer's size (empty or -1 when
  // unknown: a sink that wants it measures the layers it receives).
  std::vector<int64_t> content_sizes;
};

// How a sink wants layers.
enum class LayerForm {
  any,           // as they come, or as the copy options say
  uncompressed,  // plain tar (docker archives)
};

// Where an image can be written to. A sink publishes nothing before commit() (the local store,
// an OCI layout directory) or finish() (archives, which may hold several images); an error or
// destruction before then leaves the destination as it was.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual std::string describe() const = 0;
  virtual LayerForm layer_form() const { return LayerForm::any; }
  // True when find_blob and put_blob may run on several threads at once.
  virtual bool concurrent() const { return false; }
  // False for sinks that keep single-platform images only (the local store, docker archives).
  virtual bool accepts_index() const = 0;
  // The size of the blob if the sink already has it (it is then not sent again).
  virtual Result<std::optional<int64_t>> find_blob(const oci::Descriptor& d) = 0;
  Result<bool> has_blob(const oci::Descriptor& d) {
    auto r = find_blob(d);
    if (!r) return std::unexpected(r.error());
    return r->has_value();
  }
  // Receives a blob. d.size is -1 when the size is not known in advance (a layer being
  // decompressed). The reader is verified against d (copy_image wraps every untrusted source's
  // stream): it fails at its end when the bytes do not match, and the sink must then not use
  // the blob. A sink need not hash the bytes again.
  virtual Status put_blob(const oci::Descriptor& d, io::Reader& data) = 0;
  // A single-platform image whose blobs (config and layers) were all put or present.
  virtual Status put_image(const ImageInfo& image) = 0;
  // The document the reference names: the image's manifest, or an index of images already
  // put. `names` are the references to record (a sink may also have its own from its
  // reference). Nothing is visible before this returns.
  virtual Status commit(const Document& root, const std::vector<std::string>& names) = 0;
  // Publishes what was committed (archives are written and renamed into place here).
  virtual Status finish() { return {}; }
};

}  // namespace kiln::image
