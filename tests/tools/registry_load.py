#!/usr/bin/env python3
"""registry_load.py URL SECONDS CLIENTS

CLIENTS concurrent clients push and pull for SECONDS against a registry: blobs shared by all
clients and blobs of their own, uploaded monolithically or in PATCH chunks, manifests tagged per
client; pulls fetch a random earlier push and verify every byte (manifest and blob SHA-256).
Prints the totals; exits 1 on any error.
"""
import hashlib, http.client, json, os, random, sys, threading, time, urllib.parse

url, seconds, clients = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
u = urllib.parse.urlparse(url)
shared = [random.Random(i).randbytes(256 * 1024) for i in range(8)]
pushed = []  # (repo, tag, manifest digest, [(digest, size)])
lock = threading.Lock()
stats = {"push": 0, "pull": 0, "bytes": 0, "errors": 0}
errors = []
deadline = time.time() + seconds


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


class Client:
    def __init__(self):
        self.conn = None

    def req(self, method, path, body=None, headers=None):
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
            h = dict(headers or {})
            if body is not None:
                h["Content-Length"] = str(len(body))
            try:
                self.conn.request(method, path, body=body, headers=h)
                r = self.conn.getresponse()
                data = r.read()
                return r.status, {k.lower(): v for k, v in r.getheaders()}, data
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise


def fail(msg):
    with lock:
        stats["errors"] += 1
        if len(errors) < 20:
            errors.append(msg)


def upload(c, repo, blob, rnd):
    d = sha(blob)
    s, h, _ = c.req("HEAD", f"/v2/{repo}/blobs/{d}")
    if s == 200:
        return d
    if rnd.random() < 0.5:
        s, h, body = c.req("POST", f"/v2/{repo}/blobs/uploads/?digest={d}", blob,
                           {"Content-Type": "application/octet-stream"})
    else:
        s, h, body = c.req("POST", f"/v2/{repo}/blobs/uploads/")
        if s != 202:
            fail(f"POST upload: {s} {body[:200]}")
            return None
        loc = h["location"]
        half = len(blob) // 2
        s, h, body = c.req("PATCH", loc, blob[:half], {"Content-Type": "application/octet-stream",
                                                        "Content-Range": f"0-{half - 1}"})
        if s != 202:
            fail(f"PATCH: {s} {body[:200]}")
            return None
        s, h, body = c.req("PUT", h["location"] + f"?digest={d}", blob[half:],
                           {"Content-Type": "application/octet-stream"})
    if s != 201:
        fail(f"upload {d}: {s} {body[:200]}")
        return None
    return d


def worker(i):
    rnd = random.Random(1000 + i)
    c = Client()
    n = 0
    try:
        while time.time() < deadline:
            with lock:
                have = list(pushed[-200:])
            if not have or rnd.random() < 0.4:
                repo = f"load/r{i % 5}"
                own = os.urandom(64 * 1024)
                config = json.dumps({"client": i, "n": n, "architecture": "amd64", "os": "linux"}).encode()
                layers = [rnd.choice(shared), own]
                ok = all(upload(c, repo, b, rnd) for b in [config] + layers)
                if not ok:
                    continue
                m = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha(config), "size": len(config)},
                                "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": sha(l), "size": len(l)} for l in layers]}).encode()
                tag = f"c{i}-{n}"
                s, h, body = c.req("PUT", f"/v2/{repo}/manifests/{tag}", m,
                                   {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
                if s != 201 or h.get("docker-content-digest") != sha(m):
                    fail(f"manifest PUT {tag}: {s} {body[:200]}")
                    continue
                with lock:
                    pushed.append((repo, tag, sha(m), [(sha(l), len(l)) for l in layers]))
                    stats["push"] += 1
                    stats["bytes"] += sum(len(b) for b in layers)
                n += 1
            else:
                repo, tag, md, layers = rnd.choice(have)
                s, h, body = c.req("GET", f"/v2/{repo}/manifests/{tag}",
                                   headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
                if s != 200 or sha(body) != md or h.get("docker-content-digest") != md:
                    fail(f"manifest GET {repo}:{tag}: {s}")
                    continue
                for d, size in layers:
                    s, h, blob = c.req("GET", f"/v2/{repo}/blobs/{d}")
                    if s != 200 or len(blob) != size or sha(blob) != d:
                        fail(f"blob GET {d}: {s} len {len(blob)}")
                        break
                    with lock:
                        stats["bytes"] += size
                with lock:
                    stats["pull"] += 1
    except Exception as e:
        fail(f"client {i}: {e!r}")


threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
t0 = time.time()
for t in threads:
    t.start()
for t in threads:
    t.join()
el = time.time() - t0
print(f"{clients} clients, {el:.0f} s: {stats['push']} pushes, {stats['pull']} verified pulls, "
      f"{stats['bytes'] / 1e6:.0f} MB, {stats['errors']} errors")
for e in errors:
    print("  " + e)
sys.exit(1 if stats["errors"] or not stats["push"] or not stats["pull"] else 0)
