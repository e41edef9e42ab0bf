#!/usr/bin/env python3
"""A webhook endpoint for notification tests: every POST body is appended as one JSON line to
OUT (with the request's path, Content-Type and Authorization); the first FAIL requests to
FAIL_PATH are answered 500 so the sender has to retry. Prints its port on stdout once listening.

usage: webhook_receiver.py OUT [FAIL FAIL_PATH]
"""
import http.server
import json
import sys
import threading

out_path = sys.argv[1]
fail_left = [int(sys.argv[2]) if len(sys.argv) > 2 else 0]
fail_path = sys.argv[3] if len(sys.argv) > 3 else "/"
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with lock:
            failing = self.path == fail_path and fail_left[0] > 0
            if self.path == fail_path:
                fail_left[0] -= 1
            with open(out_path, "a") as f:
                f.write(json.dumps({"failed": failing, "path": self.path,
                                    "content_type": self.headers.get("Content-Type"),
                                    "authorization": self.headers.get("Authorization"),
                                    "body": json.loads(body)}) + "\n")
        self.send_response(500 if failing else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(srv.server_address[1], flush=True)
srv.serve_forever()
