#!/usr/bin/env bash
# Tags and versions: --semver tagging (tag, build, push), remote retag in one manifest PUT (and
# across repositories by mounting), tags sorted and filtered by version, the registry's tag
# history with rollback, immutable tags (also under concurrent pushes), garbage collection
# keeping what the history names, base-image labels and kiln outdated.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
jq_() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
names() { "$KILN" images --format '{{.Repository}}:{{.Tag}}' | sort | tr '\n' ' '; }

# --- --semver in the store ------------------------------------------------------------------
app_image
"$KILN" build -q --semver 1.2.3 --latest -t team/app "$WORK/ctx" >/dev/null
expect_eq "app:1 base:1 team/app:1 team/app:1.2 team/app:1.2.3 team/app:latest " "$(names)" "build --semver --latest"
"$KILN" tag --semver v2.0.0-rc.1 app:1 team/app
expect_contains "$(names)" "team/app:2.0.0-rc.1 "
[[ "$(names)" != *"team/app:2 "* ]] || fail "a prerelease got a floating tag: $(names)"
expect_exit 2 "$KILN" tag --semver 1.2 app:1 team/app
expect_contains "$ERR" "not a semantic version"
expect_exit 2 "$KILN" tag --semver 1.2.3+git.5 app:1 team/app
expect_contains "$ERR" "build metadata"
expect_exit 2 "$KILN" tag --semver 1.2.3 app:1 team/app:x
expect_contains "$ERR" "without tag"
expect_exit 2 "$KILN" tag app:1 "docker://127.0.0.1:1/x:y"
expect_contains "$ERR" "both"
pass "--semver expands to MAJOR.MINOR.PATCH, MAJOR.MINOR, MAJOR (and latest); bad versions refused"

# --- base-image labels ------------------------------------------------------------------------
labels=$("$KILN" inspect --format '{{json .Config.Labels}}' team/app:1.2.3)
base_digest=$("$KILN" images --no-trunc --format '{{.Digest}}' base:1)
expect_contains "$labels" "\"org.opencontainers.image.base.name\":\"docker.io/library/base:1\""
expect_contains "$labels" "\"org.opencontainers.image.base.digest\":\"$base_digest\""
pass "kiln build records the final stage's base image in the labels"

# --- the registry: push --semver, remote retag ------------------------------------------------
mkdir -p "$WORK/kreg-t"
cat >"$WORK/kreg-t/config.yml" <<'CFG'
tags:
  history: {keep: 50}
  immutable:
    "team/*": ["v*"]
gc: {delete_untagged: true, grace: 0}
CFG
start_kiln_registry t
R=$KREG
"$KILN" push -q --semver 1.2.3 app:1 "docker://$R/team/app"
expect_eq "['1', '1.2', '1.2.3']" "$(curl -s "http://$R/v2/team/app/tags/list" | jq_ 'sorted(d["tags"])')" "push --semver"
mdigest() { curl -sI -H 'Accept: application/vnd.oci.image.manifest.v1+json' -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "http://$R/v2/$1/manifests/$2" | tr -d '\r' | awk 'tolower($1)=="docker-content-digest:" {print $2}'; }
D1=$(mdigest team/app 1.2.3)
sleep 0.3  # access log lines are written after the responses
lines_before=$(wc -l <"$WORK/kreg-t/log")
out=$("$KILN" tag "docker://$R/team/app:1.2.3" "docker://$R/team/app:stable")
expect_contains "$out" "Tagged $R/team/app:stable ($D1)"
expect_eq "$D1" "$(mdigest team/app stable)" "remote retag"
sleep 0.3
new_log=$(tail -n +$((lines_before + 1)) "$WORK/kreg-t/log")
expect_eq 1 "$(grep -c '"method":"PUT"' <<<"$new_log")" "manifest PUTs for one remote tag: $new_log"
! grep -q 'blobs/uploads' <<<"$new_log" || fail "a remote retag moved blobs: $new_log"
"$KILN" tag -q "docker://$R/team/app:1.2.3" "docker://$R/other/app:copied"
expect_eq "$D1" "$(mdigest other/app copied)" "retag into another repository"
sleep 0.3
grep '"method":"POST"' "$WORK/kreg-t/log" | grep '"path":"/v2/other/app/blobs/uploads/"' | grep -q '"status":201' ||
  fail "no blob was mounted: $(grep other/app "$WORK/kreg-t/log" | head -5)"
! grep '"method":"PATCH"' "$WORK/kreg-t/log" | grep -q other/app || fail "blobs were uploaded, not mounted"
expect_exit 3 "$KILN" tag "docker://$R/team/app:nosuch" "docker://$R/team/app:x"
expect_exit 2 "$KILN" tag "docker://$R/team/app:1" "docker://127.0.0.1:1/team/app:x"
expect_contains "$ERR" "another registry"
pass "push --semver; remote retag is one manifest PUT; across repositories blobs are mounted"

# Remote retag against CNCF Distribution too (client-side).
start_distribution tags
"$KILN" push -q app:1 "$REG/d/app:1"
"$KILN" tag -q --remote "$REG/d/app:1" "$REG/d/app:one"
"$KILN" tag -q --semver 3.1.4 "docker://$REG/d/app:1" "docker://$REG/d2/app"
for t in d/app:one d2/app:3.1.4 d2/app:3.1 d2/app:3; do
  expect_eq "$D1" "$(skopeo inspect --tls-verify=false "docker://$REG/$t" | jq_ 'd["Digest"]')" "Distribution $t"
done
pass "remote retag and --semver retag work against Distribution"

# --- tags --sort semver, --filter -------------------------------------------------------------
for t in 1.10.0 2.0.0-rc.1 v1.2.4 edge 0.9; do "$KILN" tag -q "docker://$R/team/app:1" "docker://$R/team/app:$t"; done
got=$("$KILN" tags --sort semver --format table "docker://$R/team/app" | tr '\n' ' ')
expect_eq "0.9 1.2.3 v1.2.4 1.2 1.10.0 1 2.0.0-rc.1 edge stable " "$got" "tags --sort semver"
got=$("$KILN" tags --sort semver --filter '>=1.2 <2' --format table "docker://$R/team/app" | tr '\n' ' ')
expect_eq "1.2.3 v1.2.4 1.10.0 " "$got" "tags --filter"
got=$("$KILN" tags --sort semver --filter '^2.0.0-rc.0' "docker://$R/team/app" | jq_ 'd["Tags"]')
expect_eq "['2.0.0-rc.1']" "$got" "a prerelease matches a range naming one"
expect_exit 2 "$KILN" tags --filter '>>1' "docker://$R/team/app"
expect_contains "$ERR" "unknown operator"
pass "tags sorted by semantic version and filtered by npm-style ranges"

# --- history and rollback ---------------------------------------------------------------------
printf 'FROM base:1\nRUN echo two >/built\n' >"$WORK/ctx/Dockerfile"
"$KILN" build -q -t app:2 "$WORK/ctx" >/dev/null
"$KILN" push -q app:2 "docker://$R/team/app:stable"
D2=$(mdigest team/app stable)
[[ $D2 != "$D1" ]] || fail "the second image has the first one's digest"
"$KILN" tags --history "docker://$R/team/app:stable" >"$WORK/hist.json"
python3 - "$WORK/hist.json" "$D1" "$D2" <<'PY' || fail "history: $(cat "$WORK/hist.json")"
import json, sys
h = json.load(open(sys.argv[1]))
assert [e["Digest"] for e in h] == [sys.argv[3], sys.argv[2]], h
assert all(e["Action"] == "push" and e["Time"].endswith("Z") for e in h), h
assert h[0]["Time"] >= h[1]["Time"]
PY
expect_contains "$("$KILN" tags --history --format table "docker://$R/team/app:stable")" "push"
out=$("$KILN" rollback "docker://$R/team/app:stable")
expect_contains "$out" "$D2 -> $D1"
expect_eq "$D1" "$(mdigest team/app stable)" "rollback --steps 1"
"$KILN" rollback --to "$D2" "docker://$R/team/app:stable" >/dev/null
expect_eq "$D2" "$(mdigest team/app stable)" "rollback --to"
expect_exit 3 "$KILN" rollback --to "sha256:$(printf '0%.0s' {1..64})" "docker://$R/team/app:stable"
expect_contains "$ERR" "not in the tag's history"
expect_exit 3 "$KILN" rollback --steps 9 "docker://$R/team/app:stable"
expect_contains "$ERR" "fewer than --steps 9"
expect_exit 3 "$KILN" tags --history "docker://$R/team/app:nosuch"
expect_exit 8 "$KILN" tags --history "docker://$REG/d/app:1"
expect_contains "$ERR" "keeps no tag history"
pass "the registry keeps each tag's history; rollback moves a tag back by steps or to a digest"

# Garbage collection keeps what a history names, even untagged.
"$KILN" push -q app:2 "docker://$R/gc/app:t"
"$KILN" push -q app:1 "docker://$R/gc/app:t"
curl -s -X DELETE "http://$R/v2/gc/app/manifests/t" -o /dev/null
kill "$KREG_PID" && wait "$KREG_PID" 2>/dev/null || true  # offline gc needs the server stopped
"$KILN" registry gc --root "$WORK/kreg-t/data" --delete-untagged --grace 0 --dry-run >"$WORK/gc.txt" 2>&1 || fail "gc: $(cat "$WORK/gc.txt")"
start_kiln_registry t
R=$KREG
! grep -q "delete manifest gc/app@" "$WORK/gc.txt" || fail "gc would delete a manifest the tag history names: $(cat "$WORK/gc.txt")"
"$KILN" rollback "docker://$R/gc/app:t" >/dev/null
pass "garbage collection keeps the manifests a tag's history names"

# A manifest the registry no longer has cannot be rolled back to.
"$KILN" push -q app:1 "docker://$R/del/app:t"
"$KILN" push -q app:2 "docker://$R/del/app:t"
curl -s -X DELETE "http://$R/v2/del/app/manifests/$D1" -o /dev/null
expect_exit 3 "$KILN" rollback "docker://$R/del/app:t"
expect_contains "$ERR" "no longer has"
expect_eq "$D2" "$(mdigest del/app t)" "a refused rollback leaves the tag"
pass "rollback refuses a digest the registry no longer has"

# --- immutable tags -------------------------------------------------------------------------
"$KILN" tag -q "docker://$R/team/app:1" "docker://$R/team/app:v1"
"$KILN" tag -q "docker://$R/team/app:1" "docker://$R/team/app:v1"  # the same digest again: fine
expect_exit 1 "$KILN" tag "docker://$R/team/app:stable" "docker://$R/team/app:v1"
expect_contains "$ERR" "immutable"
expect_contains "$ERR" "v*"
expect_eq "$D1" "$(mdigest team/app v1)" "an immutable tag did not move"
code=$(curl -s -o "$WORK/body" -w '%{http_code}' -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
  --data-binary @<(curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$R/v2/team/app/manifests/$D2") \
  "http://$R/v2/team/app/manifests/v1")
expect_eq 409 "$code" "PUT moving an immutable tag"
expect_contains "$(cat "$WORK/body")" "DENIED"
"$KILN" tag -q "docker://$R/team/app:stable" "docker://$R/team/app:x1"  # not immutable
pass "immutable tags: set once, refused with 409 naming the rule"

# Concurrent pushes: to a new immutable tag exactly one digest wins and it never moves; on a
# mutable tag every change is in the history, the newest entry is where the tag points.
m1=$(curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$R/v2/team/app/manifests/$D1")
m2=$(curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$R/v2/team/app/manifests/$D2")
printf '%s' "$m1" >"$WORK/m1" && printf '%s' "$m2" >"$WORK/m2"
pids=()
for i in $(seq 20); do
  f=$WORK/m$((i % 2 + 1))
  curl -s -o /dev/null -w '%{http_code}\n' -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
    --data-binary "@$f" "http://$R/v2/team/app/manifests/v-race" >>"$WORK/codes" &
  pids+=($!)
  curl -s -o /dev/null -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
    --data-binary "@$f" "http://$R/v2/team/app/manifests/race" &
  pids+=($!)
done
wait "${pids[@]}"  # not the registry, also a child of this shell
grep -qx 201 "$WORK/codes" || fail "no PUT to the new immutable tag succeeded: $(sort "$WORK/codes" | uniq -c)"
"$KILN" tags --history "docker://$R/team/app:v-race" >"$WORK/h1.json"
"$KILN" tags --history "docker://$R/team/app:race" >"$WORK/h2.json"
python3 - "$WORK/h1.json" "$WORK/h2.json" "$(mdigest team/app v-race)" "$(mdigest team/app race)" "$WORK/codes" <<'PY' || fail "concurrent tag changes"
import json, sys
h1, h2 = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
codes = open(sys.argv[5]).read().split()
assert len(h1) == 1 and h1[0]["Digest"] == sys.argv[3], h1           # set once, never moved
assert set(codes) <= {"201", "409"} and codes.count("409") >= 1, codes
assert h2[0]["Digest"] == sys.argv[4], (h2[0], sys.argv[4])          # newest entry = the tag
assert all(a["Digest"] != b["Digest"] for a, b in zip(h2, h2[1:])), h2  # one entry per change
PY
pass "concurrent pushes: no immutable tag moved, no history entry lost"

# --- kiln outdated ----------------------------------------------------------------------------
osv="$KILN_SRC/tests/data/osv"
export KILN_VULN_DB="$WORK/outdated.db"
"$KILN" db import "$osv/alpine" 2>/dev/null
alpine_base() {  # alpine_base MUSL_VERSION: a busybox rootfs that says it is Alpine 3.11
  rm -rf "$WORK/abase" && cp -a "$WORK/rootfs" "$WORK/abase"
  mkdir -p "$WORK/abase/lib/apk/db" "$WORK/abase/etc"
  printf 'ID=alpine\nVERSION_ID=3.11.6\n' >"$WORK/abase/etc/os-release"
  printf 'P:musl\nV:%s\nA:x86_64\no:musl\n\n' "$1" >"$WORK/abase/lib/apk/db/installed"
  "$KILN" import "$WORK/abase" "$R/lib/base:3.11" >/dev/null
  "$KILN" push -q "$R/lib/base:3.11"
}
alpine_base 1.1.23-r1
printf 'FROM %s/lib/base:3.11\nCOPY f /f\n' "$R" >"$WORK/ctx/Dockerfile"
"$KILN" build -q -t svc:1 "$WORK/ctx" >/dev/null
expect_exit 0 "$KILN" outdated svc:1
expect_contains "$OUT" "up to date"
alpine_base 1.1.24-r0
expect_exit 1 "$KILN" outdated --format json svc:1 base:1
python3 - "$OUT" <<'PY' || fail "outdated: $OUT"
import json, sys
v = json.loads(sys.argv[1])
assert v[0]["Status"] == "outdated" and v[0]["VulnerabilitiesFixed"] == 1, v[0]
assert v[0]["Pushed"].endswith("Z") and v[0]["LatestDigest"].startswith("sha256:"), v[0]
assert v[1]["Status"] == "unknown" and "no base image recorded" in v[1]["Note"], v[1]
PY
pass "kiln outdated: a newer base under the same tag is found, with the vulnerabilities it fixes; exit 1"
