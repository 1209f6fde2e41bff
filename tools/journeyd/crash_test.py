#!/usr/bin/python3
"""journeyd killed with SIGKILL under HTTP load, again and again.

Usage: crash_test.py JOURNEYD JOURNEYCTL [ROUNDS]

Each round starts journeyd on the same data folder, lets 8 clients register
hires and record their first day as fast as they can (every request with its
own Idempotency-Key), and kills the process with SIGKILL at a random moment.
After every restart:
  - every command that got a 2xx is in the log (the hire exists, its first
    day is recorded, the name is the one sent);
  - requests that got no answer are retried with the same Idempotency-Key:
    each is then in the log exactly once (never twice);
  - GET /v1/audit/verify says the chain holds.
At the end journeyctl verify checks the whole log offline.
"""
import http.client
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_test import Journeyd, command, every_page  # noqa: E402

JOURNEYD, JOURNEYCTL = sys.argv[1], sys.argv[2]
ROUNDS = int(sys.argv[3]) if len(sys.argv) > 3 else 15
CLIENTS = 8


def call(conn, method, path, token, body=None, key=None):
    st, _, b = command(conn, method, path, token, body, key)
    return st, b


def main():
    data = tempfile.mkdtemp(prefix="journeyd-crash-")
    acked = {}      # idempotency key -> (kind, name, hire id)
    unanswered = {}  # idempotency key -> (kind, body, path)
    lock = threading.Lock()
    errors = []
    last_round = set()
    total_killed_in_flight = 0
    try:
        for round_ in range(ROUNDS):
            server = Journeyd(data=data)
            token = server.admin
            # Every command acknowledged in the last round is there (and a
            # sample of older ones; the final check below reads them all).
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            older = [k for k in acked if k not in last_round]
            check = list(last_round) + random.sample(older, min(300, len(older)))
            for key in check:
                kind, name, hire = acked[key]
                st, s = call(conn, "GET", f"/v1/hires/{hire}", token)
                assert st == 200, f"round {round_}: acknowledged {key} lost: {st} {s}"
                assert s["name"] == name, (key, s["name"], name)
                if kind == "started":
                    assert s["lifecycle"] != "Preboarding", f"{key}: first day lost: {s}"
            # Retry what got no answer: the same key must not do it twice.
            for key, (kind, body, path, name) in list(unanswered.items()):
                st, b = call(conn, "POST", path, token, body, key)
                assert st == 201, (key, st, b)
                acked[key] = (kind, name, b["hire"])
                del unanswered[key]
                last_round.add(key)
            last_round = set()
            # Every page: the list comes 100 at a time.
            st, hires = every_page(conn, "/v1/hires?limit=500", token)
            assert st == 200, st
            assert len(hires) >= len({v[2] for v in acked.values()}), (len(hires), len(acked))
            names = [h["name"] for h in hires]
            dupes = {n for n in names if names.count(n) > 1}
            assert not dupes, f"round {round_}: registered twice: {sorted(dupes)[:5]}"
            st, v = call(conn, "GET", "/v1/audit/verify", token)
            assert st == 200 and v["ok"], v
            conn.close()

            stop = threading.Event()

            def client(cid):
                try:
                    load(cid)
                except AssertionError as e:
                    errors.append(repr(e))

            def load(cid):
                c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
                n = 0
                while not stop.is_set():
                    n += 1
                    name = f"Krasch {round_}-{cid}-{n}"
                    key = f"crash/{round_}/{cid}/{n}/reg"
                    body = {"name": name, "email": f"k{round_}x{cid}x{n}@example.se",
                            "unit": "Barn och unga Väster", "start": "2026-09-01"}
                    with lock:
                        unanswered[key] = ("register", body, "/v1/hires", name)
                    try:
                        st, b = call(c, "POST", "/v1/hires", token, body, key)
                    except Exception:
                        return
                    assert st == 201, (st, b)
                    with lock:
                        del unanswered[key]
                        acked[key] = ("register", name, b["hire"])
                        last_round.add(key)
                    skey = f"crash/{round_}/{cid}/{n}/started"
                    sbody = {"kind": "started", "on": "2026-09-01"}
                    spath = f"/v1/hires/{b['hire']}/events"
                    with lock:
                        unanswered[skey] = ("started", sbody, spath, name)
                    try:
                        st, sb = call(c, "POST", spath, token, sbody, skey)
                    except Exception:
                        return
                    assert st == 201, (st, sb)
                    with lock:
                        del unanswered[skey]
                        acked[skey] = ("started", name, b["hire"])
                        last_round.add(skey)

            threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
            for t in threads:
                t.start()
            time.sleep(random.uniform(0.3, 1.5))
            server.proc.send_signal(signal.SIGKILL)
            server.proc.wait()
            stop.set()
            for t in threads:
                t.join()
            assert not errors, errors
            total_killed_in_flight += len(unanswered)
            print(f"round {round_ + 1}/{ROUNDS}: {len(acked)} acknowledged so far, "
                  f"{len(unanswered)} in flight at the kill", flush=True)

        # Final check, offline.
        server = Journeyd(data=data)
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        for key, (kind, name, hire) in acked.items():
            st, s = call(conn, "GET", f"/v1/hires/{hire}", server.admin)
            assert st == 200 and s["name"] == name, (key, st)
        conn.close()
        assert server.stop() == 0
        p = subprocess.run([JOURNEYCTL, "--data", data, "verify"], capture_output=True, text=True)
        print(p.stdout.strip())
        assert p.returncode == 0, p.stdout + p.stderr
        print(f"OK: {ROUNDS} SIGKILLs under load; {len(acked)} acknowledged commands all in the "
              f"log; {total_killed_in_flight} unanswered requests retried with their keys, "
              f"none twice; the chain verifies.")
    finally:
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
