#!/usr/bin/env bash
# kiln analyze: per-layer changes, the waste list with the Dockerfile lines that made it and
# the fix, dive's efficiency and wasted bytes checked against an independent reading of dive's
# definition (tests/tools/dive_efficiency.py), --ci thresholds, and the HTML page loaded in
# headless Chromium (screenshot; its numbers against the JSON).
source "$(dirname "$0")/lib.sh"

busybox_rootfs
$KILN import -q "$WORK/rootfs" abase:1 >/dev/null
ctx="$WORK/ctx"
mkdir -p "$ctx/data"
head -c 3000000 /dev/urandom >"$ctx/data/big.bin"
head -c 500000 /dev/urandom >"$ctx/data/other.bin"
cp "$ctx/data/other.bin" "$ctx/dup.bin"
cat >"$ctx/Dockerfile" <<'D'
FROM abase:1
COPY data /srv/data
RUN chown -R 1000:1000 /srv
RUN mkdir -p /var/lib/apt/lists /opt/tmpdir && head -c 200000 /dev/zero >/var/lib/apt/lists/deb_dists && head -c 100000 /dev/urandom >/tmp/junk && head -c 70000 /dev/urandom >/opt/tmpdir/a && head -c 30000 /dev/urandom >/opt/tmpdir/b && ln -s /srv/data /srv/link
RUN rm -rf /tmp/junk /opt/tmpdir && echo x >/srv/data/other.bin
COPY dup.bin /opt/dup.bin
D
$KILN build -q -t waste "$ctx" >/dev/null

expect_exit 0 $KILN analyze --format json --files waste
echo "$OUT" >"$WORK/a.json"
$KILN save -o "$WORK/waste.tar" waste
python3 "$KILN_SRC/tests/tools/dive_efficiency.py" "$WORK/waste.tar" >"$WORK/dive.json"
python3 - "$WORK/a.json" "$WORK/dive.json" <<'PY' || fail "analyze json: $(cat "$WORK/a.json" | head -c 3000)"
import json, sys
a = json.load(open(sys.argv[1])); d = json.load(open(sys.argv[2]))
s = a["summary"]
# dive's figures, exactly.
assert abs(s["efficiency"] - d["efficiency"]) < 1e-12, (s, d)
for k in ("wasted_bytes", "user_size", "image_size"):
    assert s[k] == d[k], (k, s[k], d[k])
assert abs(s["user_wasted_percent"] - d["user_wasted_percent"]) < 1e-12
L = a["layers"]
assert len(L) == 6 and [l["location"] for l in L[1:]] == ["Dockerfile:%d" % i for i in range(2, 7)], L
assert (L[1]["files_added"], L[1]["bytes_added"], L[1]["instruction"]) == (2, 3500000, "COPY data /srv/data"), L[1]
assert (L[2]["files_modified"], L[2]["bytes_modified"]) == (2, 3500000), L[2]
assert L[2]["instruction"] == "RUN chown -R 1000:1000 /srv"
assert (L[4]["files_removed"], L[4]["bytes_removed"], L[4]["files_modified"]) == (3, 200000, 1), L[4]
assert ["removed", "/opt/tmpdir", 100000] in L[4]["changes"] and ["removed", "/tmp/junk", 100000] in L[4]["changes"], L[4]["changes"]
W = {}
for w in a["waste"]:
    W.setdefault(w["kind"], []).append(w)
r = W["rewrite"][0]
assert (r["bytes"], r["files"], r["layer"], r["by_layer"]) == (3500000, 2, 1, 2), r
assert r["message"].startswith("RUN chown -R 1000:1000 /srv at Dockerfile:3 duplicated 3.5MB (2 files added by COPY data /srv/data at Dockerfile:2)"), r
assert r["fix"] == "use COPY --chown=1000:1000 at Dockerfile:2 and drop the rewrite", r
assert r["paths"] == ["/srv/data/big.bin", "/srv/data/other.bin"], r
dl = W["deleted"][0]
assert (dl["bytes"], dl["files"], dl["layer"], dl["by_layer"]) == (200000, 3, 3, 4), dl
assert dl["fix"].startswith("delete them in the same RUN that creates them (RUN mkdir -p"), dl
assert dl["paths"][0] == "/tmp/junk"
ow = W["overwritten"][0]
assert (ow["bytes"], ow["layer"], ow["by_layer"], ow["paths"]) == (500000, 2, 4, ["/srv/data/other.bin"]), ow
c = W["cache"][0]
assert (c["bytes"], c["layer"], c["paths"]) == (200000, 3, ["/var/lib/apt/lists/deb_dists"]), c
assert "apt package lists" in c["message"] and "rm -rf /var/lib/apt/lists/*" in c["fix"]
du = W["duplicate"][0]
assert (du["bytes"], du["layer"], du["by_layer"]) == (500000, 1, 5), du
assert s["waste_total"] == sum(w["bytes"] for w in a["waste"]) == 4900000, s
assert a["waste"] == sorted(a["waste"], key=lambda w: -w["bytes"])
PY

# The same image from a docker archive reads the same (no Dockerfile lines outside the store).
expect_exit 0 $KILN analyze --format json "docker-archive:$WORK/waste.tar"
python3 -c '
import json, sys
a = json.load(open(sys.argv[1])); b = json.loads(sys.argv[2])
assert a["summary"] == b["summary"], (a["summary"], b["summary"])
assert all(l["location"] == "" for l in b["layers"])' "$WORK/a.json" "$OUT" || fail "docker-archive analysis differs"

# tty.
expect_exit 0 $KILN analyze waste
expect_contains "$OUT" "efficiency "
expect_contains "$OUT" "Dockerfile:3  RUN chown -R 1000:1000 /srv"
expect_contains "$OUT" "fix: use COPY --chown=1000:1000 at Dockerfile:2 and drop the rewrite"

# --ci: one line per failed threshold, exit 1; passing thresholds exit 0.
expect_exit 1 $KILN analyze --ci --format json waste
expect_contains "$ERR" "FAIL: wasted "
expect_contains "$ERR" "more than --max-waste 10%"
expect_contains "$ERR" "FAIL: efficiency "
[[ $(grep -c '^FAIL' <<<"$ERR") == 2 ]] || fail "want 2 failed thresholds: $ERR"
expect_exit 1 $KILN analyze --ci --max-waste 99% --min-efficiency 0.1 --max-wasted-bytes 1MB waste
[[ $(grep -c '^FAIL' <<<"$ERR") == 1 ]] || fail "want 1 failed threshold: $ERR"
expect_contains "$ERR" "more than --max-wasted-bytes 1MB"
expect_exit 0 $KILN analyze --ci --max-waste 99% --min-efficiency 0.1 abase:1
expect_exit 2 $KILN analyze --ci --max-waste lots waste
expect_contains "$ERR" "--max-waste: \"lots\": want a percentage (10%) or a fraction (0.1)"
expect_exit 2 $KILN analyze --format pdf waste
expect_exit 3 $KILN analyze no-such-image

# HTML: one self-contained page; in headless Chromium its numbers are the JSON's.
expect_exit 0 $KILN analyze --format html -o "$WORK/page.html" waste
! grep -Eq '(src|href)=' "$WORK/page.html" || fail "the page loads something: $(grep -Eo '(src|href)=[^ ]*' "$WORK/page.html")"
command -v chromium >/dev/null || skip "chromium is not installed (scripts/install-deps test)"
# --disable-dev-shm-usage: containers often have a small /dev/shm, which crashes Chromium.
chrome() { timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --hide-scrollbars "$@" 2>"$WORK/chromium.err"; }
chrome --window-size=1280,1400 --screenshot="$WORK/page.png" "file://$WORK/page.html#layer=2" ||
  fail "chromium screenshot: $(tail -5 "$WORK/chromium.err")"
python3 -c '
import sys
b = open(sys.argv[1], "rb").read()
assert b[:8] == b"\x89PNG\r\n\x1a\n" and len(b) > 20000, len(b)' "$WORK/page.png" || fail "no screenshot"
for layer in 2 4; do
  chrome --dump-dom "file://$WORK/page.html#layer=$layer" >"$WORK/dom$layer.html" || fail "chromium dump-dom"
done
python3 - "$WORK/a.json" "$WORK/dom2.html" "$WORK/dom4.html" <<'PY' || fail "page and JSON differ"
import json, re, sys
a = json.load(open(sys.argv[1]))
for i, f in ((2, sys.argv[2]), (4, sys.argv[3])):
    dom = open(f).read()
    assert 'data-ready="1"' in dom, "the page's script did not finish"
    got = dict(re.findall(r'data-k="(\w+)" data-v="([^"]*)"', dom))
    s = a["summary"]
    assert float(got["efficiency"]) == s["efficiency"] and int(got["wasted_bytes"]) == s["wasted_bytes"], got
    assert int(got["image_size"]) == s["image_size"] and int(got["waste_total"]) == s["waste_total"], got
    assert int(got["layers"]) == len(a["layers"]) and int(got["files"]) == s["files"], got
    rows = re.findall(r'class="layer[^"]*" data-index="(\d+)" data-v="(\d+)"', dom)
    assert [(int(x), int(y)) for x, y in rows] == [(l["index"], l["size"]) for l in a["layers"]], rows
    files = re.findall(r'data-path="([^"]+)" data-kind="(\w+)" data-v="(\d+)"', dom)
    want = sorted((p, k, s) for k, p, s in a["layers"][i]["changes"])
    assert sorted((p, k, int(s)) for p, k, s in files) == want, (files, want)
    waste = [int(x) for x in re.findall(r'class="waste" data-v="(\d+)"', dom)]
    assert waste == [w["bytes"] for w in a["waste"]], waste
PY
pass "kiln analyze"
