#!/usr/bin/env bash
# kiln's registry client and TLS, against kiln registry serve on this machine's non-loopback
# address: HTTPS by default (a plain-HTTP registry is refused), insecure registries from kiln's
# settings file (host:port and CIDR; HTTPS without verification, else HTTP), and
# /etc/docker/certs.d/HOST/ (ca.crt, client.cert, client.key) read as docker reads it.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
IP=$(ip -4 -o addr show scope global 2>/dev/null | awk '{print $4}' | cut -d/ -f1 | head -1)
[[ -n "$IP" ]] || skip "this machine has no non-loopback IPv4 address"
busybox_rootfs
"$KILN" import rootfs base:1 >/dev/null
DIGEST=$("$KILN" images --no-trunc --format '{{.Digest}}' base:1)
export KILN_CONFIG=$WORK/kiln-config.json

serve() { # serve NAME ARGS...: kiln registry serve on $IP; sets HOSTPORT
  local name=$1 port
  shift
  port=$(free_port)
  mkdir -p "$WORK/srv-$name"
  "$KILN" registry serve --root "$WORK/srv-$name/data" --addr "$IP:$port" --no-access-log "$@" \
    >"$WORK/srv-$name/log" 2>&1 &
  cleanup_hooks+=("kill $! 2>/dev/null")
  HOSTPORT=$IP:$port
  for i in $(seq 100); do
    python3 -c "import socket; socket.create_connection(('$IP', $port), 1)" 2>/dev/null && return 0
    sleep 0.1
  done
  fail "kiln registry serve did not listen on $HOSTPORT: $(cat "$WORK/srv-$name/log")"
}

# --- plain HTTP: refused unless listed as insecure --------------------------------------------
serve plain
echo '{}' >"$KILN_CONFIG"
"$KILN" push -q base:1 "$HOSTPORT/a/base:1" 2>err.txt && fail "push over HTTP without being told to"
expect_contains "$(cat err.txt)" "$HOSTPORT"
"$KILN" push -q --tls-verify=false base:1 "$HOSTPORT/z/base:1" # as skopeo: HTTP allowed too
printf '{"insecure-registries": ["%s"]}' "$HOSTPORT" >"$KILN_CONFIG"
"$KILN" push -q base:1 "$HOSTPORT/a/base:1"
printf '{"insecure-registries": ["%s/8"]}' "${IP%%.*}.0.0.0" >"$KILN_CONFIG"
"$KILN" push -q base:1 "$HOSTPORT/b/base:1"
expect_eq "$DIGEST" "$("$KILN" --root "$WORK/s2" pull -q "$HOSTPORT/b/base:1" >/dev/null &&
  "$KILN" --root "$WORK/s2" images --no-trunc --format '{{.Digest}}' "$HOSTPORT/b/base:1")" "pull over HTTP"
echo '{"insecure-registries": "not a list"}' >"$KILN_CONFIG"
expect_exit 2 "$KILN" push -q base:1 "$HOSTPORT/c/base:1"
expect_contains "$ERR" "$KILN_CONFIG"
pass "a plain-HTTP registry is refused unless listed as insecure (host:port or CIDR) or --tls-verify=false; a malformed settings file is named"

# --- TLS: certs.d, client certificates, insecure ------------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=kiln-test-ca 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj "/CN=$IP" 2>/dev/null
printf 'subjectAltName=IP:%s\n' "$IP" >san.ext
openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out srv.crt -days 2 -extfile san.ext 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout cli.key -out cli.csr -subj /CN=client 2>/dev/null
openssl x509 -req -in cli.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out cli.crt -days 2 2>/dev/null
echo '{}' >"$KILN_CONFIG"
serve tls --tls-cert srv.crt --tls-key srv.key
"$KILN" push -q base:1 "$HOSTPORT/a/base:1" 2>err.txt && fail "push to a registry whose CA is unknown"
expect_contains "$(cat err.txt)" "$HOSTPORT"
"$KILN" push -q --tls-verify=false base:1 "$HOSTPORT/a/base:1"
printf '{"insecure-registries": ["%s"]}' "$HOSTPORT" >"$KILN_CONFIG"
"$KILN" push -q base:1 "$HOSTPORT/b/base:1"
echo '{}' >"$KILN_CONFIG"
certs=/etc/docker/certs.d/$HOSTPORT
[[ -w /etc ]] || skip "cannot write /etc/docker/certs.d here (not root)"
mkdir -p "$certs"
cleanup_hooks+=("rm -rf '$certs'")
cp ca.crt "$certs/ca.crt"
"$KILN" push -q base:1 "$HOSTPORT/c/base:1"
pass "TLS: an unknown CA is refused; --tls-verify=false and insecure-registries skip verification; certs.d/HOST/ca.crt verifies"

serve mtls --tls-cert srv.crt --tls-key srv.key --tls-client-ca ca.crt
certs=/etc/docker/certs.d/$HOSTPORT
mkdir -p "$certs"
cleanup_hooks+=("rm -rf '$certs'")
cp ca.crt "$certs/ca.crt"
"$KILN" push -q base:1 "$HOSTPORT/a/base:1" 2>err.txt && fail "push without a client certificate"
cp cli.crt "$certs/client.cert"
cp cli.key "$certs/client.key"
"$KILN" push -q base:1 "$HOSTPORT/a/base:1"
expect_eq "$DIGEST" "$("$KILN" --root "$WORK/s3" pull -q "$HOSTPORT/a/base:1" >/dev/null &&
  "$KILN" --root "$WORK/s3" images --no-trunc --format '{{.Digest}}' "$HOSTPORT/a/base:1")" "pull with a client certificate"
pass "client certificates from certs.d/HOST/client.cert and client.key"
