#!/usr/bin/env bash
# Cold builds with big layers (issue 24): kiln build vs docker build (BuildKit, a private dockerd
# started here), same machine, same run. Each case is built cold (no build cache) RUNS times;
# the table gives the median of the whole build and of the gap, the time from the end of the
# big step's process to the start of the next step's (each step writes /proc/uptime into the
# image; 10 ms resolution):
#   1. a Debian bookworm minbase (debootstrap from the machine's mirror) installing
#      build-essential with dpkg from .deb files bind-mounted from the context (downloaded once
#      beforehand, so that no build waits for the network);
#   2. busybox with a RUN writing 200 MB (half random, half this machine's binaries);
#   3. busybox with a 200 MB / 2,000-file COPY of random data (as bench/build.sh);
# then the push of a freshly built 300 MB image (this machine's binaries, one layer) to CNCF
# Distribution on 127.0.0.1: `kiln push` against `docker push` of the same image built by docker,
# and against `skopeo copy` of kiln's image from an OCI layout, whose layer is already compressed
# (issue 24: the first push no slower than skopeo pushing a compressed image of the same size).
# CASES="" measures the pushes only.
source "$(dirname "$0")/common.sh"
RUNS=${RUNS:-3}
W=$BENCH_DIR/build_big
rm -rf "$W" && mkdir -p "$W"
mirror=${KILN_DEBIAN_MIRROR:-$({ cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null || true; } |
  awk '/^URIs:/ && !/security/ {print $2; exit} /^deb / && !/security/ {print $2; exit}')}
deb=$BENCH_DIR/debootstrap-bookworm
if [[ ! -f $deb.tar ]]; then
  rm -rf "$deb"
  debootstrap --variant=minbase bookworm "$deb" "${mirror:-http://deb.debian.org/debian}" >"$BENCH_DIR/debootstrap.log" 2>&1
  tar -C "$deb" -cf "$deb.tar" .
fi
debs=$BENCH_DIR/build-essential-debs
if [[ ! -d $debs ]]; then
  chroot "$deb" apt-get -qq update >/dev/null
  chroot "$deb" apt-get -qq install --download-only -y build-essential >/dev/null
  mkdir -p "$debs.tmp" && mv "$deb"/var/cache/apt/archives/*.deb "$debs.tmp/" && mv "$debs.tmp" "$debs"
fi
"$ROOT/scripts/make-busybox-rootfs" "$W/rootfs" >/dev/null
tar -C "$W/rootfs" -cf "$W/busybox.tar" .

mkdir -p "$W/essential" && cp -a "$debs" "$W/essential/debs"
cat >"$W/essential/Dockerfile" <<'DF'
FROM demo/debian
RUN --mount=type=bind,source=debs,target=/debs dpkg -i /debs/*.deb >/dev/null && cut -d" " -f1 /proc/uptime >/t1
RUN cut -d" " -f1 /proc/uptime >/t2
DF
mkdir -p "$W/run200"
head -c $((100 << 20)) /dev/urandom >"$W/run200/random"
cat /usr/bin/* 2>/dev/null | head -c $((100 << 20)) >"$W/run200/binaries" || true
cat >"$W/run200/Dockerfile" <<'DF'
FROM demo/busybox
RUN --mount=type=bind,target=/ctx cat /ctx/random /ctx/binaries >/big && cut -d" " -f1 /proc/uptime >/t1
RUN cut -d" " -f1 /proc/uptime >/t2
DF
mkdir -p "$W/copy/data"
for i in $(seq 0 1999); do head -c $((100 * 1024)) /dev/urandom >"$W/copy/data/f$i"; done
printf 'FROM demo/busybox\nCOPY data /data\n' >"$W/copy/Dockerfile"
mkdir -p "$W/push300"
cat /usr/bin/* /usr/lib/x86_64-linux-gnu/*.so* 2>/dev/null | head -c $((300 << 20)) >"$W/push300/data" || true
printf 'FROM demo/busybox\nCOPY data /data\n' >"$W/push300/Dockerfile"

K="$KILN --root $W/kiln"
$K import -q "$deb.tar" demo/debian >/dev/null
$K import -q -c 'CMD ["/bin/sh"]' "$W/busybox.tar" demo/busybox >/dev/null
$K run --rm demo/busybox true  # base layers unpacked, as docker keeps them
$K run --rm demo/debian true

# cold TOOL CASE: builds CASE cold RUNS times; prints "TOTAL GAP" medians (GAP "nan" when the
# case has no /t1 and /t2).
cold() {
  local tool=$1 case=$2 totals=() gaps=() t0 t1 times
  for _ in $(seq "$RUNS"); do
    if [[ $tool == kiln ]]; then
      $K rmi -f app >/dev/null 2>&1 || true; $K system prune -f --build-cache >/dev/null
    else
      $DK rmi -f app >/dev/null 2>&1 || true; $DK builder prune -af >/dev/null
    fi
    sync
    t0=$(date +%s.%N)
    if [[ $tool == kiln ]]; then $K build -q --network none -t app "$W/$case" >/dev/null
    else DOCKER_BUILDKIT=1 $DK build -q --network none -t app "$W/$case" >/dev/null; fi
    t1=$(date +%s.%N)
    totals+=("$(python3 -c "print($t1 - $t0)")")
    if [[ $case != copy ]]; then
      if [[ $tool == kiln ]]; then times=$($K run --rm app cat /t1 /t2)
      else times=$($DK run --rm --network none app cat /t1 /t2); fi
      gaps+=("$(echo "$times" | python3 -c 'import sys; a, b = map(float, sys.stdin.read().split()); print(b - a)')")
    else
      gaps+=(nan)
    fi
  done
  python3 -c 'import statistics, sys; n = len(sys.argv) // 2
t = sorted(map(float, sys.argv[1:1 + n])); g = sorted(map(float, sys.argv[1 + n:]))
print(statistics.median(t), statistics.median(g))' "${totals[@]}" "${gaps[@]}"
}

declare -A T
cases=${CASES-essential run200 copy}
for c in $cases; do read -r T[kiln.$c] T[kiln.gap.$c] < <(cold kiln "$c"); done

# Distribution for the push case.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
  "$W/registry-data" "$port" >"$W/registry.yml"
docker-registry serve "$W/registry.yml" >"$W/registry.log" 2>&1 &
rpid=$!
REG=127.0.0.1:$port
for _ in $(seq 50); do curl -sf "http://$REG/v2/" >/dev/null && break; sleep 0.1; done
# push TOOL: RUNS pushes of a freshly built image into an empty registry; prints the median.
# skopeo pushes the image kiln built last, from an OCI layout (the same compressed blobs).
push() {
  local tool=$1 times=() t0 t1
  for _ in $(seq "$RUNS"); do
    if [[ $tool == kiln ]]; then
      $K rmi -f app "$REG/big:1" >/dev/null 2>&1 || true; $K system prune -f --build-cache >/dev/null
      $K build -q --network none -t "$REG/big:1" "$W/push300" >/dev/null
    elif [[ $tool == docker ]]; then
      $DK rmi -f "$REG/big:1" >/dev/null 2>&1 || true; $DK builder prune -af >/dev/null
      DOCKER_BUILDKIT=1 $DK build -q --network none -t "$REG/big:1" "$W/push300" >/dev/null
    fi
    rm -rf "$W/registry-data"; sync
    t0=$(date +%s.%N)
    case $tool in
      kiln) $K push -q "$REG/big:1" >/dev/null ;;
      docker) $DK push -q "$REG/big:1" >/dev/null ;;
      skopeo) skopeo copy -q --dest-tls-verify=false "oci:$W/big-oci:1" "docker://$REG/big:1" >/dev/null ;;
    esac
    t1=$(date +%s.%N)
    times+=("$(python3 -c "print($t1 - $t0)")")
  done
  python3 -c 'import statistics, sys; print(statistics.median(map(float, sys.argv[1:])))' "${times[@]}"
}
T[kiln.push]=$(push kiln)
$K copy "$REG/big:1" "oci:$W/big-oci:1" >/dev/null
T[skopeo.push]=$(push skopeo)

# dockerd starts once kiln is measured, so that its idle daemons do not share the cores.
start_dockerd "$W/docker" || { echo "dockerd did not start" >&2; exit 1; }
trap 'kill $DOCKERD_PID $rpid 2>/dev/null; wait $DOCKERD_PID 2>/dev/null' EXIT
$DK import "$deb.tar" demo/debian >/dev/null
$DK import -c 'CMD ["/bin/sh"]' "$W/busybox.tar" demo/busybox >/dev/null
for c in $cases; do read -r T[docker.$c] T[docker.gap.$c] < <(cold docker "$c"); done
T[docker.push]=$(push docker)

python3 - <<PY
t = {$(for k in "${!T[@]}"; do printf '"%s": float("%s"), ' "$k" "${T[$k]}"; done)}
import math
print(f"median of $RUNS cold runs, $(nproc) cores; ratio = kiln / BuildKit (lower is better for kiln)")
print("| case | kiln | BuildKit (docker) | kiln / BuildKit | gap kiln | gap BuildKit | gap ratio |")
print("|---|---|---|---|---|---|---|")
names = {"essential": "Debian + build-essential (dpkg -i)", "run200": "RUN writing 200 MB",
         "copy": "200 MB / 2,000-file COPY"}
def s(x): return "n/a" if math.isnan(x) else f"{x:.2f} s"
def r(a, b): return "n/a" if math.isnan(a) or math.isnan(b) or b == 0 else f"{a / b:.2f}"
for c in "$cases".split():
    k, d, gk, gd = t["kiln." + c], t["docker." + c], t["kiln.gap." + c], t["docker.gap." + c]
    print(f"| {names[c]} | {s(k)} | {s(d)} | {r(k, d)} | {s(gk)} | {s(gd)} | {r(gk, gd)} |")
k, d = t["kiln.push"], t["docker.push"]
print(f"| push of a freshly built 300 MB image to Distribution | {s(k)} | {s(d)} (docker push) | {r(k, d)} | | | |")
sk = t["skopeo.push"]
print(f"| the same push against skopeo copy oci: (layer already compressed) | {s(k)} | {s(sk)} (skopeo) | {r(k, sk)} (kiln / skopeo) | | | |")
PY
