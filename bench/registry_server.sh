#!/usr/bin/env bash
# kiln registry serve vs CNCF Distribution 2.8 (Debian's docker-registry), same machine, same
# run, both with access logs off:
#  1. requests per second with 50 keep-alive connections: manifest GET and /v2/ with wrk
#     (2 threads), blob HEAD with ab -i (wrk cannot do HEAD); server CPU per request from
#     /proc/PID/stat before and after;
#     manifest GET latency (p50, p99) at 50 and 500 connections, from wrk --latency, also
#     against the floor: bench/static_responder.c, which answers every request with the same
#     prepared manifest-sized response on one epoll thread per core;
#  2. skopeo push and pull of an image of 3 x 100 MB random layers: wall time (median of RUNS)
#     and the server's CPU per byte moved.
source "$(dirname "$0")/common.sh"
W=$BENCH_DIR/registry-server
DUR=${DUR:-10}
rm -rf "$W" && mkdir -p "$W/big"
for i in 1 2 3; do mkdir -p "$W/big/l$i" && head -c $((100 << 20)) /dev/urandom >"$W/big/l$i/data"; done
printf 'FROM scratch\nCOPY l1 /l1\nCOPY l2 /l2\nCOPY l3 /l3\n' >"$W/big/Dockerfile"
K="$KILN --root $W/kiln"
$K build -q -t bench/big:1 "$W/big" >/dev/null
$K copy bench/big:1 "oci:$W/layout:1"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

dport=$(free_port)
cat >"$W/dist.yml" <<CFG
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $W/dist-data}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$dport}
CFG
env -u REGISTRY_AUTH_FILE docker-registry serve "$W/dist.yml" >"$W/dist.log" 2>&1 &
dpid=$!
kport=$(free_port)
$KILN registry serve --root "$W/kiln-data" --addr "127.0.0.1:$kport" --no-access-log >"$W/kiln.log" 2>&1 &
kpid=$!
for p in $dport $kport; do
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$p/v2/" >/dev/null && break; sleep 0.1; done
done
fport=$(free_port)
cc -O2 -o "$W/static_responder" "$(dirname "$0")/static_responder.c" -lpthread
"$W/static_responder" "$fport" 405 "$(nproc)" &
fpid=$!
trap 'kill $dpid $kpid $fpid 2>/dev/null' EXIT
declare -A PID=([distribution]=$dpid [kiln]=$kpid) PORT=([distribution]=$dport [kiln]=$kport)
declare -A DATA=([distribution]=$W/dist-data [kiln]=$W/kiln-data)

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# percentiles: wrk --latency's 50% and 99% lines, in ms.
percentiles() {
  python3 -c '
import re, sys
unit = {"us": 1e-3, "ms": 1.0, "s": 1e3}
p = {m[0]: float(m[1]) * unit[m[2]] for m in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", sys.stdin.read(), re.M)}
print(p["50"], p["99"])'
}
# wrk_get CONNECTIONS URL: DUR seconds of GETs for a manifest, with latency percentiles.
wrk_get() {
  (ulimit -n 4096; wrk -t2 -c"$1" -d"${DUR}s" --latency -H 'Accept: application/vnd.oci.image.manifest.v1+json' "$2")
}
tick=$(getconf CLK_TCK)
declare -A R C L
# The floor: manifest-sized responses from the static responder.
for c in 50 500; do
  out=$(wrk_get "$c" "http://127.0.0.1:$fport/v2/bench/big/manifests/1")
  R[floor.$c]=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  read -r L[floor.$c.p50] L[floor.$c.p99] < <(percentiles <<<"$out")
done
for s in distribution kiln; do
  reg=127.0.0.1:${PORT[$s]}
  skopeo copy -q --dest-tls-verify=false "oci:$W/layout:1" "docker://$reg/bench/big:1"
  mf="http://$reg/v2/bench/big/manifests/1"
  layer=$(curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' "$mf" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["layers"][0]["digest"])')
  for t in manifest base; do
    url=$mf
    [[ $t == base ]] && url="http://$reg/v2/"
    c0=$(cpu_ticks "${PID[$s]}")
    out=$(wrk_get 50 "$url")
    c1=$(cpu_ticks "${PID[$s]}")
    n=$(awk '/requests in/ {print $1}' <<<"$out")
    R[$s.$t]=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    C[$s.$t]=$(python3 -c "print(($c1 - $c0) / $tick / $n * 1e6)")
    grep -q 'Non-2xx' <<<"$out" && { echo "$s $t: non-2xx responses" >&2; exit 1; }
    [[ $t == manifest ]] && read -r L[$s.50.p50] L[$s.50.p99] < <(percentiles <<<"$out")
  done
  # Manifest GET latency with 500 connections.
  out=$(wrk_get 500 "$mf")
  grep -q 'Non-2xx' <<<"$out" && { echo "$s manifest at 500 connections: non-2xx responses" >&2; exit 1; }
  R[$s.c500]=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  read -r L[$s.500.p50] L[$s.500.p99] < <(percentiles <<<"$out")
  n=$(python3 -c "print(int(${R[$s.manifest]} * $DUR))")
  c0=$(cpu_ticks "${PID[$s]}")
  out=$(ab -q -k -i -c 50 -n "$n" "http://$reg/v2/bench/big/blobs/$layer")
  c1=$(cpu_ticks "${PID[$s]}")
  grep -q 'Non-2xx' <<<"$out" && { echo "$s blob HEAD: non-2xx responses" >&2; exit 1; }
  R[$s.head]=$(awk '/Requests per second/ {print $4}' <<<"$out")
  C[$s.head]=$(python3 -c "print(($c1 - $c0) / $tick / $n * 1e6)")

  bytes=$((3 * 100 << 20))
  c0=$(cpu_ticks "${PID[$s]}")
  # Each push starts from empty storage (its contents removed under the running server).
  R[$s.push]=$(run "$s-push" "rm -rf ${DATA[$s]}/*" \
    "skopeo copy -q --dest-tls-verify=false oci:$W/layout:1 docker://$reg/bench/big:1")
  c1=$(cpu_ticks "${PID[$s]}")
  C[$s.push]=$(python3 -c "print(($c1 - $c0) / $tick / ($RUNS * $bytes / 1e9))")
  c0=$(cpu_ticks "${PID[$s]}")
  R[$s.pull]=$(run "$s-pull" "rm -rf $W/pulled" "skopeo copy -q --src-tls-verify=false docker://$reg/bench/big:1 oci:$W/pulled:1")
  c1=$(cpu_ticks "${PID[$s]}")
  C[$s.pull]=$(python3 -c "print(($c1 - $c0) / $tick / ($RUNS * $bytes / 1e9))")
done

python3 - <<PY
r = {$(for k in "${!R[@]}"; do printf '"%s": float("%s"), ' "$k" "${R[$k]}"; done)}
c = {$(for k in "${!C[@]}"; do printf '"%s": float("%s"), ' "$k" "${C[$k]}"; done)}
print(f"$(nproc) cores; wrk -t2 -c50 for ${DUR} s (ab -k -i -c50 for HEAD); skopeo runs: median of $RUNS")
print("| request | Distribution req/s | kiln req/s | kiln / Distribution | server CPU per request: Distribution | kiln |")
print("|---|---|---|---|---|---|")
for t, name in (("manifest", "manifest GET"), ("head", "blob HEAD"), ("base", "GET /v2/")):
    d, k = r[f"distribution.{t}"], r[f"kiln.{t}"]
    print(f"| {name} | {d:,.0f} | {k:,.0f} | **{k/d:.1f}x** | {c[f'distribution.{t}']:.0f} us | {c[f'kiln.{t}']:.0f} us |")
print()
l = {$(for k in "${!L[@]}"; do printf '"%s": float("%s"), ' "$k" "${L[$k]}"; done)}
print("| manifest GET, wrk -t2 | Distribution req/s | p50 | p99 | kiln req/s | p50 | p99 | floor req/s | p50 | p99 | kiln / Distribution | floor / Distribution |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for n, key in (("50", "manifest"), ("500", "c500")):
    d, k, f = r[f"distribution.{key}"], r[f"kiln.{key}"], r[f"floor.{n}"]
    print(f"| {n} connections | {d:,.0f} | {l[f'distribution.{n}.p50']:.2f} ms | {l[f'distribution.{n}.p99']:.2f} ms | "
          f"{k:,.0f} | {l[f'kiln.{n}.p50']:.2f} ms | {l[f'kiln.{n}.p99']:.2f} ms | "
          f"{f:,.0f} | {l[f'floor.{n}.p50']:.2f} ms | {l[f'floor.{n}.p99']:.2f} ms | **{k/d:.1f}x** | {f/d:.1f}x |")
print()
print("| skopeo, 3 x 100 MB | Distribution wall | kiln wall | server CPU per GB: Distribution | kiln | kiln / Distribution CPU |")
print("|---|---|---|---|---|---|")
for t in ("push", "pull"):
    print(f"| {t} | {r[f'distribution.{t}']:.2f} s | {r[f'kiln.{t}']:.2f} s | {c[f'distribution.{t}']:.2f} s | {c[f'kiln.{t}']:.2f} s | **{c[f'kiln.{t}']/c[f'distribution.{t}']:.2f}** |")
PY
