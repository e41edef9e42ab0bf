#!/usr/bin/env bash
# kiln build vs docker build (BuildKit, a private dockerd started here) vs buildah bud, same
# machine, same run, same busybox base image:
#   1. examples/ (multi-stage): cold (no build cache), fully cached, one file changed;
#   2. a 200 MB / 2,000-file COPY context (cold);
#   3. a Dockerfile with 10 small RUN steps (cold).
source "$(dirname "$0")/common.sh"
RUNS=${RUNS:-5}
W=$BENCH_DIR/build
rm -rf "$W" && mkdir -p "$W"
"$ROOT/scripts/make-busybox-rootfs" "$W/rootfs" >/dev/null
tar -C "$W/rootfs" -cf "$W/rootfs.tar" .

# Contexts.
cp -a "$ROOT/examples" "$W/example"
# No "# syntax=" line: BuildKit would fetch that frontend from Docker Hub (no network here).
sed -i '/^# syntax=/d' "$W/example/Dockerfile"
mkdir -p "$W/big/data"
for i in $(seq 0 1999); do head -c $((100 * 1024)) /dev/urandom >"$W/big/data/f$i"; done
printf 'ARG BASE=demo/busybox:latest\nFROM ${BASE}\nCOPY data /data\n' >"$W/big/Dockerfile"
mkdir -p "$W/runs"
{ echo 'ARG BASE=demo/busybox:latest'; echo 'FROM ${BASE}'
  for i in $(seq 1 10); do echo "RUN echo step $i > /step$i"; done; } >"$W/runs/Dockerfile"

K="$KILN --root $W/kiln"
$K import -q -c 'CMD ["/bin/sh"]' "$W/rootfs.tar" demo/busybox:latest >/dev/null
$K run --rm demo/busybox true  # the base layer unpacked, as docker keeps it
k_clean="$K rmi -f app >/dev/null 2>&1; $K system prune -f --build-cache >/dev/null"
k_build="$K build -q --network none -t app"

BA="buildah --root $W/buildah/root --runroot $W/buildah/run --storage-driver overlay"
ba_base() {
  local c; c=$($BA from scratch) && $BA add "$c" "$W/rootfs.tar" / >/dev/null &&
    $BA config --cmd /bin/sh "$c" && $BA commit -q "$c" demo/busybox:latest >/dev/null && $BA rm "$c" >/dev/null
}
ba_base
ba_clean="$BA rmi -af >/dev/null 2>&1; $BA rm -a >/dev/null 2>&1; true"
cat >"$W/ba-cold-prepare" <<EOF2
$ba_clean
$(declare -f ba_base)
BA="$BA"; W="$W"
ba_base
EOF2
ba_build="$BA bud --isolation chroot --layers -q -t app"

# Each tool's process is timed directly (hyperfine -N, no shell in between: a shell's own start
# is several milliseconds, which hyperfine's correction does not fully remove, and a fully
# cached kiln build takes about twenty). The preparation runs through bash.
time_it() {  # time_it NAME PREPARE COMMAND [RUNS]
  hyperfine -N --style none --runs "${4:-$RUNS}" --prepare "bash -c $(printf %q "$2")" \
    --export-json "$W/$1.json" "$3" >/dev/null 2>&1 || {
    echo nan; return; }
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["median"])' "$W/$1.json"
}
touch_file="echo \"# changed \$(date +%s%N)\" >> $W/example/app/build.sh"

declare -A T
for tool in kiln buildah docker; do
  case $tool in
    kiln) clean=$k_clean build=$k_build ;;
    docker)
      # Started once kiln and buildah are measured, so that its idle daemons do not share the
      # cores with them. Its start-up is not timed.
      start_dockerd "$W/docker" || echo "dockerd did not start: BuildKit figures will be n/a" >&2
      $DK import -c 'CMD ["/bin/sh"]' "$W/rootfs.tar" demo/busybox:latest >/dev/null
      clean="$DK rmi -f app >/dev/null 2>&1; $DK builder prune -af >/dev/null"
      build="env DOCKER_BUILDKIT=1 $DK build -q --network none -t app" ;;
    buildah) clean="bash $W/ba-cold-prepare" build=$ba_build ;;
  esac
  T[$tool.cold]=$(time_it "$tool-cold" "$clean" "$build $W/example")
  eval "$build $W/example" >/dev/null 2>&1
  # Tens of milliseconds for kiln, and BuildKit's times wander: more runs for a stable median.
  T[$tool.cached]=$(time_it "$tool-cached" "true" "$build $W/example" $((RUNS * 4)))
  T[$tool.changed]=$(time_it "$tool-changed" "$touch_file" "$build $W/example")
  T[$tool.copy]=$(time_it "$tool-copy" "$clean" "$build $W/big")
  T[$tool.runs]=$(time_it "$tool-runs" "$clean" "$build $W/runs")
done

python3 - <<PY
import math
t = {$(for k in "${!T[@]}"; do printf '"%s": float("%s"), ' "$k" "${T[$k]}"; done)}
rows = [("examples/ cold", "cold"), ("examples/ fully cached", "cached"),
        ("examples/ one file changed", "changed"), ("200 MB / 2,000-file COPY (cold)", "copy"),
        ("10 RUN steps (cold)", "runs")]
print(f"median of $RUNS runs ({4 * $RUNS} fully cached), $(nproc) cores; ratio = kiln / other (lower is better for kiln)")
print("| case | kiln | BuildKit (docker) | buildah | kiln / BuildKit | kiln / buildah |")
print("|---|---|---|---|---|---|")
def s(x): return "n/a" if math.isnan(x) else (f"{x * 1000:.0f} ms" if x < 0.1 else f"{x:.2f} s")
def r(a, b): return "n/a" if math.isnan(a) or math.isnan(b) else f"{a/b:.2f}"
for name, key in rows:
    k, d, b = t["kiln."+key], t["docker."+key], t["buildah."+key]
    print(f"| {name} | {s(k)} | {s(d)} | {s(b)} | {r(k,d)} | {r(k,b)} |")
PY
