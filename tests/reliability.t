#!/usr/bin/env python3
"""The defect classes an adversarial review found in errata serve, one test
each, against the real mock on port 0 (docs/RELIABILITY.md lists them):
journal overflow and lost bytes, whole-value comparisons, the Idempotency-Key
race, bounded numbers and registries, and the admin API against web pages."""
import json, os, socket, subprocess, sys, tempfile, threading, time, urllib.error, urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from errata_test import Tap, Client, start, stop, run, ERRATA, SCALE  # noqa: E402

t = Tap()
p, port = start("--rate-limit", "2/m")
admin = Client(port)


def alive():
    try:
        return Client(port).get("/__errata/health")[0] == 200
    except OSError:
        return False


def raw(data, timeout=5):
    """Bytes on a fresh connection; what comes back before the close."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout * SCALE)
    s.sendall(data)
    out = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
            if b"\r\n\r\n" in out:
                head, _, rest = out.partition(b"\r\n\r\n")
                n = [int(x.split(b":")[1]) for x in head.split(b"\r\n") if x.lower().startswith(b"content-length:")]
                if n and len(rest) >= n[0]:
                    break
    except OSError:
        pass
    s.close()
    return out


def status(resp):
    parts = resp.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def entries(**q):
    qs = "&".join("%s=%s" % kv for kv in q.items())
    return admin.json("GET", "/__errata/journal" + ("?" + qs if qs else ""))[1]["entries"]


def last_entry():
    return entries()[-1]


def key_hdr(key, extra=b""):
    return (b"GET /breezeblue/v1/x HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer k-" + key[:8] +
            b"\r\nIdempotency-Key: " + key + b"\r\n" + extra + b"Connection: close\r\n\r\n")


# --- 1. the journal holds, or cuts and marks, any request the HTTP layer accepts ------------
r = raw(key_hdr(b"k" * 900, b"X" + b"n" * 126 + b": " + b"v" * 8192 + b"\r\n"))
t.ok(status(r) == 200 and alive(), "a 900-byte Idempotency-Key and an 8 KB header: served, the mock lives", r[:200])
e = last_entry()
names = [h[0] for h in e["headers"]]
t.ok(e["idempotency_key"] == "k" * 900 and ("X" + "n" * 126) in names,
     "the journal holds the key whole and the long header", {k: e.get(k) for k in ("truncated", "path")})
r = raw(key_hdr(b"k" * 4096, b"X" + b"n" * 126 + b": " + b"v" * 8192 + b"\r\n"))
t.ok(status(r) == 400 and b"idempotency-key-too-long" in r and alive(),
     "the request that overflowed the journal (4 KB key, 8 KB header): a 400 problem, the mock lives", r[:300])
e = last_entry()
t.ok(e["status"] == 400 and e.get("truncated") is True and len(json.dumps(e)) < 20000,
     "its journal entry is cut to the entry's bound and marked truncated", {k: e.get(k) for k in ("truncated", "status")})
for size in (12 * 1024, 15 * 1024):
    r = raw(key_hdr(b"k" * size))
    t.ok(status(r) in (400, 431) and alive(), "a %d-byte key alone: refused (%s), the mock lives" % (size, status(r)))
many = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 100) for i in range(80))
r = raw(key_hdr(b"few", many))
e = last_entry()
t.ok(status(r) == 200 and e.get("truncated") is True and len(e["headers"]) <= 64,
     "80 headers: the journal keeps 64 and says it dropped some", (len(e["headers"]), e.get("truncated")))

# --- 8. bytes that are not UTF-8 are kept, escaped, and no member goes missing ------------------
raw(b"GET /breezeblue/v1/caf%E9 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Latin: caf\xe9\r\n"
    b"Idempotency-Key: cl\xe9-1\r\nConnection: close\r\n\r\n")
e = last_entry()
t.ok(e["path"] == "/breezeblue/v1/caf\\xE9" and "path" in e.get("escaped", []),
     "a path with %E9: the entry is there, its byte escaped as \\xE9", {k: e.get(k) for k in ("path", "escaped")})
t.ok(["X-Latin", "caf\\xE9"] in e["headers"] and e["idempotency_key"] == "cl\\xE9-1",
     "a latin-1 header and a latin-1 Idempotency-Key: kept, escaped", {k: e.get(k) for k in ("headers", "idempotency_key")})
raw(b"GET /breezeblue/v1/a%5Cx41 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
e = last_entry()
t.ok(e["path"] == "/breezeblue/v1/a\\x41" and "escaped" not in e,
     "a path that spells \\x41 in UTF-8 is not marked escaped: the flag tells them apart", e.get("path"))


# --- 7. whole values: Idempotency-Keys and rate-limit keys sharing a long prefix -------------------
def post(key, body, extra=None, path="/breezeblue/v1/generations"):
    h = {"Content-Type": "application/json", "Idempotency-Key": key}
    h.update(extra or {})
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=body, headers=h, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10 * SCALE) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


stem = "p" * 600
a = post(stem + "A", b'{"a":1}', {"X-Errata-Error": "VALIDATION_ERROR", "Authorization": "Bearer one"})
b = post(stem + "B", b'{"a":1}', {"Authorization": "Bearer two"})
t.ok(a[0] == 422 and b[0] == 200 and "Idempotent-Replayed" not in b[1],
     "two 601-byte keys that share 600 bytes: the second is not a replay of the first", (a[0], b[0], b[1].get("Idempotent-Replayed")))
jwt = "Bearer eyJhbGciOiJIUzI1NiJ9." + "x" * 400
got = [post("rl-%d" % i, b"{}", {"Authorization": jwt + str(i % 2)}, "/genapi/v1/x")[0] for i in range(4)]
t.ok(got == [200, 200, 200, 200],
     "two JWTs that share 430 bytes get a 2/m bucket each: 4 requests, none refused", got)
got = post("rl-x", b"{}", {"Authorization": jwt + "0"}, "/genapi/v1/x")[0]
t.ok(got == 429, "the third request with one of them is refused: the buckets are real", got)

# --- 6. the Idempotency-Key race: a repeat in flight never turns into a conflict or a stuck key --
add = admin.json("POST", "/__errata/scenarios", {"id": "slow", "contract": "breezeblue",
                 "steps": [{"status": 201, "body": {"ok": True}, "delay_ms": 150}]})
t.ok(add[0] == 201, "a scenario whose step takes 150 ms", add)
results = []
lock = threading.Lock()


def repeat(i):
    time.sleep(0.003 * i)
    r = post("race-key", b'{"n":1}', {"X-Errata-Scenario": "slow", "Authorization": "Bearer race%d" % i})
    with lock:
        results.append(r[0])


threads = [threading.Thread(target=repeat, args=(i,)) for i in range(60)]
[th.start() for th in threads]
[th.join() for th in threads]
conflicts = [s for s in results if s not in (201, 409)]
t.ok(results.count(201) >= 1 and not conflicts,
     "60 same-key, same-payload repeats around a 150 ms request: each is served, replayed or 409, never a conflict",
     sorted(set(results)))
later = post("race-key", b'{"n":1}', {"X-Errata-Scenario": "slow", "Authorization": "Bearer race-late"})
t.ok(later[0] == 201 and later[1].get("Idempotent-Replayed") == "true",
     "afterwards the key replays its response: it is not stuck 'in use'", (later[0], later[1].get("Idempotent-Replayed")))

# --- 3 and 14. bounded numbers and a bounded registry -------------------------------------------
for val, what in ((9223372036854775807, "INT64_MAX"), (-9223372036854775808, "INT64_MIN"), (3155760001, "just over 100 years")):
    st, j = admin.json("POST", "/__errata/scenarios", {"contract": "breezeblue", "steps": [{"error": "RATE_LIMITED", "retry_after": {"date": val}}]})
    t.ok(st == 400 and "100 years" in j.get("detail", ""), "retry_after {date: %s}: refused with the bound" % what, j)
st, j = admin.json("POST", "/__errata/scenarios", {"id": "far", "contract": "breezeblue",
                   "steps": [{"error": "RATE_LIMITED", "retry_after": {"date": 3155760000}}]})
r = raw(b"GET /breezeblue/v1/x HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Errata-Scenario: far\r\nAuthorization: Bearer far\r\nConnection: close\r\n\r\n")
ra = [x for x in r.split(b"\r\n") if x.lower().startswith(b"retry-after:")]
t.ok(st == 201 and ra and ra[0].endswith(b" GMT") and b"2126" in ra[0], "a date 100 years ahead is a valid IMF-fixdate", ra)
st, j = admin.json("POST", "/__errata/scenarios", {"contract": "breezeblue", "steps": [{"error": "RATE_LIMITED", "retry_after": 10 ** 13}]})
t.ok(st == 400 and "at most" in j.get("detail", ""), "retry_after seconds over 12 digits: refused", j)
hdrs = {"X-Step-%02d" % i: "v%d" % i for i in range(20)}
st, j = admin.json("POST", "/__errata/scenarios", {"id": "h20", "contract": "breezeblue", "steps": [{"status": 200, "headers": hdrs}]})
r = raw(b"GET /breezeblue/v1/x HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Errata-Scenario: h20\r\nAuthorization: Bearer h20\r\nConnection: close\r\n\r\n")
t.ok(st == 201 and all(("%s: %s" % kv).encode() in r for kv in hdrs.items()), "a step's 20 headers are all sent", r[:400])
st, j = admin.json("POST", "/__errata/scenarios", {"contract": "breezeblue", "steps": [{"status": 200, "headers": {"X-%d" % i: "v" for i in range(40)}}]})
t.ok(st == 400 and "at most 32" in j.get("detail", ""), "40 step headers: refused, not silently cut", j)
stop(p)

p, port = start("--journal-size", "10")
admin = Client(port)
big = {"contract": "breezeblue", "steps": [{"status": 200, "body": "b" * 900000}]}
codes = []
for i in range(80):
    st, j = admin.json("POST", "/__errata/scenarios", big)
    codes.append(st)
    if st != 201:
        break
# each holds its body and its definition: 1.8 MB, so 64 MiB is reached at 37
t.ok(codes[-1] == 507 and 30 <= codes.count(201) <= 40 and "registry is full" in j.get("detail", ""),
     "900 KB scenarios: the registry stops at 64 MiB with 507 'registry full'", (codes.count(201), codes[-1], j))
rss = int([l for l in open("/proc/%d/status" % p.pid) if l.startswith("VmRSS")][0].split()[1])
t.ok(rss < 400 * 1024, "the mock holds %d MB after that" % (rss // 1024))
admin.json("POST", "/__errata/reset")
small = {"contract": "breezeblue", "steps": [{"status": 200}]}
n = 0
for i in range(4096):
    st, j = Client(port).json("POST", "/__errata/scenarios", small) if i % 500 == 0 else admin.json("POST", "/__errata/scenarios", small)
    n += st == 201
st, j = admin.json("POST", "/__errata/scenarios", small)
t.ok(n == 4096 and st == 507 and "registry is full" in j.get("detail", ""),
     "the 4,097th scenario: 507 'registry full', not 'scenario exists'", (n, st, j))
admin.json("POST", "/__errata/reset")

# --- 5. the admin API refuses what a web page can send --------------------------------------------
def admin_raw(method, path, headers, body=b""):
    h = b"".join(b"%s: %s\r\n" % (k.encode(), v.encode()) for k, v in headers.items())
    req = (b"%s %s HTTP/1.1\r\n" % (method.encode(), path.encode()) + h +
           b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
    s = socket.create_connection(("127.0.0.1", port), timeout=5 * SCALE)
    s.sendall(req)
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
    s.close()
    return status(out), out


scen = json.dumps({"id": "csrf", "contract": "breezeblue", "steps": [{"error": "RATE_LIMITED"}]}).encode()
st, out = admin_raw("POST", "/__errata/scenarios", {"Host": "127.0.0.1:%d" % port, "Content-Type": "text/plain",
                                                   "Origin": "null"}, scen)
t.ok(st == 403, "a text/plain POST from a page (Origin: null): 403", out[:300])
st, out = admin_raw("POST", "/__errata/scenarios", {"Host": "127.0.0.1:%d" % port, "Content-Type": "text/plain"}, scen)
t.ok(st == 415 and b"application/json" in out, "a text/plain POST without Origin: 415, it must say JSON", out[:300])
st, out = admin_raw("POST", "/__errata/reset", {"Host": "127.0.0.1:%d" % port, "Content-Type": "application/x-www-form-urlencoded"})
t.ok(st == 415, "a form POST to /__errata/reset: 415", out[:300])
st, out = admin_raw("GET", "/__errata/journal", {"Host": "attacker.example:%d" % port})
t.ok(st == 403 and b"Host" in out, "DNS rebinding (Host: attacker.example): the journal is not read, 403", out[:300])
st, out = admin_raw("GET", "/__errata/journal", {"Host": "127.0.0.1.attacker.example"})
t.ok(st == 403, "a Host that only starts like loopback: 403 (whole-value comparison)", out[:200])
st, out = admin_raw("POST", "/__errata/scenarios", {"Host": "127.0.0.1:%d" % port, "Content-Type": "application/json",
                                                   "Origin": "http://evil.example"}, scen)
t.ok(st == 403, "a cross-origin JSON POST (Origin: http://evil.example): 403", out[:300])
st, out = admin_raw("GET", "/__errata/journal", {"Host": "localhost:%d" % port, "Sec-Fetch-Site": "cross-site"})
t.ok(st == 403, "Sec-Fetch-Site: cross-site: 403", out[:300])
st, out = admin_raw("POST", "/__errata/scenarios", {"Host": "localhost:%d" % port, "Content-Type": "application/json; charset=utf-8",
                                                   "Origin": "http://localhost:%d" % port}, scen)
t.ok(st == 201, "a same-origin JSON POST from localhost: 201", out[:300])
st, out = admin_raw("GET", "/__errata/journal", {"Host": "[::1]:%d" % port})
t.ok(st == 200, "Host [::1]: answered", out[:200])
r = raw(b"GET /breezeblue/v1/x HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n")
t.ok(status(r) == 200, "API requests are not admin requests: any Host is served", r[:100])
stop(p)

# admin token from the environment or a file, never on the command line
tok = "adm-" + "z" * 24
env = dict(os.environ, ERRATA_ADMIN_TOKEN=tok)
q = subprocess.Popen([ERRATA, "serve", "--listen", "127.0.0.1:0"], stderr=subprocess.PIPE, text=True, env=env)
line = q.stderr.readline()
qport = int(line.strip().rsplit(":", 1)[1])
c = Client(qport)
no = c.get("/__errata/health")[0]
yes = Client(qport).get("/__errata/health", {"Authorization": "Bearer " + tok})[0]
cmdline = open("/proc/%d/cmdline" % q.pid, "rb").read()
t.ok(no == 401 and yes == 200 and tok.encode() not in cmdline,
     "ERRATA_ADMIN_TOKEN: admin requests need it, and ps does not show it", (no, yes))
q.terminate(); q.wait(); q.stderr.close()
with tempfile.NamedTemporaryFile("w", delete=False) as f:
    f.write(tok + "\n")
q = subprocess.Popen([ERRATA, "serve", "--listen", "127.0.0.1:0", "--admin-token-file", f.name], stderr=subprocess.PIPE, text=True)
qport = int(q.stderr.readline().strip().rsplit(":", 1)[1])
no = Client(qport).get("/__errata/health")[0]
yes = Client(qport).get("/__errata/health", {"Authorization": "Bearer " + tok})[0]
t.ok(no == 401 and yes == 200, "--admin-token-file FILE: the first line is the token", (no, yes))
q.terminate(); q.wait(); q.stderr.close()
r = run("serve", "--admin-token-file", "/nonexistent/tok")
t.ok(r.returncode == 2 and "cannot open admin token file" in r.stderr, "a missing token file: a clear error, exit 2", r.stderr)
os.unlink(f.name)
t.done()
