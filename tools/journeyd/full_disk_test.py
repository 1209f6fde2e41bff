#!/usr/bin/python3
"""journeyd on a small tmpfs until the disk is full, then with space again.

Usage: full_disk_test.py JOURNEYD JOURNEYCTL [SIZE_MIB]

Needs root (it mounts a tmpfs of SIZE_MIB, default 16, under a temporary
folder, and unmounts it at the end). Before, journeyd died with SIGABRT inside
RocksDB's own info log on such a disk, and did not start again while it was
full. This test checks, against the real journeyd:
  - 8 clients register hires and record their first day, each request with
    its own Idempotency-Key, until every command answers 507 (problem+json,
    code storage_full); the process never dies;
  - while full: /healthz, /readyz (status degraded, writing false, the reason)
    and reads of every acknowledged hire work;
  - journeyd is stopped and started again on the disk filled to the last
    byte: it comes up (the log opens read-only), serves the same reads and
    answers commands 507;
  - space is freed (the tmpfs grows) and journeyd restarted, the documented
    rule for writing to resume: every acknowledged command is there (0 lost),
    every command that got 507 or no answer is retried with its key and lands
    exactly once, and the chain verifies (API and journeyctl).
"""
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_test import Journeyd, command  # noqa: E402

JOURNEYD, JOURNEYCTL = sys.argv[1], sys.argv[2]
SIZE_MIB = int(sys.argv[3]) if len(sys.argv) > 3 else 16
CLIENTS = 8
UNIT = "Barn och unga Väster"
SMALL_UNIT = "Barn och unga Öster"  # two hires: a list that is cheap to read back


call = command


def start(data):
    return Journeyd(data=data, env={"JOURNEY_SCHEDULER_ENABLED": "true",
                                    "JOURNEY_SCHEDULER_INTERVAL_SECONDS": "1"})


def main():
    if os.geteuid() != 0:
        print("FAIL: full_disk_test.py mounts a tmpfs and must run as root")
        return 1
    mnt = tempfile.mkdtemp(prefix="journeyd-full-disk-")
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SIZE_MIB}m,mode=0700", "tmpfs", mnt],
                   check=True)
    data = os.path.join(mnt, "data")
    server = None
    try:
        server = start(data)
        token = server.admin
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        for unit in (UNIT, SMALL_UNIT):
            st, _, b = call(conn, "PUT", "/v1/units/" + urllib.parse.quote(unit), token,
                            {"unit_head": {"name": "Anna", "email": "anna@example.se"},
                             "administrator": {"name": "Omar", "email": "omar@example.se"}})
            assert st == 200, (st, b)
        for n in range(2):
            st, _, b = call(conn, "POST", "/v1/hires", token,
                            {"name": f"Liten {n}", "email": f"liten{n}@example.se",
                             "unit": SMALL_UNIT, "start": "2026-09-01"})
            assert st == 201, (st, b)

        acked = {}        # key -> (kind, name, hire)
        to_retry = {}     # key -> (kind, path, body, name): 507 or no answer
        lock = threading.Lock()
        full_answers = []
        stop = threading.Event()
        errors = []

        def load(cid):
            c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            n = 0
            streak = 0
            while not stop.is_set() and streak < 20:
                n += 1
                name = f"Full {cid}-{n}"
                steps = [("register", "/v1/hires", {"name": name, "email": f"f{cid}x{n}@example.se",
                                                    "unit": UNIT, "start": "2026-09-01"})]
                hire = None
                for kind, path, body in steps + [("started", None, {"kind": "started",
                                                                    "on": "2026-09-01"})]:
                    key = f"full/{cid}/{n}/{kind}"
                    if kind == "started":
                        if hire is None:
                            break
                        path = f"/v1/hires/{hire}/events"
                    with lock:
                        to_retry[key] = (kind, path, body, name)
                    st, _, b = call(c, "POST", path, token, body, key)
                    if st == 201:
                        streak = 0
                        hire = b["hire"]
                        with lock:
                            del to_retry[key]
                            acked[key] = (kind, name, hire)
                    elif st == 507:
                        streak += 1
                        assert b["code"] == "storage_full", b
                        full_answers.append(b)
                        break
                    else:
                        raise AssertionError((key, st, b))

        def client(cid):
            try:
                load(cid)
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(repr(e))

        threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
        t0 = time.time()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=600)
        stop.set()
        # Whether journeyd is alive first: a client's "no answer" says little
        # without the server's last words.
        assert server.proc.poll() is None, (f"journeyd died ({server.proc.returncode}):\n"
                                            + "".join(server.output[-30:]))
        assert not errors, (errors[:3], "".join(server.output[-30:]))
        assert full_answers, "the disk never filled"
        print(f"filled {SIZE_MIB} MiB in {time.time() - t0:.1f} s: {len(acked)} acknowledged, "
              f"{len(to_retry)} answered 507; journeyd is still up", flush=True)

        def reads_work(conn, where):
            st, _, _ = call(conn, "GET", "/healthz", token)
            assert st == 200, where
            st, _, r = call(conn, "GET", "/readyz", token)
            assert st == 200 and r["status"] == "degraded" and r["writing"] is False, (where, r)
            assert "space" in r["writes_refused"].lower() or "full" in r["writes_refused"], r
            st, _, hires = call(conn, "GET", "/v1/hires?unit=" + urllib.parse.quote(SMALL_UNIT),
                                token)
            assert st == 200 and len(hires) == 2, (where, st, hires)
            for key, (kind, name, hire) in list(acked.items())[::100]:
                st, _, s = call(conn, "GET", f"/v1/hires/{hire}", token)
                assert st == 200 and s["name"] == name, (where, key, st)
            st, h, b = call(conn, "POST", "/v1/hires", token,
                            {"name": "Efter", "email": "efter@example.se", "unit": UNIT,
                             "start": "2026-09-01"}, key="full/after")
            assert st == 507 and h.get("Content-Type", "").startswith("application/problem+json"), \
                (where, st, b)
            return r

        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        r = reads_work(conn, "while full")
        print("while full: reads work, /readyz says", json.dumps(r, ensure_ascii=False))
        conn.close()
        assert server.stop() == 0, "".join(server.output[-30:])
        assert not any("Assertion" in line for line in server.output), server.output[-30:]

        # Stopping cut the zeros off the WAL's tail, which freed a little:
        # fill the rest, so that the start meets a disk with no byte free.
        try:
            with open(os.path.join(mnt, "filler"), "wb") as f:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
        except OSError:
            pass  # full to the last byte (the views may have taken what was left)
        server = start(data)  # full to the last byte
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        r = reads_work(conn, "restarted on the full disk")
        print("restarted on the full disk: up, reads work, /readyz says",
              json.dumps(r, ensure_ascii=False), flush=True)
        conn.close()
        assert server.stop() == 0, "".join(server.output[-30:])

        # Room for the retries and for the reminders that fell due for every
        # hire while the disk was full: the restart's scheduler writes them at
        # once, ~5,000 hires of one unit in one catch-up message. That message
        # used to be copied whole onto each hire's stream and filled even
        # 1 GiB; now only its first hire's record carries it (scheduler.h).
        subprocess.run(["mount", "-o", f"remount,size={SIZE_MIB * 4}m", mnt], check=True)
        server = start(data)
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        st, _, r = call(conn, "GET", "/readyz", token)
        assert r == {"status": "ready", "writing": True}, r
        # Every acknowledged command is in the log: its key replays the first
        # answer (the idempotency index is written in the same batch as the
        # events), and a sample is read back in full.
        lost = []
        for key, (kind, name, hire) in acked.items():
            path = "/v1/hires" if kind == "register" else f"/v1/hires/{hire}/events"
            body = ({"name": name, "email": "x@example.se", "unit": UNIT, "start": "2026-09-01"}
                    if kind == "register" else {"kind": "started", "on": "2026-09-01"})
            st, h, b = call(conn, "POST", path, token, body, key)
            if st != 201 or h.get("Idempotent-Replayed") != "true" or b["hire"] != hire:
                lost.append((key, st))
        for key, (kind, name, hire) in list(acked.items())[::50]:
            st, _, s = call(conn, "GET", f"/v1/hires/{hire}", token)
            if st != 200 or s["name"] != name or (kind == "started" and
                                                 s["lifecycle"] == "Preboarding"):
                lost.append((key, st))
        # Retry everything that was refused, with its key: it lands, once. A
        # registration that was refused has no hire yet for its first day.
        retried = 0
        for key, (kind, path, body, name) in sorted(to_retry.items()):
            if kind == "started":
                continue
            st, _, b = call(conn, "POST", path, token, body, key)
            assert st == 201, (key, st, b)
            st2, h2, b2 = call(conn, "POST", path, token, body, key)
            assert st2 == 201 and h2.get("Idempotent-Replayed") == "true" and \
                b2["hire"] == b["hire"], (key, st2, h2, b2)
            acked[key] = (kind, name, b["hire"])
            retried += 1
        for key, (kind, path, body, name) in sorted(to_retry.items()):
            if kind != "started":
                continue
            st, _, b = call(conn, "POST", path, token, body, key)
            assert st == 201, (key, st, b)
            retried += 1
        st, _, v = call(conn, "GET", "/v1/audit/verify", token)
        assert st == 200 and v["ok"], v
        conn.close()
        assert server.stop() == 0, "".join(server.output[-30:])
        server = None
        p = subprocess.run([JOURNEYCTL, "--data", data, "verify"], capture_output=True, text=True)
        assert p.returncode == 0, p.stdout + p.stderr
        print(p.stdout.strip())
        print(f"OK: {len(acked)} commands acknowledged in all, 0 lost; {retried} refused ones "
              f"retried with their keys, each once; the chain verifies.")
        print("1 passed, 0 failed")
        return 0
    finally:
        if server is not None:
            server.stop(signal.SIGKILL)
        subprocess.run(["umount", mnt], check=False)
        shutil.rmtree(mnt, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
