#!/usr/bin/env bash
# `kiln run --rm IMAGE true` latency against `podman run --rm`, `docker run --rm` (a private
# dockerd started here, when it starts) and bare `runc run` on a prepared bundle, all with the
# same busybox image, on this machine in this run.
source "$(dirname "$0")/common.sh"
RUNS=${RUNS:-30}
W=$BENCH_DIR/run
rm -rf "$W" && mkdir -p "$W"
"$ROOT/scripts/make-busybox-rootfs" "$W/rootfs" >/dev/null
k="$W/kiln"
"$KILN" --root "$k" import -q "$W/rootfs" bb >/dev/null
"$KILN" --root "$k" run --rm bb true  # unpack the layer once

# Each command runs without a shell in between (-N), but for runc, whose container names need
# the shell's $RANDOM.
bench() {  # bench NAME COMMAND
  local n=-N
  [[ $1 == runc ]] && n=
  hyperfine $n --style none --warmup 3 --runs "$RUNS" --export-json "$W/$1.json" "$2" >/dev/null
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["median"])' "$W/$1.json"
}

t_kiln=$(bench kiln "$KILN --root $k run --rm bb true")
t_kiln_runc=$(bench kiln-runc "$KILN --root $k run --rm --runtime runc bb true")

# Bare runc on a bundle made by runc spec (no network namespace, like ours with --network none
# but without kiln's seccomp and masks).
mkdir -p "$W/bundle" && cp -a "$W/rootfs" "$W/bundle/rootfs"
(cd "$W/bundle" && runc spec && python3 - <<'PY'
import json
c = json.load(open("config.json"))
c["process"]["terminal"] = False
c["process"]["args"] = ["true"]
json.dump(c, open("config.json", "w"))
PY
)
t_runc=$(bench runc "runc --root $W/runc-state run --bundle $W/bundle bench-\$RANDOM")

# The floor (bench/run_floor.c): clone into new namespaces, bind the root, /proc, pivot_root,
# execve. Also `kiln version`, kiln's own start.
cc -O2 -o "$W/run_floor" "$(dirname "$0")/run_floor.c"
t_floor=$(bench floor "$W/run_floor $W/rootfs /bin/true")
t_start=$(bench version "$KILN version")

p="podman --root $W/podman/root --runroot $W/podman/run --storage-driver overlay --runtime runc"
t_podman=nan
if $p import -q "$W/rootfs.tar" >/dev/null 2>&1 || (tar -C "$W/rootfs" -cf "$W/rootfs.tar" . && $p import -q "$W/rootfs.tar" bb >/dev/null); then
  t_podman=$(bench podman "$p run --rm --network none --ulimit nofile=20000:20000 --ulimit nproc=32768:32768 bb true")
fi

t_docker=nan
D=$W/docker
if command -v dockerd >/dev/null; then
  mkdir -p "$D"
  dockerd --host "unix://$D/docker.sock" --data-root "$D/data" --exec-root "$D/exec" \
    --pidfile "$D/pid" --iptables=false --ip6tables=false --ip-masq=false --bridge=none \
    --storage-driver overlay2 >"$D/log" 2>&1 &
  dpid=$!
  dk="/usr/bin/docker -H unix://$D/docker.sock"
  for _ in $(seq 100); do $dk info >/dev/null 2>&1 && break; sleep 0.2; done
  if $dk import "$W/rootfs.tar" bb >/dev/null 2>&1; then
    t_docker=$(bench docker "$dk run --rm --network none bb true")
  fi
  kill $dpid; wait $dpid 2>/dev/null || true
fi

python3 - <<PY
import math
k, kr, r, p, d = $t_kiln, $t_kiln_runc, $t_runc, float("$t_podman"), float("$t_docker")
fl, st = $t_floor, $t_start
print(f"busybox image, \`IMAGE true\`, $(nproc) cores, median of $RUNS runs")
print("| command | median | kiln / this |")
print("|---|---|---|")
def row(name, t):
    if math.isnan(t): print(f"| {name} | not available here | |"); return
    print(f"| {name} | {t*1000:.0f} ms | {k/t:.2f} |")
row("kiln run --rm (builtin)", k)
row("kiln run --rm --runtime runc", kr)
row("runc run (prepared bundle)", r)
row("podman run --rm", p)
row("docker run --rm", d)
row("floor: clone + bind + /proc + pivot_root + execve (bench/run_floor.c)", fl)
row("kiln version (kiln's start alone)", st)
PY
