#!/usr/bin/env bash
# kiln sbom --format spdx-json | cyclonedx-json and kiln scan --format cyclonedx: the documents
# pass the real validators (the SPDX 2.3 JSON schema with Debian's python3-jsonschema; the
# CycloneDX 1.5 strict schema with @cyclonedx/cyclonedx-library, installed by
# scripts/install-test-tools) and say what kiln's own JSON says: purls, licences, layers.
source "$(dirname "$0")/lib.sh"
osv="$KILN_SRC/tests/data/osv"
schema="$KILN_SRC/tests/data/spdx/spdx-schema-2.3.json"
cdx_validator="$KILN_SRC/tests/tools/validate-cyclonedx.cjs"
/usr/bin/python3 -c 'import jsonschema' 2>/dev/null ||
  fail "Debian's python3-jsonschema is missing (scripts/install-deps test installs it)"
[[ -d "$KILN_SRC/tests/tools/node_modules/@cyclonedx/cyclonedx-library" ]] ||
  fail "the CycloneDX validator is missing (run scripts/install-test-tools)"

validate_spdx() {
  /usr/bin/python3 - "$schema" "$1" <<'PY' || fail "$1 is not valid SPDX 2.3"
import json, sys, jsonschema
schema, doc = (json.load(open(f)) for f in sys.argv[1:])
errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(doc), key=lambda e: list(e.path))
for e in errors[:20]:
    print("/".join(map(str, e.path)) + ": " + e.message, file=sys.stderr)
sys.exit(1 if errors else 0)
PY
}
validate_cdx() { node "$cdx_validator" "$1" >/dev/null || fail "$1 is not valid CycloneDX"; }

# The validators are real: a broken document fails each.
printf '{"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "packages": [{"name": 1}]}' >"$WORK/bad-spdx.json"
/usr/bin/python3 -c 'import json,sys,jsonschema; jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])))' \
  "$schema" "$WORK/bad-spdx.json" 2>/dev/null && fail "the SPDX schema accepted a broken document"
printf '{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": [{"type": "library", "name": "x", "licenses": [{"license": {"id": "Not-A-License"}}]}]}' >"$WORK/bad-cdx.json"
node "$cdx_validator" "$WORK/bad-cdx.json" >/dev/null 2>&1 && fail "the CycloneDX validator accepted a broken document"

# An image with Debian, Alpine, Python and npm packages in three layers, licences of each kind.
debian12_rootfs
mkdir -p "$WORK/rootfs/lib/apk/db"
printf 'P:musl\nV:1.2.4-r2\nA:x86_64\nL:mit\no:musl\n\nP:busybox\nV:1.36.1-r5\nA:x86_64\nL:GPL-2.0-only AND (MIT OR bsd-2-clause)\n\nP:odd\nV:1\nA:x86_64\nL:custom:weird licence\n\n' \
  >"$WORK/rootfs/lib/apk/db/installed"
$KILN import -q "$WORK/rootfs" fmt-base >/dev/null
ctx="$WORK/ctx"
mkdir -p "$ctx/usr/lib/python3/dist-packages/Requests-2.2.1.dist-info" "$ctx/usr/lib/python3/dist-packages/six-1.16.0.dist-info" \
  "$ctx/app/node_modules/lodash" "$ctx/app/node_modules/@acme/util" "$ctx/app2/node_modules/lodash"
printf 'Metadata-Version: 2.1\nName: Requests\nVersion: 2.2.1\nLicense: Apache 2.0\n\n' \
  >"$ctx/usr/lib/python3/dist-packages/Requests-2.2.1.dist-info/METADATA"
printf 'Metadata-Version: 2.4\nName: six\nVersion: 1.16.0\nLicense-Expression: MIT OR Apache-2.0 WITH LLVM-exception\n\n' \
  >"$ctx/usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA"
printf '{"name": "lodash", "version": "4.17.20", "license": "MIT"}' >"$ctx/app/node_modules/lodash/package.json"
printf '{"name": "lodash", "version": "4.17.20", "license": "MIT"}' >"$ctx/app2/node_modules/lodash/package.json"
printf '{"name": "@acme/util", "version": "1.0.0", "license": "SEE LICENSE IN LICENSE.md"}' >"$ctx/app/node_modules/@acme/util/package.json"
printf 'FROM fmt-base\nCOPY usr /usr\nCOPY app /app\nCOPY app2 /app2\n' >"$ctx/Dockerfile"
(cd "$ctx" && $KILN build -q -t fmt-app . >/dev/null) || fail "build failed"

# --- SPDX 2.3 ---
SOURCE_DATE_EPOCH=1700000000 $KILN sbom --format spdx-json fmt-app >"$WORK/spdx.json" 2>"$WORK/err" ||
  fail "sbom spdx-json: $(cat "$WORK/err")"
validate_spdx "$WORK/spdx.json"
$KILN sbom --format json fmt-app >"$WORK/kiln.json"
python3 - "$WORK/spdx.json" "$WORK/kiln.json" <<'PY' || fail "unexpected SPDX document: $(head -c 3000 "$WORK/spdx.json")"
import json, sys
doc, own = (json.load(open(f)) for f in sys.argv[1:])
assert doc["spdxVersion"] == "SPDX-2.3" and doc["dataLicense"] == "CC0-1.0" and doc["name"] == "fmt-app"
assert doc["creationInfo"]["created"] == "2023-11-14T22:13:20Z", doc["creationInfo"]
assert doc["creationInfo"]["creators"][0].startswith("Tool: kiln-")
assert doc["documentNamespace"].startswith("https://spdx.org/spdxdocs/kiln/fmt-app-")
pk = {p["SPDXID"]: p for p in doc["packages"]}
assert len(pk) == len(doc["packages"]), "SPDX ids are not unique"
img = pk["SPDXRef-Image"]
assert img["primaryPackagePurpose"] == "CONTAINER" and img["versionInfo"] == own["image"]["manifestDigest"]
assert img["externalRefs"][0]["referenceLocator"] == "pkg:oci/fmt-app@" + own["image"]["manifestDigest"].replace(":", "%3A")
assert pk["SPDXRef-OperatingSystem"]["name"] == "debian" and pk["SPDXRef-OperatingSystem"]["versionInfo"] == "12"
rels = {(r["spdxElementId"], r["relationshipType"], r["relatedSpdxElement"]) for r in doc["relationships"]}
assert ("SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Image") in rels
# Every package kiln's own format lists, once, with its purl and layer.
pkgs = [p for p in doc["packages"] if p["SPDXID"] not in ("SPDXRef-Image", "SPDXRef-OperatingSystem")]
assert len(pkgs) == len(own["packages"]) == 10, (len(pkgs), len(own["packages"]))
for p, o in zip(pkgs, own["packages"]):
    assert (p["name"], p["versionInfo"]) == (o["name"], o["version"]), (p["name"], o["name"])
    assert p["externalRefs"][0]["referenceLocator"] == o["purl"]
    notes = [a["comment"] for a in p["annotations"]]
    assert "layerIndex: %d" % o["layer"]["index"] in notes and "layerDigest: " + o["layer"]["digest"] in notes, notes
    assert ("SPDXRef-Image", "CONTAINS", p["SPDXID"]) in rels
by = {p["name"]: p for p in pkgs}
assert by["musl"]["licenseDeclared"] == "MIT", by["musl"]
assert by["busybox"]["licenseDeclared"] == "GPL-2.0-only AND (MIT OR BSD-2-Clause)", by["busybox"]["licenseDeclared"]
assert by["six"]["licenseDeclared"] == "MIT OR Apache-2.0 WITH LLVM-exception"
assert by["libssl3"]["licenseDeclared"] == "NOASSERTION"  # dpkg's status file states none
assert "source package openssl 3.0.11-1~deb12u1" in by["libssl3"]["sourceInfo"], by["libssl3"]["sourceInfo"]
assert "location: Dockerfile:2" in [a["comment"] for a in by["Requests"]["annotations"]]
refs = {x["licenseId"]: x["extractedText"] for x in doc["hasExtractedLicensingInfos"]}
for name, text in (("Requests", "Apache 2.0"), ("odd", "custom:weird licence"), ("@acme/util", "SEE LICENSE IN LICENSE.md")):
    ref = by[name]["licenseDeclared"]
    assert ref.startswith("LicenseRef-") and refs[ref] == text, (name, ref, refs)
PY

# --- CycloneDX 1.5 ---
$KILN sbom --format cyclonedx-json fmt-app >"$WORK/cdx.json" 2>"$WORK/err" || fail "sbom cyclonedx-json: $(cat "$WORK/err")"
validate_cdx "$WORK/cdx.json"
python3 - "$WORK/cdx.json" "$WORK/kiln.json" <<'PY' || fail "unexpected CycloneDX document: $(head -c 3000 "$WORK/cdx.json")"
import json, sys, re
doc, own = (json.load(open(f)) for f in sys.argv[1:])
assert doc["bomFormat"] == "CycloneDX" and doc["specVersion"] == "1.5"
assert re.fullmatch(r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", doc["serialNumber"])
img = doc["metadata"]["component"]
assert img["type"] == "container" and img["version"] == own["image"]["manifestDigest"]
comps = doc["components"]
assert comps[0] == {"bom-ref": "os", "type": "operating-system", "name": "debian", "version": "12",
                    "description": "Debian GNU/Linux 12 (bookworm)"}, comps[0]
libs = comps[1:]
assert len(libs) == len(own["packages"]) == 10
refs = [c["bom-ref"] for c in comps]
assert len(set(refs)) == len(refs), "bom-refs are not unique"
assert doc["dependencies"] == [{"ref": "image", "dependsOn": refs}]
for c, o in zip(libs, own["packages"]):
    assert (c["name"], c["version"], c["purl"]) == (o["name"], o["version"], o["purl"])
    props = {p["name"]: p["value"] for p in c["properties"]}
    assert props["kiln:layer:index"] == str(o["layer"]["index"]) and props["kiln:layer:digest"] == o["layer"]["digest"]
    assert props["kiln:package:type"] == o["type"] and props["kiln:package:database"] == o["database"]
by = {}
for c in libs: by.setdefault(c["name"], []).append(c)
assert by["musl"][0]["licenses"] == [{"license": {"id": "MIT"}}], by["musl"][0]
assert by["busybox"][0]["licenses"] == [{"expression": "GPL-2.0-only AND (MIT OR BSD-2-Clause)"}]
assert by["Requests"][0]["licenses"] == [{"license": {"name": "Apache 2.0"}}]
assert "licenses" not in by["zlib1g"][0]
# The same npm package in two places: two components, one purl, distinct bom-refs.
assert [c["purl"] for c in by["lodash"]] == ["pkg:npm/lodash@4.17.20"] * 2
props = {p["name"]: p["value"] for p in by["libssl3"][0]["properties"]}
assert props["kiln:package:sourceName"] == "openssl" and props["kiln:layer:location"] == "Dockerfile:1"
PY

# --- kiln scan --format cyclonedx: the same components, with vulnerabilities ---
$KILN db import "$osv/debian" "$osv/synthetic" "$osv/pypi" "$osv/npm" 2>/dev/null
$KILN scan --format cyclonedx fmt-app >"$WORK/vex.json" 2>"$WORK/err" || fail "scan cyclonedx: $(cat "$WORK/err")"
validate_cdx "$WORK/vex.json"
$KILN scan --format json fmt-app >"$WORK/scan.json"
python3 - "$WORK/vex.json" "$WORK/scan.json" <<'PY' || fail "unexpected CycloneDX vulnerabilities: $(head -c 4000 "$WORK/vex.json")"
import json, sys
doc, own = (json.load(open(f)) for f in sys.argv[1:])
refs = {c["bom-ref"]: c for c in doc["components"]}
vulns = {v["id"]: v for v in doc["vulnerabilities"]}
assert set(vulns) == {x["id"] for x in own["vulnerabilities"]}, (sorted(vulns), sorted(x["id"] for x in own["vulnerabilities"]))
affected = sorted((refs[a["ref"]]["name"], v["id"]) for v in doc["vulnerabilities"] for a in v["affects"])
assert affected == sorted((x["package"]["name"], x["id"]) for x in own["vulnerabilities"]), affected
v = vulns["CVE-2023-5363"]
assert v["source"]["name"] == "NVD"
assert {r["id"] for r in v["references"]} == {"DSA-5532-1", "KILN-TEST-0001"}, v["references"]
assert v["ratings"] == [{"severity": "high", "score": 7.5, "method": "CVSSv31",
                         "vector": v["ratings"][0]["vector"]}] and v["ratings"][0]["vector"].startswith("CVSS:3.1/"), v["ratings"]
assert v["recommendation"] == "Upgrade libssl3 to 3.0.11-1~deb12u2", v["recommendation"]
assert v["affects"][0]["versions"] == [{"version": "3.0.11-1~deb12u1", "status": "affected"}]
# lodash twice: one vulnerability, both components.
l = vulns["CVE-2021-23337"]
assert sorted(a["ref"] for a in l["affects"]) == sorted(c["bom-ref"] for c in doc["components"] if c["name"] == "lodash"), l["affects"]
PY

# Bad input: an unknown format, a bad SOURCE_DATE_EPOCH.
expect_exit 2 $KILN sbom --format spdx-xml fmt-app
expect_contains "$ERR" 'unknown --format "spdx-xml" (want table, json, spdx-json or cyclonedx-json)'
expect_exit 2 env SOURCE_DATE_EPOCH=yesterday $KILN sbom --format spdx-json fmt-app
expect_contains "$ERR" 'SOURCE_DATE_EPOCH="yesterday" is not a number'
pass "SPDX 2.3 and CycloneDX 1.5 documents pass their validators"
