#!/usr/bin/env python3
"""The defect classes the review found in the harness and the contract tools,
one test each (docs/RELIABILITY.md lists them): the curl reproduction built
without a bound, text cut inside a character, a client's output kept only at
its start, a client's grandchild left running, a client that never reached
the mock passing, --rate ignored by bursts, a redirect called a success,
duplicate-code checks and import notes that grow with the square or the
count of the codes."""
import json, os, re, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from errata_test import Tap, Client, ERRATA, start, stop, run, SCALE  # noqa: E402

t = Tap()
tmp = tempfile.mkdtemp(prefix="errata-bounds-")
p, port = start()
mock = "http://127.0.0.1:%d/breezeblue" % port
broken = subprocess.Popen([sys.executable, "tests/lib/broken_server.py"], stdout=subprocess.PIPE, text=True)
bport = int(broken.stdout.readline())


def write(name, doc):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(doc if isinstance(doc, str) else json.dumps(doc))
    return path


def node_parse(tap_file):
    """node-tap's TAP 14 parser: (ok, failures) or None when it rejects the file."""
    with open(tap_file) as f:
        r = subprocess.run(["node", "tests/node/parse-tap.mjs"], stdin=f, capture_output=True, text=True, timeout=60)
    try:
        v = json.loads(r.stdout)
    except ValueError:
        return 1, r.stdout + r.stderr
    bad = [f for f in v["failures"] if f.get("tapError")]
    return (0 if not bad and v["plan"] else 1), r.stdout[-400:]


# --- 2. the curl reproduction grows with what it quotes -----------------------------------------
fx = write("long.json", {"cases": [{"name": "a long method", "request": {"method": "X" * 3000, "path": "/v1/" + "p" * 3000},
                                    "expect": {"any_error": True}}]})
tap = os.path.join(tmp, "long.tap")
r = run("check", "--contract", "breezeblue", "--base-url",
        "http://u:pw@127.0.0.1:%d/breezeblue?token=a&session=b&x=" % port + "q" * 2000,
        "--fixtures", fx, "--tap", tap, "--selector")
text = open(tap).read() if os.path.exists(tap) else ""
t.ok(r.returncode in (0, 1) and ("-X '" + "X" * 3000 + "'") in text and "token=[REDACTED]" in text,
     "a 3,000-byte method and a base URL that redaction lengthens: the reproduction holds all of it", r.stderr[-300:])

# --- 9. cuts on character boundaries, non-UTF-8 headers kept, TAP that parsers accept ----------
tap = os.path.join(tmp, "cut.tap")
r = run("check", "--contract", "breezeblue", "--base-url", "http://127.0.0.1:%d/cut-utf8/breezeblue" % bport,
        "--all-codes", "--deadline", "1", "--jobs", "8", "--tap", tap, "--junit", os.path.join(tmp, "cut.xml"))
text = open(tap, encoding="utf-8", errors="strict").read() if os.path.exists(tap) else ""
empty_yaml = re.search(r"^\s*---\n\s*\.\.\.$", text, re.M)
rc, out = node_parse(tap)
t.ok(r.returncode == 1 and text.count("  ---") > 10 and not empty_yaml and rc == 0,
     "values cut inside a character: every YAML block is filled and node-tap accepts the report", out[-400:])
t.ok('"X-Latin"' in text and "caf\\ufffd" in text.lower(),
     "a latin-1 response header stays in the evidence, its byte shown as U+FFFD", text[:0])
r = subprocess.run(["xmllint", "--noout", "--schema", "tests/junit.xsd", os.path.join(tmp, "cut.xml")],
                   capture_output=True, text=True)
t.ok(r.returncode == 0, "and the JUnit report validates", r.stderr[-300:])

# --- 3xx is not a success ------------------------------------------------------------------------
r = run("check", "--contract", "breezeblue", "--base-url", "http://127.0.0.1:%d/redirect/breezeblue" % bport,
        "--all-codes", "--tap", "-")
t.ok(r.returncode == 1 and "got a redirect 302 to https://elsewhere.example" in r.stdout and "unexpected success" not in r.stdout,
     "a 302 from the target: an error that names the redirect, not an 'unexpected success'", r.stdout[:600])

# --- 15. --rate holds for bursts --------------------------------------------------------------------
fx = write("burst.json", {"cases": [{"name": "burst", "kind": "burst", "count": 11,
                                     "request": {"method": "GET", "path": "/v1/x"}, "expect": {"role": "rate_limited"}}]})
Client(port).req("DELETE", "/__errata/journal")
t0 = time.time()
r = run("check", "--contract", "breezeblue", "--base-url", mock, "--fixtures", fx, "--burst", "--rate", "5/s", "--tap", "-")
took = time.time() - t0
ts = [e["t_us"] for e in Client(port).json("GET", "/__errata/journal")[1]["entries"]]
span = (ts[-1] - ts[0]) / 1e6 if len(ts) > 1 else 0
t.ok(len(ts) == 11 and span >= 1.8, "a burst of 11 at --rate 5/s: spread over %.2f s, not sent at once" % span, (len(ts), span, took))

# --- 12. a client that never reaches the mock does not pass --------------------------------------
silent = write("silent.py", "import sys\nsys.exit(int(sys.argv[1]))\n")
for code in (0, 1):
    r = run("client", "--contract", "breezeblue", "--scenario", "retry RATE_LIMITED", "--scenario", "no retry AUTH_REQUIRED",
            "--scenario", "backoff", "--scenario", "fault CONNECTION_RESET_BY_PEER", "--tap", "-", "--", sys.executable, silent, str(code),
            timeout=60)
    passes = re.findall(r"^\s+ok \d+ - (\S+)$", r.stdout, re.M)
    t.ok(r.returncode == 1 and not passes and "made no request to the mock" in r.stdout,
         "a client that exits %d without a request: errors, no check passes" % code, passes or r.stdout[-300:])

# --- 10. the head and the tail of a client's output are kept ---------------------------------------
noisy = write("noisy.py", """import os, sys, urllib.request, urllib.error
sys.stdout.write("log line\\n" * 8000)   # 72 KB of logging first
try:
    urllib.request.urlopen(urllib.request.Request(os.environ["ERRATA_BASE_URL"] + os.environ["ERRATA_PATH"],
                                                  method=os.environ["ERRATA_METHOD"], data=b"{}"), timeout=5)
except urllib.error.HTTPError as e:
    print("failed: " + e.read().decode())
sys.exit(1)
""")
r = run("client", "--contract", "breezeblue", "--scenario", "no retry AUTH_REQUIRED", "--tap", "-", "--", sys.executable, noisy,
        timeout=60)
t.ok(re.search(r"^\s+ok \d+ - no-retry.code-shown$", r.stdout, re.M) is not None,
     "a client that logs 72 KB and then prints the code: no-retry.code-shown passes", r.stdout[-500:])
r = run("client", "--contract", "breezeblue", "--scenario", "no retry AUTH_REQUIRED", "--junit", os.path.join(tmp, "n.xml"),
        "--tap", os.path.join(tmp, "n.tap"), "--", sys.executable, noisy, timeout=60)
# a passing scenario has no YAML in TAP: force evidence with a client that fails a check
quiet_fail = write("qf.py", """import sys
sys.stdout.write("head of the log\\n" + "x" * 70000 + "\\nAUTH_REQUIRED at the end\\n")
sys.exit(0)
""")
r = run("client", "--contract", "breezeblue", "--scenario", "no retry AUTH_REQUIRED", "--tap", "-", "--", sys.executable, quiet_fail,
        timeout=60)
t.ok("head of the log" in r.stdout and "AUTH_REQUIRED at the end" in r.stdout and '"output_cut":true' in r.stdout,
     "the evidence shows the head and the tail, and says the middle was cut", r.stdout[-600:])

# --- 11. nothing the client started outlives it -------------------------------------------------
pidfile = os.path.join(tmp, "grandchild.pid")
daemon = write("daemon.py", """import os, subprocess, sys
g = subprocess.Popen(["sleep", "60"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
open(%r, "w").write(str(g.pid))
os.close(1); os.close(2)    # its output ends first, then it exits
sys.exit(1)
""" % pidfile)
r = run("client", "--contract", "breezeblue", "--scenario", "no retry AUTH_REQUIRED", "--tap", "-", "--", sys.executable, daemon,
        timeout=60)
time.sleep(0.3)
gpid = int(open(pidfile).read()) if os.path.exists(pidfile) else 0
try:
    state = open("/proc/%d/stat" % gpid).read().split()[2] if gpid else "gone"
except OSError:
    state = "gone"
t.ok(gpid and state in ("gone", "Z"), "a background grandchild of a client that closed its output first is killed (%s)" % state)

# --- 3. every number a flag takes is bounded: no NaN, no infinity ---------------------------------
bad = []
for flag, val in (("--timeout", "nan"), ("--timeout", "inf"), ("--deadline", "nan"), ("--rate", "nan/s"),
                  ("--rate", "inf/s"), ("--rate", "1e308/s"), ("--timeout", "1e400")):
    r = run("check", "--contract", "breezeblue", "--base-url", mock, "--all-codes", flag, val)
    if r.returncode != 2 or "is not" not in r.stderr:
        bad.append((flag, val, r.returncode))
r = run("client", "--contract", "breezeblue", "--timeout", "nan", "--", "true")
if r.returncode != 2:
    bad.append(("client --timeout", "nan", r.returncode))
t.ok(not bad, "NaN, infinity and out-of-range values for --timeout, --deadline and --rate: usage errors, exit 2", bad)

# --- 15. duplicate codes are found by sorting; an import notes the cut once --------------------------
base = json.load(open("tests/data/minimal.json"))
for n in (40000,):
    c = dict(base, id="big")
    c["codes"] = base["codes"] + [{"code": "E_%06d" % i, "status": 400, "retryable": False, "message": "m",
                                   "role": "validation"} for i in range(n)]
    c["codes"].append({"code": "E_%06d" % (n // 2), "status": 400, "retryable": False, "message": "m", "role": "validation"})
    f = write("big.json", json.dumps(c, separators=(",", ":")))
    r = run("contract", "lint", f, timeout=60)
    t.ok(r.returncode == 1 and "duplicate code 'E_020000' (first at codes[20003])" in r.stderr,
         "40,000 codes with one duplicate: found, and named with its first place", r.stderr[-300:])
page = write("page.md", "# Errors\n\n| Code | Status | Message |\n|---|---|---|\n" +
             "".join("| E_%05d | 400 | Error %d. |\n" % (i, i) for i in range(40000)))
r = run("contract", "import", page, "--id", "p40", timeout=60)
t.ok(r.returncode == 0 and r.stderr.count("are not read") == 1, "a page of 40,000 codes: one note says what was not read",
     r.stderr[-300:])

broken.kill()
broken.wait()
stop(p)
t.done()
