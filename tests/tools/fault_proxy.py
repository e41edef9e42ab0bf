#!/usr/bin/env python3
"""fault_proxy.py PORT UPSTREAM MODEFILE

An HTTP proxy in front of a registry that injects faults into blob downloads (GET
/v2/.../blobs/sha256:...). The mode is read from MODEFILE at every request, so one proxy serves
several test phases:
  ok        pass everything through
  drop      the first GET of each blob sends half the body, then closes the connection
  500       the first request to each blob answers 500
  429       the first request to each blob answers 429 with Retry-After: 1
  corrupt   blob bodies come back with one byte changed
  slow      blob GETs wait 30 s before answering
  huge      manifest GETs answer a 100 MB body
  layers    manifest GETs answer a manifest listing 10,000 layers
  malformed manifest GETs answer a body that is not JSON
  schema1   manifest GETs answer a Docker schema 1 manifest
Each injected fault is logged to stdout as one line.
"""
import http.client, http.server, json, sys, threading, time

port, upstream, modefile = sys.argv[1], sys.argv[2], sys.argv[3]
seen, lock = set(), threading.Lock()


def mode():
    try:
        return open(modefile).read().strip()
    except OSError:
        return "ok"


def first(key):
    with lock:
        if key in seen:
            return False
        seen.add(key)
        return True


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def forward(self):
        m = mode()
        is_blob = "/blobs/sha256:" in self.path and self.command in ("GET", "HEAD")
        key = (m, self.command, self.path)
        if is_blob and self.command == "GET" and m in ("500", "429") and first(key):
            print(f"fault: {m} {self.path}", flush=True)
            self.send_response(int(m))
            if m == "429":
                self.send_header("Retry-After", "1")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if "/manifests/" in self.path and self.command == "GET" and m in ("malformed", "schema1"):
            print(f"fault: {m} {self.path}", flush=True)
            if m == "malformed":
                ctype, data = "application/vnd.oci.image.manifest.v1+json", b'{"schemaVersion": 2, "layers": [oops'
            else:
                ctype = "application/vnd.docker.distribution.manifest.v1+prettyjws"
                data = json.dumps({"schemaVersion": 1, "name": "f/app", "tag": "1", "fsLayers": []}).encode()
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        if "/manifests/" in self.path and self.command == "GET" and m in ("huge", "layers"):
            print(f"fault: {m} {self.path}", flush=True)
            if m == "layers":
                layer = {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                         "digest": "sha256:" + "ab" * 32, "size": 1}
                data = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                                   "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                              "digest": "sha256:" + "cd" * 32, "size": 2},
                                   "layers": [layer] * 10000}).encode()
            else:
                data = None
            self.send_response(200)
            self.send_header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
            self.send_header("Content-Length", str(len(data) if data else 100 << 20))
            self.end_headers()
            try:
                if data:
                    self.wfile.write(data)
                else:
                    chunk = b" " * (1 << 20)
                    for _ in range(100):
                        self.wfile.write(chunk)
            except OSError:
                pass
            return
        if is_blob and self.command == "GET" and m == "slow":
            print(f"fault: slow {self.path}", flush=True)
            time.sleep(30)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        conn = http.client.HTTPConnection(upstream, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        conn.request(self.command, self.path, body=body, headers=headers)
        r = conn.getresponse()
        data = r.read()
        if is_blob and self.command == "GET" and r.status in (200, 206):
            if m == "corrupt" and data:
                print(f"fault: corrupt {self.path}", flush=True)
                data = bytes([data[0] ^ 0xFF]) + data[1:]
            if m == "drop" and len(data) > 1 and first(key):
                print(f"fault: drop {self.path}", flush=True)
                self.send_response(r.status)
                for k, v in r.getheaders():
                    if k.lower() not in ("connection", "transfer-encoding"):
                        self.send_header(k, v)
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() in ("connection", "transfer-encoding"):
                continue
            if k.lower() == "content-length" and self.command != "HEAD":
                continue
            if k.lower() == "location" and v.startswith("http://" + upstream):
                v = v.replace(upstream, f"127.0.0.1:{port}", 1)
            self.send_header(k, v)
        if self.command != "HEAD":
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = forward


http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), Proxy).serve_forever()
