#!/usr/bin/env bash
# A blob damaged on disk: `system check` names it; commands that read it fail clearly.
source "$(dirname "$0")/lib.sh"
busybox_rootfs
id=$($KILN import -q "$WORK/rootfs" victim)
$KILN system check >/dev/null

blobs="$KILN_ROOT/blobs/sha256"
config=${id#sha256:}
layer=$($KILN inspect -f '{{json .}}' victim >/dev/null; python3 - "$blobs" "$config" <<'PY'
import json, os, sys
blobs, config = sys.argv[1:]
for name in os.listdir(blobs):
    if name == config: continue
    with open(os.path.join(blobs, name), 'rb') as f: head = f.read(2)
    if head == b'\x1f\x8b': print(name)
PY
)
[[ -n $layer ]] || fail "layer blob not found"

# Flip one byte of the layer.
chmod u+w "$blobs/$layer"
printf '\xff' | dd of="$blobs/$layer" bs=1 seek=100 conv=notrunc status=none
expect_exit 5 $KILN system check
expect_contains "$OUT" "error: blob sha256:$layer is corrupt: its content hashes to sha256:"
expect_contains "$OUT" "1 errors"

# Damage the config: every command that reads it fails with a clear error.
chmod u+w "$blobs/$config"
cp "$blobs/$config" "$WORK/config.orig"
printf '{"broken' >"$blobs/$config"
expect_exit 5 $KILN inspect victim
expect_contains "$ERR" "kiln: image ${config:0:12}: blob $id: size mismatch: got 8 bytes, want "
# Same size, other bytes: the digest says so.
size=$(stat -c %s "$WORK/config.orig")
head -c "$size" /dev/zero | tr '\0' ' ' >"$blobs/$config"
expect_exit 5 $KILN inspect victim
expect_contains "$ERR" "kiln: image ${config:0:12}: blob $id: digest mismatch: got sha256:"
expect_exit 5 $KILN history victim
expect_exit 5 $KILN system check
expect_contains "$OUT" "error: blob $id is corrupt"

# A missing blob is named too.
rm -f "$blobs/$layer"
expect_exit 5 $KILN system check
expect_contains "$OUT" "layer blob sha256:$layer is missing"
pass "corrupt"
