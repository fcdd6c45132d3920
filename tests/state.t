#!/usr/bin/env python3
"""errata serve and errata proxy as replicas sharing one Redis (--state):
a real redis-server on 127.0.0.1, three errata serve and two errata proxy
processes, clients spreading requests across them; then the store killed,
stopped and restarted under them."""
import concurrent.futures, http.client, json, os, signal, socket, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from errata_test import Tap, Client, ERRATA, SCALE, free_port, start, stop, start_proxy  # noqa: E402

t = Tap()
tmp = tempfile.mkdtemp(prefix="errata-state-")


def redis_up(port, *extra):
    p = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                          "--appendonly", "no", "--dir", tmp, *extra], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(64).startswith((b"+PONG", b"-NOAUTH")):
                    return p
        except OSError:
            time.sleep(0.05)
    p.kill()
    print("Bail out! redis-server did not start on port %d" % port)
    sys.exit(1)


def redis_cmd(port, *args):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a.encode()) for a in args))
        return s.recv(65536)


rport = free_port()
redis = redis_up(rport)
STATE = "redis://127.0.0.1:%d" % rport
reps = [start("--state", STATE, "--replica", "r%d" % i, "--journal-size", "100000") for i in range(3)]
ports = [p for _, p in reps]
admin = [Client(p) for p in ports]


def call(port, method, path, headers=None, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10 * SCALE)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


# --- 1. a scenario made on one replica is served by all -----------------------
st, j = admin[0].json("POST", "/__errata/scenarios", {"id": "twice", "contract": "breezeblue",
                                                      "steps": [{"error": "GENERATION_CAPACITY_EXCEEDED", "repeat": 2},
                                                                {"status": 200}]})
seen = [admin[i].json("GET", "/__errata/scenarios/twice")[0] for i in range(3)]
t.ok(st == 201 and seen == [200, 200, 200], "a scenario created through replica 0's admin API is visible on all three", (st, j, seen))
order = [call(ports[i % 3], "GET", "/breezeblue/v1/generations", {"X-Errata-Scenario": "twice"})[0] for i in range(6)]
t.ok(order == [503, 503, 200, 200, 200, 200], "'503 twice, then 200' across three replicas: twice, not six times", order)
st, j = admin[2].json("GET", "/__errata/scenarios/twice")
t.ok(j.get("served") == 6 and j.get("served_per_step") == [2, 4], "any replica reports the shared counts", j)
st, j = admin[1].json("POST", "/__errata/scenarios", {"id": "twice", "contract": "breezeblue", "steps": [{}]})
t.ok(st == 409 and "exists" in j.get("detail", ""), "the same id created through another replica: 409", j)
st, _ = admin[1].json("DELETE", "/__errata/scenarios/twice")
t.ok(st == 200 and [admin[i].json("GET", "/__errata/scenarios/twice")[0] for i in range(3)] == [404] * 3,
     "deleted through replica 1: gone from all three")

# --- 2. exact steps over 1,000 runs of a 3-step scenario, with a poller -------
three = {"id": "three", "contract": "breezeblue", "cycle": True,
         "steps": [{"error": "GENERATION_CAPACITY_EXCEEDED"}, {"error": "RATE_LIMITED", "retry_after": 0}, {"status": 200}]}
st, j = admin[0].json("POST", "/__errata/scenarios", three)
since = admin[2].json("GET", "/__errata/journal?limit=1&since=999999999")[1]["next_seq"]
polled, stop_poll = [], threading.Event()


def poll():
    """Polls replica 2's merged journal with since=next_seq, as a test would,
    until the load is over and every entry has come (other replicas' writers
    send theirs within a round trip)."""
    global since
    c = Client(ports[2])
    deadline = None
    while True:
        st, j = c.json("GET", "/__errata/journal?limit=700&since=%d" % since)
        if st == 200:
            polled.extend((e["seq"], e.get("scenario"), e.get("replica"), e["status"]) for e in j["entries"])
            since = j["next_seq"]
        if stop_poll.is_set():
            deadline = deadline or time.monotonic() + 10 * SCALE
            if sum(1 for p in polled if p[1] == "three") >= 3000 or time.monotonic() > deadline:
                return
        time.sleep(0.01)


def worker(k):
    """250 requests on kept-alive connections to the three replicas in turn."""
    conns = [http.client.HTTPConnection("127.0.0.1", p, timeout=10 * SCALE) for p in ports]
    out = []
    for i in range(250):
        c = conns[(i + k) % 3]
        c.request("GET", "/breezeblue/v1/generations", headers={"X-Errata-Scenario": "three"})
        r = c.getresponse()
        r.read()
        out.append(r.status)
    for c in conns:
        c.close()
    return out


poller = threading.Thread(target=poll)
poller.start()
t0 = time.monotonic()
with concurrent.futures.ThreadPoolExecutor(12) as ex:
    statuses = [s for out in ex.map(worker, range(12)) for s in out]
took = time.monotonic() - t0
stop_poll.set()
poller.join(30 * SCALE)
counts = {s: statuses.count(s) for s in set(statuses)}
t.ok(counts == {503: 1000, 429: 1000, 200: 1000},
     "3,000 requests from 12 clients over 3 replicas: each step served exactly 1,000 times", counts)
st, j = admin[1].json("GET", "/__errata/scenarios/three")
t.ok(j.get("served") == 3000 and j.get("served_per_step") == [1000, 1000, 1000], "the shared counts agree", j)
mine = [p for p in polled if p[1] == "three"]
seqs = [p[0] for p in polled]
t.ok(len(mine) == 3000 and len(set(seqs)) == len(seqs) and seqs == sorted(seqs) and
     seqs == list(range(seqs[0], seqs[0] + len(seqs))) if seqs else False,
     "a poller on replica 2 saw all 3,000 entries of the merged journal, in order, none twice, none missed",
     (len(mine), len(seqs), seqs[:3], seqs[-3:]))
t.ok({p[2] for p in mine} == {"r0", "r1", "r2"} and
     {s: sum(1 for p in mine if p[3] == s) for s in (503, 429, 200)} == {503: 1000, 429: 1000, 200: 1000},
     "each entry names the replica that served it; their statuses add up", {p[2] for p in mine})
print("# 3,000 requests over 3 replicas and a shared Redis in %.2f s" % took)

# --- 3. Idempotency-Key across replicas ------------------------------------
st, j = admin[0].json("POST", "/__errata/scenarios", {"id": "slow-create", "contract": "stripe", "match": {"method": "POST", "path": "/v1/refunds"},
                                                      "steps": [{"status": 200, "delay_ms": 600}]})
body = "amount=5&charge=ch_1"
hdrs = {"Idempotency-Key": "idem-race-1", "Content-Type": "application/x-www-form-urlencoded"}


def attempt(i):
    time.sleep(0.02 * (i % 5))
    return call(ports[i % 3], "POST", "/stripe/v1/refunds", hdrs, body)


with concurrent.futures.ThreadPoolExecutor(15) as ex:
    res = list(ex.map(attempt, range(15)))
first = [r for r in res if r[0] == 200 and "idempotent-replayed" not in r[1]]
others = [r for r in res if r not in first]
t.ok(st == 201 and len(first) == 1 and all(r[0] == 409 or r[1].get("idempotent-replayed") == "true" for r in others),
     "15 concurrent requests with one key on 3 replicas: one processed, the rest refused as in flight or replayed",
     [(r[0], r[1].get("idempotent-replayed")) for r in res])
st, j = admin[2].json("GET", "/__errata/scenarios/slow-create")
t.ok(j.get("served") == 1, "... and the scenario served it once", j)
reps_ = [call(ports[i], "POST", "/stripe/v1/refunds", hdrs, body) for i in range(3)]
t.ok(all(r[0] == first[0][0] and r[2] == first[0][2] and r[1].get("idempotent-replayed") == "true" for r in reps_),
     "after it completed, every replica replays the stored response byte for byte", [(r[0], r[2][:60]) for r in reps_])
st, h, b = call(ports[1], "POST", "/stripe/v1/refunds", hdrs, "amount=6&charge=ch_1")
t.ok(st in (400, 409, 422) and b"idempotency" in b.lower() and h.get("idempotent-replayed") is None,
     "the same key with another body on another replica: the contract's mismatch error", (st, b[:200]))

# --- 4. one rate limit across replicas -----------------------------------------
lim = [start("--state", STATE, "--replica", "l%d" % i, "--rate-limit", "30/m") for i in range(2)]
t0 = time.monotonic()
allowed = sum(1 for i in range(90) if call(lim[i % 2][1], "GET", "/breezeblue/v1/models", {"Authorization": "Bearer k-rate"})[0] != 429)
elapsed = time.monotonic() - t0
# the bucket refills at 30/60 s = 0.5 a second: at most ceil(elapsed / 2) more
t.ok(30 <= allowed <= 30 + int(elapsed / 2) + 1,
     "30/m on 2 replicas: %d of 90 allowed in %.1f s (one bucket: 30 plus the refill; two would allow 60)" % (allowed, elapsed),
     allowed)
st, h, b = call(lim[0][1], "GET", "/breezeblue/v1/models", {"Authorization": "Bearer k-rate"})
t.ok(st == 429 and int(h.get("retry-after", "0")) >= 1, "over the shared limit: the contract's 429 with a Retry-After", (st, h))
rcs = [stop(p) for p, _ in lim]

# --- 5. verdicts over HTTP when a client's retries land on other replicas --------
def balancer():
    """A round-robin TCP balancer over the three replicas: each connection to the next."""
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(64)
    n = [0]

    def pipe(a, b):
        try:
            while True:
                d = a.recv(65536)
                if not d:
                    break
                b.sendall(d)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def serve():
        while True:
            c, _ = ls.accept()
            u = socket.create_connection(("127.0.0.1", ports[n[0] % 3]))
            n[0] += 1
            threading.Thread(target=pipe, args=(c, u), daemon=True).start()
            threading.Thread(target=pipe, args=(u, c), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    return ls.getsockname()[1]


lb = balancer()


def over_http(name, mode):
    st, sc = admin[0].json("POST", "/__errata/scenarios", {"contract": "breezeblue", "suite": name})
    e = dict(os.environ, ERRATA_BASE_URL="http://127.0.0.1:%d%s" % (lb, sc["base_path"]), ERRATA_METHOD=sc["operation"]["method"],
             ERRATA_PATH=sc["operation"]["path"], ERRATA_BODY=sc["operation"]["body"] or "",
             ERRATA_CONTRACT_FILE="contracts/breezeblue.json")
    r = subprocess.run([sys.executable, "examples/clients/python_client.py", "--mode", mode], env=e,
                       capture_output=True, text=True, timeout=60 * SCALE)
    admin[1].json("POST", "/__errata/scenarios/%s/outcome" % sc["id"], {"ok": r.returncode == 0, "output": r.stdout + r.stderr})
    st, v = admin[2].json("GET", "/__errata/scenarios/%s/verdicts" % sc["id"])
    st, j = admin[0].json("GET", "/__errata/journal?scenario=" + sc["id"])
    return v, {e.get("replica") for e in j["entries"]}


for mode, fails in [("correct", set()), ("ignores-retry-after", {"retry.waited"})]:
    v, where = over_http("retry RATE_LIMITED", mode)
    bad = {x["id"] for x in v.get("checks", []) if x["outcome"] in ("fail", "error")}
    t.ok(bad == fails and v.get("passed") == (not fails) and len(where) >= 2,
         "retry RATE_LIMITED, %s client, its attempts on %d replicas, outcome to another, verdicts from a third: %s" %
         (mode, len(where), "all passing" if not fails else "failing " + ", ".join(sorted(fails))), (bad, v, where))

# --- 6. errata proxy replicas share scenarios and the journal -------------------
up = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(__file__), "lib", "upstream_server.py")],
                      stdout=subprocess.PIPE, text=True)
upstream = "http://127.0.0.1:%s" % up.stdout.readline().strip()
px = [start_proxy("--contract", "openai", "--state", STATE, "--replica", "p%d" % i, upstream=upstream) for i in range(2)]
pa = Client(px[0][1])
st, j = pa.json("POST", "/__errata/scenarios", {"id": "px", "contract": "openai", "steps": [{"status": 503, "repeat": 2}, {"upstream": True}]})
got = [call(px[i % 2][1], "GET", "/echo/x", {"X-Errata-Scenario": "px"})[0] for i in range(4)]
t.ok(st == 201 and got == [503, 503, 200, 200], "two errata proxy replicas: '503 twice, then the real API' served once across them", (st, j, got))
deadline = time.monotonic() + 5 * SCALE
while True:  # another replica's entries arrive within its writer's round trip
    st, j = Client(px[1][1]).json("GET", "/__errata/journal?scenario=px")
    if len(j.get("entries", [])) >= 4 or time.monotonic() > deadline:
        break
    time.sleep(0.01)
t.ok(st == 200 and {e.get("replica") for e in j["entries"]} == {"p0", "p1"} and len(j["entries"]) == 4,
     "either proxy's journal holds both proxies' entries", j.get("entries", [])[:1])
px_rcs = []
for p, *_ in px:
    p.terminate()
    px_rcs.append(p.wait(10 * SCALE))
up.terminate()

# --- 7. the store goes away under load, is slow, and comes back ---------------------
st, _ = admin[0].json("POST", "/__errata/scenarios", {"id": "after", "contract": "breezeblue", "steps": [{"status": 200}]})
load, load_stop = [], threading.Event()


def load_run():
    """Requests to the three replicas in turn, all through the kill and the restart."""
    i = 0
    while not load_stop.is_set():
        sent = time.monotonic()  # when it was sent: a slow answer still belongs to its time
        try:
            st, h, b = call(ports[i % 3], "GET", "/breezeblue/v1/models")
            load.append((sent, time.monotonic(), st, b"state-store-unavailable" in b))
        except OSError as e:
            load.append((sent, time.monotonic(), str(e), False))
        i += 1


loader = threading.Thread(target=load_run)
loader.start()
time.sleep(0.3)
redis.kill()
redis.wait()
killed_at = time.monotonic()
res = [call(ports[i % 3], "GET", "/breezeblue/v1/generations", {"X-Errata-Scenario": "after"}) for i in range(6)]
t.ok(all(r[0] == 503 and json.loads(r[2]).get("type") == "/__errata/problems/state-store-unavailable" and
         ("127.0.0.1:%d" % rport) in json.loads(r[2]).get("detail", "") for r in res),
     "Redis killed: every replica answers 503 naming the store, none from its own state", [(r[0], r[2][:160]) for r in res])
st, j = admin[1].json("GET", "/__errata/journal")
t.ok(st == 503 and "state-store-unavailable" in j.get("type", ""), "... and the journal says the store failed", j)
time.sleep(0.3)
restart_at = time.monotonic()
redis = redis_up(rport)
back_at = time.monotonic()
time.sleep(0.5)
load_stop.set()
loader.join(30 * SCALE)
# during: each request sent and answered while the store was gone (one sent
# just before the restart may be answered after it, and rightly so)
kinds = {(st, store) for _, _, st, store in load}
during = [(st, store) for at, done, st, store in load if killed_at + 0.05 < at and done < restart_at]
after = [st for at, _, st, _ in load if at > back_at + 0.2]
odd = [(round(at - killed_at, 3), round(done - restart_at, 3), st) for at, done, st, _ in load
       if killed_at + 0.05 < at < restart_at and st != 503]
t.ok(kinds <= {(200, False), (503, True)} and during and set(during) == {(503, True)} and after and set(after) == {200},
     "under load through the kill and the restart: only 200s and the store's 503s, 503 while it was gone, 200 again after",
     (sorted(kinds, key=str), len(during), len(after), sorted(set(during), key=str), sorted(set(after), key=str), odd[:5]))
if odd:
    print("# sent while the store was gone, not a 503 (s after the kill, s after the restart began, status): %s" % (odd[:5],))
res = [call(ports[i % 3], "GET", "/breezeblue/v1/models")[0] for i in range(6)]
t.ok(res == [200] * 6, "Redis back on the same address: every replica serves again by itself", res)
st, j = admin[0].json("POST", "/__errata/scenarios", {"id": "again", "contract": "breezeblue", "steps": [{"status": 418}]})
t.ok(st == 201 and call(ports[2], "GET", "/breezeblue/x", {"X-Errata-Scenario": "again"})[0] == 418,
     "... scenarios are shared again (what the lost store held is gone: it kept nothing on disk)")
redis.send_signal(signal.SIGSTOP)
t0 = time.monotonic()
st, h, b = call(ports[0], "GET", "/breezeblue/v1/models")
slow = time.monotonic() - t0
redis.send_signal(signal.SIGCONT)
t.ok(st == 503 and slow < 2.5 * SCALE and b"no answer within the timeout" in b,
     "a store that stops answering: 503 after the timeout (%.2f s), not a hang" % slow, (st, b[:200]))
time.sleep(0.2)
t.ok(call(ports[0], "GET", "/breezeblue/v1/models")[0] == 200, "... and served again once it answers")

# --- 8. start-up: an unreachable store, a bad URL, the password kept out ----------
dead = "redis://127.0.0.1:%d" % free_port()
for args, want in [(["--state", dead], "unreachable"), (["--state", "memcached://x"], "redis://HOST:PORT"),
                   (["--state", "rediss://127.0.0.1:1"], "TLS"), (["--state-timeout", "5"], "go with --state")]:
    r = subprocess.run([ERRATA, "serve", "--listen", "127.0.0.1:0", *args], capture_output=True, text=True, timeout=20 * SCALE)
    t.ok(r.returncode == 2 and want in r.stderr, "errata serve %s: exit 2, '%s'" % (" ".join(args), want), (r.returncode, r.stderr))
silent = socket.socket()
silent.bind(("127.0.0.1", 0))
silent.listen(4)  # accepts, never answers
web = subprocess.Popen([sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(free_port())], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
time.sleep(0.5 * SCALE)
for peer, want in [("redis://127.0.0.1:%d" % silent.getsockname()[1], "did not answer PING within the timeout"),
                   ("redis://127.0.0.1:%s" % web.args[-1], "is not a Redis")]:
    r = subprocess.run([ERRATA, "serve", "--listen", "127.0.0.1:0", "--state", peer, "--state-timeout", "300"],
                       capture_output=True, text=True, timeout=20 * SCALE)
    t.ok(r.returncode == 2 and want in r.stderr, "a store address where %s: exit 2, '%s'" %
         ("something accepts and stays silent" if "PING" in want else "a web server listens", want), (r.returncode, r.stderr))
web.terminate()
silent.close()
# A store that echoes each command back in an error reply: what errata
# says of it never holds the password (it went out in AUTH).
echo = socket.socket()
echo.bind(("127.0.0.1", 0))
echo.listen(4)


def echo_serve():
    while True:
        try:
            c, _ = echo.accept()
        except OSError:
            return
        with c:
            data = c.recv(4096)
            c.sendall(b"-ERR you said " + data.replace(b"\r\n", b" ") + b"\x07\r\n")


threading.Thread(target=echo_serve, daemon=True).start()
for auth, want in [(":echo-pw-913@", "the store refused the password: ERR you said *2 $4 AUTH $11 [password] ?"),
                   ("", "answered PING with an error: ERR you said *1 $4 PING ?")]:
    r = subprocess.run([ERRATA, "serve", "--listen", "127.0.0.1:0", "--state", "redis://%s127.0.0.1:%d" % (auth, echo.getsockname()[1])],
                       capture_output=True, text=True, timeout=20 * SCALE)
    t.ok(r.returncode == 2 and want in r.stderr and "echo-pw" not in r.stderr and "\x07" not in r.stderr,
         "a store that echoes %s: exit 2, '%s', no password and no control byte" % ("AUTH" if auth else "PING", want),
         (r.returncode, r.stderr))
echo.close()
# One that passes the start (AUTH, PING) and then answers every command with
# an error naming the password: the 503s errata serves then never hold it.
liar = socket.socket()
liar.bind(("127.0.0.1", 0))
liar.listen(16)


def liar_conn(c):
    with c:
        f, pw = c.makefile("rb"), b"?"
        while True:
            head = f.readline()
            if not head.startswith(b"*"):
                return
            args = []
            for _ in range(int(head[1:])):
                n = int(f.readline()[1:])
                args.append(f.read(n + 2)[:-2])
            if args[0].upper() == b"AUTH":
                pw = args[-1]
                c.sendall(b"+OK\r\n")
            elif args[0].upper() == b"PING":
                c.sendall(b"+PONG\r\n")
            else:
                c.sendall(b"-ERR the password is " + pw + b"\r\n")


def liar_serve():
    while True:
        try:
            c, _ = liar.accept()
        except OSError:
            return
        threading.Thread(target=liar_conn, args=(c,), daemon=True).start()


threading.Thread(target=liar_serve, daemon=True).start()
p, port = start("--state", "redis://:liar-pw-515@127.0.0.1:%d" % liar.getsockname()[1], quiet=True)
got = [Client(port).req("GET", "/openai/v1/models", headers={"X-Errata-Error": "rate_limit_exceeded"}),
       Client(port).req("GET", "/__errata/journal")]
text = json.dumps([[g[0], g[2].decode(errors="replace") if isinstance(g[2], bytes) else str(g[2])] for g in got])
t.ok([g[0] for g in got] == [503, 503] and "[password]" in text and "liar-pw" not in text,
     "a store that names the password in its errors: 503s that say so without it", text[:600])
p.send_signal(signal.SIGTERM)
said = p.said + p.stderr.read()  # to its end: the process closes it as it exits
rcs_liar = p.wait(timeout=5 * SCALE)
p.stderr.close()
t.ok(rcs_liar == 0 and "liar-pw" not in said, "and it stops cleanly, its output without the password",
     (rcs_liar, said[-300:]))
liar.close()
redis_cmd(rport, "CONFIG", "SET", "requirepass", "s3cr3t-pw-42")
r = subprocess.run([ERRATA, "serve", "--listen", "127.0.0.1:0", "--state", "redis://:wrong-pw-77@127.0.0.1:%d" % rport],
                   capture_output=True, text=True, timeout=20 * SCALE)
t.ok(r.returncode == 2 and "password" in r.stderr and "wrong-pw-77" not in r.stderr,
     "a refused password: exit 2, and the password is not in what it says", r.stderr)
pw = os.path.join(tmp, "pw")
open(pw, "w").write("s3cr3t-pw-42\n")
p, port = start("--state", STATE, "--state-password-file", pw)
st, j = Client(port).json("GET", "/__errata/health")
t.ok(st == 200 and j.get("state") == STATE + "/0" and "s3cr3t" not in json.dumps(j) and "s3cr3t" not in p.said,
     "--state-password-file: it serves, and neither its health nor its output shows the password", j)
rcs.append(stop(p))
rcs += [stop(p) for p, _ in reps] + px_rcs
t.ok(rcs == [0] * 8, "every replica stops cleanly (exit 0: under make check, no leak and no sanitizer report)", rcs)
redis.kill()
t.done()
