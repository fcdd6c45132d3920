#!/usr/bin/env python3
"""errata serve, started for real on port 0 and driven over HTTP.

Expectations are computed here from the contract files and the format in
contracts/README.md, independently of the mock's renderer."""
import email.utils, http.client, json, os, re, select, signal, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from errata_test import Tap, render, compact, wire_body, needs_retry_after, request_id_header, start, stop, run  # noqa: E402
from errata_test import Client as BaseClient  # noqa: E402

FIRST = ["breezeblue", "breezeblue-v1", "segmenter", "genapi", "studio", "ledger"]  # breezeblue first: the journal test reads it
IDS = FIRST + sorted(set(json.load(open("contracts/" + f))["id"] for f in os.listdir("contracts")
                         if f.endswith(".json")) - set(FIRST))
tap = Tap()
ok = tap.ok


class Client(BaseClient):
    def get(self, path, headers=None, method="GET", body=None):
        return self.req(method, path, headers, body)


contracts = {i: json.load(open("contracts/%s.json" % i)) for i in IDS}

p, port = start("--journal-size", "100000")
cl = Client(port)

# --- every code of every contract, all three ways -------------------------
rids = set()
for cid, c in contracts.items():
    bad = []
    count = 0
    for e in c["codes"]:
        ways = [("X-Errata-Error", {"X-Errata-Error": e["code"]}, "/%s/v1/thing" % cid),
                ("Prefer", {"Prefer": "code=%s" % e["code"]}, "/%s/v1/thing" % cid),
                ("__error", {}, "/%s/v1/thing?__error=%s" % (cid, e["code"]))]
        if "name" in e:
            ways.append(("X-Errata-Error by name", {"X-Errata-Error": e["name"]}, "/%s/" % cid))
        for way, hdrs, path in ways:
            count += 1
            st, h, body = cl.get(path, hdrs)
            problems = []
            want_body, want_type = wire_body(c, e, h.get((request_id_header(c) or "").lower()))
            if st != e["status"]:
                problems.append("status %d" % st)
            if body != want_body:
                problems.append("body %r" % body[:120])
            if h.get("content-type") != want_type:
                problems.append("content-type %r" % h.get("content-type"))
            for name, value in e.get("headers", {}).items():
                if h.get(name.lower()) != value:
                    problems.append("%s %r" % (name, h.get(name.lower())))
            if request_id_header(c):
                rid = h.get(request_id_header(c).lower())
                if not rid or rid in rids:
                    problems.append("request id %r missing or repeated" % rid)
                rids.add(rid)
            ra = h.get("retry-after")
            if needs_retry_after(c, e):
                if ra != str(c["headers"]["retry_after"]["default_seconds"]):
                    problems.append("Retry-After %r" % ra)
            elif ra is not None:
                problems.append("unexpected Retry-After %r" % ra)
            rl = c["headers"].get("rate_limit")
            if e["status"] == 429 and rl:
                wp = '"%s";q=%d;w=%d' % (rl["policy"], rl["quota"], rl["window"])
                wr = '"%s";r=0' % rl["policy"] + (";t=%s" % ra if ra else "")
                if h.get("ratelimit-policy") != wp or h.get("ratelimit") != wr:
                    problems.append("RateLimit %r %r" % (h.get("ratelimit-policy"), h.get("ratelimit")))
            elif "ratelimit" in h or "ratelimit-policy" in h:
                problems.append("RateLimit fields on a %d" % e["status"])
            if problems:
                bad.append("%s via %s: %s" % (e["code"], way, "; ".join(problems)))
    ok(not bad, "%s: every code (%d) served byte-exact by all three selectors (%d requests)"
       % (cid, len(c["codes"]), count), "\n".join(bad[:5]))

# --- selection details -----------------------------------------------------
st, h, body = cl.get("/breezeblue/x", {"Prefer": "code=503"})
ok(st == 503 and json.loads(body)["code"] == "AUTH_CONFIG_MISSING",
   "Prefer: code=503 picks the first 503 in document order (AUTH_CONFIG_MISSING)", body)
st, h, body = cl.get("/genapi/x", {"Prefer": "respond-async, code=\"429\"; x=1, wait=5"})
ok(st == 429 and json.loads(body)["error"]["code"] == "CONCURRENT_GENERATION_LIMIT",
   "Prefer with other preferences and a quoted status", body)
st, h, body = cl.get("/studio/x", {"X-Errata-Error": "STUDIO_1600", "Prefer": "code=RATE_LIMIT_EXCEEDED"})
ok(st == 429, "two selectors naming the same code (by code and by name) agree")
st, h, body = cl.get("/breezeblue/x", {"X-Errata-Error": "RATE_LIMITED", "X-Errata-Retry-After": "7"})
ok(h.get("retry-after") == "7" and h.get("ratelimit") == '"default";r=0;t=7',
   "X-Errata-Retry-After: 7 sets Retry-After and RateLimit t", h)
st, h, body = cl.get("/breezeblue/x", {"X-Errata-Error": "DISPATCH_TIMEOUT", "X-Errata-Retry-After": "date:30"})
when = email.utils.parsedate_to_datetime(h.get("retry-after", "Thu, 01 Jan 1970 00:00:00 GMT")).timestamp()
ok(re.fullmatch(r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT", h.get("retry-after", ""))
   and abs(when - (time.time() + 30)) < 3, "X-Errata-Retry-After: date:30 gives an IMF-fixdate 30 s ahead", h.get("retry-after"))
st, h, body = cl.get("/breezeblue/x", {"X-Errata-Error": "RESOURCE_NOT_FOUND", "X-Errata-Retry-After": "9"})
ok(st == 404 and "retry-after" not in h, "a code without Retry-After gets none even when asked")
st, h, body = cl.get("/genapi/v1/generations")
ok(st == 200 and body == compact(contracts["genapi"]["envelope"]["success"])
   and h.get("content-type") == "application/json" and h.get("x-request-id"),
   "no selector: the success envelope with 200", body)


def problem(path, hdrs, status, slug, valid_has=None, method="GET", body=None):
    st, h, b = cl.get(path, hdrs, method=method, body=body)
    try:
        j = json.loads(b)
    except ValueError:
        j = {}
    good = (st == status and h.get("content-type") == "application/problem+json"
            and j.get("type") == "/__errata/problems/" + slug and j.get("status") == status
            and j.get("title") and j.get("detail")
            and (valid_has is None or valid_has in j.get("valid", [])))
    return good, b


for desc, args in [
    ("unknown code", ("/breezeblue/x", {"X-Errata-Error": "NOPE"}, 400, "unknown-code", "RATE_LIMITED")),
    ("unknown code by query", ("/studio/x?__error=STUDIO_9999", {}, 400, "unknown-code", "RATE_LIMIT_EXCEEDED")),
    ("unknown status", ("/breezeblue/x", {"Prefer": "code=418"}, 400, "unknown-status", 429)),
    ("Prefer code= without a value", ("/breezeblue/x", {"Prefer": "code="}, 400, "malformed-selector")),
    ("conflicting selectors", ("/breezeblue/x?__error=CONFLICT", {"X-Errata-Error": "RATE_LIMITED"}, 400, "malformed-selector")),
    ("empty X-Errata-Error", ("/breezeblue/x", {"X-Errata-Error": ""}, 400, "malformed-selector")),
    ("malformed X-Errata-Retry-After", ("/breezeblue/x", {"X-Errata-Error": "RATE_LIMITED", "X-Errata-Retry-After": "1.5"}, 400, "malformed-selector")),
    ("unknown contract", ("/nosuch/v1", {}, 400, "unknown-contract", "studio")),
    ("the root path", ("/", {}, 400, "unknown-contract", "genapi")),
    ("a contract id prefix is not a contract", ("/breeze/x", {}, 400, "unknown-contract", "breezeblue")),
    ("unknown admin endpoint", ("/__errata/nope", {}, 404, "unknown-endpoint")),
    ("wrong admin method", ("/__errata/health", {}, 405, "method-not-allowed", None, "POST", b"")),
    ("a body over 1 MiB", ("/breezeblue/x", {}, 413, "body-too-large", None, "POST", b"x" * (1024 * 1024 + 1))),
]:
    good, b = problem(*args)
    ok(good, "%s: an RFC 9457 problem from the mock itself" % desc, b)

# --- admin ------------------------------------------------------------------
st, h, b = cl.get("/__errata/health")
j = json.loads(b)
ok(st == 200 and j["status"] == "ok" and re.match(r"\d+\.\d+\.\d+$", j["version"])
   and j["uptime_s"] >= 0 and sorted(j["contracts"]) == sorted(IDS), "health: status, version, uptime, contract ids", b)
st, h, b = cl.get("/__errata/contracts")
j = {c["id"]: c for c in json.loads(b)["contracts"]}
ok(st == 200 and all([x["code"] for x in j[i]["codes"]] == [e["code"] for e in contracts[i]["codes"]] for i in IDS)
   and 429 in j["studio"]["statuses"], "contracts: every id with its codes and statuses")
st, h, b = cl.get("/__errata/journal?limit=2")
j = json.loads(b)
e0 = j["entries"][0]
ok(st == 200 and len(j["entries"]) == 2 and e0["seq"] == 1 and e0["contract"] == "breezeblue"
   and e0["code"] == "BAD_REQUEST" and e0["status"] == 400 and e0["method"] == "GET"
   and ["X-Errata-Error", "BAD_REQUEST"] in e0["headers"] and e0["connection"] >= 1
   and re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", e0["time"]) and e0["t_us"] > 0,
   "journal: seq, times, connection, method, path, contract, headers, status, code", e0)
cl.get("/breezeblue/v1/generations", {"X-Errata-Error": "CONFLICT", "Idempotency-Key": "key-1",
                                      "Authorization": "Bearer sk_live_abcdef123456", "X-Api-Key": "k_987654321",
                                      "Content-Type": "application/json"}, method="POST", body=b'{"a":1}')
j = json.loads(cl.get("/__errata/journal?since=%d" % (json.loads(cl.get("/__errata/journal?limit=1")[2])["next_seq"] - 1))[2])
e = j["entries"][-1]
fnv = 0xcbf29ce484222325
for byte in b'{"a":1}':
    fnv = ((fnv ^ byte) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
ok(e["idempotency_key"] == "key-1" and e["body_size"] == 7 and e["body_hash"] == "fnv1a64:%016x" % fnv
   and e["status"] == 409 and ["Authorization", "[REDACTED]"] in e["headers"]
   and ["X-Api-Key", "[REDACTED]"] in e["headers"],
   "journal: Idempotency-Key, body size and hash; secret headers redacted", e)
for sel, want in [({"X-Errata-Error": "RATE_LIMITED", "X-Errata-Retry-After": "7"}, lambda v: v == "7"),
                  ({"X-Errata-Error": "RATE_LIMITED", "X-Errata-Retry-After": "date:3"}, lambda v: v is not None and v.endswith(" GMT")),
                  ({"X-Errata-Error": "BAD_REQUEST"}, lambda v: v is None)]:
    st, h, b = cl.get("/breezeblue/v1/generations", sel)
    je = json.loads(cl.get("/__errata/journal?since=%d" % (json.loads(cl.get("/__errata/journal?limit=1")[2])["next_seq"] - 1))[2])["entries"][-1]
    ok(want(je.get("retry_after", "missing")) and je.get("retry_after") == h.get("retry-after"),
       "journal: the Retry-After served is recorded as sent (%s)" % sorted(sel.values()), (je.get("retry_after", "missing"), h.get("retry-after")))
st, h, b = cl.get("/__errata/journal")
ok(b"sk_live_abcdef123456" not in b and b"k_987654321" not in b, "journal: no secret value anywhere in it")
st, h, b = cl.get("/__errata/journal?since=-1")
ok(st == 400, "journal: a malformed since is refused")

# --- 200 concurrent clients all get the right bytes -------------------------
codes = [(cid, e) for cid, c in contracts.items() for e in c["codes"]]
errors = []


def client(k):
    try:
        c = Client(port)
        for i in range(5):
            cid, e = codes[(k * 7 + i * 13) % len(codes)]
            st, h, body = c.get("/%s/x" % cid, {"X-Errata-Error": e["code"]})
            rid = h.get((request_id_header(contracts[cid]) or "").lower())
            if st != e["status"] or body != wire_body(contracts[cid], e, rid)[0]:
                errors.append((cid, e["code"], st, body[:80]))
    except Exception as ex:  # a refused or reset connection is a failure too
        errors.append(repr(ex))


threads = [threading.Thread(target=client, args=(k,)) for k in range(200)]
for t in threads:
    t.start()
for t in threads:
    t.join()
ok(not errors, "200 concurrent clients, 1000 requests: every response correct", errors[:3])
rc = stop(p, signal.SIGINT)
ok(rc == 0, "SIGINT stops it cleanly (exit %r)" % rc)

# --- the journal stays bounded ----------------------------------------------
def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


p, port = start("--journal-size", "100")
cl = Client(port)
for i in range(1100):
    cl.get("/studio/r%d" % i, {"X-Errata-Error": "STUDIO_2001"})
j = json.loads(cl.get("/__errata/journal")[2])
seqs = [e["seq"] for e in j["entries"]]
ok(j["size"] == 100 and seqs == list(range(1001, 1101)) and j["entries"][0]["path"] == "/studio/r1000",
   "journal of 100 after 1100 requests: the last 100 kept, the oldest gone", (j["size"], seqs[:3]))
before = rss_kb(p.pid)
for i in range(5000):
    cl.get("/studio/r%d" % i, {"X-Errata-Error": "STUDIO_2001", "X-Padding": "p" * 200})
after = rss_kb(p.pid)
if os.environ.get("ERRATA_SANITIZED"):
    tap.skip("RSS over 5000 more requests (%d kB -> %d kB)" % (before, after),
           "AddressSanitizer's quarantine holds freed memory")
else:
    ok(after - before < 2048, "RSS stable over 5000 more requests (%d kB -> %d kB)" % (before, after))
st, h, b = cl.get("/__errata/journal", method="DELETE")
ok(st == 200 and json.loads(b)["cleared"] == 100 and json.loads(cl.get("/__errata/journal")[2])["size"] == 0,
   "DELETE /__errata/journal clears it", b)
cl.get("/studio/after")
j = json.loads(cl.get("/__errata/journal")[2])
ok(j["size"] == 1 and j["entries"][0]["path"] == "/studio/after", "entries after a clear are kept", j)
ok(stop(p) == 0, "SIGTERM stops it cleanly")

# --- the admin token ----------------------------------------------------------
token = "adm-7f3c9e1b5d"
p, port = start("--admin-token", token)
cl = Client(port)
for desc, hdrs in [("no token", {}), ("a wrong token", {"Authorization": "Bearer nope"}),
                   ("the token without Bearer", {"Authorization": token})]:
    st, h, b = cl.get("/__errata/health", hdrs)
    ok(st == 401 and h.get("content-type") == "application/problem+json" and token.encode() not in b
       and b"contracts" not in b and h.get("www-authenticate", "").startswith("Bearer"),
       "admin with %s: 401, revealing nothing" % desc, b)
st, h, b = cl.get("/__errata/health", {"Authorization": "Bearer " + token})
ok(st == 200, "admin with the token: 200")
st, h, b = cl.get("/genapi/x", {"X-Errata-Error": "FORBIDDEN", "Authorization": "Bearer " + token})
ok(st == 403, "API requests need no token")
st, h, b = cl.get("/__errata/journal", {"Authorization": "Bearer " + token})
ok(st == 200 and token.encode() not in b, "the admin token is not in the journal")
stop(p)

# --- start-up refusals ----------------------------------------------------------
r = run("serve", "--listen", "0.0.0.0:0")
ok(r.returncode == 2 and "without an admin token" in r.stderr, "a non-loopback listen without a token: exit 2", r.stderr)
r = run("serve", "--contracts", "tests/data/broken/bad-status.json", "--listen", "127.0.0.1:0")
ok(r.returncode == 2 and r.stderr.strip() == "tests/data/broken/bad-status.json:22:32: status 4090 is not an HTTP status",
   "a broken contract: the loader's file:line:col message, exit 2", r.stderr)
r = run("serve", "--contracts", "tests/data/minimal.json", "--contracts", "tests/data/minimal.json", "--listen", "127.0.0.1:0")
ok(r.returncode == 2 and "both have the id 'minimal'" in r.stderr, "two contracts with one id: exit 2", r.stderr)
for args, what in [(["--listen", "nope"], "not HOST:PORT"), (["--listen", "127.0.0.1:70000"], "not HOST:PORT"),
                   (["--threads", "0"], "--threads"), (["--journal-size", "-1"], "--journal-size"),
                   (["--bogus", "1"], "unknown option"), (["--port-file"], "needs a value")]:
    r = run("serve", *args)
    ok(r.returncode == 2 and what in r.stderr, "serve %s: usage error, exit 2" % " ".join(args), r.stderr)
r = run("serve", "--help")
ok(r.returncode == 0 and r.stdout.startswith("usage: errata serve"), "serve --help")
with tempfile.TemporaryDirectory() as d:
    pf = os.path.join(d, "port")
    p, port = start("--port-file", pf, "--contracts", "tests/data/minimal.json")
    ok(open(pf).read() == "%d\n" % port, "--port-file holds the bound port")
    st, h, b = Client(port).get("/minimal/x", {"X-Errata-Error": "SLOW_DOWN"})
    ok(st == 429 and b == b'{"error":{"code":"SLOW_DOWN","message":"Slow down."}}', "--contracts FILE mounts just that contract", b)
    stop(p)
    busy = start("--contracts", "tests/data/minimal.json")
    r = run("serve", "--listen", "127.0.0.1:%d" % busy[1], "--contracts", "tests/data/minimal.json")
    ok(r.returncode == 1 and "cannot listen on 127.0.0.1:%d" % busy[1] in r.stderr, "a port in use: a clear error, exit 1", r.stderr)
    stop(busy[0])

# A rate-limit code asked for by a selector shows its bucket exhausted,
# whatever the limiter's own state (here it has plenty of room).
rl, rlport = start("--rate-limit", "1000/m")
for path, code in (("/github/user", "primary_rate_limit_403"), ("/openai/v1/models", "rate_limit_exceeded")):
    sent = int(time.time())  # the reset is whole seconds: ahead of the second the request was sent in
    st, h, _ = Client(rlport).req("GET", path, headers={"X-Errata-Error": code})
    low = {k.lower(): v for k, v in h.items()} if isinstance(h, dict) else {k.lower(): v for k, v in h}
    rem = low.get("x-ratelimit-remaining")
    reset = low.get("x-ratelimit-reset")
    ok(st in (403, 429) and ";r=0;" in low.get("ratelimit", "") and (rem is None or rem == "0") and
       (reset is None or int(reset) > sent),
       "--rate-limit 1000/m, %s by selector: RateLimit r=0 and remaining 0, its reset ahead" % code, low)
dflt = Client(rlport).req("GET", "/github/user")
dl = {k.lower(): v for k, v in (dflt[1].items() if isinstance(dflt[1], dict) else dflt[1])}
ok(dl.get("x-ratelimit-remaining", "0") != "0", "...while a plain request still shows the limiter's room", dl)
stop(rl)

tap.done()
