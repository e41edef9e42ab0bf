#!/usr/bin/env bash
# `kiln import` vs `podman import` of the same >= 500 MB rootfs tar, fresh stores each run.
source "$(dirname "$0")/common.sh"
tar=$(corpus_tar)
mb=$(python3 -c "import os;print(round(os.path.getsize('$tar')/1e6))")
cat "$tar" >/dev/null
k="$BENCH_DIR/kiln-store" p="$BENCH_DIR/podman"
podman_cmd="podman --root $p/root --runroot $p/run --storage-driver overlay"
t_podman=$(run podman-import "rm -rf $p" "$podman_cmd import -q $tar bench:podman")
t_kiln=$(run kiln-import "rm -rf $k" "$KILN --root $k import -q $tar bench:kiln")
t_kiln_zstd=$(run kiln-import-zstd "rm -rf $k" "$KILN --root $k import -q --compression zstd $tar bench:kiln")
rm -rf "$k" "$p"
python3 - <<PY
p, k, kz = $t_podman, $t_kiln, $t_kiln_zstd
print(f"input: $tar ($mb MB), $(nproc) cores, median of $RUNS runs")
print("| command | wall time | ratio vs podman |")
print("|---|---|---|")
print(f"| podman import | {p:.2f} s | 1.00 |")
print(f"| kiln import (gzip layer) | {k:.2f} s | {k/p:.2f} |")
print(f"| kiln import --compression zstd | {kz:.2f} s | {kz/p:.2f} |")
PY
