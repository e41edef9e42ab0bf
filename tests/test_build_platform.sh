#!/usr/bin/env bash
# kiln build --platform: an arm64 image built on an x86-64 machine, as BuildKit does it. The
# base image is Debian's busybox-static for arm64 (scripts/fetch-busybox-arch); RUN steps of
# the arm64 stage run through qemu-user-static registered with binfmt_misc, and a
# FROM --platform=$BUILDPLATFORM stage runs natively. Also: the error without an emulator,
# base images of the wrong platform, refused platforms, the platform in the cache key, and
# skopeo reading the result.
source "$(dirname "$0")/lib.sh"
[[ $(id -u) == 0 ]] || skip "building needs root (CI runs as root)"
[[ $(uname -m) == x86_64 ]] || skip "this test builds arm64 images on an x86-64 machine (this is $(uname -m))"
unshare -m -p -f true 2>/dev/null || skip "the kernel refuses new namespaces here"
qemu_conf=/usr/lib/binfmt.d/qemu-aarch64.conf
[[ -f $qemu_conf ]] || fail "$qemu_conf missing (scripts/install-deps test installs qemu-user-static)"

busybox_rootfs "$WORK/host"
"$KILN" import -q "$WORK/host" base:1 >/dev/null
"$KILN_SRC/scripts/fetch-busybox-arch" arm64 "$WORK/busybox-arm64" ||
  fail "could not fetch busybox-static for arm64 from the Debian mirror"
BUSYBOX="$WORK/busybox-arm64" busybox_rootfs "$WORK/arm"
"$KILN" import -q --platform linux/arm64 "$WORK/arm" base-arm64:1 >/dev/null
arch_of() { "$KILN" inspect --format '{{.Architecture}}' "$1"; }
expect_eq arm64 "$(arch_of base-arm64:1)" "imported base architecture"

ctx=$WORK/ctx
mkdir -p "$ctx"
echo data >"$ctx/file.txt"

# Bad input first. Several platforms at once, another OS, a malformed platform.
printf 'FROM scratch\nCOPY file.txt /\n' >"$ctx/Dockerfile"
expect_exit 8 "$KILN" build -q --platform linux/amd64,linux/arm64 "$ctx"
expect_contains "$ERR" "one platform at a time"
expect_exit 8 "$KILN" build -q --platform windows/amd64 "$ctx"
expect_contains "$ERR" "only linux images"
expect_exit 2 "$KILN" build -q --platform linux/arm64/v8/x "$ctx"
expect_contains "$ERR" "invalid platform"
# A base image of another platform: an error when a platform was asked for...
printf 'FROM base:1\nCOPY file.txt /\n' >"$ctx/Dockerfile"
expect_exit 2 "$KILN" build -q --platform linux/arm64 "$ctx"
expect_contains "$ERR" "FROM base:1: the image in the local store is for linux/amd64, not linux/arm64"
printf 'FROM --platform=linux/arm64 base:1\nCOPY file.txt /\n' >"$ctx/Dockerfile"
expect_exit 2 "$KILN" build -q "$ctx"
expect_contains "$ERR" "not linux/arm64"
# ... and a warning when none was (docker uses the image and warns).
printf 'FROM base-arm64:1\nCOPY file.txt /\n' >"$ctx/Dockerfile"
expect_exit 0 "$KILN" build -q -t implicit:1 "$ctx"
expect_contains "$ERR" "is for linux/arm64, not linux/amd64"
expect_eq arm64 "$(arch_of implicit:1)" "architecture of an image built on an arm64 base"
pass "bad platforms refused, a foreign base without --platform warns"

# scratch takes the target platform, and the platform is part of the cache key.
printf 'FROM scratch\nCOPY file.txt /\n' >"$ctx/Dockerfile"
amd=$("$KILN" build -q -t s:amd64 "$ctx")
arm=$("$KILN" build -q --platform linux/arm64 -t s:arm64 "$ctx")
[[ $amd != "$arm" ]] || fail "the amd64 and arm64 scratch images have the same ID $amd"
expect_eq amd64 "$(arch_of s:amd64)" "scratch image for this machine"
expect_eq arm64 "$(arch_of s:arm64)" "scratch image for --platform linux/arm64"
expect_eq "$arm" "$("$KILN" build -q --platform linux/arm64 "$ctx")" "cached arm64 rebuild"
pass "FROM scratch per platform"

# Without an emulator, an arm64 RUN fails with docker's error and the way out.
cat >"$ctx/Dockerfile" <<'EOF'
FROM --platform=$BUILDPLATFORM base:1 AS build
ARG TARGETARCH
RUN echo "built on $(uname -m) for $TARGETARCH" > /out.txt
FROM base-arm64:1
ARG TARGETPLATFORM
COPY --from=build /out.txt /out.txt
RUN uname -m > /arch.txt && echo "$TARGETPLATFORM" > /target.txt
CMD ["cat", "/arch.txt"]
EOF
binfmt=/proc/sys/fs/binfmt_misc
[[ -e $binfmt/register ]] || mount -t binfmt_misc binfmt_misc $binfmt 2>/dev/null ||
  skip "binfmt_misc cannot be mounted here, so no emulator can run arm64 programs"
if [[ -e $binfmt/qemu-aarch64 ]]; then
  echo "note: this machine already has an arm64 emulator registered; the no-emulator check is left out"
else
  expect_exit 1 "$KILN" build -q --platform linux/arm64 "$ctx"  # a failed RUN, as docker
  expect_contains "$ERR" "exec format error"
  expect_contains "$ERR" "this stage is for linux/arm64 and this machine is linux/amd64"
  expect_contains "$ERR" "qemu-user-static"
  pass "an arm64 RUN without an emulator fails with the reason and the remedy"
  # Registered for this test only ("F": the interpreter is opened now, so it also runs inside
  # the sandbox's mount namespace), removed again at exit.
  cat "$qemu_conf" >$binfmt/register 2>/dev/null ||
    skip "the kernel refuses to register qemu-aarch64 with binfmt_misc"
  cleanup_hooks+=("echo -1 > $binfmt/qemu-aarch64")
fi

# The cross build: the build stage runs natively, the arm64 stage under emulation.
id=$("$KILN" build -q --platform linux/arm64 -t cross:1 "$ctx")
expect_eq arm64 "$(arch_of cross:1)" "architecture of the cross-built image"
expect_eq linux "$("$KILN" inspect --format '{{.Os}}' cross:1)" "os of the cross-built image"
expect_eq aarch64 "$("$KILN" run --rm cross:1)" "uname -m in the arm64 RUN step, as kiln run shows it"
expect_eq "built on x86_64 for arm64" "$("$KILN" run --rm cross:1 cat /out.txt)" "output of the native build stage"
expect_eq linux/arm64 "$("$KILN" run --rm cross:1 cat /target.txt)" "TARGETPLATFORM"
expect_eq "$id" "$("$KILN" build -q --platform linux/arm64 "$ctx")" "cached cross rebuild"
pass "arm64 image built with a native build stage and an emulated RUN"

# What other tools read: skopeo sees an arm64 image.
"$KILN" build -q --platform linux/arm64 --output "type=oci,dest=$WORK/cross.oci.tar" "$ctx" >/dev/null
expect_eq arm64 "$(skopeo inspect --format '{{.Architecture}}' "oci-archive:$WORK/cross.oci.tar")" \
  "architecture skopeo reads"
pass "skopeo reads the arm64 image"
