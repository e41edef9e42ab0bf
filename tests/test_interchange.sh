#!/usr/bin/env bash
# kiln save / load / copy between the store, oci:, oci-archive: and docker-archive: — round
# trips keep digests, conversions do what they say, and every kind of bad input is refused
# with a clear error and nothing written to the store.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
busybox_rootfs
"$KILN" import -q rootfs base:1 >/dev/null 2>&1 || "$KILN" import rootfs base:1 >/dev/null
mkdir ctx
printf 'hello\n' >ctx/hello.txt
printf 'FROM base:1\nRUN echo built >/built\nCOPY hello.txt /hello.txt\nCMD ["cat", "/hello.txt"]\n' >ctx/Dockerfile
"$KILN" build -q -t app:1 ctx >/dev/null
digest() { "$KILN" images --no-trunc --format '{{.Digest}}' "$1"; }
id() { "$KILN" inspect --format '{{.Id}}' "$1"; }
APP_DIGEST=$(digest app:1)
APP_ID=$(id app:1)

# --- docker-archive: save, load into an empty store, run -----------------------------------
"$KILN" save -o app.tar app:1 base:1
tar tf app.tar >members
grep -qx manifest.json members || fail "no manifest.json in the docker archive"
grep -qx index.json members || fail "no index.json (Docker 25 layout) in the docker archive"
export KILN_ROOT=$WORK/s2
out=$("$KILN" load -i app.tar)
expect_contains "$out" "Loaded image: app:1"
expect_contains "$out" "Loaded image: base:1"
expect_eq "$APP_ID" "$(id app:1)" "image ID after docker-archive round trip"
expect_eq "built" "$("$KILN" run --rm app:1 cat /built)" "run a loaded image"
expect_eq "hello" "$("$KILN" run --rm app:1)" "CMD of a loaded image"
"$KILN" system check >/dev/null
pass "docker-archive save/load keeps the image ID; the image runs"

# Untagged images load by ID; a save by ID records no name.
export KILN_ROOT=$WORK/store
"$KILN" save "$APP_ID" >byid.tar
export KILN_ROOT=$WORK/s3
out=$("$KILN" load <byid.tar)
expect_eq "Loaded image ID: $APP_ID" "$out" "load of an untagged image"
pass "untagged images load by ID"

# --- oci-archive and compressed archives ---------------------------------------------------
export KILN_ROOT=$WORK/store
"$KILN" save --format oci-archive app:1 | gzip >app-oci.tar.gz
"$KILN" save app:1 | zstd -q >app.tar.zst
for f in app-oci.tar.gz app.tar.zst; do
  export KILN_ROOT=$WORK/s-$f
  out=$("$KILN" load -i "$f")
  expect_eq "Loaded image: app:1" "$out" "load $f"
  expect_eq "$APP_ID" "$(id app:1)" "image ID after loading $f"
done
export KILN_ROOT=$WORK/s-app-oci.tar.gz
expect_eq "$APP_DIGEST" "$(digest app:1)" "manifest digest after an oci-archive round trip"
pass "oci-archive, gzip and zstd archives load; OCI keeps the manifest digest"

# --- copy between every transport ----------------------------------------------------------
export KILN_ROOT=$WORK/store
"$KILN" copy app:1 oci:lay:v1
"$KILN" copy oci:lay:v1 oci-archive:lay.tar:v1
"$KILN" copy oci-archive:lay.tar:v1 oci:lay2
"$KILN" copy oci:lay2 docker-archive:d.tar:app:2
export KILN_ROOT=$WORK/s4
"$KILN" copy oci:lay:v1 kiln://app:1
expect_eq "$APP_DIGEST" "$(digest app:1)" "oci: -> kiln keeps the manifest digest"
"$KILN" copy oci-archive:lay.tar:v1 kiln://app:3
expect_eq "$APP_DIGEST" "$(digest app:3)" "oci-archive: -> kiln keeps the manifest digest"
"$KILN" copy docker-archive:d.tar kiln://app:2
expect_eq "$APP_ID" "$(id app:2)" "docker-archive: -> kiln keeps the image ID"
cmp lay/blobs/sha256/"${APP_DIGEST#sha256:}" lay2/blobs/sha256/"${APP_DIGEST#sha256:}"
"$KILN" copy --preserve-digests app:1 oci:lay3
pass "copy between kiln://, oci:, oci-archive: and docker-archive: keeps digests"

# --- conversions ---------------------------------------------------------------------------
"$KILN" copy --format v2s2 app:1 oci:conv:v2
m=$(python3 -c 'import json,sys; i=json.load(open("conv/index.json")); d=[x for x in i["manifests"] if x.get("annotations",{}).get("org.opencontainers.image.ref.name")=="v2"][0]; print(open("conv/blobs/sha256/"+d["digest"][7:]).read())')
expect_contains "$m" '"application/vnd.docker.distribution.manifest.v2+json"'
expect_contains "$m" '"application/vnd.docker.image.rootfs.diff.tar.gzip"'
"$KILN" copy --dest-compress-format zstd app:1 oci:conv:zstd
"$KILN" copy oci:conv:zstd kiln://app:zstd
"$KILN" inspect --format '{{.Id}}' app:zstd >/dev/null
expect_eq "$APP_ID" "$(id app:zstd)" "recompressing keeps the config (image ID)"
expect_eq "built" "$("$KILN" run --rm app:zstd cat /built)" "run a zstd-recompressed image"
expect_exit 8 "$KILN" copy --preserve-digests --format v2s2 app:1 oci:conv:nope
expect_contains "$ERR" "--preserve-digests"
expect_exit 8 "$KILN" copy --format v2s2 app:zstd oci:conv:nope
expect_contains "$ERR" "zstd layers have no Docker v2 schema 2 media type"
pass "format and compression conversions"

# --- multi-platform index ------------------------------------------------------------------
python3 "$KILN_SRC/tests/tools/multiplatform_layout.py" lay multi amd64 arm64 >/dev/null
"$KILN" copy --all oci:multi:multi oci-archive:multi.tar:multi
"$KILN" copy --all oci-archive:multi.tar:multi oci:multi2:m
x1=$(python3 -c 'import json; print(json.load(open("multi/index.json"))["manifests"][0]["digest"])')
x2=$(python3 -c 'import json; print(json.load(open("multi2/index.json"))["manifests"][0]["digest"])')
expect_eq "$x1" "$x2" "index digest after copy --all"
"$KILN" copy --platform linux/arm64 oci:multi:multi kiln://multi:arm
expect_eq "arm64" "$("$KILN" inspect --format '{{.Architecture}}' multi:arm)" "--platform picks the arm64 image"
"$KILN" copy oci:multi:multi kiln://multi:host
expect_eq "$(uname -m | sed 's/x86_64/amd64/;s/aarch64/arm64/')" \
  "$("$KILN" inspect --format '{{.Architecture}}' multi:host)" "an index resolves to the host platform"
"$KILN" copy --all oci:multi:multi kiln://multi:all  # the store keeps the index
expect_eq "$x1" "$("$KILN" images --no-trunc --format '{{.Digest}}' multi:all)" "index digest in the store"
expect_exit 3 "$KILN" copy --platform linux/s390x oci:multi:multi kiln://multi:s390x
expect_contains "$ERR" "it has: linux/amd64, linux/arm64"
pass "multi-platform indexes: --all keeps the index (also in the store), one platform otherwise"

# --- a failed save leaves the old file alone ----------------------------------------------
echo precious >keep.tar
expect_exit 3 "$KILN" save -o keep.tar app:1 no-such:image
expect_eq precious "$(cat keep.tar)" "file after a failed save"
ls -a | grep -q 'keep.tar.kiln-' && fail "a failed save left its temporary file"
pass "a failed save keeps the previous file"

# --- bad input: a clear error and nothing in the store -------------------------------------
export KILN_ROOT=$WORK/store
python3 "$KILN_SRC/tests/tools/bad_archives.py" app.tar lay bad >cases
export KILN_ROOT=$WORK/s-bad
"$KILN" images >/dev/null
n=0
while IFS=$'\t' read -r name want; do
  if [[ -d bad/$name ]]; then
    set +e; "$KILN" copy "oci:bad/$name" kiln://x:1 >"$WORK/out" 2>"$WORK/err"; rc=$?; set -e
  else
    set +e; "$KILN" load -i "bad/$name" >"$WORK/out" 2>"$WORK/err"; rc=$?; set -e
  fi
  err=$(cat "$WORK/err")
  ((rc != 0)) || fail "$name: accepted"
  ((rc < 100)) || fail "$name: exit $rc (crash?): $err"
  [[ $err =~ $want ]] || fail "$name: want [$want] in: $err"
  [[ -z $("$KILN" images -q) ]] || fail "$name: an image was recorded"
  blobs=$(find "$KILN_ROOT/blobs" -type f | wc -l)
  [[ $blobs == 0 ]] || fail "$name: $blobs blobs were left in the store"
  n=$((n + 1))
done <cases
"$KILN" system check >/dev/null
((n >= 20)) || fail "only $n bad-input cases ran"
pass "$n kinds of bad input refused, store untouched"

# --- decompression limits: the defaults refuse a bomb fast; a genuine layer loads with them off ---
export KILN_ROOT=$WORK/store
start=$(date +%s%N)
expect_exit 5 "$KILN" copy oci:bad/layer-bomb kiln://bomb:1
ms=$((($(date +%s%N) - start) / 1000000))
expect_contains "$ERR" "decompressed size exceeds limit"
((ms < 5000)) || fail "the 10 GiB gzip bomb took ${ms} ms to refuse"
mkdir -p "$WORK/zeros"
head -c $((300 << 20)) /dev/zero >"$WORK/zeros/big"
"$KILN" import -q "$WORK/zeros" zeros:1 >/dev/null
"$KILN" copy -q kiln://zeros:1 "oci:$WORK/zeros-oci:zeros"  # the layer stays gzip-compressed
export KILN_ROOT=$WORK/s-zeros
expect_exit 5 "$KILN" copy "oci:$WORK/zeros-oci:zeros" kiln://zeros:1
expect_contains "$ERR" "more than 100:1"
expect_exit 0 "$KILN" --max-decompression-ratio 0 copy -q "oci:$WORK/zeros-oci:zeros" kiln://zeros:1
expect_eq "$((300 << 20))" "$("$KILN" export zeros:1 | tar -tv | awk '$NF == "big" {print $3}')" \
  "the 300 MiB file of a genuine high-ratio layer"
"$KILN" rmi zeros:1 >/dev/null
expect_exit 5 env KILN_MAX_DECOMPRESSED_SIZE=1M "$KILN" --max-decompression-ratio 0 copy \
  "oci:$WORK/zeros-oci:zeros" kiln://zeros:1
expect_contains "$ERR" "more than 1048576 bytes"
expect_exit 2 "$KILN" --max-decompressed-size lots images
export KILN_ROOT=$WORK/store
pass "decompression limits: a 10 GiB bomb refused in ${ms} ms; --max-decompression-ratio 0 loads a genuine 300 MiB layer of zeros"
