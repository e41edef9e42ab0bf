#!/usr/bin/env bash
# kiln push / pull / login / tags / manifest / delete / copy docker:// against CNCF
# Distribution (no auth, then htpasswd basic auth), checked against skopeo; bad input gives
# clear errors.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
app_image
jq_() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# --- no auth ---------------------------------------------------------------------------------
start_distribution open
out=$("$KILN" push app:1 "$REG/team/app:1")
expect_contains "$out" "1: digest: $DIGEST"
expect_eq "$DIGEST" "$(skopeo inspect --tls-verify=false "docker://$REG/team/app:1" | jq_ 'd["Digest"]')" \
  "skopeo's digest of what kiln pushed"
expect_eq '1' "$("$KILN" tags "docker://$REG/team/app" | jq_ '",".join(d["Tags"])')" "tags"
expect_contains "$("$KILN" manifest "docker://$REG/team/app:1")" '"schemaVersion":2'
expect_eq "$ID" "$("$KILN" inspect --format '{{.Id}}' "docker://$REG/team/app:1")" "inspect docker:// (no pull)"
export KILN_ROOT=$WORK/s2
expect_eq "$ID" "$("$KILN" pull -q "$REG/team/app:1"; "$KILN" inspect --format '{{.Id}}' "$REG/team/app:1")" "pull"
expect_eq "$DIGEST" "$("$KILN" images --no-trunc --format '{{.Digest}}' "$REG/team/app:1")" "pulled digest"
expect_eq built "$("$KILN" run --rm "$REG/team/app:1")" "run a pulled image"
"$KILN" pull -q "$REG/team/app@$DIGEST" >/dev/null
pass "push, tags, manifest, pull (by tag and digest) against Distribution; skopeo agrees"

skopeo copy -q --src-tls-verify=false --dest-tls-verify=false "docker://$REG/team/app:1" "docker://$REG/sk/app:2"
skopeo copy -q --src-tls-verify=false --dest-tls-verify=false --format v2s2 "docker://$REG/team/app:1" "docker://$REG/sk/v2s2:1"
"$KILN" pull -q "$REG/sk/app:2" >/dev/null
expect_eq "$DIGEST" "$("$KILN" images --no-trunc --format '{{.Digest}}' "$REG/sk/app:2")" "pull what skopeo pushed"
"$KILN" pull -q "$REG/sk/v2s2:1" >/dev/null
expect_eq "$ID" "$("$KILN" inspect --format '{{.Id}}' "$REG/sk/v2s2:1")" "pull a v2s2 manifest skopeo pushed"
"$KILN" copy "docker://$REG/team/app:1" "docker://$REG/other/app:3"
grep -q 'mount' "$WORK/registry-open/log" || fail "copy within a registry did not mount blobs"
"$KILN" copy "docker://$REG/team/app:1" "oci:$WORK/lay:x"
"$KILN" copy "oci:$WORK/lay:x" "docker://$REG/fromoci/app:1"
expect_eq "$DIGEST" "$(skopeo inspect --tls-verify=false "docker://$REG/fromoci/app:1" | jq_ 'd["Digest"]')" \
  "docker:// -> oci: -> docker:// keeps the digest"
"$KILN" delete "docker://$REG/other/app:3" >/dev/null
expect_exit 3 "$KILN" manifest "docker://$REG/other/app:3"
expect_contains "$ERR" "MANIFEST_UNKNOWN"
pass "kiln and skopeo read each other's pushes; copy between registries mounts; delete"

export KILN_ROOT=$WORK/store
"$KILN" tag app:1 app:2
"$KILN" push -q --all-tags "$REG/multi/app" 2>/dev/null && fail "--all-tags of a repository with no tags in the store"
"$KILN" tag app:1 "$REG/multi/app:a"
"$KILN" tag app:1 "$REG/multi/app:b"
"$KILN" push -q --all-tags "$REG/multi/app"
expect_eq 'a,b' "$("$KILN" tags "docker://$REG/multi/app" | jq_ '",".join(sorted(d["Tags"]))')" "--all-tags"
pass "push --all-tags"

# A destination named by digest: the manifest is PUT by that digest (and no tag appears); a
# digest the image does not have is refused before anything is published.
"$KILN" push -q app:1 "$REG/bydigest/app@$DIGEST"
expect_eq "$DIGEST" "sha256:$(skopeo inspect --raw --tls-verify=false "docker://$REG/bydigest/app@$DIGEST" | sha256sum | cut -d' ' -f1)" \
  "push to a digest reference"
expect_exit 3 "$KILN" tags "docker://$REG/bydigest/app"  # Distribution: no tags, no tag list
wrong=sha256:$(printf x | sha256sum | cut -d' ' -f1)
expect_exit 4 "$KILN" push -q app:1 "$REG/bydigest2/app@$wrong"
expect_contains "$ERR" "has digest $DIGEST"
expect_exit 3 "$KILN" manifest "docker://$REG/bydigest2/app@$DIGEST"
pass "push to a digest reference; a wrong digest publishes nothing"

"$KILN" push -q app:1 "$REG/once/app:1"
puts=$(grep -c '"PUT /v2/once/app/manifests/' "$WORK/registry-open/log" || true)
expect_eq 1 "$puts" "manifest PUTs for one push (the tag only)"
pass "a push PUTs its manifest once, by tag"

# --- bad input ------------------------------------------------------------------------------
expect_exit 3 "$KILN" pull "$REG/no/such:1"
expect_contains "$ERR" "$REG/no/such:1"
dead=127.0.0.1:$(free_port)
expect_exit 1 "$KILN" pull "$dead/x:1"
expect_contains "$ERR" "$dead"
expect_exit 1 "$KILN" pull "no-such-host.invalid/x:1"
expect_contains "$ERR" "no-such-host.invalid"
pass "missing repository, closed port and unknown host: clear errors"

# --- htpasswd basic auth --------------------------------------------------------------------
hash=$(python3 -W ignore -c "import crypt; print(crypt.crypt('s3cret', crypt.mksalt(crypt.METHOD_BLOWFISH)))")
echo "alice:$hash" >htpasswd
start_distribution basic "auth:
  htpasswd:
    realm: kiln-test
    path: $WORK/htpasswd"
export REGISTRY_AUTH_FILE=$WORK/auth.json
expect_exit 6 "$KILN" push app:1 "$REG/private/app:1"
expect_contains "$ERR" "kiln login $REG"
expect_exit 6 "$KILN" login -u alice -p wrong "$REG"
expect_contains "$ERR" "$REG"
[[ ! -e auth.json ]] || fail "a failed login wrote credentials"
echo s3cret | "$KILN" login -u alice --password-stdin "$REG" >/dev/null
expect_eq "$(printf alice:s3cret | base64)" "$(jq_ "d['auths']['$REG']['auth']" <auth.json)" "config.json auths entry"
"$KILN" push -q app:1 "$REG/private/app:1"
expect_eq "$DIGEST" "$(skopeo inspect --authfile auth.json --tls-verify=false "docker://$REG/private/app:1" | jq_ 'd["Digest"]')" \
  "skopeo reads the push with the shared credentials"
"$KILN" --root "$WORK/s3" pull -q "$REG/private/app:1" >/dev/null
"$KILN" logout "$REG" >/dev/null
expect_exit 6 "$KILN" --root "$WORK/s4" pull "$REG/private/app:1"
"$KILN" --root "$WORK/s4" pull -q --creds alice:s3cret "$REG/private/app:1" >/dev/null
pass "htpasswd basic auth: login (wrong and right), shared auth file, push, pull, logout, --creds"
