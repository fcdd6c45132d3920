#!/usr/bin/env python3
"""make bench-peers: errata serve beside nginx, WireMock, Prism and Mountebank,
each answering the same documented error, measured in one run on this machine.

Every server answers GET /v1/generations (errata: /breezeblue/v1/generations)
with 429, Content-Type application/json, Retry-After: 2 and breezeblue's
RATE_LIMITED envelope; every response of a short run is checked before any
is measured. Then identical wrk settings (-t2 -c64, -t1 -c1, -t2 -c512; -d10s
--latency), interleaved, BENCH_ROUNDS times (default 2). Everything binds to
127.0.0.1, every run is bounded in time, and every server is stopped by PID."""
import datetime, http.client, json, os, re, resource, shutil, signal, socket, subprocess, sys, tempfile, threading, time

ERRATA = os.environ.get("ERRATA", "bin/errata")
DURATION = os.environ.get("BENCH_DURATION", "10s")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
PEERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "peers", "node_modules")
BODY = '{"ok":false,"code":"RATE_LIMITED","detail":"Rate limit exceeded.","error":"Rate limit exceeded."}'
STARTED = []


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def tree(pid):
    """pid and all its descendants."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for t in os.listdir("/proc/%d/task" % p):
                with open("/proc/%d/task/%s/children" % (p, t)) as f:
                    todo += [int(x) for x in f.read().split()]
        except OSError:
            pass
    return out


def cpu_s(pid):
    total = 0
    for p in tree(pid):
        try:
            with open("/proc/%d/stat" % p) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total / os.sysconf("SC_CLK_TCK")


def rss_mb(pid):
    total = 0
    for p in tree(pid):
        try:
            with open("/proc/%d/status" % p) as f:
                total += int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
        except (OSError, AttributeError):
            pass
    return total / 1024


def get(port, path, headers, timeout=2):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.request("GET", path, headers=headers)
    r = c.getresponse()
    b = r.read().decode()
    c.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, b


def correct(st, h, b):
    return st == 429 and h.get("retry-after") == "2" and h.get("content-type", "").startswith("application/json") \
        and json.loads(b or "null") == json.loads(BODY)


class Server:
    def __init__(self, name, cmd, port, path, headers, setup=None, cwd=None):
        self.name, self.cmd, self.port, self.path, self.headers, self.setup, self.cwd = name, cmd, port, path, headers, setup, cwd
        self.proc = None

    def start(self, samples=3):
        """Start it `samples` times (stopping all but the last); cold_ms is the median."""
        times = []
        for i in range(samples):
            self._start_once()
            times.append(self.cold_ms)
            if i < samples - 1:
                self.stop()
        self.cold_samples = sorted(times)
        self.cold_ms = self.cold_samples[len(times) // 2]

    def _start_once(self):
        t0 = time.monotonic()
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.cwd,
                                     start_new_session=True)
        STARTED.append(self.proc)
        deadline = t0 + 60
        setup_done = self.setup is None
        while time.monotonic() < deadline:
            try:
                if not setup_done:
                    self.setup(self)
                    setup_done = True
                if correct(*get(self.port, self.path, self.headers, timeout=1)):
                    self.cold_ms = (time.monotonic() - t0) * 1000
                    return
            except (OSError, ValueError, http.client.HTTPException):
                pass
            time.sleep(0.005)
        raise SystemExit("bench-peers: %s did not answer correctly within 60 s" % self.name)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def wrk(server, conns, duration, script=None):
    cmd = ["wrk", "-t%d" % (1 if conns == 1 else 2), "-c%d" % conns, "-d" + duration, "--latency", "--timeout", "5s"]
    for k, v in server.headers.items():
        cmd += ["-H", "%s: %s" % (k, v)]
    if script:
        cmd += ["-s", script]
    cmd.append("http://127.0.0.1:%d%s" % (server.port, server.path))
    before = cpu_s(server.proc.pid)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120).stdout
    cpu = cpu_s(server.proc.pid) - before

    def ms(v):
        m = re.match(r"([\d.]+)(us|ms|s)", v)
        return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]

    total = int(re.search(r"(\d+) requests in", out).group(1))
    errs = re.search(r"Socket errors: (.*)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50": ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),
            "p99": ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),
            "per_cpu": total / cpu if cpu else 0, "errors": errs.group(1) if errs else "none",
            "non429": int(re.search(r"Non-2xx or 3xx responses: (\d+)", out).group(1)) != total if "Non-2xx" in out else True,
            "out": out}


CHECK_LUA = r'''
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) n = 0; bad = 0; expected = %s end
function response(status, headers, body)
  n = n + 1
  local ra, ct = nil, nil
  for k, v in pairs(headers) do
    local l = string.lower(k)
    if l == "retry-after" then ra = v elseif l == "content-type" then ct = v end
  end
  if status ~= 429 or ra ~= "2" or not ct or not string.find(ct, "application/json", 1, true) or body ~= expected then
    bad = bad + 1
  end
end
function done(summary, latency, requests)
  local tn, tb = 0, 0
  for _, t in ipairs(threads) do tn = tn + t:get("n"); tb = tb + t:get("bad") end
  io.write(string.format("checked %%d bad %%d\n", tn, tb))
end
'''


def main():
    tmp = tempfile.mkdtemp(prefix="errata-peers-")
    jar = [os.path.join(PEERS, "wiremock", "build", f) for f in os.listdir(os.path.join(PEERS, "wiremock", "build")) if f.endswith(".jar")][0]
    # WireMock: one mapping
    wm_root = os.path.join(tmp, "wiremock")
    os.makedirs(os.path.join(wm_root, "mappings"))
    json.dump({"request": {"method": "GET", "url": "/v1/generations"},
               "response": {"status": 429, "headers": {"Content-Type": "application/json", "Retry-After": "2"}, "body": BODY}},
              open(os.path.join(wm_root, "mappings", "429.json"), "w"))
    # Prism: a small OpenAPI document
    oas = os.path.join(tmp, "openapi.json")
    json.dump({"openapi": "3.0.3", "info": {"title": "breezeblue", "version": "1"},
               "paths": {"/v1/generations": {"get": {"responses": {
                   "200": {"description": "ok", "content": {"application/json": {"example": {"ok": True}}}},
                   "429": {"description": "rate limited",
                           "headers": {"Retry-After": {"schema": {"type": "string"}, "example": "2"}},
                           "content": {"application/json": {"example": json.loads(BODY)}}}}}}}},
              open(oas, "w"))

    def mb_imposter(keep_alive):
        def setup(server):
            headers = {"Content-Type": "application/json", "Retry-After": "2"}
            if keep_alive:
                headers["Connection"] = "keep-alive"
            imp = json.dumps({"protocol": "http", "port": server.port, "host": "127.0.0.1", "stubs": [{"responses": [
                {"is": {"statusCode": 429, "headers": headers, "body": BODY}}]}]})
            c = http.client.HTTPConnection("127.0.0.1", server.admin, timeout=2)
            c.request("POST", "/imposters", body=imp, headers={"Content-Type": "application/json"})
            r = c.getresponse()
            r.read()
            if r.status != 201:
                raise OSError("imposter not created: %d" % r.status)
        return setup

    mb = os.path.join(PEERS, ".bin", "mb")
    prism = os.path.join(PEERS, ".bin", "prism")
    ports = {k: free_port() for k in ["errata", "nginx", "wm", "wmt", "prism", "prismt", "mb", "mbt", "mba", "mbta"]}
    ngx_conf = os.path.join(tmp, "nginx.conf")
    open(ngx_conf, "w").write("""worker_processes %d; daemon off; pid %s/nginx.pid; error_log %s/error.log;
events { worker_connections 8192; }
http { access_log off; client_body_temp_path %s; proxy_temp_path %s; fastcgi_temp_path %s; uwsgi_temp_path %s; scgi_temp_path %s;
  server { listen 127.0.0.1:%d backlog=4096; location / { default_type application/json;
    add_header X-Request-Id $request_id always; add_header Retry-After 2 always;
    add_header RateLimit-Policy '"default";q=60;w=60' always; add_header RateLimit '"default";r=0;t=2' always;
    return 429 '%s'; } } }
""" % (os.cpu_count() or 1, tmp, tmp, tmp, tmp, tmp, tmp, tmp, ports["nginx"], BODY))
    errata_hdr = {"X-Errata-Error": "RATE_LIMITED", "X-Errata-Retry-After": "2"}
    servers = [
        Server("errata (journal on)", [ERRATA, "serve", "--listen", "127.0.0.1:%d" % ports["errata"],
                                       "--contracts", "contracts/breezeblue.json"], ports["errata"], "/breezeblue/v1/generations", errata_hdr),
        Server("nginx", ["nginx", "-c", ngx_conf, "-e", os.path.join(tmp, "error.log")], ports["nginx"], "/v1/generations", {}),
        Server("WireMock", ["java", "-jar", jar, "--port", str(ports["wm"]), "--bind-address", "127.0.0.1", "--root-dir", wm_root],
               ports["wm"], "/v1/generations", {}),
        Server("WireMock tuned", ["java", "-jar", jar, "--port", str(ports["wmt"]), "--bind-address", "127.0.0.1", "--root-dir", wm_root,
                                  "--no-request-journal", "--disable-request-logging", "--async-response-enabled", "true",
                                  "--jetty-accept-queue-size", "4096"], ports["wmt"], "/v1/generations", {}),
        Server("Prism", [prism, "mock", oas, "-h", "127.0.0.1", "-p", str(ports["prism"])], ports["prism"], "/v1/generations",
               {"Prefer": "code=429"}),
        Server("Prism tuned", [prism, "mock", oas, "-h", "127.0.0.1", "-p", str(ports["prismt"]), "--cors", "false", "-v", "error"],
               ports["prismt"], "/v1/generations", {"Prefer": "code=429"}),
        Server("Mountebank", [mb, "start", "--port", str(ports["mba"]), "--host", "127.0.0.1", "--pidfile", os.path.join(tmp, "mb1.pid"),
                              "--logfile", os.path.join(tmp, "mb1.log")], ports["mb"], "/v1/generations", {}, mb_imposter(False)),
        Server("Mountebank tuned", [mb, "start", "--port", str(ports["mbta"]), "--host", "127.0.0.1", "--pidfile", os.path.join(tmp, "mb2.pid"),
                                    "--loglevel", "warn", "--nologfile"], ports["mbt"], "/v1/generations", {}, mb_imposter(True)),
    ]
    servers[6].admin, servers[7].admin = ports["mba"], ports["mbta"]

    print("starting and verifying each server (cold start = process start to first correct response)")
    for s in servers:
        s.start()
        s.idle_rss = rss_mb(s.proc.pid)
        lua = os.path.join(tmp, "check.lua")
        open(lua, "w").write(CHECK_LUA % json.dumps(BODY))
        r = wrk(s, 8, "2s", lua)
        m = re.search(r"checked (\d+) bad (\d+)", r["out"])
        s.checked = (int(m.group(1)), int(m.group(2))) if m else (0, -1)
        print("  %-20s cold start %7.1f ms  idle RSS %7.1f MB  every response of a 2 s run checked: %d, wrong: %d"
              % (s.name, s.cold_ms, s.idle_rss, s.checked[0], s.checked[1]), flush=True)
        if s.checked[1] != 0 or s.checked[0] == 0:
            raise SystemExit("bench-peers: %s sent wrong responses" % s.name)

    results = {}
    for conns in (64, 1, 512):
        for rnd in range(ROUNDS):
            for s in servers:
                r = wrk(s, conns, DURATION)
                results.setdefault((s.name, conns), []).append(r)
                print("  c=%-3d round %d %-20s %9.0f req/s  p50 %8.3f ms  p99 %8.3f ms  %9.0f req/CPU-s  socket errors: %s"
                      % (conns, rnd + 1, s.name, r["rps"], r["p50"], r["p99"], r["per_cpu"], r["errors"]), flush=True)
    for s in servers:
        s.after_rss = rss_mb(s.proc.pid)

    # a scripted sequence, per pinned client: fail twice, then succeed
    seq = sequence_bench(servers[0], servers[3], tmp)
    for s in servers:
        s.stop()
    harness = harness_bench()
    report(servers, results, seq, harness)


def sequence_bench(errata, wiremock, tmp, clients=32, rounds=20):
    """Each client has its own sequence (503, 503, 200) and runs it `rounds` times."""
    out = {}
    # errata: one scenario per client, cycling, pinned with X-Errata-Scenario
    for i in range(clients):
        c = http.client.HTTPConnection("127.0.0.1", errata.port, timeout=5)
        c.request("POST", "/__errata/scenarios", body=json.dumps({"id": "c%d" % i, "contract": "breezeblue", "cycle": True,
                  "steps": [{"error": "GENERATION_INTERRUPTED", "repeat": 2}, {"status": 200}]}),
                  headers={"Content-Type": "application/json"})
        c.getresponse().read()
    # WireMock: three stubs and two states per client, selected by a header
    for i in range(clients):
        for req_state, new_state, status in [("Started", "one", 503), ("one", "two", 503), ("two", "Started", 200)]:
            c = http.client.HTTPConnection("127.0.0.1", wiremock.port, timeout=5)
            c.request("POST", "/__admin/mappings", body=json.dumps({
                "scenarioName": "c%d" % i, "requiredScenarioState": req_state, "newScenarioState": new_state,
                "request": {"method": "GET", "url": "/v1/seq", "headers": {"X-Client": {"equalTo": "c%d" % i}}},
                "response": {"status": status, "body": "{}"}}), headers={"Content-Type": "application/json"})
            c.getresponse().read()
    for name, server, path, hdr in [("errata", errata, "/breezeblue/v1/seq", "X-Errata-Scenario"),
                                    ("WireMock tuned", wiremock, "/v1/seq", "X-Client")]:
        wrong = []
        cpu0 = cpu_s(server.proc.pid)

        def client(i):
            c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            for _ in range(rounds):
                got = []
                for _ in range(3):
                    c.request("GET", path, headers={hdr: "c%d" % i})
                    r = c.getresponse()
                    r.read()
                    got.append(r.status)
                if got != [503, 503, 200]:
                    wrong.append(got)
        t0 = time.monotonic()
        threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.monotonic() - t0
        out[name] = {"sequences_per_s": clients * rounds / wall, "wrong": len(wrong),
                     "server_cpu_s": cpu_s(server.proc.pid) - cpu0, "requests": clients * rounds * 3}
        print("  sequence %-16s %8.0f sequences/s  %d wrong  server CPU %.2f s for %d requests"
              % (name, out[name]["sequences_per_s"], len(wrong), out[name]["server_cpu_s"], out[name]["requests"]), flush=True)
    return out


def harness_bench():
    p = subprocess.Popen([ERRATA, "serve", "--listen", "127.0.0.1:0"], stderr=subprocess.PIPE, text=True, start_new_session=True)
    STARTED.append(p)
    port = int(re.search(r":(\d+)$", p.stderr.readline().strip()).group(1))
    ids = [f[:-5] for f in sorted(os.listdir("contracts")) if f.endswith(".json")]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    requests = 0
    ok = True
    for cid in ids:
        r = subprocess.run([ERRATA, "check", "--contract", cid, "--base-url", "http://127.0.0.1:%d/%s" % (port, cid),
                            "--all-codes", "--tap", os.devnull], capture_output=True, text=True, timeout=60)
        ok &= r.returncode == 0
        requests += int(re.search(r": (\d+) cases", r.stderr).group(1))
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    os.killpg(p.pid, signal.SIGTERM)
    p.wait(timeout=10)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print("  errata check --all-codes over %d contracts: %d requests in %.3f s wall, %.3f s CPU, %.0f req/s, %s"
          % (len(ids), requests, wall, cpu, requests / wall, "all passed" if ok else "FAILURES"), flush=True)
    return {"contracts": len(ids), "requests": requests, "wall": wall, "cpu": cpu, "rps": requests / wall, "ok": ok}


def version(cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
        return (r.stdout + r.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "unknown"


def report(servers, results, seq, harness):
    def best(name, conns):
        runs = results[(name, conns)]
        return {"rps": max(r["rps"] for r in runs), "p50": min(r["p50"] for r in runs),
                "p99": min(r["p99"] for r in runs), "per_cpu": max(r["per_cpu"] for r in runs),
                "errors": runs[-1]["errors"], "non429": any(r["non429"] for r in runs)}

    lines = ["| connections | server | req/s | p50 ms | p99 ms | req per server CPU-s | vs nginx (req/s, req/CPU-s) | vs errata (req/s, req/CPU-s) | socket errors |",
             "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for conns in (64, 1, 512):
        n, e = best("nginx", conns), best("errata (journal on)", conns)
        for s in servers:
            b = best(s.name, conns)
            lines.append("| %d | %s | %.0f | %.3f | %.3f | %.0f | %.2fx, %.2fx | %.2fx, %.2fx | %s%s |" % (
                conns, s.name, b["rps"], b["p50"], b["p99"], b["per_cpu"], b["rps"] / n["rps"], b["per_cpu"] / n["per_cpu"],
                b["rps"] / e["rps"], b["per_cpu"] / e["per_cpu"], b["errors"], "; non-429 responses" if b["non429"] else ""))
    foot = ["| server | cold start ms, median (of 3) | idle RSS MB | RSS after the runs MB | responses checked (wrong) |", "|---|---:|---:|---:|---|"]
    for s in servers:
        foot.append("| %s | %.1f (of %s) | %.1f | %.1f | %d (%d) |" % (
            s.name, s.cold_ms, ", ".join("%.1f" % x for x in s.cold_samples), s.idle_rss, s.after_rss, s.checked[0], s.checked[1]))
    e64, n64 = best("errata (journal on)", 64), best("nginx", 64)
    peers64 = {s.name: best(s.name, 64) for s in servers[2:]}
    errata_srv = servers[0]
    targets = []
    for conns in (1, 64, 512):
        e, n = best("errata (journal on)", conns), best("nginx", conns)
        targets += [("req/s at c=%d >= 1.0x nginx" % conns, e["rps"] >= n["rps"], "%.2fx" % (e["rps"] / n["rps"])),
                    ("p99 at c=%d <= 1.1x nginx" % conns, e["p99"] <= 1.1 * n["p99"], "%.2fx" % (e["p99"] / n["p99"]))]
    targets += [
        ("req per CPU-s at c=64 >= 0.9x nginx", e64["per_cpu"] / n64["per_cpu"] >= 0.9, "%.2fx" % (e64["per_cpu"] / n64["per_cpu"])),
        (">= 3x tuned WireMock at c=64", e64["rps"] >= 3 * peers64["WireMock tuned"]["rps"], "%.1fx" % (e64["rps"] / peers64["WireMock tuned"]["rps"])),
        (">= 10x tuned Mountebank and Prism at c=64",
         e64["rps"] >= 10 * max(peers64["Mountebank tuned"]["rps"], peers64["Prism tuned"]["rps"]),
         "%.1fx, %.1fx" % (e64["rps"] / peers64["Mountebank tuned"]["rps"], e64["rps"] / peers64["Prism tuned"]["rps"])),
        ("cold start < 20 ms", errata_srv.cold_ms < 20, "%.1f ms" % errata_srv.cold_ms),
        ("idle RSS < 16 MB", errata_srv.idle_rss < 16, "%.1f MB" % errata_srv.idle_rss),
        ("check --all-codes over all contracts < 1 s", harness["wall"] < 1 and harness["ok"], "%.3f s" % harness["wall"]),
    ]
    cpu = re.search(r"model name\s*:\s*(.*)", open("/proc/cpuinfo").read())
    versions = {"errata": version([ERRATA, "--version"]), "nginx": version(["nginx", "-v"]), "wrk": version(["wrk", "-v"]),
                "java": version(["java", "-version"]), "node": version(["node", "--version"]),
                "WireMock": "3.13.2 (npm wiremock)", "Prism": version([os.path.join(PEERS, ".bin", "prism"), "--version"]),
                "Mountebank": version([os.path.join(PEERS, ".bin", "mb"), "--version"])}
    text = ["# errata serve beside nginx, WireMock, Prism and Mountebank", "",
            "Run on %s UTC by `make bench-peers` on %d cores (%s); best of %d interleaved rounds of %s per setting. "
            "wrk shares the machine, so above about 100k req/s every fast server looks alike: requests per server "
            "CPU-second (utime+stime of the server's process tree from /proc) is the figure that tells them apart." % (
                datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M"), os.cpu_count() or 1, cpu.group(1) if cpu else "?", ROUNDS, DURATION), "",
            "Versions: " + "; ".join("%s %s" % kv for kv in versions.items()), "",
            "Commands: `wrk -t2 -c64 -d%s --latency URL`, `wrk -t1 -c1 ...`, `wrk -t2 -c512 ...`, with `-H 'X-Errata-Error: RATE_LIMITED' "
            "-H 'X-Errata-Retry-After: 2'` for errata and `-H 'Prefer: code=429'` for Prism; the peers' configurations are written "
            "by bench/peers.py. nginx sends the headers errata sends (X-Request-Id, Retry-After, RateLimit-Policy, RateLimit), "
            "the three mock servers the body and Retry-After. WireMock tuned: `--no-request-journal --disable-request-logging --async-response-enabled true "
            "--jetty-accept-queue-size 4096`; Prism tuned: `--cors false -v error`; Mountebank tuned: `Connection: keep-alive` "
            "in the stub, `--loglevel warn --nologfile`." % DURATION, "", "\n".join(lines), "", "\n".join(foot), "",
            "Scripted sequence (fail twice, then succeed; 32 pinned clients, 20 sequences each, one Python driver for both):", ""]
    for name, r in seq.items():
        text.append("- %s: %.0f sequences/s, %d wrong, server CPU %.2f s for %d requests" % (
            name, r["sequences_per_s"], r["wrong"], r["server_cpu_s"], r["requests"]))
    text += ["", "Harness: `errata check --all-codes` over the %d bundled contracts against errata serve: %d requests, "
             "%.3f s wall, %.3f s CPU, %.0f req/s, %s." % (harness["contracts"], harness["requests"], harness["wall"],
                                                           harness["cpu"], harness["rps"], "all passed" if harness["ok"] else "FAILURES"),
             "", "Targets:", ""]
    text += ["- %s: %s (%s)" % (t, "met" if ok else "NOT met", v) for t, ok, v in targets]
    out = "\n".join(text) + "\n"
    with open("bench/PEERS.md", "w") as f:
        f.write(out)
    print()
    print("\n".join(lines))
    print()
    print("\n".join(foot))
    print()
    print("\n".join("%s: %s (%s)" % (t, "met" if ok else "NOT met", v) for t, ok, v in targets))
    print("\nwrote bench/PEERS.md")


try:
    main()
finally:
    for p in STARTED:
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
                p.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except OSError:
                    pass
