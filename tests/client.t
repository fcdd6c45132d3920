#!/usr/bin/env python3
"""errata client against real clients: each example's documented behaviour
implies a set of failing (scenario, check) pairs, asserted exactly; the
deliberately correct client passes everything; each deliberately wrong one
fails exactly where its one flaw shows. So every check fails when it should
and passes when it should."""
import concurrent.futures, json, os, re, subprocess, sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from errata_test import Tap, ERRATA, subtest_points  # noqa: E402

t = Tap()
# the suites wait (Retry-After, backoff) far more than they compute: a few at once
pool = concurrent.futures.ThreadPoolExecutor(3)
C = "tests/data/client.json"
RETRY = ["retry SLOW_DOWN", "retry SLOW_DOWN (HTTP-date)", "retry BAD_GATEWAY"]
FAULTS = ["fault CONNECTION_RESET_BY_PEER", "fault EMPTY_RESPONSE", "fault TRUNCATED_BODY", "fault GATEWAY_HTML"]
BACKOFF = "backoff BAD_GATEWAY without Retry-After"


def run(cmd, timeout=8, contract=C):
    return pool.submit(run_now, cmd, timeout, contract)


def run_now(cmd, timeout, contract):
    r = subprocess.run([ERRATA, "client", "--contract", contract, "--jobs", "4", "--timeout", str(timeout), "--tap", "-", "--", *cmd],
                       capture_output=True, text=True, timeout=600)
    return r, subtest_points(r.stdout, "clienttest")[0]


def pairs(spec):
    return {(s, c) for s, checks in spec.items() for c in checks}


py = ["examples/clients/python_client.py"]
clients = [
    ("the correct client", py, {}),
    # curl --retry: retries 429, 502 and 503 whatever the code, POST included, honours
    # Retry-After in both forms, sends no Idempotency-Key; does not retry a reset, an
    # empty reply or a truncated body, but does retry a 502 page
    ("curl --retry", ["examples/clients/curl.sh"],
     {**{s: ["retry.same-key"] for s in RETRY}, "no retry CAPACITY": ["no-retry.one-attempt", "client.exit"],
      "fault GATEWAY_HTML": ["fault.post-retry-key"]}),
    # urllib3 Retry(status_forcelist=[429,502,503,504], allowed_methods=None): the same on
    # statuses, retries POST on connection errors without a key, no delay before its
    # first retry (1.26's backoff), and ends on the 200 after retrying CAPACITY
    ("urllib3 Retry", ["examples/clients/python_urllib3.py"],
     {**{s: ["retry.same-key"] for s in RETRY}, **{s: ["fault.post-retry-key"] for s in FAULTS},
      "no retry CAPACITY": ["no-retry.one-attempt", "client.exit", "no-retry.code-shown"],
      BACKOFF: ["backoff.first-delay"]}),
    # plain urllib never retries, and sends no key: the contract requires one
    # to retry a POST, so not retrying is right
    ("plain urllib", ["examples/clients/python_urllib.py"], {}),
    # got's rules never retry a POST (and send no key): right here too
    ("fetch with got's rules", ["node", "examples/clients/node_fetch.mjs"], {}),
    ("ignores Retry-After", py + ["--mode", "ignores-retry-after"],
     {"retry SLOW_DOWN": ["retry.waited"], "retry SLOW_DOWN (HTTP-date)": ["retry.waited"],
      "long wait SLOW_DOWN (Retry-After: 120)": ["long-wait.not-early"],
      BACKOFF: ["backoff.first-delay", "backoff.grows"]}),
    ("a new key on each retry", py + ["--mode", "new-key-each-retry"],
     {**{s: ["retry.same-key"] for s in RETRY}, **{s: ["fault.post-retry-key"] for s in FAULTS}}),
    ("retries everything", py + ["--mode", "retries-everything"],
     {s: ["no-retry.one-attempt"] for s in ["no retry NOT_FOUND", "no retry BUSY", "no retry CAPACITY"]}),
    ("never retries", py + ["--mode", "never-retries"],
     {s: ["retry.attempted", "client.exit"] for s in RETRY}),
    ("crashes on HTML", py + ["--mode", "crashes-on-html"],
     {"fault GATEWAY_HTML": ["client.no-crash", "fault.not-success"]}),
]
# The same contract with keyless POST retries allowed (post_requires_idempotency_key
# false): curl's keyless retries now pass, and plain urllib's refusal to retry fails.
KEYLESS = "/tmp/errata-client-keyless-%d.json" % os.getpid()
doc = json.load(open(C))
doc["policy"]["retry"]["post_requires_idempotency_key"] = False
json.dump(doc, open(KEYLESS, "w"))
keyless = [(name, cmd, spec, run(cmd, contract=KEYLESS)) for name, cmd, spec in [
    ("keyless allowed: curl --retry", ["examples/clients/curl.sh"],
     {"no retry CAPACITY": ["no-retry.one-attempt", "client.exit"]}),
    ("keyless allowed: plain urllib", ["examples/clients/python_urllib.py"],
     {s: ["retry.attempted", "client.exit"] for s in RETRY})]]
runs = [(name, cmd, spec, run(cmd)) for name, cmd, spec in clients]
forever = run(py + ["--mode", "retries-forever"], timeout=4)
for name, cmd, spec, done in keyless:
    r, fails = done.result()
    want = pairs(spec)
    t.ok(fails == want, "%s: fails exactly %d checks" % (name, len(want)),
         "unexpected: %s\nmissing: %s" % (sorted(fails - want), sorted(want - fails)))
os.unlink(KEYLESS)
for name, cmd, spec, done in runs:
    r, fails = done.result()
    want = pairs(spec)
    t.ok(fails == want and r.returncode == (1 if want else 0),
         "%s: %s" % (name, "fails exactly %d checks, as its behaviour implies" % len(want) if want else "passes every check"),
         "unexpected: %s\nmissing: %s\n%s" % (sorted(fails - want), sorted(want - fails), r.stderr[-300:]))

r, fails = forever.result()
t.ok(("backoff BAD_GATEWAY without Retry-After", "backoff.bounded") in fails and
     all((s, "client.no-crash") in fails for s in FAULTS) and ("retry SLOW_DOWN", "retry.waited") in fails,
     "retries forever: unbounded (killed at the timeout), never waiting", sorted(fails))

# the evidence behind a verdict, and the suite's listing
r = subprocess.run([ERRATA, "client", "--contract", C, "--scenario", "retry SLOW_DOWN", "--tap", "-", "--",
                    "examples/clients/python_client.py", "--mode", "ignores-retry-after"], capture_output=True, text=True, timeout=60)
t.ok(r.returncode == 1 and '"attempts":[{"t_s":0' in r.stdout and '"idempotency_key":"' in r.stdout
     and "Retry-After (3) asked for 3.000 s after the first response; the retry came after 0.0" in r.stdout
     and '"gap_s":' in r.stdout and '"request_headers":' in r.stdout
     and "retry SLOW_DOWN (HTTP-date)" not in r.stdout, "a failing verdict cites its evidence: attempt times, keys, the gap, the headers sent; a name selects that scenario, not its variants", r.stdout[-600:])
r = subprocess.run([ERRATA, "client", "--contract", "breezeblue", "--list"], capture_output=True, text=True)
lines = r.stdout.splitlines()
bb = json.load(open("contracts/breezeblue.json"))["codes"]
n_retry = sum(e["retryable"] for e in bb)
n_dated = sum(e["retryable"] and e["status"] in (429, 503) for e in bb)
kinds = [l.split()[0] for l in lines]
t.ok(r.returncode == 0 and any(l.startswith("retry     retry DISPATCH_TIMEOUT (HTTP-date) ") for l in lines) and
     any(l.startswith("no_retry  no retry GENERATION_CAPACITY_EXCEEDED ") for l in lines) and
     all(l.endswith(" POST /v1/errata-probe") for l in lines) and
     kinds.count("retry") == n_retry + n_dated and kinds.count("no_retry") == len(bb) - n_retry and
     kinds.count("backoff") == 1 and kinds.count("fault") == 4 and kinds.count("long_wait") == 1 and
     any(l.startswith("backoff   backoff DISPATCH_TIMEOUT ") for l in lines),
     "--list: breezeblue's %d retryable codes (%d also with an HTTP-date), %d not retryable, a long wait, "
     "backoff on a 503, 4 faults, each with its operation" % (n_retry, n_dated, len(bb) - n_retry), r.stdout[:300])

# an RFC 9457 API: the code is inside the type URI
for mode, want in [("correct", 0), ("new-key-each-retry", 1)]:
    r = subprocess.run([ERRATA, "client", "--contract", "ledger", "--jobs", "8", "--tap", "-", "--", *py, "--mode", mode],
                       capture_output=True, text=True, timeout=300)
    bad = set(re.findall(r"    not ok \d+ - (\S+)", r.stdout))
    t.ok(r.returncode == want and bad == (set() if want == 0 else {"retry.same-key", "fault.post-retry-key"}),
         "ledger (problem+json): the %s client %s" % (mode, "passes" if want == 0 else "fails retry.same-key and fault.post-retry-key only"),
         "%s %s" % (sorted(bad), r.stderr[-300:]))

# custom scenario files, and usage errors
r = subprocess.run([ERRATA, "client", "--contract", "breezeblue", "--scenario", "fixtures/scenarios/breezeblue-capacity.json",
                    "--tap", "-", "--", "examples/clients/curl.sh"], capture_output=True, text=True, timeout=120)
t.ok(r.returncode == 1 and re.search(r"not ok \d+ - no-retry.one-attempt", r.stdout),
     "a scenario file: curl retries GENERATION_CAPACITY_EXCEEDED, documented as not retryable", r.stdout[-400:])
for args, what in [(["--contract", C], "give the client command after --"),
                   (["--contract", C, "--scenario", "nope", "--", "true"], "no scenario of the standard suite"),
                   (["--contract", C, "--scenario", "tests/data/minimal.json", "--", "true"], "unknown key"),
                   (["--contract", C, "--jobs", "0", "--", "true"], "--jobs"),
                   (["--", "true"], "--contract is required")]:
    r = subprocess.run([ERRATA, "client", *args], capture_output=True, text=True)
    t.ok(r.returncode == 2 and what in r.stderr, "usage: %s -> exit 2" % " ".join(args), r.stderr[-200:])
# the scenarios start longest first, whatever order they are asked in (one job: one after another)
order = os.path.join(os.environ.get("TMPDIR", "/tmp"), "errata-client-order-%d" % os.getpid())
LONG = "long wait SLOW_DOWN (Retry-After: 120)"
r = subprocess.run([ERRATA, "client", "--contract", C, "--jobs", "1", "--scenario", "no retry NOT_FOUND", "--scenario",
                    "retry SLOW_DOWN", "--scenario", LONG, "--tap", "/dev/null", "--", "sh", "-c",
                    'echo "$ERRATA_SCENARIO" >> "$0"', order], capture_output=True, text=True, timeout=60)
got = open(order).read().splitlines() if os.path.exists(order) else []
if os.path.exists(order):
    os.unlink(order)
t.ok(got == [LONG, "retry SLOW_DOWN", "no retry NOT_FOUND"],
     "scenarios start longest expected first: the long wait, a 3 s Retry-After, then one attempt", got)
r = subprocess.run([ERRATA, "client", "--contract", C, "--scenario", "no retry NOT_FOUND", "--tap", "-", "--",
                    "/nonexistent/client"], capture_output=True, text=True)
t.ok(r.returncode == 1 and "not ok 1 - client.run" in r.stdout and "cannot run" in r.stdout, "a command that cannot run: an error, exit 1", r.stdout[-300:])
t.done()
