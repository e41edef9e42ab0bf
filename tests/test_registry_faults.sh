#!/usr/bin/env bash
# The registry client under Docker token auth (a token server in the test signs RS256 JWTs that
# Distribution checks against its certificate) and under faults injected by a proxy: dropped
# connections (resumed), 500s and 429s (retried), wrong bytes (rejected, nothing stored), a
# stalled registry (a clear timeout), oversized manifests (refused), expired tokens (renewed).
source "$(dirname "$0")/lib.sh"
cd "$WORK"
busybox_rootfs
"$KILN" import rootfs base:1 >/dev/null
mkdir ctx && head -c 3000000 /dev/urandom >ctx/a && head -c 2000000 /dev/urandom >ctx/b
printf 'FROM base:1\nCOPY a /a\nCOPY b /b\n' >ctx/Dockerfile
"$KILN" build -q -t app:1 ctx >/dev/null
DIGEST=$("$KILN" images --no-trunc --format '{{.Digest}}' app:1)
ID=$("$KILN" inspect --format '{{.Id}}' app:1)
nothing_stored() {
  [[ -z $("$KILN" images -q) ]] || fail "$1: an image was recorded"
  [[ $(find "$KILN_ROOT/blobs" -type f 2>/dev/null | wc -l) == 0 ]] || fail "$1: blobs were left in the store"
}

# --- token auth -------------------------------------------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -keyout token.key -out token.crt -days 2 \
  -subj /CN=kiln-test-token 2>/dev/null
tport=$(free_port)
python3 "$KILN_SRC/tests/tools/token_server.py" "$tport" token.key token.crt kiln-test kiln-issuer 3 \
  alice:s3cret >token.log 2>&1 &
cleanup_hooks+=("kill $! 2>/dev/null")
start_distribution token "auth:
  token:
    realm: http://127.0.0.1:$tport/token
    service: kiln-test
    issuer: kiln-issuer
    rootcertbundle: $WORK/token.crt"
TOKREG=$REG
export REGISTRY_AUTH_FILE=$WORK/auth.json
expect_exit 6 "$KILN" push app:1 "$TOKREG/t/app:1"
expect_contains "$ERR" "$TOKREG"
expect_exit 6 "$KILN" login -u alice -p wrong "$TOKREG"
expect_contains "$ERR" "refused the credentials"
"$KILN" login -u alice -p s3cret "$TOKREG" >/dev/null
# The token server hands out refresh tokens (offline_token=true, as docker login asks): kiln
# login stores that identity token instead of the password, as the docker CLI does.
stored_token() {
  python3 - "$WORK/auth.json" "$TOKREG" <<'PY'
import base64, json, sys
a = json.load(open(sys.argv[1]))["auths"][sys.argv[2]]
assert base64.b64decode(a["auth"]).decode() == "alice:", f"password stored: {a}"
print(a["identitytoken"])
PY
}
t1=$(stored_token)
[[ $t1 == rt-alice-* ]] || fail "kiln login stored no identity token: $(cat "$WORK/auth.json")"
"$KILN" push -q app:1 "$TOKREG/t/app:1"
grep -q 'POST grant=refresh_token user=alice' token.log || fail "push did not use the identity token: $(tail -5 token.log)"
# This server rotates refresh tokens on use: the auth file holds the renewed one.
t2=$(stored_token)
[[ $t2 == rt-alice-* && $t2 != "$t1" ]] || fail "the rotated identity token was not stored ($t1 -> $t2)"
"$KILN" copy "docker://$TOKREG/t/app:1" "docker://$TOKREG/t2/app:1"  # mount: two scopes in one token
grep -q 'repository:t/app:pull' token.log || fail "no token asked for the source scope: $(cat token.log)"
"$KILN" logout "$TOKREG" >/dev/null
"$KILN" --root "$WORK/anon" pull -q "$TOKREG/t/app:1" >/dev/null   # anonymous pull token
expect_eq "$ID" "$("$KILN" --root "$WORK/anon" inspect --format '{{.Id}}' "$TOKREG/t/app:1")" "anonymous pull"
pass "token auth: wrong credentials refused, login stores an identity token (renewed on rotation), push, cross-repository copy, anonymous pull"

# An identity token (what docker login stores as "identitytoken") is an OAuth2 refresh token:
# kiln POSTs it for access tokens, and follows the rotation when the server renews it (the
# tokens here live 3 s, so a slow push renews them).
rt=$(curl -s -u alice:s3cret "http://127.0.0.1:$tport/token?service=kiln-test&offline_token=true" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["refresh_token"])')
printf '{"auths": {"%s": {"identitytoken": "%s"}}}' "$TOKREG" "$rt" >"$WORK/idtoken.json"
"$KILN" push -q --authfile "$WORK/idtoken.json" app:1 "$TOKREG/oauth/app:1"
expect_eq "$ID" "$("$KILN" inspect --format '{{.Id}}' "docker://$TOKREG/oauth/app:1")" "pushed with an identity token"
printf '{"auths": {"%s": {"identitytoken": "rt-alice-forged"}}}' "$TOKREG" >"$WORK/badtoken.json"
expect_exit 6 "$KILN" push -q --authfile "$WORK/badtoken.json" app:1 "$TOKREG/oauth/app:2"
expect_contains "$ERR" "refused the identity token"
pass "OAuth2: an identity token is exchanged by POST (grant_type=refresh_token), a forged one is refused"

# The same through a credential helper (credsStore), as docker keeps credentials with one: login
# hands the helper the identity token as user "<token>", and the rotated one goes back to it.
mkdir -p "$WORK/bin" "$WORK/fake"
cat >"$WORK/bin/docker-credential-fake" <<'SH'
#!/bin/sh
# One entry, kept as the JSON docker's helper protocol passes (ServerURL, Username, Secret).
case "$1" in
store) cat >"$FAKE_CREDS/entry.json" ;;
get) [ -f "$FAKE_CREDS/entry.json" ] && cat "$FAKE_CREDS/entry.json" || { echo "credentials not found"; exit 1; } ;;
erase) rm -f "$FAKE_CREDS/entry.json" ;;
esac
SH
chmod +x "$WORK/bin/docker-credential-fake"
echo '{"credsStore": "fake"}' >"$WORK/helper.json"
helper_field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$WORK/fake/entry.json" "$1"; }
export FAKE_CREDS=$WORK/fake
PATH="$WORK/bin:$PATH" "$KILN" login --authfile "$WORK/helper.json" -u alice -p s3cret "$TOKREG" >/dev/null
expect_eq "<token>" "$(helper_field Username)" "user name given to the helper"
h1=$(helper_field Secret)
[[ $h1 == rt-alice-* ]] || fail "the helper got no identity token: $(cat "$WORK/fake/entry.json")"
PATH="$WORK/bin:$PATH" "$KILN" push -q --authfile "$WORK/helper.json" app:1 "$TOKREG/helper/app:1"
h2=$(helper_field Secret)
[[ $h2 == rt-alice-* && $h2 != "$h1" ]] || fail "the rotated identity token did not reach the helper ($h1 -> $h2)"
grep -q s3cret "$WORK/fake/entry.json" && fail "the helper holds the password"
pass "credential helper: login stores the identity token there, push renews it there"

# --- faults -----------------------------------------------------------------------------------
start_distribution faults
"$KILN" push -q app:1 "$REG/f/app:1"
pport=$(free_port)
echo ok >mode
python3 "$KILN_SRC/tests/tools/fault_proxy.py" "$pport" "$REG" "$WORK/mode" >proxy.log 2>&1 &
cleanup_hooks+=("kill $! 2>/dev/null")
PROXY=127.0.0.1:$pport
for _ in $(seq 50); do python3 -c "import socket; socket.create_connection(('127.0.0.1', $pport), 1)" 2>/dev/null && break; sleep 0.1; done
for m in drop 500 429; do
  echo "$m" >mode
  export KILN_ROOT=$WORK/s-$m
  "$KILN" pull -q "$PROXY/f/app:1" >/dev/null || fail "pull with faults '$m' failed"
  expect_eq "$DIGEST" "$("$KILN" images --no-trunc --format '{{.Digest}}' "$PROXY/f/app:1")" "digest after '$m'"
  grep -q "fault: $m" proxy.log || fail "the proxy injected no '$m' fault"
  "$KILN" system check >/dev/null
done
pass "dropped connections resumed with Range, 500 and 429 retried: images intact"

echo corrupt >mode
export KILN_ROOT=$WORK/s-corrupt
expect_exit 5 "$KILN" pull "$PROXY/f/app:1"
expect_contains "$ERR" "digest mismatch"
nothing_stored "wrong bytes"
pass "a registry sending wrong bytes: rejected, nothing stored"

echo slow >mode
export KILN_ROOT=$WORK/s-slow
start=$(date +%s)
KILN_REGISTRY_STALL_TIMEOUT=1 expect_exit 1 "$KILN" pull "$PROXY/f/app:1"
expect_contains "$ERR" "timed out"
(($(date +%s) - start < 25)) || fail "the stalled pull took $(($(date +%s) - start)) s"
nothing_stored "stalled registry"
pass "a stalled registry: a clear timeout error"

echo huge >mode
expect_exit 2 "$KILN" manifest "docker://$PROXY/f/app:1"
expect_contains "$ERR" "larger than 4 MiB"
echo layers >mode
expect_exit 2 "$KILN" pull "$PROXY/f/app:1"
expect_contains "$ERR" "10000 layers"
nothing_stored "oversized manifests"
pass "a 100 MB manifest and a 10,000-layer manifest: bounded and refused"

echo malformed >mode
expect_exit 2 "$KILN" pull "$PROXY/f/app:1"
expect_contains "$ERR" "invalid JSON"
echo schema1 >mode
expect_exit 8 "$KILN" pull "$PROXY/f/app:1"
expect_contains "$ERR" "schema 1"
nothing_stored "malformed manifests"
pass "a malformed manifest and a schema 1 manifest: clear errors"

# --- expired tokens ----------------------------------------------------------------------------
# Tokens live 3 s; 429s with Retry-After: 1 on every blob stretch one pull past that.
export KILN_ROOT=$WORK/s-expiry
rm -f proxy.log.count
pport2=$(free_port)
echo 429 >mode2
python3 "$KILN_SRC/tests/tools/fault_proxy.py" "$pport2" "$TOKREG" "$WORK/mode2" >proxy2.log 2>&1 &
cleanup_hooks+=("kill $! 2>/dev/null")
for _ in $(seq 50); do python3 -c "import socket; socket.create_connection(('127.0.0.1', $pport2), 1)" 2>/dev/null && break; sleep 0.1; done
before=$(grep -c '^token:' token.log)
"$KILN" pull -q --creds alice:s3cret "127.0.0.1:$pport2/t/app:1" >/dev/null
after=$(grep -c '^token:' token.log)
((after - before >= 2)) || fail "one token served a pull that outlived it ($((after - before)) token requests)"
pass "expired tokens are renewed during a long pull ($((after - before)) tokens)"
