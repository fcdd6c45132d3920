#!/usr/bin/env python3
"""errata inside an SDK's own test suite: `errata serve SPEC.yaml` serves an
OpenAPI description at / (every operation, its success generated from its
schema; 404 and 405 in the API's envelope, naming the nearest operation),
and a node:test suite shaped as openai-node's generated one (a client per
test, the SDK's default base URL) passes against it, then again under
--inject with every injected error judged and none falsely failed. Every
JSON success of openai.yaml validates against its own schema
(python3-jsonschema). An operation whose body cannot be made is said at
start-up and answered with a 500 problem naming why."""
import json, os, re, subprocess, sys, tempfile, urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from errata_test import Tap, ERRATA, SCALE, start, start_proxy, stop  # noqa: E402

SPEC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "openapi", "openai.yaml")
if not os.path.exists(SPEC):
    print("1..0 # SKIP no ../shared/openapi/openai.yaml")
    sys.exit(0)
t = Tap()
tmp = tempfile.mkdtemp(prefix="errata-sdk-")
SUITE = "examples/sdk-tests/openai-suite.test.mjs"


def get(port, path, method="GET"):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def node_suite(port):
    r = subprocess.run(["node", "--test", SUITE], env=dict(os.environ, TEST_API_BASE_URL="http://127.0.0.1:%d" % port),
                       capture_output=True, text=True, timeout=300 * SCALE)
    m = re.search(r"# pass (\d+)", r.stdout)
    return r.returncode, int(m.group(1)) if m else 0, r.stdout[-1500:]


# --- the description served at / ----------------------------------------------------
p, port = start(SPEC)
t.ok(re.search(r"288 operations", p.said), "the description is imported in memory: its 288 operations", p.said)
rc, passed, out = node_suite(port)
t.ok(rc == 0 and passed == 11, "the SDK-shaped suite passes against errata serve SPEC at the root (11 of 11)", out)
st, h, body = get(port, "/_stainless_unknown_path")
t.ok(st == 404 and "error" in json.loads(body) and "no operation" in h.get("X-Errata-Route", ""),
     "an undefined path: 404 in the API's envelope, X-Errata-Route says so", (st, h, body[:200]))
st, h, body = get(port, "/models/gpt-4o/extra")
t.ok(st == 404 and "nearest: GET /models/{model}" in h.get("X-Errata-Route", ""),
     "...and names the nearest operation", h.get("X-Errata-Route"))
st, h, body = get(port, "/models/" + "m" * 3000)
t.ok(st == 404 and "no operation" in h.get("X-Errata-Route", ""), "a path longer than any template: 404 too", (st, h))
st, h, body = get(port, "/models", method="DELETE")
t.ok(st == 405 and h.get("Allow") == "GET" and "other methods" in h.get("X-Errata-Route", ""),
     "a path under a method it does not have: 405 with Allow", (st, h))
st, h, body = get(port, "/containers/c-1/files/f-1/content")
t.ok(st == 200 and h.get("Content-Type") == "application/octet-stream", "a file download is bytes, not JSON", (st, h))
st, h, body = get(port, "/files/f-1/content")
t.ok(st == 200 and h.get("Content-Type") == "application/json" and json.loads(body) == "string",
     "...where the description says JSON (a string), JSON", (st, h, body))
st, h, body = get(port, "/__errata/health")
t.ok(st == 200 and json.loads(body)["status"] == "ok", "the health endpoint answers for scripts that wait", body)
stop(p)

# --- every JSON success validates against its schema -------------------------------------
CONTRACT = out = os.path.join(tmp, "openai.json")
r = subprocess.run([ERRATA, "contract", "import", SPEC, "--id", "openai", "-o", out], capture_output=True, text=True,
                   timeout=60 * SCALE)
v = subprocess.run(["/usr/bin/python3", "tests/lib/validate_success.py", SPEC, out], capture_output=True, text=True,
                   timeout=120 * SCALE)
m = re.search(r"checked (\d+), failed (\d+)", v.stdout)
t.ok(v.returncode == 0 and m and int(m.group(1)) >= 250 and m.group(2) == "0",
     "every JSON success of openai.yaml validates against its own schema (%s)" % (m.group(0) if m else "?"),
     v.stdout[-800:] + v.stderr[-400:])
XERO = os.path.join(os.path.dirname(SPEC), "..", "corpus", "xero-accounting-openapi.yaml")
if os.path.exists(XERO):
    xo = os.path.join(tmp, "xero.json")
    r = subprocess.run([ERRATA, "contract", "import", XERO, "-o", xo], capture_output=True, text=True, timeout=60 * SCALE)
    v = subprocess.run(["/usr/bin/python3", "tests/lib/validate_success.py", XERO, xo], capture_output=True, text=True,
                       timeout=120 * SCALE)
    said = r.stderr.count("contradicts its schema")
    t.ok(v.returncode == 0 and said == 18, "Xero's description: its 18 examples that contradict their schemas are said, "
         "and bodies made from the schemas instead (%s)" % v.stdout.strip()[-40:], v.stdout[-600:] + r.stderr[-300:])
else:
    t.skip("Xero's examples", "no ../shared/corpus")
ops = json.load(open(out)).get("operations", []) if os.path.exists(out) else []
t.ok(len(ops) == 288 and all("success" in o for o in ops), "import keeps every operation, each with its success", len(ops))

# --- with chaos: each injected error judged ----------------------------------------------
p, port = start(SPEC, "--inject", "rate=30%,seed=11", "--journal-size", "10000", quiet=True)
rc, passed, out = node_suite(port)
t.ok(rc == 0 and passed == 11, "with 30% injected retryable errors the suite still passes (the SDK retries)", out)
rep = json.loads(get(port, "/__errata/report")[2])
jr = json.loads(get(port, "/__errata/journal")[2])
injected = [e for e in jr["entries"] if e.get("status") == 429]
fails = [c for c in rep["cases"] if any(k["outcome"] == "fail" for k in c["checks"])]
t.ok(len(injected) >= 1 and rep["totals"]["cases"] == len(injected),
     "one verdict per injected error (%d verdicts, %d 429s in the journal)" % (rep["totals"]["cases"], len(injected)))
t.ok(not fails and all(any(k["id"] == "chaos.retried" and k["outcome"] == "pass" for k in c["checks"]) for c in rep["cases"]),
     "none of them a false failure of the SDK's correct retries", fails[:2])
stop(p)

# --- errata proxy --inject in front of it: the same verdicts, beside conformance -----------
up, up_port = start(SPEC, quiet=True)
px, px_port, seed = start_proxy("--contract", CONTRACT, "--inject", "rate=30%,seed=5", upstream="http://127.0.0.1:%d" % up_port)
rc, passed, sout = node_suite(px_port)
t.ok(rc == 0 and passed == 11, "through errata proxy --inject, the suite passes", sout)
rep = json.loads(get(px_port, "/__errata/report")[2])
shots = [c for c in rep["cases"] if c["name"].startswith("injected #")]
jr = json.loads(get(px_port, "/__errata/journal")[2])
answered = [e for e in jr["entries"] if e.get("status") == 429 and e.get("upstream") is None]
t.ok(shots and len(shots) == len(answered) and
     not [c for c in shots if any(k["outcome"] == "fail" for k in c["checks"])],
     "errata proxy judges every error it injected (%d verdicts, %d injected 429s), none falsely failed" % (len(shots), len(answered)),
     [c["name"] for c in shots][:3])
stop(px)
stop(up)

# --- what cannot be generated is said, never a silent {} ----------------------------------
p, port = start("tests/data/openapi/ungenerable.yaml")
t.ok("cycle" in p.said and "x-widget" in p.said, "start-up notes name each operation without a success body", p.said)
st, h, body = get(port, "/nodes/1")
t.ok(st == 500 and "cycle" in json.loads(body).get("detail", ""), "...which answers a 500 problem naming why", body)
st, h, body = get(port, "/ok")
t.ok(st == 200 and json.loads(body) == {"ok": True}, "the others answer their success", body)
stop(p)

# --- restarted on its port at once (a suite's scripts stop and start it) ------------------
p, port = start("--contracts", "contracts/breezeblue.json")
for _ in range(3):
    subprocess.run(["curl", "-s", "-o", "/dev/null", "-H", "Connection: close", "http://127.0.0.1:%d/breezeblue/v1/x" % port],
                   timeout=10)
stop(p)
again = subprocess.Popen([ERRATA, "serve", "--listen", "127.0.0.1:%d" % port, "--contracts", "contracts/breezeblue.json"],
                         stderr=subprocess.PIPE, text=True)
line = again.stderr.readline()
t.ok(line.startswith("listening on"), "errata serve restarts on the port it just left (its closed connections in TIME_WAIT)", line)
stop(again)

# --- --root with a contract; refusals ----------------------------------------------------
p, port = start("--contracts", "contracts/breezeblue.json", "--root")
st, h, body = get(port, "/v1/anything")
st2, _, _ = get(port, "/breezeblue/v1/anything")
t.ok(st == 200 and st2 == 200, "--root serves the one contract at / and under /<id>/", (st, st2))
stop(p)
r = subprocess.run([ERRATA, "serve", "--listen", "127.0.0.1:0", "--root"], capture_output=True, text=True,
                   timeout=10 * SCALE)
t.ok(r.returncode == 2 and "--root serves one contract" in r.stderr, "--root with every bundled contract is refused", r.stderr)
r = subprocess.run([ERRATA, "serve", "--listen", "127.0.0.1:0", "tests/data/openapi/bad/missing.yaml"],
                   capture_output=True, text=True, timeout=10 * SCALE)
t.ok(r.returncode != 0 and "errata serve" in r.stderr and "listening" not in r.stderr,
     "a description that cannot be imported is refused with the importer's reason", r.stderr)
t.done()
