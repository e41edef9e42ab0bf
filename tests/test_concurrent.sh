#!/usr/bin/env bash
# Several kiln processes on one store at once (imports, tags, removals, prune): no corruption.
source "$(dirname "$0")/lib.sh"
busybox_rootfs
big_rootfs "$WORK/big" 24
pids=()
for p in 1 2 3; do
  (
    for i in 1 2 3 4; do
      $KILN import -q "$WORK/rootfs" "p$p:$i" >/dev/null
      $KILN import -q "$WORK/big" "big$p:$i" >/dev/null
      $KILN tag "p$p:$i" "copy$p:$i"
      $KILN rmi "copy$p:$i" >/dev/null
    done
  ) &
  pids+=($!)
done
( for i in 1 2 3 4 5 6; do $KILN system prune -f >/dev/null; sleep 0.3; done ) &
pids+=($!)
for pid in "${pids[@]}"; do wait "$pid" || fail "a concurrent worker failed"; done
expect_eq 24 "$($KILN images -q | wc -l)" "every image present"
$KILN system check >"$WORK/check" || { cat "$WORK/check"; fail "check"; }
for p in 1 2 3; do $KILN history "big$p:4" >/dev/null; done
pass "concurrent"
