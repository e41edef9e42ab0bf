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
