#!/usr/bin/env python3
"""tree_compare.py DIR TAR: the directory tree and the tar archive hold the same entries
(path, type, permission bits, owner, size and content digest, link target). Prints the
differences and exits 1 when there are any. Directory mtimes are not compared."""
import hashlib, os, stat, sys, tarfile

root, tar_path = sys.argv[1:3]


def digest(f):
    h = hashlib.sha256()
    for chunk in iter(lambda: f.read(1 << 20), b""):
        h.update(chunk)
    return h.hexdigest()


def from_dir():
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            rel = os.path.relpath(p, root)
            st = os.lstat(p)
            mode = stat.S_IMODE(st.st_mode)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("symlink", st.st_uid, st.st_gid, os.readlink(p))
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("dir", mode, st.st_uid, st.st_gid)
            elif stat.S_ISREG(st.st_mode):
                with open(p, "rb") as f:
                    out[rel] = ("file", mode, st.st_uid, st.st_gid, st.st_size, digest(f))
            else:
                out[rel] = ("other", mode, st.st_uid, st.st_gid)
    return out


def from_tar():
    out, data = {}, {}
    with tarfile.open(tar_path) as t:
        for m in t.getmembers():
            rel = os.path.normpath(m.name.lstrip("./")) if m.name not in (".", "./") else "."
            if rel == ".":
                continue
            if m.issym():
                out[rel] = ("symlink", m.uid, m.gid, m.linkname)
            elif m.isdir():
                out[rel] = ("dir", m.mode & 0o7777, m.uid, m.gid)
            elif m.isfile():
                d = digest(t.extractfile(m))
                data[rel] = d
                out[rel] = ("file", m.mode & 0o7777, m.uid, m.gid, m.size, d)
            elif m.islnk():
                target = os.path.normpath(m.linkname.lstrip("./"))
                out[rel] = out.get(target, ("hardlink", target))
            else:
                out[rel] = ("other", m.mode & 0o7777, m.uid, m.gid)
    return out


a, b = from_dir(), from_tar()
diffs = [(k, a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
for k, x, y in diffs[:30]:
    print(f"{k}: dir={x} tar={y}")
print(f"{len(a)} entries in the directory, {len(b)} in the archive, {len(diffs)} differ")
sys.exit(1 if diffs else 0)
