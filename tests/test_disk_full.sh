#!/usr/bin/env bash
# Disk full during import (a small tmpfs): a clear error, and nothing half-written remains.
source "$(dirname "$0")/lib.sh"
[[ $(id -u) == 0 ]] || skip "mounting a tmpfs needs root"
mkdir -p "$WORK/small"
mount -t tmpfs -o size=24m tmpfs "$WORK/small" 2>"$WORK/mount.err" || skip "the kernel refused a tmpfs mount: $(cat "$WORK/mount.err")"
cleanup_hooks+=("umount -l '$WORK/small'")
export KILN_ROOT="$WORK/small/store"

busybox_rootfs
$KILN import -q "$WORK/rootfs" small >/dev/null
before=$(find "$KILN_ROOT" -type f | sort | xargs sha256sum)

big_rootfs "$WORK/big" 40
expect_exit 7 $KILN import "$WORK/big" big
expect_contains "$ERR" "No space left on device"
echo "error shown: $ERR"

$KILN system check >/dev/null || fail "check after disk full"
expect_eq "" "$($KILN images -q big)" "the failed image is absent"
expect_eq 0 "$(find "$KILN_ROOT/blobs" -name '.tmp-*' | wc -l)" "no temporary files left"
# Blobs are exactly what was there before (the database files may have grown their WAL).
after=$(find "$KILN_ROOT/blobs" -type f | sort | xargs sha256sum)
expect_eq "$(echo "$before" | grep blobs/)" "$after" "blob set unchanged"
used=$(df --output=used -k "$WORK/small" | tail -1)
((used < 8000)) || fail "tmpfs still holds ${used} kB after the failed import"
# The store keeps working.
$KILN import -q "$WORK/rootfs" again >/dev/null
pass "disk full"
