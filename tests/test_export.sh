#!/usr/bin/env bash
# kiln export: the flattened root filesystem equals what was imported.
source "$(dirname "$0")/lib.sh"
busybox_rootfs
echo "hello" >"$WORK/rootfs/etc/motd"
mkdir -p "$WORK/rootfs/home/user" && chown 1000:1000 "$WORK/rootfs/home/user" 2>/dev/null || true
$KILN import -q "$WORK/rootfs" exp >/dev/null

$KILN export exp -o "$WORK/out.tar"
(cd "$WORK/rootfs" && tar --numeric-owner -cf "$WORK/orig.tar" .)
# Member by member: path, type, mode, owner, size, link target, content hash.
python3 - "$WORK/orig.tar" "$WORK/out.tar" <<'PY' || fail "exported tree differs from the imported one"
import hashlib, sys, tarfile
def members(path):
    out = {}
    with tarfile.open(path) as t:
        for m in t.getmembers():
            name = m.name.lstrip("./").rstrip("/")
            if not name:
                continue
            data = t.extractfile(m).read() if m.isfile() else b""
            out[name] = (m.type, m.mode, m.uid, m.gid, m.size, m.linkname, hashlib.sha256(data).hexdigest())
    return out
a, b = members(sys.argv[1]), members(sys.argv[2])
diff = sorted(set(a.items()) ^ set(b.items()))
for d in diff[:10]:
    print("differs:", d)
sys.exit(1 if diff else 0)
PY
mkdir "$WORK/x" && tar -xf "$WORK/out.tar" -C "$WORK/x"
expect_eq hello "$(cat "$WORK/x/etc/motd")"
cmp "$WORK/rootfs/bin/busybox" "$WORK/x/bin/busybox" || fail "busybox differs"

# To stdout through a pipe; the same bytes.
$KILN export exp | cmp - "$WORK/out.tar" || fail "stdout export differs from -o"
expect_eq 0 "$(find "$KILN_ROOT/tmp" -mindepth 1 | wc -l)" "no scratch space left"

expect_exit 3 $KILN export nosuch -o "$WORK/n.tar"
[[ ! -e "$WORK/n.tar" ]] || fail "a failed export left a file"
expect_exit 3 $KILN export exp -o "$WORK/missing-dir/out.tar"
ls -A "$WORK" | grep -q '\.kiln-' && fail "temporary export file left behind"
pass "export"

# -o to a device or a FIFO writes into it, as a shell redirect would: renaming a finished file
# over it would turn `-o /dev/null` into a regular file on the host. Checked with FIFOs (a
# failure here must not break the machine's /dev/null).
mkdir -p "$WORK/ctx" && printf 'FROM exp\nLABEL fifo=test\n' >"$WORK/ctx/Dockerfile"
F="$WORK/fifo"
for cmd in "export exp -o $F" "save exp -o $F" "analyze --format json exp -o $F" \
  "copy exp oci:$WORK/cp-oci --digestfile $F" "build -q --iidfile $F $WORK/ctx"; do
  rm -f "$F" "$WORK/fifo.out"
  mkfifo "$F"
  cat "$F" >"$WORK/fifo.out" &
  reader=$!
  $KILN $cmd >/dev/null 2>"$WORK/fifo.err" || { kill "$reader"; fail "$cmd: $(cat "$WORK/fifo.err")"; }
  # A FIFO renamed over is never opened: its reader would wait for ever.
  [[ -p "$F" ]] || { kill "$reader"; fail "$cmd replaced the FIFO"; }
  wait "$reader"
  [[ -s "$WORK/fifo.out" ]] || fail "$cmd wrote nothing into the FIFO"
done
expect_contains "$(cat "$WORK/fifo.out")" "sha256:" "--iidfile into a FIFO"
pass "-o, --iidfile and --digestfile to a FIFO or device write into it (export, save, analyze, copy, build)"
