#!/usr/bin/env bash
# registry_push_floor.sh REGISTRY REPO BLOB...: uploads the blobs (files named by their sha256)
# to REGISTRY/REPO with curl alone, all at once, as kiln pushes a big blob: POST an upload, one
# PATCH streaming the whole file (no Expect: 100-continue), PUT ?digest= to close it. No
# manifest, no reading of a store. What the registry and the loopback allow a push, for
# bench/registry.sh to set kiln and skopeo against.
set -euo pipefail
reg=$1 repo=$2
shift 2
# location HEADERS: the Location header, made absolute.
location() {
  local l
  l=$(awk -F': ' 'tolower($1) == "location" {print $2}' | tr -d '\r')
  [[ $l == http* ]] && echo "$l" || echo "http://$reg$l"
}
upload() {
  local f=$1 loc sep
  loc=$(curl -sf -D- -o /dev/null -X POST "http://$reg/v2/$repo/blobs/uploads/" | location)
  loc=$(curl -sf -D- -o /dev/null -X PATCH -H 'Expect:' -H 'Content-Type: application/octet-stream' \
    -T "$f" "$loc" | location)
  [[ $loc == *\?* ]] && sep='&' || sep='?'
  curl -sf -o /dev/null -X PUT "$loc${sep}digest=sha256:$(basename "$f")"
}
pids=()
for f in "$@"; do
  upload "$f" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
