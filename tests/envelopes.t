#!/usr/bin/env python3
"""An envelope that is an array of errors ({"errors": [{"code", "message",
"detail"}]}, as OCI registries send): it lints, errata serve renders it,
errata check reads the code out of it (the mock's own output passes, each
broken body fails envelope.shape), and it round-trips through contract docs
(Markdown and HTML) and contract import. Lint refuses placeholders outside
the first element, which the matcher could not read."""
import json, os, re, subprocess, sys, tempfile, threading
from http.server import BaseHTTPRequestHandler

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from errata_test import Tap, ERRATA, SCALE, Server, start, stop  # noqa: E402

t = Tap()
tmp = tempfile.mkdtemp(prefix="errata-env-")

class Canned(BaseHTTPRequestHandler):
    """Answers each path with its row of `routes`: (status, headers, body);
    a body that is not text is sent as JSON."""
    routes = {}

    def log_message(self, *a):
        pass

    def answer(self):
        st, headers, body = self.routes[self.path]
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(st)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_PUT = do_HEAD = answer


def canned(routes):
    srv = Server(("127.0.0.1", 0), type("Routes", (Canned,), {"routes": routes}))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def failing(contract, srv, path, expect=None, method="GET"):
    """errata check on one request to a canned server: the checks that fail, and the run."""
    fx = os.path.join(tmp, "case.json")
    json.dump({"cases": [{"name": path, "request": {"method": method, "path": path},
                          "expect": expect or {"any_error": True}}]}, open(fx, "w"))
    r = subprocess.run([ERRATA, "check", "--contract", contract, "--base-url", "http://127.0.0.1:%d" % srv.server_port,
                        "--fixtures", fx, "--tap", "-"], capture_output=True, text=True, timeout=60 * SCALE)
    return sorted({ln.split(" - ")[1].split(" ")[0] for ln in r.stdout.splitlines() if ln.startswith("    not ok")}), r

REG = "tests/data/registry.json"

r = subprocess.run([ERRATA, "contract", "lint", REG], capture_output=True, text=True)
t.ok(r.returncode == 0, "the array envelope lints", r.stdout + r.stderr)

p, port = start("--contracts", REG)
out = subprocess.run(["curl", "-s", "-H", "X-Errata-Error: BLOB_UNKNOWN", "http://127.0.0.1:%d/registry/v2/x/blobs/y" % port],
                     capture_output=True, text=True).stdout
t.ok(json.loads(out) == {"errors": [{"code": "BLOB_UNKNOWN", "message": "blob unknown to registry", "detail": None}]},
     "errata serve renders it", out)
r = subprocess.run([ERRATA, "check", "--contract", REG, "--base-url", "http://127.0.0.1:%d/registry" % port,
                    "--all-codes", "--tap", "-"], capture_output=True, text=True, timeout=60 * SCALE)
t.ok(r.returncode == 0 and "not ok" not in r.stdout and r.stdout.count("ok 4 - envelope.shape\n") == 4 and
     r.stdout.count("ok 1 - expect") == 4,
     "errata check passes errata serve's own output for every code, naming each", r.stdout[-400:] + r.stderr[-400:])
stop(p)

# a server whose bodies are right and wrong in the ways a registry can be
BODIES = {
    "/good-two": (404, {"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown", "detail": None},
                                   {"code": "BLOB_UNKNOWN", "message": "blob unknown to registry", "detail": None}]}),
    "/empty": (404, {"errors": []}),
    "/object": (404, {"errors": {"code": "MANIFEST_UNKNOWN", "message": "manifest unknown", "detail": None}}),
    "/number": (404, {"errors": [{"code": 7, "message": "manifest unknown", "detail": None}]}),
    "/second-broken": (404, {"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown", "detail": None},
                                        {"message": "no code here", "detail": None}]}),
    "/unknown": (404, {"errors": [{"code": "NOPE", "message": "manifest unknown", "detail": None}]}),
}


JSON_HDRS = {"Content-Type": "application/json", "X-Request-Id": "r1"}
srv = canned({path: (st, JSON_HDRS, body) for path, (st, body) in BODIES.items()})
for path, want_fail in (("/good-two", None), ("/empty", "envelope.shape"), ("/object", "envelope.shape"),
                        ("/number", "envelope.shape"), ("/second-broken", "envelope.shape"),
                        ("/unknown", "code.documented")):
    fails, r = failing(REG, srv, path, {"code": "MANIFEST_UNKNOWN"} if path == "/good-two" else None)
    if want_fail is None:
        t.ok(r.returncode == 0 and not fails and "ok 1 - expect" in r.stdout,
             "two errors in the array: the first one's code is read, the second's shape checked", r.stdout[-500:])
    else:
        t.ok(r.returncode == 1 and want_fail in fails, "%s: fails %s" % (path, want_fail), (fails, r.stdout[-500:]))
srv.shutdown()

for fmt in ("md", "html"):
    doc = os.path.join(tmp, "registry." + fmt)
    d = subprocess.run([ERRATA, "contract", "docs", REG, "--format", fmt], capture_output=True, text=True)
    open(doc, "w").write(d.stdout)
    back = os.path.join(tmp, "back-%s.json" % fmt)
    r = subprocess.run([ERRATA, "contract", "import", doc, "--id", "registry", "-o", back], capture_output=True, text=True)
    a, b = json.load(open(REG)), (json.load(open(back)) if os.path.exists(back) else {})
    t.ok(r.returncode == 0 and b.get("envelope") == a["envelope"] and
         [(c["code"], c["status"], c["retryable"]) for c in b.get("codes", [])] ==
         [(c["code"], c["status"], c["retryable"]) for c in a["codes"]],
         "contract docs --format %s, then import: the same envelope and codes" % fmt, r.stderr[-300:])

bad = json.load(open(REG))
bad["envelope"]["error"] = {"errors": [{"code": "X"}, {"code": "{{code}}", "message": "{{message}}"}]}
bpath = os.path.join(tmp, "bad.json")
json.dump(bad, open(bpath, "w"), indent=2)
r = subprocess.run([ERRATA, "contract", "lint", bpath], capture_output=True, text=True)
t.ok(r.returncode == 1 and "first element only" in r.stderr and bpath + ":" in r.stderr,
     "lint refuses placeholders past an array's first element, with file:line:col", r.stderr)

# --- XML (the s3 contract) and every error of an array (oci-registry) -----
p, port = start("--contracts", "contracts/s3.json")
out = subprocess.run(["curl", "-s", "-D", "-", "-H", "X-Errata-Error: SlowDown", "http://127.0.0.1:%d/s3/b/k" % port],
                     capture_output=True, text=True).stdout
head, _, body = out.replace("\r\n", "\n").partition("\n\n")
rid = re.search(r"x-amz-request-id: (\S+)", head).group(1)
t.ok(body == '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your '
     'request rate.</Message><RequestId>%s</RequestId></Error>\n' % rid and "Content-Type: application/xml" in head,
     "errata serve renders S3's XML error, the request id header's value in RequestId", out)
r = subprocess.run([ERRATA, "check", "--contract", "s3", "--base-url", "http://127.0.0.1:%d/s3" % port,
                    "--all-codes", "--tap", "-"], capture_output=True, text=True, timeout=60 * SCALE)
t.ok(r.returncode == 0 and "not ok" not in r.stdout and r.stdout.count("ok 19 - envelope.xml\n") == 23,
     "errata check reads errata serve's XML for all 23 codes (envelope.xml judged, envelope.json skipped)",
     r.stdout[-400:])
stop(p)

XML = {
    "/good": (503, "SlowDown", "<Error><Code>SlowDown</Code><Message>m</Message><RequestId>rid-1</RequestId></Error>"),
    "/not-xml": (503, "SlowDown", '{"Code": "SlowDown"}'),
    "/wrong-root": (503, "SlowDown", "<Err><Code>SlowDown</Code><Message>m</Message><RequestId>rid-1</RequestId></Err>"),
    "/no-code": (503, "SlowDown", "<Error><Message>m</Message><RequestId>rid-1</RequestId></Error>"),
    "/unknown-code": (503, "SlowDown", "<Error><Code>Nope</Code><Message>m</Message><RequestId>rid-1</RequestId></Error>"),
    "/wrong-status": (500, "SlowDown", "<Error><Code>SlowDown</Code><Message>m</Message><RequestId>rid-1</RequestId></Error>"),
    "/other-id": (503, "SlowDown", "<Error><Code>SlowDown</Code><Message>m</Message><RequestId>rid-2</RequestId></Error>"),
    "/deep": (503, "SlowDown", "<Error>" + "<a>" * 40 + "x" + "</a>" * 40 + "</Error>"),
    "/oci-all-good": (404, None, json.dumps({"errors": [{"code": "MANIFEST_UNKNOWN"}, {"code": "NAME_UNKNOWN", "detail": "x"}]})),
    "/oci-second-unknown": (404, None, json.dumps({"errors": [{"code": "MANIFEST_UNKNOWN"}, {"code": "NOPE"}]})),
    "/oci-not-json": (404, None, "404 page not found\n"),
    "/oci-json-no-code": (404, None, json.dumps({"errors": [{"message": "x"}]})),
}


def xml_row(st, body):
    kind = "application/xml" if body[:1] == "<" else "text/plain" if "page" in body else "application/json"
    return st, {"Content-Type": kind, "x-amz-request-id": "rid-1"}, body


srv = canned({path: xml_row(st, body) for path, (st, _, body) in XML.items()})
for path, contract, want in (("/good", "s3", []), ("/not-xml", "s3", ["content-type", "envelope.xml"]),
                             ("/wrong-root", "s3", ["envelope.shape"]), ("/no-code", "s3", ["envelope.shape"]),
                             ("/unknown-code", "s3", ["code.documented"]), ("/wrong-status", "s3", ["status"]),
                             ("/other-id", "s3", ["request-id.body"]), ("/deep", "s3", ["envelope.xml"]),
                             ("/oci-all-good", "oci-registry", []), ("/oci-second-unknown", "oci-registry", ["code.documented"]),
                             ("/oci-not-json", "oci-registry", []), ("/oci-json-no-code", "oci-registry", ["envelope.shape"])):
    fails, r = failing(contract, srv, path)
    t.ok(fails == want and r.returncode == (1 if want else 0),
         "%s %s: %s" % (contract, path, "fails " + ", ".join(want) if want else "passes"), (fails, r.stdout[-300:]))
srv.shutdown()

# --- JSON:API: the status as a string ---------------------------------------
p, port = start("--contracts", "tests/data/jsonapi.json")
out = subprocess.run(["curl", "-s", "-H", "X-Errata-Error: not_found", "http://127.0.0.1:%d/jsonapi/articles/1" % port],
                     capture_output=True, text=True).stdout
t.ok(json.loads(out) == {"errors": [{"status": "404", "code": "not_found", "title": "Resource not found",
                                     "detail": "Resource not found"}]},
     "errata serve renders JSON:API's status as a string ({{status_string}})", out)
r = subprocess.run([ERRATA, "check", "--contract", "tests/data/jsonapi.json", "--base-url",
                    "http://127.0.0.1:%d/jsonapi" % port, "--all-codes", "--tap", "-"], capture_output=True, text=True, timeout=60 * SCALE)
t.ok(r.returncode == 0 and "not ok" not in r.stdout and r.stdout.count("ok 5 - envelope.status\n") == 4,
     "errata check reads it back for every code (envelope.status judged)", r.stdout[-300:])
stop(p)
JA = {"/int": (404, {"errors": [{"status": 404, "code": "not_found", "title": "x", "detail": "y"}]}),
      "/other": (404, {"errors": [{"status": "500", "code": "not_found", "title": "x", "detail": "y"}]}),
      "/good": (404, {"errors": [{"status": "404", "code": "not_found", "title": "x", "detail": "y"}]})}


srv = canned({path: (st, {"Content-Type": "application/vnd.api+json"}, doc) for path, (st, doc) in JA.items()})
for path, want in (("/good", []), ("/int", ["envelope.shape"]), ("/other", ["envelope.status"])):
    fails, r = failing("tests/data/jsonapi.json", srv, path)
    t.ok(fails == want, "JSON:API %s: %s" % (path, "fails " + ", ".join(want) if want else "passes"), (fails, r.stdout[-300:]))
srv.shutdown()

# --- AWS JSON protocols: __type "ns#Name:url", the code in X-Amzn-ErrorType --
NS = "com.amazonaws.dynamodb.v20120810#"
AW = {"/suffix": ({"__type": NS + "ResourceNotFoundException:http://internal.amazon.com/x", "message": "m"}, None),
      "/header-only": ({"message": "m"}, "ResourceNotFoundException:http://internal.amazon.com/x"),
      "/both": ({"__type": NS + "ResourceNotFoundException", "message": "m"}, "ResourceNotFoundException"),
      "/disagree": ({"__type": NS + "ResourceNotFoundException", "message": "m"}, "ThrottlingException"),
      "/unknown": ({"message": "m"}, "NoSuchThingException"),
      "/none": ({"message": "m"}, None)}


def aws_row(doc, hdr):
    headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "r1"}
    if hdr:
        headers["X-Amzn-ErrorType"] = hdr
    return 400, headers, doc


srv = canned({path: aws_row(doc, hdr) for path, (doc, hdr) in AW.items()})
for path, want in (("/suffix", []), ("/header-only", []), ("/both", []), ("/disagree", ["envelope.shape"]),
                   ("/unknown", ["code.documented"]), ("/none", ["envelope.shape"])):
    fails, r = failing("tests/data/awsjson.json", srv, path, None if want else {"code": "ResourceNotFoundException"})
    t.ok(fails == want, "AWS JSON %s: %s" % (path, "fails " + ", ".join(want) if want else "read as ResourceNotFoundException"),
         (fails, r.stdout[-300:]))
srv.shutdown()

# --- codes per operation, and headers a code must not carry ----------------
OCI = {"Content-Type": "application/json"}
BLOB = "/v2/app/blobs/sha256:" + "0" * 64
srv = canned({BLOB + "/invalid": (400, OCI, {"errors": [{"code": "MANIFEST_INVALID", "message": "manifest invalid"}]}),
              BLOB: (400, OCI, {"errors": [{"code": "BLOB_UNKNOWN", "message": "blob unknown to registry"}]}),
              "/v2/app/manifests/v1": (400, OCI, {"errors": [{"code": "BLOB_UNKNOWN", "message": "blob unknown"}]})})
for path, method, want, why in (
        ("/v2/app/manifests/v1", "PUT", [], "BLOB_UNKNOWN at 400 on a manifest PUT: the entry that operation lists"),
        (BLOB, "GET", ["status"], "BLOB_UNKNOWN at 400 on a blob GET: that operation documents it at 404"),
        (BLOB + "/invalid", "GET", [], "a path no operation matches: code.operation skips")):
    fails, r = failing("oci-registry", srv, path, method=method)
    t.ok(fails == want, "oci-registry %s %s: %s (%s)" % (method, path[:30], "fails " + ", ".join(want) if want else "passes", why),
         (fails, r.stdout[-300:]))
srv.shutdown()
srv = canned({BLOB: (400, OCI, {"errors": [{"code": "MANIFEST_INVALID", "message": "manifest invalid"}]})})
fails, r = failing("oci-registry", srv, BLOB)
t.ok(fails == ["code.operation"], "MANIFEST_INVALID on a blob GET fails code.operation: that operation does not list it",
     (fails, r.stdout[-300:]))
srv.shutdown()
forbid = json.load(open("tests/data/minimal.json"))
forbid["errata"] = 2
forbid["codes"][0]["forbidden_headers"] = ["Retry-After"]
forbid["codes"][0]["headers"] = {"Link": "<https://example.com/docs>; rel=help"}
fpath = os.path.join(tmp, "forbid.json")
json.dump(forbid, open(fpath, "w"))
MIN = {"Content-Type": "application/json", "X-Request-Id": "r1"}
NF = {"error": {"code": "NOT_FOUND", "message": "Not found."}}
srv = canned({"/right": (404, dict(MIN, Link="<x>; rel=help"), NF),
              "/retry-after": (404, dict(MIN, Link="<x>; rel=help", **{"Retry-After": "1"}), NF),
              "/no-link": (404, MIN, NF)})
for path, want in (("/right", []), ("/retry-after", ["headers.forbidden"]), ("/no-link", ["headers.required"])):
    fails, r = failing(fpath, srv, path)
    t.ok(fails == want, "a code's headers %s: %s" % (path, "fails " + ", ".join(want) if want else "passes"),
         (fails, r.stdout[-300:]))
srv.shutdown()

# --- a credential in a greedy path parameter is masked whole ----------------
p, port = start("--contracts", "tests/data/greedy-secret.json")
subprocess.run(["curl", "-s", "-o", "/dev/null", "-H", "X-Errata-Error: NOT_FOUND",
                "http://127.0.0.1:%d/sec/files/sk-secret-aaa/sk-secret-bbb/meta" % port])
journal = subprocess.run(["curl", "-s", "http://127.0.0.1:%d/__errata/journal" % port], capture_output=True, text=True).stdout
t.ok("sk-secret" not in journal and "/sec/files/{token+}/meta" in journal,
     "a {token+} parameter is masked over every segment it spans, in the journal", journal[:300])
stop(p)

# --- a page whose error example is XML, imported ---------------------------
imp = os.path.join(tmp, "xml-import.json")
r = subprocess.run([ERRATA, "contract", "import", "tests/data/xml-errors.md", "--id", "storage", "-o", imp],
                   capture_output=True, text=True)
c = json.load(open(imp)) if os.path.exists(imp) else {}
t.ok(r.returncode == 0 and c.get("content_type") == "application/xml" and c["envelope"].get("kind") == "xml" and
     c["envelope"]["error"] == {"Error": {"Code": "{{code}}", "Message": "{{message}}", "RequestId": "{{request_id}}"}} and
     c["headers"]["request_id"] == "x-amz-request-id" and [x["code"] for x in c["codes"]] ==
     ["NoSuchKey", "AccessDenied", "SlowDown", "InternalError"] and "Resource" in c["inferred"].get("envelope.error", ""),
     "import reads a page's numbered XML example: an XML envelope of code, message and request id (Resource set "
     "aside, and said so), the page's request id header, the table's codes", (r.stderr[-400:], c.get("envelope")))
p, port = start("--contracts", imp)
r = subprocess.run([ERRATA, "check", "--contract", imp, "--base-url", "http://127.0.0.1:%d/storage" % port,
                    "--all-codes", "--tap", "-"], capture_output=True, text=True, timeout=60 * SCALE)
t.ok(r.returncode == 0 and r.stdout.count("ok 19 - envelope.xml\n") == 4,
     "the imported XML contract: errata check passes errata serve's own output for its 4 codes", r.stdout[-300:])
stop(p)
t.done()
