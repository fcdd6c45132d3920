#!/usr/bin/env python3
"""errata check against the real mock (everything passes), against a broken
server (each break caught by exactly the check that should catch it), and
against hostile servers (an error, never a hang); its TAP read by node-tap's
parser, its JUnit validated by xmllint and read back by junitparser; and no
secret anywhere in any output."""
import json, os, re, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from errata_test import Tap, ERRATA, start, stop  # noqa: E402

t = Tap()
tmp = tempfile.mkdtemp()
SECRET = "sk_live_errata_7f3c9e1b5d2a"
LITERAL = "literal-key-4d8e2c"
env = dict(os.environ, ERRATA_TEST_TOKEN=SECRET)
outputs = []  # every stream and file, searched for secrets at the end


def check(*args, timeout=60):
    tap = os.path.join(tmp, "r%d.tap" % len(outputs))
    xml = os.path.join(tmp, "r%d.xml" % len(outputs))
    cmd = [ERRATA, "check", "--tap", tap, "--junit", xml,
           "--header", "Authorization: Bearer ${ERRATA_TEST_TOKEN}", "--header", "X-Api-Key: " + LITERAL, *args]
    t0 = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    took = time.time() - t0
    texts = {"stdout": r.stdout, "stderr": r.stderr}
    for f in (tap, xml):
        if os.path.exists(f):
            texts[f] = open(f, "rb").read().decode("utf-8", "replace")
    outputs.append(texts)
    return r, texts.get(tap, ""), texts.get(xml, ""), xml, took


def failing(tap):
    """The check ids of failing points inside subtests."""
    return sorted({m.group(1) for m in re.finditer(r"^    not ok \d+ - (\S+)", tap, re.M)})


def node_parse(tap):
    r = subprocess.run(["node", "tests/node/parse-tap.mjs"], input=tap, capture_output=True, text=True, timeout=30)
    return json.loads(r.stdout) if r.returncode == 0 and r.stdout else {"error": r.stderr}


def junit_counts(xml):
    code = ("import sys\nfrom junitparser import JUnitXml\nx = JUnitXml.fromfile(sys.argv[1])\n"
            "print(' '.join(' '.join(map(str, (s.name, s.tests, s.failures, s.errors, s.skipped))) for s in x))")
    r = subprocess.run(["/usr/bin/python3", "-c", code, xml], capture_output=True, text=True, timeout=30)
    return r.stdout.strip() or r.stderr.strip()


def xsd_valid(xml):
    return subprocess.run(["xmllint", "--noout", "--schema", "tests/junit.xsd", xml],
                          capture_output=True, timeout=30).returncode == 0


# --- against errata serve: everything passes ------------------------------------------
p, port = start()
limited, lport = start("--rate-limit", "5/s")
mock = "http://127.0.0.1:%d" % port
for cid in ["breezeblue", "breezeblue-v1", "segmenter", "genapi", "studio", "ledger"]:
    r, tap, xml, xmlf, _ = check("--contract", cid, "--base-url", "%s/%s" % (mock, cid), "--all-codes",
                                 "--fixtures", "fixtures/%s" % cid, "--selector", "--jobs", "4")
    parsed = node_parse(tap)
    t.ok(r.returncode == 0 and "not ok" not in tap and parsed.get("ok") is True and parsed.get("fail") == 0,
         "%s: --all-codes and the bundled fixtures pass against errata serve (node-tap: %s passed)"
         % (cid, parsed.get("pass")), r.stderr + tap[-400:])
    counts = re.search(r"(\d+) passed, (\d+) failed, (\d+) errors, (\d+) skipped", r.stderr)
    jc = junit_counts(xmlf)
    t.ok(xsd_valid(xmlf) and counts and jc == "%s at 127.0.0.1:%d %d %d %d %d" % (cid, port, sum(map(int, counts.groups())), 0, 0, int(counts.group(4))),
         "%s: the JUnit report validates against tests/junit.xsd and junitparser reads its counts (%s)" % (cid, jc))
# Debian 12's prove (Test::Harness 3.44) refuses a "TAP version 14" line (3.48 accepts it);
# with that one line read as 13 it parses the rest, subtests included, as it is.
as13 = os.path.join(tmp, "as13.tap")
open(as13, "w").write(tap.replace("TAP version 14\n", "TAP version 13\n", 1))
r = subprocess.run(["prove", "--exec", "cat", as13], capture_output=True, text=True)
t.ok(r.returncode == 0 and "Result: PASS" in r.stdout, "prove accepts the report once its version line reads 13", r.stdout[-300:])
for cid in ["breezeblue", "genapi"]:  # the bundled burst cases, against a real 5/s limit
    bursts = {"cases": [x for x in json.load(open("fixtures/%s/errors.json" % cid))["cases"] if x.get("kind") == "burst"]}
    fxburst = os.path.join(tmp, "burst-%s.json" % cid)
    json.dump(bursts, open(fxburst, "w"))
    r, tap, _, _, _ = check("--contract", cid, "--base-url", "http://127.0.0.1:%d/%s" % (lport, cid), "--fixtures", fxburst, "--burst")
    r2, tap2, _, _, _ = check("--contract", cid, "--base-url", "http://127.0.0.1:%d/%s" % (lport, cid), "--fixtures", fxburst)
    t.ok(r.returncode == 0 and re.search(r"ok \d+ - burst.limited", tap) and "# SKIP a burst spends quota" in tap2,
         "%s: the bundled burst case is limited by --rate-limit 5/s; without --burst it is a SKIP" % cid, tap[-300:])
stop(limited)

# --- politeness: backoff on an unexpected 503, a client-side rate, shards ------------------
add = subprocess.run(["curl", "-s", "-X", "POST", mock + "/__errata/scenarios", "-H", "Content-Type: application/json", "-d", json.dumps(
    {"contract": "studio", "match": {"path": "/v1/busy"},
     "steps": [{"error": "STUDIO_2001", "retry_after": 1}, {"error": "STUDIO_1500"}]})], capture_output=True, text=True)
fxb = os.path.join(tmp, "busy.json")
json.dump({"cases": [{"name": "busy, then not found", "request": {"method": "GET", "path": "/v1/busy"},
                      "expect": {"code": "JOB_NOT_FOUND"}}]}, open(fxb, "w"))
r, tap, _, _, took = check("--contract", "studio", "--base-url", mock + "/studio", "--fixtures", fxb)
t.ok(r.returncode == 0 and "1 backoffs" in r.stderr and took >= 1.0,
     "an unexpected 503 with Retry-After: 1 is waited out and retried, counted, not failed (%.1f s)" % took, r.stderr)
add = subprocess.run(["curl", "-s", "-X", "POST", mock + "/__errata/scenarios", "-H", "Content-Type: application/json", "-d", json.dumps(
    {"contract": "studio", "match": {"path": "/v1/busier"}, "steps": [{"error": "STUDIO_2001", "retry_after": 30}]})],
    capture_output=True, text=True)
json.dump({"cases": [{"name": "always busy", "request": {"method": "GET", "path": "/v1/busier"},
                      "expect": {"code": "JOB_NOT_FOUND"}}]}, open(fxb, "w"))
r, tap, _, _, took = check("--contract", "studio", "--base-url", mock + "/studio", "--fixtures", fxb, "--deadline", "2")
t.ok(r.returncode == 1 and took < 10 and "0 backoffs" in r.stderr and "expected STUDIO_1500 (404), got STUDIO_2001 (503)" in tap,
     "a Retry-After: 30 past --deadline 2 is not waited for: the 503 is judged at once (%.1f s)" % took, r.stderr)
r, tap, _, _, took = check("--contract", "genapi", "--base-url", mock + "/genapi", "--all-codes", "--rate", "5/s", "--jobs", "4")
t.ok(r.returncode == 0 and took >= (11 - 1) / 5.0, "--rate 5/s: 11 requests take at least 2 s whatever the jobs (%.1f s)" % took)
names = []
for shard in ("1/3", "2/3", "3/3"):
    r, tap, _, _, _ = check("--contract", "studio", "--base-url", mock + "/studio", "--all-codes", "--shard", shard)
    names.append(re.findall(r"^ok \d+ - studio: (all-codes \S+)$", tap, re.M))
flat = [x for n in names for x in n]
t.ok(len(flat) == 36 and len(set(flat)) == 36 and all(names), "--shard 1/3, 2/3, 3/3 split the 36 codes without overlap",
     [len(n) for n in names])
stop(p)

# --- against a broken server: each break caught by exactly its check ----------------------
srv = subprocess.Popen([sys.executable, "tests/lib/broken_server.py"], stdout=subprocess.PIPE, text=True)
bport = int(srv.stdout.readline())
broken = "http://127.0.0.1:%d" % bport
r, tap, _, _, _ = check("--contract", "breezeblue", "--base-url", broken + "/good/breezeblue", "--all-codes")
t.ok(r.returncode == 0 and not failing(tap), "the broken server's good mode passes: the checks are not merely strict", failing(tap))
for mode, cid, want in [("wrong-status", "breezeblue", ["status"]),
                        ("no-retry-after", "breezeblue", ["retry-after.present"]),
                        ("renamed-key", "breezeblue", ["envelope.shape"]),
                        ("string-for-number", "studio", ["envelope.shape"]),
                        ("undocumented-code", "breezeblue", ["code.documented"]),
                        # genapi lists 401, 404, 429 and 500 without a code: there any code is
                        # accepted, so a substituted one shows as not the code asked for
                        ("undocumented-code", "genapi", ["code.documented", "expect"]),
                        ("html-page", "breezeblue", ["content-type", "envelope.json"])]:
    r, tap, _, _, _ = check("--contract", cid, "--base-url", "%s/%s/%s" % (broken, mode, cid), "--all-codes")
    t.ok(r.returncode == 1 and failing(tap) == want, "%s: reported by %s and no other check" % (mode, ", ".join(want)),
         failing(tap))
fx = os.path.join(tmp, "idem.json")
json.dump({"cases": [{"name": "reuse", "kind": "idempotency", "request": {"method": "POST", "path": "/v1/x", "body": {"a": 1}},
                      "other_body": {"a": 2}}]}, open(fx, "w"))
r, tap, _, _, _ = check("--contract", "breezeblue", "--base-url", broken + "/good/breezeblue", "--fixtures", fx)
t.ok(r.returncode == 0 and not failing(tap), "idempotency honoured: replay and conflict pass", failing(tap))
r, tap, _, _, _ = check("--contract", "breezeblue", "--base-url", broken + "/idempotency-ignored/breezeblue", "--fixtures", fx)
t.ok(r.returncode == 1 and failing(tap) == ["idempotency.conflict"], "idempotency not honoured: reported by idempotency.conflict", failing(tap))
r, tap, _, _, _ = check("--contract", "breezeblue", "--base-url", broken + "/good/breezeblue", "--fixtures", "fixtures/breezeblue")
t.ok(r.returncode == 1 and "expect" in failing(tap) and "unexpected success 200" in tap,
     "an unexpected success fails the expectation, showing the response", failing(tap))

# --- hostile servers: an error within the timeout, never a hang or a crash ------------------
for mode, outcome in [("hang", "error"), ("endless", "error"), ("huge-length", "error"),
                      ("reset-mid-body", "error"), ("garbage", "fail"), ("invalid-utf8", "fail")]:
    r, tap, xml, xmlf, took = check("--contract", "breezeblue", "--base-url", "%s/%s/breezeblue" % (broken, mode),
                                    "--fixtures", "fixtures/breezeblue", "--timeout", "2", "--jobs", "7", timeout=60)
    tag = "<error " if outcome == "error" else "<failure "
    t.ok(r.returncode == 1 and took < 20 and tag in xml and xsd_valid(xmlf) and node_parse(tap).get("ok") is False,
         "hostile %s: %s results in %.1f s, exit 1, reports still valid" % (mode, outcome, took), (r.returncode, r.stderr[-300:]))
r, tap, xml, xmlf, _ = check("--contract", "breezeblue", "--base-url", broken + "/echo-secret/breezeblue", "--all-codes")
t.ok(r.returncode == 0 or r.returncode == 1, "a server echoing the credential back is checked like any other")
srv.kill()
srv.wait()

# --- unreachable, and usage errors --------------------------------------------------------
r, tap, _, _, _ = check("--contract", "breezeblue", "--base-url", "http://127.0.0.1:9/breezeblue", "--all-codes", "--timeout", "2")
t.ok(r.returncode == 3 and tap.startswith("TAP version 14\nBail out!") and node_parse(tap).get("bailout"),
     "an unreachable target: Bail out! and exit 3", (r.returncode, tap[:80]))
for args, what in [(["--contract", "breezeblue"], "--base-url is required"),
                   (["--base-url", mock], "--contract is required"),
                   (["--contract", "nope", "--base-url", mock], "no bundled contract has the id 'nope'"),
                   (["--contract", "breezeblue", "--base-url", "ftp://x"], "http:// or https://"),
                   (["--contract", "breezeblue", "--base-url", mock, "--jobs", "0"], "--jobs"),
                   (["--contract", "breezeblue", "--base-url", mock, "--shard", "3/2"], "--shard"),
                   (["--contract", "breezeblue", "--base-url", mock, "--fixtures", "tests/data/minimal.json"], "unknown key 'errata'")]:
    r = subprocess.run([ERRATA, "check", *args], capture_output=True, text=True, env=env)
    outputs.append({"stdout": r.stdout, "stderr": r.stderr})
    t.ok(r.returncode == 2 and what in r.stderr, "usage: %s -> exit 2" % " ".join(args[2:] or args), r.stderr[-200:])
bad = os.path.join(tmp, "bad.json")
open(bad, "w").write('{"cases": [\n  {"name": "x", "request": {"method": "GET", "path": "/"},\n   "expect": {"role": "auth_requird"}}]}\n')
r = subprocess.run([ERRATA, "check", "--contract", "breezeblue", "--base-url", mock, "--fixtures", bad], capture_output=True, text=True)
t.ok(r.returncode == 2 and r.stderr.strip() == bad + ":3:23: unknown role 'auth_requird'", "a bad fixture: file:line:col, exit 2", r.stderr)
r = subprocess.run([ERRATA, "check", "--contract", "breezeblue", "--base-url", mock, "--header", "Authorization: ${ERRATA_UNSET_VAR}"],
                   capture_output=True, text=True)
t.ok(r.returncode == 2 and "ERRATA_UNSET_VAR" in r.stderr and "is not set" in r.stderr, "an unset ${VAR} in --header: exit 2", r.stderr)

# --- no secret anywhere ------------------------------------------------------------------
hits = [(i, name) for i, texts in enumerate(outputs) for name, text in texts.items()
        if SECRET in text or LITERAL in text]
t.ok(not hits and len(outputs) > 20, "the secrets appear in none of %d runs' TAP, JUnit, stdout or stderr" % len(outputs), hits[:5])
t.ok(any("[REDACTED]" in x for texts in outputs for x in texts.values()),
     "they were there to hide: reproduction commands and echoed values show [REDACTED]")
t.done()
