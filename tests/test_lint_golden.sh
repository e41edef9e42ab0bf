#!/usr/bin/env bash
# kiln lint, one golden file per rule: tests/data/lint/RULE/Dockerfile holds cases that must
# fire and cases that must not (heredocs, continuations, escapes where they matter), and
# tests/data/lint/RULE/expected is the exact output of `kiln lint --rule RULE` (message,
# line, column, caret, fix, rewritten line). KILN_UPDATE_GOLDEN=1 rewrites the expected files
# (then read every diff before committing it).
source "$(dirname "$0")/lib.sh"

data="$KILN_SRC/tests/data/lint"
# Every rule has a golden directory, and every directory is a rule.
rules=$("$KILN" lint --list-rules --format json | python3 -c 'import json,sys; print("\n".join(r["id"] for r in json.load(sys.stdin)))')
for r in $rules; do [[ -f "$data/$r/Dockerfile" ]] || fail "rule $r has no golden case in tests/data/lint/$r"; done
for d in "$data"/*/; do
  r=$(basename "$d")
  grep -qx "$r" <<<"$rules" || fail "tests/data/lint/$r is not a rule"
done

# Base images some rules read from the local store (RULE/store-images: "NAME PLATFORM" lines,
# PLATFORM "host" for this machine's); the other rules run with --no-store.
busybox_rootfs
host=$(uname -m | sed 's/x86_64/amd64/; s/aarch64/arm64/')

failed=0
n=0
for r in $rules; do
  d="$data/$r"
  if [[ $r == ShellCheck ]] && ! command -v shellcheck >/dev/null; then
    echo "SKIP: ShellCheck golden (shellcheck is not installed)"
    continue
  fi
  store=(--no-store)
  if [[ -f "$d/store-images" ]]; then
    store=()
    while read -r name platform; do
      [[ $platform == host ]] && platform=linux/$host
      $KILN import -q --platform "$platform" "$WORK/rootfs" "$name" >/dev/null
    done <"$d/store-images"
  fi
  set +e
  got=$(cd "$d" && "$KILN" lint --rule "$r" "${store[@]}" --color never --failure-threshold none Dockerfile 2>&1)
  rc=$?
  set -e
  [[ $rc == 0 ]] || { echo "FAIL: $r: kiln lint exited $rc: $got"; failed=1; continue; }
  if [[ ${KILN_UPDATE_GOLDEN:-} == 1 ]]; then
    printf '%s\n' "$got" >"$d/expected"
  elif ! diff -u "$d/expected" <(printf '%s\n' "$got") >"$WORK/diff"; then
    echo "FAIL: $r: output differs from tests/data/lint/$r/expected:"
    cat "$WORK/diff"
    failed=1
  fi
  # Each golden case fires at least once and has a case that must not fire.
  grep -q "\[$r\]" "$d/expected" || { echo "FAIL: $r: the golden case never fires"; failed=1; }
  n=$((n + 1))
done
[[ $failed == 0 ]] || fail "lint golden files differ"
pass "lint golden files: $n rules"
