#!/usr/bin/env bash
# kiln registry serve as a pull-through cache (proxy: {remoteurl, username, password, ttl}): of a
# kiln registry behind Basic auth and of CNCF Distribution, pulled through by kiln and skopeo;
# tags revalidated after the ttl; the upstream going away (cached content still served,
# uncached content a 502 with the reason); pushes refused.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
jq_() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

app_image
python3 -W ignore -c "import crypt; print('alice:' + crypt.crypt('s3cret', crypt.mksalt(crypt.METHOD_BLOWFISH)))" >htpasswd
start_kiln_registry upstream --htpasswd htpasswd
UP=$KREG
UP_PID=$KREG_PID
"$KILN" push -q --creds alice:s3cret app:1 "$UP/lib/app:1"
"$KILN" push -q --creds alice:s3cret base:1 "$UP/lib/base:1"

mkdir -p "$WORK/kreg-cache"
cat >"$WORK/kreg-cache/config.yml" <<CFG
version: 0.1
proxy:
  remoteurl: http://$UP
  username: alice
  password: s3cret
  ttl: 3s
CFG
start_kiln_registry cache
CACHE=$KREG
grep -q "pull-through cache of http://$UP" "$WORK/kreg-cache/log" || fail "no serving line: $(cat "$WORK/kreg-cache/log")"

# --- pulls through the cache ---------------------------------------------------------------------
export KILN_ROOT=$WORK/s1
"$KILN" pull -q "$CACHE/lib/app:1" >/dev/null
expect_eq "$DIGEST" "$("$KILN" images --no-trunc --format '{{.Digest}}' "$CACHE/lib/app:1")" "kiln pulls through the cache"
expect_eq built "$("$KILN" run --rm "$CACHE/lib/app:1")" "and runs what it pulled"
expect_eq "$DIGEST" "$(skopeo inspect --tls-verify=false "docker://$CACHE/lib/app:1" | jq_ 'd["Digest"]')" "skopeo reads through the cache"
skopeo copy -q --src-tls-verify=false "docker://$CACHE/lib/app:1" "oci:$WORK/sk:x" || fail "skopeo copy through the cache"
blobs=$(find "$WORK/kreg-cache/data/blobs" -type f | wc -l)
((blobs >= 4)) || fail "the cache stored $blobs blobs"
pass "kiln and skopeo pull through the cache of a Basic-auth upstream; the cache keeps $blobs blobs"

# --- tags revalidate after the ttl ----------------------------------------------------------------
export KILN_ROOT=$WORK/store
"$KILN" tag base:1 app:1
"$KILN" push -q --creds alice:s3cret app:1 "$UP/lib/app:1"
NEW=$("$KILN" images --no-trunc --format '{{.Digest}}' app:1)
[[ $NEW != "$DIGEST" ]] || fail "the upstream tag did not move"
expect_eq "$DIGEST" "$(curl -s -I "http://$CACHE/v2/lib/app/manifests/1" | tr -d '\r' | sed -n 's/^Docker-Content-Digest: //Ip')" "within the ttl the cached tag is served"
sleep 3.2
expect_eq "$NEW" "$(curl -s -I "http://$CACHE/v2/lib/app/manifests/1" | tr -d '\r' | sed -n 's/^Docker-Content-Digest: //Ip')" "after the ttl the tag is looked up again"
KILN_ROOT=$WORK/s1b "$KILN" pull -q "$CACHE/lib/app:1" >/dev/null
pass "a tag is served from the cache within its ttl and revalidated after it"

# --- the upstream goes away ----------------------------------------------------------------------
kill -9 "$UP_PID"
wait "$UP_PID" 2>/dev/null || true
sleep 3.2  # past the ttl: the cache must ask, fail, and fall back
export KILN_ROOT=$WORK/s2
"$KILN" pull -q "$CACHE/lib/app:1" >/dev/null || fail "a cached tag is not served with the upstream away: $(tail -3 "$WORK/kreg-cache/log")"
expect_eq "$NEW" "$("$KILN" images --no-trunc --format '{{.Digest}}' "$CACHE/lib/app:1")" "the tag last fetched is served"
expect_eq 200 "$(code "http://$CACHE/v2/lib/app/manifests/$DIGEST")" "a cached manifest by digest"
expect_eq 502 "$(code "http://$CACHE/v2/lib/never/manifests/1")" "an uncached tag with the upstream away"
body=$(curl -s "http://$CACHE/v2/lib/never/manifests/1")
expect_contains "$body" "upstream http://$UP"
if err=$("$KILN" pull -q "$CACHE/lib/never:1" 2>&1); then fail "kiln pulled an image neither cached nor reachable"; fi
expect_contains "$err" "502"
pass "upstream away: cached tags and manifests still served, uncached ones 502 with the reason"

# --- pushes are refused --------------------------------------------------------------------------
expect_eq 405 "$(code -X POST "http://$CACHE/v2/lib/app/blobs/uploads/")" "a push to the cache"

# --- Distribution as the upstream ----------------------------------------------------------------
export KILN_ROOT=$WORK/store
start_distribution up
"$KILN" push -q app:1 "$REG/lib/d:1"
mkdir -p "$WORK/kreg-cache2"
printf 'version: 0.1\nproxy: {remoteurl: "http://%s"}\n' "$REG" >"$WORK/kreg-cache2/config.yml"
start_kiln_registry cache2
export KILN_ROOT=$WORK/s3
"$KILN" pull -q "$KREG/lib/d:1" >/dev/null
expect_eq "$NEW" "$("$KILN" images --no-trunc --format '{{.Digest}}' "$KREG/lib/d:1")" "kiln pulls through a cache of Distribution"
pass "a cache of CNCF Distribution serves kiln"

# --- a slow upstream: the blob streams to the client while the cache stores it -------------------
head -c 2000000 /dev/urandom >big.bin
bd=sha256:$(sha256sum big.bin | cut -d' ' -f1)
loc=$(curl -s -D - -o /dev/null -X POST "http://$REG/v2/lib/big/blobs/uploads/" | tr -d '\r' | sed -n 's/^Location: //Ip')
[[ $loc == http* ]] || loc="http://$REG$loc"
expect_eq 201 "$(code -X PUT -H 'Content-Type: application/octet-stream' --data-binary @big.bin "$loc&digest=$bd")" "blob into Distribution"
sport=$(free_port)
python3 "$KILN_SRC/tests/tools/slow_tcp.py" "$sport" "$REG" 50 >slow.log 2>&1 &
spid=$!
cleanup_hooks+=("kill $spid 2>/dev/null")
wait_listening "$sport" "$spid" slow.log slow_tcp.py
mkdir -p "$WORK/kreg-cache4"
printf 'version: 0.1\nproxy: {remoteurl: "http://127.0.0.1:%s"}\n' "$sport" >"$WORK/kreg-cache4/config.yml"
start_kiln_registry cache4
read -r first total < <(curl -s -o got.bin -w '%{time_starttransfer} %{time_total}\n' "http://$KREG/v2/lib/big/blobs/$bd")
expect_eq "$bd" "sha256:$(sha256sum got.bin | cut -d' ' -f1)" "the blob through a slow upstream"
python3 -c "import sys; f, t = $first, $total; sys.exit(0 if t > 1.0 and f < t / 2 else 1)" ||
  fail "not streamed: first byte after $first s of $total s"
kill "$spid"
expect_eq "$bd" "sha256:$(curl -s "http://$KREG/v2/lib/big/blobs/$bd" | sha256sum | cut -d' ' -f1)" "then served from storage"
pass "a slow upstream's blob streams to the client (first byte after $first s of $total s) and is kept"

# --- an upstream behind Docker token auth (Bearer) ------------------------------------------------
export KILN_ROOT=$WORK/store
d=$WORK/tok
mkdir -p "$d" "$WORK/kreg-tokup" "$WORK/kreg-cache3"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/key" -out "$d/cert" -days 2 -subj /CN=token 2>/dev/null
tport=$(free_port)
python3 "$KILN_SRC/tests/tools/token_server.py" "$tport" "$d/key" "$d/cert" kiln-test kiln-issuer 300 bob:pw RS256 >"$d/log" 2>&1 &
tpid=$!
cleanup_hooks+=("kill $tpid 2>/dev/null")
for i in $(seq 100); do curl -s "http://127.0.0.1:$tport/token" >/dev/null 2>&1 && break; sleep 0.1; done
printf 'auth:\n  token: {realm: "http://127.0.0.1:%s/token", service: kiln-test, issuer: kiln-issuer, rootcertbundle: "%s"}\n' \
  "$tport" "$d/cert" >"$WORK/kreg-tokup/config.yml"
start_kiln_registry tokup
TOKUP=$KREG
"$KILN" push -q --creds bob:pw app:1 "$TOKUP/team/t:1"
printf 'proxy: {remoteurl: "http://%s", username: bob, password: pw}\n' "$TOKUP" >"$WORK/kreg-cache3/config.yml"
start_kiln_registry cache3
export KILN_ROOT=$WORK/s4
"$KILN" pull -q "$KREG/team/t:1" >/dev/null
expect_eq "$NEW" "$("$KILN" images --no-trunc --format '{{.Digest}}' "$KREG/team/t:1")" "kiln pulls through a cache of a token-auth registry"
grep -q '"status":401' "$WORK/kreg-tokup/log" || fail "the upstream never challenged the cache"
pass "a cache of a registry behind Docker token auth fetches with Bearer tokens"

# --- bad configuration ---------------------------------------------------------------------------
printf 'version: 0.1\nproxy: {remoteurl: "ftp://x"}\n' >bad.yml
expect_exit 2 "$KILN" registry serve --config bad.yml --root "$WORK/bad"
expect_contains "$ERR" "proxy.remoteurl"
printf 'version: 0.1\nproxy: {remoteurl: "http://x", ttl: soon}\n' >bad.yml
expect_exit 2 "$KILN" registry serve --config bad.yml --root "$WORK/bad"
expect_contains "$ERR" "proxy.ttl"
pass "bad proxy configurations are refused with the key named"
