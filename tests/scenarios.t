#!/usr/bin/env python3
"""errata serve's scenarios, faults, Idempotency-Key and limits, driven by
real clients (Python's http.client and urllib, curl) and judged from the
responses and the journal."""
import email.utils, json, os, socket, subprocess, sys, tempfile, threading, time, urllib.error, urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from errata_test import Tap, Client, start, stop, run  # noqa: E402

t = Tap()
p, port = start()
base = "http://127.0.0.1:%d" % port
admin = Client(port)


def add(defn):
    st, j = admin.json("POST", "/__errata/scenarios", defn)
    if st != 201:
        print("Bail out! scenario refused: %s %s" % (st, j))
        sys.exit(1)
    return j["id"]


def journal(scenario):
    return admin.json("GET", "/__errata/journal?scenario=" + scenario)[1]["entries"]


# --- the admin API -----------------------------------------------------------
st, j = admin.json("POST", "/__errata/scenarios", {"contract": "breezeblue", "steps": [{"error": "RATE_LIMITED", "repeat": 2}, {"status": 200}]})
t.ok(st == 201 and j["id"].startswith("sc-"), "POST /__errata/scenarios returns 201 and an id", j)
sid = j["id"]
st, j = admin.json("GET", "/__errata/scenarios/" + sid)
t.ok(st == 200 and j["id"] == sid and j["served"] == 0 and j["served_per_step"] == [0, 0], "GET a scenario: its definition and counters", j)
st, j = admin.json("GET", "/__errata/scenarios")
t.ok(st == 200 and [s["id"] for s in j["scenarios"]] == [sid], "GET /__errata/scenarios lists it")
for desc, body, want in [
    ("not JSON", "{", "request body:1:1"),
    ("an unknown key", {"contract": "breezeblue", "steps": [{"error": "RATE_LIMITED", "colour": 1}]}, "unknown key 'colour' in a step"),
    ("an unknown code", {"contract": "breezeblue", "steps": [{"error": "NOPE"}]}, "'NOPE' is not a code of breezeblue"),
    ("an unknown fault", {"contract": "breezeblue", "steps": [{"fault": "MELT"}]}, "unknown fault 'MELT'"),
    ("an unknown contract", {"contract": "nope", "steps": [{}]}, "'nope' is not a mounted contract"),
    ("no steps", {"contract": "breezeblue", "steps": []}, "steps must be an array of 1 to 1000 steps"),
    ("a bad delay", {"contract": "breezeblue", "steps": [{"delay": {"uniform": [5, 1]}}]}, "uniform needs"),
    ("a zero repeat", {"contract": "breezeblue", "steps": [{"repeat": 0}]}, "'repeat' must be an integer from 1"),
]:
    st, j = admin.json("POST", "/__errata/scenarios", body)
    t.ok(st == 400 and j.get("type") == "/__errata/problems/invalid-scenario" and want in j.get("detail", ""),
         "a scenario with %s: 400 naming the fault with its position" % desc, j)
st, j = admin.json("POST", "/__errata/scenarios", {"id": sid, "contract": "breezeblue", "steps": [{}]})
t.ok(st == 409 and "exists" in j["detail"], "a duplicate id: 409", j)
st, j = admin.json("DELETE", "/__errata/scenarios/" + sid)
t.ok(st == 200 and admin.json("GET", "/__errata/scenarios/" + sid)[0] == 404, "DELETE a scenario; then it is gone")
st, h, b = Client(port).get("/breezeblue/x", {"X-Errata-Scenario": sid})
t.ok(st == 400 and json.loads(b)["type"] == "/__errata/problems/unknown-scenario", "pinning to an unknown scenario: 400 problem", b)

# --- a three-step sequence under 50 concurrent pinned clients ----------------
steps = [{"error": "GENERATION_CAPACITY_EXCEEDED", "repeat": 2}, {"error": "RATE_LIMITED"}, {"status": 200}]
ids = [add({"contract": "breezeblue", "steps": steps}) for _ in range(50)]
seen = {}


def pinned(sid):
    c = Client(port)
    seen[sid] = [c.req("POST", "/breezeblue/v1/generations", {"X-Errata-Scenario": sid}, b"{}")[0] for _ in range(5)]


threads = [threading.Thread(target=pinned, args=(s,)) for s in ids]
for th in threads:
    th.start()
for th in threads:
    th.join()
bad = {s: v for s, v in seen.items() if v != [503, 503, 429, 200, 200]}
t.ok(len(seen) == 50 and not bad, "50 concurrent pinned clients each see 503, 503, 429, 200, 200", list(bad.items())[:3])
bad = [s for s in ids if [e["step"] for e in journal(s)] != [0, 0, 1, 2, 2]]
t.ok(not bad, "the journal shows each client's steps 0, 0, 1, 2, 2 under its scenario id", bad[:3])

shared = add({"contract": "studio", "steps": [{"error": "STUDIO_2001", "repeat": 30}, {"error": "STUDIO_1600", "repeat": 50}, {"status": 200}]})
counts = {}
lock = threading.Lock()


def hammer():
    c = Client(port)
    for _ in range(2):
        st = c.get("/studio/v1/images", {"X-Errata-Scenario": shared})[0]
        with lock:
            counts[st] = counts.get(st, 0) + 1


threads = [threading.Thread(target=hammer) for _ in range(50)]
for th in threads:
    th.start()
for th in threads:
    th.join()
st, j = admin.json("GET", "/__errata/scenarios/" + shared)
t.ok(counts == {503: 30, 429: 50, 200: 20} and j["served_per_step"] == [30, 50, 20] and j["served"] == 100,
     "100 concurrent requests on one scenario: exactly 30, 50 and 20 per step", (counts, j.get("served_per_step")))

# --- match, cycle, and the last step repeating ----------------------------------
add({"contract": "genapi", "match": {"method": "POST", "path": "/v1/gen*"}, "steps": [{"error": "CONCURRENT_GENERATION_LIMIT"}, {"status": 201}]})
c = Client(port)
got = [c.req("POST", "/genapi/v1/generations", {}, b"{}")[0], c.get("/genapi/v1/generations")[0],
       c.req("POST", "/genapi/v1/generate", {}, b"{}")[0], c.req("POST", "/genapi/v1/other", {}, b"{}")[0],
       c.req("POST", "/genapi/v1/generations", {}, b"{}")[0]]
t.ok(got == [429, 200, 201, 200, 201], "match: only POSTs whose path fits the glob are served by the scenario; the last step repeats", got)
cyc = add({"contract": "studio", "cycle": True, "steps": [{"error": "STUDIO_2000"}, {"status": 200}]})
got = [c.get("/studio/x", {"X-Errata-Scenario": cyc})[0] for _ in range(5)]
t.ok(got == [500, 200, 500, 200, 500], "cycle: the steps start again", got)

# --- Retry-After edge cases -------------------------------------------------
ra = add({"contract": "breezeblue", "steps": [
    {"error": "RATE_LIMITED", "retry_after": 0}, {"error": "RATE_LIMITED", "retry_after": {"date": -3600}},
    {"error": "RATE_LIMITED", "retry_after": 99999999}, {"error": "RATE_LIMITED", "retry_after": "1.5"},
    {"error": "RATE_LIMITED", "retry_after": "soon"}, {"status": 503, "retry_after": 7, "headers": {"X-Extra": "yes"}, "body": "down"}]})
vals = [c.get("/breezeblue/x", {"X-Errata-Scenario": ra}) for _ in range(6)]
past = email.utils.parsedate_to_datetime(vals[1][1]["retry-after"]).timestamp()
t.ok([v[1].get("retry-after") for v in vals][0] == "0" and abs(past - (time.time() - 3600)) < 5
     and vals[2][1]["retry-after"] == "99999999" and vals[3][1]["retry-after"] == "1.5"
     and vals[4][1]["retry-after"] == "soon", "retry_after: 0, a past date, huge, \"1.5\" and garbage sent as scripted",
     [v[1].get("retry-after") for v in vals])
t.ok(vals[5][0] == 503 and vals[5][2] == b"down" and vals[5][1].get("x-extra") == "yes" and vals[5][1]["retry-after"] == "7",
     "a raw step: status, body, headers and Retry-After as given", vals[5])

# --- faults, as curl sees them ------------------------------------------------
def curl(sid, *extra):
    start_t = time.time()
    r = subprocess.run(["curl", "-s", "-o", "-", "-w", "\n%{http_code} %{content_type}", "-H", "X-Errata-Scenario: " + sid,
                        *extra, base + "/breezeblue/v1/generations"], capture_output=True, timeout=30)
    return r.returncode, r.stdout, time.time() - start_t


for fault, want, desc in [("CONNECTION_RESET_BY_PEER", {56}, "a reset (curl 56)"),
                          ("EMPTY_RESPONSE", {52}, "an empty reply (curl 52)"),
                          ("TRUNCATED_BODY", {18}, "a partial transfer (curl 18)"),
                          ("MALFORMED_RESPONSE_CHUNK", {56}, "a malformed chunk (curl 56)"),
                          ("RANDOM_DATA_THEN_CLOSE", {1, 8, 56}, "garbage, not HTTP (curl 1, 8 or 56)")]:
    sid = add({"contract": "breezeblue", "steps": [{"error": "RATE_LIMITED", "fault": fault}]})
    rc, out, _ = curl(sid)
    e = journal(sid)
    t.ok(rc in want and e and e[0]["fault"] == fault, "%s: %s; the journal names the fault" % (fault, desc), (rc, out[:80], e[:1]))
sid = add({"contract": "breezeblue", "steps": [{"fault": "GATEWAY_HTML"}, {"fault": "GATEWAY_HTML", "status": 504}]})
rc, out, _ = curl(sid)
rc2, out2, _ = curl(sid)
t.ok(rc == 0 and out.endswith(b"502 text/html") and b"<html>" in out and out2.endswith(b"504 text/html") and b"504 Gateway" in out2,
     "GATEWAY_HTML: an HTML 502 (and 504) page as a proxy sends", (out[-40:], out2[-40:]))
sid = add({"contract": "breezeblue", "steps": [{"error": "RATE_LIMITED", "fault": "WRONG_CONTENT_TYPE"}]})
rc, out, _ = curl(sid)
t.ok(rc == 0 and out.endswith(b"429 text/plain") and b'"code":"RATE_LIMITED"' in out, "WRONG_CONTENT_TYPE: the envelope as text/plain", out[-60:])
sid = add({"contract": "breezeblue", "steps": [{"error": "RATE_LIMITED", "fault": "DRIBBLE", "duration_ms": 1000}]})
rc, out, took = curl(sid)
t.ok(rc == 0 and took >= 0.8 and out.startswith(b'{"ok":false,"code":"RATE_LIMITED"') and out.endswith(b"429 application/json"),
     "DRIBBLE: the whole response, in slices over a second (%.2f s)" % took, out[-60:])
sid = add({"contract": "breezeblue", "steps": [{"fault": "HANG", "duration_ms": 30000}]})
rc, out, took = curl(sid, "-m", "1")
t.ok(rc == 28 and 0.9 <= took < 5, "HANG: no answer until the client gives up (curl 28 after %.2f s)" % took, rc)
sid = add({"contract": "breezeblue", "steps": [{"fault": "HANG", "duration_ms": 500}]})
rc, out, took = curl(sid, "-m", "10")
t.ok(rc == 52 and took < 5, "HANG: the server-side cap closes it (curl 52 after %.2f s)" % took, rc)

# --- delays: fixed, and seeded distributions that reproduce ------------------------
sid = add({"contract": "breezeblue", "steps": [{"error": "RATE_LIMITED", "delay_ms": 300}]})
t0 = time.time()
st = c.get("/breezeblue/x", {"X-Errata-Scenario": sid})[0]
t.ok(st == 429 and time.time() - t0 >= 0.29 and journal(sid)[0]["delay_ms"] == 300, "delay_ms: answered after 300 ms")


def delays(defn, n=6):
    sid = add(defn)
    for _ in range(n):
        c.get("/breezeblue/x", {"X-Errata-Scenario": sid})
    return [e["delay_ms"] for e in journal(sid)]


u1 = delays({"contract": "breezeblue", "seed": 7, "steps": [{"delay": {"uniform": [5, 60]}}]})
u2 = delays({"contract": "breezeblue", "seed": 7, "steps": [{"delay": {"uniform": [5, 60]}}]})
u3 = delays({"contract": "breezeblue", "seed": 8, "steps": [{"delay": {"uniform": [5, 60]}}]})
t.ok(u1 == u2 and u1 != u3 and all(5 <= d <= 60 for d in u1) and len(set(u1)) > 1,
     "uniform delays: within bounds, the same for the same seed, different for another", (u1, u3))
l1 = delays({"contract": "breezeblue", "seed": 3, "steps": [{"delay": {"lognormal": {"median": 20, "sigma": 0.5}}}]})
l2 = delays({"contract": "breezeblue", "seed": 3, "steps": [{"delay": {"lognormal": {"median": 20, "sigma": 0.5}}}]})
t.ok(l1 == l2 and all(d > 0 for d in l1) and len(set(l1)) > 1, "lognormal delays: reproducible from the seed", l1)

# --- Idempotency-Key ---------------------------------------------------------------
def post(path, key, body, extra=None):
    h = {"Content-Type": "application/json"}
    if key:
        h["Idempotency-Key"] = key
    h.update(extra or {})
    req = urllib.request.Request(base + path, data=body, headers=h, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


a = post("/breezeblue/v1/generations", "key-1", b'{"prompt":"a"}', {"X-Errata-Error": "VALIDATION_ERROR"})
b = post("/breezeblue/v1/generations", "key-1", b'{"prompt":"a"}')
t.ok(a[0] == 422 and b[0] == 422 and a[2] == b[2] and a[1]["X-Request-Id"] == b[1]["X-Request-Id"]
     and b[1].get("Idempotent-Replayed") == "true" and "Idempotent-Replayed" not in a[1],
     "the same key and body replay the stored response: status, body and request id, marked replayed", (a[:2], b[:2]))
d = post("/breezeblue/v1/generations", "key-1", b'{"prompt":"b"}')
t.ok(d[0] == 409 and json.loads(d[2])["code"] == "CONFLICT", "the same key with another body: the contract's conflict code (CONFLICT)", d)
g = post("/genapi/v1/webhooks", "key-1", b'{"prompt":"a"}')
g2 = post("/genapi/v1/webhooks", "key-1", b'{"prompt":"z"}')
t.ok(g[0] == 200 and g2[0] == 400 and json.loads(g2[2])["error"]["code"] == "invalid_request",
     "keys are per contract; genapi refuses reuse with its invalid_request", (g[0], g2[:1]))
slow = add({"contract": "breezeblue", "match": {"method": "POST", "path": "/v1/slow"}, "steps": [{"status": 200, "delay_ms": 1500}]})
out = {}
first = threading.Thread(target=lambda: out.setdefault("first", post("/breezeblue/v1/slow", "key-2", b"{}")))
first.start()
time.sleep(0.3)  # let the first request reach the server before the duplicate
t0 = time.time()
dup = post("/breezeblue/v1/slow", "key-2", b"{}")
took = time.time() - t0
first.join()
again = post("/breezeblue/v1/slow", "key-2", b"{}")
t.ok(dup[0] == 409 and took < 1.0 and out["first"][0] == 200 and again[1].get("Idempotent-Replayed") == "true",
     "a repeat while the first is in flight: 409 at once; afterwards, the replay", (dup[0], took, out["first"][0]))
req = add({"contract": "breezeblue", "require_idempotency_key": True, "match": {"method": "POST", "path": "/v1/needs-key"}, "steps": [{"status": 201}]})
n1 = post("/breezeblue/v1/needs-key", None, b"{}")
n2 = post("/breezeblue/v1/needs-key", "key-3", b"{}")
t.ok(n1[0] == 400 and json.loads(n1[2])["type"] == "/__errata/problems/idempotency-key-missing" and n2[0] == 201,
     "a scenario requiring the key: 400 without it, served with it", (n1[:1], n2[:1]))
r1 = post("/breezeblue/v1/generations", "key-4", b'{"prompt":"a"}', {"X-Errata-Error": "RATE_LIMITED"})
r2 = post("/breezeblue/v1/generations", "key-4", b'{"prompt":"a"}')
t.ok(r1[0] == 429 and r2[0] == 200 and "Idempotent-Replayed" not in r2[1],
     "a retryable error is not stored: the retry with the same key is processed anew", (r1[0], r2[0]))
e = [x for x in admin.json("GET", "/__errata/journal")[1]["entries"] if x["idempotency_key"] == "key-1" and x["contract"] == "breezeblue"]
t.ok([x["replayed"] for x in e] == [False, True, False], "the journal marks the replay", [(x["status"], x["replayed"]) for x in e])
stop(p)

# --- a contract naming no conflict code, and one requiring the key --------------------
with tempfile.TemporaryDirectory() as d:
    base_c = json.load(open("tests/data/minimal.json"))
    base_c["policy"]["idempotency"].update({"conflict_code": None, "required": True, "missing_code": "NOT_FOUND"})
    path = os.path.join(d, "strict.json")
    base_c["id"] = "strict"
    json.dump(base_c, open(path, "w"))
    p, port = start("--contracts", path)
    base = "http://127.0.0.1:%d" % port
    m1 = post("/strict/x", None, b"{}")
    post("/strict/x", "k", b"{}")
    m2 = post("/strict/x", "k", b"{1}")
    t.ok(m1[0] == 404 and json.loads(m1[2])["error"]["code"] == "NOT_FOUND", "a contract requiring the key: its missing_code without it", m1)
    t.ok(m2[0] == 422 and json.loads(m2[2])["type"] == "/__errata/problems/idempotency-key-reused",
         "no conflict code in the contract: the draft's 422 as a problem", m2)
    stop(p)

# --- a real rate limit ------------------------------------------------------------------
p, port = start("--rate-limit", "5/s")
c = Client(port)
allowed, refused, bad = {}, 0, []
t0 = time.time()
while time.time() - t0 < 4.0:
    tick = time.time()
    st, h, b = c.get("/breezeblue/v1/generations", {"Authorization": "Bearer user-a"})
    sec = int(tick - t0)
    if st == 200:
        allowed[sec] = allowed.get(sec, 0) + 1
        if h.get("ratelimit-policy") != '"default";q=5;w=1':
            bad.append(("policy", h.get("ratelimit-policy")))
    else:
        refused += 1
        ra_v = h.get("retry-after", "")
        if st != 429 or json.loads(b)["code"] != "RATE_LIMITED" or not ra_v.isdigit() or int(ra_v) < 1 \
           or h.get("ratelimit") != '"default";r=0;t=%s' % ra_v:
            bad.append((st, ra_v, h.get("ratelimit")))
    time.sleep(max(0, 0.02 - (time.time() - tick)))
steady = [allowed.get(s, 0) for s in (1, 2, 3)]
t.ok(all(4 <= x <= 6 for x in steady) and refused > 100,
     "5/s under a 50/s loop: %s allowed in seconds 2-4 (burst of %d in the first), %d refused" % (steady, allowed.get(0, 0), refused))
t.ok(not bad, "every refusal is RATE_LIMITED with a Retry-After of at least 1 s matching RateLimit t", bad[:3])
st, h, b = c.get("/breezeblue/v1/generations", {"Authorization": "Bearer user-a"})
while st == 200:
    st, h, b = c.get("/breezeblue/v1/generations", {"Authorization": "Bearer user-a"})
wait = int(h["retry-after"])
other = c.get("/breezeblue/v1/generations", {"Authorization": "Bearer user-b"})[0]
time.sleep(wait)  # the client does what Retry-After says
st2 = c.get("/breezeblue/v1/generations", {"Authorization": "Bearer user-a"})[0]
t.ok(st == 429 and st2 == 200 and other == 200, "after waiting Retry-After (%d s) the retry succeeds; another key has its own bucket" % wait, (st, st2, other))
stop(p)

# --- a concurrency limit ----------------------------------------------------------------
with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
    json.dump([{"id": "slow", "contract": "genapi", "match": {"path": "/v1/slow"}, "steps": [{"status": 200, "delay_ms": 1500}]}], f)
p, port = start("--max-concurrent", "1", "--scenarios", f.name)
os.unlink(f.name)
holder = threading.Thread(target=lambda: Client(port).get("/genapi/v1/slow"))
holder.start()
time.sleep(0.3)  # the slow request is in flight
st, h, b = Client(port).get("/genapi/v1/generations")
holder.join()
err = json.loads(b).get("error", {})
t.ok(st == 429 and err.get("code") == "CONCURRENT_GENERATION_LIMIT" and err.get("active_requests") == 1
     and err.get("concurrency_limit") == 1, "over --max-concurrent 1: CONCURRENT_GENERATION_LIMIT with the real figures", b)
t.ok(Client(port).get("/genapi/v1/generations")[0] == 200, "once the slow request ends, requests pass again")
stop(p)

# --- 100 hanging connections do not slow anyone else --------------------------------------
with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
    json.dump({"id": "hang", "contract": "studio", "match": {"path": "/hang"}, "steps": [{"fault": "HANG", "duration_ms": 60000}]}, f)
p, port = start("--scenarios", f.name, "--threads", "2")
os.unlink(f.name)
hung = []
for _ in range(100):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /studio/hang HTTP/1.1\r\nHost: x\r\n\r\n")
    hung.append(s)
time.sleep(0.2)
c = Client(port, timeout=5)
slow = []
for i in range(300):
    t0 = time.time()
    st = c.get("/studio/x", {"X-Errata-Error": "STUDIO_2001"})[0]
    if st != 503 or time.time() - t0 > 1:
        slow.append((i, st, time.time() - t0))
t.ok(not slow, "with 100 connections hanging, 300 other requests are all answered at once", slow[:3])
e = admin_journal = Client(port).json("GET", "/__errata/journal?scenario=hang")[1]["entries"]
t.ok(len(e) == 100 and all(x["fault"] == "HANG" for x in e), "the journal holds the 100 hangs")
t0 = time.time()
rc = stop(p)
t.ok(rc == 0 and time.time() - t0 < 4, "SIGTERM with 100 hanging connections: a clean exit in %.1f s" % (time.time() - t0), rc)
for s in hung:
    s.close()

# --- scenarios from a file at start-up ----------------------------------------------------
with tempfile.TemporaryDirectory() as d:
    good = os.path.join(d, "good.json")
    json.dump([{"id": "a", "contract": "studio", "steps": [{"error": "STUDIO_1600"}]}], open(good, "w"))
    badf = os.path.join(d, "bad.json")
    open(badf, "w").write('[\n  {"id": "a", "contract": "studio",\n   "steps": [{"error": "STUDIO_1600", "repaet": 2}]}\n]\n')
    p, port = start("--scenarios", good)
    t.ok(Client(port).get("/studio/x", {"X-Errata-Scenario": "a"})[0] == 429, "--scenarios FILE loads them at start-up")
    st, j = Client(port).json("POST", "/__errata/reset")
    t.ok(st == 200 and j["scenarios"] == 1 and Client(port).json("GET", "/__errata/scenarios")[1]["scenarios"] == [],
         "POST /__errata/reset forgets scenarios, journal and keys", j)
    stop(p)
    r = run("serve", "--listen", "127.0.0.1:0", "--scenarios", badf)
    t.ok(r.returncode == 2 and r.stderr.strip() == badf + ":3:39: unknown key 'repaet' in a step",
         "a broken scenarios file: file:line:col and exit 2", r.stderr)
    r = run("serve", "--listen", "127.0.0.1:0", "--rate-limit", "5/w")
    t.ok(r.returncode == 2 and "--rate-limit" in r.stderr, "--rate-limit 5/w: usage error", r.stderr)

t.done()
