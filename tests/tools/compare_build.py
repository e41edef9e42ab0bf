#!/usr/bin/env python3
"""Compares two built images entry by entry and by config.

usage: compare_build.py KILN_TAR OTHER_ROOT KILN_CONFIG_JSON OTHER_CONFIG_JSON [IGNORE_FILE]

KILN_TAR is `kiln export` output; OTHER_ROOT a directory holding the other builder's root
filesystem (buildah mount). Entries are compared by path, type, permission bits, uid, gid,
size, content hash and link target. IGNORE_FILE lists known differences, one per line:
`path PATH REASON` (ignore that path and everything below it) or `config FIELD REASON`.
Prints each difference and exits 1 when there is one that is not listed.
"""
import hashlib
import json
import os
import stat
import sys
import tarfile

# Mount points that a container runtime creates in every root filesystem while it runs, and
# which each builder handles its own way; both leave them empty.
RUNTIME_PATHS = {"proc", "sys", "dev", "etc/hosts", "etc/hostname", "etc/resolv.conf", "run"}


def digest(f):
    h = hashlib.sha256()
    for chunk in iter(lambda: f.read(1 << 20), b""):
        h.update(chunk)
    return h.hexdigest()


def from_tar(path):
    out = {}
    with tarfile.open(path) as t:
        for m in t:
            name = m.name.rstrip("/")
            if name.startswith("./"):
                name = name[2:]
            if not name or name == ".":
                continue
            kind = {tarfile.DIRTYPE: "dir", tarfile.SYMTYPE: "symlink", tarfile.LNKTYPE: "file",
                    tarfile.CHRTYPE: "char", tarfile.BLKTYPE: "block", tarfile.FIFOTYPE: "fifo"}.get(m.type, "file")
            e = {"type": kind, "mode": m.mode & 0o7777, "uid": m.uid, "gid": m.gid}
            if m.type == tarfile.SYMTYPE:
                e["link"] = m.linkname
            elif m.type == tarfile.LNKTYPE:
                e["hardlink"] = m.linkname.rstrip("/")
            elif kind == "file":
                e["size"] = m.size
                e["sha256"] = digest(t.extractfile(m))
            out[name] = e
    # Hard links carry their target's content.
    for name, e in out.items():
        if "hardlink" in e:
            target = out.get(e.pop("hardlink"), {})
            e["size"], e["sha256"] = target.get("size"), target.get("sha256")
    return out


def from_dir(root):
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            full = os.path.join(dirpath, n)
            rel = os.path.relpath(full, root)
            st = os.lstat(full)
            m = st.st_mode
            kind = ("dir" if stat.S_ISDIR(m) else "symlink" if stat.S_ISLNK(m) else
                    "char" if stat.S_ISCHR(m) else "block" if stat.S_ISBLK(m) else
                    "fifo" if stat.S_ISFIFO(m) else "file")
            e = {"type": kind, "mode": m & 0o7777, "uid": st.st_uid, "gid": st.st_gid}
            if kind == "symlink":
                e["link"] = os.readlink(full)
            elif kind == "file":
                e["size"] = st.st_size
                with open(full, "rb") as f:
                    e["sha256"] = digest(f)
            out[rel] = e
    return out


def under(path, prefixes):
    return any(path == p or path.startswith(p + "/") for p in prefixes)


def main():
    kiln_tar, other_root, kiln_cfg, other_cfg = sys.argv[1:5]
    ignore_paths, ignore_config = set(), set()
    if len(sys.argv) > 5 and os.path.exists(sys.argv[5]):
        for line in open(sys.argv[5]):
            parts = line.split(None, 2)
            if len(parts) >= 2 and parts[0] == "path":
                ignore_paths.add(parts[1].strip("/"))
            elif len(parts) >= 2 and parts[0] == "config":
                ignore_config.add(parts[1])
    a, b = from_tar(kiln_tar), from_dir(other_root)
    diffs = []
    for p in sorted(set(a) | set(b)):
        if under(p, ignore_paths):
            continue
        ea, eb = a.get(p), b.get(p)
        if ea == eb:
            continue
        if p in RUNTIME_PATHS or under(p, {"proc", "sys", "dev"}):
            # Both may or may not have the empty mount point; content must still be empty.
            if all(e is None or e.get("size", 0) == 0 for e in (ea, eb)) and (
                    ea is None or eb is None or ea["type"] == eb["type"]):
                continue
        diffs.append(f"{p}: kiln={ea} other={eb}")
    ca, cb = json.load(open(kiln_cfg)) or {}, json.load(open(other_cfg)) or {}
    for field in ["Env", "Cmd", "Entrypoint", "WorkingDir", "User", "ExposedPorts", "Volumes",
                  "Labels", "Healthcheck", "StopSignal"]:
        if field in ignore_config:
            continue
        va, vb = ca.get(field), cb.get(field)
        if field == "Labels" and vb:
            vb = {k: v for k, v in vb.items() if k != "io.buildah.version"} or None
        if field == "Labels" and va:
            # kiln records the base image in labels; buildah puts it in manifest annotations.
            va = {k: v for k, v in va.items()
                  if not k.startswith("org.opencontainers.image.base.")} or None
        if field == "Labels" and va == {}:
            va = None
        if va in ({}, [], "") :
            va = None
        if vb in ({}, [], ""):
            vb = None
        if va != vb:
            diffs.append(f"config {field}: kiln={va!r} other={vb!r}")
    for d in diffs:
        print("DIFF", d)
    sys.exit(1 if diffs else 0)


if __name__ == "__main__":
    main()
