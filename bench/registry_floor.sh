#!/usr/bin/env bash
# registry_floor.sh REGISTRY REPO DIR BLOB...: GETs the blobs (files named by their sha256) from
# REGISTRY/REPO into DIR with curl alone, all at once (curl --parallel): no digest, no
# decompression, no fsync. What the registry, the loopback and the page cache allow a pull, for
# bench/registry.sh to set kiln and skopeo against.
set -euo pipefail
reg=$1 repo=$2 dir=$3
shift 3
args=()
for f in "$@"; do
  args+=(-o "$dir/$(basename "$f")" "http://$reg/v2/$repo/blobs/sha256:$(basename "$f")")
done
curl -sf --no-progress-meter --parallel --parallel-max 6 "${args[@]}"
