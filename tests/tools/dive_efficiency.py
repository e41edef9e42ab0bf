#!/usr/bin/env python3
"""An independent reading of dive's image efficiency (wagoodman/dive, dive/filetree/
efficiency.go and dive/image/analysis.go), from a docker-archive tar (kiln save):

- each layer is a tree of its tar entries (opaque markers ".wh..wh..opq" left out, parent
  directories implied); only its leaves are visited;
- a leaf's size is its tar size; a whiteout ".wh.X" is sized by what it hides in the layers
  below when that was a directory, else 0;
- per path: cumulative size over every layer it appears in, and the smallest size;
- efficiency = sum of smallest / sum of cumulative; wasted bytes = cumulative of the paths seen
  more than once; user size = tar sizes of every layer but the first.

usage: dive_efficiency.py IMAGE.tar  -> JSON {efficiency, wasted_bytes, user_size, user_wasted_percent}
"""
import io, json, posixpath, sys, tarfile


def layer_entries(tf):
    out = []
    for m in tf.getmembers():
        p = posixpath.normpath("/" + m.name).lstrip("/")
        if not p or p == ".":
            continue
        base = posixpath.basename(p)
        if base.startswith(".wh..wh."):
            continue
        white = base.startswith(".wh.")
        if white:
            p = posixpath.join(posixpath.dirname(p), base[4:])
        out.append((p, m.isdir(), m.size if m.isfile() else 0, white))
    return out


def main(path):
    arch = tarfile.open(path)
    manifest = json.load(arch.extractfile("manifest.json"))[0]
    stacked = {}  # path -> (is_dir, size): the explicit entries of the layers so far
    stats = {}
    sizes = []
    for layer_name in manifest["Layers"]:
        data = arch.extractfile(layer_name).read()
        tf = tarfile.open(fileobj=io.BytesIO(data), mode="r:*")
        entries = layer_entries(tf)
        sizes.append(sum(e[2] for e in entries))
        parents = set()
        for p, _, _, _ in entries:
            d = posixpath.dirname(p)
            while d:
                parents.add(d)
                d = posixpath.dirname(d)
        for p, is_dir, size, white in entries:
            if p in parents:
                continue  # not a leaf
            if white:
                prev = stacked.get(p)
                size = 0
                if prev and prev[0]:
                    size = sum(s for q, (dd, s) in stacked.items() if q == p or q.startswith(p + "/"))
            st = stats.setdefault(p, [0, -1, 0])
            st[0] += size
            st[1] = size if st[1] < 0 or size < st[1] else st[1]
            st[2] += 1
        for p, is_dir, size, white in entries:
            if white or not is_dir:
                for q in [q for q in stacked if q == p or q.startswith(p + "/")]:
                    if white or q != p or not is_dir:
                        del stacked[q]
            if not white:
                stacked[p] = (is_dir, size)
    smallest = sum(s[1] for s in stats.values())
    total = sum(s[0] for s in stats.values())
    wasted = sum(s[0] for s in stats.values() if s[2] > 1)
    user = sum(sizes[1:])
    print(json.dumps({"efficiency": 1.0 if total == 0 else smallest / total, "wasted_bytes": wasted,
                      "user_size": user, "user_wasted_percent": wasted / user if user else 0.0,
                      "image_size": sum(sizes)}))


main(sys.argv[1])
