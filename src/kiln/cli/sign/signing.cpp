#include "kiln/cli/sign/signing.hpp"

#include "kiln/io/stream.hpp"
#include "kiln/os/dir.hpp"
#include "kiln/transport/registry_transport.hpp"

namespace kiln::cli {

Result<RemoteImage> open_remote_image(const std::string& arg, const RegistryFlags& f,
                                      std::string_view command) {
  // A bare name means the local store elsewhere in kiln; signatures live in registries only.
  if (!arg.starts_with("docker://"))
    return failf(Errc::invalid_argument,
                 "{} {}: signatures live beside the image in its registry; give "
                 "docker://HOST/REPO:TAG (push the image first)",
                 command, arg);
  std::string s = arg.substr(9);
  RemoteImage img;
  img.ref = KILN_TRY(oci::Reference::parse(s));
  img.repo = transport::api_repo(img.ref);
  img.reg =
      KILN_TRY(registry::client::Registry::open(img.ref.domain, KILN_TRY(registry_options(f))));
  img.doc = KILN_TRY_CTX(
      img.reg->get_manifest(img.repo, img.ref.digest ? img.ref.digest->str() : img.ref.tag),
      std::string(command));
  return img;
}

Result<sign::Key> load_signing_key(const std::string& file) {
  auto pem = KILN_TRY(os::read_file(file));
  std::string pw;
  if (sign::is_encrypted_pem(pem)) pw = KILN_TRY(key_password(false));
  return sign::Key::load_private(pem, pw, file);
}

Result<std::vector<sign::Key>> load_public_keys(const std::vector<std::string>& files) {
  if (files.empty()) return fail(Errc::invalid_argument, "give the public key with --key FILE");
  std::vector<sign::Key> keys;
  for (const auto& f : files) {
    auto pem = KILN_TRY(os::read_file(f));
    keys.push_back(KILN_TRY(sign::Key::load_public(pem, f)));
  }
  return keys;
}

Result<std::string> fetch_small_blob(RemoteImage& img, const sign::Descriptor& d) {
  if (d.size > sign::k_max_payload)
    return failf(Errc::invalid_argument, "blob {} has {} bytes, more than the {} kiln reads here",
                 d.digest, d.size, sign::k_max_payload);
  oci::Descriptor od;
  od.media_type = d.media_type;
  od.digest = d.digest;
  od.size = d.size;
  io::StringWriter w;
  KILN_TRY(img.reg->get_blob(img.repo, od, w));
  std::string bytes = w.take();
  if (static_cast<int64_t>(bytes.size()) != d.size || Digest::of(bytes) != d.digest)
    return failf(Errc::corrupt, "blob {}: the registry sent other bytes ({} bytes, {})", d.digest,
                 bytes.size(), Digest::of(bytes));
  return bytes;
}

Result<std::vector<sign::Descriptor>> list_referrers(RemoteImage& img, const Digest& d,
                                                     const std::string& artifact_type) {
  auto index = KILN_TRY(img.reg->referrers(img.repo, d, artifact_type));
  if (!index) {  // the tag schema: an index under sha256-<hex>
    auto doc = img.reg->get_manifest(img.repo, sign::fallback_tag(d));
    if (!doc && doc.error().code() == Errc::not_found) return std::vector<sign::Descriptor>();
    if (!doc) return std::unexpected(doc.error());
    index = doc->raw;
  }
  auto a = KILN_TRY(sign::parse_artifact(*index, fmt::format("referrers of {}", d)));
  std::vector<sign::Descriptor> out;
  for (auto& l : a.layers)
    if (artifact_type.empty() || l.artifact_type == artifact_type) out.push_back(std::move(l));
  return out;
}

Result<sign::Descriptor> push_referrer(RemoteImage& img, const sign::Artifact& a) {
  image::Document doc;
  doc.raw = sign::artifact_json(a);
  doc.media_type = a.media_type;
  doc.digest = Digest::of(doc.raw);
  KILN_TRY(img.reg->put_manifest(img.repo, doc.digest.str(), doc));
  sign::Descriptor d;
  d.media_type = a.media_type;
  d.digest = doc.digest;
  d.size = static_cast<int64_t>(doc.raw.size());
  d.artifact_type = a.artifact_type;
  d.annotations = a.annotations;
  if (!a.subject || KILN_TRY(img.reg->referrers(img.repo, a.subject->digest, ""))) return d;
  // No referrers API: keep the subject's fallback index up to date (OCI distribution 1.1,
  // "referrers tag schema"). Read, add, write; a concurrent writer can lose an entry, as the
  // spec accepts.
  sign::Artifact index;
  index.media_type = std::string(sign::k_oci_index_type);
  auto cur = img.reg->get_manifest(img.repo, sign::fallback_tag(a.subject->digest));
  if (cur) index = KILN_TRY(sign::parse_artifact(cur->raw, "the referrers fallback index"));
  if (!cur && cur.error().code() != Errc::not_found) return std::unexpected(cur.error());
  index.media_type = std::string(sign::k_oci_index_type);
  index.subject.reset();
  for (const auto& l : index.layers)
    if (l.digest == d.digest) return d;
  index.layers.push_back(d);
  image::Document idoc;
  idoc.raw = sign::artifact_json(index);
  idoc.media_type = index.media_type;
  idoc.digest = Digest::of(idoc.raw);
  KILN_TRY(img.reg->put_manifest(img.repo, sign::fallback_tag(a.subject->digest), idoc));
  return d;
}

namespace {

// Checks every signature layer of one signature manifest.
void check_manifest(RemoteImage& img, const std::string& ref, const std::vector<sign::Key>& keys,
                    Verification& v) {
  auto doc = img.reg->get_manifest(img.repo, ref);
  if (!doc) {
    if (doc.error().code() != Errc::not_found)
      v.problems.push_back(fmt::format("{}: {}", ref, doc.error().message()));
    return;
  }
  auto a = sign::parse_artifact(doc->raw, "signature manifest " + ref);
  if (!a) {
    ++v.found;
    v.problems.push_back(a.error().message());
    return;
  }
  for (const auto& layer : sign::signature_layers(*a)) {
    ++v.found;
    auto payload = fetch_small_blob(img, layer);
    if (!payload) {
      v.problems.push_back(payload.error().message());
      continue;
    }
    auto ok = sign::check_signature(keys, layer, *payload, img.doc.digest);
    if (ok)
      v.verified.push_back(std::move(*ok));
    else
      v.problems.push_back(ok.error().message());
  }
}

}  // namespace

Result<Verification> verify_image(RemoteImage& img, const std::vector<sign::Key>& keys) {
  Verification v;
  check_manifest(img, sign::cosign_tag(img.doc.digest), keys, v);
  auto refs = KILN_TRY(list_referrers(img, img.doc.digest, std::string(sign::k_sig_artifact_type)));
  for (const auto& r : refs) check_manifest(img, r.digest.str(), keys, v);
  return v;
}

std::string verification_failure(const std::string& what, const std::string& where,
                                 const Verification& v) {
  if (v.found == 0 && v.problems.empty())
    return fmt::format("{}: no signatures found ({})", what, where);
  std::string out = fmt::format("{}: none of the {} signature{} found verified", what, v.found,
                                v.found == 1 ? "" : "s");
  for (const auto& p : v.problems) out += "\n  " + p;
  return out;
}

}  // namespace kiln::cli
