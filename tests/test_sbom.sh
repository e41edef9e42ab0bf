#!/usr/bin/env bash
# kiln sbom: the packages dpkg and apk databases list, as the final image has them (whiteouts,
# removals and upgrades in later layers), each with the layer and history line that added it.
source "$(dirname "$0")/lib.sh"
busybox_rootfs
mkdir -p "$WORK/rootfs/var/lib/dpkg/status.d" "$WORK/rootfs/lib/apk/db" "$WORK/rootfs/usr/lib"
printf 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n' >"$WORK/rootfs/usr/lib/os-release"
ln -s ../usr/lib/os-release "$WORK/rootfs/etc/os-release"
cat >"$WORK/rootfs/var/lib/dpkg/status" <<'S'
Package: base-files
Status: install ok installed
Architecture: amd64
Version: 12.4+deb12u5

Package: libssl3
Status: install ok installed
Architecture: amd64
Source: openssl (3.0.11-1~deb12u2)
Version: 3.0.11-1~deb12u2

Package: gone-later
Status: install ok installed
Architecture: amd64
Version: 1.0
S
printf 'Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n' >"$WORK/rootfs/var/lib/dpkg/status.d/tzdata"
$KILN import -q "$WORK/rootfs" sbom-base >/dev/null

# Layer 0 lists four packages. Then each step changes the databases.
ctx="$WORK/ctx"
mkdir -p "$ctx"
cat >"$ctx/status" <<'S'
Package: base-files
Status: install ok installed
Architecture: amd64
Version: 12.4+deb12u5

Package: libssl3
Status: install ok installed
Architecture: amd64
Source: openssl (3.0.13-1~deb12u1)
Version: 3.0.13-1~deb12u1

Package: curl
Status: install ok installed
Architecture: amd64
Version: 7.88.1-10+deb12u5
S
printf 'P:musl\nV:1.2.4-r2\nA:x86_64\nL:MIT\no:musl\n\n' >"$ctx/installed"
cat >"$ctx/Dockerfile" <<'D'
FROM sbom-base
COPY installed /lib/apk/db/installed
COPY status /var/lib/dpkg/status
RUN rm /var/lib/dpkg/status.d/tzdata
ENV X=1
D
have_sandbox=1
unshare -m -p -f true 2>/dev/null || have_sandbox=0
if [[ $(id -u) != 0 || $have_sandbox == 0 ]]; then
  # Without RUN, the whiteout case is left to the unit tests.
  sed -i '/^RUN/d' "$ctx/Dockerfile"
fi
(cd "$ctx" && $KILN build -q -t sbom-app . >/dev/null) || fail "build failed"

$KILN sbom --format json sbom-app >"$WORK/sbom.json" 2>"$WORK/err" || fail "sbom failed: $(cat "$WORK/err")"
python3 - "$WORK/sbom.json" "$have_sandbox" "$(id -u)" <<'PY' || fail "unexpected sbom: $(cat "$WORK/sbom.json")"
import json, sys
doc = json.load(open(sys.argv[1]))
whiteout = sys.argv[2] == "1" and sys.argv[3] == "0"
assert doc["schema"] == "kiln-sbom/v1"
assert doc["distro"] == {"id": "debian", "versionId": "12", "prettyName": "Debian GNU/Linux 12 (bookworm)"}, doc["distro"]
pk = {p["name"]: p for p in doc["packages"]}
want = {"base-files", "libssl3", "curl", "musl"} | (set() if whiteout else {"tzdata"})
assert set(pk) == want, sorted(pk)
assert "gone-later" not in pk  # removed from the status file by layer 2
assert pk["base-files"]["layer"]["index"] == 0  # unchanged: the layer that added it
assert pk["musl"]["layer"]["index"] == 1 and pk["musl"]["type"] == "apk"
assert pk["musl"]["createdBy"] == "COPY installed /lib/apk/db/installed # buildkit", pk["musl"]
assert pk["musl"]["purl"] == "pkg:apk/debian/musl@1.2.4-r2?arch=x86_64&distro=12", pk["musl"]["purl"]
# An upgrade moves the package to the layer that upgraded it.
assert pk["libssl3"]["layer"]["index"] == 2 and pk["libssl3"]["version"] == "3.0.13-1~deb12u1"
assert pk["libssl3"]["sourceName"] == "openssl" and pk["libssl3"]["sourceVersion"] == "3.0.13-1~deb12u1"
assert pk["curl"]["purl"] == "pkg:deb/debian/curl@7.88.1-10%2Bdeb12u5?arch=amd64&distro=debian-12"
assert pk["curl"]["createdBy"] == "COPY status /var/lib/dpkg/status # buildkit"
assert pk["curl"]["database"] == "/var/lib/dpkg/status"
assert pk["curl"]["location"] == "Dockerfile:3" and pk["base-files"]["location"] == "Dockerfile:1"
assert doc["warnings"] == []
PY
# The table: a header and one row per package, on stdout only.
$KILN sbom sbom-app >"$WORK/table" 2>/dev/null
expect_eq "NAME" "$(head -1 "$WORK/table" | awk '{print $1}')"
grep -q '^libssl3 *3.0.13-1~deb12u1 *deb *openssl ' "$WORK/table" || fail "table: $(cat "$WORK/table")"

# The same image read from an OCI layout: the same packages.
$KILN copy -q sbom-app "oci:$WORK/layout:app"
$KILN sbom --format json "oci:$WORK/layout:app" >"$WORK/oci.json"
python3 - "$WORK/sbom.json" "$WORK/oci.json" <<'PY' || fail "the OCI layout gave other packages"
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
# The Dockerfile lines are what the store keeps about images kiln built: not in the layout.
assert {p["location"] for p in b["packages"]} == {""}
for p in a["packages"] + b["packages"]:
    del p["location"]
assert a["packages"] == b["packages"]
PY

# A corrupt database is a warning naming it; the rest is still listed.
printf '\x7fELF\x02\x01\x01\x00 not a database\n' >"$ctx/installed"
printf 'FROM sbom-app\nCOPY installed /lib/apk/db/installed\n' >"$ctx/Dockerfile"
(cd "$ctx" && $KILN build -q -t sbom-bad . >/dev/null) || fail "build failed"
expect_exit 0 $KILN sbom --format json sbom-bad
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); n={p["name"] for p in d["packages"]}; assert "curl" in n and "musl" not in n, n' "$OUT" ||
  fail "corrupt apk db: $OUT"
expect_contains "$ERR" "warning: /lib/apk/db/installed: no package could be read from it"

expect_exit 3 $KILN sbom nosuch
expect_contains "$ERR" "nosuch"
expect_exit 2 $KILN sbom --format xml sbom-app
expect_contains "$ERR" 'unknown --format "xml"'
pass "sbom lists packages by layer"
