#!/usr/bin/env bash
# kiln scan and kiln db import: the scan of a Debian bookworm minbase image (debootstrap from
# the machine's mirror, imported) against `kiln export IMAGE >/dev/null` (reading the layers
# and nothing else), the scan of a large image, and importing every advisory in
# ../shared/vulndata. No other scanner (Trivy, Grype) is packaged in Debian, so the reference
# is the floor: reading the image.
source "$(dirname "$0")/common.sh"
vulndata=${KILN_VULNDATA:-$ROOT/../shared/vulndata}
[[ -f $vulndata/debian.zip ]] || { echo "no $vulndata/debian.zip" >&2; exit 1; }
k=$BENCH_DIR/scan-store
db=$BENCH_DIR/scan.db
rm -rf "$k" "$db"
deb=$BENCH_DIR/debootstrap-bookworm
if [[ ! -f $deb.tar ]]; then
  mirror=${KILN_DEBIAN_MIRROR:-$({ cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null || true; } |
    awk '/^URIs:/ && !/security/ {print $2; exit} /^deb / && !/security/ {print $2; exit}')}
  rm -rf "$deb"
  debootstrap --variant=minbase bookworm "$deb" "${mirror:-http://deb.debian.org/debian}" >"$BENCH_DIR/debootstrap.log" 2>&1
  tar -C "$deb" -cf "$deb.tar" .
fi
big=$(corpus_tar)
$KILN --root "$k" import -q "$deb.tar" deb >/dev/null
$KILN --root "$k" import -q "$big" big >/dev/null
zips=$(printf '%s ' "$vulndata"/{debian,alpine,pypi,go,npm}.zip)
export KILN_VULN_DB=$db
t_import=$(run db-import "rm -f $db" "$KILN db import $zips")
advisories=$($KILN db status --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["advisories"])')
t_export=$(run deb-export "true" "$KILN --root $k export deb >/dev/null")
t_scan=$(run deb-scan "true" "$KILN --root $k scan deb >/dev/null")
t_scan_vuln=$(run deb-scan-vuln "true" "$KILN --root $k scan --scanners vuln deb >/dev/null")
t_big_export=$(run big-export "true" "$KILN --root $k export big >/dev/null")
t_big_scan=$(run big-scan "true" "$KILN --root $k scan big >/dev/null")
rss=$( { /usr/bin/time -f '%M' $KILN --root "$k" scan big >/dev/null; } 2>&1 | tail -1)
pkgs=$($KILN --root "$k" sbom --format json deb | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["packages"]))')
found=$($KILN --root "$k" scan --format json deb | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["vulnerabilities"]) + len(d["secrets"]))')
deb_mb=$(python3 -c "import os;print(round(os.path.getsize('$deb.tar')/1e6))")
big_mb=$(python3 -c "import os;print(round(os.path.getsize('$big')/1e6))")
big_files=$(tar -tf "$big" | wc -l)
rm -rf "$k" "$db"
python3 - <<PY
print(f"$(nproc) cores, median of $RUNS runs; database: $advisories advisories")
print("| case | kiln scan (vulnerabilities and secrets) | kiln export >/dev/null | ratio |")
print("|---|---|---|---|")
print(f"| Debian bookworm minbase ($deb_mb MB, $pkgs packages, $found findings) | {$t_scan:.3f} s | {$t_export:.3f} s | {$t_scan/$t_export:.2f} |")
print(f"| the same, --scanners vuln | {$t_scan_vuln:.3f} s | {$t_export:.3f} s | {$t_scan_vuln/$t_export:.2f} |")
print(f"| large image ($big_mb MB, $big_files files, no package database) | {$t_big_scan:.3f} s | {$t_big_export:.3f} s | {$t_big_scan/$t_big_export:.2f} |")
print()
print(f"kiln db import of debian, alpine, pypi, go and npm zips: {$t_import:.2f} s")
print(f"peak RSS of the large scan: {$rss/1024:.0f} MB")
PY
