#!/usr/bin/env bash
# kiln registry serve on S3 storage, against a real S3 engine (Ceph RGW, tests/tools/rgw.sh):
# the driver suite and the S3 driver's own tests on RGW, the OCI conformance checks, kiln and
# skopeo pushing and pulling through it, two replicas over one bucket (an upload begun on one finished on the other),
# presigned redirects, the gateway stopped in the middle of a push, and gc's dry run.
source "$(dirname "$0")/lib.sh"
source "$KILN_SRC/tests/tools/rgw.sh"
cd "$WORK"
jq_() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
UNIT=$(dirname "$KILN")/kiln_unit_tests
[[ -x $UNIT ]] || fail "$UNIT missing: build kiln_unit_tests"

t0=$(date +%s.%N)
rgw_start "$WORK/rgw"
pass "Ceph RGW up in $(python3 -c "print(round($(date +%s.%N) - $t0, 1))") s at $RGW_ENDPOINT"
expect_eq 200 "$(rgw_curl -o /dev/null -w '%{http_code}' -X PUT "$RGW_ENDPOINT/kiln")" "create bucket"

# --- the driver contract and the S3 driver's own behaviour, on RGW ---------------------------------
out=$(KILN_TEST_S3_ENDPOINT=$RGW_ENDPOINT KILN_TEST_S3_BUCKET=kiln \
  "$UNIT" --gtest_filter='S3/DriverSuite.*:RGW/S3Driver.*' 2>&1) || fail "S3 unit tests: $(grep -E 'FAILED|Failure|error' <<<"$out" | head -20)"
ran=$(grep -oE '^\[  PASSED  \] [0-9]+' <<<"$out" | grep -oE '[0-9]+$')
((ran >= 15)) || fail "only ${ran:-0} S3 tests ran: $out"
pass "driver suite and S3 driver tests on RGW: $ran passed"

# --- a registry on the bucket: kiln and skopeo push and pull ----------------------------------
# serve_s3 NAME [EXTRA_STORAGE_YAML]: a replica on bucket kiln under root "reg"; sets PORT_<NAME>.
serve_s3() {
  local name=$1 extra=${2:-} port d
  port=$(free_port)
  d=$WORK/replica-$name
  mkdir -p "$d"
  cat >"$d/config.yml" <<CFG
version: 0.1
storage:
  s3:
    bucket: kiln
    region: us-east-1
    regionendpoint: ${S3_ENDPOINT:-$RGW_ENDPOINT}
    rootdirectory: /reg
    chunksize: 5242880
$extra
http:
  addr: 127.0.0.1:$port
log:
  accesslog: {disabled: true}
CFG
  AWS_ACCESS_KEY_ID=$RGW_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$RGW_SECRET_KEY \
    "$KILN" registry serve --config "$d/config.yml" >"$d/log" 2>&1 &
  local pid=$!
  cleanup_hooks+=("kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null")
  wait_listening "$port" "$pid" "$d/log" "kiln registry serve ($name)"
  printf -v "PORT_$name" '%s' "$port"
  printf -v "PID_$name" '%s' "$pid"
}
serve_s3 a "  redirect: {disable: true}"
serve_s3 b "  redirect: {disable: true}"
A=127.0.0.1:$PORT_a
B=127.0.0.1:$PORT_b
grep -q "serving s3 bucket kiln" "$WORK/replica-a/log" || fail "no serving line: $(cat "$WORK/replica-a/log")"

out=$(python3 "$KILN_SRC/tests/tools/oci_conformance.py" "http://$A") || fail "conformance on S3: $(grep -v '^ok' <<<"$out")"
pass "OCI distribution spec checks on S3 storage: $(tail -1 <<<"$out")"

# What is in the bucket, as Ceph itself lists it.
bucket_keys() {
  radosgw-admin bucket list --bucket=kiln --max-entries=100000 2>/dev/null |
    python3 -c 'import json,sys; print("\n".join(o["name"] for o in json.load(sys.stdin)))'
}
uploads_before=$(bucket_keys | grep -c '^reg/uploads/' || true)
app_image
"$KILN" push -q app:1 "$A/team/app:1"
expect_eq "$DIGEST" "$(skopeo inspect --tls-verify=false "docker://$B/team/app:1" | jq_ 'd["Digest"]')" \
  "skopeo reads from replica b what kiln pushed to replica a"
skopeo copy -q --src-tls-verify=false --dest-tls-verify=false "docker://$B/team/app:1" "docker://$A/sk/app:2"
export KILN_ROOT=$WORK/s2
"$KILN" pull -q "$B/sk/app:2" >/dev/null
expect_eq "$DIGEST" "$("$KILN" images --no-trunc --format '{{.Digest}}' "$B/sk/app:2")" "kiln pulls what skopeo pushed"
expect_eq built "$("$KILN" run --rm "$B/sk/app:2")" "run an image pulled through the S3 registry"
export KILN_ROOT=$WORK/store
keys=$(bucket_keys)
expect_contains "$keys" "reg/repositories/team/app/_manifests/tags/1"
expect_contains "$keys" "reg/blobs/sha256/${DIGEST:7:2}/${DIGEST#sha256:}"
expect_eq "$uploads_before" "$(grep -c '^reg/uploads/' <<<"$keys" || true)" "objects under uploads/ (the conformance checks leave some)"
pass "kiln and skopeo push and pull through two replicas on one bucket; no upload left behind"

# --- an upload begun on replica a, continued and finished on replica b ---------------------------
head -c 7000000 /dev/urandom >part1
head -c 3000000 /dev/urandom >part2
cat part1 part2 >whole
want=sha256:$(sha256sum whole | cut -d' ' -f1)
loc=$(curl -s -D - -o /dev/null -X POST "http://$A/v2/split/blob/blobs/uploads/" | tr -d '\r' | sed -n 's/^Location: //Ip')
[[ -n $loc ]] || fail "no upload location"
code=$(curl -s -o /dev/null -w '%{http_code}' -X PATCH -H 'Content-Type: application/octet-stream' \
  -H "Content-Range: 0-$((7000000 - 1))" --data-binary @part1 "http://$A$loc")
expect_eq 202 "$code" "first chunk on replica a"
range=$(curl -s -D - -o /dev/null "http://$B$loc" | tr -d '\r' | sed -n 's/^Range: //Ip')
expect_eq "0-6999999" "$range" "replica b sees the upload's progress"
code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/octet-stream' \
  -H "Content-Range: 7000000-9999999" --data-binary @part2 "http://$B$loc?digest=$want")
expect_eq 201 "$code" "last chunk and commit on replica b"
got=$(curl -s "http://$A/v2/split/blob/blobs/$want" | sha256sum | cut -d' ' -f1)
expect_eq "${want#sha256:}" "$got" "replica a serves the blob replica b committed"
pass "an upload started on one replica continues on another (upload state is in the bucket)"

# --- presigned redirects -----------------------------------------------------------------------
serve_s3 c ""
C=127.0.0.1:$PORT_c
hdr=$(curl -s -D - -o /dev/null "http://$C/v2/split/blob/blobs/$want" | tr -d '\r')
expect_contains "$hdr" "HTTP/1.1 307"
url=$(sed -n 's/^Location: //Ip' <<<"$hdr")
expect_contains "$url" "$RGW_ENDPOINT/kiln/reg/blobs/sha256/"
expect_eq "${want#sha256:}" "$(curl -s "$url" | sha256sum | cut -d' ' -f1)" "the presigned URL serves the blob"
expect_eq 200 "$(curl -s -o /dev/null -w '%{http_code}' -I "http://$C/v2/split/blob/blobs/$want")" "HEAD is answered, not redirected"
export KILN_ROOT=$WORK/s3
"$KILN" pull -q "$C/team/app:1" >/dev/null
expect_eq built "$("$KILN" run --rm "$C/team/app:1")" "kiln pulls through redirects to RGW"
skopeo copy -q --src-tls-verify=false "docker://$C/team/app:1" "oci:$WORK/sk-layout:x"
export KILN_ROOT=$WORK/store
pass "blob GETs redirect to presigned RGW URLs by default; kiln and skopeo follow them"

# --- the gateway stops in the middle of a push -------------------------------------------------
mkdir -p big && head -c 40000000 /dev/urandom >big/blob
printf 'FROM base:1\nCOPY blob /blob\n' >big/Dockerfile
"$KILN" build -q -t big:1 big >/dev/null
BIG=$("$KILN" images --no-trunc --format '{{.Digest}}' big:1)
"$KILN" push -q big:1 "$A/big/img:1" >push.log 2>&1 &
ppid_=$!
sleep 0.3
rgw_gateway_stop
sleep 1
rgw_gateway_start
rc=0
wait "$ppid_" || rc=$?
if ((rc != 0)); then
  echo "push during the outage failed as it should be able to: $(tail -2 push.log)"
  "$KILN" push -q big:1 "$A/big/img:1" || fail "push after the gateway came back"
fi
export KILN_ROOT=$WORK/s4
"$KILN" pull -q "$B/big/img:1" >/dev/null
expect_eq "$BIG" "$("$KILN" images --no-trunc --format '{{.Digest}}' "$B/big/img:1")" "the big image pulled intact"
export KILN_ROOT=$WORK/store
kill -0 "$PID_a" || fail "replica a died"
pass "RGW stopped mid-push: the push (or its retry) finishes and the image pulls intact (first push exit $rc)"

# --- slow responses: every piece of every S3 answer 150 ms late ----------------------------------
sport=$(free_port)
python3 "$KILN_SRC/tests/tools/slow_tcp.py" "$sport" "${RGW_ENDPOINT#http://}" 150 >slow.log 2>&1 &
spid=$!
cleanup_hooks+=("kill $spid 2>/dev/null")
wait_listening "$sport" "$spid" slow.log slow_tcp.py
S3_ENDPOINT=http://127.0.0.1:$sport serve_s3 slow "  redirect: {disable: true}"
SLOW=127.0.0.1:$PORT_slow
t0=$(date +%s.%N)
"$KILN" push -q app:1 "$SLOW/slow/app:1"
export KILN_ROOT=$WORK/s6
"$KILN" pull -q "$SLOW/slow/app:1" >/dev/null
expect_eq "$DIGEST" "$("$KILN" images --no-trunc --format '{{.Digest}}' "$SLOW/slow/app:1")" "pulled intact through slow S3"
expect_eq built "$("$KILN" run --rm "$SLOW/slow/app:1")" "and it runs"
export KILN_ROOT=$WORK/store
took=$(python3 -c "print(round($(date +%s.%N) - $t0, 1))")
expect_eq 200 "$(curl -s -o /dev/null -w '%{http_code}' "http://$A/v2/slow/app/manifests/1")" "replica a sees what went through the slow one"
pass "slow S3 responses (150 ms per piece): push and pull through the replica finish intact in $took s"

# --- gc ---------------------------------------------------------------------------------------
out=$(AWS_ACCESS_KEY_ID=$RGW_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$RGW_SECRET_KEY \
  "$KILN" registry gc --config "$WORK/replica-a/config.yml" --dry-run --grace 0 2>&1) || fail "gc --dry-run: $out"
expect_contains "$out" "would delete"
expect_contains "$out" "kept"
pass "gc --dry-run walks the bucket: $(tail -1 <<<"$out")"

# --- online gc on three replicas under concurrent pushes and deletes ------------------------------
# Every replica collects every second with a 1 s grace, while a worker per replica pushes images
# that share layers with the others' and deletes half of them again, so shared layers keep falling
# out of use and being linked again as sweeps run (gc_fence.hpp). Afterwards every image whose
# push was acknowledged and that was not deleted must pull intact.
for r in g1 g2 g3; do serve_s3 "$r" "  redirect: {disable: true}
gc: {interval: 1, grace: 1}"; done
for i in 1 2 3; do
  p=PORT_g$i
  python3 "$KILN_SRC/tests/tools/push_churn.py" "http://127.0.0.1:${!p}" churn/shared 25 "$i" "$WORK/churn-$i.log" \
    >"$WORK/churn-$i.err" 2>&1 &
  printf -v "CHURN_$i" '%s' "$!"
done
for i in 1 2 3; do
  p=CHURN_$i
  wait "${!p}" || fail "push worker $i: $(tail -3 "$WORK/churn-$i.err")"
done
for r in g1 g2 g3; do p=PID_$r; kill -0 "${!p}" || fail "replica $r died: $(tail -5 "$WORK/replica-$r/log")"; done
sweeps=$(cat "$WORK"/replica-g?/log | grep -c '"event":"gc"' || true)
slowest=$(cat "$WORK"/replica-g?/log | grep -o '"duration_ms":[0-9]*' | awk -F: '$2>m {m=$2} END {print m+0}')
freed=$(cat "$WORK"/replica-g?/log | grep -o '"blobs_deleted":[0-9]*' | awk -F: '{s+=$2} END {print s+0}')
gc_errors=$(cat "$WORK"/replica-g?/log | grep 'gc:' | head -3 || true)
[[ -z $gc_errors ]] || fail "gc failed on a replica: $gc_errors"
# Check against replica g1 (any would do: they share the bucket).
summary=$(python3 - "http://127.0.0.1:$PORT_g1" "$WORK"/churn-?.log 2>&1 <<'PY'
import hashlib, http.client, json, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
ok, deleted, refused, refused_blob = [], set(), 0, 0
for f in sys.argv[2:]:
    for line in open(f):
        w = line.split()
        if w[0] == "ok": ok.append(w[1])
        elif w[0] == "deleted": deleted.add(w[1])
        elif w[0] == "refused": refused += 1
        else: refused_blob += 1
def get(path):
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    c.request("GET", path, headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
    r = c.getresponse(); b = r.read(); c.close()
    return r.status, b
live = [d for d in ok if d not in deleted]
blobs = 0
for d in live:
    st, body = get(f"/v2/churn/shared/manifests/{d}")
    if st != 200 or "sha256:" + hashlib.sha256(body).hexdigest() != d:
        sys.exit(f"manifest {d}: status {st}")
    m = json.loads(body)
    for desc in [m["config"]] + m["layers"]:
        st, b = get(f"/v2/churn/shared/blobs/{desc['digest']}")
        if st != 200 or "sha256:" + hashlib.sha256(b).hexdigest() != desc["digest"]:
            sys.exit(f"image {d}: blob {desc['digest']} status {st} ({len(b)} bytes)")
        blobs += 1
print(f"{len(ok)} pushes acknowledged, {len(deleted)} deleted, {refused} manifests and {refused_blob} blob uploads refused, {len(live)} images ({blobs} blobs) pull intact")
PY
) || fail "after concurrent gc: $summary"
((sweeps >= 6)) || fail "only $sweeps sweeps ran: $(tail -3 "$WORK/replica-g1/log")"
((freed > 0)) || fail "the sweeps deleted nothing: the test did not exercise them"
out=$(AWS_ACCESS_KEY_ID=$RGW_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$RGW_SECRET_KEY \
  "$KILN" registry gc --config "$WORK/replica-g1/config.yml" --dry-run --grace 0 --format json 2>/dev/null) ||
  fail "gc --dry-run after the churn: $out"
# Nothing the dry run would delete is reached by an image that is still there.
reached=$(python3 - "http://127.0.0.1:$PORT_g1" "$WORK"/churn-?.log <<'PY'
import http.client, json, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
ok, deleted = [], set()
for f in sys.argv[2:]:
    for line in open(f):
        w = line.split()
        if w[0] == "ok": ok.append(w[1])
        elif w[0] == "deleted": deleted.add(w[1])
for d in ok:
    if d in deleted: continue
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    c.request("GET", f"/v2/churn/shared/manifests/{d}", headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
    m = json.loads(c.getresponse().read())
    print(d)
    for desc in [m["config"]] + m["layers"]: print(desc["digest"])
PY
)
victims=$(python3 -c 'import json,sys; print("\n".join(a.split()[-1] for a in json.load(sys.stdin)["actions"]))' <<<"$out")
expect_eq "" "$(comm -12 <(sort -u <<<"$reached") <(grep -o 'sha256:[0-9a-f]*' <<<"$victims" | sort -u))" \
  "digests a gc --dry-run would delete that a remaining image reaches"
summary="$summary; gc --dry-run afterwards: $(grep -c . <<<"$victims" || true) deletions, none of what the images reach"
records=$(bucket_keys | grep -c '^reg/gc/touched/' || true)
((records > 0)) || fail "no request recorded what it linked while a collection ran"
pass "three replicas, $sweeps online sweeps (the slowest $slowest ms) deleting $freed blobs during concurrent pushes and deletes ($records fence records): $summary"

# An offline collection on S3 takes the same lease, so it may run beside the replicas.
out=$(AWS_ACCESS_KEY_ID=$RGW_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$RGW_SECRET_KEY \
  "$KILN" registry gc --config "$WORK/replica-a/config.yml" --grace 0 2>&1) || fail "gc on S3: $out"
expect_contains "$out" "deleted"
export KILN_ROOT=$WORK/s5
"$KILN" pull -q "$B/team/app:1" >/dev/null
expect_eq built "$("$KILN" run --rm "$B/team/app:1")" "a tagged image survives a real sweep on S3"
export KILN_ROOT=$WORK/store
pass "kiln registry gc on S3 beside running replicas: $(tail -1 <<<"$out")"
