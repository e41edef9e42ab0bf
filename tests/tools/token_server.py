#!/usr/bin/env python3
"""token_server.py PORT KEY CERT SERVICE ISSUER EXPIRES USER:PASS [ALG]

A Docker token-auth server for tests (https://distribution.github.io/distribution/spec/auth/token/):
GET /token?service=..&scope=repository:NAME:ACTIONS[&scope=...] answers {"token", "expires_in",
"issued_at"} with an RS256 JWT that carries the requested access. Requests with the right Basic
credentials get every action asked for; anonymous requests get "pull" only. The JWT header
carries the certificate (x5c), which the registry checks against its rootcertbundle. Signing
uses the openssl command line; ALG is RS256 (default, RSA key) or ES256 (P-256 key).
OAuth2 (the spec's "OAuth2 Token Authentication"): POST /token with grant_type=password
(username, password) or grant_type=refresh_token (refresh_token) answers {"access_token",
"refresh_token", "expires_in"}; refresh tokens are "rt-USER-N", each usable once (rotated).
GET with offline_token=true and good credentials also returns a refresh_token. Each request is logged to stdout as one line.
"""
import base64, http.server, json, subprocess, sys, time, urllib.parse, uuid

port, key, cert, service, issuer, expires, userpass = sys.argv[1:8]
alg = sys.argv[8] if len(sys.argv) > 8 else "RS256"
expires = int(expires)
der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"], check=True,
                     capture_output=True).stdout


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def sign(claims):
    header = {"typ": "JWT", "alg": alg, "x5c": [base64.b64encode(der).decode()]}
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=signing_input.encode(),
                         check=True, capture_output=True).stdout
    if alg == "ES256":
        sig = der_to_raw(sig)
    return signing_input + "." + b64url(sig)


def der_to_raw(sig):
    """An ECDSA DER SEQUENCE{INTEGER r, INTEGER s} as JOSE's 64-byte r||s."""
    def integer(b, i):
        assert b[i] == 2
        n = b[i + 1]
        return int.from_bytes(b[i + 2:i + 2 + n], "big"), i + 2 + n
    i = 2 if sig[1] < 0x80 else 3
    r, i = integer(sig, i)
    s, _ = integer(sig, i)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


refresh = {}  # live refresh token -> user
counter = [0]


def new_refresh(user):
    counter[0] += 1
    t = f"rt-{user}-{counter[0]}"
    refresh[t] = user
    return t


def claims_for(user, scopes, service_param):
    access = []
    for scope in scopes:
        parts = scope.split(":")
        if len(parts) < 3:
            continue
        actions = parts[-1].split(",")
        if user is None:
            actions = [a for a in actions if a == "pull"]
        access.append({"type": parts[0], "name": ":".join(parts[1:-1]), "actions": actions})
    now = int(time.time())
    return {"iss": issuer, "sub": user or "", "aud": service_param or service,
            "exp": now + expires, "nbf": now - 10, "iat": now, "jti": str(uuid.uuid4()),
            "access": access}


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def reply(self, code, obj=None):
        body = json.dumps(obj).encode() if obj is not None else b""
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(n).decode())
        grant = form.get("grant_type", [""])[0]
        user = None
        if grant == "refresh_token":
            user = refresh.pop(form.get("refresh_token", [""])[0], None)
        elif grant == "password":
            if form.get("username", [""])[0] + ":" + form.get("password", [""])[0] == userpass:
                user = userpass.split(":")[0]
        print(f"token: POST grant={grant} user={user}", flush=True)
        if user is None:
            self.reply(401, {"error": "invalid_grant"})
            return
        scopes = " ".join(form.get("scope", [])).split()
        token = sign(claims_for(user, scopes, form.get("service", [None])[0]))
        self.reply(200, {"access_token": token, "refresh_token": new_refresh(user), "expires_in": expires,
                         "scope": " ".join(scopes)})

    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(u.query)
        auth = self.headers.get("Authorization", "")
        user = None
        if auth.startswith("Basic "):
            if base64.b64decode(auth[6:]).decode() != userpass:
                self.send_response(401)
                self.end_headers()
                print("token: bad credentials", flush=True)
                return
            user = userpass.split(":")[0]
        claims = claims_for(user, q.get("scope", []), q.get("service", [None])[0])
        out = {"token": sign(claims), "expires_in": expires,
               "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(claims["iat"]))}
        if user is not None and q.get("offline_token", [""])[0] == "true":
            out["refresh_token"] = new_refresh(user)
        print(f"token: user={user} scopes={q.get('scope', [])}", flush=True)
        self.reply(200, out)


http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), Handler).serve_forever()
