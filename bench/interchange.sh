#!/usr/bin/env bash
# kiln save / load / copy vs skopeo copy between the same kinds (and docker save / load, with a
# private dockerd started here when it starts), same machine, same run, on a 5-layer image of
# about 1.1 GB (each layer 100 MB of random bytes and 120 MB of base64 text; gzip layers).
source "$(dirname "$0")/common.sh"
W=$BENCH_DIR/interchange
rm -rf "$W" && mkdir -p "$W/ctx"
for i in 1 2 3 4 5; do
  mkdir -p "$W/ctx/l$i"
  head -c $((100 << 20)) /dev/urandom >"$W/ctx/l$i/random.bin"
  head -c $((88 << 20)) /dev/urandom | base64 -w 76 >"$W/ctx/l$i/text.txt"
done
printf 'FROM scratch\nCOPY l1 /l1\nCOPY l2 /l2\nCOPY l3 /l3\nCOPY l4 /l4\nCOPY l5 /l5\n' >"$W/ctx/Dockerfile"
K="$KILN --root $W/kiln"
$K build -q -t bench/big:1 "$W/ctx" >/dev/null
$K copy bench/big:1 "oci:$W/layout:v1"
$K save -o "$W/image.tar" bench/big:1
size=$(du -sm "$W/image.tar" | cut -f1)

declare -A T
T[kiln.save]=$(run kiln-save "rm -f $W/out.tar" "$K save -o $W/out.tar bench/big:1")
T[skopeo.save]=$(run skopeo-save "rm -f $W/out.tar" "skopeo copy -q oci:$W/layout:v1 docker-archive:$W/out.tar:bench/big:1")
T[kiln.load]=$(run kiln-load "rm -rf $W/k2" "$KILN --root $W/k2 load -q -i $W/image.tar")
T[skopeo.load]=$(run skopeo-load "rm -rf $W/sk" "skopeo copy -q docker-archive:$W/image.tar oci:$W/sk:v1")
T[kiln.copy]=$(run kiln-copy "rm -f $W/out.tar" "$KILN copy -q oci:$W/layout:v1 docker-archive:$W/out.tar:bench/big:1")
T[skopeo.copy]=${T[skopeo.save]}  # the same operation: oci: -> docker-archive:

T[docker.save]=nan T[docker.load]=nan
if command -v dockerd >/dev/null; then
  if start_dockerd "$W/docker"; then
    $DK load -q -i "$W/image.tar" >/dev/null
    T[docker.save]=$(run docker-save "rm -f $W/out.tar" "$DK save -o $W/out.tar bench/big:1")
    T[docker.load]=$(run docker-load "$DK rmi -f bench/big:1 >/dev/null 2>&1 || true" "$DK load -q -i $W/image.tar")
  fi
fi

python3 - <<PY
import math
t = {$(for k in "${!T[@]}"; do printf '"%s": float("%s"), ' "$k" "${T[$k]}"; done)}
print(f"image: 5 layers, {$size} MB as a docker archive; median of $RUNS runs, $(nproc) cores")
print("| operation | kiln | skopeo copy | docker | kiln / skopeo | kiln / docker |")
print("|---|---|---|---|---|---|")
def s(x): return "n/a" if math.isnan(x) else f"{x:.2f} s"
def r(a, b): return "n/a" if math.isnan(a) or math.isnan(b) else f"{a/b:.2f}"
for name, key in [("save (store -> docker-archive; skopeo: oci: -> docker-archive:)", "save"),
                  ("load (docker-archive -> store; skopeo: docker-archive: -> oci:)", "load"),
                  ("copy oci: -> docker-archive:", "copy")]:
    k, sk, d = t["kiln."+key], t["skopeo."+key], t.get("docker."+key, float("nan"))
    print(f"| {name} | {s(k)} | {s(sk)} | {s(d)} | {r(k,sk)} | {r(k,d)} |")
PY
