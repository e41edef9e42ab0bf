#!/usr/bin/env bash
# kiln registry serve: the OCI conformance checks, interop with kiln's client and skopeo
# (digests equal; docker in test_registry_server_docker.sh), metrics, read-only, TLS with client certificates,
# hostile input, and 50 concurrent clients for 60 s with every byte verified.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
jq_() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

mkdir -p "$WORK/kreg-main"
printf 'limits: {header_timeout: 3, blob_bytes: 1073741824}\n' >"$WORK/kreg-main/config.yml"
start_kiln_registry main
expect_eq 200 "$(curl -s -o /dev/null -w '%{http_code}' "http://$KREG/v2/")" "GET /v2/"

# --- the distribution spec ----------------------------------------------------------------------
out=$(python3 "$KILN_SRC/tests/tools/oci_conformance.py" "http://$KREG") || fail "conformance: $(grep -v '^ok' <<<"$out")"
pass "OCI distribution spec checks: $(tail -1 <<<"$out")"

# --- interop: kiln, skopeo ------------------------------------------------------------------------
app_image
"$KILN" push -q app:1 "$KREG/team/app:1"
expect_eq "$DIGEST" "$(skopeo inspect --tls-verify=false "docker://$KREG/team/app:1" | jq_ 'd["Digest"]')" \
  "skopeo reads what kiln pushed"
skopeo copy -q --src-tls-verify=false --dest-tls-verify=false "docker://$KREG/team/app:1" "docker://$KREG/sk/app:2"
skopeo copy -q --src-tls-verify=false --dest-tls-verify=false --format v2s2 "docker://$KREG/team/app:1" "docker://$KREG/sk/v2s2:1"
V2DIGEST=$(skopeo inspect --tls-verify=false "docker://$KREG/sk/v2s2:1" | jq_ 'd["Digest"]')
export KILN_ROOT=$WORK/s2
"$KILN" pull -q "$KREG/sk/app:2" >/dev/null
expect_eq "$DIGEST" "$("$KILN" images --no-trunc --format '{{.Digest}}' "$KREG/sk/app:2")" "kiln pulls what skopeo pushed"
"$KILN" pull -q "$KREG/sk/v2s2:1" >/dev/null
expect_eq "$V2DIGEST" "$("$KILN" images --no-trunc --format '{{.Digest}}' "$KREG/sk/v2s2:1")" "v2s2 digest kept"
expect_eq built "$("$KILN" run --rm "$KREG/sk/v2s2:1")" "run an image pulled from kiln's registry"
export KILN_ROOT=$WORK/store
skopeo copy -q --src-tls-verify=false "docker://$KREG/team/app:1" "oci:$WORK/sk-layout:x"
expect_eq "$DIGEST" "$(skopeo inspect "oci:$WORK/sk-layout:x" | jq_ 'd["Digest"]')" "skopeo pulls from kiln's registry"
"$KILN" copy "docker://$KREG/team/app:1" "docker://$KREG/other/app:1"
# The access log line is written after the response is sent: under load it may come a little
# after the client has finished.
logged=""
for i in $(seq 50); do
  if grep '"method":"POST"' "$WORK/kreg-main/log" | grep -q '"path":"/v2/other/app/blobs/uploads/"'; then
    logged=1
    break
  fi
  sleep 0.1
done
[[ -n $logged ]] || fail "no upload or mount request logged: $(grep other/app "$WORK/kreg-main/log" | head -c 2000)"
expect_eq "$(curl -s "http://$KREG/v2/other/app/tags/list" | jq_ 'd["tags"]')" "['1']" "copy within the registry"
pass "kiln and skopeo push to and pull from kiln's registry; digests equal"

# --- metrics, health ---------------------------------------------------------------------------
metrics=$(curl -s "http://$KREG/metrics")
expect_contains "$metrics" 'kiln_registry_requests_total{route="manifest",method="PUT",status="201"}'
expect_contains "$metrics" 'kiln_registry_request_seconds_bucket{route="blob",le="+Inf"}'
expect_contains "$metrics" 'kiln_registry_storage_bytes '
expect_eq '{"status":"ok"}' "$(curl -s "http://$KREG/healthz")" "health"
tail -1 "$WORK/kreg-main/log" | python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); assert {"method","path","status","ms"} <= d.keys()' ||
  fail "access log lines are not JSON"
pass "metrics in Prometheus format, health endpoint, JSON access log"

# --- hostile input --------------------------------------------------------------------------
out=$(python3 "$KILN_SRC/tests/tools/hostile_http.py" 127.0.0.1 "${KREG#*:}" 3) || fail "hostile input: $(grep -v '^ok' <<<"$out")"
kill -0 "$KREG_PID" || fail "the server died"
pass "hostile input: $(tail -1 <<<"$out")"

# --- load: 50 clients, 60 s -----------------------------------------------------------------
secs=${KILN_LOAD_SECONDS:-60}
out=$(python3 "$KILN_SRC/tests/tools/registry_load.py" "http://$KREG" "$secs" 50) || fail "load: $out"
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$KREG_PID/status")
((hwm < 262144)) || fail "server peak memory ${hwm} kB under load"
pass "load: $out; server peak RSS $((hwm / 1024)) MB"

# --- defaults: no arguments serves ./registry-data on 127.0.0.1:5000 ----------------------------
if python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 5000))" 2>/dev/null; then
  mkdir -p defaults
  (cd defaults && exec "$KILN" registry serve >log 2>&1) &
  dpid=$!
  cleanup_hooks+=("kill $dpid 2>/dev/null")
  for i in $(seq 100); do curl -sf http://127.0.0.1:5000/v2/ >/dev/null && break; sleep 0.1; done
  expect_eq 200 "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:5000/v2/)" "kiln registry serve with no arguments"
  [[ -d defaults/registry-data ]] || fail "no ./registry-data"
  expect_contains "$(cat defaults/log)" "serving ./registry-data on http://127.0.0.1:5000"
  kill "$dpid"
  wait "$dpid" 2>/dev/null || true
  pass "kiln registry serve with no arguments: ./registry-data on 127.0.0.1:5000"
else
  echo "note: port 5000 is taken here; the no-argument default is not checked"
fi

# --- read-only, TLS with client certificates -----------------------------------------------
kill "$KREG_PID"
wait "$KREG_PID" 2>/dev/null || true
rm "$WORK/kreg-main/config.yml"
start_kiln_registry main --read-only
expect_eq 405 "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://$KREG/v2/team/app/blobs/uploads/")" "read-only refuses uploads"
expect_eq 200 "$(curl -s -o /dev/null -w '%{http_code}' "http://$KREG/v2/team/app/manifests/1")" "read-only serves"
kill "$KREG_PID"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=testca 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj /CN=127.0.0.1 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >san.ext
openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out srv.crt -days 2 -extfile san.ext 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout cli.key -out cli.csr -subj /CN=client 2>/dev/null
openssl x509 -req -in cli.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out cli.crt -days 2 2>/dev/null
start_kiln_registry tls --tls-cert srv.crt --tls-key srv.key --tls-client-ca ca.crt
expect_eq 200 "$(curl -s -o /dev/null -w '%{http_code}' --cacert ca.crt --cert cli.crt --key cli.key "https://$KREG/v2/")" "HTTPS with a client certificate"
curl -s -o /dev/null --cacert ca.crt "https://$KREG/v2/" && fail "HTTPS without a client certificate was accepted"
mkdir -p certs && cp cli.crt certs/client.cert && cp cli.key certs/client.key && cp ca.crt certs/ca.crt
skopeo copy -q --dest-cert-dir certs "oci:$WORK/sk-layout:x" "docker://$KREG/tls/app:1"
expect_eq "$DIGEST" "$(skopeo inspect --cert-dir certs "docker://$KREG/tls/app:1" | jq_ 'd["Digest"]')" "skopeo over TLS with a client certificate"
pass "read-only mode; TLS with client-certificate auth (curl, skopeo)"

# --- kiln hands `kiln registry` to kiln-registry: found beside kiln, in ../libexec/kiln, in PATH
mkdir -p solo/bin lx/bin lx/libexec/kiln
strip -o solo/bin/kiln "$KILN"
expect_exit 3 env PATH=/usr/bin:/bin solo/bin/kiln registry gc --root "$WORK/none"
expect_contains "$ERR" "kiln-registry not found next to kiln"
expect_exit 0 env PATH=/usr/bin:/bin solo/bin/kiln registry serve --help  # kiln's own help
expect_contains "$OUT" "--tls-client-ca"
cp solo/bin/kiln lx/bin/kiln
strip -o lx/libexec/kiln/kiln-registry "$(dirname "$KILN")/kiln-registry"
expect_exit 3 env PATH=/usr/bin:/bin lx/bin/kiln registry gc --root "$WORK/none"
expect_contains "$ERR" "gc: no registry storage at $WORK/none"
expect_exit 3 env PATH="$WORK/lx/libexec/kiln:/usr/bin:/bin" solo/bin/kiln --debug registry gc --root "$WORK/none"
expect_contains "$ERR" "gc: no registry storage at $WORK/none"
pass "kiln registry runs kiln-registry from beside kiln, ../libexec/kiln or PATH; a clear error without it"
