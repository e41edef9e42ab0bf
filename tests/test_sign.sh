#!/usr/bin/env bash
# kiln key / sign / verify / attach / tree and signature enforcement: keys in cosign's encrypted
# form, signatures in cosign's layouts (the .sig tag, OCI 1.1 referrers, the referrers tag schema
# on Distribution), checked with OpenSSL over the exact payload bytes, a signature made with
# OpenSSL alone and laid out as cosign does verified by kiln, the refusals (no signature, wrong
# key, a signature of another image, tampered data), attestations in DSSE envelopes, the
# registry's signed-tags rule, and the pull/run policy.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
jq_() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
command -v openssl >/dev/null || fail "openssl missing"
SIGSTORE=$KILN_SRC/tests/tools/verify-sigstore.cjs
[[ -d "$KILN_SRC/tests/tools/node_modules/@sigstore/verify" ]] ||
  fail "@sigstore/verify is missing (run scripts/install-test-tools)"
export KILN_PASSWORD=correct-horse

# --- keys ---------------------------------------------------------------------------------------
"$KILN" key generate --output-key-prefix "$WORK/k" 2>/dev/null
head -1 "$WORK/k.key" | grep -qx -- "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----" || fail "key format: $(head -1 "$WORK/k.key")"
expect_eq 600 "$(stat -c %a "$WORK/k.key")" "private key mode"
sed -n '2,$p' "$WORK/k.key" | grep -v -- ----- | base64 -d | jq_ 'd["kdf"]["name"], d["kdf"]["params"]["N"], d["cipher"]["name"]' | tr '\n' ' ' >"$WORK/kdf"
expect_eq "scrypt 65536 nacl/secretbox " "$(cat "$WORK/kdf")" "sealed key envelope"
openssl pkey -pubin -in "$WORK/k.pub" -noout 2>/dev/null || fail "openssl cannot read k.pub"
expect_exit 4 "$KILN" key generate --output-key-prefix "$WORK/k"
expect_contains "$ERR" "exists"
KILN_PASSWORD=other "$KILN" key generate --output-key-prefix "$WORK/k2" 2>/dev/null
pass "key generate: cosign's encrypted PEM (scrypt + secretbox), mode 0600, no silent overwrite"

# --- kiln hands the signing commands to kiln-sign -------------------------------------------
mkdir -p solo/bin lx/bin lx/libexec/kiln
strip -o solo/bin/kiln "$KILN"
expect_exit 3 env PATH=/usr/bin:/bin solo/bin/kiln key generate --output-key-prefix "$WORK/solo"
expect_contains "$ERR" "kiln-sign not found next to kiln"
expect_exit 0 env PATH=/usr/bin:/bin solo/bin/kiln verify --help  # kiln's own help
expect_contains "$OUT" "--key"
cp solo/bin/kiln lx/bin/kiln
strip -o lx/libexec/kiln/kiln-sign "$(dirname "$KILN")/kiln-sign"
env PATH=/usr/bin:/bin lx/bin/kiln key generate --output-key-prefix "$WORK/lx-key" 2>/dev/null
[[ -f "$WORK/lx-key.pub" ]] || fail "kiln-sign in ../libexec/kiln was not run"
pass "kiln runs kiln-sign from beside kiln or ../libexec/kiln; a clear error without it"

# --- sign and verify (cosign's .sig tag) -----------------------------------------------------
start_kiln_registry main
R=$KREG
app_image
"$KILN" push -q app:1 "docker://$R/team/app:1"
"$KILN" push -q base:1 "docker://$R/team/base:1"
D=$(curl -sI -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$R/v2/team/app/manifests/1" | tr -d '\r' | awk -F': ' 'tolower($1)=="docker-content-digest"{print $2}')
[[ $D == sha256:* ]] || fail "no digest for team/app:1"
"$KILN" sign --key "$WORK/k.key" -a build=42 "docker://$R/team/app:1" 2>"$WORK/err" || fail "sign: $(cat "$WORK/err")"
SIGTAG="sha256-${D#sha256:}.sig"
curl -sf "http://$R/v2/team/app/manifests/$SIGTAG" -H 'Accept: application/vnd.oci.image.manifest.v1+json' >"$WORK/sig.json" || fail "no $SIGTAG"
expect_eq "application/vnd.dev.cosign.simplesigning.v1+json" "$(jq_ 'd["layers"][0]["mediaType"]' <"$WORK/sig.json")" "signature layer type"
PD=$(jq_ 'd["layers"][0]["digest"]' <"$WORK/sig.json")
jq_ 'd["layers"][0]["annotations"]["dev.cosignproject.cosign/signature"]' <"$WORK/sig.json" | base64 -d >"$WORK/sig.der"
curl -sf "http://$R/v2/team/app/blobs/$PD" >"$WORK/payload.json"
expect_eq "$D" "$(jq_ 'd["critical"]["image"]["docker-manifest-digest"]' <"$WORK/payload.json")" "payload digest"
expect_eq "$R/team/app" "$(jq_ 'd["critical"]["identity"]["docker-reference"]' <"$WORK/payload.json")" "payload identity"
expect_eq "cosign container image signature 42" "$(jq_ 'd["critical"]["type"] + " " + d["optional"]["build"]' <"$WORK/payload.json")" "payload type"
openssl dgst -sha256 -verify "$WORK/k.pub" -signature "$WORK/sig.der" "$WORK/payload.json" | grep -q "Verified OK" || fail "openssl does not verify kiln's signature"
node "$SIGSTORE" message "$WORK/k.pub" "$WORK/payload.json" "$WORK/sig.der" >/dev/null || fail "@sigstore/verify does not verify kiln's signature"
KILN_PASSWORD=other "$KILN" key generate --output-key-prefix "$WORK/k3" 2>/dev/null
node "$SIGSTORE" message "$WORK/k3.pub" "$WORK/payload.json" "$WORK/sig.der" 2>/dev/null && fail "@sigstore/verify accepted another key"
expect_exit 0 "$KILN" verify --key "$WORK/k.pub" "docker://$R/team/app:1"
expect_eq "$D" "$(echo "$OUT" | jq_ 'd[0]["critical"]["image"]["docker-manifest-digest"]')" "verify output"
expect_contains "$ERR" "Verification for $R/team/app@$D"
pass "sign: cosign's .sig layout; OpenSSL and @sigstore/verify verify the exact payload bytes; kiln verify prints the payloads"

# --- refusals -------------------------------------------------------------------------------
expect_exit 6 "$KILN" verify --key "$WORK/k2.pub" "docker://$R/team/app:1"
expect_contains "$ERR" "wrong key"
expect_exit 3 "$KILN" verify --key "$WORK/k.pub" "docker://$R/team/base:1"
expect_contains "$ERR" "no signatures found"
# A valid signature of team/app, copied under team/base's .sig tag: refused as another image's.
BD=$(curl -sI -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$R/v2/team/base/manifests/1" | tr -d '\r' | awk -F': ' 'tolower($1)=="docker-content-digest"{print $2}')
for b in "$PD" "$(jq_ 'd["config"]["digest"]' <"$WORK/sig.json")"; do
  curl -sf -X POST "http://$R/v2/team/base/blobs/uploads/?mount=$b&from=team/app" -o /dev/null
done
curl -sf -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary @"$WORK/sig.json" \
  "http://$R/v2/team/base/manifests/sha256-${BD#sha256:}.sig" -o /dev/null || fail "could not place the moved signature"
expect_exit 6 "$KILN" verify --key "$WORK/k.pub" "docker://$R/team/base:1"
expect_contains "$ERR" "another image"
# A tampered signature annotation.
python3 - "$WORK/sig.json" >"$WORK/sig-bad.json" <<'PY'
import json, sys, base64
d = json.load(open(sys.argv[1]))
s = bytearray(base64.b64decode(d["layers"][0]["annotations"]["dev.cosignproject.cosign/signature"]))
s[-1] ^= 1
d["layers"][0]["annotations"]["dev.cosignproject.cosign/signature"] = base64.b64encode(bytes(s)).decode()
print(json.dumps(d), end="")
PY
curl -sf -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary @"$WORK/sig-bad.json" \
  "http://$R/v2/team/app/manifests/$SIGTAG" -o /dev/null
expect_exit 6 "$KILN" verify --key "$WORK/k.pub" "docker://$R/team/app:1"
expect_contains "$ERR" "none of the 1 signature"
curl -sf -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary @"$WORK/sig.json" \
  "http://$R/v2/team/app/manifests/$SIGTAG" -o /dev/null
expect_exit 2 "$KILN" sign --key "$WORK/k.key" -a novalue "docker://$R/team/app:1"
expect_contains "$ERR" "KEY=VALUE"
KILN_PASSWORD=wrong expect_exit 6 "$KILN" sign --key "$WORK/k.key" "docker://$R/team/app:1"
expect_contains "$ERR" "wrong password"
echo "not a key" >"$WORK/junk.key"
expect_exit 2 "$KILN" sign --key "$WORK/junk.key" "docker://$R/team/app:1"
expect_contains "$ERR" "junk.key"
expect_exit 2 "$KILN" tree app:1
expect_contains "$ERR" "docker://"
pass "refused with the reason: wrong key, no signature, another image's signature, a tampered signature, bad keys and input"

# --- a signature made with OpenSSL alone, laid out as cosign does -----------------------------
openssl ecparam -genkey -name prime256v1 -noout 2>/dev/null | openssl pkcs8 -topk8 -nocrypt -out "$WORK/o.key"
openssl pkey -in "$WORK/o.key" -pubout -out "$WORK/o.pub"
printf '{"critical":{"identity":{"docker-reference":"%s/team/base"},"image":{"docker-manifest-digest":"%s"},"type":"cosign container image signature"},"optional":{"by":"openssl"}}' "$R" "$BD" >"$WORK/o-payload.json"
openssl dgst -sha256 -sign "$WORK/o.key" -out "$WORK/o.sig" "$WORK/o-payload.json"
put_blob() { # repo file -> digest
  local dg
  dg=sha256:$(sha256sum "$2" | cut -d' ' -f1)
  loc=$(curl -sf -X POST -D - -o /dev/null "http://$R/v2/$1/blobs/uploads/" | tr -d '\r' | awk -F': ' 'tolower($1)=="location"{print $2}')
  [[ $loc == http* ]] || loc="http://$R$loc"
  curl -sf -X PUT --data-binary @"$2" -H 'Content-Type: application/octet-stream' "$loc$([[ $loc == *\?* ]] && echo '&' || echo '?')digest=$dg" -o /dev/null
  echo "$dg"
}
OPD=$(put_blob team/base "$WORK/o-payload.json")
printf '{"architecture":"","created":"0001-01-01T00:00:00Z","history":[{"created":"0001-01-01T00:00:00Z"}],"os":"","rootfs":{"type":"layers","diff_ids":["%s"]},"config":{}}' "$OPD" >"$WORK/o-config.json"
OCD=$(put_blob team/base "$WORK/o-config.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":%s,"digest":"%s"},"layers":[{"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","size":%s,"digest":"%s","annotations":{"dev.cosignproject.cosign/signature":"%s"}}]}' \
  "$(stat -c %s "$WORK/o-config.json")" "$OCD" "$(stat -c %s "$WORK/o-payload.json")" "$OPD" "$(base64 -w0 "$WORK/o.sig")" >"$WORK/o-sig.json"
curl -sf -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary @"$WORK/o-sig.json" \
  "http://$R/v2/team/base/manifests/sha256-${BD#sha256:}.sig" -o /dev/null || fail "could not push the OpenSSL signature"
expect_exit 0 "$KILN" verify --key "$WORK/o.pub" "docker://$R/team/base:1"
expect_eq "openssl" "$(echo "$OUT" | jq_ 'd[0]["optional"]["by"]')" "independent signature"
expect_exit 6 "$KILN" verify --key "$WORK/k.pub" "docker://$R/team/base:1"
pass "kiln verifies a signature made by OpenSSL and laid out by hand as cosign lays it out"

# --- OCI 1.1 referrers: kiln's registry (referrers API) and Distribution (tag schema) ---------
KILN_PASSWORD=other "$KILN" sign --key "$WORK/k2.key" --registry-referrers-mode oci-1-1 "docker://$R/team/app:1" 2>/dev/null
curl -sf "http://$R/v2/team/app/referrers/$D" >"$WORK/refs.json"
expect_eq "application/vnd.dev.cosign.artifact.sig.v1+json" "$(jq_ 'd["manifests"][0]["artifactType"]' <"$WORK/refs.json")" "referrer artifactType"
expect_exit 0 "$KILN" verify --key "$WORK/k2.pub" "docker://$R/team/app:1"
expect_exit 0 "$KILN" verify --key "$WORK/k2.pub" --key "$WORK/k.pub" "docker://$R/team/app:1"
expect_eq 2 "$(echo "$OUT" | jq_ 'len(d)')" "both signatures verify"
start_distribution dist
"$KILN" push -q app:1 "docker://$REG/team/app:1"
DD=$(curl -sI -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$REG/v2/team/app/manifests/1" | tr -d '\r' | awk -F': ' 'tolower($1)=="docker-content-digest"{print $2}')
"$KILN" sign --key "$WORK/k.key" --registry-referrers-mode oci-1-1 "docker://$REG/team/app:1" 2>/dev/null
curl -sf -H 'Accept: application/vnd.oci.image.index.v1+json' "http://$REG/v2/team/app/manifests/sha256-${DD#sha256:}" >"$WORK/fallback.json" || fail "no referrers fallback tag on Distribution"
expect_eq "application/vnd.dev.cosign.artifact.sig.v1+json" "$(jq_ 'd["manifests"][0]["artifactType"]' <"$WORK/fallback.json")" "fallback index"
expect_exit 0 "$KILN" verify --key "$WORK/k.pub" "docker://$REG/team/app:1"
expect_exit 6 "$KILN" verify --key "$WORK/k2.pub" "docker://$REG/team/app:1"
pass "--registry-referrers-mode oci-1-1: a referrer (kiln registry) or the tag schema's index (Distribution); verify finds both kinds"

# --- attach and tree ------------------------------------------------------------------------
"$KILN" sbom --format spdx-json app:1 >"$WORK/sbom.spdx.json" 2>/dev/null
"$KILN" attach sbom --predicate "$WORK/sbom.spdx.json" --key "$WORK/k.key" "docker://$R/team/app:1" >"$WORK/att" 2>/dev/null
AD=$(cat "$WORK/att")
curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$R/v2/team/app/manifests/$AD" >"$WORK/att.json"
expect_eq "application/spdx+json $D" "$(jq_ 'd["artifactType"] + " " + d["subject"]["digest"]' <"$WORK/att.json")" "attachment manifest"
ED=$(jq_ 'd["layers"][0]["digest"]' <"$WORK/att.json")
curl -sf "http://$R/v2/team/app/blobs/$ED" >"$WORK/env.json"
python3 - "$WORK/env.json" "$WORK" <<'PY'
import json, sys, base64
e = json.load(open(sys.argv[1]))
body = base64.b64decode(e["payload"])
pae = b"DSSEv1 %d %s %d " % (len(e["payloadType"]), e["payloadType"].encode(), len(body)) + body
open(sys.argv[2] + "/pae", "wb").write(pae)
open(sys.argv[2] + "/pae.sig", "wb").write(base64.b64decode(e["signatures"][0]["sig"]))
st = json.loads(body)
assert st["predicateType"] == "https://spdx.dev/Document", st["predicateType"]
assert st["predicate"]["spdxVersion"].startswith("SPDX-"), st["predicate"]
print(st["subject"][0]["digest"]["sha256"], file=open(sys.argv[2] + "/subject", "w"))
PY
expect_eq "${D#sha256:}" "$(cat "$WORK/subject")" "statement subject"
openssl dgst -sha256 -verify "$WORK/k.pub" -signature "$WORK/pae.sig" "$WORK/pae" | grep -q "Verified OK" || fail "openssl does not verify the DSSE envelope"
node "$SIGSTORE" dsse "$WORK/k.pub" "$WORK/env.json" >/dev/null || fail "@sigstore/verify does not verify kiln's DSSE envelope"
echo '{"matches":[]}' >"$WORK/scan.json"
"$KILN" attach scan --predicate "$WORK/scan.json" "docker://$R/team/app:1" >/dev/null 2>&1
expect_exit 2 "$KILN" attach attestation --predicate "$WORK/scan.json" "docker://$R/team/app:1"
expect_contains "$ERR" "--type"
expect_exit 2 "$KILN" attach sbom --predicate "$WORK/scan.json" "docker://$R/team/app:1"
expect_contains "$ERR" "neither an SPDX nor a CycloneDX"
expect_exit 0 "$KILN" tree "docker://$R/team/app:1"
expect_contains "$OUT" "application/spdx+json"
expect_contains "$OUT" "application/vnd.kiln.scan.result.v1+json"
expect_contains "$OUT" "(tag $SIGTAG)"
expect_exit 0 "$KILN" tree --format json "docker://$R/team/app:1"
expect_eq 4 "$(echo "$OUT" | jq_ 'len(d["referrers"])')" "tree: 3 referrers and the .sig tag"
pass "attach: SPDX SBOM in a signed DSSE envelope (OpenSSL and @sigstore/verify verify it), scan results; tree lists referrers and cosign tags"

# --- the registry enforces signed tags ------------------------------------------------------
mkdir -p "$WORK/kreg-signed"
printf 'tags:\n  signed:\n    "prod/*": [%s]\n' "$WORK/k.pub" >"$WORK/kreg-signed/config.yml"
start_kiln_registry signed
S=$KREG
expect_exit 6 "$KILN" push -q app:1 "docker://$S/prod/app:1"
expect_contains "$ERR" "must be signed"
"$KILN" push -q app:1 "docker://$S/dev/app:1"  # no rule for dev/
curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$S/v2/dev/app/manifests/1" >"$WORK/m.json"
curl -sf -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary @"$WORK/m.json" \
  "http://$S/v2/prod/app/manifests/$D" -o /dev/null || fail "push by digest refused"
KILN_PASSWORD=other "$KILN" sign --key "$WORK/k2.key" "docker://$S/prod/app@$D" 2>/dev/null
expect_exit 6 "$KILN" push -q app:1 "docker://$S/prod/app:1"
expect_contains "$ERR" "wrong key"
"$KILN" sign --key "$WORK/k.key" --registry-referrers-mode oci-1-1 "docker://$S/prod/app@$D" 2>/dev/null
"$KILN" push -q app:1 "docker://$S/prod/app:1" || fail "a signed image's tag was refused"
# cosign's tag names are free only for what cosign puts there: an image under one is refused.
expect_exit 6 "$KILN" push -q base:1 "docker://$S/prod/app:sha256-${BD#sha256:}.sig"
expect_contains "$ERR" "must be signed"
pass "registry tags.signed: a tag is set only once a valid signature by the rule's key exists"

# --- policy on pull and run -----------------------------------------------------------------
mkdir -p "$WORK/cfg/kiln"
printf 'rules:\n  - match: "%s/prod/*"\n    require: signed\n    keys: [%s]\n' "$S" "$WORK/k.pub" >"$WORK/cfg/kiln/policy.yaml"
export XDG_CONFIG_HOME=$WORK/cfg
"$KILN" pull -q "docker://$S/prod/app:1" || fail "pull of a signed image refused"
"$KILN" push -q base:1 "docker://$S/dev/base:1"
"$KILN" push -q base:1 "docker://$S/prod/base:1" 2>/dev/null && fail "an unsigned tag was set in prod/"
curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$S/v2/dev/base/manifests/1" >"$WORK/b.json"
curl -sf -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary @"$WORK/b.json" \
  "http://$S/v2/prod/base/manifests/$BD" -o /dev/null
expect_exit 6 "$KILN" pull -q "docker://$S/prod/base@$BD"
expect_contains "$ERR" "refused by the signature policy"
"$KILN" pull -q "docker://$S/dev/base:1" >/dev/null || fail "pull outside the policy's rules refused"
expect_exit 0 "$KILN" run --rm "$S/prod/app:1"
expect_eq "built" "$OUT" "run of a verified image"
"$KILN" tag base:1 "$S/prod/unsigned:1"
expect_exit 125 "$KILN" run --rm "$S/prod/unsigned:1" true
expect_contains "$ERR" "refused by the signature policy"
expect_exit 0 "$KILN" run --rm --insecure-ignore-policy "$S/prod/unsigned:1" true
expect_contains "$ERR" "WARNING: --insecure-ignore-policy"
printf 'rules:\n  - match: x\n    require: maybe\n' >"$WORK/bad-policy.yaml"
expect_exit 2 "$KILN" pull --policy "$WORK/bad-policy.yaml" "docker://$S/dev/base:1"
expect_contains "$ERR" "require: maybe"
pass "policy: pull and run refuse images its rules cover unless verified; --insecure-ignore-policy warns; bad policy files refused"

# --- hostile signature data: a huge payload, a referrer graph with a cycle ------------------
"$KILN" push -q base:1 "docker://$R/team/big:1"
head -c 2000000 /dev/urandom >"$WORK/big.bin"
BIG=$(put_blob team/big "$WORK/big.bin")
BCD=$(put_blob team/big "$WORK/o-config.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":%s,"digest":"%s"},"layers":[{"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","size":2000000,"digest":"%s","annotations":{"dev.cosignproject.cosign/signature":"AAAA"}}]}' \
  "$(stat -c %s "$WORK/o-config.json")" "$BCD" "$BIG" >"$WORK/big-sig.json"
curl -sf -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary @"$WORK/big-sig.json" \
  "http://$R/v2/team/big/manifests/sha256-${BD#sha256:}.sig" -o /dev/null || fail "could not push the huge signature"
expect_exit 6 "$KILN" verify --key "$WORK/k.pub" "docker://$R/team/big:1"
expect_contains "$ERR" "more than the"
# On Distribution the referrers list is a tag: point the image's list at the image itself.
DSZ=$(curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$REG/v2/team/app/manifests/1" | wc -c)
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":%s,"digest":"%s","artifactType":"application/x-loop"}]}' "$DSZ" "$DD" >"$WORK/loop.json"
curl -sf -X PUT -H 'Content-Type: application/vnd.oci.image.index.v1+json' --data-binary @"$WORK/loop.json" \
  "http://$REG/v2/team/app/manifests/sha256-${DD#sha256:}" -o /dev/null || fail "could not push the looping index"
expect_exit 0 timeout 20 "$KILN" tree "docker://$REG/team/app:1"
expect_contains "$OUT" "application/x-loop"
pass "a 2 MB payload is refused unread; a referrer graph with a cycle is listed once and ends"

# --- kiln build --push --sbom --sign: image, SBOM and signature in one go ---------------------
unset XDG_CONFIG_HOME
expect_exit 2 "$KILN" build -q --sign --key "$WORK/k.key" -t "$S/prod/built:1" "$WORK/ctx"
expect_contains "$ERR" "go with --push"
expect_exit 2 "$KILN" build -q --push --sign -t "$S/prod/built:1" "$WORK/ctx"
expect_contains "$ERR" "--sign needs --key"
printf 'FROM base:1\nRUN echo signed >/built\n' >"$WORK/ctx/Dockerfile.signed"
"$KILN" build -q --push --sbom --sign --key "$WORK/k.key" -f "$WORK/ctx/Dockerfile.signed" \
  -t "$S/prod/built:1" -t "$S/prod/built:latest" "$WORK/ctx" >/dev/null 2>"$WORK/err" || fail "build --push --sbom --sign: $(cat "$WORK/err")"
expect_exit 0 "$KILN" verify --key "$WORK/k.pub" "docker://$S/prod/built:latest"
expect_exit 0 "$KILN" tree "docker://$S/prod/built:1"
expect_contains "$OUT" "application/spdx+json"
expect_contains "$OUT" ".sig)"
pass "build --push --sbom --sign: pushed by digest, signed and SBOM attached, then tagged (accepted by a signed-tags registry)"

# --- a store image: signed in the store, verified there, carried by push ---------------------
"$KILN" import "$WORK/rootfs" "$S/prod/local:1" >/dev/null
"$KILN" sign --key "$WORK/k.key" -a where=store "$S/prod/local:1" 2>/dev/null
expect_exit 0 "$KILN" verify --key "$WORK/k.pub" "$S/prod/local:1"
expect_eq "store" "$(echo "$OUT" | jq_ 'd[0]["optional"]["where"]')" "store signature"
expect_eq "$S/prod/local" "$(echo "$OUT" | jq_ 'd[0]["critical"]["identity"]["docker-reference"]')" "store identity"
expect_exit 6 "$KILN" verify --key "$WORK/k2.pub" "$S/prod/local:1"
expect_contains "$ERR" "wrong key"
expect_exit 3 "$KILN" verify --key "$WORK/k.pub" base:1
expect_contains "$ERR" "none in the store"
expect_exit 2 "$KILN" sign --key "$WORK/k.key" --registry-referrers-mode oci-1-1 "$S/prod/local:1"
"$KILN" push -q "$S/prod/local:1" 2>"$WORK/err" || fail "push of a store-signed image to a signed-tags registry: $(cat "$WORK/err")"
expect_exit 0 "$KILN" verify --key "$WORK/k.pub" "docker://$S/prod/local:1"
expect_eq "store" "$(echo "$OUT" | jq_ 'd[0]["optional"]["where"]')" "pushed signature"
LD=$("$KILN" images --no-trunc --format '{{.Digest}}' "$S/prod/local:1")
f=$(ls "$KILN_ROOT/signatures/${LD#sha256:}/" | grep -v '\.sig$' | head -1)
chmod u+w "$KILN_ROOT/signatures/${LD#sha256:}/$f"; echo " " >>"$KILN_ROOT/signatures/${LD#sha256:}/$f"
expect_exit 5 "$KILN" verify --key "$WORK/k.pub" "$S/prod/local:1"
expect_contains "$ERR" "changed on disk"
"$KILN" rmi "$S/prod/local:1" >/dev/null
"$KILN" system prune -f >/dev/null
[[ ! -e "$KILN_ROOT/signatures/${LD#sha256:}" ]] || fail "prune left the signatures of a removed image"
pass "store images: kiln sign keeps the signature in the store, verify checks it there, push carries it (by digest, then the tag), prune drops it with the image"
