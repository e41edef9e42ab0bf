#!/usr/bin/env bash
# skopeo and umoci read everything kiln writes (with the digests kiln reports), and kiln reads
# what they write; a kiln -> skopeo -> kiln round trip keeps the image digest; `umoci unpack` of
# a kiln layout gives the tree `kiln export` gives.
source "$(dirname "$0")/lib.sh"
command -v skopeo >/dev/null || fail "skopeo missing (scripts/install-deps test installs it)"
command -v umoci >/dev/null || fail "umoci missing (scripts/install-deps test installs it)"
cd "$WORK"
busybox_rootfs
"$KILN" import rootfs base:1 >/dev/null
mkdir ctx
printf 'FROM base:1\nRUN mkdir -p /srv && echo built >/srv/built && chown 1:1 /srv/built && chmod 640 /srv/built && ln -s built /srv/link && rm /etc/group\nCOPY . /ctx/\nCMD ["cat", "/srv/built"]\n' >ctx/Dockerfile
echo data >ctx/data.txt
"$KILN" build -q -t app:1 ctx >/dev/null
DIGEST=$("$KILN" images --no-trunc --format '{{.Digest}}' app:1)
ID=$("$KILN" inspect --format '{{.Id}}' app:1)
jq_() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# --- skopeo reads every kiln output -------------------------------------------------------
"$KILN" copy app:1 oci:lay:v1
"$KILN" copy app:1 oci-archive:lay.tar:v1
"$KILN" save -o app.tar app:1
for loc in oci:lay:v1 oci-archive:lay.tar:v1; do
  expect_eq "$DIGEST" "$(skopeo inspect "$loc" | jq_ 'd["Digest"]')" "skopeo's digest of $loc"
done
expect_eq "$ID" "$(skopeo inspect --raw docker-archive:app.tar | jq_ 'd["config"]["digest"]')" \
  "config digest skopeo reads from kiln's docker archive"
expect_eq "$("$KILN" inspect --format '{{json .RootFS.Layers}}' app:1 | jq_ '",".join(d)')" \
  "$(skopeo inspect docker-archive:app.tar | jq_ '",".join(d["Layers"])')" "layers skopeo reads"
skopeo inspect --config docker-archive:app.tar:app:1 >/dev/null
pass "skopeo inspects kiln's oci:, oci-archive: and docker-archive: outputs; digests equal"

# --- kiln reads what skopeo writes --------------------------------------------------------
skopeo copy -q oci:lay:v1 docker-archive:sk-docker.tar:sk/app:2
skopeo copy -q oci:lay:v1 oci-archive:sk-oci.tar:v2
skopeo copy -q oci:lay:v1 oci:sk-lay:v2
skopeo copy -q docker-archive:app.tar oci:sk-from-archive:v3
export KILN_ROOT=$WORK/s2
expect_eq "Loaded image: sk/app:2" "$("$KILN" load -i sk-docker.tar)" "load skopeo's docker archive"
expect_eq "$ID" "$("$KILN" inspect --format '{{.Id}}' sk/app:2)" "image ID from skopeo's docker archive"
"$KILN" copy oci-archive:sk-oci.tar:v2 kiln://from-oci-archive:1
"$KILN" copy oci:sk-lay:v2 kiln://from-oci:1
expect_eq "$DIGEST" "$("$KILN" images --no-trunc --format '{{.Digest}}' from-oci-archive:1)" \
  "digest after kiln -> skopeo oci-archive -> kiln"
expect_eq "$DIGEST" "$("$KILN" images --no-trunc --format '{{.Digest}}' from-oci:1)" \
  "digest after kiln -> skopeo oci -> kiln"
"$KILN" copy oci:sk-from-archive:v3 kiln://from-archive:1
# (skopeo re-serialises the config when it converts v2s2 to OCI, so only the layers are equal)
expect_eq "$("$KILN" --root "$WORK/store" inspect --format '{{json .RootFS.Layers}}' app:1)" \
  "$("$KILN" inspect --format '{{json .RootFS.Layers}}' from-archive:1)" "layers via skopeo docker-archive -> oci"
expect_eq "built" "$("$KILN" run --rm from-oci:1)" "run an image that went through skopeo"
pass "kiln loads skopeo's docker-archive, oci-archive and oci outputs; round trips keep digests"

# --- umoci ----------------------------------------------------------------------------------
export KILN_ROOT=$WORK/store
umoci unpack --image lay:v1 bundle >/dev/null
"$KILN" export app:1 -o export.tar
python3 "$KILN_SRC/tests/tools/tree_compare.py" bundle/rootfs export.tar >cmp.txt ||
  fail "umoci unpack and kiln export differ: $(cat cmp.txt)"
pass "umoci unpack of kiln's layout equals kiln export ($(tail -1 cmp.txt))"

mkdir -p extra/opt && echo from-umoci >extra/opt/hello
umoci init --layout um
umoci new --image um:base
umoci insert --image um:base rootfs / >/dev/null
umoci insert --image um:base extra/opt /opt >/dev/null
umoci config --image um:base --config.cmd cat --config.cmd /opt/hello
"$KILN" copy oci:um:base kiln://umoci:1
expect_eq "from-umoci" "$("$KILN" run --rm umoci:1)" "run an image umoci built"
expect_eq "$(skopeo inspect oci:um:base | jq_ 'd["Digest"]')" \
  "$("$KILN" images --no-trunc --format '{{.Digest}}' umoci:1)" "digest of umoci's image in kiln"
pass "kiln copies and runs an image umoci built, digest kept"
