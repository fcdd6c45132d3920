#!/usr/bin/python3
"""errata proxy judges encoded error bodies: gzip, deflate (zlib-wrapped
and raw) and br are decoded before judging, so a right body passes and a
broken one fails; an encoding it does not read (zstd), a stream that is
not valid, and a small body that inflates past the capture bound are not
judged, and the journal says why. The client gets the bytes as sent."""
import gzip, json, os, subprocess, sys, threading, urllib.request, zlib
from http.server import BaseHTTPRequestHandler

import brotli

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from errata_test import Tap, Server, start, stop, start_proxy, SCALE  # noqa: E402

t = Tap()

# the truth: errata serve's own RESOURCE_NOT_FOUND
serve, sport = start("--contracts", "contracts/breezeblue.json")
req = urllib.request.Request("http://127.0.0.1:%d/breezeblue/v1/x" % sport, headers={"X-Errata-Error": "RESOURCE_NOT_FOUND"})
try:
    urllib.request.urlopen(req, timeout=10)
    sys.exit("Bail out! errata serve answered 2xx")
except urllib.error.HTTPError as e:
    GOOD, CTYPE, RID = e.read(), e.headers["Content-Type"], e.headers["X-Request-Id"]
stop(serve)
BAD = json.dumps({"ok": False, "detail": "no code here"}).encode()


def raw_deflate(b):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(b) + c.flush()


ROUTES = {
    "/gzip-good": ("gzip", gzip.compress(GOOD)),
    "/gzip-bad": ("gzip", gzip.compress(BAD)),
    "/deflate-zlib": ("deflate", zlib.compress(GOOD)),
    "/deflate-raw": ("deflate", raw_deflate(GOOD)),
    "/br-good": ("br", brotli.compress(GOOD)),
    "/br-bad": ("br", brotli.compress(BAD)),
    "/zstd": ("zstd", b"\x28\xb5\x2f\xfd" + GOOD),
    "/gzip-broken": ("gzip", gzip.compress(GOOD)[:-12] + b"garbage!"),
    "/gzip-bomb": ("gzip", gzip.compress(b"{\"ok\":false,\"code\":\"" + b"A" * (8 << 20) + b"\"}")),
}


class Upstream(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        enc, body = ROUTES[self.path]
        self.send_response(404)
        self.send_header("Content-Type", CTYPE)
        self.send_header("Content-Encoding", enc)
        self.send_header("X-Request-Id", RID)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


up = Server(("127.0.0.1", 0), Upstream)
threading.Thread(target=up.serve_forever, daemon=True).start()
p, port, _ = start_proxy("--contract", "breezeblue", upstream="http://127.0.0.1:%d" % up.server_address[1])
sent = {}
for path, (enc, body) in ROUTES.items():
    r = subprocess.run(["curl", "-s", "-o", "-", "-H", "Accept-Encoding: gzip, deflate, br", "http://127.0.0.1:%d%s" % (port, path)],
                       capture_output=True, timeout=30 * SCALE)
    sent[path] = r.stdout
t.ok(all(sent[k] == v[1] for k, v in ROUTES.items()), "the client gets every encoded body byte for byte, still encoded")

rep = json.load(urllib.request.urlopen("http://127.0.0.1:%d/__errata/report" % port, timeout=10))
cases = {c["name"].split(":")[0]: c for c in rep["cases"]}


def outcome(path):
    c = cases.get("GET " + path)
    if not c:
        return None
    return "fail" if any(k["outcome"] == "fail" for k in c["checks"]) else "pass"


for path in ("/gzip-good", "/deflate-zlib", "/deflate-raw", "/br-good"):
    t.ok(outcome(path) == "pass", "%s: decoded (%s) and judged right" % (path, ROUTES[path][0]),
         [k for k in cases.get("GET " + path, {}).get("checks", []) if k["outcome"] == "fail"])
for path in ("/gzip-bad", "/br-bad"):
    t.ok(outcome(path) == "fail", "%s: decoded and judged wrong (no code in the body)" % path, cases.get("GET " + path))
jr = json.load(urllib.request.urlopen("http://127.0.0.1:%d/__errata/journal" % port, timeout=10))
why = {e["path"]: e.get("conformance", "") for e in jr["entries"]}
for path, words in (("/zstd", "zstd-encoded"), ("/gzip-broken", "not valid gzip"), ("/gzip-bomb", "decoded")):
    t.ok(outcome(path) is None and words in why.get(path, ""), "%s: not judged, and the journal says why" % path, why.get(path))
stop(p)
up.shutdown()
t.done()
