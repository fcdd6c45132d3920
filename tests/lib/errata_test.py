"""Shared helpers for the Python tests: a TAP writer and a real errata serve
started on port 0 (readiness is its 'listening on' line, never a sleep)."""
import atexit, http.client, json, os, re, select, signal, socket, subprocess, sys, time
from http.server import ThreadingHTTPServer

ERRATA = os.environ.get("ERRATA", "bin/errata")
# make valgrind runs errata about 20 times slower: waits for it scale with this
SCALE = float(os.environ.get("ERRATA_TIMEOUT_SCALE", "1"))


class Tap:
    def __init__(self):
        self.n = self.failed = 0
        print("TAP version 13", flush=True)

    def ok(self, cond, desc, diag=None):
        self.n += 1
        desc = desc.replace("\\", "\\\\").replace("#", "\\#")
        print(("ok" if cond else "not ok") + " %d - %s" % (self.n, desc), flush=True)
        if not cond:
            self.failed += 1
            if diag is not None:
                for line in str(diag)[:800].splitlines():
                    print("# " + line)
                # and to stderr, which prove shows without -v: a CI log says why
                print("# %s: %s" % (desc, str(diag)[:800]), file=sys.stderr, flush=True)
        return cond

    def skip(self, desc, why):
        self.n += 1
        print("ok %d - %s # SKIP %s" % (self.n, desc.replace("#", "\\#"), why), flush=True)

    def done(self):
        print("1..%d" % self.n)
        sys.exit(1 if self.failed else 0)


class Server(ThreadingHTTPServer):
    """A test's HTTP server: a thread per connection, and a listen queue long
    enough for a parallel run (the default of 5 drops connections, which a
    client sees as a connect timeout)."""
    daemon_threads = True
    request_queue_size = 1024


def start(*args, quiet=False):
    """quiet: its standard output (the reports --inject writes at the stop)
    kept out of the test's own TAP."""
    p = subprocess.Popen([ERRATA, "serve", "--listen", "127.0.0.1:0", *args],
                         stderr=subprocess.PIPE, text=True, stdout=subprocess.DEVNULL if quiet else None)
    # notes (an imported description's) may come before it. Read the raw
    # descriptor: select() on a buffered reader misses lines it already holds
    fd, buf, m, line = p.stderr.fileno(), b"", None, ""
    deadline = time.monotonic() + 10 * SCALE
    while not m:
        ready, _, _ = select.select([fd], [], [], max(0, deadline - time.monotonic()))
        chunk = os.read(fd, 65536) if ready else b""
        if not chunk:
            break
        buf += chunk
        for line in buf.decode(errors="replace").split("\n")[:-1]:  # whole lines only: a port may be cut
            m = m or re.match(r"listening on http://127\.0\.0\.1:(\d+)$", line.strip())
    p.said = buf.decode(errors="replace")
    line = p.said
    if not m:
        p.kill()
        print("Bail out! errata serve did not start: %r %s" % (line, p.stderr.read() if p.poll() is not None else ""))
        sys.exit(1)
    return p, int(m.group(1))


def stop(p, sig=signal.SIGTERM, timeout=5):
    p.send_signal(sig)
    try:
        rc = p.wait(timeout=timeout * SCALE)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = None
    p.stderr.close()
    return rc


def subtest_points(stdout, prefix):
    """The points of a TAP report whose subtests are named '<prefix>: <name>':
    the failing and the passing (not skipped) ones, as sets of (name, check)."""
    fails, passes, name = set(), set(), None
    for line in stdout.splitlines():
        m = re.match(r"# Subtest: %s: (.*)$" % re.escape(prefix), line)
        if m:
            name = m.group(1)
        m = re.match(r"    (not ok|ok) \d+ - (\S+)(.*)$", line)
        if m and "# SKIP" not in m.group(3):
            (fails if m.group(1) == "not ok" else passes).add((name, m.group(2)))
    return fails, passes


def free_port():
    """A port nothing listens on now (for servers that cannot take port 0)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run(*args, timeout=20):
    return subprocess.run([ERRATA, *args], capture_output=True, text=True, timeout=timeout * SCALE)


class Client:
    def __init__(self, port, timeout=10):
        self.port = port
        self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def req(self, method, path, headers=None, body=None):
        headers = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            headers.setdefault("Content-Type", "application/json")
        if method == "POST" and path.startswith("/__errata/"):
            headers.setdefault("Content-Type", "application/json")  # the admin API takes JSON writes only
        self.c.request(method, path, body=body, headers=headers)
        r = self.c.getresponse()
        data = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data

    def get(self, path, headers=None):
        return self.req("GET", path, headers)

    def json(self, method, path, body=None, headers=None):
        st, h, data = self.req(method, path, headers, body)
        try:
            return st, json.loads(data)
        except ValueError:
            return st, data


# --- an independent renderer, written from contracts/README.md ----------------
def left_out(v, e):
    """A member the entry has no value for: a status-only entry's code and
    type, a null body code inside a string, absent details."""
    if not isinstance(v, str):
        return False
    if v in ("{{details?}}", "{{any?}}"):
        return "details" not in e
    if v == "{{code}}" or v == "{{type}}" or "{{code}}" in v:
        return bool(e.get("status_only")) or ("{{code}}" in v and v != "{{code}}" and
                                              "body_code" in e and e["body_code"] is None)
    return False


def render(tmpl, e, rid="req_0123456789abcdef"):
    if isinstance(tmpl, str):
        if tmpl == "{{code}}":
            return e["body_code"] if "body_code" in e else e["code"]
        if tmpl == "{{type}}":
            return e.get("type", "")
        if tmpl in ("{{request_id}}", "{{request_id?}}"):
            return rid
        if tmpl in ("{{message}}", "{{message?}}"):
            return e["message"]
        if tmpl == "{{status}}":
            return e["status"]
        if tmpl == "{{status_string}}":
            return str(e["status"])
        if tmpl == "{{detail}}":
            return e.get("description", e["message"])
        if tmpl in ("{{details}}", "{{details?}}", "{{any?}}"):
            return e.get("details", {})
        if "{{code}}" in tmpl:
            return tmpl.replace("{{code}}", str(e["body_code"]) if "body_code" in e else e["code"])
        return tmpl
    if isinstance(tmpl, dict):
        out = {}
        for k, v in tmpl.items():
            if k == "{{extra}}":
                out.update(e.get("extra", {}))
            elif left_out(v, e):
                continue
            else:
                out[k] = render(v, e, rid)
        return out
    if isinstance(tmpl, list):
        return [render(v, e, rid) for v in tmpl]
    return tmpl


def compact(v):
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False).encode()


def xml_bytes(tree):
    """A rendered tree as the mock writes an XML envelope: the declaration,
    then the elements in template order, text escaped."""
    from xml.sax.saxutils import escape

    def el(name, v):
        if isinstance(v, list):
            return "".join(el(name, x) for x in v)
        if isinstance(v, dict):
            return "<%s>%s</%s>" % (name, "".join(el(k, x) for k, x in v.items()), name)
        text = "" if v is None else ("true" if v is True else "false" if v is False else str(v))
        return "<%s>%s</%s>" % (name, escape(text), name) if text else "<%s/>" % name
    (root, v), = tree.items()
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + el(root, v) + "\n").encode()


def wire_body(c, e, rid="req_0123456789abcdef"):
    """The bytes and Content-Type errata serve sends for entry e of contract c."""
    if e.get("body") == "none":
        return b"", None
    if e.get("body") == "any":
        return (e["message"] + "\n").encode(), "text/plain; charset=utf-8"
    tree = render(c["envelope"]["error"], e, rid)
    return (xml_bytes(tree) if c["envelope"].get("kind") == "xml" else compact(tree)), c["content_type"]


def request_id_header(c):
    """The request id header's name, in either form of headers.request_id."""
    rid = c["headers"]["request_id"]
    return rid["header"] if isinstance(rid, dict) else rid


def needs_retry_after(c, e):
    if "retry_after" in e:
        return e["retry_after"]
    ra = c["headers"]["retry_after"]
    return e["status"] in ra["statuses"] and (e["retryable"] or not ra["retryable_only"])


PROXIES = []
atexit.register(lambda: [p.kill() for p in PROXIES if p.poll() is None])


def start_proxy(*args, upstream):
    """errata proxy on port 0 in front of `upstream`: (process, port, the
    --inject seed it printed or None); bails out when it does not start."""
    p = subprocess.Popen([ERRATA, "proxy", "--listen", "127.0.0.1:0", "--upstream", upstream, *args],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    PROXIES.append(p)
    ready, _, _ = select.select([p.stderr], [], [], 10 * SCALE)
    line = p.stderr.readline() if ready else ""
    m = re.match(r"listening on http://127\.0\.0\.1:(\d+), forwarding to (\S+?)(, injecting (\S+))?$", line.strip())
    if not m:
        p.kill()
        print("Bail out! errata proxy did not start: %r" % line)
        sys.exit(1)
    return p, int(m.group(1)), m.group(4)
