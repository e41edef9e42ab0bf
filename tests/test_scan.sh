#!/usr/bin/env bash
# kiln db and kiln scan: OSV advisories imported from files, directories, archives and HTTP
# (with conditional update), matched against an image's packages by source package, release
# and version order; every finding names the layer and the Dockerfile line that added it.
source "$(dirname "$0")/lib.sh"
osv="$KILN_SRC/tests/data/osv"

# --- kiln db: the forms a source can take ---
expect_exit 3 $KILN scan busybox
expect_contains "$ERR" "no advisory database at $KILN_ROOT/vulndb/advisories.db"
expect_exit 0 $KILN db import "$osv/debian" "$osv/synthetic"
expect_contains "$ERR" "$osv/debian: 4 advisories"
(cd "$osv" && python3 -c 'import zipfile,glob
with zipfile.ZipFile("'"$WORK"'/alpine.zip", "w", zipfile.ZIP_DEFLATED) as z:
    [z.write(f, f.split("/")[-1]) for f in glob.glob("alpine/*.json")]')
tar -C "$osv" -czf "$WORK/alpine.tar.gz" alpine
$KILN db import "$WORK/alpine.zip" "$WORK/alpine.tar.gz" 2>"$WORK/err" || fail "import: $(cat "$WORK/err")"
expect_contains "$(cat "$WORK/err")" "alpine.zip: 2 advisories"
expect_contains "$(cat "$WORK/err")" "alpine.tar.gz: 2 advisories"
$KILN db status --format json >"$WORK/status.json"
python3 - "$WORK/status.json" <<'PY' || fail "db status: $(cat "$WORK/status.json")"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["advisories"] == 9 and s["withdrawn"] == 1, s   # the same 2 Alpine IDs twice: replaced
assert s["ecosystems"]["Debian:12"] == 7 and s["ecosystems"]["Alpine:v3.11"] == 2, s["ecosystems"]
assert len(s["sources"]) == 4
PY
$KILN db status | grep -q "^Advisories: 9 (1 withdrawn)" || fail "db status table: $($KILN db status)"

# A malformed document is a warning naming it; the rest is imported. A file that is nothing
# kiln can read is an error, and the database is as it was.
mkdir -p "$WORK/bad"
cp "$osv/debian/DSA-5532-1.json" "$WORK/bad/"
printf '{"id": "X-1", "affected": [{"ranges": []}]}' >"$WORK/bad/nopkg.json"
printf '{"id": ' >"$WORK/bad/truncated.json"
expect_exit 0 $KILN db import "$WORK/bad"
expect_contains "$ERR" "warning: $WORK/bad/nopkg.json: affected entry 0 has no package"
expect_contains "$ERR" "warning: $WORK/bad/truncated.json: not a JSON document"
expect_contains "$ERR" "$WORK/bad: 1 advisories"
printf 'PK\x03\x04garbage' >"$WORK/bad.zip"
before=$(sha256sum "$KILN_ROOT/vulndb/advisories.db")
expect_exit 5 $KILN db import "$WORK/bad.zip"
expect_eq "$before" "$(sha256sum "$KILN_ROOT/vulndb/advisories.db")" "database after a failed import"
[[ ! -e "$KILN_ROOT/vulndb/advisories.db.new" ]] || fail "a failed import left its new file"

# Over HTTP on loopback: a conditional GET on update (python's server answers 304 to
# If-Modified-Since), a new download when the file changed.
mkdir -p "$WORK/www"
cp "$WORK/alpine.zip" "$WORK/www/"
port=$(free_port)
(cd "$WORK/www" && exec python3 -m http.server --bind 127.0.0.1 "$port" >"$WORK/http.log" 2>&1) &
http_pid=$!
cleanup_hooks+=("kill $http_pid 2>/dev/null")
wait_listening "$port" "$http_pid" "$WORK/http.log" "python3 -m http.server"
export KILN_VULN_DB="$WORK/http.db"
expect_exit 0 $KILN db import "http://127.0.0.1:$port/alpine.zip"
expect_contains "$ERR" "http://127.0.0.1:$port/alpine.zip: 2 advisories"
expect_exit 0 $KILN db update
expect_contains "$ERR" "alpine.zip: unchanged (2 advisories)"
grep -q '"GET /alpine.zip HTTP/1.1" 304' "$WORK/http.log" || fail "no 304: $(cat "$WORK/http.log")"
(cd "$WORK/www" && rm alpine.zip && python3 -c 'import zipfile
with zipfile.ZipFile("alpine.zip", "w") as z: z.write("'"$osv"'/alpine/ALPINE-CVE-2019-14697.json", "a.json")' && touch -d '+1 hour' alpine.zip)
expect_exit 0 $KILN db update
expect_contains "$ERR" "alpine.zip: 1 advisories"
expect_eq 1 "$($KILN db status --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["advisories"])')"
expect_exit 3 $KILN db import "http://127.0.0.1:$port/missing.zip"
expect_contains "$ERR" "HTTP 404"
unset KILN_VULN_DB

# --- kiln scan: a Debian 12 image built by kiln, packages in two layers ---
debian12_rootfs
$KILN import -q "$WORK/rootfs" scan-base >/dev/null
ctx="$WORK/ctx"
mkdir -p "$ctx"
cp "$WORK/rootfs/var/lib/dpkg/status" "$ctx/status"
cat >>"$ctx/status" <<'S'

Package: curl
Status: install ok installed
Architecture: amd64
Version: 7.88.1-10+deb12u4
S
printf 'FROM scan-base\nENV A=1\n\nCOPY status /var/lib/dpkg/status\n' >"$ctx/Dockerfile"
(cd "$ctx" && $KILN build -q -t scan-app . >/dev/null) || fail "build failed"
$KILN scan --format json scan-app >"$WORK/scan.json" 2>"$WORK/err" || fail "scan: $(cat "$WORK/err")"
python3 - "$WORK/scan.json" <<'PY' || fail "unexpected scan: $(cat "$WORK/scan.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == "kiln-scan/v1" and d["packages"] == 3
v = {(x["package"]["name"], x["id"]): x for x in d["vulnerabilities"]}
assert set(v) == {("libssl3", "CVE-2023-5363"), ("libssl3", "CVE-2024-6119"),
                  ("curl", "CVE-2023-46218"), ("zlib1g", "KILN-TEST-0003")}, sorted(v)
# Two databases' records of one CVE: one finding with both IDs, the CVSS vector's severity.
a = v[("libssl3", "CVE-2023-5363")]
assert a["ids"] == ["CVE-2023-5363", "DSA-5532-1", "KILN-TEST-0001"], a["ids"]
assert a["severity"] == "HIGH" and a["cvss"]["score"] == 7.5, a
assert a["fixedVersion"] == "3.0.11-1~deb12u2" and a["ecosystem"] == "Debian:12"
assert a["matchedName"] == "openssl" and a["installedVersion"] == "3.0.11-1~deb12u1"
# Base-image packages: layer 0, brought in by the FROM line.
assert a["layer"]["index"] == 0 and a["layer"]["location"] == "Dockerfile:1", a["layer"]
c = v[("curl", "CVE-2023-46218")]
assert c["layer"]["index"] == 1 and c["layer"]["location"] == "Dockerfile:4", c["layer"]
assert c["layer"]["createdBy"] == "COPY status /var/lib/dpkg/status # buildkit"
assert c["fixedVersion"] == "7.88.1-10+deb12u5" and c["severity"] == "UNKNOWN"
# DSA-5523-1 was fixed in deb12u4, the withdrawn KILN-TEST-0002 names curl: neither counts.
assert not any(x["id"] in ("CVE-2023-38545", "KILN-TEST-0002") or "DSA-5523-1" in x["ids"]
               for x in d["vulnerabilities"])
z = v[("zlib1g", "KILN-TEST-0003")]
assert z["fixedVersion"] is None and z["severity"] == "LOW"
assert d["summary"] == {"CRITICAL": 0, "HIGH": 1, "MEDIUM": 0, "LOW": 1, "UNKNOWN": 2}, d["summary"]
PY

# The table: grouped by severity, with the Dockerfile line.
$KILN scan scan-app >"$WORK/table" 2>/dev/null
grep -q "^HIGH (1)" "$WORK/table" || fail "table: $(cat "$WORK/table")"
grep -q "^CVE-2023-46218 .* Dockerfile:4 COPY status" "$WORK/table" || fail "table: $(cat "$WORK/table")"
# Filters, the ignore file and the exit code.
expect_exit 0 $KILN scan --severity high --format json scan-app
expect_eq 1 "$(python3 -c 'import json,sys; print(len(json.loads(sys.argv[1])["vulnerabilities"]))' "$OUT")"
expect_exit 0 $KILN scan --ignore-unfixed --format json scan-app
expect_eq 3 "$(python3 -c 'import json,sys; print(len(json.loads(sys.argv[1])["vulnerabilities"]))' "$OUT")"
cat >"$WORK/ignore" <<'I'
# accepted risks
DSA-5532-1                     # an alias ignores the whole finding
CVE-2024-6119 pkg:curl         # another package: still reported for libssl3
CVE-2023-46218 exp:2001-01-01  # expired: reported again, with a warning
KILN-TEST-0003 pkg:zlib exp:2999-12-31
I
expect_exit 9 $KILN scan --ignore-file "$WORK/ignore" --exit-code 9 --format json scan-app
expect_eq "CVE-2023-46218 CVE-2024-6119" \
  "$(python3 -c 'import json,sys; print(" ".join(sorted(v["id"] for v in json.loads(sys.argv[1])["vulnerabilities"])))' "$OUT")"
expect_contains "$ERR" "ignore:4: the ignore of CVE-2023-46218 expired on 2001-01-01"
expect_exit 0 $KILN scan --severity LOW --ignore-file "$WORK/ignore" --exit-code 9 scan-app
printf 'CVE-1 pkg\n' >"$WORK/badignore"
expect_exit 2 $KILN scan --ignore-file "$WORK/badignore" scan-app
expect_contains "$ERR" "badignore:1: \"pkg\" is not an ID, pkg:NAME, path:PATH or exp:YYYY-MM-DD"
expect_exit 2 $KILN scan --severity urgent scan-app
expect_contains "$ERR" 'unknown severity "URGENT"'

# SARIF 2.1.0: rules and results, located at the Dockerfile line (GitHub code scanning's form).
$KILN scan --format sarif scan-app >"$WORK/scan.sarif"
python3 - "$WORK/scan.sarif" <<'PY' || fail "sarif: $(cat "$WORK/scan.sarif")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["version"] == "2.1.0" and len(d["runs"]) == 1
run = d["runs"][0]
assert run["tool"]["driver"]["name"] == "kiln"
rules = run["tool"]["driver"]["rules"]
assert sorted(r["id"] for r in rules) == ["CVE-2023-46218", "CVE-2023-5363", "CVE-2024-6119", "KILN-TEST-0003"]
res = {r["ruleId"]: r for r in run["results"]}
for r in run["results"]:
    assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
    assert r["level"] in ("error", "warning", "note") and r["message"]["text"]
c = res["CVE-2023-46218"]["locations"][0]["physicalLocation"]
assert c["artifactLocation"]["uri"] == "Dockerfile" and c["region"]["startLine"] == 4, c
a = res["CVE-2023-5363"]
assert a["level"] == "error" and a["locations"][0]["physicalLocation"]["region"]["startLine"] == 1
rule = next(r for r in rules if r["id"] == "CVE-2023-5363")
assert rule["properties"]["security-severity"] == "7.5", rule
PY
# And valid against the OASIS SARIF 2.1.0 schema (tests/tools/validate-sarif.cjs).
node "$KILN_SRC/tests/tools/validate-sarif.cjs" "$WORK/scan.sarif" >/dev/null || fail "scan SARIF is not valid SARIF 2.1.0"

# The same image from an OCI layout: the same findings, without Dockerfile lines.
$KILN copy -q scan-app "oci:$WORK/layout:app"
$KILN scan --format json "oci:$WORK/layout:app" >"$WORK/oci.json"
python3 - "$WORK/scan.json" "$WORK/oci.json" <<'PY' || fail "the OCI layout gave other findings"
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
ids = lambda d: sorted((x["package"]["name"], x["id"]) for x in d["vulnerabilities"])
assert ids(a) == ids(b)
assert all(x["layer"]["location"] == "" for x in b["vulnerabilities"])
PY

# --- Alpine: apk origin and release ---
busybox_rootfs "$WORK/alpine"
printf 'ID=alpine\nVERSION_ID=3.11.6\nPRETTY_NAME="Alpine Linux v3.11"\n' >"$WORK/alpine/etc/os-release"
mkdir -p "$WORK/alpine/lib/apk/db"
printf 'P:musl\nV:1.1.23-r1\nA:x86_64\no:musl\n\nP:libcrypto1.1\nV:1.1.1a-r0\nA:x86_64\no:openssl\n\n' \
  >"$WORK/alpine/lib/apk/db/installed"
$KILN import -q "$WORK/alpine" scan-alpine >/dev/null
expect_exit 0 $KILN scan --format json scan-alpine
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); v=[(x["package"]["name"], x["id"], x["fixedVersion"]) for x in d["vulnerabilities"]]; assert v == [("musl", "CVE-2019-14697", "1.1.23-r2")], v' "$OUT" ||
  fail "alpine scan: $OUT"

# --- Language packages: Python distributions and npm packages, in any directory ---
$KILN db import "$osv/pypi" "$osv/npm" 2>/dev/null
lang="$WORK/lang"
mkdir -p "$lang/usr/lib/python3/dist-packages/Requests-2.2.1.dist-info" \
  "$lang/app/node_modules/lodash/fp" "$lang/app/node_modules/@acme/util"
printf 'Metadata-Version: 2.1\nName: Requests\nVersion: 2.2.1\nLicense: Apache 2.0\n\nName: not-this\n' \
  >"$lang/usr/lib/python3/dist-packages/Requests-2.2.1.dist-info/METADATA"
printf '{"name": "lodash", "version": "4.17.20", "license": "MIT"}' >"$lang/app/node_modules/lodash/package.json"
printf '{"name": "lodash-fp-internal", "version": "0.0.1"}' >"$lang/app/node_modules/lodash/fp/package.json"
printf '{"name": "@acme/util", "version": "1.0.0", "license": {"type": "ISC"}}' >"$lang/app/node_modules/@acme/util/package.json"
printf '{"name": "broken"' >"$lang/app/package.json"  # not under node_modules: not a package
printf 'FROM scan-base\nCOPY usr /usr\nCOPY app /app\n' >"$lang/Dockerfile"
(cd "$lang" && $KILN build -q -t scan-lang . >/dev/null) || fail "build failed"
$KILN sbom --format json scan-lang >"$WORK/lang-sbom.json"
$KILN scan --format json scan-lang >"$WORK/lang-scan.json" 2>"$WORK/err" || fail "scan: $(cat "$WORK/err")"
python3 - "$WORK/lang-sbom.json" "$WORK/lang-scan.json" <<'PY' || fail "language packages: $(cat "$WORK/lang-scan.json")"
import json, sys
sbom, scan = (json.load(open(f)) for f in sys.argv[1:])
pk = {p["name"]: p for p in sbom["packages"] if p["type"] in ("pypi", "npm")}
assert set(pk) == {"Requests", "lodash", "@acme/util"}, sorted(pk)
assert pk["Requests"]["purl"] == "pkg:pypi/requests@2.2.1" and pk["Requests"]["license"] == "Apache 2.0"
assert pk["Requests"]["database"] == "/usr/lib/python3/dist-packages/Requests-2.2.1.dist-info/METADATA"
assert pk["lodash"]["location"] == "Dockerfile:3" and pk["Requests"]["location"] == "Dockerfile:2"
assert pk["@acme/util"]["purl"] == "pkg:npm/%40acme/util@1.0.0" and pk["@acme/util"]["license"] == "ISC"
v = {(x["package"]["name"], x["id"]): x for x in scan["vulnerabilities"] if x["package"]["type"] in ("pypi", "npm")}
assert set(v) == {("Requests", "CVE-2014-1829"), ("Requests", "CVE-2015-2296"),
                  ("lodash", "CVE-2020-28500"), ("lodash", "CVE-2021-23337")}, sorted(v)
r = v[("Requests", "CVE-2014-1829")]
assert r["ids"] == ["CVE-2014-1829", "GHSA-cfj3-7x9c-4p3h", "PYSEC-2014-13"] and r["fixedVersion"] == "2.3.0", r
assert r["ecosystem"] == "PyPI" and r["matchedName"] == "requests"
assert v[("Requests", "CVE-2015-2296")]["fixedVersion"] == "2.6.0"  # the ECOSYSTEM range; GIT ignored
l = v[("lodash", "CVE-2021-23337")]
assert l["severity"] == "HIGH" and l["cvss"]["score"] == 7.2 and l["fixedVersion"] == "4.17.21", l
assert v[("lodash", "CVE-2020-28500")]["severity"] == "MEDIUM"
PY

# --- Secrets: in files (also ones a later layer deletes), in the config; masked ---
sec="$WORK/sec"
mkdir -p "$sec/root/.aws" "$sec/etc"
printf '[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n' \
  >"$sec/root/.aws/credentials"
printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n' >"$sec/etc/deploy_key"
printf 'listen 80\n' >"$sec/etc/clean.conf"
cat >"$sec/Dockerfile" <<'D'
FROM scan-base
COPY root /root
COPY etc /etc
ENV GITHUB_TOKEN=ghp_Xq7kLm2Np9Rs4Tv6Wx8Yz1Ab3Cd5Ef7Gh9Jk
RUN rm -rf /root/.aws
D
have_run=1
unshare -m -p -f true 2>/dev/null || have_run=0
[[ $(id -u) == 0 && $have_run == 1 ]] || sed -i '/^RUN/d' "$sec/Dockerfile"
(cd "$sec" && $KILN build -q -t scan-sec . >/dev/null) || fail "build failed"
$KILN scan --scanners secret --format json scan-sec >"$WORK/sec.json" 2>"$WORK/err" ||
  fail "secret scan: $(cat "$WORK/err")"
python3 - "$WORK/sec.json" "$have_run" <<'PY' || fail "secrets: $(cat "$WORK/sec.json")"
import json, sys
d = json.load(open(sys.argv[1]))
ran = sys.argv[2] == "1"
assert d["vulnerabilities"] == [] and d["database"] is None  # no vuln scanner, no database needed
s = {(x["rule"], x["path"]): x for x in d["secrets"]}
# The ENV instruction's history line holds the token too.
hist = [k for k in s if k[1].startswith("history ")]
assert [k[0] for k in hist] == ["github-token"], hist
assert set(s) - set(hist) == {("aws-access-key-id", "/root/.aws/credentials"),
                  ("aws-secret-access-key", "/root/.aws/credentials"),
                  ("private-key", "/etc/deploy_key"), ("github-token", "config Env")}, sorted(s)
k = s[("aws-access-key-id", "/root/.aws/credentials")]
assert k["line"] == 2 and k["match"] == "AKIA************" and k["severity"] == "CRITICAL"
assert k["layer"]["index"] == 1 and k["layer"]["location"] == "Dockerfile:2", k
assert k["removed"] == ran  # RUN rm -rf /root/.aws: gone from the filesystem, not from layer 1
assert s[("private-key", "/etc/deploy_key")]["layer"]["location"] == "Dockerfile:3"
g = s[("github-token", "config Env")]
assert g["layer"] is None and "Xq7k" not in json.dumps(d), g  # never the secret itself
PY
grep -q "EXAMPLEKEY\|b3BlbnNzaC1rZXkt" "$WORK/sec.json" && fail "a secret leaked into the report"
expect_exit 4 $KILN scan --scanners secret --exit-code 4 scan-sec
expect_contains "$OUT" "SECRETS (5)"
printf 'private-key path:/etc/deploy_key\ngithub-token\n' >"$WORK/sec-ignore"
printf '{"disable": ["aws-secret-access-key"]}' >"$WORK/sec-rules.json"
expect_exit 0 $KILN scan --scanners secret --format json --ignore-file "$WORK/sec-ignore" \
  --secret-config "$WORK/sec-rules.json" scan-sec
expect_eq "aws-access-key-id" "$(python3 -c 'import json,sys; print(" ".join(x["rule"] for x in json.loads(sys.argv[1])["secrets"]))' "$OUT")"
printf '{"rules": [{"id": "bad", "regex": "(", "keywords": ["x"]}]}' >"$WORK/bad-rules.json"
expect_exit 2 $KILN scan --scanners secret --secret-config "$WORK/bad-rules.json" scan-sec
expect_contains "$ERR" "bad-rules.json: rules[0]: secret rule bad: invalid regex"
expect_exit 2 $KILN scan --scanners virus scan-sec
expect_contains "$ERR" 'unknown scanner "virus"'

# --- Go binaries: the build info in any executable ELF file ---
# A real one (Debian's skopeo: built by go1.19.8 in GOPATH mode, so the stdlib and no modules)
# and a small one written here with modules, a replacement and a deleted copy.
$KILN db import "$osv/go" 2>/dev/null
gob="$WORK/gobin"
mkdir -p "$gob/bin"
cp "$(command -v skopeo)" "$gob/bin/skopeo"
python3 - "$gob/bin/app" <<'PY'
import sys
def uv(n):
    out = b""
    while n >= 0x80: out += bytes([(n & 0x7f) | 0x80]); n >>= 7
    return out + bytes([n])
mod = (b"path\texample.com/app\nmod\texample.com/app\tv1.0.0\th1:x=\n"
       b"dep\tgithub.com/gin-gonic/gin\tv1.5.0\th1:y=\n"
       b"dep\tgolang.org/x/text\tv0.3.6\th1:z=\n=>\tgolang.org/x/text\tv0.3.7\th1:w=\n"
       b"build\tGOOS=linux\n")
mod = b"\x30" * 16 + mod + b"\xf9" * 16
ver = b"go1.21.5"
sec = (b"\xff Go buildinf:\x08\x02").ljust(32, b"\0") + uv(len(ver)) + ver + uv(len(mod)) + mod
f = b"\x7fELF\x02\x01\x01".ljust(8192, b"\0") + sec
open(sys.argv[1], "wb").write(f.ljust(20000, b"\0"))
PY
# A Go 1.13-1.17 binary (with the build ID note Go's linker writes): the header holds the addresses of the string values, whose bytes
# come before it; one PT_LOAD maps the file at 0x400000.
python3 - "$gob/bin/old" <<'PY'
import struct, sys
base = 0x400000
ver = b"go1.16.15"
mod = (b"\x30\x77\xaf\x0c\x92\x74\x08\x02\x41\xe1\xc1\x07\xe6\xd6\x18\xe6"
       b"path\texample.com/old\nmod\texample.com/old\tv0.1.0\th1:x=\n"
       b"dep\tgithub.com/gin-gonic/gin\tv1.5.0\th1:y=\n" + b"\xf9" * 16)
f = bytearray(64 + 56) + struct.pack("<III", 4, 4, 4) + b"Go\0\0abcd" + b"x" * 9000
v_at = len(f); f += ver + b"runtime.main"
m_at = len(f); f += mod + b"rodata"
f += b"\0" * (-len(f) % 16)
h_at = len(f)
f += b"\xff Go buildinf:\x08\x00".ljust(16, b"\0") + struct.pack("<QQ", base + h_at + 64, base + h_at + 80)
f += b"\0" * 32 + struct.pack("<QQQQ", base + v_at, len(ver), base + m_at, len(mod)) + b"\0" * 4000
f[0:8] = b"\x7fELF\x02\x01\x01\x00"
f[0x20:0x28] = struct.pack("<Q", 64); f[0x36:0x3a] = struct.pack("<HH", 56, 1)
f[64:64 + 56] = struct.pack("<IIQQQQQQ", 1, 5, 0, base, base, len(f), len(f), 0x1000)
open(sys.argv[1], "wb").write(f)
PY
chmod 755 "$gob/bin/app" "$gob/bin/skopeo" "$gob/bin/old"
cp "$gob/bin/app" "$gob/bin/app-copy"
printf 'FROM scan-base\nCOPY bin /usr/local/bin/\nRUN rm /usr/local/bin/app-copy\n' >"$gob/Dockerfile"
if [[ $(id -u) != 0 ]] || ! unshare -m -p -f true 2>/dev/null; then
  rm "$gob/bin/app-copy"
  sed -i '/^RUN/d' "$gob/Dockerfile"
fi
(cd "$gob" && $KILN build -q -t scan-go . >/dev/null) || fail "build failed"
$KILN sbom --format json scan-go >"$WORK/go-sbom.json" 2>"$WORK/err" || fail "sbom: $(cat "$WORK/err")"
$KILN scan --format json scan-go >"$WORK/go-scan.json" 2>"$WORK/err" || fail "scan: $(cat "$WORK/err")"
python3 - "$WORK/go-sbom.json" "$WORK/go-scan.json" <<'PY' || fail "Go binaries: $(cat "$WORK/go-sbom.json")"
import json, sys
sbom, scan = (json.load(open(f)) for f in sys.argv[1:])
go = sorted((p["database"], p["name"], p["version"]) for p in sbom["packages"] if p["type"] == "golang")
assert go == [("/usr/local/bin/app", "example.com/app", "v1.0.0"),
              ("/usr/local/bin/app", "github.com/gin-gonic/gin", "v1.5.0"),
              ("/usr/local/bin/app", "golang.org/x/text", "v0.3.7"),   # the replacement
              ("/usr/local/bin/app", "stdlib", "1.21.5"),
              ("/usr/local/bin/old", "example.com/old", "v0.1.0"),
              ("/usr/local/bin/old", "github.com/gin-gonic/gin", "v1.5.0"),
              ("/usr/local/bin/old", "stdlib", "1.16.15"),
              ("/usr/local/bin/skopeo", "stdlib", "1.19.8")], go
p = next(p for p in sbom["packages"] if p["name"] == "github.com/gin-gonic/gin")
assert p["purl"] == "pkg:golang/github.com/gin-gonic/gin@v1.5.0" and p["location"] == "Dockerfile:2", p
v = sorted((x["package"]["name"], x["package"]["version"], x["id"], x["fixedVersion"]) for x in scan["vulnerabilities"]
           if x["ecosystem"] == "Go" and x["package"]["path"] != "/usr/local/bin/old")
old = sorted((x["package"]["name"], x["package"]["version"], x["id"]) for x in scan["vulnerabilities"]
             if x["package"]["path"] == "/usr/local/bin/old")
assert old == [("github.com/gin-gonic/gin", "v1.5.0", "CVE-2020-36567"),
               ("stdlib", "1.16.15", "CVE-2023-29406")], old
# gin < 1.6.0; x/text 0.3.7 is fixed for GO-2021-0113 but not GO-2022-1059; stdlib 1.19.8 < 1.19.11,
# while 1.21.5 is past GO-2023-1878's fix (1.20.6).
assert v == [("github.com/gin-gonic/gin", "v1.5.0", "CVE-2020-36567", "1.6.0"),
             ("golang.org/x/text", "v0.3.7", "CVE-2022-32149", "0.3.8"),
             ("stdlib", "1.19.8", "CVE-2023-29406", "1.19.11")], v
PY

# --- Rust binaries: cargo auditable's .dep-v0 section (zlib-compressed JSON) ---
# Added with objcopy to copies of busybox, as the linker would place it: in the middle, with
# the section table after it. app has a git crate (not the registry's crate of that name) and
# a build-time dependency (not in the binary); tool has the registry's regex.
$KILN db import "$osv/crates" 2>/dev/null
rb="$WORK/rustbin"
mkdir -p "$rb/bin"
python3 - "$rb" <<'PY'
import json, sys, zlib
def dep(name, packages):
    doc = {"packages": [dict(zip(("name", "version", "source", "kind"), p)) for p in packages]}
    open(f"{sys.argv[1]}/{name}.z", "wb").write(zlib.compress(json.dumps(doc).encode(), 7))
dep("app", [("app", "0.1.0", "local"), ("smallvec", "1.6.0", "crates.io"), ("regex", "1.5.4", "git"),
            ("serde_derive", "1.0.190", "crates.io", "build")])
dep("tool", [("tool", "2.0.0", "local"), ("regex", "1.5.4", "crates.io"), ("smallvec", "1.6.1", "crates.io")])
PY
for b in app tool; do
  objcopy --add-section ".dep-v0=$rb/$b.z" "$WORK/rootfs/bin/busybox" "$rb/bin/$b" || fail "objcopy failed"
done
printf 'FROM scan-base\nCOPY bin /usr/local/bin/\n' >"$rb/Dockerfile"
(cd "$rb" && $KILN build -q -t scan-rust . >/dev/null) || fail "build failed"
$KILN sbom --format json scan-rust >"$WORK/rust-sbom.json" 2>"$WORK/err" || fail "sbom: $(cat "$WORK/err")"
$KILN scan --format json scan-rust >"$WORK/rust-scan.json" 2>"$WORK/err" || fail "scan: $(cat "$WORK/err")"
python3 - "$WORK/rust-sbom.json" "$WORK/rust-scan.json" <<'PY' || fail "Rust binaries: $(cat "$WORK/rust-sbom.json")"
import json, sys
sbom, scan = (json.load(open(f)) for f in sys.argv[1:])
rust = sorted((p["database"], p["name"], p["version"], p["purl"]) for p in sbom["packages"] if p["type"] == "cargo")
assert rust == [("/usr/local/bin/app", "app", "0.1.0", "pkg:cargo/app@0.1.0"),
                ("/usr/local/bin/app", "regex", "1.5.4", "pkg:cargo/regex@1.5.4"),
                ("/usr/local/bin/app", "smallvec", "1.6.0", "pkg:cargo/smallvec@1.6.0"),
                ("/usr/local/bin/tool", "regex", "1.5.4", "pkg:cargo/regex@1.5.4"),
                ("/usr/local/bin/tool", "smallvec", "1.6.1", "pkg:cargo/smallvec@1.6.1"),
                ("/usr/local/bin/tool", "tool", "2.0.0", "pkg:cargo/tool@2.0.0")], rust
v = sorted((x["package"]["path"], x["package"]["name"], x["id"], x["fixedVersion"])
           for x in scan["vulnerabilities"] if x["ecosystem"] == "crates.io")
assert v == [("/usr/local/bin/app", "smallvec", "CVE-2021-25900", "1.6.1"),
             ("/usr/local/bin/tool", "regex", "CVE-2022-24713", "1.5.5")], v
PY

# --- --scanners config: the lint rules that apply to a built image, over its history ---
mc="$WORK/misconfig"
mkdir -p "$mc"
cat >"$mc/Dockerfile" <<'DOCKERFILE'
FROM scan-base
ENV API_TOKEN=abc
RUN wget -qO- http://127.0.0.1:9/i.sh | sh
RUN <<SCRIPT
mkdir -p /srv
chmod 777 /srv
SCRIPT
CMD ["sh"]
DOCKERFILE
runs=1
if [[ $(id -u) != 0 ]] || ! unshare -m -p -f true 2>/dev/null; then
  sed -i '/^RUN wget/d; /^RUN <</,/^SCRIPT$/d' "$mc/Dockerfile"
  runs=0
fi
(cd "$mc" && $KILN build -q -t scan-mc . >/dev/null) || fail "build failed"
$KILN scan --scanners config --format json scan-mc >"$WORK/mc.json" 2>"$WORK/err" ||
  fail "scan config: $(cat "$WORK/err")"
python3 - "$WORK/mc.json" "$runs" <<'PY' || fail "config scanner: $(cat "$WORK/mc.json")"
import json, sys
j = json.load(open(sys.argv[1]))
got = sorted((m["rule"], m["severity"], m["location"]) for m in j["misconfigurations"])
want = [("RootUser", "MEDIUM", ""), ("SecretsUsedInArgOrEnv", "MEDIUM", "Dockerfile:2")]
if sys.argv[2] == "1":
    want += [("ChmodWorldWritable", "MEDIUM", "Dockerfile:4"), ("CurlPipeShell", "MEDIUM", "Dockerfile:3"),
             ("PipefailMissing", "MEDIUM", "Dockerfile:3")]
assert got == sorted(want), got
assert j["vulnerabilities"] == [] and j["secrets"] == [], j
m = next(m for m in j["misconfigurations"] if m["rule"] == "RootUser")
assert m["history"] is None and m["layer"] is None and m["instruction"] == "FROM scratch", m
if sys.argv[2] == "1":
    m = next(m for m in j["misconfigurations"] if m["rule"] == "ChmodWorldWritable")
    assert m["layer"]["index"] == 1 and m["createdBy"].startswith("RUN /bin/sh -c mkdir"), m
    assert m["instruction"].startswith("RUN <<"), m
PY
$KILN scan --scanners config --format sarif scan-mc >"$WORK/mc.sarif" || fail "sarif failed"
node "$KILN_SRC/tests/tools/validate-sarif.cjs" "$WORK/mc.sarif" >/dev/null ||
  fail "config SARIF is not valid SARIF 2.1.0"
expect_contains "$(cat "$WORK/mc.sarif")" '"uri": "Dockerfile"'
expect_exit 0 $KILN scan --scanners config scan-mc
expect_contains "$OUT" "MISCONFIGURATIONS"
expect_contains "$OUT" "SecretsUsedInArgOrEnv"
printf 'RootUser\nSecretsUsedInArgOrEnv\nChmodWorldWritable\nCurlPipeShell\nPipefailMissing\n' >"$WORK/mc.ignore"
expect_exit 0 $KILN scan --scanners config --ignore-file "$WORK/mc.ignore" --exit-code 4 scan-mc
expect_exit 4 $KILN scan --scanners config --exit-code 4 scan-mc
expect_exit 0 $KILN scan --scanners config --severity HIGH --exit-code 4 scan-mc

# --- The whole of ../shared/vulndata, when this machine has it ---
vulndata=${KILN_VULNDATA:-$KILN_SRC/../shared/vulndata}
if [[ -f "$vulndata/debian.zip" ]]; then
  export KILN_VULN_DB="$WORK/full.db"
  $KILN db import "$vulndata"/{debian,alpine,pypi,go,npm}.zip 2>"$WORK/err" || fail "full import: $(cat "$WORK/err")"
  $KILN db status --format json >"$WORK/full.json"
  python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); assert s["advisories"] == 19517 and s["withdrawn"] == 27, (s["advisories"], s["withdrawn"])' "$WORK/full.json" ||
    fail "full import counts"
  $KILN scan --format json scan-app >"$WORK/full-scan.json"
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); ids={x["id"] for x in d["vulnerabilities"]}; assert {"CVE-2023-5363","CVE-2024-6119","CVE-2023-46218"} <= ids, ids' "$WORK/full-scan.json" ||
    fail "scan with the full data: $(cat "$WORK/full-scan.json")"
  unset KILN_VULN_DB
else
  echo "note: $vulndata absent; the full-data import was not checked"
fi
pass "db import/update/status and scan"
