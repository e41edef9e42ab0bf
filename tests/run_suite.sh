# The sandbox conformance suite (sourced by test_run_<runtime>.sh with RUNTIME set): the same
# behaviour checks for every executor, through `kiln run --runtime $RUNTIME`.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[[ $(id -u) == 0 ]] || skip "kiln run needs root (CI runs as root)"
unshare -m -p -u -i -n -f true 2>/dev/null || skip "the kernel refuses new namespaces here"

busybox_rootfs
"$KILN" import -q "$WORK/rootfs" bb >/dev/null
R=(--runtime "$RUNTIME")
run() { "$KILN" run --rm "${R[@]}" "$@"; }

# --- basics and exit codes -------------------------------------------------------------------
expect_exit 0 run bb echo hello
expect_eq hello "$OUT" "stdout"
expect_exit 3 run bb sh -c 'echo out; echo err >&2; exit 3'
expect_eq out "$OUT"
expect_eq err "$ERR"
expect_exit 137 run bb sh -c 'kill -9 $$'
expect_exit 143 run bb sh -c 'kill -15 $$'
expect_exit 127 run bb no-such-command
expect_contains "$ERR" 'exec: "no-such-command": executable file not found in $PATH'
expect_exit 126 run bb /etc/passwd
expect_exit 125 run no-such-image true
expect_contains "$ERR" "no such image"
expect_exit 125 run -v not-a-volume bb true
expect_contains "$ERR" 'invalid volume specification "not-a-volume"'
expect_exit 125 run -v /tmp:/x/../../etc bb true
expect_exit 125 run --cap-add CAP_FLY bb true
pass "exit codes and errors"

# --- isolation -------------------------------------------------------------------------------
marker="$WORK/host-only-$$"
touch "$marker"
expect_exit 1 run bb test -e "$marker"
expect_exit 0 run bb sh -c 'ls /proc | grep -c "^[0-9]"'
[[ $OUT -le 4 ]] || fail "the sandbox sees $OUT processes in /proc (host processes leak)"
expect_exit 0 run bb sh -c 'cat /proc/1/cmdline | tr "\0" " "'
expect_exit 0 run bb hostname
[[ "$OUT" != "$(hostname)" ]] || fail "the sandbox has the host's hostname"
expect_exit 0 run --hostname box1 bb hostname
expect_eq box1 "$OUT" "hostname"
expect_exit 0 run bb sh -c 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "'
expect_eq lo "$OUT" "interfaces with --network none"
expect_exit 0 run bb sh -c 'grep ^CapEff /proc/self/status'
expect_eq "CapEff:	00000000a80425fb" "$OUT" "effective capabilities (Docker's default set)"
expect_exit 0 run bb sh -c 'grep ^NoNewPrivs /proc/self/status; grep ^Seccomp: /proc/self/status'
expect_contains "$OUT" "NoNewPrivs:	1"
expect_contains "$OUT" "Seccomp:	2"
expect_exit 0 run bb sh -c 'mkdir -p /mnt; mount -t tmpfs none /mnt 2>/dev/null; echo $?'
[[ "$OUT" != 0 ]] || fail "the sandbox could mount"
expect_exit 0 run bb sh -c 'date -s "2001-01-01 00:00:00" >/dev/null 2>&1; date +%Y'
[[ "$OUT" != 2001 ]] || fail "the sandbox changed the clock"
expect_exit 0 run bb sh -c 'grep ^CapBnd /proc/self/status'
expect_contains "$OUT" "00000000a80425fb"  # no CAP_SYS_MODULE (bit 16) in the bounding set
# Loading a module is refused before the kernel looks at it (a loadable module attempt with a
# non-module file would fail with "Invalid module format" instead).
expect_exit 1 run bb insmod /bin/busybox
expect_contains "$ERR" "Operation not permitted"
expect_exit 0 run --cap-add SYS_ADMIN bb sh -c 'mkdir -p /mnt && mount -t tmpfs none /mnt && echo mounted'
expect_eq mounted "$OUT" "--cap-add SYS_ADMIN"
expect_exit 0 run --cap-drop ALL bb sh -c 'grep ^CapEff /proc/self/status'
expect_eq "CapEff:	0000000000000000" "$OUT"
pass "isolation"

# --- --userns private: identity id maps, capabilities confined to the container's namespaces -
expect_exit 0 run --userns private bb sh -c 'tr -s " " <"/proc/self/uid_map"; stat -c %u:%g /etc/passwd; echo ok > /etc/written'
expect_eq " 0 0 4294967295
0:0" "$OUT" "user namespace maps and image file owners"
# Changing the host's loopback (to the MTU it already has, so nothing changes either way):
# allowed with CAP_NET_ADMIN over the host's network namespace, refused from a user namespace.
expect_exit 0 run --network host --cap-add NET_ADMIN bb ip link set lo mtu 65536
expect_exit 2 run --userns private --network host --cap-add NET_ADMIN bb ip link set lo mtu 65536
expect_contains "$ERR" "Operation not permitted"
expect_exit 125 run --userns nope bb true
pass "user namespace"

# --- volumes: no escape through symlinks in the image ---------------------------------------
mkdir -p "$WORK/esc/rootfs" "$WORK/hostdir" "$WORK/vol"
cp -a "$WORK/rootfs/." "$WORK/esc/rootfs/"
ln -s "$WORK/hostdir" "$WORK/esc/rootfs/escape"
"$KILN" import -q "$WORK/esc/rootfs" esc >/dev/null
echo volume-data >"$WORK/vol/f"
expect_exit 0 run -v "$WORK/vol:/escape/sub:ro" esc cat /escape/sub/f
expect_eq volume-data "$OUT" "volume through an in-image symlink"
[[ -z "$(ls -A "$WORK/hostdir")" ]] || fail "a volume mount point was created on the host"
expect_exit 0 run -v "$WORK/vol:/data:ro" bb sh -c 'echo x > /data/g 2>/dev/null; echo $?'
[[ "$OUT" != 0 && ! -e "$WORK/vol/g" ]] || fail "a :ro volume was writable"
expect_exit 0 run -v "$WORK/vol:/data" bb sh -c 'echo rw > /data/g'
expect_eq rw "$(cat "$WORK/vol/g")" "rw volume"
expect_exit 0 run --tmpfs /scratch bb sh -c 'grep " /scratch " /proc/mounts | cut -d" " -f3'
expect_eq tmpfs "$OUT" "--tmpfs"
expect_exit 1 run --read-only bb touch /x
expect_contains "$ERR" "Read-only file system"
pass "volumes"

# --- users -----------------------------------------------------------------------------------
mkdir -p "$WORK/users/rootfs"
cp -a "$WORK/rootfs/." "$WORK/users/rootfs/"
echo "app:x:1000:1000::/home/app:/bin/sh" >>"$WORK/users/rootfs/etc/passwd"
printf 'app:x:1000:\naudio:x:29:app\n' >>"$WORK/users/rootfs/etc/group"
"$KILN" import -q -c "USER app" "$WORK/users/rootfs" users >/dev/null
expect_exit 0 run users id
expect_eq "uid=1000(app) gid=1000(app) groups=29(audio)" "$OUT" "image USER"
expect_exit 0 run -u nobody bb id
expect_eq "uid=65534(nobody) gid=65534(nogroup)" "$OUT" "-u by name"
expect_exit 0 run -u 4242:77 bb sh -c 'touch /tmp/f; stat -c "%u:%g" /tmp/f; grep ^CapEff /proc/self/status'
expect_eq "4242:77
CapEff:	0000000000000000" "$OUT" "-u uid:gid"
expect_exit 125 run -u ghost bb id
expect_contains "$ERR" "unable to find user ghost"
pass "users"

# --- stdin, tty, signals, zombies ------------------------------------------------------------
expect_eq piped "$(echo piped | "$KILN" run --rm "${R[@]}" -i bb cat)" "stdin with -i"
expect_eq "" "$(echo piped | "$KILN" run --rm "${R[@]}" bb cat)" "stdin without -i"
tty_out=$(script -qec "$KILN run --rm ${R[*]} -t bb sh -c 'tty; echo \$TERM'" /dev/null | tr -d '\r')
expect_contains "$tty_out" "/dev/pts/"
expect_contains "$tty_out" "xterm"
expect_exit 0 run bb sh -c 'for i in 1 2 3 4 5; do (sleep 0.01 &); done; sleep 0.5; cat /proc/[0-9]*/stat | cut -d" " -f3 | grep -c Z || true'
expect_eq 0 "$OUT" "zombies left unreaped"
"$KILN" run --rm "${R[@]}" bb sh -c 'trap "echo got-TERM; exit 7" TERM; echo ready; while true; do sleep 0.05; done' >"$WORK/sig.out" &
pid=$!
for _ in $(seq 100); do grep -q ready "$WORK/sig.out" 2>/dev/null && break; sleep 0.05; done
kill -TERM $pid
set +e; wait $pid; rc=$?; set -e
expect_eq 7 "$rc" "exit status after a forwarded SIGTERM"
expect_contains "$(cat "$WORK/sig.out")" got-TERM
pass "stdin, tty, signals, zombies"

# --- containers: ps, commit, rm --------------------------------------------------------------
expect_exit 0 "$KILN" run "${R[@]}" bb sh -c 'echo new > /added; rm /bin/vi'
id=$("$KILN" ps -aq | head -1)
[[ -n "$id" ]] || fail "ps -a lists no container"
expect_contains "$("$KILN" ps -a)" "Exited (0)"
expect_exit 0 "$KILN" commit "$id" bb:changed
expect_exit 0 run bb:changed sh -c 'cat /added; test -e /bin/vi || echo vi-gone; test -s /etc/hosts || echo hosts-empty'
expect_eq "new
vi-gone" "$OUT" "committed changes"
expect_exit 0 "$KILN" history --format '{{.CreatedBy}}' bb:changed
expect_contains "$OUT" "sh -c echo new"
expect_exit 0 "$KILN" rm "$id"
expect_eq "" "$("$KILN" ps -aq)" "ps after rm"
expect_exit 3 "$KILN" rm "$id"
pass "ps, commit, rm"

# --- no leaks: normal exit, SIGINT, SIGKILL of kiln ------------------------------------------
store_mounts() { grep -c "$KILN_ROOT" /proc/self/mountinfo || true; }
expect_eq 0 "$(store_mounts)" "mounts after normal runs"
for sig in INT KILL; do
  # A sleep length unique to this runtime and signal names the process to look for.
  nap="3${#RUNTIME}${#sig}${SUITE_ID:-1}"
  "$KILN" run "${R[@]}" bb sh -c "echo started; exec sleep $nap" >"$WORK/leak.out" 2>&1 &
  pid=$!
  for _ in $(seq 100); do grep -q started "$WORK/leak.out" 2>/dev/null && break; sleep 0.05; done
  kill -$sig $pid
  set +e; wait $pid 2>/dev/null; set -e
  for _ in $(seq 50); do pgrep -fx "sleep $nap" >/dev/null || break; sleep 0.1; done
  pgrep -fx "sleep $nap" >/dev/null && fail "a sandboxed process outlived kiln after SIG$sig"
  expect_eq 0 "$(store_mounts)" "mounts left after SIG$sig"
done
# The container of the SIGKILLed kiln is swept: no longer "running".
expect_exit 0 "$KILN" ps -q
expect_eq "" "$OUT" "running containers after kiln was killed"
pass "no leaked mounts or processes"
