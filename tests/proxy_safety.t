#!/usr/bin/env python3
"""errata proxy is safe to run where others reach it: request framing
(smuggling, white space before a colon, fields named in Connection), the
upstream URL (no open relay), a client's bad request kept apart from the
upstream's failures, a client that goes away mid-body, and credentials in
every form kept out of every report. The upstream is tests/lib/
capture_upstream.py, which parses what reaches it strictly and keeps it."""
import atexit, base64, json, os, re, select, signal, socket, subprocess, sys, tempfile, time
import urllib.parse, urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from errata_test import Tap, start_proxy, ERRATA, SCALE  # noqa: E402
from capture_upstream import Capture  # noqa: E402

t = Tap()
tmp = tempfile.mkdtemp(prefix="errata-safety-")
STARTED = []
atexit.register(lambda: [p.kill() for p in STARTED if p.poll() is None])


def proxy(*args, upstream):
    p, port, _ = start_proxy(*args, upstream=upstream)
    return p, port


def finish(p, timeout=10):
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=timeout * SCALE)
    return p.returncode, out, err


def raw(port, data, wait=5):
    """Send bytes as they are; the status of the first response and all that came back."""
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(wait * SCALE)
    s.sendall(data)
    got = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
            if b"\r\n\r\n" in got:
                head = got.split(b"\r\n\r\n")[0].decode("latin-1")
                m = re.search(r"(?im)^content-length:\s*(\d+)", head)
                if data.startswith(b"HEAD ") or (m and len(got) >= len(head) + 4 + int(m.group(1))):
                    break
    except socket.timeout:
        pass
    s.close()
    m = re.match(rb"HTTP/1\.[01] (\d{3})", got)
    return (int(m.group(1)) if m else 0), got.decode("latin-1")


def settle(cap, want=None, wait=2):
    """What the upstream saw, once it has seen `want` requests (or after `wait` s:
    the proxy answered first, so what it forwarded has arrived by then)."""
    end = time.time() + (wait * SCALE if want is not None else wait)
    while time.time() < end:
        reqs, errs = cap.seen()
        if want is not None and len(reqs) + len(errs) >= want:
            break
        time.sleep(0.05)
    return cap.seen()


cap = Capture()
other = Capture()  # a server the proxy must never reach
p1, port = proxy("--contract", "openai", upstream="http://127.0.0.1:%d" % cap.port)

# --- request framing -------------------------------------------------------
smuggled = b"POST /capture HTTP/1.1\r\nHost: x\r\nContent-Length: 300\r\n\r\n"
chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(smuggled), smuggled)
st, got = raw(port, b"POST /v1/files HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
              b"Transfer-Encoding: chunked\r\nAuthorization: Bearer sk-first\r\n\r\n" + chunked)
reqs, errs = settle(cap, wait=1)
t.ok(st == 400 and "both Content-Length and Transfer-Encoding" in got and not reqs and not errs,
     "Content-Length with Transfer-Encoding: 400 that says why, nothing reaches the upstream",
     (st, got[-300:], reqs, errs))

cap.clear()
for i in range(3):
    raw(port, b"POST /v1/files HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
        + chunked + b"GET /v1/models HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer sk-next-client\r\n\r\n")
    raw(port, b"GET /v1/models HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer sk-next-client\r\n\r\n")
reqs, errs = settle(cap, want=3)
t.ok(not errs and len(reqs) == 3 and all(r[2] == "/v1/models" for r in reqs),
     "after three smuggling attempts the upstream parsed exactly the three honest requests, nothing else",
     (errs, [(r[1], r[2]) for r in reqs]))

cap.clear()
st, got = raw(port, b"POST /v1/files HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding : chunked\r\n\r\nhello")
reqs, errs = settle(cap, wait=1)
t.ok(st == 400 and not reqs and not errs, "a header with white space before its colon: 400, never forwarded",
     (st, got[-200:], reqs, errs))
for bad in (b"X Y: z", b"X-A\x01: z", b"Content-Length: 5, 5", b"Content-Length: +5", b"Content-Length: 5\r\nContent-Length: 6"):
    cap.clear()
    st, got = raw(port, b"POST /v1/files HTTP/1.1\r\nHost: a\r\n" + bad + b"\r\n\r\nhello")
    reqs, errs = settle(cap, wait=0.3)
    t.ok(st == 400 and not errs and not reqs, "a bad field line is refused, not forwarded: %r" % bad, (st, reqs, errs))

cap.clear()
st, got = raw(port, b"POST /v1/files HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello")
reqs, errs = settle(cap, want=1)
t.ok(st == 200 and len(reqs) == 1 and reqs[0][4] == b"hello" and not errs,
     "a body framed by Content-Length goes as it came", (st, reqs, errs))
cap.clear()
st, got = raw(port, b"POST /v1/files HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
              b"3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n")
reqs, errs = settle(cap, want=1)
t.ok(st == 200 and len(reqs) == 1 and reqs[0][4] == b"abcdefg" and not errs,
     "a chunked body goes with the size it was framed with", (st, reqs, errs))

cap.clear()
st, got = raw(port, b"GET /v1/models HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, X-Hop, Authorization\r\n"
              b"X-Hop: 1\r\nAuthorization: Bearer sk-hop\r\nX-Kept: yes\r\n\r\n")
reqs, errs = settle(cap, want=1)
names = [k.lower() for k, _ in reqs[0][3]] if reqs else []
t.ok(st == 200 and reqs and "x-hop" not in names and "authorization" not in names and "x-kept" in names,
     "fields named in Connection are removed with the fixed hop-by-hop set", (st, names))

# --- the upstream URL: no open relay ---------------------------------------
for target in (b"@127.0.0.1:%d/steal" % other.port, b"@evil.example/x", b"evil.example/x", b"*",
               b"http://127.0.0.1:%d/steal" % other.port, b"http://evil.example/x",
               b"https://127.0.0.1:%d/x" % cap.port, b"http://127.0.0.1:%d@127.0.0.1:%d/x" % (cap.port, other.port),
               b"http://u:p@127.0.0.1:%d/x" % cap.port):
    cap.clear()
    t0 = time.time()
    st, got = raw(port, b"GET " + target + b" HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer sk-relay\r\n\r\n")
    reqs, errs = settle(cap, wait=0.3)
    oreqs, oerrs = other.seen()
    t.ok(st == 400 and not oreqs and not oerrs and not reqs and time.time() - t0 < 3 * SCALE,
         "target %r: 400, neither the upstream nor another server is asked" % target,
         (st, got[-200:], oreqs, reqs))
cap.clear()
st, got = raw(port, b"GET //127.0.0.1:%d/steal HTTP/1.1\r\nHost: a\r\n\r\n" % other.port)
reqs, errs = settle(cap, want=1)
t.ok(not other.seen()[0] and len(reqs) == 1 and reqs[0][2] == "//127.0.0.1:%d/steal" % other.port and
     reqs[0][3][0] == ("Host", "127.0.0.1:%d" % cap.port),
     "a target starting '//' is a path on the upstream's own host, never a host", (st, reqs))
cap.clear()
st, got = raw(port, b"GET http://127.0.0.1:%d/v1/models?a=1 HTTP/1.1\r\nHost: a\r\n\r\n" % cap.port)
reqs, errs = settle(cap, want=1)
t.ok(st == 200 and len(reqs) == 1 and reqs[0][2] == "/v1/models?a=1",
     "an absolute-form target naming the upstream itself is forwarded as its path", (st, reqs))

# --- a client's malformed request is the client's ------------------------
cap.clear()
st, got = raw(port, b"GET /v1/a b HTTP/1.1\r\nHost: a\r\n\r\n")
st2, got2 = raw(port, b"GET /v1/\x7fx HTTP/1.1\r\nHost: a\r\n\r\n")
reqs, errs = settle(cap, wait=0.3)
t.ok(st == 400 and st2 == 400 and "upstream" not in got.split("\r\n\r\n", 1)[-1].split('"detail"')[0] and not reqs,
     "a malformed target gets 400 from the proxy, not 502, and the upstream is not asked", (st, st2, got[-300:]))
j = json.loads(urllib.request.urlopen("http://127.0.0.1:%d/__errata/journal" % port, timeout=5).read())
bad = [e for e in j["entries"] if e["path"].startswith("/v1/a")]
t.ok(bad and bad[-1]["status"] == 400 and "upstream" not in json.dumps(bad[-1]).replace('"upstream": null', ""),
     "...journaled as the client's 400, nothing said of the upstream", bad[-1:] if bad else j["entries"][-2:])

rc, out, err = finish(p1)
t.ok(rc == 0, "the proxy exits 0: the client's errors and the refusals are not the upstream's (exit %d)" % rc,
     (out[-400:], err[-400:]))

# --- a client that declares a body and goes away --------------------------
# (descriptors are counted against timeouts of a few seconds: under valgrind,
# which slows errata twentyfold, they would say nothing)
if SCALE <= 5:
    cap.clear()
    p2, port2 = proxy("--contract", "openai", "--upstream-timeout", "2", upstream="http://127.0.0.1:%d" % cap.port)
    socks = []
    for i in range(20):
        s = socket.create_connection(("127.0.0.1", port2))
        s.sendall(b"POST /v1/files HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\n" + b"x" * (1000 if i % 2 else 200000))
        socks.append(s)
    time.sleep(0.5 * SCALE)
    for s in socks:
        s.close()


    def fds(pid):
        try:
            return len(os.listdir("/proc/%d/fd" % pid))
        except OSError:
            return -1


    end = time.time() + 5 * SCALE
    while time.time() < end and fds(p2.pid) > 20:
        time.sleep(0.1)
    n_closed = fds(p2.pid)
    stalled = []
    for i in range(10):
        s = socket.create_connection(("127.0.0.1", port2))
        s.sendall(b"POST /v1/files HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\n" + b"x" * 1000)
        stalled.append(s)
    time.sleep(4 * SCALE)
    n_stalled = fds(p2.pid)
    answered = []
    for s in stalled:
        s.settimeout(1)
        try:
            answered.append(s.recv(100)[:12])
        except OSError:
            answered.append(b"")
        s.close()
    t.ok(0 < n_closed <= 20, "20 clients that declare 1 MB, send 1 KB or 200 KB and close: their descriptors are freed at once "
         "(%d open after)" % n_closed, n_closed)
    t.ok(0 < n_stalled <= 20, "10 that stall mid-body are ended by the body timeout (--upstream-timeout 2): "
         "%d descriptors open after 4 s" % n_stalled, (n_stalled, answered))
    rc, out, err = finish(p2)
    # an upstream that takes the connection and reads nothing: the request body
    # backs up, the client's connection waits suspended; its close must still end it
    sink = socket.socket()
    sink.bind(("127.0.0.1", 0))
    sink.listen(64)
    p5, port5 = proxy("--contract", "openai", "--upstream-timeout", "2", upstream="http://127.0.0.1:%d" % sink.getsockname()[1])
    socks = []
    for i in range(10):
        s = socket.create_connection(("127.0.0.1", port5))
        s.setblocking(False)
        try:
            s.send(b"POST /v1/files HTTP/1.1\r\nHost: a\r\nContent-Length: 10000000\r\n\r\n" + b"x" * 3000000)
        except BlockingIOError:
            pass
        socks.append(s)
    time.sleep(0.5)
    for s in socks:
        s.close()
    time.sleep(4 * SCALE)
    n_sink = fds(p5.pid)
    t.ok(0 < n_sink <= 20, "10 clients stuck behind an upstream that reads nothing, then gone: freed by the upstream timeout "
         "(%d descriptors open after 4 s)" % n_sink, n_sink)
    finish(p5)
    sink.close()
    t.ok("AddressSanitizer" not in err and "runtime error" not in err, "no sanitizer report", err[-300:])
else:
    for what in ("clients gone mid-body are freed at once", "stalled bodies end at the body timeout",
                 "clients behind an upstream that reads nothing are freed", "no sanitizer report"):
        t.skip(what, "descriptor counts against a 2 s timeout mean nothing at ERRATA_TIMEOUT_SCALE %g" % SCALE)

# --- a response to HEAD is judged on its status and headers ---------------
hjson = os.path.join(tmp, "head.json")
p4, port4 = proxy("--contract", "openai", "--json", hjson, upstream="http://127.0.0.1:%d" % cap.port)
for st_want in (404, 429, 401):
    st, got = raw(port4, b"HEAD /status/%d HTTP/1.1\r\nHost: a\r\n\r\n" % st_want, wait=2)
    t.ok(st == st_want, "HEAD %d passes through" % st_want, got[:100])
raw(port4, b"GET /status/404 HTTP/1.1\r\nHost: a\r\n\r\n")
end = time.time() + 10 * SCALE
while True:  # a forwarded request is journaled (and judged) once libmicrohttpd calls it complete
    hj = json.loads(urllib.request.urlopen("http://127.0.0.1:%d/__errata/journal" % port4, timeout=10).read())
    if len(hj["entries"]) >= 4 or time.time() > end:
        break
    time.sleep(0.05)
rc, out, err = finish(p4)
rep = json.load(open(hjson)) if os.path.exists(hjson) else {}
checks = {}
for case in rep.get("cases", []) + [c for s_ in rep.get("suites", []) for c in s_.get("cases", [])]:
    for chk in case.get("checks", []):
        checks.setdefault((case.get("name", ""), chk.get("id")), chk.get("outcome"))
head_json = [v for (n, k), v in checks.items() if "HEAD" in n and k == "envelope.json"]
get_json = [v for (n, k), v in checks.items() if "GET" in n and k == "envelope.json"]
t.ok(head_json and all(v == "skip" for v in head_json) and get_json == ["pass"],
     "errata proxy: envelope.json is not judged on HEAD 404, 429, 401 (skipped), and is on a GET",
     ([(e["method"], e["path"], e["status"], e.get("upstream"), e.get("conformance")) for e in hj["entries"]],
      sorted(k for k in checks if k[1] == "envelope.json"), err[-600:]))
fix = os.path.join(tmp, "head-fixtures.json")
json.dump({"cases": [{"name": "HEAD of a 401", "request": {"method": "HEAD", "path": "/status/401"},
                      "expect": {"code": "HTTP_401"}},
                     {"name": "HEAD of a 429", "request": {"method": "HEAD", "path": "/status/429"},
                      "expect": {"any_error": True}}]}, open(fix, "w"))
r = subprocess.run([ERRATA, "check", "--contract", "openai", "--base-url", "http://127.0.0.1:%d" % cap.port,
                    "--fixtures", fix, "--tap", "-"], capture_output=True, text=True, timeout=60)
t.ok("not ok" not in r.stdout.replace("# SKIP", "") or not re.search(r"not ok \d+ - envelope", r.stdout),
     "errata check: no envelope check fails on a HEAD response", r.stdout[-800:])
t.ok(re.search(r"ok \d+ - envelope.json # SKIP a response to HEAD has no body", r.stdout) and
     re.search(r"^    ok \d+ - status", r.stdout, re.M),
     "errata check: the body checks say why they were skipped; the status is judged", r.stdout[-800:])

# --- credentials in every form stay out of every report -------------------
BEARER = "ghp_Zq8tokenGitHub1234567890abcd"
USER, PASSWORD = "alice", "pw-S3cr3t+/=x"
COOKIE = "sess-c00kie-value-77"
QKEY = "q-api-key-4242/+x"
PATHTOK = "123456:AAbotPathToken-xyz"
reports = {k: os.path.join(tmp, "r." + k) for k in ("tap", "junit", "json")}
contract = json.load(open(os.path.join(os.path.dirname(__file__), "..", "contracts", "openai.json")))
contract["id"] = "botapi"
contract["operations"] = [{"method": "GET", "path": "/echo-error/bot{token}/sendMessage", "statuses": [401],
                           "codes": ["HTTP_401"]}]
cfile = os.path.join(tmp, "botapi.json")
json.dump(contract, open(cfile, "w"))
p3, port3 = proxy("--contract", cfile, "--tap", reports["tap"], "--junit", reports["junit"],
                  "--json", reports["json"], upstream="http://127.0.0.1:%d" % cap.port)
basic = base64.b64encode(("%s:%s" % (USER, PASSWORD)).encode()).decode()
cases = [
    ("/echo-error/a", {"Authorization": "token " + BEARER}),
    ("/echo-error/b", {"Authorization": "Basic " + basic}),
    ("/echo-error/c", {"Cookie": "theme=dark; session_id=" + COOKIE}),
    ("/echo-error/d?api_key=" + urllib.parse.quote(QKEY, safe="") + "&key=" + urllib.parse.quote(QKEY, safe=""), {}),
    ("/echo-error/bot" + PATHTOK + "/sendMessage", {}),
]
for path, hdrs in cases:
    hl = b"".join(b"%s: %s\r\n" % (k.encode(), v.encode()) for k, v in hdrs.items())
    st, got = raw(port3, b"GET " + path.encode() + b" HTTP/1.1\r\nHost: a\r\n" + hl + b"\r\n")
    t.ok(st == 401, "the upstream echoes the request in a 401: %s" % path.split("?")[0], st)
forms = []
for s in (BEARER, PASSWORD, "%s:%s" % (USER, PASSWORD), COOKIE, QKEY, PATHTOK, basic):
    forms += [s, urllib.parse.quote(s, safe=""), urllib.parse.quote_plus(s), json.dumps(s)[1:-1]]
texts = {}
for fmt in ("json", "tap", "junit", "html"):
    try:
        texts["GET /__errata/report?format=" + fmt] = urllib.request.urlopen(
            "http://127.0.0.1:%d/__errata/report?format=%s" % (port3, fmt), timeout=10).read().decode()
    except Exception as e:  # noqa: BLE001
        texts["GET /__errata/report?format=" + fmt] = "unreadable: %s" % e
texts["journal"] = urllib.request.urlopen("http://127.0.0.1:%d/__errata/journal" % port3, timeout=10).read().decode()
rc, out, err = finish(p3)
for k, f in reports.items():
    texts[k] = open(f).read() if os.path.exists(f) else ""
texts["stdout"], texts["stderr"] = out, err
t.ok(all(texts[k] for k in ("tap", "junit", "json")) and "echo-error" in texts["json"],
     "the reports were written and hold the judged 401s", {k: len(v) for k, v in texts.items()})
for where, text in sorted(texts.items()):
    leaked = sorted({f for f in forms if f and f in text})
    t.ok(not leaked, "no credential in any form in %s" % where, leaked)
# errata check: the credentials it sends, in the same forms, stay out of its reports
cfix = os.path.join(tmp, "echo-fixtures.json")
json.dump({"cases": [{"name": "an echoing 401", "request": {"method": "GET", "path": "/echo-error/c?x=1"},
                      "expect": {"any_error": True}}]}, open(cfix, "w"))
ctap, cxml = os.path.join(tmp, "c.tap"), os.path.join(tmp, "c.xml")
r = subprocess.run([ERRATA, "check", "--contract", "openai", "--base-url",
                    "http://127.0.0.1:%d" % cap.port,
                    "--fixtures", cfix, "--header", "Authorization: Basic " + basic,
                    "--header", "Cookie: session_id=" + COOKIE, "--tap", ctap, "--junit", cxml],
                   capture_output=True, text=True, timeout=60)
ctexts = {"tap": open(ctap).read() if os.path.exists(ctap) else "", "junit": open(cxml).read() if os.path.exists(cxml) else "",
          "stdout": r.stdout, "stderr": r.stderr}
leaked = {k: sorted({f for f in forms if f and f in v}) for k, v in ctexts.items()}
t.ok(ctexts["tap"] and "not allowed" in ctexts["tap"] and not any(leaked.values()),
     "errata check: a server echoing Basic (decoded too) and a cookie leaves none of them in TAP, JUnit, "
     "stdout or stderr", (leaked, ctexts["tap"][-600:]))
t.ok("/echo-error/bot{token}/sendMessage" in texts["journal"] and "/echo-error/bot{token}/sendMessage" in texts["json"],
     "the journal and the report name the path by its template", texts["journal"][-600:])

t.done()
