#!/usr/bin/env bash
# kiln registry serve with a real Docker engine (Debian's dockerd, started here): docker pushes
# to kiln's registry and pulls what kiln pushed; digests and image IDs equal.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
app_image
start_kiln_registry main
"$KILN" push -q app:1 "$KREG/team/app:1"

# --- interop: a real Docker engine ----------------------------------------------------------------
start_dockerd
"$KILN" save -o app.tar app:1
$DK load -i app.tar >/dev/null
$DK tag app:1 "$KREG/dk/app:1"
$DK push -q "$KREG/dk/app:1" >/dev/null
pushed=$(curl -s -I -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
  "http://$KREG/v2/dk/app/manifests/1" | tr -d '\r' | sed -n 's/^Docker-Content-Digest: //p')
repo_digest=$($DK inspect --format '{{index .RepoDigests 0}}' "$KREG/dk/app:1")
expect_eq "$KREG/dk/app@$pushed" "$repo_digest" "docker's RepoDigest of its push"
$DK rmi -f "$KREG/dk/app:1" app:1 >/dev/null
$DK pull -q "$KREG/team/app:1" >/dev/null
expect_eq "$KREG/team/app@$DIGEST" "$($DK inspect --format '{{index .RepoDigests 0}}' "$KREG/team/app:1")" \
  "docker pulls what kiln pushed, same digest"
expect_eq "$ID" "$($DK inspect --format '{{.Id}}' "$KREG/team/app:1")" "same image ID in docker"
export KILN_ROOT=$WORK/s3
"$KILN" pull -q "$KREG/dk/app:1" >/dev/null
expect_eq "$pushed" "$("$KILN" images --no-trunc --format '{{.Digest}}' "$KREG/dk/app:1")" "kiln pulls what docker pushed"
pass "a Docker engine pushes to and pulls from kiln's registry; digests equal"

