#include "kiln/cli/signature_push.hpp"

#include "kiln/io/stream.hpp"

namespace kiln::cli {

Result<sign::Descriptor> push_bytes(RemoteImage& img, std::string_view media_type,
                                    std::string_view bytes) {
  sign::Descriptor d;
  d.media_type = media_type;
  d.digest = Digest::of(bytes);
  d.size = static_cast<int64_t>(bytes.size());
  if (KILN_TRY(img.reg->head_blob(img.repo, d.digest))) return d;
  oci::Descriptor od;
  od.media_type = d.media_type;
  od.digest = d.digest;
  od.size = d.size;
  io::StringReader r{std::string(bytes)};
  KILN_TRY(img.reg->put_blob(img.repo, od, r));
  return d;
}

// cosign's layout: the `sha256-<hex>.sig` tag, one layer per signature, appended to.
Result<std::string> push_sig_tag(RemoteImage& img, const sign::Descriptor& layer) {
  std::string tag = sign::cosign_tag(img.doc.digest);
  sign::Artifact m;
  if (auto cur = img.reg->get_manifest(img.repo, tag)) {
    m = KILN_TRY_CTX(sign::parse_artifact(cur->raw, tag), "the existing signatures");
  } else if (cur.error().code() != Errc::not_found) {
    return std::unexpected(cur.error());
  }
  std::erase_if(m.layers, [&](const sign::Descriptor& l) {
    return l.digest == layer.digest && l.annotations == layer.annotations;
  });
  m.layers.push_back(layer);
  m.media_type = std::string(sign::k_oci_manifest_type);
  m.config = KILN_TRY(push_bytes(img, sign::k_oci_config_type, sign::cosign_config_json(m.layers)));
  image::Document doc;
  doc.raw = sign::artifact_json(m);
  doc.media_type = m.media_type;
  doc.digest = Digest::of(doc.raw);
  KILN_TRY(img.reg->put_manifest(img.repo, tag, doc));
  return fmt::format("{}:{}", img.identity(), tag);
}

}  // namespace kiln::cli
