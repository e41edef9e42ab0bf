#!/usr/bin/env bash
# Multi-platform images in the local store: `kiln pull --all-platforms` and `kiln copy --all`
# into the store keep the index, its images are hidden behind it as docker shows them, a name
# resolves to this machine's image (or --platform's in a build), push sends the whole index
# back with its digest, prune keeps what the index needs, and rmi of the last name removes
# the index with its images.
source "$(dirname "$0")/lib.sh"
[[ $(id -u) == 0 ]] || skip "running images needs root (CI runs as root)"
unshare -m -p -f true 2>/dev/null || skip "the kernel refuses new namespaces here"
host_arch=$(uname -m | sed 's/x86_64/amd64/;s/aarch64/arm64/')
other_arch=arm64
[[ $host_arch == arm64 ]] && other_arch=amd64
cd "$WORK"

# An index of two images: this machine's busybox, and the same files labelled for another CPU.
busybox_rootfs
"$KILN" import -q -c 'CMD ["/bin/sh"]' rootfs base:1 >/dev/null
"$KILN" copy base:1 oci:lay:base
index=$(python3 "$KILN_SRC/tests/tools/multiplatform_layout.py" lay multi "$host_arch" "$other_arch")
"$KILN" rmi base:1 >/dev/null
"$KILN" system prune -f >/dev/null

start_kiln_registry multi
"$KILN" copy -q --all oci:multi:multi "docker://$KREG/multi:1"

# pull --all-platforms keeps the index.
expect_exit 2 "$KILN" pull --all-platforms --platform linux/arm64 "$KREG/multi:1"
expect_contains "$ERR" "exclude each other"
expect_eq "$index" "$("$KILN" pull -q --all-platforms "$KREG/multi:1" && "$KILN" images --no-trunc --format '{{.Digest}}' "$KREG/multi")" \
  "digest of the pulled index"
"$KILN" pull --all-platforms "$KREG/multi:1" >"$WORK/out" 2>&1
expect_contains "$(cat "$WORK/out")" "$index"
rows=$("$KILN" images --format '{{.Repository}}:{{.Tag}} {{.ID}}')
expect_eq "$KREG/multi:1 ${index:7:12}" "$rows" "kiln images: the index alone, its ID its digest"
pass "pull --all-platforms stores the index; kiln images shows it as one image"

# A name resolves to this machine's image; a build for the other platform takes the other one.
expect_eq "$host_arch" "$("$KILN" inspect --format '{{.Architecture}}' "$KREG/multi:1")" "inspect"
expect_eq ok "$("$KILN" run --rm "$KREG/multi:1" echo ok)" "run the index's image for this machine"
mkdir ctx && echo data >ctx/f
printf 'FROM %s\nCOPY f /f\n' "$KREG/multi:1" >ctx/Dockerfile
"$KILN" build -q --platform "linux/$other_arch" -t other:1 ctx >/dev/null
expect_eq "$other_arch" "$("$KILN" inspect --format '{{.Architecture}}' other:1)" "FROM an index with --platform"
"$KILN" build -q -t mine:1 ctx >/dev/null
expect_eq "$host_arch" "$("$KILN" inspect --format '{{.Architecture}}' mine:1)" "FROM an index for this machine"
pass "an index resolves to this machine's image, and to --platform's in a build"

# prune keeps the index's images (they have no names of their own); check is clean.
"$KILN" system prune -f >/dev/null
expect_eq ok "$("$KILN" run --rm "$KREG/multi:1" echo ok)" "run after prune"
"$KILN" system check >/dev/null || fail "system check after prune: $("$KILN" system check 2>&1)"
# push sends the whole index, byte for byte.
"$KILN" push -q "$KREG/multi:1" "$KREG/again:1"
got=$(curl -sf -H 'Accept: application/vnd.oci.image.index.v1+json' "http://$KREG/v2/again/manifests/1" | sha256sum | cut -d' ' -f1)
expect_eq "${index#sha256:}" "$got" "digest of the pushed index"
expect_eq "$other_arch" "$(skopeo inspect --tls-verify=false --override-arch "$other_arch" --format '{{.Architecture}}' "docker://$KREG/again:1")" \
  "the other platform's image went too"
pass "prune keeps an index's images; push sends the index whole"

# copy --all into the store does the same as pull --all-platforms.
"$KILN" copy --all oci:multi:multi kiln://copied:1
expect_eq "$index" "$("$KILN" images --no-trunc --format '{{.Digest}}' copied)" "copy --all into the store"
# tag and rmi act on the index; the last name takes its images with it. One of its images
# cannot be removed on its own.
child=$("$KILN" inspect --format '{{.Id}}' copied:1)
set +e
"$KILN" rmi "$child" >/dev/null 2>"$WORK/err"
rc=$?
set -e
[[ $rc != 0 ]] || fail "rmi of one platform of an index succeeded"
expect_contains "$(cat "$WORK/err")" "one platform of a multi-platform image"
"$KILN" tag "$KREG/multi:1" m:2
"$KILN" rmi "$KREG/multi:1" copied:1 >/dev/null
expect_eq "$host_arch" "$("$KILN" inspect --format '{{.Architecture}}' m:2)" "the index under its other name"
"$KILN" rmi m:2 >/dev/null
expect_exit 3 "$KILN" inspect m:2
expect_eq "mine:1 other:1" "$("$KILN" images --format '{{.Repository}}:{{.Tag}}' | sort | xargs)" \
  "images left after rmi of the index"
for child in $(python3 -c 'import json,sys; print(" ".join(m["digest"] for m in json.load(open(sys.argv[1]))["manifests"]))' \
  "multi/blobs/sha256/${index#sha256:}"); do
  expect_exit 3 "$KILN" inspect "$child"  # the index's images went with it
done
"$KILN" system prune -f >/dev/null
"$KILN" system check >/dev/null || fail "system check after rmi: $("$KILN" system check 2>&1)"
left=$(ls "$KILN_ROOT/blobs/sha256" | grep -c "${index#sha256:}" || true)
expect_eq 0 "$left" "the index blob after rmi and prune"
pass "tag and rmi act on the index; its images go with it"
