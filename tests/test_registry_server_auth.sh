#!/usr/bin/env bash
# kiln registry serve with access control: htpasswd (bcrypt) Basic auth, and Docker token auth
# with RS256 and ES256 JWTs from a token server in the test suite (per-repository scopes,
# catalog scope), used by kiln's client and skopeo.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
jq_() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
busybox_rootfs
"$KILN" import rootfs base:1 >/dev/null
DIGEST=$("$KILN" images --no-trunc --format '{{.Digest}}' base:1)
"$KILN" save -o base.tar base:1
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

# --- htpasswd --------------------------------------------------------------------------------
python3 -W ignore -c "import crypt; print('alice:' + crypt.crypt('s3cret', crypt.mksalt(crypt.METHOD_BLOWFISH)))" >htpasswd
start_kiln_registry basic --htpasswd htpasswd --realm "test realm"
expect_eq 401 "$(code "http://$KREG/v2/")" "no credentials"
expect_contains "$(curl -s -D - -o /dev/null "http://$KREG/v2/")" 'WWW-Authenticate: Basic realm="test realm"'
expect_eq 401 "$(code -u alice:wrong "http://$KREG/v2/")" "wrong password"
expect_eq 200 "$(code -u alice:s3cret "http://$KREG/v2/")" "right password"
expect_exit 6 "$KILN" push -q --creds alice:wrong base:1 "$KREG/a/base:1"
expect_contains "$ERR" "$KREG"
"$KILN" push -q --creds alice:s3cret base:1 "$KREG/a/base:1"
skopeo copy -q --src-tls-verify=false --dest-tls-verify=false --src-creds alice:s3cret --dest-creds alice:s3cret \
  "docker://$KREG/a/base:1" "docker://$KREG/b/base:1"
expect_eq "$DIGEST" "$(skopeo inspect --tls-verify=false --creds alice:s3cret "docker://$KREG/b/base:1" | jq_ 'd["Digest"]')" "skopeo with basic auth"
pass "htpasswd: 401 with a Basic challenge, wrong passwords refused, kiln and skopeo push and pull"

# --- token auth --------------------------------------------------------------------------------
for alg in RS256 ES256; do
  d=$WORK/tok-$alg
  mkdir -p "$d"
  if [[ $alg == RS256 ]]; then
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/key" -out "$d/cert" -days 2 -subj /CN=token 2>/dev/null
  else
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/key" -out "$d/cert" -days 2 -subj /CN=token 2>/dev/null
  fi
  tport=$(free_port)
  python3 "$KILN_SRC/tests/tools/token_server.py" "$tport" "$d/key" "$d/cert" kiln-test kiln-issuer 300 bob:pw "$alg" >"$d/log" 2>&1 &
  tpid=$!
  cleanup_hooks+=("kill $tpid 2>/dev/null")
  # The token server must answer before kiln asks it (python's start-up is slow on a busy
  # machine: CI saw "Couldn't connect to server" here once).
  for i in $(seq 100); do curl -s "http://127.0.0.1:$tport/token" >/dev/null 2>&1 && break; sleep 0.1; done
  curl -s "http://127.0.0.1:$tport/token" >/dev/null 2>&1 || fail "the token server did not start: $(cat "$d/log")"
  mkdir -p "$WORK/kreg-$alg"
  cat >"$WORK/kreg-$alg/config.yml" <<CFG
auth:
  token:
    realm: http://127.0.0.1:$tport/token
    service: kiln-test
    issuer: kiln-issuer
    rootcertbundle: $d/cert
CFG
  start_kiln_registry "$alg"
  hdr=$(curl -s -D - -o /dev/null "http://$KREG/v2/x/y/manifests/1")
  expect_contains "$hdr" "WWW-Authenticate: Bearer realm=\"http://127.0.0.1:$tport/token\",service=\"kiln-test\",scope=\"repository:x/y:pull\""
  "$KILN" push -q --creds bob:pw base:1 "$KREG/team/base:1"
  export KILN_ROOT=$WORK/anon-$alg
  "$KILN" pull -q "$KREG/team/base:1" >/dev/null # anonymous: the token server grants pull
  expect_eq "$DIGEST" "$("$KILN" images --no-trunc --format '{{.Digest}}' "$KREG/team/base:1")" "anonymous pull ($alg)"
  expect_exit 6 "$KILN" push -q "$KREG/team/base:1" "$KREG/team/anon:1"
  expect_contains "$ERR" "$KREG"
  export KILN_ROOT=$WORK/store
  skopeo copy -q --dest-tls-verify=false --dest-creds bob:pw "docker-archive:base.tar" "docker://$KREG/sk/base:1"
  expect_eq 1 "$(skopeo inspect --tls-verify=false --creds bob:pw "docker://$KREG/sk/base:1" | jq_ 'len(d["Layers"])')" "skopeo with token auth ($alg)"
  tok=$(curl -s -u bob:pw "http://127.0.0.1:$tport/token?service=kiln-test&scope=repository:team/base:pull" | jq_ 'd["token"]')
  expect_eq 200 "$(code -H "Authorization: Bearer $tok" "http://$KREG/v2/team/base/manifests/1")" "token with pull"
  expect_eq 403 "$(code -H "Authorization: Bearer $tok" -X DELETE "http://$KREG/v2/team/base/manifests/1")" "token without delete"
  expect_eq 403 "$(code -H "Authorization: Bearer $tok" "http://$KREG/v2/other/manifests/1")" "token for another repository"
  expect_eq 403 "$(code -H "Authorization: Bearer $tok" "http://$KREG/v2/_catalog")" "catalog needs registry:catalog:*"
  tampered="${tok%.*}.$(printf 'AAAA%.0s' {1..20})"
  expect_eq 401 "$(code -H "Authorization: Bearer $tampered" "http://$KREG/v2/team/base/manifests/1")" "bad signature"
  cat=$(curl -s -u bob:pw "http://127.0.0.1:$tport/token?service=kiln-test&scope=registry:catalog:*" | jq_ 'd["token"]')
  expect_contains "$(curl -s -H "Authorization: Bearer $cat" "http://$KREG/v2/_catalog")" '"team/base"'
  other=$WORK/other-$alg
  mkdir -p "$other"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$other/key" -out "$other/cert" -days 2 -subj /CN=evil 2>/dev/null
  oport=$(free_port)
  python3 "$KILN_SRC/tests/tools/token_server.py" "$oport" "$other/key" "$other/cert" kiln-test kiln-issuer 300 bob:pw >"$other/log" 2>&1 &
  cleanup_hooks+=("kill $! 2>/dev/null")
  for i in $(seq 100); do curl -s "http://127.0.0.1:$oport/token" >/dev/null 2>&1 && break; sleep 0.1; done
  evil=$(curl -s -u bob:pw "http://127.0.0.1:$oport/token?service=kiln-test&scope=repository:team/base:pull" | jq_ 'd["token"]')
  expect_eq 401 "$(code -H "Authorization: Bearer $evil" "http://$KREG/v2/team/base/manifests/1")" "a token signed by an untrusted certificate"
  pass "token auth ($alg): challenge with scope, push with credentials, anonymous pull only, per-repository and catalog scopes, forged tokens refused"
done
