# Shared helpers for integration tests (sourced). Each test gets a private work dir and store.
set -euo pipefail
KILN=${KILN:?KILN must point at the kiln binary}
KILN_SRC=${KILN_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kiln-it.XXXXXX")
export KILN_ROOT="$WORK/store"
cleanup_hooks=()
cleanup() {
  local h
  for h in "${cleanup_hooks[@]}"; do eval "$h" || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
pass() { echo "PASS: $*"; }

# expect_eq WANT GOT [what]
expect_eq() { [[ "$1" == "$2" ]] || fail "${3:-value}: want [$1], got [$2]"; }
# expect_contains HAYSTACK NEEDLE
expect_contains() { [[ "$1" == *"$2"* ]] || fail "expected to find [$2] in: $1"; }
# expect_exit CODE CMD...: runs CMD, which must exit with CODE; its stderr is in $ERR.
expect_exit() {
  local want=$1; shift
  set +e
  "$@" >"$WORK/out" 2>"$WORK/err"
  local got=$?
  set -e
  OUT=$(cat "$WORK/out"); ERR=$(cat "$WORK/err")
  [[ $got == "$want" ]] || fail "exit code of '$*': want $want, got $got (stderr: $ERR)"
}

busybox_rootfs() { "$KILN_SRC/scripts/make-busybox-rootfs" "${1:-$WORK/rootfs}" >/dev/null; }

# A busybox rootfs in $WORK/rootfs that says it is Debian 12, with a dpkg status file listing
# libssl3 3.0.11-1~deb12u1 (source openssl; real advisories in tests/data/osv/debian) and zlib1g.
debian12_rootfs() {
  busybox_rootfs
  printf 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n' >"$WORK/rootfs/etc/os-release"
  mkdir -p "$WORK/rootfs/var/lib/dpkg"
  cat >"$WORK/rootfs/var/lib/dpkg/status" <<'S'
Package: libssl3
Status: install ok installed
Architecture: amd64
Source: openssl
Version: 3.0.11-1~deb12u1

Package: zlib1g
Status: install ok installed
Architecture: amd64
Source: zlib
Version: 1:1.2.13.dfsg-1
S
}

# A rootfs of about $2 MB in $1 that does not compress (random data), in 4 MB files.
big_rootfs() {
  local dir=$1 mb=$2 i
  mkdir -p "$dir/data"
  for ((i = 0; i < mb / 4; i++)); do head -c $((4 << 20)) /dev/urandom >"$dir/data/f$i"; done
}

# start_dockerd: a private dockerd (own data-root, no bridge or iptables) for interop tests;
# sets DK to a docker command talking to it and stops it on exit. Skips (77) with dockerd's own
# words when the kernel refuses it.
start_dockerd() {
  command -v dockerd >/dev/null || fail "dockerd missing (scripts/install-deps test installs docker.io)"
  local d=$WORK/docker
  mkdir -p "$d"
  dockerd --host "unix://$d/docker.sock" --data-root "$d/data" --exec-root "$d/exec" \
    --pidfile "$d/pid" --iptables=false --ip6tables=false --ip-masq=false --bridge=none \
    --storage-driver overlay2 >"$d/log" 2>&1 &
  DOCKERD_PID=$!
  cleanup_hooks+=("kill $DOCKERD_PID 2>/dev/null; wait $DOCKERD_PID 2>/dev/null")
  DK="/usr/bin/docker -H unix://$d/docker.sock"
  local i
  for i in $(seq 150); do
    $DK info >/dev/null 2>&1 && return 0
    kill -0 "$DOCKERD_PID" 2>/dev/null || skip "dockerd does not start here: $(tail -3 "$d/log")"
    sleep 0.2
  done
  skip "dockerd did not answer within 30 s: $(tail -3 "$d/log")"
}

# free_port: an unused TCP port on 127.0.0.1.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_distribution NAME [EXTRA_YAML]: CNCF Distribution (Debian's docker-registry) on a free
# loopback port with its own storage; sets REG to HOST:PORT. EXTRA_YAML is appended to its
# config (auth sections). Stopped on exit.
start_distribution() {
  command -v docker-registry >/dev/null || fail "docker-registry missing (scripts/install-deps test installs it)"
  local name=$1 extra=${2:-} port d
  port=$(free_port)
  d=$WORK/registry-$name
  mkdir -p "$d"
  cat >"$d/config.yml" <<CFG
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $d/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
$extra
CFG
  # Distribution reads REGISTRY_* variables as configuration: keep ours (REGISTRY_AUTH_FILE) away.
  env -u REGISTRY_AUTH_FILE docker-registry serve "$d/config.yml" >"$d/log" 2>&1 &
  local pid=$!
  cleanup_hooks+=("kill $pid 2>/dev/null; wait $pid 2>/dev/null")
  REG=127.0.0.1:$port
  wait_listening "$port" "$pid" "$d/log" docker-registry
}

# wait_listening PORT PID LOG NAME: until something accepts on 127.0.0.1:PORT; fails with the
# log's tail when PID exits first or nothing listens within 10 s.
wait_listening() {
  local port=$1 pid=$2 log=$3 name=$4 i
  for i in $(seq 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || fail "$name exited: $(tail -3 "$log")"
    sleep 0.1
  done
  fail "$name did not listen on port $port"
}

# start_kiln_registry NAME [ARGS...]: `kiln registry serve` on a free loopback port with its own
# storage ($WORK/kreg-NAME/data, config $WORK/kreg-NAME/config.yml if the test wrote one); sets
# KREG to HOST:PORT and KREG_PID. ARGS go to serve. Stopped on exit.
start_kiln_registry() {
  local name=$1
  shift
  local port d cfg=()
  port=$(free_port)
  d=$WORK/kreg-$name
  mkdir -p "$d"
  [[ -f "$d/config.yml" ]] && cfg=(--config "$d/config.yml")
  "$KILN" registry serve "${cfg[@]}" --root "$d/data" --addr "127.0.0.1:$port" "$@" >>"$d/log" 2>&1 &
  KREG_PID=$!
  cleanup_hooks+=("kill -9 $KREG_PID 2>/dev/null; wait $KREG_PID 2>/dev/null")
  KREG=127.0.0.1:$port
  wait_listening "$port" "$KREG_PID" "$d/log" "kiln registry serve"
}

# app_image: the small image most registry tests move: busybox base:1 and app:1 built on it
# (RUN writes /built, COPY adds /f, CMD cats /built); sets DIGEST and ID of app:1.
app_image() {
  busybox_rootfs
  "$KILN" import rootfs base:1 >/dev/null
  mkdir -p "$WORK/ctx" && echo hi >"$WORK/ctx/f"
  printf 'FROM base:1\nRUN echo built >/built\nCOPY f /f\nCMD ["cat", "/built"]\n' >"$WORK/ctx/Dockerfile"
  "$KILN" build -q -t app:1 "$WORK/ctx" >/dev/null
  DIGEST=$("$KILN" images --no-trunc --format '{{.Digest}}' app:1)
  ID=$("$KILN" inspect --format '{{.Id}}' app:1)
}
