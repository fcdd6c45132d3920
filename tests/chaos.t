#!/usr/bin/env python3
"""errata serve --inject, judged: every injected error gets a verdict, and
each of its checks fails when it should. A correct retry (after the wait,
same Idempotency-Key, same body: JSON as JSON, multipart whatever its
boundary) passes; an early retry fails chaos.waited, a new key
chaos.same-key, another body chaos.same-body, a retried non-retryable error
chaos.retried; a retry that has not come is waiting, never passed;
max-in-a-row bounds the errors one request gets."""
import json, os, re, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from errata_test import Tap, Client, SCALE, start, stop  # noqa: E402

t = Tap()
BB = ["--contracts", "contracts/breezeblue.json", "--root"]


def shots(c):
    """The report's cases (one per injected error) by path, each as
    {outcome, checks: {id: outcome}}; and the report's totals."""
    st, _, data = c.get("/__errata/report")
    r = json.loads(data)
    by = {}
    for case in r.get("cases", []):
        m = re.match(r"injected #\d+ \S+ (\S+): ", case["name"])
        if not m:
            continue
        ch = {k["id"]: k["outcome"] for k in case["checks"]}
        o = "fail" if "fail" in ch.values() else "waiting" if ch == {"chaos.retried": "skip"} else "pass"
        by.setdefault(m.group(1), []).append({"outcome": o, "checks": ch})
    return r.get("totals", {}), by


def checks(s):
    return s["checks"]


def multipart(boundary):
    body = ("--%s\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n"
            "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jsonl\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n{\"a\":1}\r\n--%s--\r\n") % (boundary, boundary, boundary)
    return body.encode(), "multipart/form-data; boundary=%s" % boundary


REP = os.path.join(tempfile.mkdtemp(prefix="errata-chaos-"), "chaos.xml")
p, port = start(*BB, "--inject", "rate=100%,codes=RATE_LIMITED,seed=1", "--junit", REP, quiet=True)
c = Client(port)
wait = 1.05  # breezeblue's Retry-After is 1 s

def twice(path, first, second, pause, method="POST"):
    st1 = c.req(method, path, *first)[0]
    time.sleep(pause)
    st2 = c.req(method, path, *second)[0]
    return st1, st2

k = lambda v: {"Idempotency-Key": v, "Content-Type": "application/json"}
r1 = twice("/v1/a", (k("ka"), '{"x": 1, "y": [1, 2]}'), (k("ka"), '{"y":[1,2],"x":1}'), wait)
t.ok(r1 == (429, 200), "an injected 429, then the retry answered (max-in-a-row=1)", r1)
twice("/v1/b", (k("kb"), "{}"), (k("kb"), "{}"), 0)
twice("/v1/c", (k("kc"), '{"n": 1}'), (k("kc2"), '{"n": 1}'), wait)
twice("/v1/d", (k("kd"), '{"n": 1}'), (k("kd"), '{"n": 2}'), wait)
b1, t1 = multipart("----a1b2")
b2, t2 = multipart("----zz99")
twice("/v1/e", ({"Idempotency-Key": "ke", "Content-Type": t1}, b1), ({"Idempotency-Key": "ke", "Content-Type": t2}, b2), wait)
c.get("/v1/f")  # never retried
r, by = shots(c)

a = by.get("/v1/a", [{}])[0]
t.ok(a.get("outcome") == "pass" and checks(a) == {"chaos.retried": "pass", "chaos.waited": "pass",
     "chaos.same-key": "pass", "chaos.same-body": "pass"}, "a correct retry passes every check (JSON compared as JSON)", a)
bb = by.get("/v1/b", [{}])[0]
t.ok(bb.get("outcome") == "fail" and checks(bb).get("chaos.waited") == "fail", "a retry before Retry-After fails chaos.waited", bb)
cc = by.get("/v1/c", [{}])[0]
t.ok(cc.get("outcome") == "fail" and checks(cc).get("chaos.same-key") == "fail" and checks(cc).get("chaos.waited") == "pass",
     "a retry with a new Idempotency-Key fails chaos.same-key", cc)
d = by.get("/v1/d", [{}])[0]
t.ok(d.get("outcome") == "fail" and checks(d).get("chaos.same-body") == "fail", "a retry with another body fails chaos.same-body", d)
e = by.get("/v1/e", [{}])[0]
t.ok(e.get("outcome") == "pass" and checks(e).get("chaos.same-body") == "pass",
     "a multipart retry with a new boundary and the same parts passes chaos.same-body", e)
f = by.get("/v1/f", [{}])[0]
t.ok(f.get("outcome") == "waiting", "a retry that has not come is waiting (a skip), not passed", f)
t.ok(r.get("cases") == 6 and r.get("failed") == 3 and r.get("skipped") == 1,
     "the report: 6 injected errors, 3 failed checks, 1 skipped (the one waiting)", r)
st, h, data = c.get("/__errata/report?format=tap")
t.ok(st == 200 and b"not ok" in data and b"chaos.same-key" in data, "the report as TAP, on the admin API", data[:300])
st, h, data = c.get("/__errata/report?format=junit")
t.ok(st == 200 and data.startswith(b"<?xml") and b"chaos.waited" in data, "and as JUnit", data[:200])
c.c.close()
rc = stop(p)
t.ok(rc == 1, "errata serve exits 1 when an injected error's retry failed its verdict", rc)
xml = open(REP).read() if os.path.exists(REP) else ""
t.ok('failures="3"' in xml and xml.count("injected #") >= 6 and "chaos.same-key" in xml,
     "--junit FILE: the verdicts written at the stop", xml[:300])

# a non-retryable error: retried fails, not retried passes
p, port = start(*BB, "--inject", "rate=100%,codes=BAD_REQUEST,seed=1", quiet=True)
c = Client(port)
st1 = c.get("/v1/g")[0]
st2 = c.get("/v1/g")[0]
c.get("/v1/h")
r, by = shots(c)
g, hh = by.get("/v1/g", [{}])[0], by.get("/v1/h", [{}])[0]
t.ok((st1, st2) == (400, 200) and checks(g).get("chaos.retried") == "fail", "a retried non-retryable error fails chaos.retried", g)
t.ok(checks(hh) == {"chaos.retried": "pass"}, "a non-retryable error not retried passes", hh)
c.c.close()
stop(p)

# max-in-a-row=2: the first retry gets an error too, the second the answer
p, port = start(*BB, "--inject", "rate=100%,codes=RATE_LIMITED,max-in-a-row=2,seed=1", quiet=True)
c = Client(port)
sts = []
for i in range(3):
    sts.append(c.get("/v1/i")[0])
    time.sleep(wait)
r, by = shots(c)
t.ok(sts == [429, 429, 200] and len(by.get("/v1/i", [])) == 2 and all(s["outcome"] == "pass" for s in by.get("/v1/i", [])),
     "max-in-a-row=2: two errors in a row, each judged, then the answer", (sts, by.get("/v1/i")))
c.c.close()
stop(p)

# nothing injected: nothing judged, and nothing passes
p, port = start(*BB, "--inject", "rate=0%,seed=1", quiet=True)
c = Client(port)
c.get("/v1/j")
r, _ = shots(c)
t.ok(r.get("cases") == 0 and r.get("passed") == 0, "rate=0%: no shot, no verdict, nothing passed", r)
c.c.close()
stop(p)

# bad specs are refused with a reason
for spec, why in (("rate=20%,max-in-a-row=x", "max-in-a-row"), ("codes=RATE_LIMITED", "needs a rate"),
                  ("rate=20%,codes=NOPE", "not a code")):
    pr = subprocess.run(["bin/errata", "serve", "--listen", "127.0.0.1:0", *BB, "--inject", spec],
                        capture_output=True, text=True, timeout=10 * SCALE)
    t.ok(pr.returncode != 0 and why in pr.stderr, "--inject '%s' is refused: %s" % (spec, why), pr.stderr)
t.done()
