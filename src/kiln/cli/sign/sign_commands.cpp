// kiln key generate [--output-key-prefix P]
// kiln sign --key K [-a KEY=VALUE]... [--registry-referrers-mode legacy|oci-1-1] IMAGE
// kiln verify --key PUB [--key PUB]... IMAGE
// Keyed signing in cosign's formats (sign/cosign.hpp). IMAGE is docker://HOST/REPO[:TAG|@DIGEST]
// or a store image (the signature is then kept in the store: store/signatures.hpp).
#include <sys/stat.h>

#include "kiln/cli/sign/commands.hpp"
#include "kiln/cli/sign/signing.hpp"
#include "kiln/net/http.hpp"
#include "kiln/os/dir.hpp"
#include "kiln/store/signatures.hpp"

namespace kiln::cli {

Status generate_key(Context&, const KeyArgs& a) {
  auto slash = a.prefix.rfind('/');
  std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : a.prefix.substr(0, slash);
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

// The store image a signature or verification is about, and the repository it names.
struct LocalImage {
  store::Store* store = nullptr;
  store::ImageRecord rec;
  std::string identity;  // HOST/REPO of the name used
};

static Result<LocalImage> open_local_image(Context& ctx, const std::string& arg,
                                           std::string_view command) {
  LocalImage li;
  li.store = KILN_TRY(ctx.store());
  li.rec = KILN_TRY_CTX(li.store->resolve_top(arg), std::string(command));
  std::string name;
  if (auto r = oci::Reference::parse(arg);
      r && std::find(li.rec.names.begin(), li.rec.names.end(), r->str()) != li.rec.names.end())
    name = r->str();
  else if (!li.rec.names.empty())
    name = li.rec.names.front();
  else
    return failf(Errc::invalid_argument,
                 "{} {}: the image has no name; a signature names its repository (kiln tag it)",
                 command, arg);
  auto ref = KILN_TRY(oci::Reference::parse(name));
  li.identity = ref.domain + "/" + ref.path;
  return li;
}

// A store image: the signature is kept in the store and pushed with the image.
static Status sign_local(Context& ctx, const SignArgs& a, const sign::Key& key,
                         const std::map<std::string, std::string>& ann) {
  if (a.mode != "legacy")
    return fail(Errc::invalid_argument,
                "sign: --registry-referrers-mode applies to registry images (docker://)");
  auto li = KILN_TRY(open_local_image(ctx, a.ref, "sign"));
  std::string payload = sign::make_payload(li.identity, li.rec.manifest_digest, ann);
  auto sig = KILN_TRY(key.sign(payload));
  KILN_TRY(
      store::add_signature(*li.store, li.rec.manifest_digest, payload, net::base64_encode(sig)));
  fmt::print(stderr,
             "Signed {}@{} with key {}\nThe signature is kept in the store; kiln push carries it "
             "to the registry\n",
             li.identity, li.rec.manifest_digest, key.fingerprint());
  return {};
}

static Result<Verification> verify_local(const LocalImage& li, const std::vector<sign::Key>& keys) {
  Verification v;
  for (const auto& s : KILN_TRY(store::signatures(*li.store, li.rec.manifest_digest))) {
    ++v.found;
    sign::Descriptor layer{std::string(sign::k_simple_signing_type),
                           s.payload_digest,
                           static_cast<int64_t>(s.payload.size()),
                           "",
                           {}};
    layer.annotations[std::string(sign::k_signature_annotation)] = s.signature;
    auto ok = sign::check_signature(keys, layer, s.payload, li.rec.manifest_digest);
    if (ok)
      v.verified.push_back(std::move(*ok));
    else
      v.problems.push_back(ok.error().message());
  }
  return v;
}

Status sign_image(Context& ctx, const SignArgs& a) {
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
  if (!a.ref.starts_with("docker://")) return sign_local(ctx, a, key, ann);
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

Status verify(Context& ctx, const VerifyArgs& a) {
  if (a.format != "json" && a.format != "text")
    return failf(Errc::invalid_argument, "verify: unknown --format \"{}\" (json or text)",
                 a.format);
  auto keys = KILN_TRY(load_public_keys(a.keys));
  std::string identity, where;
  Digest digest;
  Verification v;
  if (a.ref.starts_with("docker://")) {
    auto img = KILN_TRY(open_remote_image(a.ref, a.reg, "verify"));
    v = KILN_TRY(verify_image(img, keys));
    identity = img.identity(), digest = img.doc.digest;
    where = fmt::format("neither the {} tag nor referrers", sign::cosign_tag(digest));
  } else {
    auto li = KILN_TRY(open_local_image(ctx, a.ref, "verify"));
    v = KILN_TRY(verify_local(li, keys));
    identity = li.identity, digest = li.rec.manifest_digest;
    where = "none in the store: kiln sign IMAGE, or verify the pushed image with docker://";
  }
  if (v.verified.empty())
    return fail(v.found == 0 && v.problems.empty() ? Errc::not_found : Errc::unauthorized,
                verification_failure(fmt::format("{}@{}", identity, digest), where, v));
  if (!a.quiet)
    fmt::print(stderr,
               "Verification for {}@{} --\nThe following checks were performed on each of these "
               "signatures:\n  - The cosign claims were validated\n  - The signatures were "
               "verified against the specified public key\n",
               identity, digest);
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
