// The documents cosign reads and writes, as kiln makes and checks them:
// - the "simple signing" payload a signature covers (critical.identity.docker-reference,
//   critical.image.docker-manifest-digest, critical.type, optional annotations);
// - the manifests that carry signatures and attestations: cosign's `sha256-<hex>.sig` tag (an
//   image manifest whose layers are payloads, each with its signature as the annotation
//   dev.cosignproject.cosign/signature) or an OCI 1.1 referrer (the same layers, artifactType
//   application/vnd.dev.cosign.artifact.sig.v1+json, subject = the image);
// - in-toto statements and DSSE envelopes for `kiln attach`;
// - OCI image indexes as the referrers API returns them.
// Parsing is bounded: documents over k_max_document bytes and lists over k_max_entries entries
// are refused.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/base/error.hpp"
#include "kiln/digest/digest.hpp"

namespace kiln::sign {

inline constexpr std::string_view k_simple_signing_type =
    "application/vnd.dev.cosign.simplesigning.v1+json";
inline constexpr std::string_view k_signature_annotation = "dev.cosignproject.cosign/signature";
inline constexpr std::string_view k_sig_artifact_type =
    "application/vnd.dev.cosign.artifact.sig.v1+json";
inline constexpr std::string_view k_payload_type = "cosign container image signature";
inline constexpr std::string_view k_dsse_type = "application/vnd.dsse.envelope.v1+json";
inline constexpr std::string_view k_intoto_type = "application/vnd.in-toto+json";
inline constexpr std::string_view k_empty_type = "application/vnd.oci.empty.v1+json";
inline constexpr std::string_view k_oci_manifest_type =
    "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view k_oci_index_type = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view k_oci_config_type = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view k_predicate_annotation = "in-toto.io/predicate-type";
inline constexpr size_t k_max_document = 4 << 20;
inline constexpr size_t k_max_entries = 1000;

// cosign's tag for an image's signatures: "sha256-<hex>.sig" (".att", ".sbom" likewise).
std::string cosign_tag(const Digest& image, std::string_view suffix = "sig");
// The OCI 1.1 referrers tag schema's fallback tag: "sha256-<hex>".
std::string fallback_tag(const Digest& subject);

struct Payload {
  std::string docker_reference;
  Digest manifest_digest;
  std::string type;
  std::map<std::string, std::string> optional;
};
std::string make_payload(std::string_view docker_reference, const Digest& image,
                         const std::map<std::string, std::string>& annotations);
Result<Payload> parse_payload(std::string_view bytes);

struct Descriptor {
  std::string media_type;
  Digest digest;
  int64_t size = 0;
  std::string artifact_type;
  std::map<std::string, std::string> annotations;
};
// The members of a manifest (or an index's entries in `layers`) that signing reads and writes.
struct Artifact {
  std::string media_type;  // of the document itself
  std::string artifact_type;
  Descriptor config;
  std::vector<Descriptor> layers;
  std::optional<Descriptor> subject;
  std::map<std::string, std::string> annotations;
};
// Parses an OCI/Docker manifest, or an index (its `manifests` become `layers`).
Result<Artifact> parse_artifact(std::string_view json, std::string_view what);
// An OCI image manifest (or, with media_type = index, an image index).
std::string artifact_json(const Artifact& a);
// The image config cosign gives a `.sig` manifest: one diff_id per payload layer.
std::string cosign_config_json(const std::vector<Descriptor>& layers);
// "{}", the OCI empty descriptor's content.
inline constexpr std::string_view k_empty_json = "{}";

// An in-toto v1 statement about one image; predicate_json must be a JSON value.
Result<std::string> statement_json(std::string_view name, const Digest& image,
                                   std::string_view predicate_type,
                                   std::string_view predicate_json);
struct Statement {
  std::string predicate_type;
  std::vector<Digest> subjects;
};
Result<Statement> parse_statement(std::string_view json);
// DSSE: the pre-authentication encoding the signature covers, and the envelope.
std::string dsse_pae(std::string_view payload_type, std::string_view payload);
std::string dsse_json(std::string_view payload_type, std::string_view payload,
                      std::string_view signature);
struct Envelope {
  std::string payload_type, payload;    // payload decoded
  std::vector<std::string> signatures;  // decoded
};
Result<Envelope> parse_dsse(std::string_view json);

// "spdx" or "cyclonedx" for an SBOM document of that kind, else "".
std::string sbom_kind(std::string_view json);

// What refers to an image, for `kiln tree --format json`.
struct TreeNode {
  Descriptor self;
  std::string tag;  // the cosign tag it was found under, "" for referrers
  std::vector<TreeNode> children;
};
std::string tree_json(const TreeNode& root);

}  // namespace kiln::sign
