#!/usr/bin/env python3
"""errata check against a real OCI registry (Debian's docker-registry, the
CNCF Distribution server) started here on 127.0.0.1: every documented error
the fixtures provoke is judged right (errors[].code read from the array,
detail as an object, a string or null, the router's text/plain 404 as the
spec's "any format" 4XX, a HEAD without a body, 401 with WWW-Authenticate,
each code against the operation the request hit). Then a proxy in front of
it breaks one rule at a time, and exactly that check fails."""
import json, os, shutil, socket, subprocess, sys, tempfile, threading, time, urllib.request
from http.server import BaseHTTPRequestHandler

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from errata_test import Tap, ERRATA, SCALE, Server, free_port  # noqa: E402

t = Tap()
REGISTRY = shutil.which("docker-registry")
if not REGISTRY:
    t.ok(False, "docker-registry is installed (make deps installs it)")
    t.done()
tmp = tempfile.mkdtemp(prefix="errata-reg-")
C = "contracts/oci-registry.json"


def registry(name, extra):
    port = free_port()
    cfg = os.path.join(tmp, name + ".yml")
    with open(cfg, "w") as f:
        f.write("version: 0.1\nlog: {level: error}\nstorage:\n  filesystem: {rootdirectory: %s/data}\n"
                "  delete: {enabled: false}\nhttp: {addr: 127.0.0.1:%d}\n%s" % (tmp, port, extra))
    p = subprocess.Popen([REGISTRY, "serve", cfg], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(int(100 * SCALE)):
        try:
            urllib.request.urlopen("http://127.0.0.1:%d/v2/" % port, timeout=1)
            break
        except urllib.error.HTTPError:
            break  # a 401 answers too
        except OSError:
            time.sleep(0.1)
    return p, port


subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", tmp + "/k.pem", "-out",
                tmp + "/c.pem", "-days", "1", "-subj", "/CN=errata-test"], capture_output=True, check=True)
open_p, open_port = registry("open", "")
auth_p, auth_port = registry("auth", "auth:\n  token: {realm: \"https://auth.example/token\", service: registry.example, "
                             "issuer: errata-test, rootcertbundle: %s/c.pem}\n" % tmp)
AUTH_FIX = os.path.join(tmp, "auth.json")
with open(AUTH_FIX, "w") as f:
    json.dump({"cases": [
        {"name": "the version check without a token", "request": {"method": "GET", "path": "/v2/"},
         "expect": {"code": "UNAUTHORIZED"}},
        {"name": "a manifest without a token", "request": {"method": "GET", "path": "/v2/errata/app/manifests/latest"},
         "expect": {"code": "UNAUTHORIZED"}}]}, f)


def check(base, fixtures):
    out = os.path.join(tmp, "r.json")
    r = subprocess.run([ERRATA, "check", "--contract", C, "--base-url", base, "--fixtures", fixtures,
                        "--json", out, "--tap", os.path.join(tmp, "r.tap")], capture_output=True, text=True,
                       timeout=60 * SCALE)
    rep = json.load(open(out)) if os.path.exists(out) else {"cases": []}
    verdicts = {c["name"]: {k["id"]: k["outcome"] for k in c["checks"]} for c in rep["cases"]}
    return r, verdicts


def failing(v):
    return sorted(k for k, o in v.items() if o == "fail")


r, v = check("http://127.0.0.1:%d" % open_port, "fixtures/oci-registry")
t.ok(r.returncode == 0 and len(v) == 7 and all(not failing(x) for x in v.values()),
     "errata check passes the real registry's 7 documented errors", r.stderr + json.dumps({k: failing(x) for k, x in v.items()}))
t.ok(sum(x.get("code.operation") == "pass" for x in v.values()) == 6,
     "six of them judged against the operation the request hit (code.operation passes, not skipped)",
     json.dumps({k: x.get("code.operation") for k, x in v.items()}))
plain = v.get("a path no route serves (the router's plain 404)", {})
t.ok(plain.get("envelope.shape") == "skip" and plain.get("expect") == "pass",
     "the router's text/plain 404 is the spec's any-format 4XX: status judged, body not", json.dumps(plain))
r, v = check("http://127.0.0.1:%d" % auth_port, AUTH_FIX)
t.ok(r.returncode == 0 and len(v) == 2 and all(x.get("headers.required") == "pass" for x in v.values()),
     "a 401 UNAUTHORIZED carries WWW-Authenticate, which the contract requires", json.dumps(v))

# HEAD of an unknown manifest: a 404 with no body, judged on status and headers
HEAD_FIX = os.path.join(tmp, "head.json")
with open(HEAD_FIX, "w") as f:
    json.dump({"cases": [{"name": "HEAD of an unknown manifest",
                          "request": {"method": "HEAD", "path": "/v2/errata/none/manifests/latest"},
                          "expect": {"any_error": True, "status": 404}}]}, f)
r, v = check("http://127.0.0.1:%d" % open_port, HEAD_FIX)
h = v.get("HEAD of an unknown manifest", {})
t.ok(r.returncode == 0 and h.get("envelope.json") == "skip" and not failing(h),
     "a HEAD's bodiless 404 passes, its body checks skipped", json.dumps(h))

# a proxy that breaks one rule at a time
BREAK = {"mode": None}


class Breaker(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def relay(self):
        mode = BREAK["mode"]
        port = auth_port if self.path.startswith("/auth") else open_port
        path = self.path[5:] if self.path.startswith("/auth") else self.path
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else None
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=body, method=self.command)
        for k in ("Content-Type",):
            if self.headers.get(k):
                req.add_header(k, self.headers[k])
        try:
            resp = urllib.request.urlopen(req, timeout=10)
        except urllib.error.HTTPError as e:
            resp = e
        status, data, headers = resp.status if hasattr(resp, "status") else resp.code, resp.read(), dict(resp.headers)
        if data.startswith(b"{"):
            doc = json.loads(data)
            if mode == "missing-code":
                for e in doc.get("errors", []):
                    e.pop("code", None)
            elif mode == "renamed-key":
                doc = {"error": doc.get("errors")}
            data = json.dumps(doc).encode()
        if mode == "wrong-status" and status == 404:
            status = 400
        if mode == "no-www-authenticate":
            headers = {k: x for k, x in headers.items() if k.lower() != "www-authenticate"}
        self.send_response(status)
        for k, x in headers.items():
            if k.lower() not in ("content-length", "date", "server", "connection", "transfer-encoding"):
                self.send_header(k, x)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_PUT = do_DELETE = do_HEAD = relay


srv = Server(("127.0.0.1", 0), Breaker)
threading.Thread(target=srv.serve_forever, daemon=True).start()
base = "http://127.0.0.1:%d" % srv.server_address[1]
ONE = os.path.join(tmp, "one.json")
with open(ONE, "w") as f:
    json.dump({"cases": [{"name": "an unknown manifest",
                          "request": {"method": "GET", "path": "/v2/errata/none/manifests/latest"},
                          "expect": {"code": "MANIFEST_UNKNOWN"}}]}, f)
AUTH_ONE = os.path.join(tmp, "auth-one.json")
with open(AUTH_ONE, "w") as f:
    json.dump({"cases": [{"name": "the version check without a token", "request": {"method": "GET", "path": "/auth/v2/"},
                          "expect": {"code": "UNAUTHORIZED"}}]}, f)
for mode, fix, want in (
        (None, ONE, []),
        ("wrong-status", ONE, ["status"]),
        ("missing-code", ONE, ["envelope.shape"]),
        ("renamed-key", ONE, ["envelope.shape"]),
        ("no-www-authenticate", AUTH_ONE, ["headers.required"])):
    BREAK["mode"] = mode
    r, v = check(base, fix)
    got = failing(list(v.values())[0]) if v else ["(no case ran)"]
    t.ok(got == want, "through a proxy that breaks %s: %s" % (mode or "nothing", ", ".join(want) or "every check passes"),
         "failed: %s" % got)
srv.shutdown()
for p in (open_p, auth_p):
    p.terminate()
    p.wait(timeout=10)
shutil.rmtree(tmp, ignore_errors=True)
t.done()
