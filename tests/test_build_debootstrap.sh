#!/usr/bin/env bash
# One realistic case: a Debian minbase root filesystem (debootstrap, from the machine's own
# Debian mirror), built on by kiln and by buildah and compared like the corpus cases.
source "$(dirname "$0")/lib.sh"
[[ $(id -u) == 0 ]] || skip "building needs root (CI runs as root)"
command -v buildah >/dev/null || skip "buildah is not installed"
command -v debootstrap >/dev/null || skip "debootstrap is not installed"
unshare -m -p -f true 2>/dev/null || skip "the kernel refuses new namespaces here"
# The machine's own Debian mirror: the first "URIs:" (deb822) or "deb" line that is not security.
mirror=${KILN_DEBIAN_MIRROR:-$({ cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null || true; } |
  awk '/^URIs:/ && !/security/ {print $2; exit} /^deb / && !/security/ {print $2; exit}')}
mirror=${mirror:-http://deb.debian.org/debian}
if ! debootstrap --variant=minbase bookworm "$WORK/deb" "$mirror" >"$WORK/debootstrap.log" 2>&1; then
  tail -3 "$WORK/debootstrap.log"
  skip "debootstrap from $mirror failed (no route to the Debian mirror here)"
fi
tar -C "$WORK/deb" -cf "$WORK/deb.tar" .
"$KILN" import -q -c 'CMD ["bash"]' "$WORK/deb.tar" deb >/dev/null
# kiln sbom lists what dpkg itself says is installed: name, version, source and its version.
dpkg-query --admindir="$WORK/deb/var/lib/dpkg" -W \
  -f='${db:Status-Abbrev}|${Package}|${Version}|${source:Package}|${source:Version}|${Architecture}\n' |
  awk -F'|' '$1 ~ /^ii/ {print $2"|"$3"|"$4"|"$5"|"$6}' | sort >"$WORK/dpkg.list"
"$KILN" sbom --format json deb >"$WORK/sbom.json"
python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
assert d["distro"]["id"] == "debian" and d["distro"]["versionId"] == "12", d["distro"]
for p in sorted(d["packages"], key=lambda p: p["name"]):
    assert p["layer"]["index"] == 0 and p["purl"].startswith("pkg:deb/debian/"), p
    print("|".join([p["name"], p["version"], p["sourceName"], p["sourceVersion"], p["arch"]]))' \
  "$WORK/sbom.json" | sort >"$WORK/sbom.list"
diff "$WORK/dpkg.list" "$WORK/sbom.list" >&2 || fail "kiln sbom disagrees with dpkg-query"
[[ $(wc -l <"$WORK/sbom.list") -gt 50 ]] || fail "too few packages: $(wc -l <"$WORK/sbom.list")"
B=(buildah --root "$WORK/buildah/root" --runroot "$WORK/buildah/run" --storage-driver overlay)
cleanup_hooks+=("${B[*]} rm -a >/dev/null 2>&1; umount -R $WORK/buildah/root/overlay 2>/dev/null")
c=$("${B[@]}" from scratch)
"${B[@]}" add "$c" "$WORK/deb.tar" / >/dev/null
"${B[@]}" config --cmd bash "$c"
"${B[@]}" commit -q "$c" deb >/dev/null
"${B[@]}" rm "$c" >/dev/null

ctx="$WORK/ctx"
cp -a "$KILN_SRC/tests/build-realistic" "$ctx"
(cd "$ctx" && "$KILN" build -q -t realistic . >"$WORK/kiln.id") || fail "kiln build failed"
expect_exit 0 "$KILN" run --rm realistic
expect_contains "$OUT" "built by app with bash 5 on Debian GNU/Linux 12 (bookworm)"
"$KILN" export realistic -o "$WORK/kiln.tar"
"$KILN" inspect --format '{{json .Config}}' realistic >"$WORK/kiln.json"
(cd "$ctx" && "${B[@]}" bud --isolation chroot --layers --format docker -q -t realistic . >/dev/null 2>"$WORK/buildah.log") ||
  { cat "$WORK/buildah.log"; fail "buildah build failed"; }
ctr=$("${B[@]}" from realistic)
mnt=$("${B[@]}" mount "$ctr")
"${B[@]}" inspect --type image realistic |
  python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["Docker"]["config"]))' >"$WORK/other.json"
if ! python3 "$KILN_SRC/tests/tools/compare_build.py" "$WORK/kiln.tar" "$mnt" "$WORK/kiln.json" \
    "$WORK/other.json" "$ctx/known-diffs" >"$WORK/diff"; then
  cat "$WORK/diff" >&2
  fail "the realistic image differs from buildah's"
fi
"${B[@]}" umount "$ctr" >/dev/null
pass "debootstrap-based image identical to buildah's"
