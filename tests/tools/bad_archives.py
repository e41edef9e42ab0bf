#!/usr/bin/env python3
"""bad_archives.py GOOD_DOCKER_ARCHIVE OCI_DIR OUT_DIR

Writes one broken image archive (or OCI layout directory) per kind of bad input that
`kiln load` / `kiln copy` must refuse, derived from a good docker archive written by
`kiln save` (Docker 25 layout) and a good OCI layout directory. Prints "NAME EXPECTED-TEXT"
lines: the file or directory under OUT_DIR and a phrase the error message must contain.
"""
import gzip, hashlib, io, json, os, shutil, sys, tarfile

good, oci_dir, out = sys.argv[1:4]
os.makedirs(out, exist_ok=True)
cases = []

with tarfile.open(good) as t:
    members = {m.name: t.extractfile(m).read() for m in t.getmembers() if m.isfile()}
manifest = json.loads(members["manifest.json"])
layer0 = manifest[0]["Layers"][0]


def write_tar(name, entries, expect):
    """entries: list of (name, bytes) or (name, ("sym"|"hard", target))."""
    path = os.path.join(out, name)
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as t:
        for n, data in entries:
            info = tarfile.TarInfo(n)
            if isinstance(data, tuple):
                info.type = tarfile.SYMTYPE if data[0] == "sym" else tarfile.LNKTYPE
                info.linkname = data[1]
                t.addfile(info)
            else:
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
    cases.append((name, expect))


def good_entries(replace=None, extra=()):
    replace = replace or {}
    return [(n, replace.get(n, d)) for n, d in members.items()] + list(extra)


# Truncated: cut inside the biggest member.
raw = open(good, "rb").read()
open(os.path.join(out, "truncated.tar"), "wb").write(raw[: len(raw) // 2])
cases.append(("truncated.tar", "truncated"))

# A layer whose bytes do not match its digest (one byte flipped).
bad = bytearray(members[layer0]); bad[600] ^= 0xFF
write_tar("digest-mismatch.tar", good_entries({layer0: bytes(bad)}), "mismatch")

# A manifest naming a blob the archive lacks.
write_tar("missing-blob.tar", [(n, d) for n, d in good_entries() if n != layer0], "no member named")

# Members that escape the archive.
write_tar("dotdot.tar", good_entries(extra=[("../evil", b"x")]), "escapes the archive")
write_tar("absolute.tar", good_entries(extra=[("/etc/evil", b"x")]), "escapes the archive")

# The layer path is a symlink / hardlink that points outside.
m = json.loads(members["manifest.json"]); m[0]["Layers"][0] = "evil/layer.tar"
mj = json.dumps(m).encode()
base = [(n, d) for n, d in good_entries({"manifest.json": mj}) if n not in ("index.json", "oci-layout")]
write_tar("symlink-out.tar", base + [("evil/layer.tar", ("sym", "../../../etc/passwd"))], "points outside")
write_tar("symlink-abs.tar", base + [("evil/layer.tar", ("sym", "/etc/passwd"))], "points outside")
write_tar("hardlink-out.tar", base + [("evil/layer.tar", ("hard", "../etc/passwd"))], "points outside")

# A layer that is not a tar (its digest and the config's diffID agree, so only the content is wrong).
junk = os.urandom(4096)
jd = hashlib.sha256(junk).hexdigest()
cfg_path = manifest[0]["Config"]
cfg = json.loads(members[cfg_path]); cfg["rootfs"]["diff_ids"][0] = "sha256:" + jd
cfg_raw = json.dumps(cfg).encode(); cd = hashlib.sha256(cfg_raw).hexdigest()
m = json.loads(members["manifest.json"])
m[0]["Config"] = "blobs/sha256/" + cd; m[0]["Layers"][0] = "blobs/sha256/" + jd
write_tar("not-a-tar.tar", [(n, d) for n, d in members.items() if n not in ("index.json", "oci-layout", "manifest.json")]
          + [("blobs/sha256/" + jd, junk), ("blobs/sha256/" + cd, cfg_raw), ("manifest.json", json.dumps(m).encode())],
          "not a tar archive")

# A gzip bomb: 300 MiB of zeros in well under 1 MiB.
with gzip.open(os.path.join(out, "bomb.tar.gz"), "wb", compresslevel=1) as g:
    block = b"\0" * (1 << 20)
    for _ in range(300):
        g.write(block)
cases.append(("bomb.tar.gz", "decompression bomb"))

# Two members named manifest.json (tar readers disagree on which one wins).
write_tar("dup-manifest.tar", good_entries(extra=[("manifest.json", b"[]")]), "two members named manifest.json")

# Two manifest.json entries giving one tag to different images.
m = json.loads(members["manifest.json"])
other = dict(m[0]); other["Config"] = m[0]["Layers"][0]
write_tar("conflict.tar", good_entries({"manifest.json": json.dumps([m[0], other]).encode()}), "conflicting")

# An OCI layout with an unsupported version.
d = os.path.join(out, "layout-v2")
shutil.copytree(oci_dir, d)
open(os.path.join(d, "oci-layout"), "w").write('{"imageLayoutVersion":"2.0.0"}')
cases.append(("layout-v2", "imageLayoutVersion 2.0.0 is not supported"))

# An OCI layout whose layer blob was changed, and one whose layer's declared size is wrong.
def oci_copy(name):
    d = os.path.join(out, name); shutil.copytree(oci_dir, d); return d

def blobs(d, digest):
    return os.path.join(d, "blobs", "sha256", digest.split(":")[1])

def rewrite_manifest(d, edit):
    idx = json.load(open(os.path.join(d, "index.json")))
    desc = idx["manifests"][0]
    man = json.load(open(blobs(d, desc["digest"])))
    edit(man)
    raw = json.dumps(man).encode()
    dg = "sha256:" + hashlib.sha256(raw).hexdigest()
    open(blobs(d, dg), "wb").write(raw)
    desc["digest"], desc["size"] = dg, len(raw)
    json.dump(idx, open(os.path.join(d, "index.json"), "w"))
    return man

d = oci_copy("oci-flipped")
idx = json.load(open(os.path.join(d, "index.json")))
man = json.load(open(blobs(d, idx["manifests"][0]["digest"])))
p = blobs(d, man["layers"][0]["digest"]); b = bytearray(open(p, "rb").read()); b[100] ^= 1
os.chmod(p, 0o644); open(p, "wb").write(bytes(b))
cases.append(("oci-flipped", "corrupt|digest mismatch"))

d = oci_copy("oci-size")
rewrite_manifest(d, lambda m: m["layers"][0].__setitem__("size", m["layers"][0]["size"] - 7))
cases.append(("oci-size", "size mismatch"))

d = oci_copy("oci-missing")
man = rewrite_manifest(d, lambda m: None)
os.remove(blobs(d, man["layers"][-1]["digest"]))
cases.append(("oci-missing", "No such file"))

# Layers of more than 1 MiB, which the store decompresses and checks on a thread of its own
# while it writes them: each is refused for its own reason, its digest being right.
def big_layer_case(name, layer_gz, diff_id, expect):
    d = oci_copy(name)
    idx = json.load(open(os.path.join(d, "index.json")))
    man = json.load(open(blobs(d, idx["manifests"][0]["digest"])))
    ld = "sha256:" + hashlib.sha256(layer_gz).hexdigest()
    open(blobs(d, ld), "wb").write(layer_gz)
    cfg = json.load(open(blobs(d, man["config"]["digest"])))
    cfg["rootfs"]["diff_ids"][0] = diff_id
    cfg_raw = json.dumps(cfg).encode()
    cd = "sha256:" + hashlib.sha256(cfg_raw).hexdigest()
    open(blobs(d, cd), "wb").write(cfg_raw)
    def edit(m):
        m["config"]["digest"], m["config"]["size"] = cd, len(cfg_raw)
        m["layers"][0] = {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                          "digest": ld, "size": len(layer_gz)}
    rewrite_manifest(d, edit)
    cases.append((name, expect))

buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
    big = os.urandom(3 << 20)
    info = tarfile.TarInfo("big"); info.size = len(big)
    t.addfile(info, io.BytesIO(big))
big_tar = buf.getvalue()
big_gz = gzip.compress(big_tar, compresslevel=1)
big_diff = "sha256:" + hashlib.sha256(big_tar).hexdigest()
big_layer_case("oci-big-diffid", big_gz, "sha256:" + "0" * 64, "is not the config's diffID")
broken = bytearray(big_gz); broken[len(broken) // 2 : len(broken) // 2 + 64] = b"\xff" * 64
big_layer_case("oci-big-badgzip", bytes(broken), big_diff, "gzip")
junk = os.urandom(3 << 20)
big_layer_case("oci-big-notar", gzip.compress(junk, compresslevel=1),
               "sha256:" + hashlib.sha256(junk).hexdigest(), "not a tar archive")
big_layer_case("oci-big-truncated", big_gz[: len(big_gz) * 2 // 3], big_diff, "truncated|gzip")

# --- hostile layers (issue: refuse every hostile input) -------------------------------------
def raw_header(name, typeflag, size, extra=None):
    """A ustar header with a correct checksum; extra: {offset: bytes} written before summing."""
    h = bytearray(512)
    h[0:len(name)] = name.encode()
    h[100:108] = b"0000644\0"
    h[124:136] = b"%011o\0" % size
    h[156:157] = typeflag
    h[257:265] = b"ustar\x0000"
    for off, b in (extra or {}).items():
        h[off:off + len(b)] = b
    h[148:156] = b" " * 8
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h)

def pad(b):
    return b + b"\0" * (-len(b) % 512)

def gz_layer_case(name, tar_bytes, expect):
    big_layer_case(name, gzip.compress(tar_bytes, compresslevel=1),
                   "sha256:" + hashlib.sha256(tar_bytes).hexdigest(), expect)

# Valid members, then a header whose checksum is wrong, then more data: refused, not cut short.
good_part = raw_header("a", b"0", 5) + pad(b"hello") + raw_header("b", b"0", 5) + pad(b"world")
damaged = bytearray(raw_header("c", b"0", 4)); damaged[0] ^= 1
gz_layer_case("layer-bad-checksum", good_part + bytes(damaged) + pad(b"evil") + b"\0" * 1024,
              "bad header checksum \\(header at byte 2048, after 2 members")

# A GNU sparse member claiming 1 TiB (realsize at offset 483), and a PAX 1.0 sparse member.
gnu = raw_header("huge", b"S", 512, {483: b"%011o\0" % (1 << 40)})
gz_layer_case("layer-sparse-gnu", gnu + b"\0" * 512 + b"\0" * 1024, "sparse file")
recs = b""
for k, v in [("GNU.sparse.major", "1"), ("GNU.sparse.minor", "0"), ("GNU.sparse.name", "huge"),
             ("GNU.sparse.realsize", str(1 << 40))]:
    body = (" %s=%s\n" % (k, v)).encode()
    n = len(body) + 2
    if len(str(n)) + len(body) != n:
        n += 1
    recs += str(n).encode() + body
sparse_map = pad(b"1\n0\n0\n")
gz_layer_case("layer-sparse-pax",
              raw_header("PaxHeaders/huge", b"x", len(recs)) + pad(recs) +
              raw_header("GNUSparseFile.0/huge", b"0", len(sparse_map)) + sparse_map + b"\0" * 1024,
              "sparse file")

# A gzip bomb as a layer: 160 gzip members of 64 MiB of zeros each, 10 GiB from about 10 MB.
def zeros_member(n):
    c = __import__("zlib").compressobj(9, 8, 31)
    chunk = b"\0" * (1 << 20)
    return b"".join(c.compress(chunk) for _ in range(n >> 20)) + c.flush()
member = zeros_member(64 << 20)
big_layer_case("layer-bomb", member * 160, "sha256:" + "1" * 64, "decompressed size exceeds limit")

# Documents nested 500,000 levels deep: a config, an OCI index, a docker manifest.json.
deep = b'{"a":' + b"[" * 500000 + b"]" * 500000 + b"}"
d = oci_copy("config-deep")
def deep_config(m):
    cd = "sha256:" + hashlib.sha256(deep).hexdigest()
    open(blobs(d, cd), "wb").write(deep)
    m["config"]["digest"], m["config"]["size"] = cd, len(deep)
rewrite_manifest(d, deep_config)
cases.append(("config-deep", "JSON nested more than 200 levels deep"))
d = oci_copy("index-deep")
open(os.path.join(d, "index.json"), "wb").write(deep)
cases.append(("index-deep", "JSON nested more than 200 levels deep"))
write_tar("manifest-deep.tar", good_entries({"manifest.json": deep}),
          "JSON nested more than 200 levels deep")

# Wrongly typed fields in a config: an error naming the field, not an exception.
d = oci_copy("config-typed")
def typed_config(m):
    cfg = json.load(open(blobs(d, m["config"]["digest"])))
    cfg["config"] = dict(cfg.get("config") or {}, Env=5)
    raw = json.dumps(cfg).encode()
    cd = "sha256:" + hashlib.sha256(raw).hexdigest()
    open(blobs(d, cd), "wb").write(raw)
    m["config"]["digest"], m["config"]["size"] = cd, len(raw)
rewrite_manifest(d, typed_config)
cases.append(("config-typed", "config.Env: must be an array"))

for name, expect in cases:
    print(name, expect, sep="\t")
