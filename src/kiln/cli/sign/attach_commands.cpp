// kiln attach sbom|scan|attestation --predicate F [--type URI] [--key K] IMAGE
// kiln tree [--format text|json] IMAGE
// Attestations as OCI 1.1 referrers: an in-toto statement about the image (signed in a DSSE
// envelope with --key), and the list of what refers to an image, as `oras discover` shows it.
#include <set>

#include "kiln/cli/sign/commands.hpp"
#include "kiln/cli/sign/signing.hpp"
#include "kiln/os/dir.hpp"

namespace kiln::cli {

namespace {
struct Kind {
  std::string predicate_type, artifact_type;
};
}  // namespace

static Result<Kind> attachment_kind(const AttachArgs& a, std::string_view predicate) {
  if (a.kind == "sbom") {
    std::string k = sign::sbom_kind(predicate);
    if (k == "spdx") return Kind{"https://spdx.dev/Document", "application/spdx+json"};
    if (k == "cyclonedx")
      return Kind{"https://cyclonedx.org/bom", "application/vnd.cyclonedx+json"};
    return failf(Errc::invalid_argument,
                 "attach sbom: {} is neither an SPDX nor a CycloneDX JSON document", a.predicate);
  }
  if (a.kind == "scan")
    return Kind{a.type.empty() ? "https://cosign.sigstore.dev/attestation/vuln/v1" : a.type,
                "application/vnd.kiln.scan.result.v1+json"};
  if (a.type.empty())
    return fail(Errc::invalid_argument,
                "attach attestation: give the predicate type with --type URI");
  return Kind{a.type, std::string(sign::k_intoto_type)};
}

Status attach(Context&, const AttachArgs& a) {
  auto predicate = KILN_TRY(os::read_file(a.predicate));
  auto kind = KILN_TRY(attachment_kind(a, predicate));
  std::optional<sign::Key> key;
  if (!a.key.empty()) key = KILN_TRY(load_signing_key(a.key));
  auto img = KILN_TRY(open_remote_image(a.ref, a.reg, "attach"));
  auto statement = KILN_TRY_CTX(
      sign::statement_json(img.identity(), img.doc.digest, kind.predicate_type, predicate),
      a.predicate);
  sign::Descriptor layer;
  if (key) {
    auto sig = KILN_TRY(key->sign(sign::dsse_pae(sign::k_intoto_type, statement)));
    layer = KILN_TRY(
        push_bytes(img, sign::k_dsse_type, sign::dsse_json(sign::k_intoto_type, statement, sig)));
  } else {
    layer = KILN_TRY(push_bytes(img, sign::k_intoto_type, statement));
  }
  layer.annotations[std::string(sign::k_predicate_annotation)] = kind.predicate_type;
  sign::Artifact m;
  m.media_type = std::string(sign::k_oci_manifest_type);
  m.artifact_type = kind.artifact_type;
  m.config = KILN_TRY(push_bytes(img, sign::k_empty_type, sign::k_empty_json));
  m.layers.push_back(layer);
  m.subject = sign::Descriptor{
      img.doc.media_type, img.doc.digest, static_cast<int64_t>(img.doc.raw.size()), "", {}};
  m.annotations[std::string(sign::k_predicate_annotation)] = kind.predicate_type;
  auto d = KILN_TRY(push_referrer(img, m));
  fmt::print(stderr, "Attached {} ({}{}) to {}@{}\n", a.kind, kind.artifact_type,
             key ? ", signed" : "", img.identity(), img.doc.digest);
  fmt::print("{}\n", d.digest);
  return {};
}

constexpr int k_max_depth = 8;
constexpr size_t k_max_nodes = 10000;

// The referrers of n, and theirs, depth first; a digest seen before is listed but not walked
// again (a referrer graph may have cycles).
static Status walk(RemoteImage& img, sign::TreeNode& n, std::set<Digest>& seen, int depth) {
  if (depth > k_max_depth || !seen.insert(n.self.digest).second) return {};
  if (seen.size() > k_max_nodes)
    return failf(Errc::invalid_argument, "tree: more than {} referrers; refusing to list them all",
                 k_max_nodes);
  for (auto& r : KILN_TRY(list_referrers(img, n.self.digest, "")))
    n.children.push_back(sign::TreeNode{std::move(r), "", {}});
  for (const char* suffix : {"sig", "att", "sbom"}) {
    std::string tag = sign::cosign_tag(n.self.digest, suffix);
    auto doc = img.reg->get_manifest(img.repo, tag);
    if (!doc && doc.error().code() == Errc::not_found) continue;
    if (!doc) return std::unexpected(doc.error());
    sign::Descriptor d{doc->media_type, doc->digest, static_cast<int64_t>(doc->raw.size()), "", {}};
    if (auto art = sign::parse_artifact(doc->raw, tag); art && !art->artifact_type.empty())
      d.artifact_type = art->artifact_type;
    else if (std::string_view(suffix) == "sig")
      d.artifact_type = std::string(sign::k_sig_artifact_type);
    n.children.push_back(sign::TreeNode{d, tag, {}});
  }
  for (auto& c : n.children) KILN_TRY(walk(img, c, seen, depth + 1));
  return {};
}

static void print_tree(const sign::TreeNode& n, const std::string& indent) {
  for (size_t i = 0; i < n.children.size(); ++i) {
    const auto& c = n.children[i];
    bool last = i + 1 == n.children.size();
    std::string what = c.self.artifact_type.empty() ? c.self.media_type : c.self.artifact_type;
    fmt::print("{}{} {}\n", indent, last ? "└──" : "├──", what);
    fmt::print("{}{}└── {}{}\n", indent, last ? "    " : "│   ", c.self.digest,
               c.tag.empty() ? "" : fmt::format(" (tag {})", c.tag));
    print_tree(c, indent + (last ? "        " : "│       "));
  }
}

Status tree(Context&, const TreeArgs& a) {
  if (a.format != "text" && a.format != "json")
    return failf(Errc::invalid_argument, "tree: unknown --format \"{}\" (text or json)", a.format);
  auto img = KILN_TRY(open_remote_image(a.ref, a.reg, "tree"));
  sign::TreeNode root{
      {img.doc.media_type, img.doc.digest, static_cast<int64_t>(img.doc.raw.size()), "", {}},
      "",
      {}};
  std::set<Digest> seen;
  KILN_TRY(walk(img, root, seen, 0));
  if (a.format == "json") {
    fmt::print("{}\n", sign::tree_json(root));
    return {};
  }
  fmt::print("{}@{}\n", img.identity(), img.doc.digest);
  print_tree(root, "");
  return {};
}

}  // namespace kiln::cli
