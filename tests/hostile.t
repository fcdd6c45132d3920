#!/usr/bin/env python3
"""Hostile clients against errata serve, started for real on port 0: slowloris
connections, huge headers, huge bodies (413), invalid HTTP, pipelined
requests; while they go on, an ordinary client is served. The throughput
figures for this are measured by make soak, not asserted here."""
import os, socket, sys, threading, time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from errata_test import Tap, Client, start, stop, SCALE  # noqa: E402

t = Tap()
p, port = start()


def raw(data, read_timeout=5.0, shut=True):
    """Send bytes on a fresh connection; return what comes back before the close."""
    s = socket.create_connection(("127.0.0.1", port), timeout=read_timeout * SCALE)
    try:
        try:
            s.sendall(data)
            if shut:
                s.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the mock may answer and close before it has read everything
        out = b""
        while True:
            try:
                b = s.recv(65536)
            except OSError:
                break
            if not b:
                break
            out += b
        return out
    finally:
        s.close()


def status_of(resp):
    parts = resp.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[0].startswith(b"HTTP/1.") and parts[1].isdigit() else None


def served(n=50):
    """n documented errors over one keep-alive connection: (all right, seconds)."""
    cl = Client(port)
    t0 = time.time()
    good = 0
    for _ in range(n):
        st, _, body = cl.req("GET", "/breezeblue/v1/x", {"X-Errata-Error": "RATE_LIMITED"})
        good += st == 429 and b'"RATE_LIMITED"' in body
    return good == n, time.time() - t0


# --- slowloris ------------------------------------------------------------------------------
stop_slow = threading.Event()
slow = []
for i in range(300):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"GET /breezeblue/v1/x HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    slow.append(s)


def drip():
    while not stop_slow.wait(0.5):
        for s in slow:
            try:
                s.send(b"a")
            except OSError:
                pass


threading.Thread(target=drip, daemon=True).start()
time.sleep(1)
ok, took = served()
t.ok(ok and took < 5 * SCALE, "300 slowloris connections dripping header bytes: 50 requests of another client are served (%.2f s)" % took)

# --- huge headers, huge bodies ----------------------------------------------------------------
r = raw(b"GET /breezeblue/v1/x HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100000 + b"\r\n\r\n")
t.ok(status_of(r) in (431, 400), "a 100 KB header is refused with %s" % status_of(r), r[:120])
r = raw(b"GET /breezeblue/v1/x HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(5000)) + b"\r\n")
t.ok(status_of(r) in (431, 400), "5000 header lines are refused with %s" % status_of(r), r[:120])
t0 = time.time()
s = socket.create_connection(("127.0.0.1", port), timeout=10 * SCALE)
s.sendall(b"POST /breezeblue/v1/x HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000000000\r\n\r\n")
sent = 0
try:
    chunk = b"x" * 65536
    while sent < 8 << 20:  # keep sending: the mock must answer without reading 10 GB
        s.sendall(chunk)
        sent += len(chunk)
except OSError:
    pass
try:
    resp = s.recv(4096)
except OSError:
    resp = b""
s.close()
t.ok(status_of(resp) == 413 or (resp == b"" and sent < 8 << 20),
     "a declared 10 GB body (over the 64 MiB the mock reads and drops) is refused at once, before 8 MB are sent (%s after %.1f MB, %.2f s)"
     % ("413" if status_of(resp) == 413 else "closed", sent / 1e6, time.time() - t0), resp[:120])
r = raw(b"POST /breezeblue/v1/x HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000000\r\nExpect: 100-continue\r\n\r\n")
t.ok(status_of(r) == 413 and b"body-too-large" in r, "with Expect: 100-continue, a declared 10 GB body gets the 413 problem before any is sent", r[:160])
body = b"x" * (2 << 20)
r = raw(b"POST /breezeblue/v1/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
        b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n")
t.ok(status_of(r) == 413 and b"body-too-large" in r, "a 2 MB chunked body gets the 413 problem", r[:200])
r = raw(b"POST /breezeblue/v1/x HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
t.ok(status_of(r) == 413 and b"body-too-large" in r, "a 2 MB body with its Content-Length gets the 413 problem, not a reset", r[:200])

# --- invalid HTTP ---------------------------------------------------------------------------------
bad = {"garbage": b"\x00\x01\x02 not http at all\r\n\r\n",
       "an unknown version": b"GET /breezeblue/v1/x HTTP/9.9\r\nHost: x\r\n\r\n",
       "a header without a colon": b"GET /breezeblue/v1/x HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n",
       "a bad chunk size": b"POST /breezeblue/v1/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
       "a request line of 64 KB": b"GET /" + b"a" * 65536 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
       "a negative Content-Length": b"POST /breezeblue/v1/x HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n"}
for what, data in bad.items():
    r = raw(data)
    st = status_of(r)
    t.ok(st is None or 400 <= st < 600 and st != 500, "%s: refused (%s), nothing crashes" % (what, st or "closed"), r[:120])
t.ok(p.poll() is None, "the mock is still running after the hostile requests")

# --- pipelined requests ------------------------------------------------------------------------
# libmicrohttpd (0.9.75, Debian 12) answers the first of pipelined requests and
# then closes the connection, which RFC 9112 section 9.3.2 allows: the client
# retries what was not answered. What matters: the answers it gives are the
# right ones, in order, the connection closes rather than hangs, and nothing
# else is disturbed.
pipe = b"".join(b"GET /breezeblue/v1/x HTTP/1.1\r\nHost: x\r\nX-Errata-Error: %s\r\n\r\n" % c
                for c in (b"RATE_LIMITED", b"CONFLICT", b"GENERATION_TIMEOUT"))
t0 = time.time()
r = raw(pipe + b"GET /breezeblue/v1/ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", shut=False)
statuses = [int(x.split(b" ")[1]) for x in r.split(b"\r\n") if x.startswith(b"HTTP/1.1 ")]
t.ok(statuses and statuses == [429, 409, 504, 200][:len(statuses)] and time.time() - t0 < 4 * SCALE,
     "four pipelined requests: %d answered, in order (%s), then the connection closes (%.2f s)"
     % (len(statuses), statuses, time.time() - t0))

# --- all at once: the ordinary client is still served ----------------------------------------
stop_attack = threading.Event()


def attack(data):
    while not stop_attack.is_set():
        try:
            raw(data, read_timeout=2)
        except OSError:
            pass


attackers = [threading.Thread(target=attack, args=(d,), daemon=True) for d in
             (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100000 + b"\r\n\r\n",
              b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(200),
              b"POST /breezeblue/v1/x HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n" + b"x" * 100000)]
for a in attackers:
    a.start()
ok, took = served(100)
stop_attack.set()
t.ok(ok, "during slowloris, huge headers, a TLS hello and large bodies at once, 100 requests are served exactly (%.2f s)" % took)
stop_slow.set()
for s in slow:
    s.close()
ok, took = served(50)
t.ok(ok and p.poll() is None, "after the attack the mock serves as before (%.2f s for 50)" % took)
t.ok(stop(p, timeout=10) == 0, "and stops cleanly")
t.done()
