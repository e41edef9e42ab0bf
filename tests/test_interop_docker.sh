#!/usr/bin/env bash
# A real Docker engine loads and runs what `kiln save` writes, and kiln loads what
# `docker save` writes (Docker 20.10's classic layout: <id>/layer.tar, shared layers as
# symlinks), keeping image IDs both ways.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
start_dockerd
busybox_rootfs
"$KILN" import rootfs base:1 >/dev/null
mkdir ctx
printf 'FROM base:1\nRUN echo built >/built && mkdir -p /a/b && echo x >/a/b/x && rm -rf /home\nCOPY f.txt /f.txt\nCMD ["cat", "/built"]\n' >ctx/Dockerfile
echo from-context >ctx/f.txt
"$KILN" build -q -t app:1 ctx >/dev/null
ID=$("$KILN" inspect --format '{{.Id}}' app:1)

"$KILN" save -o app.tar app:1 base:1
out=$($DK load -i app.tar)
expect_contains "$out" "Loaded image: app:1"
expect_eq "$ID" "$($DK image inspect --format '{{.Id}}' app:1)" "image ID in docker"
expect_eq "built" "$($DK run --rm --network none app:1)" "docker runs kiln's image"
expect_eq "from-context" "$($DK run --rm --network none app:1 cat /f.txt)" "file from COPY"
expect_eq "" "$($DK run --rm --network none app:1 ls /home 2>/dev/null || true)" "whiteout of /home"
pass "docker loads and runs kiln's docker-archive (image ID $ID)"

# docker save writes what kiln loads: an image docker made, and a kiln image back again.
$DK import -c 'CMD ["/bin/sh", "-c", "echo docker-made"]' - d/base:1 < <(tar -C rootfs -c .) >/dev/null
$DK run --network none --name c1 d/base:1 sh -c 'echo layer2 >/l2' >/dev/null
$DK commit c1 d/app:2 >/dev/null
$DK save -o docker.tar d/app:2 d/base:1 app:1
tar tf docker.tar >members
grep -q '/layer.tar$' members || fail "docker save did not write the classic layout"
export KILN_ROOT=$WORK/s2
out=$("$KILN" load -i docker.tar)
expect_contains "$out" "Loaded image: d/app:2"
expect_contains "$out" "Loaded image: d/base:1"
expect_contains "$out" "Loaded image: app:1"
expect_eq "$ID" "$("$KILN" inspect --format '{{.Id}}' app:1)" "image ID after kiln -> docker -> kiln"
expect_eq "$($DK image inspect --format '{{.Id}}' d/app:2)" "$("$KILN" inspect --format '{{.Id}}' d/app:2)" \
  "image ID of docker's image in kiln"
expect_eq "layer2" "$("$KILN" run --rm d/app:2 cat /l2)" "kiln runs docker's image"
expect_eq "built" "$("$KILN" run --rm app:1)" "kiln runs the round-tripped image"
"$KILN" system check >/dev/null
pass "kiln loads docker save output (classic layout), IDs equal, images run"

# docker save | gzip piped into kiln load.
$DK save d/base:1 | gzip | "$KILN" --root "$WORK/s3" load >out.txt
expect_eq "Loaded image: d/base:1" "$(cat out.txt)" "gzip-compressed docker save on stdin"
pass "docker save | gzip | kiln load"
