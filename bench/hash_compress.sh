#!/usr/bin/env bash
# SHA-256 and gzip/zstd throughput: kiln's code paths vs sha256sum, gzip -6, pigz -6, zstd -3 -T0,
# all on the same file from the page cache.
source "$(dirname "$0")/common.sh"
tar=$(corpus_tar)
mb=$(python3 -c "import os;print(os.path.getsize('$tar')/1e6)")
cat "$tar" >/dev/null  # warm the page cache
row() {  # row LABEL SECONDS BASELINE_SECONDS
  python3 -c "
mb=$mb; s=float('$2'); b=float('$3')
print(f'| $1 | {mb/s:8.0f} MB/s | {s:6.2f} s | {s/b:5.2f} |')"
}
echo "input: $tar ($mb MB), $(nproc) cores, median of $RUNS runs"
echo "| command | throughput | wall time | time ratio vs first row of its group |"
echo "|---|---|---|---|"
s_sum=$(run sha256sum true "sha256sum $tar")
s_kiln=$(run kiln-sha256 true "$KILN_BENCH sha256 $tar")
row "sha256sum" "$s_sum" "$s_sum"
row "kiln sha256 (OpenSSL EVP)" "$s_kiln" "$s_sum"
g_gzip=$(run gzip6 true "gzip -6 -c $tar >/dev/null")
g_pigz=$(run pigz6 true "pigz -6 -c $tar >/dev/null")
g_kiln=$(run kiln-gzip true "$KILN_BENCH gzip $tar")
row "gzip -6" "$g_gzip" "$g_gzip"
row "pigz -6 (all cores)" "$g_pigz" "$g_gzip"
row "kiln gzip (libdeflate 6, all cores)" "$g_kiln" "$g_gzip"
z_zstd=$(run zstd3 true "zstd -3 -T0 -q -c $tar >/dev/null")
z_kiln=$(run kiln-zstd true "$KILN_BENCH zstd $tar")
row "zstd -3 -T0" "$z_zstd" "$z_zstd"
row "kiln zstd (level 3, all cores)" "$z_kiln" "$z_zstd"
