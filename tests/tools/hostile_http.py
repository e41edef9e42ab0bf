#!/usr/bin/env python3
"""hostile_http.py HOST PORT HEADER_TIMEOUT

Sends a registry hostile requests over raw sockets and checks each gets a correct 4xx (or a
closed connection where no answer is possible), then that the server still answers. Prints one
line per check; exits 1 if any fails.
"""
import hashlib, json, socket, sys, threading, time

host, port, header_timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
results = []


def check(name, cond, detail=""):
    results.append(bool(cond))
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else "  -- " + str(detail)))


def raw(data, read_timeout=10):
    s = socket.create_connection((host, port), timeout=read_timeout)
    try:
        s.sendall(data)
    except OSError:
        pass
    out = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
            if b"\r\n\r\n" in out:
                head, _, body = out.partition(b"\r\n\r\n")
                cl = [l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
                if cl and len(body) >= int(cl[0].split(b":")[1]):
                    break
    except OSError:
        pass
    s.close()
    return out


def status(resp):
    try:
        return int(resp.split(b" ", 2)[1])
    except Exception:
        return None


def code(resp):
    try:
        return json.loads(resp.partition(b"\r\n\r\n")[2])["errors"][0]["code"]
    except Exception:
        return None


def get(path, extra=b""):
    return raw(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + extra + b"\r\n")


def healthy():
    r = get("/v2/")
    return status(r) == 200


r = get("/v2/a/blobs/sha256:xyz")
check("invalid digest: 400 DIGEST_INVALID", status(r) == 400 and code(r) == "DIGEST_INVALID", r[:200])
r = get("/v2/a/blobs/md5:d41d8cd98f00b204e9800998ecf8427e")
check("unsupported digest algorithm: 400 DIGEST_INVALID", status(r) == 400 and code(r) == "DIGEST_INVALID", r[:200])
r = get("/v2/a/../../etc/manifests/latest")
check("'..' in a name: 400 NAME_INVALID", status(r) == 400 and code(r) == "NAME_INVALID", r[:200])
r = get("/v2/Upper/manifests/latest")
check("uppercase name: 400 NAME_INVALID", status(r) == 400 and code(r) == "NAME_INVALID", r[:200])
r = get("/v2/" + "a" * 300 + "/manifests/latest")
check("300-character name: 400 NAME_INVALID", status(r) == 400 and code(r) == "NAME_INVALID", r[:200])
r = get("/v2/a/manifests/" + "t" * 300)
# No manifest can be stored under a name that is not a tag (PUT is 400), so GET finds none.
check("300-character tag: 404 MANIFEST_UNKNOWN", status(r) == 404 and code(r) == "MANIFEST_UNKNOWN", r[:200])
r = get("/v2/a/blobs/uploads/../../../../etc/passwd")
check("'..' in an upload id: 4xx", status(r) in (400, 404), r[:200])
r = get("/v2/", b"X-Big: " + b"a" * 200000 + b"\r\n")
check("200 KB header: 431 or closed", status(r) in (431, None), r[:200])
r = raw(b"\x00\x01garbage\r\n\r\n")
check("garbage request line: 400 or closed", status(r) in (400, None), r[:200])
ten_gb = 10 * 1024 ** 3
d = "sha256:" + hashlib.sha256(b"x").hexdigest()
r = raw(f"POST /v2/a/blobs/uploads/?digest={d} HTTP/1.1\r\nHost: x\r\nContent-Length: {ten_gb}\r\n"
        "Content-Type: application/octet-stream\r\n\r\n".encode() + b"x" * 1000)
check("declared 10 GB monolithic blob: 413 before any byte is stored", status(r) == 413, r[:200])
r = raw(f"PUT /v2/a/manifests/t HTTP/1.1\r\nHost: x\r\nContent-Length: {ten_gb}\r\n"
        "Content-Type: application/vnd.oci.image.manifest.v1+json\r\n\r\n".encode() + b"{")
check("declared 10 GB manifest: 413", status(r) == 413, r[:200])
body = b"{" * 5000000
r = raw(f"PUT /v2/a/manifests/t HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        "Content-Type: application/vnd.oci.image.manifest.v1+json\r\n\r\n".encode() +
        f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n")
check("5 MB chunked manifest (no Content-Length): 413", status(r) == 413, r[:200])
bad = b'{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": '
r = raw(f"PUT /v2/a/manifests/t HTTP/1.1\r\nHost: x\r\nContent-Length: {len(bad)}\r\n"
        "Content-Type: application/vnd.oci.image.manifest.v1+json\r\nConnection: close\r\n\r\n".encode() + bad)
check("invalid JSON manifest: 400 MANIFEST_INVALID", status(r) == 400 and code(r) == "MANIFEST_INVALID", r[:200])
m = b'{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": []}'
wrong = "sha256:" + hashlib.sha256(b"something else").hexdigest()
r = raw(f"PUT /v2/a/manifests/{wrong} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(m)}\r\n"
        "Content-Type: application/vnd.oci.image.index.v1+json\r\nConnection: close\r\n\r\n".encode() + m)
check("manifest whose digest does not match its body: 400 DIGEST_INVALID", status(r) == 400 and code(r) == "DIGEST_INVALID", r[:200])
r = raw(b"PATCH /v2/a/blobs/uploads/0123456789abcdef0123456789abcdef HTTP/1.1\r\nHost: x\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n")
check("unknown upload id: 404 BLOB_UPLOAD_UNKNOWN", status(r) == 404 and code(r) == "BLOB_UPLOAD_UNKNOWN", r[:200])

# Framing, as the server formats each response head itself: two pipelined requests get two
# responses with exact lengths, the second (Connection: close) ends the connection; an HTTP/1.0
# request is answered in HTTP/1.0 and closed unless it asked for keep-alive.
def read_to_end(s):
    out = b""
    try:
        while True:
            c = s.recv(65536)
            if not c:
                break
            out += c
    except OSError:
        pass
    s.close()
    return out


def until_closed(data):
    s = socket.create_connection((host, port), timeout=10)
    s.sendall(data)
    return read_to_end(s)


r = until_closed(b"GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\nGET /v2/nosuch/manifests/t HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
parts = r.split(b"HTTP/1.1 ")
first_ok = len(parts) == 3 and parts[1].startswith(b"200 OK\r\n") and parts[1].endswith(b"Content-Length: 2\r\n\r\n{}")
second = b"HTTP/1.1 " + parts[2] if len(parts) == 3 else b""
check("pipelined requests: two framed responses, the second closes",
      first_ok and status(second) == 404 and b"Connection: close\r\n" in second and code(second) == "MANIFEST_UNKNOWN", r[:400])
r = until_closed(b"GET /v2/ HTTP/1.0\r\n\r\n")
check("HTTP/1.0: answered in 1.0, closed", r.startswith(b"HTTP/1.0 200 OK\r\n") and b"Connection:" not in r and r.endswith(b"{}"), r[:300])
s10 = socket.create_connection((host, port), timeout=5)
s10.sendall(b"GET /v2/ HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
time.sleep(0.3)
r = s10.recv(65536)
s10.sendall(b"GET /v2/ HTTP/1.0\r\n\r\n")
r2 = read_to_end(s10)
check("HTTP/1.0 keep-alive: kept open for the next request",
      b"Connection: keep-alive\r\n" in r and r2.startswith(b"HTTP/1.0 200 OK"), (r[:200], r2[:200]))

# Slowloris: many connections trickling a header never finish it; each is cut off after the
# header timeout, and the server keeps answering others meanwhile.
closed_after = []


def slow():
    s = socket.create_connection((host, port), timeout=header_timeout * 4 + 10)
    start = time.time()
    try:
        s.sendall(b"GET /v2/ HTTP/1.1\r\nHost: x\r\n")
        while time.time() - start < header_timeout * 4:
            s.sendall(b"X-a: b\r\n")
            time.sleep(0.5)
            s.setblocking(False)
            try:
                if s.recv(1) == b"":
                    break
            except BlockingIOError:
                pass
            except OSError:
                break
            s.setblocking(True)
    except OSError:
        pass
    closed_after.append(time.time() - start)
    s.close()


threads = [threading.Thread(target=slow) for _ in range(200)]
for t in threads:
    t.start()
time.sleep(0.5)
t0 = time.time()
ok = healthy()
check("the server answers while 200 slowloris connections hang on", ok and time.time() - t0 < 2, time.time() - t0)
for t in threads:
    t.join()
check("slowloris connections are cut off after the header timeout",
      len(closed_after) == 200 and max(closed_after) < header_timeout * 3, max(closed_after or [0]))
check("the server is unaffected", healthy())
failed = results.count(False)
print(f"{len(results) - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
