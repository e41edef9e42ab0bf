# Shared by the benchmark scripts (sourced).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KILN=${KILN:-$ROOT/build/kiln}
KILN_BENCH=${KILN_BENCH:-$ROOT/build/kiln_bench}
BENCH_DIR=${BENCH_DIR:-/tmp/kiln-bench}
RUNS=${RUNS:-3}
mkdir -p "$BENCH_DIR"

# The corpus: a realistic root filesystem tar of ~535 MB (this machine's /usr/bin and
# /usr/include: ELF binaries and text), built once and reused.
corpus_tar() {
  local tar=$BENCH_DIR/rootfs.tar
  if [[ ! -s $tar ]]; then
    tar --sort=name -C / -cf "$tar" usr/bin usr/include 2>/dev/null || true
  fi
  echo "$tar"
}

# median_seconds NAME: the median wall time from hyperfine's JSON export.
median_seconds() {
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["median"])' "$BENCH_DIR/$1.json"
}

run() {  # run NAME PREPARE COMMAND
  hyperfine --style none --runs "$RUNS" --prepare "$2" --export-json "$BENCH_DIR/$1.json" "$3" >/dev/null
  median_seconds "$1"
}

# start_dockerd DIR: a private dockerd (own data-root, no bridge or iptables); sets DK to a
# docker command for it and stops it on exit. Fails when it does not answer within 20 s.
start_dockerd() {
  local d=$1
  mkdir -p "$d"
  dockerd --host "unix://$d/docker.sock" --data-root "$d/data" --exec-root "$d/exec" \
    --pidfile "$d/pid" --iptables=false --ip6tables=false --ip-masq=false --bridge=none \
    --storage-driver overlay2 >"$d/log" 2>&1 &
  DOCKERD_PID=$!
  trap 'kill $DOCKERD_PID 2>/dev/null; wait $DOCKERD_PID 2>/dev/null' EXIT
  DK="/usr/bin/docker -H unix://$d/docker.sock"
  for _ in $(seq 100); do $DK info >/dev/null 2>&1 && return 0; sleep 0.2; done
  return 1
}
