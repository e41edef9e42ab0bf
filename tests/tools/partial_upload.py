#!/usr/bin/env python3
"""partial_upload.py start|resume|monolithic URL REPO SIZE_MB [SENT_MB]

Deterministic data (SIZE_MB of a seeded stream) uploaded in pieces, for kill -9 tests:
  start       POST a session, then PATCH declaring all SIZE_MB but send only SENT_MB and hang;
              prints the upload path first.
  monolithic  POST ?digest= declaring SIZE_MB, send SENT_MB, hang; prints the digest first.
  resume PATH ask the upload's status (Range), send the rest with Content-Range, PUT ?digest=;
              prints the final status and the digest.
"""
import hashlib, http.client, random, socket, sys, time, urllib.parse

mode, url = sys.argv[1], sys.argv[2]
u = urllib.parse.urlparse(url)
MB = 1 << 20


def data(size_mb):
    return random.Random(42).randbytes(size_mb * MB)


def hang(sock):
    sys.stdout.flush()
    time.sleep(3600)


if mode in ("start", "monolithic"):
    repo, size, sent = sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    blob = data(size)
    d = "sha256:" + hashlib.sha256(blob).hexdigest()
    if mode == "start":
        c = http.client.HTTPConnection(u.hostname, u.port)
        c.request("POST", f"/v2/{repo}/blobs/uploads/", headers={"Content-Length": "0"})
        r = c.getresponse()
        r.read()
        path = r.getheader("Location")
        print(path, flush=True)
        head = (f"PATCH {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
                f"Content-Length: {len(blob)}\r\n\r\n")
    else:
        print(d, flush=True)
        head = (f"POST /v2/{repo}/blobs/uploads/?digest={d} HTTP/1.1\r\nHost: x\r\n"
                f"Content-Type: application/octet-stream\r\nContent-Length: {len(blob)}\r\n\r\n")
    s = socket.create_connection((u.hostname, u.port))
    s.sendall(head.encode() + blob[:sent * MB])
    print("sent", flush=True)
    hang(s)
else:
    path, size = sys.argv[3], int(sys.argv[4])
    blob = data(size)
    d = "sha256:" + hashlib.sha256(blob).hexdigest()
    c = http.client.HTTPConnection(u.hostname, u.port)
    c.request("GET", path)
    r = c.getresponse()
    r.read()
    if r.status != 204:
        print(f"status GET {r.status}")
        sys.exit(1)
    have = int(r.getheader("Range").split("-")[1]) + 1
    rest = blob[have:]
    c.request("PATCH", path, body=rest, headers={"Content-Type": "application/octet-stream",
                                                 "Content-Range": f"{have}-{len(blob) - 1}"})
    r = c.getresponse()
    r.read()
    if r.status != 202:
        print(f"PATCH {r.status}")
        sys.exit(1)
    loc = r.getheader("Location")
    c.request("PUT", loc + ("&" if "?" in loc else "?") + f"digest={d}", body=b"",
              headers={"Content-Type": "application/octet-stream"})
    r = c.getresponse()
    r.read()
    print(f"resumed at {have}: {r.status} {d}")
    sys.exit(0 if r.status == 201 else 1)
