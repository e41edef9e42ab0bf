// kiln key generate [--output-key-prefix P]
// kiln sign --key K [-a KEY=VALUE]... [--registry-referrers-mode legacy|oci-1-1] IMAGE
// kiln verify --key PUB [--key PUB]... IMAGE
// Keyed signing in cosign's formats (sign/cosign.hpp); IMAGE is docker://HOST/REPO[:TAG|@DIGEST].
#include <sys/stat.h>

#include "kiln/cli/sign/commands.hpp"
#include "kiln/cli/sign/signing.hpp"
#include "kiln/net/http.hpp"
#include "kiln/os/dir.hpp"

namespace kiln::cli {

Status generate_key(const KeyArgs& a) {
  std::string dir =
      a.prefix.find('/') == std::string::npos ? "." : a.prefix.substr(0, a.prefix.rfind('/'));
  std::string base = a.prefix.substr(a.prefix.rfind('/') + 1);
  if (base.empty())
    return fail(Errc::invalid_argument, "key generate: --output-key-prefix is empty");
  auto d = KILN_TRY(os::Dir::open(dir));
  for (const char* ext : {".key", ".pub"})
    if (!a.force && d.exists(base + ext))
      return failf(Errc::already_exists, "key generate: {}{} exists (remove it or use --force)",
                   a.prefix, ext);
  auto pw = KILN_TRY(key_password(true));
  auto key = KILN_TRY(sign::Key::generate());
  auto priv = KILN_TRY(sign::encrypt_private_pem(key, pw));
  KILN_TRY(os::write_file_atomic(d, base + ".key", priv, 0600));
  KILN_TRY(os::write_file_atomic(d, base + ".pub", KILN_TRY(key.public_pem()), 0644));
  fmt::print(stderr, "Private key written to {0}.key\nPublic key written to {0}.pub\n", a.prefix);
  return {};
}

static std::string now_rfc3339() {
  time_t t = time(nullptr);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// cosign's layout: the `sha256-<hex>.sig` tag, one layer per signature, appended to.
static Result<std::string> push_sig_tag(RemoteImage& img, const sign::Descriptor& layer) {
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

Status sign_image(const SignArgs& a) {
  if (a.mode != "legacy" && a.mode != "oci-1-1")
    return failf(Errc::invalid_argument,
                 "sign: --registry-referrers-mode \"{}\" (want legacy or oci-1-1)", a.mode);
  std::map<std::string, std::string> ann;
  for (const auto& kv : a.annotations) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      return failf(Errc::invalid_argument, "sign: -a {}: want KEY=VALUE", kv);
    ann[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  auto key = KILN_TRY(load_signing_key(a.key));
  auto img = KILN_TRY(open_remote_image(a.ref, a.reg, "sign"));
  std::string payload = sign::make_payload(img.identity(), img.doc.digest, ann);
  auto sig = KILN_TRY(key.sign(payload));
  auto layer = KILN_TRY(push_bytes(img, sign::k_simple_signing_type, payload));
  layer.annotations[std::string(sign::k_signature_annotation)] = net::base64_encode(sig);
  std::string where;
  if (a.mode == "legacy") {
    where = KILN_TRY(push_sig_tag(img, layer));
  } else {
    sign::Artifact m;
    m.media_type = std::string(sign::k_oci_manifest_type);
    m.artifact_type = std::string(sign::k_sig_artifact_type);
    m.config = KILN_TRY(push_bytes(img, sign::k_empty_type, sign::k_empty_json));
    m.layers.push_back(layer);
    m.subject = sign::Descriptor{
        img.doc.media_type, img.doc.digest, static_cast<int64_t>(img.doc.raw.size()), "", {}};
    m.annotations["org.opencontainers.image.created"] = now_rfc3339();
    auto d = KILN_TRY(push_referrer(img, m));
    where = fmt::format("{}@{} (referrer)", img.identity(), d.digest);
  }
  fmt::print(stderr, "Signed {}@{} with key {}\nPushed signature to {}\n", img.identity(),
             img.doc.digest, key.fingerprint(), where);
  return {};
}

Status verify(const VerifyArgs& a) {
  if (a.format != "json" && a.format != "text")
    return failf(Errc::invalid_argument, "verify: unknown --format \"{}\" (json or text)",
                 a.format);
  auto keys = KILN_TRY(load_public_keys(a.keys));
  auto img = KILN_TRY(open_remote_image(a.ref, a.reg, "verify"));
  auto v = KILN_TRY(verify_image(img, keys));
  if (v.verified.empty())
    return fail(v.found == 0 && v.problems.empty() ? Errc::not_found : Errc::unauthorized,
                verification_failure(img, v));
  if (!a.quiet)
    fmt::print(stderr,
               "Verification for {}@{} --\nThe following checks were performed on each of these "
               "signatures:\n  - The cosign claims were validated\n  - The signatures were "
               "verified against the specified public key\n",
               img.identity(), img.doc.digest);
  if (a.format == "text") {
    for (const auto& s : v.verified)
      fmt::print("{} signed by {}\n", s.payload.manifest_digest, s.key);
    return {};
  }
  std::string out = "[";
  for (size_t i = 0; i < v.verified.size(); ++i) out += (i ? "," : "") + v.verified[i].payload_json;
  fmt::print("{}]\n", out);
  return {};
}

}  // namespace kiln::cli
