#!/usr/bin/env python3
"""oci_conformance.py URL [NAMESPACE]

Checks a registry against the OCI distribution spec v1.1.1, following the test descriptions of
opencontainers/distribution-spec conformance/ (pull, push, content discovery, content
management) and the spec's error-code table. Prints one line per check; exits 1 if any fails.
Written for kiln's test suite (the Go suite needs modules CI cannot fetch).
"""
import hashlib, http.client, json, os, sys, urllib.parse

base = sys.argv[1].rstrip("/")
ns = sys.argv[2] if len(sys.argv) > 2 else "conformance/test"
ns2 = ns + "-cross"
u = urllib.parse.urlparse(base)
results = []


def req(method, path, body=None, headers=None):
    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=30)
    h = dict(headers or {})
    if body is not None and "Content-Length" not in h:
        h["Content-Length"] = str(len(body))
    conn.request(method, path, body=body, headers=h)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, data


def check(name, cond, detail=""):
    results.append(bool(cond))
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else "  -- " + str(detail)))


def digest(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def loc(headers):
    l = headers.get("location", "")
    p = urllib.parse.urlparse(l)
    return p.path + ("?" + p.query if p.query else "")


def with_query(path, **q):
    sep = "&" if "?" in path else "?"
    return path + sep + urllib.parse.urlencode(q)


def error_code(data):
    try:
        return json.loads(data)["errors"][0]["code"]
    except Exception:
        return None


def push_blob(name, blob):
    s, h, _ = req("POST", f"/v2/{name}/blobs/uploads/")
    s, h, _ = req("PUT", with_query(loc(h), digest=digest(blob)), blob,
                  {"Content-Type": "application/octet-stream"})
    return s


def put_manifest(name, ref, body, mt="application/vnd.oci.image.manifest.v1+json"):
    return req("PUT", f"/v2/{name}/manifests/{ref}", body, {"Content-Type": mt})


config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}).encode()
layer = os.urandom(2048)
empty_json = b"{}"


def manifest_of(cfg, layers, cfg_type="application/vnd.oci.image.config.v1+json", **extra):
    m = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
         "config": {"mediaType": cfg_type, "digest": digest(cfg), "size": len(cfg)},
         "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": digest(l), "size": len(l)} for l in layers]}
    m.update(extra)
    return json.dumps(m).encode()


manifest = manifest_of(config, [layer])
mdigest = digest(manifest)

# --- base -------------------------------------------------------------------------------------
s, h, _ = req("GET", "/v2/")
check("GET /v2/ yields 200", s == 200, s)

# --- push: streamed, monolithic, chunked ------------------------------------------------------
blob_a = os.urandom(1500)
s, h, _ = req("POST", f"/v2/{ns}/blobs/uploads/")
check("POST should yield a session id (202 + Location)", s == 202 and h.get("location"), s)
s, h, _ = req("PATCH", loc(h), blob_a, {"Content-Type": "application/octet-stream"})
check("PATCH request with blob in body should yield 202 response", s == 202, s)
s, h, _ = req("PUT", with_query(loc(h), digest=digest(blob_a)), b"", {"Content-Type": "application/octet-stream"})
check("PUT request to session URL with digest should yield 201 response", s == 201 and h.get("location"), s)

s, _, _ = req("GET", f"/v2/{ns}/blobs/{digest(b'nonexistent')}")
check("GET nonexistent blob should result in 404 response", s == 404, s)
s, h, _ = req("POST", with_query(f"/v2/{ns}/blobs/uploads/", digest=digest(config)), config,
              {"Content-Type": "application/octet-stream"})
check("POST request with digest and blob should yield a 201", s == 201 and h.get("location"), s)
s, _, d = req("GET", f"/v2/{ns}/blobs/{digest(config)}")
check("GET request to blob URL from prior request should yield 200", s == 200 and d == config, s)
s, h, _ = req("POST", f"/v2/{ns}/blobs/uploads/")
check("POST request should yield a session ID", s == 202, s)
s, h, _ = req("PUT", with_query(loc(h), digest=digest(layer)), layer, {"Content-Type": "application/octet-stream"})
check("PUT upload of a blob should yield a 201 Response", s == 201 and h.get("location"), s)
s, _, _ = req("GET", f"/v2/{ns}/blobs/{digest(layer)}")
check("GET request to existing blob should yield 200 response", s == 200, s)
s, _, d = req("POST", with_query(f"/v2/{ns}/blobs/uploads/", digest="sha256:nothex"), b"x")
check("POST with an invalid digest should return 400 DIGEST_INVALID", s == 400 and error_code(d) == "DIGEST_INVALID", (s, d))

blob_b = os.urandom(3000)
c1, c2 = blob_b[:1000], blob_b[1000:]
s, h, _ = req("POST", f"/v2/{ns}/blobs/uploads/", b"", {"Content-Length": "0"})
s, h2, _ = req("PATCH", loc(h), c2, {"Content-Type": "application/octet-stream", "Content-Range": f"1000-{len(blob_b)-1}"})
check("Out-of-order blob upload should return 416", s == 416, s)
s, h, _ = req("POST", f"/v2/{ns}/blobs/uploads/", b"", {"Content-Length": "0"})
s, h, _ = req("PATCH", loc(h), c1, {"Content-Type": "application/octet-stream", "Content-Range": "0-999"})
check("PATCH request with first chunk should return 202", s == 202 and h.get("range") == "0-999", (s, h.get("range")))
up = loc(h)
s, hs, _ = req("GET", up)
check("GET upload status should return 204 with Range 0-999", s == 204 and hs.get("range") == "0-999", (s, hs.get("range")))
s, _, _ = req("PATCH", up, c1, {"Content-Type": "application/octet-stream", "Content-Range": "0-999"})
check("Retry previous blob chunk should return 416", s == 416, s)
s, h, _ = req("PATCH", up, c2, {"Content-Type": "application/octet-stream", "Content-Range": f"1000-{len(blob_b)-1}"})
check("PATCH request with final chunk should return 202", s == 202, s)
s, h, _ = req("PUT", with_query(loc(h), digest=digest(blob_b)), b"", {"Content-Type": "application/octet-stream"})
check("PUT request with no body should return 201", s == 201, s)
s, _, d = req("GET", f"/v2/{ns}/blobs/{digest(blob_b)}")
check("chunked blob reads back whole", s == 200 and d == blob_b, s)

blob_c = os.urandom(2000)
s, h, _ = req("POST", f"/v2/{ns}/blobs/uploads/", b"", {"Content-Length": "0"})
s, h, _ = req("PATCH", loc(h), blob_c[:500], {"Content-Type": "application/octet-stream", "Content-Range": "0-499"})
s, h, _ = req("PUT", with_query(loc(h), digest=digest(blob_c)), blob_c[500:],
              {"Content-Type": "application/octet-stream", "Content-Range": f"500-{len(blob_c)-1}"})
check("PUT request with final chunk should return 201", s == 201, s)
s, h, _ = req("POST", f"/v2/{ns}/blobs/uploads/")
s, _, d = req("PUT", with_query(loc(h), digest=digest(b"other")), b"not other", {"Content-Type": "application/octet-stream"})
check("PUT with a wrong digest should return 400 DIGEST_INVALID", s == 400 and error_code(d) == "DIGEST_INVALID", (s, d))
s, h, _ = req("POST", f"/v2/{ns}/blobs/uploads/")
up = loc(h)
s, _, _ = req("DELETE", up)
check("DELETE upload should cancel it (204)", s == 204, s)
s, _, d = req("GET", up)
check("GET cancelled upload should return 404 BLOB_UPLOAD_UNKNOWN", s == 404 and error_code(d) == "BLOB_UPLOAD_UNKNOWN", s)

# --- cross-repository mount ---------------------------------------------------------------------
s, h, _ = req("POST", with_query(f"/v2/{ns2}/blobs/uploads/", mount=digest(layer), **{"from": ns}))
check("POST request to mount another repository's blob should return 201", s == 201 and h.get("location"), s)
s, _, _ = req("GET", f"/v2/{ns2}/blobs/{digest(layer)}")
check("GET request to test digest within cross-mount namespace should return 200", s == 200, s)
s, h, _ = req("POST", with_query(f"/v2/{ns2}/blobs/uploads/", mount=digest(b"nope"), **{"from": ns}))
check("Cross-mounting of nonexistent blob should yield session id (202)", s == 202 and h.get("location"), s)
s, h, _ = req("POST", with_query(f"/v2/{ns2}-auto/blobs/uploads/", mount=digest(config)))
check("Cross-mounting without from (automatic content discovery) should return 201", s == 201, s)

# --- manifests ----------------------------------------------------------------------------------
s, _, _ = req("GET", f"/v2/{ns}/manifests/nonexistent")
check("GET nonexistent manifest should return 404", s == 404, s)
ok = True
for i in range(4):
    s, h, _ = put_manifest(ns, f"test{i}", manifest)
    ok = ok and s == 201 and h.get("location") and h.get("docker-content-digest") == mdigest
check("PUT should accept a manifest upload (4 tags)", ok)
s, h, d = req("GET", f"/v2/{ns}/manifests/{mdigest}", headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
check("GET request to manifest URL (digest) should yield 200 response", s == 200 and d == manifest, s)
check("GET manifest returns its media type", h.get("content-type") == "application/vnd.oci.image.manifest.v1+json", h.get("content-type"))
s, h, d = req("HEAD", f"/v2/{ns}/manifests/test0")
check("HEAD request to manifest path (tag) should yield 200 response", s == 200 and h.get("docker-content-digest") == mdigest and h.get("content-length") == str(len(manifest)), s)
s, h, _ = req("HEAD", f"/v2/{ns}/manifests/{mdigest}")
check("HEAD request to manifest path (digest) should yield 200 response", s == 200, s)
s, _, _ = req("HEAD", f"/v2/{ns}/manifests/nonexistent")
check("HEAD request to nonexistent manifest should return 404", s == 404, s)
# The Go suite's nonexistent manifest is ".INVALID_MANIFEST_NAME", which is not a valid tag.
s, _, d = req("GET", f"/v2/{ns}/manifests/.INVALID_MANIFEST_NAME")
check("GET manifest under an invalid tag should return 404 MANIFEST_UNKNOWN",
      s == 404 and error_code(d) == "MANIFEST_UNKNOWN", (s, d))
s, _, _ = req("HEAD", f"/v2/{ns}/manifests/.INVALID_MANIFEST_NAME")
check("HEAD manifest under an invalid tag should return 404", s == 404, s)
s, _, d = put_manifest(ns, ".INVALID_MANIFEST_NAME", manifest)
check("PUT manifest under an invalid tag should return 400 MANIFEST_INVALID",
      s == 400 and error_code(d) == "MANIFEST_INVALID", (s, d))


def head_then_get(path):
    """HEAD then GET on one kept-alive connection, reading the raw bytes: a body sent with the
    HEAD answer would show up as the start of the GET's answer."""
    import socket
    sock = socket.create_connection((u.hostname, u.port or 80), timeout=10)
    host = f"{u.hostname}:{u.port}"
    sock.sendall(f"HEAD {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(65536)
    sock.sendall(f"GET /v2/ HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
    rest = head.split(b"\r\n\r\n", 1)[1]
    while True:
        b = sock.recv(65536)
        if not b:
            break
        rest += b
    sock.close()
    return head.split(b"\r\n", 1)[0], rest


for what, path in [("unknown blob", f"/v2/{ns}/blobs/{digest(b'none')}"),
                   ("invalid tag", f"/v2/{ns}/manifests/.INVALID_MANIFEST_NAME"),
                   ("unknown repository", "/v2/no/such/repo/manifests/latest"),
                   ("bad digest", f"/v2/{ns}/blobs/sha256:xyz")]:
    status, rest = head_then_get(path)
    check(f"HEAD of an {what} answers {status.decode()} without a body",
          rest.startswith(b"HTTP/1.1 200"), rest[:80])
s, h, _ = req("HEAD", f"/v2/{ns}/blobs/{digest(config)}")
check("HEAD request to existing blob should yield 200", s == 200 and h.get("docker-content-digest") == digest(config) and h.get("content-length") == str(len(config)), s)
s, _, _ = req("HEAD", f"/v2/{ns}/blobs/{digest(b'none')}")
check("HEAD request to nonexistent blob should result in 404 response", s == 404, s)
s, h, d = req("GET", f"/v2/{ns}/blobs/{digest(layer)}", headers={"Range": "bytes=10-19"})
check("GET blob with Range yields 206 and those bytes", s == 206 and d == layer[10:20] and h.get("content-range") == f"bytes 10-19/{len(layer)}", s)
s, _, d = req("PUT", f"/v2/{ns}/manifests/sha256:totallywrong", b"{}", {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
check("400 response body should contain OCI-conforming JSON message", s in (400, 404) and error_code(d) in
      ("BLOB_UNKNOWN", "BLOB_UPLOAD_INVALID", "BLOB_UPLOAD_UNKNOWN", "DIGEST_INVALID", "MANIFEST_BLOB_UNKNOWN", "MANIFEST_INVALID",
       "MANIFEST_UNKNOWN", "NAME_INVALID", "NAME_UNKNOWN", "SIZE_INVALID", "UNAUTHORIZED", "DENIED", "UNSUPPORTED", "TOOMANYREQUESTS"), (s, d))
s, _, d = put_manifest(ns, "bad", b"{not json")
check("invalid JSON manifest yields 400 MANIFEST_INVALID", s == 400 and error_code(d) == "MANIFEST_INVALID", (s, d))
missing = manifest_of(config, [os.urandom(10)])
s, _, d = put_manifest(ns, "missing", missing)
check("manifest with an unknown layer yields 400 MANIFEST_BLOB_UNKNOWN", s == 400 and error_code(d) == "MANIFEST_BLOB_UNKNOWN", (s, d))
s, _, d = put_manifest(ns, digest(b"not this"), manifest)
check("manifest PUT by a digest that does not match yields 400 DIGEST_INVALID", s == 400 and error_code(d) == "DIGEST_INVALID", (s, d))
s, _, d = req("GET", "/v2/UPPER/manifests/x")
check("invalid repository name yields 400 NAME_INVALID", s == 400 and error_code(d) == "NAME_INVALID", (s, d))
nolayers = manifest_of(config, [])
s, _, _ = put_manifest(ns, "nolayers", nolayers)
check("Registry should accept a manifest upload with no layers", s == 201, s)
index = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                    "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": mdigest, "size": len(manifest),
                                   "platform": {"architecture": "amd64", "os": "linux"}}]}).encode()
s, h, _ = put_manifest(ns, "index", index, "application/vnd.oci.image.index.v1+json")
check("PUT an image index of stored manifests yields 201", s == 201, s)
s, h, _ = req("GET", f"/v2/{ns}/manifests/index")
check("GET an index returns the index media type", s == 200 and h.get("content-type") == "application/vnd.oci.image.index.v1+json", (s, h.get("content-type")))

# --- referrers ------------------------------------------------------------------------------------
push_blob(ns, empty_json)
ref_blob = os.urandom(100)
push_blob(ns, ref_blob)
subject = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": mdigest, "size": len(manifest)}
ra = manifest_of(config, [ref_blob], cfg_type="application/vnd.example.a", subject=subject, annotations={"org.example": "a"})
rb = manifest_of(empty_json, [ref_blob], cfg_type="application/vnd.oci.empty.v1+json", artifactType="application/vnd.example.b",
                 subject=subject, annotations={"org.example": "b"})
missing_subject = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest(b"missing manifest"), "size": 10}
rc = manifest_of(empty_json, [ref_blob], cfg_type="application/vnd.oci.empty.v1+json", artifactType="application/vnd.example.a",
                 subject=missing_subject, annotations={"org.example": "c"})
for body, subj in ((ra, mdigest), (rb, mdigest), (rc, missing_subject["digest"])):
    s, h, _ = put_manifest(ns, digest(body), body)
    check("manifest with a subject is accepted with OCI-Subject", s == 201 and h.get("oci-subject") == subj, (s, h.get("oci-subject")))
s, h, d = req("GET", f"/v2/{ns}/referrers/{digest(b'nothing refers')}")
check("GET referrers of a nonexistent blob should result in empty 200 response",
      s == 200 and h.get("content-type") == "application/vnd.oci.image.index.v1+json" and json.loads(d)["manifests"] == [], s)
s, h, d = req("GET", f"/v2/{ns}/referrers/{mdigest}")
got = json.loads(d)["manifests"] if s == 200 else []
check("GET referrers of an existing manifest should yield 200 with both",
      s == 200 and sorted(m["digest"] for m in got) == sorted([digest(ra), digest(rb)]) and
      all(len(m.get("annotations", {})) == 1 for m in got), (s, d))
check("referrer descriptors carry artifactType",
      sorted(m.get("artifactType") for m in got) == ["application/vnd.example.a", "application/vnd.example.b"], got)
s, h, d = req("GET", with_query(f"/v2/{ns}/referrers/{mdigest}", artifactType="application/vnd.example.a"))
got = json.loads(d)["manifests"] if s == 200 else []
check("GET referrers with artifactType filter yields the match and OCI-Filters-Applied",
      s == 200 and [m["digest"] for m in got] == [digest(ra)] and h.get("oci-filters-applied") == "artifactType", (s, d, h))
s, h, d = req("GET", f"/v2/{ns}/referrers/{missing_subject['digest']}")
got = json.loads(d)["manifests"] if s == 200 else []
check("GET referrers of a missing manifest should yield 200 with its referrer", s == 200 and [m["digest"] for m in got] == [digest(rc)], (s, d))

# --- tags and catalog -----------------------------------------------------------------------------
s, _, d = req("GET", f"/v2/{ns}/tags/list")
tags = json.loads(d)["tags"] if s == 200 else []
check("GET request to list tags should yield 200 response", s == 200 and tags == sorted(tags) and "test0" in tags, (s, d))
n = len(tags) // 2
s, h, d = req("GET", f"/v2/{ns}/tags/list?n={n}")
page = json.loads(d)["tags"] if s == 200 else []
check("GET number of tags should be limitable by `n` query parameter", s == 200 and len(page) == n and page == tags[:n], (s, d))
check("a partial tag list carries a Link header", 'rel="next"' in h.get("link", ""), h.get("link"))
last = page[-1] if page else "test0"
s, _, d = req("GET", f"/v2/{ns}/tags/list?n={n}&last={last}")
page2 = json.loads(d)["tags"] if s == 200 else []
check("GET start of tag is set by `last` query parameter", s == 200 and page2 == tags[n:2 * n] and last not in page2, (s, d))
s, _, d = req("GET", "/v2/no/such/repo/tags/list")
check("tags of an unknown repository yield 404 NAME_UNKNOWN", s == 404 and error_code(d) == "NAME_UNKNOWN", (s, d))
s, h, d = req("GET", "/v2/_catalog")
repos = json.loads(d)["repositories"] if s == 200 else []
check("GET /v2/_catalog lists the repositories", s == 200 and ns in repos and ns2 in repos and repos == sorted(repos), (s, d))
s, h, d = req("GET", "/v2/_catalog?n=1")
check("GET /v2/_catalog?n=1 paginates with a Link header", s == 200 and len(json.loads(d)["repositories"]) == 1 and 'rel="next"' in h.get("link", ""), (s, d))

# --- content management ---------------------------------------------------------------------------
s, _, d = req("GET", f"/v2/{ns}/tags/list")
before = len(json.loads(d).get("tags") or []) if s == 200 else 0
s, _, _ = req("DELETE", f"/v2/{ns}/manifests/test3")
check("DELETE request to manifest tag should return 202", s == 202, s)
s, _, d = req("GET", f"/v2/{ns}/tags/list")
check("GET request to tags list should reflect tag deletion", s == 200 and len(json.loads(d)["tags"]) == before - 1, d)
s, _, _ = req("GET", f"/v2/{ns}/manifests/{mdigest}")
check("the manifest survives the deletion of one of its tags", s == 200, s)
s, _, _ = req("DELETE", f"/v2/{ns}/manifests/{digest(ra)}")
check("DELETE request to manifest (digest) should yield 202 response", s == 202, s)
s, _, _ = req("GET", f"/v2/{ns}/manifests/{digest(ra)}")
check("GET request to deleted manifest URL should yield 404 response", s == 404, s)
s, _, d = req("GET", f"/v2/{ns}/referrers/{mdigest}")
check("a deleted referrer leaves the referrers list", s == 200 and [m["digest"] for m in json.loads(d)["manifests"]] == [digest(rb)], d)
s, _, _ = req("DELETE", f"/v2/{ns}/blobs/{digest(blob_a)}")
check("DELETE request to blob URL should yield 202 response", s == 202, s)
s, _, _ = req("GET", f"/v2/{ns}/blobs/{digest(blob_a)}")
check("GET request to deleted blob URL should yield 404 response", s == 404, s)
s, _, _ = req("DELETE", f"/v2/{ns}/manifests/{mdigest}")
s, _, d = req("GET", f"/v2/{ns}/tags/list")
check("deleting a manifest by digest removes the tags that named it", s == 200 and not any(t.startswith("test") for t in json.loads(d)["tags"] or []), d)

failed = results.count(False)
print(f"{len(results) - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
