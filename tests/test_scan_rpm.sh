#!/usr/bin/env bash
# kiln sbom and kiln scan on an rpm-based image: the rpm database (sqlite, as rpm >= 4.16 writes
# it; BerkeleyDB; ndb, whose container kiln reads itself) read with librpm, packages built with
# rpmbuild and installed with rpm --justdb; epochs, source rpms, the layer of an upgrade, a
# corrupt database; matched in the AlmaLinux ecosystem.
source "$(dirname "$0")/lib.sh"
command -v rpmbuild >/dev/null && command -v rpm >/dev/null ||
  skip "rpm and rpmbuild are not installed (scripts/install-deps test installs them)"

# spec NAME VERSION RELEASE EPOCH LICENSE [SUBPACKAGE]: a package that installs nothing.
spec() {
  local f="$WORK/top/SPECS/$1-$2.spec"
  mkdir -p "$WORK/top/SPECS"
  {
    printf 'Name: %s\nVersion: %s\nRelease: %s\nSummary: t\nLicense: %s\nBuildArch: noarch\n' "$1" "$2" "$3" "$5"
    [[ "$4" != 0 ]] && printf 'Epoch: %s\n' "$4"
    printf '%%description\nt\n'
    if [[ -n "${6:-}" ]]; then
      printf '%%package %s\nSummary: t\n%%description %s\nt\n%%files %s\n' "$6" "$6" "$6"
    else
      printf '%%files\n'
    fi
  } >"$f"
  rpmbuild --define "_topdir $WORK/top" -bb "$f" >"$WORK/rpmbuild.log" 2>&1 ||
    fail "rpmbuild $1: $(cat "$WORK/rpmbuild.log")"
}
spec openssl 3.0.7 24.el9 1 "Apache-2.0" libs
spec hello-kiln 1.2.3 4.el9 0 "MIT AND BSD-3-Clause"
spec hello-kiln 1.2.4 1.el9 0 "MIT AND BSD-3-Clause"
rpms="$WORK/top/RPMS/noarch"
install_db() {  # ROOT RPM...: records the packages in ROOT's rpm database only
  local root=$1
  shift
  rpm --root "$root" --dbpath /var/lib/rpm --justdb --nodeps --ignoreos --ignorearch -U "$@" \
    >"$WORK/rpm.log" 2>&1 || fail "rpm -U: $(cat "$WORK/rpm.log")"
}
ctx="$WORK/ctx"
install_db "$ctx/one" "$rpms/openssl-libs-3.0.7-24.el9.noarch.rpm" "$rpms/hello-kiln-1.2.3-4.el9.noarch.rpm"
cp -a "$ctx/one" "$ctx/two"
install_db "$ctx/two" "$rpms/hello-kiln-1.2.4-1.el9.noarch.rpm"
mkdir -p "$ctx/bad"
head -c 4096 /dev/urandom >"$ctx/bad/rpmdb.sqlite"

busybox_rootfs
printf 'ID="almalinux"\nVERSION_ID="9.3"\nPRETTY_NAME="AlmaLinux 9.3 (Shamrock Pampas Cat)"\n' \
  >"$WORK/rootfs/etc/os-release"
$KILN import -q "$WORK/rootfs" alma-base >/dev/null
cat >"$ctx/Dockerfile" <<'D'
FROM alma-base
COPY one/var/lib/rpm /var/lib/rpm/
COPY two/var/lib/rpm /var/lib/rpm/
COPY bad/ /usr/lib/sysimage/rpm/
D
(cd "$ctx" && $KILN build -q -t alma-app . >/dev/null) || fail "build failed"

$KILN sbom --format json alma-app >"$WORK/sbom.json" 2>"$WORK/sbom.err" || fail "sbom: $(cat "$WORK/sbom.err")"
python3 - "$WORK/sbom.json" <<'PY' || fail "sbom: $(cat "$WORK/sbom.json")"
import json, sys
sbom = json.load(open(sys.argv[1]))
got = sorted((p["type"], p["name"], p["version"], p["sourceName"], p["sourceVersion"], p["license"],
              p["database"], p["location"], p["purl"]) for p in sbom["packages"])
want = sorted([
    ("rpm", "openssl-libs", "1:3.0.7-24.el9", "openssl", "1:3.0.7-24.el9", "Apache-2.0",
     "/var/lib/rpm/rpmdb.sqlite", "Dockerfile:2",
     "pkg:rpm/almalinux/openssl-libs@3.0.7-24.el9?arch=noarch&distro=almalinux-9.3&epoch=1"),
    ("rpm", "hello-kiln", "1.2.4-1.el9", "hello-kiln", "1.2.4-1.el9", "MIT AND BSD-3-Clause",
     "/var/lib/rpm/rpmdb.sqlite", "Dockerfile:3",
     "pkg:rpm/almalinux/hello-kiln@1.2.4-1.el9?arch=noarch&distro=almalinux-9.3"),
])
assert got == want, got
PY
err=$(cat "$WORK/sbom.err")
echo "$err" | head -3
expect_contains "$err" "/usr/lib/sysimage/rpm/rpmdb.sqlite: cannot read the rpm database"

mkdir -p "$WORK/osv"
adv() {  # ID FIXED: openssl in AlmaLinux 9, fixed in FIXED; rated by a CVSS v4.0 vector only
  printf '{"schema_version": "1.6.0", "id": "%s", "modified": "2024-01-01T00:00:00Z",
  "database_specific": {"severity": "HIGH"}, "severity": [{"type": "CVSS_V4",
  "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}], "affected": [{"package": {"ecosystem": "AlmaLinux:9",
  "name": "openssl"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"},
  {"fixed": "%s"}]}]}]}\n' "$1" "$2" >"$WORK/osv/$1.json"
}
adv KILN-RPM-1 "1:3.0.7-25.el9"  # affects 1:3.0.7-24.el9
adv KILN-RPM-2 "3.0.8-1.el9"     # epoch 0: older than anything with epoch 1
$KILN db import "$WORK/osv" 2>/dev/null
$KILN scan --format json alma-app >"$WORK/scan.json" 2>"$WORK/err" || fail "scan: $(cat "$WORK/err")"
python3 - "$WORK/scan.json" <<'PY' || fail "scan: $(cat "$WORK/scan.json")"
import json, sys
scan = json.load(open(sys.argv[1]))
v = {(x["package"]["name"], x["id"]): x for x in scan["vulnerabilities"]}
assert set(v) == {("openssl-libs", "KILN-RPM-1")}, sorted(v)
f = v[("openssl-libs", "KILN-RPM-1")]
assert f["ecosystem"] == "AlmaLinux:9" and f["fixedVersion"] == "1:3.0.7-25.el9", f
assert f["layer"]["location"] == "Dockerfile:2", f
# The v4.0 vector's score, computed: 9.3, CRITICAL (the advisory's own word is HIGH).
assert f["severity"] == "CRITICAL" and f["cvss"]["score"] == 9.3, f
assert f["cvss"]["vector"].startswith("CVSS:4.0/"), f
PY
# --- The BerkeleyDB database (Packages: CentOS 7, RHEL 7 and older), read with librpm's bdb_ro ---
# Written with Berkeley DB's own db5.3_load from the header blobs rpm stored in the sqlite
# database above (key: the header number, native byte order). bdb_ro walks every hash bucket,
# so the records are repeated until all of them are filled (rpm's databases hold hundreds).
command -v db5.3_load >/dev/null || fail "db5.3_load is not installed (scripts/install-deps test installs db5.3-util)"
mkdir -p "$ctx/bdb"
python3 - "$ctx/two/var/lib/rpm/rpmdb.sqlite" "$WORK/bdb.dump" <<'PY'
import sqlite3, struct, sys
blobs = [bytes(b) for (b,) in sqlite3.connect(sys.argv[1]).execute("select blob from Packages order by hnum")]
out = ["VERSION=3", "format=bytevalue", "type=hash", "db_pagesize=4096", "HEADER=END"]
for n in range(1, 9):
    out += [" " + struct.pack("<I", n).hex(), " " + blobs[(n - 1) % len(blobs)].hex()]
open(sys.argv[2], "w").write("\n".join(out + ["DATA=END"]) + "\n")
PY
db5.3_load -f "$WORK/bdb.dump" "$ctx/bdb/Packages" || fail "db5.3_load failed"
# Listed to a file first: grep -q stopping early would kill rpm with SIGPIPE under pipefail.
rpm --dbpath "$ctx/bdb" --define '_db_backend bdb_ro' -qa >"$WORK/bdb.qa" 2>&1 || true
grep -q hello-kiln-1.2.4 "$WORK/bdb.qa" ||
  fail "the fixture: rpm itself cannot read $ctx/bdb/Packages: $(cat "$WORK/bdb.qa")"
printf 'FROM alma-base\nCOPY bdb/Packages /var/lib/rpm/Packages\n' >"$ctx/Dockerfile.bdb"
(cd "$ctx" && $KILN build -q -f Dockerfile.bdb -t alma-bdb . >/dev/null) || fail "build failed"
$KILN sbom --format json alma-bdb >"$WORK/bdb.json" 2>"$WORK/bdb.err" || fail "sbom: $(cat "$WORK/bdb.err")"
python3 - "$WORK/bdb.json" <<'PY' || fail "BerkeleyDB rpmdb: $(cat "$WORK/bdb.json") $(cat "$WORK/bdb.err")"
import json, sys
got = sorted((p["name"], p["version"], p["sourceName"], p["database"]) for p in json.load(open(sys.argv[1]))["packages"])
assert got == [("hello-kiln", "1.2.4-1.el9", "hello-kiln", "/var/lib/rpm/Packages"),
               ("openssl-libs", "1:3.0.7-24.el9", "openssl", "/var/lib/rpm/Packages")], got
PY
# --- The ndb database (Packages.db: openSUSE, SLE), read by kiln (Debian's librpm lacks ndb) ---
# Written as rpm's lib/backend/ndb/rpmpkg.c writes it, from the header blobs rpm stored in the
# sqlite database above, with a third entry whose checksum is wrong: left out with a warning.
# (kiln's reader was also checked against a real SLE 15 Packages.db: all 35 packages, see
# docs/sbom.md.)
mkdir -p "$ctx/ndb"
python3 - "$ctx/two/var/lib/rpm/rpmdb.sqlite" "$ctx/ndb/Packages.db" <<'PY'
import sqlite3, struct, sys, zlib
blobs = [bytes(b) for (b,) in sqlite3.connect(sys.argv[1]).execute("select blob from Packages order by hnum")]
blobs.append(blobs[0])  # index 3: damaged below
db = bytearray(4096)
db[0:20] = b"RpmP" + struct.pack("<4I", 0, 5, 1, len(blobs) + 1)
for at in range(32, 4096, 16):
    db[at:at + 4] = b"Slot"
slot = 32 + 16  # the first slot after the header is left free
for index, blob in enumerate(blobs, 1):
    cnt = (16 + len(blob) + 12 + 15) // 16
    off = len(db) // 16
    blocks = bytearray(struct.pack("<4s3I", b"BlbS", index, 1700000000, len(blob)) + blob)
    blocks += bytes(cnt * 16 - 12 - len(blocks))
    blocks += struct.pack("<II4s", zlib.adler32(bytes(blocks)) ^ (index == 3), len(blob), b"BlbE")
    db += blocks
    db[slot + 4:slot + 16] = struct.pack("<3I", index, off, cnt)
    slot += 16
open(sys.argv[2], "wb").write(db)
PY
printf 'FROM alma-base\nCOPY ndb/Packages.db /usr/lib/sysimage/rpm/Packages.db\n' >"$ctx/Dockerfile.ndb"
(cd "$ctx" && $KILN build -q -f Dockerfile.ndb -t alma-ndb . >/dev/null) || fail "build failed"
$KILN sbom --format json alma-ndb >"$WORK/ndb.json" 2>"$WORK/ndb.err" || fail "sbom: $(cat "$WORK/ndb.err")"
python3 - "$WORK/ndb.json" <<'PY' || fail "ndb rpmdb: $(cat "$WORK/ndb.json") $(cat "$WORK/ndb.err")"
import json, sys
got = sorted((p["name"], p["version"], p["sourceName"], p["license"], p["database"]) for p in json.load(open(sys.argv[1]))["packages"])
db = "/usr/lib/sysimage/rpm/Packages.db"
assert got == [("hello-kiln", "1.2.4-1.el9", "hello-kiln", "MIT AND BSD-3-Clause", db),
               ("openssl-libs", "1:3.0.7-24.el9", "openssl", "Apache-2.0", db)], got
PY
expect_contains "$(cat "$WORK/ndb.err")" \
  "/usr/lib/sysimage/rpm/Packages.db: damaged rpm database entry, left out: package 3: checksum mismatch (Adler-32)"
pass "rpm database (sqlite, BerkeleyDB and ndb): cataloged, layers, epochs and source rpms, matched"
