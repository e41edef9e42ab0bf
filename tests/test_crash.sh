#!/usr/bin/env bash
# kill -9 kiln at random moments of a large import (24 times). After every kill the store must
# pass `kiln system check`, and the image must be listed whole or not at all.
source "$(dirname "$0")/lib.sh"
big_rootfs "$WORK/rootfs" 150
busybox_rootfs "$WORK/rootfs"

start=$(date +%s%N)
$KILN import -q "$WORK/rootfs" probe >/dev/null
full_ms=$(( ($(date +%s%N) - start) / 1000000 ))
$KILN rmi probe >/dev/null
echo "a full import takes ${full_ms} ms"

kills=0 whole=0 absent=0 i=0
# Kill at random points up to 1.5x the import time, until 20 kills landed mid-import.
while ((kills < 20 && i < 60)); do
  i=$((i + 1))
  delay_ms=$(( RANDOM % (full_ms * 3 / 2) ))
  $KILN import -q "$WORK/rootfs" "crash:$i" >/dev/null 2>&1 &
  pid=$!
  sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
  kill -9 "$pid" 2>/dev/null || true
  status=0
  wait "$pid" 2>/dev/null || status=$?
  ((status == 137)) && kills=$((kills + 1))

  $KILN system check >"$WORK/check" 2>&1 || { cat "$WORK/check"; fail "system check after kill $i (at ${delay_ms} ms)"; }
  if [[ -n "$($KILN images -q "crash:$i")" ]]; then
    # Listed: every part of it must be readable and verified.
    $KILN inspect "crash:$i" >/dev/null || fail "crash:$i is listed but cannot be inspected"
    $KILN history "crash:$i" >/dev/null || fail "crash:$i is listed but has no history"
    whole=$((whole + 1))
  else
    ((status == 137)) || fail "crash:$i finished (exit $status) but is not listed"
    absent=$((absent + 1))
  fi
done
echo "$i runs, $kills killed mid-import; images whole: $whole, absent: $absent"
((kills >= 20)) || fail "only $kills kills landed mid-import"

# What the killed processes left (leases, orphan blobs) is collected, and the store still works.
$KILN system prune -f >/dev/null
$KILN system check >/dev/null || fail "check after prune"
expect_eq 0 "$(find "$KILN_ROOT/blobs" -name '.tmp-*' | wc -l)" "no temp files after prune"
id=$($KILN import -q "$WORK/rootfs" final)
expect_eq "$id" "$($KILN inspect -f '{{.Id}}' final)" "import after the crashes"
pass "crash ($kills kills)"
