#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "kiln/net/http.hpp"
#include "kiln/sign/cosign.hpp"
#include "kiln/sign/key_json.hpp"
#include "kiln/sign/keys.hpp"
#include "kiln/sign/verify.hpp"

namespace kiln::sign {
namespace {

std::string read(const std::string& rel) {
  std::ifstream in(std::string(KILN_SOURCE_DIR) + "/" + rel);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(SignKeys, SignAndVerifyRoundTrip) {
  auto k = Key::generate();
  ASSERT_TRUE(k) << k.error().message();
  auto sig = k->sign("payload");
  ASSERT_TRUE(sig);
  auto pub = Key::load_public(*k->public_pem(), "pub");
  ASSERT_TRUE(pub) << pub.error().message();
  EXPECT_FALSE(pub->is_private());
  EXPECT_TRUE(pub->verify("payload", *sig));
  EXPECT_FALSE(pub->verify("payloaD", *sig));
  auto other = Key::generate();
  EXPECT_FALSE(other->verify("payload", *sig));
  EXPECT_EQ(pub->fingerprint(), k->fingerprint());
  EXPECT_NE(other->fingerprint(), k->fingerprint());
  EXPECT_FALSE(pub->sign("x"));  // a public key cannot sign
}

TEST(SignKeys, EncryptedPemRoundTripAndWrongPassword) {
  auto k = Key::generate();
  auto pem = encrypt_private_pem(*k, "s3cret");
  ASSERT_TRUE(pem) << pem.error().message();
  EXPECT_TRUE(pem->starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"));
  EXPECT_TRUE(is_encrypted_pem(*pem));
  auto back = Key::load_private(*pem, "s3cret", "k.key");
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->fingerprint(), k->fingerprint());
  auto wrong = Key::load_private(*pem, "guess", "k.key");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code(), Errc::unauthorized);
  EXPECT_NE(wrong.error().message().find("wrong password"), std::string::npos);
}

TEST(SignKeys, ReadsTheKeyCosignGenerated) {
  std::string pem = read("tests/data/cosign/cosign_generated_encrypted_empty_private.key");
  ASSERT_FALSE(pem.empty());
  auto k = Key::load_private(pem, "", "cosign.key");
  ASSERT_TRUE(k) << k.error().message();
  auto sig = k->sign("hello");
  auto pub = Key::load_public(*k->public_pem(), "pub");
  EXPECT_TRUE(pub->verify("hello", *sig));
  EXPECT_FALSE(Key::load_private(pem, "not-empty", "cosign.key"));
}

TEST(SignKeys, PlainPkcs8PemIsAccepted) {
  auto k = Key::generate();
  std::string b64 = net::base64_encode(*k->pkcs8_der()), pem = "-----BEGIN PRIVATE KEY-----\n";
  for (size_t i = 0; i < b64.size(); i += 64) pem += b64.substr(i, 64) + "\n";
  pem += "-----END PRIVATE KEY-----\n";
  EXPECT_FALSE(is_encrypted_pem(pem));
  auto back = Key::load_private(pem, "", "plain.pem");
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->fingerprint(), k->fingerprint());
}

TEST(SignKeys, BadKeyFilesAreClearErrors) {
  auto e = Key::load_private("hello", "", "x.key");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message().find("x.key"), std::string::npos);
  EXPECT_FALSE(
      Key::load_public("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "p"));
  // A sealed key asking for a huge scrypt cost is refused before any work.
  SealedKey s{1ull << 40, 8, 1, std::string(32, 'a'), std::string(24, 'b'), std::string(40, 'c')};
  std::string b64 = net::base64_encode(sealed_key_json(s));
  auto big = Key::load_private("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n" + b64 +
                                   "\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n",
                               "", "big.key");
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code(), Errc::unsupported);
  // N large enough that 128 * r * N wraps around 2^64 is refused too.
  s.n = 1ull << 62;
  b64 = net::base64_encode(sealed_key_json(s));
  auto wrap = Key::load_private("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n" + b64 +
                                    "\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n",
                                "", "wrap.key");
  ASSERT_FALSE(wrap);
  EXPECT_EQ(wrap.error().code(), Errc::unsupported);
  EXPECT_FALSE(parse_sealed_key_json(R"({"kdf":{"name":"argon2"}})", "k"));
}

TEST(SignCosign, PayloadIsCosignsSimpleSigningJson) {
  Digest d = Digest::of("manifest");
  EXPECT_EQ(
      make_payload("localhost:5000/app", d, {}),
      R"({"critical":{"identity":{"docker-reference":"localhost:5000/app"},"image":{"docker-manifest-digest":")" +
          d.str() + R"("},"type":"cosign container image signature"},"optional":null})");
  auto p = parse_payload(make_payload("r/a", d, {{"sig", "v1"}}));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->manifest_digest, d);
  EXPECT_EQ(p->docker_reference, "r/a");
  EXPECT_EQ(p->optional.at("sig"), "v1");
  EXPECT_FALSE(parse_payload(R"({"critical":{}})"));
  EXPECT_FALSE(parse_payload("[]"));
}

Descriptor signed_layer(const Key& k, const std::string& payload) {
  Descriptor l{std::string(k_simple_signing_type),
               Digest::of(payload),
               static_cast<int64_t>(payload.size()),
               "",
               {}};
  l.annotations[std::string(k_signature_annotation)] = net::base64_encode(*k.sign(payload));
  return l;
}

TEST(SignVerify, ChecksDigestKeyTypeAndImage) {
  auto k = *Key::generate();
  auto pub = *Key::load_public(*k.public_pem(), "pub");
  Digest image = Digest::of("image"), other = Digest::of("other");
  std::string payload = make_payload("h/r", image, {});
  auto layer = signed_layer(k, payload);
  auto ok = check_signature({pub}, layer, payload, image);
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(ok->key, pub.fingerprint());
  // The payload's bytes changed: refused by digest before the signature is looked at.
  auto tampered = check_signature({pub}, layer, payload + " ", image);
  ASSERT_FALSE(tampered);
  EXPECT_NE(tampered.error().message().find("tampered"), std::string::npos);
  // Another key.
  auto k2 = *Key::generate();
  auto wrong = check_signature({*Key::load_public(*k2.public_pem(), "p2")}, layer, payload, image);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code(), Errc::unauthorized);
  // One of several keys is enough.
  EXPECT_TRUE(
      check_signature({*Key::load_public(*k2.public_pem(), "p2"), pub}, layer, payload, image));
  // A valid signature of another image, placed under this one.
  auto moved = check_signature({pub}, layer, payload, other);
  ASSERT_FALSE(moved);
  EXPECT_NE(moved.error().message().find("another image"), std::string::npos);
  // A signed payload of another type.
  std::string att = R"({"critical":{"image":{"docker-manifest-digest":")" + image.str() +
                    R"("},"type":"something else"}})";
  EXPECT_FALSE(check_signature({pub}, signed_layer(k, att), att, image));
}

TEST(SignCosign, ArtifactRoundTripAndLimits) {
  Artifact a;
  a.media_type = std::string(k_oci_manifest_type);
  a.artifact_type = std::string(k_sig_artifact_type);
  a.config = Descriptor{std::string(k_empty_type), Digest::of("{}"), 2, "", {}};
  a.layers.push_back(
      Descriptor{std::string(k_simple_signing_type), Digest::of("p"), 1, "", {{"a", "b"}}});
  a.subject = Descriptor{std::string(k_oci_manifest_type), Digest::of("img"), 3, "", {}};
  auto back = parse_artifact(artifact_json(a), "m");
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->artifact_type, a.artifact_type);
  ASSERT_EQ(back->layers.size(), 1u);
  EXPECT_EQ(back->layers[0].annotations.at("a"), "b");
  EXPECT_EQ(back->subject->digest, a.subject->digest);
  EXPECT_EQ(signature_layers(*back).size(), 0u);  // no signature annotation

  std::string many = R"({"schemaVersion":2,"manifests":[)";
  for (size_t i = 0; i <= k_max_entries; ++i)
    many += std::string(i ? "," : "") + R"({"mediaType":"x","size":1,"digest":")" +
            Digest::of(std::to_string(i)).str() + "\"}";
  many += "]}";
  auto refused = parse_artifact(many, "referrers");
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("more than"), std::string::npos);
  EXPECT_FALSE(parse_artifact(std::string(k_max_document + 1, ' '), "big"));
  EXPECT_FALSE(parse_artifact(R"({"layers":[{"digest":"sha256:xyz","size":1}]})", "bad"));
}

TEST(SignDsse, PaeMatchesTheSpecAndEnvelopesVerify) {
  // The DSSE specification's example.
  EXPECT_EQ(dsse_pae("http://example.com/HelloWorld", "hello world"),
            "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
  auto k = *Key::generate();
  auto pub = *Key::load_public(*k.public_pem(), "pub");
  Digest image = Digest::of("image");
  auto st =
      statement_json("h/r", image, "https://spdx.dev/Document", R"({"spdxVersion":"SPDX-2.3"})");
  ASSERT_TRUE(st);
  std::string env = dsse_json(k_intoto_type, *st, *k.sign(dsse_pae(k_intoto_type, *st)));
  auto ok = check_envelope({pub}, env, image);
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(ok->predicate_type, "https://spdx.dev/Document");
  EXPECT_FALSE(check_envelope({pub}, env, Digest::of("other")));
  std::string forged = dsse_json(k_intoto_type, *st, *k.sign(*st));  // signed without PAE
  EXPECT_FALSE(check_envelope({pub}, forged, image));
  EXPECT_FALSE(statement_json("h/r", image, "t", "{not json"));
  EXPECT_EQ(sbom_kind(R"({"spdxVersion":"SPDX-2.3"})"), "spdx");
  EXPECT_EQ(sbom_kind(R"({"bomFormat":"CycloneDX"})"), "cyclonedx");
  EXPECT_EQ(sbom_kind("[1]"), "");
}

}  // namespace
}  // namespace kiln::sign
