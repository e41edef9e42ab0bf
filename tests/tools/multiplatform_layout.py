#!/usr/bin/env python3
"""multiplatform_layout.py SRC DST ARCH...: copies the OCI layout SRC (one image) to DST and
makes its image multi-platform: one manifest per ARCH (the same layers, the config's
architecture set to ARCH) under an OCI index, which DST's index.json names "multi". Prints the
index digest."""
import hashlib
import json
import os
import shutil
import sys

src, dst, *arches = sys.argv[1:]
shutil.copytree(src, dst)


def blob(d):
    return os.path.join(dst, "blobs", "sha256", d.split(":")[1])


def put(raw):
    d = "sha256:" + hashlib.sha256(raw).hexdigest()
    with open(blob(d), "wb") as f:
        f.write(raw)
    return d, len(raw)


idx = json.load(open(os.path.join(dst, "index.json")))
man = json.load(open(blob(idx["manifests"][0]["digest"])))
entries = []
for arch in arches:
    cfg = json.load(open(blob(man["config"]["digest"])))
    cfg["architecture"] = arch
    cd, cs = put(json.dumps(cfg).encode())
    m = dict(man)
    m["config"] = dict(man["config"], digest=cd, size=cs)
    md, ms = put(json.dumps(m).encode())
    entries.append({"mediaType": man["mediaType"], "digest": md, "size": ms,
                    "platform": {"os": "linux", "architecture": arch}})
x = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": entries}
xd, xs = put(json.dumps(x).encode())
with open(os.path.join(dst, "index.json"), "w") as f:
    json.dump({"schemaVersion": 2, "manifests": [{
        "mediaType": x["mediaType"], "digest": xd, "size": xs,
        "annotations": {"org.opencontainers.image.ref.name": "multi"}}]}, f)
print(xd)
