#!/usr/bin/env bash
# Remote retag of a 1 GB image: `kiln tag docker://R/big:1 docker://R/big:N` (GET + one
# manifest PUT, no blob touched) against `skopeo copy` of the same tag within the repository
# (what a user without crane would run: it checks every blob, then PUTs the manifest), on
# kiln's registry and on CNCF Distribution, both on loopback.
source "$(dirname "$0")/common.sh"
d=$BENCH_DIR/retag
rm -rf "$d" && mkdir -p "$d/rootfs"
for i in 1 2 3 4; do head -c 268435456 /dev/urandom >"$d/rootfs/blob$i"; done
export KILN_ROOT=$d/store
$KILN import -q "$d/rootfs" big:1 >/dev/null
rm -rf "$d/rootfs"
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
kp=$(port)
$KILN registry serve --root "$d/kreg" --addr "127.0.0.1:$kp" >"$d/kreg.log" 2>&1 &
kpid=$!
dp=$(port)
printf 'version: 0.1\nstorage: {filesystem: {rootdirectory: %s}}\nhttp: {addr: "127.0.0.1:%s"}\n' "$d/dist" "$dp" >"$d/dist.yml"
env -u REGISTRY_AUTH_FILE docker-registry serve "$d/dist.yml" >"$d/dist.log" 2>&1 &
dpid=$!
trap 'kill $kpid $dpid 2>/dev/null; wait 2>/dev/null; rm -rf "$d"' EXIT
sleep 1
results=()
for r in "127.0.0.1:$kp" "127.0.0.1:$dp"; do
  $KILN push -q big:1 "docker://$r/big:1"
  k=$(run retag-kiln "true" "$KILN tag -q docker://$r/big:1 docker://$r/big:k\$RANDOM")
  s=$(run retag-skopeo "true" "skopeo copy -q --src-tls-verify=false --dest-tls-verify=false docker://$r/big:1 docker://$r/big:s\$RANDOM")
  results+=("$k $s")
done
python3 - "${results[@]}" <<PY
import sys
(kk, ks), (dk, ds) = (map(float, a.split()) for a in sys.argv[1:])
print(f"$(nproc) cores, median of $RUNS runs; a 1,074 MB image (4 layers)")
print("| registry | kiln tag docker://... | skopeo copy within the repository | ratio |")
print("|---|---|---|---|")
print(f"| kiln registry serve | {kk*1000:.1f} ms | {ks*1000:.1f} ms | {kk/ks:.2f} |")
print(f"| CNCF Distribution | {dk*1000:.1f} ms | {ds*1000:.1f} ms | {dk/ds:.2f} |")
PY
