#!/usr/bin/python3
"""A real HTTP receiver for webhook_test (Python standard library only).

Listens on 127.0.0.1 at a free port and prints that port as the first line on
stdout. Every request is recorded as one JSON file in --record-dir (method,
path, headers, the raw body as hex, and the outcome of checking the Standard
Webhooks signature with Python's own hmac/hashlib/base64, independently of the
C++ signer). The response depends on the path:

  /ok         204 No Content          /ok200     200 with a small body
  /fail500    500                     /bad400    400
  /gone       410 Gone                /redirect  302 to /ok
  /busy       503, Retry-After: 120   /busy-date 503, Retry-After: HTTP-date now + 120 s
  /throttle   429, Retry-After: 7     /big       200 with a 1 MiB body
  /slow       records, then sleeps --slow-seconds before answering 200
  /reset      reads the request, then closes with SO_LINGER 0 (TCP RST, no response)
  anything else: the --default-mode path's behaviour (404 when not given)

The process exits by itself when the test that started it is gone (its
parent process changes), and after --lifetime seconds in any case, so that a
crashed test cannot leave it running or holding ctest's output open.
"""
import argparse
import base64
import email.utils
import hashlib
import hmac
import json
import os
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

TOLERANCE_SECONDS = 5 * 60


def secret_key(secret):
    if not secret.startswith("whsec_"):
        raise ValueError("secret must start with whsec_")
    return base64.b64decode(secret[len("whsec_"):], validate=True)


def check_signatures(keys, headers, body):
    """Returns (per-signature matches, per-secret verified, timestamp_ok)."""
    msg_id = headers.get("webhook-id", "")
    ts = headers.get("webhook-timestamp", "")
    sig_header = headers.get("webhook-signature", "")
    signed = msg_id.encode() + b"." + ts.encode() + b"." + body
    expected = [base64.b64encode(hmac.new(k, signed, hashlib.sha256).digest()).decode() for k in keys]
    entries = []
    for entry in sig_header.split(" "):
        if not entry:
            continue
        version, _, sig = entry.partition(",")
        match = None
        if version == "v1":
            for i, want in enumerate(expected):
                if hmac.compare_digest(sig.encode(), want.encode()):
                    match = i
        entries.append({"entry": entry, "version": version, "matches_secret": match})
    per_secret = [any(e["matches_secret"] == i for e in entries) for i in range(len(keys))]
    try:
        timestamp_ok = ts.isdigit() and abs(time.time() - int(ts)) <= TOLERANCE_SECONDS
    except ValueError:
        timestamp_ok = False
    return entries, per_secret, timestamp_ok


class Handler(BaseHTTPRequestHandler):
    server_version = "JourneyTestReceiver/1"

    def log_message(self, fmt, *args):  # keep the test output clean
        pass

    def _record(self, body):
        srv = self.server
        entries, per_secret, timestamp_ok = check_signatures(srv.keys, self.headers, body)
        with srv.lock:
            srv.seq += 1
            seq = srv.seq
        record = {
            "seq": seq,
            "method": self.command,
            "path": self.path,
            "request_version": self.request_version,
            "headers": [[k, v] for k, v in self.headers.items()],
            "body_hex": body.hex(),
            "signatures": entries,
            "verified_per_secret": per_secret,
            "verified": bool(per_secret) and any(per_secret),
            "timestamp_ok": timestamp_ok,
        }
        name = os.path.join(srv.record_dir, "%06d.json" % seq)
        with open(name + ".tmp", "w", encoding="utf-8") as f:
            json.dump(record, f)
        os.replace(name + ".tmp", name)  # readers never see half a file

    def _send(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0") or "0")
        body = self.rfile.read(length) if length > 0 else b""
        self._record(body)
        mode = urlsplit(self.path).path
        if mode not in MODES:
            mode = self.server.default_mode
        try:
            MODES.get(mode, lambda h: h._send(404, b"no such receiver path\n"))(self)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test)

    do_PUT = do_POST
    do_GET = do_POST

    def _reset(self):
        sock = self.connection
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        os.close(sock.detach())  # linger 0: the kernel sends RST, not FIN
        self.close_connection = True


def _slow(h):
    time.sleep(h.server.slow_seconds)
    h._send(200, b"too late\n")


MODES = {
    "/ok": lambda h: h._send(204),
    "/ok200": lambda h: h._send(200, b"thanks\n", [("Content-Type", "text/plain")]),
    "/fail500": lambda h: h._send(500, b"internal error in receiver\n"),
    "/bad400": lambda h: h._send(400, b"bad request\n"),
    "/gone": lambda h: h._send(410, b"endpoint disabled\n"),
    "/redirect": lambda h: h._send(302, b"", [("Location", "/ok")]),
    "/busy": lambda h: h._send(503, b"busy\n", [("Retry-After", "120")]),
    "/busy-date": lambda h: h._send(
        503, b"busy\n", [("Retry-After", email.utils.formatdate(time.time() + 120, usegmt=True))]),
    "/throttle": lambda h: h._send(429, b"slow down\n", [("Retry-After", "7")]),
    "/big": lambda h: h._send(200, b"x" * (1024 * 1024)),
    "/slow": _slow,
    "/reset": lambda h: h._reset(),
}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--record-dir", required=True)
    p.add_argument("--secret", action="append", default=[],
                   help="whsec_ secret to verify with (repeatable)")
    p.add_argument("--default-mode", default="", help="behaviour for unknown paths, e.g. /ok")
    p.add_argument("--slow-seconds", type=float, default=5.0)
    p.add_argument("--lifetime", type=float, default=600.0)
    args = p.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.keys = [secret_key(s) for s in args.secret]
    server.record_dir = args.record_dir
    server.default_mode = args.default_mode
    server.slow_seconds = args.slow_seconds
    server.seq = 0
    server.lock = threading.Lock()

    timer = threading.Timer(args.lifetime, lambda: os._exit(3))
    timer.daemon = True
    timer.start()

    parent = os.getppid()

    def orphaned():
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(4)

    threading.Thread(target=orphaned, daemon=True).start()

    sys.stdout.write("%d\n" % server.server_address[1])
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
