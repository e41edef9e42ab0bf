#!/usr/bin/env bash
# kiln push / pull vs skopeo copy to and from the same CNCF Distribution registry (Debian's
# docker-registry on 127.0.0.1), same machine, same run, two images: 3 layers of 100 MB of
# random bytes, and one layer of 5,000 small files. Pushes start from an empty registry; pulls
# into a store that exists but lacks the image (kiln: rmi + prune between runs, as a user's
# store would be) or an empty directory (skopeo, an oci: layout).
source "$(dirname "$0")/common.sh"
W=$BENCH_DIR/registry
rm -rf "$W" && mkdir -p "$W/big" "$W/small/files"
for i in 1 2 3; do mkdir -p "$W/big/l$i" && head -c $((100 << 20)) /dev/urandom >"$W/big/l$i/data"; done
printf 'FROM scratch\nCOPY l1 /l1\nCOPY l2 /l2\nCOPY l3 /l3\n' >"$W/big/Dockerfile"
for i in $(seq 1 5000); do head -c $((RANDOM % 4096 + 64)) /dev/urandom >"$W/small/files/f$i"; done
printf 'FROM scratch\nCOPY files /files\n' >"$W/small/Dockerfile"
K="$KILN --root $W/kiln"
for img in big small; do
  $K build -q -t "bench/$img:1" "$W/$img" >/dev/null
  $K copy "bench/$img:1" "oci:$W/layout-$img:1"
done

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$W/registry.yml" <<CFG
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $W/registry-data
http:
  addr: 127.0.0.1:$port
CFG
docker-registry serve "$W/registry.yml" >"$W/registry.log" 2>&1 &
rpid=$!
trap 'kill $rpid 2>/dev/null' EXIT
REG=127.0.0.1:$port
for _ in $(seq 50); do curl -sf "http://$REG/v2/" >/dev/null && break; sleep 0.1; done
wipe="rm -rf $W/registry-data"

declare -A T
for img in big small; do
  T[kiln.push.$img]=$(run "kiln-push-$img" "$wipe" "$K push -q bench/$img:1 $REG/bench/$img:1")
  T[skopeo.push.$img]=$(run "skopeo-push-$img" "$wipe" "skopeo copy -q --dest-tls-verify=false oci:$W/layout-$img:1 docker://$REG/bench/$img:1")
  $K push -q "bench/$img:1" "$REG/bench/$img:1"
  $KILN --root "$W/k2" images >/dev/null  # the store exists
  T[kiln.pull.$img]=$(run "kiln-pull-$img" "$KILN --root $W/k2 rmi -f $REG/bench/$img:1 >/dev/null 2>&1; $KILN --root $W/k2 system prune -f >/dev/null" "$KILN --root $W/k2 pull -q $REG/bench/$img:1")
  T[skopeo.pull.$img]=$(run "skopeo-pull-$img" "rm -rf $W/sk" "skopeo copy -q --src-tls-verify=false docker://$REG/bench/$img:1 oci:$W/sk:1")
done

# What bounds the big image's times: a pull and a push of its layers by curl alone
# (bench/registry_floor.sh, bench/registry_push_floor.sh), and the CPU
# time the registry itself spends in one push by each tool (from /proc/PID/stat).
big_blobs=$(find "$W/layout-big/blobs/sha256" -type f -size +1M | sort | tr "\n" " ")
$K push -q bench/big:1 "$REG/bench/big:1"  # the small image's runs wiped the registry
T[curl.pull.big]=$(run "curl-pull-big" "rm -rf $W/floor; mkdir -p $W/floor" \
  "$(dirname "$0")/registry_floor.sh $REG bench/big $W/floor $big_blobs")
T[curl.push.big]=$(run "curl-push-big" "$wipe" "$(dirname "$0")/registry_push_floor.sh $REG bench/big $big_blobs")
reg_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$rpid/stat"; }
for tool in kiln skopeo; do
  eval "$wipe"
  before=$(reg_cpu)
  if [[ $tool == kiln ]]; then $K push -q bench/big:1 "$REG/bench/big:1"; else
    skopeo copy -q --dest-tls-verify=false "oci:$W/layout-big:1" "docker://$REG/bench/big:1"; fi
  T[$tool.regcpu]=$(python3 -c "print($(reg_cpu) - $before)")
done

python3 - <<PY
t = {$(for k in "${!T[@]}"; do printf '"%s": float("%s"), ' "$k" "${T[$k]}"; done)}
print(f"median of $RUNS runs, $(nproc) cores; ratio = kiln / skopeo (lower is better for kiln)")
print("| operation | kiln | skopeo copy | kiln / skopeo |")
print("|---|---|---|---|")
for op in ("push", "pull"):
    for img, name in (("big", "3 x 100 MB random layers"), ("small", "5,000 small files")):
        k, s = t[f"kiln.{op}.{img}"], t[f"skopeo.{op}.{img}"]
        print(f"| {op} {name} | {k:.2f} s | {s:.2f} s | {k/s:.2f} |")
print()
c = t["curl.pull.big"]
print(f"curl alone, the 3 big layers at once (no digest, no fsync): {c:.2f} s, "
      f"{c / t['skopeo.pull.big']:.2f} of skopeo's pull")
c = t["curl.push.big"]
print(f"curl alone, uploading the 3 big layers at once (POST, one PATCH, PUT; no manifest): {c:.2f} s, "
      f"{c / t['skopeo.push.big']:.2f} of skopeo's push; kiln's push is {t['kiln.push.big'] / c:.2f} of it")
print(f"registry CPU time during one push of the big image: {t['kiln.regcpu']:.2f} s for kiln's, "
      f"{t['skopeo.regcpu']:.2f} s for skopeo's")
PY
