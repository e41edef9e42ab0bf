#!/usr/bin/env python3
"""hostile_registry.py PORT

A registry whose answers are hostile JSON, for the client's refusal tests. The first path
segment of the repository chooses the answer (e.g. pull 127.0.0.1:PORT/token-typed/x:1):
  token-typed     /v2/ asks for a Bearer token; the token server answers {"token": 5}
  token-deep      ... the token answer is nested 500,000 levels deep
  error-typed     the manifest GET is a 404 whose body has {"code": 5, "message": ["x"]}
  error-deep      ... whose body is nested 500,000 levels deep
  manifest-deep   the manifest is a valid-looking document nested 500,000 levels deep
  manifest-typed  the manifest's layers member is a string
  tags-deep       the tag list is nested 500,000 levels deep
  auth-basic      /v2/ asks for Basic auth (for the credential-helper cases), then 404s
Every answer is logged to stdout as one line.
"""
import hashlib, http.server, json, sys

port = int(sys.argv[1])
DEEP = b'{"a":' + b"[" * 500000 + b"]" * 500000 + b"}"


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, status, body=b"", ctype="application/json", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        print(self.command, self.path, status, flush=True)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        p = self.path
        host = self.headers.get("Host")
        if p.startswith("/token"):
            mode = "token-deep" if "token-deep" in p else "token-typed"
            return self.send(200, DEEP if mode == "token-deep" else b'{"token": 5}')
        if p in ("/v2/", "/v2"):
            return self.send(200, b"{}")
        parts = p.split("/")
        mode = parts[2] if len(parts) > 2 else ""
        if mode in ("token-typed", "token-deep") and "Authorization" not in self.headers:
            realm = f'Bearer realm="http://{host}/token?{mode}",service="hostile"'
            return self.send(401, b'{"errors":[]}', headers=[("WWW-Authenticate", realm)])
        if mode == "auth-basic" and "Authorization" not in self.headers:
            return self.send(401, b'{"errors":[]}',
                             headers=[("WWW-Authenticate", 'Basic realm="hostile"')])
        if mode == "error-typed":
            return self.send(404, b'{"errors":[{"code":5,"message":["x"],"detail":{}}]}')
        if mode == "error-deep":
            return self.send(404, DEEP)
        if mode == "tags-deep" and "/tags/list" in p:
            return self.send(200, DEEP)
        if mode in ("manifest-deep", "manifest-typed") and "/manifests/" in p:
            if mode == "manifest-deep":
                body = b'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","x":' + DEEP + b"}"
            else:
                body = json.dumps({"schemaVersion": 2,
                                   "mediaType": "application/vnd.oci.image.manifest.v1+json",
                                   "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                              "digest": "sha256:" + "0" * 64, "size": 2},
                                   "layers": "all of them"}).encode()
            d = "sha256:" + hashlib.sha256(body).hexdigest()
            return self.send(200, body, "application/vnd.oci.image.manifest.v1+json",
                             [("Docker-Content-Digest", d)])
        return self.send(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"nope"}]}')


http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
