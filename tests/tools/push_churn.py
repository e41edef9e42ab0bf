#!/usr/bin/env python3
"""push_churn.py URL REPO SECONDS SEED OUT

Pushes and deletes images in REPO on the registry at URL for SECONDS, the way docker push does
it: HEAD each blob, upload only the missing ones, then PUT the manifest. Round n pushes an image
with shared layer P(n) and deletes it at once, so P(n) falls out of use; it then pushes an image
that is kept, with layer P(n-3), which fell out of use three rounds (more than the collectors'
grace) ago and is what a collection running now may be about to delete, unless the registry
holds it for the push.

Writes one line per outcome to OUT: "ok DIGEST" for a manifest the registry acknowledged (201),
"deleted DIGEST" once it is deleted, "refused STATUS CODE" for a manifest PUT the registry refused, "refused-blob STATUS CODE" for a
blob upload it refused (the image is then not pushed).
"""
import hashlib, http.client, json, random, sys, time, urllib.parse

base, repo, seconds, seed, out_path = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
u = urllib.parse.urlparse(base)
rnd = random.Random(seed)


def req(method, path, body=None, headers=None):
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    h = dict(headers or {})
    if body is not None:
        h["Content-Length"] = str(len(body))
    conn.request(method, path, body=body, headers=h)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, data


def digest(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def ensure_blob(data):
    d = digest(data)
    st, _, _ = req("HEAD", f"/v2/{repo}/blobs/{d}")
    if st == 200:
        return d
    st, h, _ = req("POST", f"/v2/{repo}/blobs/uploads/")
    if st != 202:
        raise SystemExit(f"POST upload: {st}")
    loc = h["location"]
    loc += ("&" if "?" in loc else "?") + "digest=" + d
    st, _, body = req("PUT", loc, data, {"Content-Type": "application/octet-stream"})
    if st != 201:
        raise Refused(st, body)
    return d


class Refused(Exception):
    def __init__(self, status, body):
        self.status, self.code = status, json.loads(body or b"{}").get("errors", [{}])[0].get("code", "")


def pool(n):
    return hashlib.sha256(b"pool-%d-%d" % (seed, n)).digest() * 128  # 4 KiB


def push(tag, layers, n):
    """PUTs an image of these layers; returns its digest, or None if refused."""
    try:
        return push_(tag, layers, n)
    except Refused as e:
        out.write(f"refused-blob {e.status} {e.code}\n")
        return None


def push_(tag, layers, n):
    config = json.dumps({"architecture": "amd64", "os": "linux", "n": n, "seed": seed, "tag": tag}).encode()
    descs = [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": ensure_blob(l), "size": len(l)} for l in layers]
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": ensure_blob(config), "size": len(config)},
        "layers": descs,
    }).encode()
    st, _, body = req("PUT", f"/v2/{repo}/manifests/{tag}", manifest,
                      {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    if st == 201:
        out.write(f"ok {digest(manifest)}\n")
        return digest(manifest)
    code = json.loads(body or b"{}").get("errors", [{}])[0].get("code", "")
    out.write(f"refused {st} {code}\n")
    return None


out = open(out_path, "a", buffering=1)
end = time.time() + seconds
n = 0
while time.time() < end:
    n += 1
    own = lambda k: b"own-%d-%d-%d-" % (seed, n, k) + bytes(rnd.getrandbits(8) for _ in range(256))
    gone = push(f"e{seed}-{n}", [pool(n), own(1)], n)
    if gone:
        st, _, _ = req("DELETE", f"/v2/{repo}/manifests/{gone}")
        if st == 202:
            out.write(f"deleted {gone}\n")
    if n > 3:
        push(f"k{seed}-{n}", [pool(n - 3), own(2)], n)
    time.sleep(rnd.random() * 0.2)
