#!/usr/bin/env bash
# kiln build vs buildah: every case of tests/build-corpus is built by both from the same base
# image, and the results are compared entry by entry and by config (tests/tools/compare_build.py).
source "$(dirname "$0")/lib.sh"
[[ $(id -u) == 0 ]] || skip "building needs root (CI runs as root)"
command -v buildah >/dev/null || skip "buildah is not installed (scripts/install-deps test installs it)"
unshare -m -p -f true 2>/dev/null || skip "the kernel refuses new namespaces here"

busybox_rootfs
echo "app:x:1000:1000:app:/home/app:/bin/sh" >>"$WORK/rootfs/etc/passwd"
printf 'app:x:1000:\nstaff:x:50:app\n' >>"$WORK/rootfs/etc/group"
"$KILN" import -q -c 'CMD ["/bin/sh"]' "$WORK/rootfs" bb >/dev/null
tar -C "$WORK/rootfs" -cf "$WORK/rootfs.tar" .
B=(buildah --root "$WORK/buildah/root" --runroot "$WORK/buildah/run" --storage-driver overlay)
cleanup_hooks+=("${B[*]} rm -a >/dev/null 2>&1; umount -R $WORK/buildah/root/overlay 2>/dev/null")
c=$("${B[@]}" from scratch)
"${B[@]}" add "$c" "$WORK/rootfs.tar" / >/dev/null
"${B[@]}" config --cmd /bin/sh "$c"
"${B[@]}" commit -q "$c" bb >/dev/null
"${B[@]}" rm "$c" >/dev/null

failed=()
compared=0
for src in "$KILN_SRC"/tests/build-corpus/*/; do
  name=$(basename "$src")
  ctx="$WORK/ctx/$name"
  mkdir -p "$ctx" && cp -a "$src/." "$ctx/"
  args=()
  [[ -f "$ctx/args" ]] && mapfile -t args <"$ctx/args"
  out="$WORK/out/$name"
  mkdir -p "$out"
  if ! (cd "$ctx" && "$KILN" build -q --progress plain -t "case:$name" "${args[@]}" . >"$out/id" 2>"$out/kiln.log"); then
    cat "$out/kiln.log" >&2
    failed+=("$name (kiln build failed)")
    continue
  fi
  "$KILN" export "case:$name" -o "$out/kiln.tar"
  "$KILN" inspect --format '{{json .Config}}' "case:$name" >"$out/kiln.json"
  if [[ -f "$ctx/kiln-only" ]]; then
    mkdir -p "$out/root" && tar -C "$out/root" -xf "$out/kiln.tar"
    if ! ROOT="$out/root" CONFIG="$out/kiln.json" bash "$ctx/check.sh"; then
      failed+=("$name (kiln-only check)")
    fi
    continue
  fi
  if ! (cd "$ctx" && "${B[@]}" bud --isolation chroot --layers --format docker -q -t "case-$name" \
      "${args[@]}" . >"$out/buildah.log" 2>&1); then
    cat "$out/buildah.log" >&2
    failed+=("$name (buildah build failed)")
    continue
  fi
  ctr=$("${B[@]}" from "case-$name")
  mnt=$("${B[@]}" mount "$ctr")
  "${B[@]}" inspect --type image "case-$name" |
    python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["Docker"]["config"]))' >"$out/other.json"
  if ! python3 "$KILN_SRC/tests/tools/compare_build.py" "$out/kiln.tar" "$mnt" "$out/kiln.json" \
      "$out/other.json" "$ctx/known-diffs" >"$out/diff"; then
    echo "== $name" >&2
    cat "$out/diff" >&2
    failed+=("$name (differs from buildah)")
  fi
  "${B[@]}" umount "$ctr" >/dev/null
  "${B[@]}" rm "$ctr" >/dev/null
  compared=$((compared + 1))
done
((${#failed[@]} == 0)) || fail "cases: ${failed[*]}"
pass "$compared cases identical to buildah's, kiln-only cases checked"
