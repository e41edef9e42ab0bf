#!/usr/bin/env bash
# kiln registry serve vs CNCF Distribution 2.8 (Debian's docker-registry, whose build has the
# s3-aws driver), both on S3 storage in the same Ceph RGW (tests/tools/rgw.sh, memstore OSD),
# same machine, same run, redirects off in both so every byte passes through the registry:
#  1. kiln push and pull of 3 x 100 MB random layers and of a 5,000-file image through each
#     registry (median of RUNS; the bucket emptied before each push), the registry's CPU
#     time per pushed byte, and the floor of the big pull: the same pull through a kiln replica
#     with redirect on, the client reading the layers from RGW itself;
#  2. manifest GETs per second with wrk, 50 connections, DUR seconds;
#  3. three kiln replicas over one bucket, one wrk per replica at once, against one replica.
source "$(dirname "$0")/common.sh"
W=$BENCH_DIR/registry-s3
DUR=${DUR:-10}
fail() { echo "FAIL: $*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cleanup_hooks=()
trap 'for h in "${cleanup_hooks[@]}"; do eval "$h" || true; done' EXIT
source "$ROOT/tests/tools/rgw.sh"
rm -rf "$W" && mkdir -p "$W/big" "$W/small/files"
for i in 1 2 3; do mkdir -p "$W/big/l$i" && head -c $((100 << 20)) /dev/urandom >"$W/big/l$i/data"; done
printf 'FROM scratch\nCOPY l1 /l1\nCOPY l2 /l2\nCOPY l3 /l3\n' >"$W/big/Dockerfile"
for i in $(seq 1 5000); do head -c $((RANDOM % 4096 + 64)) /dev/urandom >"$W/small/files/f$i"; done
printf 'FROM scratch\nCOPY files /files\n' >"$W/small/Dockerfile"
K="$KILN --root $W/kiln"
for img in big small; do $K build -q -t "bench/$img:1" "$W/$img" >/dev/null; done

RGW_MEM_BYTES=$((6 << 30)) rgw_start "$W/rgw"
export AWS_ACCESS_KEY_ID=$RGW_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$RGW_SECRET_KEY
s3_yaml() {  # s3_yaml BUCKET [REDIRECT_DISABLE]
  printf 'storage:\n  s3: {bucket: %s, region: us-east-1, regionendpoint: "%s", secure: false, v4auth: true, chunksize: 10485760, rootdirectory: /r}\n  redirect: {disable: %s}\n  delete: {enabled: true}\n' "$1" "$RGW_ENDPOINT" "${2:-true}"
}
declare -A PORT PID
start() {  # start NAME BUCKET KIND [REDIRECT_DISABLE]
  local port
  port=$(free_port)
  { echo "version: 0.1"; s3_yaml "$2" "${4:-true}"; echo "http: {addr: 127.0.0.1:$port}"
    echo "log: {level: error, accesslog: {disabled: true}}"; } >"$W/$1.yml"
  if [[ $3 == kiln ]]; then
    $KILN registry serve --config "$W/$1.yml" >"$W/$1.log" 2>&1 &
  else
    env -u REGISTRY_AUTH_FILE -u AWS_CA_BUNDLE docker-registry serve "$W/$1.yml" >"$W/$1.log" 2>&1 &
  fi
  PID[$1]=$!
  PORT[$1]=$port
  cleanup_hooks+=("kill ${PID[$1]} 2>/dev/null")
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && return 0; sleep 0.1; done
  fail "$1 did not start: $(tail -3 "$W/$1.log")"
}
for b in kiln dist; do rgw_curl -o /dev/null -X PUT "$RGW_ENDPOINT/$b"; done
start kiln kiln kiln
start distribution dist distribution
# Empties a bucket (radosgw-admin: one command whatever the count).
wipe() {
  echo "radosgw-admin bucket rm --bucket=$1 --purge-objects --bypass-gc >/dev/null 2>&1; curl -s -o /dev/null" \
    "--aws-sigv4 aws:amz:us-east-1:s3 --user $RGW_ACCESS_KEY:$RGW_SECRET_KEY -H 'x-amz-content-sha256:" \
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' -X PUT $RGW_ENDPOINT/$1"
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
tick=$(getconf CLK_TCK)
declare -A T C
bucket() { [[ $1 == kiln ]] && echo kiln || echo dist; }
for s in kiln distribution; do
  reg=127.0.0.1:${PORT[$s]}
  for img in big small; do
    T[$s.push.$img]=$(run "s3-$s-push-$img" "$(wipe "$(bucket $s)")" "$K push -q bench/$img:1 $reg/bench/$img:1")
    $K push -q "bench/$img:1" "$reg/bench/$img:1"
    k2="$KILN --root $W/k2-$s"  # a store of each registry's own: no layer is already there
    $k2 images >/dev/null
    T[$s.pull.$img]=$(run "s3-$s-pull-$img" "$k2 rmi -f $reg/bench/$img:1 >/dev/null 2>&1; $k2 system prune -f >/dev/null" "$k2 pull -q $reg/bench/$img:1")
  done
  if [[ $s == kiln ]]; then
    # The floor of a registry that passes the bytes: the same pull through a replica that
    # redirects blob GETs to presigned URLs, so the client reads the layers from RGW itself.
    start kilnr kiln kiln false
    $K push -q bench/big:1 "$reg/bench/big:1"  # the small image's push emptied the bucket
    k2="$KILN --root $W/k2-redirect"
    $k2 images >/dev/null
    T[redirect.pull.big]=$(run "s3-redirect-pull-big" "$k2 rmi -f 127.0.0.1:${PORT[kilnr]}/bench/big:1 >/dev/null 2>&1; $k2 system prune -f >/dev/null" "$k2 pull -q 127.0.0.1:${PORT[kilnr]}/bench/big:1")
    kill "${PID[kilnr]}"
  fi
  bash -c "$(wipe "$(bucket $s)")"
  c0=$(cpu_ticks "${PID[$s]}")
  $K push -q bench/big:1 "$reg/bench/big:1"
  c1=$(cpu_ticks "${PID[$s]}")
  C[$s.push]=$(python3 -c "print(($c1 - $c0) / $tick)")
  $K push -q bench/small:1 "$reg/bench/small:1"
  out=$(wrk -t2 -c50 -d"${DUR}s" -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$reg/v2/bench/big/manifests/1")
  grep -q 'Non-2xx' <<<"$out" && fail "$s: non-2xx manifest responses: $out"
  T[$s.rps]=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
done
# Replicas: two more over kiln's bucket, then one wrk per replica at the same time.
wrks=()
start kiln2 kiln kiln
start kiln3 kiln kiln
for r in kiln kiln2 kiln3; do
  wrk -t1 -c50 -d"${DUR}s" -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://127.0.0.1:${PORT[$r]}/v2/bench/big/manifests/1" >"$W/wrk-$r.out" &
  wrks+=($!)
done
for p in "${wrks[@]}"; do wait "$p"; done
T[replicas.rps]=$(cat "$W"/wrk-kiln*.out | awk '/Requests\/sec/ {s += $2} END {print s}')

python3 - <<PY
t = {$(for k in "${!T[@]}"; do printf '"%s": float("%s"), ' "$k" "${T[$k]}"; done)}
c = {$(for k in "${!C[@]}"; do printf '"%s": float("%s"), ' "$k" "${C[$k]}"; done)}
print(f"median of $RUNS runs, $(nproc) cores, both registries on S3 (Ceph RGW, memstore) with redirects off; client: kiln")
print("| operation | kiln registry | Distribution | kiln / Distribution |")
print("|---|---|---|---|")
for op in ("push", "pull"):
    for img, name in (("big", "3 x 100 MB random layers"), ("small", "5,000 small files")):
        k, d = t[f"kiln.{op}.{img}"], t[f"distribution.{op}.{img}"]
        print(f"| {op} {name} | {k:.2f} s | {d:.2f} s | {k/d:.2f} |")
k, d = t["redirect.pull.big"], t["distribution.pull.big"]
print(f"| floor: pull 3 x 100 MB, blob GETs redirected to RGW (kiln replica, redirect on) | {k:.2f} s | {d:.2f} s | {k/d:.2f} |")
k, d = c["kiln.push"], c["distribution.push"]
print(f"| registry CPU for one push of the big image (300 MB) | {k:.2f} s | {d:.2f} s | {k/d:.2f} |")
k, d = t["kiln.rps"], t["distribution.rps"]
print(f"| manifest GET, 50 connections | {k:,.0f} req/s | {d:,.0f} req/s | {k/d:.1f}x |")
print(f"three kiln replicas over one bucket, a wrk each at once: {t['replicas.rps']:,.0f} req/s, "
      f"{t['replicas.rps'] / t['kiln.rps']:.2f}x one replica")
PY
