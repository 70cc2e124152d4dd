#!/usr/bin/env python3
"""A webhook receiver for the tests and the benchmark: verifies every request with the reference Standard
Webhooks library (PyPI `standardwebhooks`, pinned in scripts/test.sh) and appends one JSON line per request to
--log: {"id", "type", "file_id", "verified": [index of each secret that verifies], "status", "at"}.

It answers the status in --status-file when that file exists (e.g. 500 or 410; "429:5" adds Retry-After: 5;
"500@med_…" fails only that file's events; "~0.5" delays each answer by 0.5 s), else 204 — and 401 when no secret verifies. Prints "port N" once listening (--port 0 picks a free port).
"""
import argparse
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=0)
parser.add_argument("--secrets", default="", help="comma-separated whsec_ secrets")
parser.add_argument("--log", required=True)
parser.add_argument("--status-file", default=None)
parser.add_argument("--no-verify", action="store_true", help="answer 204 without verifying (the load generator's ceiling)")
args = parser.parse_args()

hooks = [Webhook(s) for s in args.secrets.split(",") if s]
lock = threading.Lock()
log = open(args.log, "a", buffering=1)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_POST(self):
        length = int(self.headers.get("content-length", "0"))
        body = self.rfile.read(length)
        if args.no_verify:
            self.answer(204, None)
            return
        headers = {k: v for k, v in self.headers.items()}
        verified = []
        payload = None
        for i, hook in enumerate(hooks):
            try:
                payload = hook.verify(body, headers)
                verified.append(i)
            except Exception:
                pass
        status, retry_after, delay = 204, None, 0.0
        file_id = (payload.get("data") or {}).get("file_id") if payload else None
        if not verified:
            status = 401
        elif args.status_file and os.path.exists(args.status_file):
            # STATUS[:RETRY_AFTER][@FILE_ID][~DELAY_SECONDS]; with @FILE_ID only that file's events get STATUS.
            text = open(args.status_file).read().strip()
            if "~" in text:
                text, d = text.split("~", 1)
                delay = float(d)
            only = None
            if "@" in text:
                text, only = text.split("@", 1)
            if text and (only is None or only == file_id):
                parts = text.split(":")
                status = int(parts[0])
                retry_after = parts[1] if len(parts) > 1 else None
        if delay:
            time.sleep(delay)
        entry = {
            "id": headers.get("webhook-id") or headers.get("Webhook-Id"),
            "type": payload.get("type") if payload else None,
            "file_id": (payload.get("data") or {}).get("file_id") if payload else None,
            "verified": verified,
            "signatures": len((headers.get("webhook-signature") or headers.get("Webhook-Signature") or "").split(" ")),
            "status": status,
            "at": time.time(),
        }
        with lock:
            log.write(json.dumps(entry) + "\n")
        self.answer(status, retry_after)

    def answer(self, status, retry_after):
        self.send_response(status)
        if retry_after:
            self.send_header("Retry-After", retry_after)
        self.send_header("Content-Length", "2" if status != 204 else "0")
        self.end_headers()
        if status != 204:
            self.wfile.write(b"no")


server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
server.daemon_threads = True
print(f"port {server.server_address[1]}", flush=True)
server.serve_forever()
