#!/usr/bin/python3
"""A real SMTP server for the mail adapter's tests (aiosmtpd), plus a decoder.

Run it with Debian's /usr/bin/python3: python3-aiosmtpd is installed for that
interpreter only.

  smtp_server.py serve --spool DIR [options]
      Listens on 127.0.0.1 on a free port and prints that port on stdout as
      the first line. Every DATA it receives is stored in DIR as NNNN.eml (the
      raw bytes after dot-unstuffing, exactly as the client sent them) and
      NNNN.json (envelope, TLS/AUTH state, and the reply the server gave), in
      arrival order, each file written atomically. Exits on SIGTERM/SIGINT or
      when its standard input reaches end-of-file (so it dies with the test
      that started it even if the test crashes).

      --tls-cert F --tls-key F   offer STARTTLS with this certificate
      --implicit-tls             TLS from the first byte (smtps) instead
      --require-starttls         refuse everything but EHLO/STARTTLS before TLS
      --auth USER:PASS           offer AUTH PLAIN/LOGIN (only over TLS when a
                                 certificate is given) and require it
      --rcpt-reply "550 ..."     reply this to RCPT TO instead of 250
      --data-reply "451 ..."     reply this after DATA instead of 250 (the
                                 message is still stored, with this reply)
      --fault-count N            apply the rcpt/data fault to the first N
                                 commands only (default: all)
      --slow PHASE SECONDS       sleep before replying to PHASE (ehlo, rcpt or
                                 data; for data the message is stored first)

  smtp_server.py decode FILE
      Parses FILE with Python's email package (policy.default) and prints one
      JSON object: decoded subject, names, addresses, body, MIME headers and
      any defects the parser found. An independent decoder for the tests.
"""

import argparse
import asyncio
import json
import logging
import os
import signal
import socket
import ssl
import sys
import threading


def write_atomically(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class Handler:
    def __init__(self, args):
        self.args = args
        self.spool = args.spool
        self.count = 0
        self.rcpt_faults = 0
        self.data_faults = 0
        self.lock = threading.Lock()

    def _fault_allowed(self, used):
        return self.args.fault_count is None or used < self.args.fault_count

    async def _maybe_slow(self, phase):
        if self.args.slow and self.args.slow[0] == phase:
            await asyncio.sleep(float(self.args.slow[1]))

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        await self._maybe_slow("ehlo")
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        await self._maybe_slow("rcpt")
        if self.args.rcpt_reply and self._fault_allowed(self.rcpt_faults):
            self.rcpt_faults += 1
            return self.args.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        reply = "250 2.0.0 OK queued as journey-test"
        if self.args.data_reply and self._fault_allowed(self.data_faults):
            self.data_faults += 1
            reply = self.args.data_reply
        with self.lock:
            self.count += 1
            n = self.count
        auth = session.auth_data
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "helo": session.host_name,
            "peer_port": session.peer[1] if session.peer else None,
            "tls": session.ssl is not None or self.args.implicit_tls,
            "authenticated": bool(session.authenticated),
            "auth_user": auth.login.decode("utf-8", "replace") if auth is not None else None,
            "reply": reply,
        }
        base = os.path.join(self.spool, "%04d" % n)
        write_atomically(base + ".json", json.dumps(meta).encode())
        write_atomically(base + ".eml", envelope.original_content)
        await self._maybe_slow("data")
        return reply


def make_authenticator(user, password):
    from aiosmtpd.smtp import AuthResult, LoginPassword

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == user.encode()
            and auth_data.password == password.encode()
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    return authenticate


def serve(args):
    from aiosmtpd.controller import Controller

    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="%(asctime)s %(name)s %(message)s")
    os.makedirs(args.spool, exist_ok=True)

    # Bind first, so the port is ours before anyone learns its number.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]

    class SocketController(Controller):
        def _create_server(self):
            return self.loop.create_server(self._factory_invoker, sock=sock,
                                           ssl=self.ssl_context)

    tls_context = None
    if args.tls_cert:
        tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls_context.load_cert_chain(args.tls_cert, args.tls_key)

    kwargs = dict(decode_data=False, hostname="127.0.0.1", port=port,
                  server_hostname="journey-test-smtp")
    if args.implicit_tls:
        kwargs["ssl_context"] = tls_context
    elif tls_context is not None:
        kwargs["tls_context"] = tls_context
        kwargs["require_starttls"] = args.require_starttls
    if args.auth:
        user, _, password = args.auth.partition(":")
        kwargs["authenticator"] = make_authenticator(user, password)
        kwargs["auth_required"] = True
        # With implicit TLS aiosmtpd does not know the session is encrypted.
        kwargs["auth_require_tls"] = tls_context is not None and not args.implicit_tls

    controller = SocketController(Handler(args), **kwargs)
    controller.start()

    print(port, flush=True)

    done = threading.Event()

    def watch_stdin():
        try:
            while sys.stdin.buffer.read(4096):
                pass
        except Exception:
            pass
        done.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    while not done.wait(0.5):
        pass
    # Stored files are complete (atomic renames); nothing to flush. A handler
    # may be asleep in a slow mode, so do not wait for a graceful stop.
    os._exit(0)


def decode(path):
    from email import policy
    from email.parser import BytesParser

    with open(path, "rb") as f:
        raw = f.read()
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    defects = [repr(d) for d in msg.defects]
    for name, value in msg.items():
        defects += ["%s: %r" % (name, d) for d in getattr(value, "defects", ())]

    def address(header):
        value = msg[header]
        if value is None or not value.addresses:
            return None, None
        a = value.addresses[0]
        return a.display_name, a.addr_spec

    from_name, from_addr = address("from")
    to_name, to_addr = address("to")
    body = msg.get_content() if not msg.is_multipart() else None
    date = msg["date"]
    out = {
        "header_names": list(msg.keys()),
        "subject": str(msg["subject"]) if msg["subject"] is not None else None,
        "from_name": from_name,
        "from_addr": from_addr,
        "to_name": to_name,
        "to_addr": to_addr,
        "message_id": str(msg["message-id"]) if msg["message-id"] else None,
        "date": date.datetime.isoformat() if date is not None and date.datetime else None,
        "mime_version": str(msg["mime-version"]) if msg["mime-version"] else None,
        "content_type": msg.get_content_type(),
        "charset": msg.get_content_charset(),
        "cte": str(msg["content-transfer-encoding"]) if msg["content-transfer-encoding"] else None,
        "language": str(msg["content-language"]) if msg["content-language"] else None,
        "body": body.replace("\r\n", "\n") if body is not None else None,
        "defects": defects,
    }
    print(json.dumps(out, ensure_ascii=True))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--spool", required=True)
    s.add_argument("--tls-cert")
    s.add_argument("--tls-key")
    s.add_argument("--implicit-tls", action="store_true")
    s.add_argument("--require-starttls", action="store_true")
    s.add_argument("--auth")
    s.add_argument("--rcpt-reply")
    s.add_argument("--data-reply")
    s.add_argument("--fault-count", type=int)
    s.add_argument("--slow", nargs=2, metavar=("PHASE", "SECONDS"))
    d = sub.add_parser("decode")
    d.add_argument("file")
    args = parser.parse_args()
    if args.command == "serve":
        if args.slow and args.slow[0] not in ("ehlo", "rcpt", "data"):
            parser.error("--slow PHASE must be ehlo, rcpt or data")
        if (args.tls_cert is None) != (args.tls_key is None):
            parser.error("--tls-cert and --tls-key go together")
        if args.implicit_tls and not args.tls_cert:
            parser.error("--implicit-tls needs --tls-cert/--tls-key")
        serve(args)
    else:
        decode(args.file)


if __name__ == "__main__":
    main()
