#!/usr/bin/env bash
# kiln registry serve under faults: kill -9 mid-upload (nothing partial is ever served; the
# upload resumes after a restart), kill -9 mid-gc (the next run finishes; what manifests reach
# survives), offline gc refused beside a running server, and online gc while pushes continue.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
app_image
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
PU=$KILN_SRC/tests/tools/partial_upload.py

# --- kill -9 mid-upload ------------------------------------------------------------------------
start_kiln_registry f
"$KILN" push -q app:1 "$KREG/keep/app:1"
python3 "$PU" start "http://$KREG" up/blob 40 25 >pu.out &
pu=$!
python3 "$PU" monolithic "http://$KREG" up/blob 30 20 >mono.out &
mono=$!
for i in $(seq 100); do [[ $(grep -c sent pu.out mono.out | awk -F: '{s+=$2} END {print s}') == 2 ]] && break; sleep 0.1; done
sleep 0.5
kill -9 "$KREG_PID"
kill "$pu" "$mono" 2>/dev/null || true
path=$(head -1 pu.out)
mdigest=$(head -1 mono.out)
start_kiln_registry f
full=$(python3 -c "import hashlib,random; print('sha256:'+hashlib.sha256(random.Random(42).randbytes(40<<20)).hexdigest())")
expect_eq 404 "$(code -I "http://$KREG/v2/up/blob/blobs/$full")" "a half-uploaded blob is not served"
expect_eq 404 "$(code -I "http://$KREG/v2/up/blob/blobs/$mdigest")" "a half-sent monolithic blob is not served"
out=$(python3 "$PU" resume "http://$KREG" "$path" 40) || fail "resume after kill -9: $out"
expect_contains "$out" ": 201 $full"
got=$(curl -s "http://$KREG/v2/up/blob/blobs/$full" | sha256sum | cut -d' ' -f1)
expect_eq "${full#sha256:}" "$got" "the resumed blob's bytes"
export KILN_ROOT=$WORK/s2
"$KILN" pull -q "$KREG/keep/app:1" >/dev/null
expect_eq built "$("$KILN" run --rm "$KREG/keep/app:1")" "an image pushed before the kill"
export KILN_ROOT=$WORK/store
pass "kill -9 mid-upload: nothing partial served; the upload resumes after restart with its bytes intact"

# --- offline gc beside a running server, then kill -9 mid-gc -------------------------------------
expect_exit 4 "$KILN" registry gc --root "$WORK/kreg-f/data"
expect_contains "$ERR" "in use by a running"
python3 - "$KREG" <<'PY'
import hashlib, http.client, os, sys
host, port = sys.argv[1].split(":")
c = http.client.HTTPConnection(host, int(port))
for i in range(3000):
    b = os.urandom(64) + str(i).encode()
    d = "sha256:" + hashlib.sha256(b).hexdigest()
    c.request("POST", f"/v2/junk/blobs/uploads/?digest={d}", body=b, headers={"Content-Type": "application/octet-stream"})
    r = c.getresponse(); r.read()
    assert r.status == 201, r.status
PY
kill "$KREG_PID"
wait "$KREG_PID" 2>/dev/null || true
blobs() { find "$WORK/kreg-f/data/blobs" -type f | wc -l; }
before=$(blobs)
# By default offline gc keeps what is younger than an hour (another server may be linking it).
"$KILN" registry gc --root "$WORK/kreg-f/data" >young.out
expect_eq "$before" "$(blobs)" "blobs after a gc with the default grace period"
expect_contains "$(tail -1 young.out)" "deleted 0 blobs"
"$KILN" registry gc --root "$WORK/kreg-f/data" --grace 0 --dry-run >dry.out
expect_eq "$before" "$(blobs)" "a dry run deletes nothing"
expect_contains "$(tail -1 dry.out)" "would delete 3001 blobs" # the junk and the unreferenced resumed blob
kept=$((before - 3001))
"$KILN" registry gc --root "$WORK/kreg-f/data" --grace 0 >gc1.out 2>&1 &
gcpid=$!
for i in $(seq 200); do (($(blobs) < before - 200)) && break; sleep 0.01; done
kill -9 "$gcpid" 2>/dev/null || true
wait "$gcpid" 2>/dev/null || true
mid=$(blobs)
((mid < before)) || fail "gc deleted nothing before the kill"
((mid > kept)) || echo "note: gc finished before kill -9 landed ($mid blobs left)"
"$KILN" registry gc --root "$WORK/kreg-f/data" --grace 0 --format json >gc2.json
python3 -c "import json,sys; d=json.load(open('gc2.json')); assert d['blobs_deleted'] == $mid - $kept, d" ||
  fail "the second gc did not finish the job: $(head -c 300 gc2.json)"
expect_eq "$kept" "$(blobs)" "blobs left after the second gc"
start_kiln_registry f
export KILN_ROOT=$WORK/s3
"$KILN" pull -q "$KREG/keep/app:1" >/dev/null
expect_eq built "$("$KILN" run --rm "$KREG/keep/app:1")" "what a manifest reaches survives gc"
export KILN_ROOT=$WORK/store
pass "offline gc: refused beside a running server; dry run; kill -9 mid-gc, the next run finishes; images intact"

# --- online gc while pushes continue ----------------------------------------------------------
kill "$KREG_PID"
start_kiln_registry online --gc-interval 1 --gc-grace 3
out=$(python3 "$KILN_SRC/tests/tools/registry_load.py" "http://$KREG" 12 10) || fail "pushes during online gc: $out"
grep -q '"event":"gc"' "$WORK/kreg-online/log" || fail "no online gc ran"
"$KILN" push -q app:1 "$KREG/gone/app:1"
layer=$(curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$KREG/v2/gone/app/manifests/1" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["layers"][-1]["digest"])')
expect_eq 200 "$(code -I "http://$KREG/v2/gone/app/blobs/$layer")" "layer present"
python3 - "$KREG" <<'PY'
import http.client, json, sys
host, port = sys.argv[1].split(":")
c = http.client.HTTPConnection(host, int(port))
c.request("HEAD", "/v2/gone/app/manifests/1", headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
r = c.getresponse(); r.read()
c.request("DELETE", "/v2/gone/app/manifests/" + r.getheader("Docker-Content-Digest"))
r = c.getresponse(); r.read()
assert r.status == 202, r.status
PY
for i in $(seq 100); do [[ ! -e "$WORK/kreg-online/data/blobs/sha256/${layer:7:2}/${layer#sha256:}" ]] && break; sleep 0.1; done
[[ ! -e "$WORK/kreg-online/data/blobs/sha256/${layer:7:2}/${layer#sha256:}" ]] ||
  fail "online gc did not collect the deleted image's layer"
out2=$(python3 "$KILN_SRC/tests/tools/registry_load.py" "http://$KREG" 3 5) || fail "after online gc: $out2"
pass "online gc while clients push and pull ($out); a deleted image's layer is collected"
