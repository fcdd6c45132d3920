#!/usr/bin/env python3
"""A token in the environment never reaches errata's output. errata check is
run in every mode and failure path (pass, fail, error, timeout, unreachable,
a hostile server that echoes the credential, the token in the base URL) with
the token in --header; errata client with clients that print the token, send
it, fail, hang, crash, or cannot run with the token in their argv. Then every
output (stdout, stderr, TAP and JUnit files, everything under the reports
folder) is searched for the token and for a fragment of it: zero hits."""
import concurrent.futures, os, secrets, shutil, subprocess, sys, tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from errata_test import Tap, ERRATA, start, stop  # noqa: E402

t = Tap()
TOKEN = "tok_" + secrets.token_hex(16)
# a cut secret must not show either: every 12-character window of it is searched for
WINDOWS = [TOKEN[i:i + 12] for i in range(len(TOKEN) - 11)]
env = dict(os.environ, API_TOKEN=TOKEN)
tmp = tempfile.mkdtemp(prefix="errata-secrets-")
reports = os.path.join(tmp, "reports")
os.mkdir(reports)
runs = []
pool = concurrent.futures.ThreadPoolExecutor(8)


def errata(name, *args, timeout=120):
    """Start one run with file reports and one with TAP on stdout, at once:
    the runs wait (timeouts, a hanging client) far more than they compute."""
    n = len(runs)
    tap, xml, html = (os.path.join(reports, "%02d.%s" % (n, ext)) for ext in ("tap", "xml", "html"))
    a = pool.submit(subprocess.run, [ERRATA, *args[:1], "--tap", tap, "--junit", xml, "--html", html, *args[1:]],
                    capture_output=True, text=True, timeout=timeout, env=env)
    b = pool.submit(subprocess.run, [ERRATA, *args[:1], "--tap", "-", *args[1:]], capture_output=True, text=True,
                    timeout=timeout, env=env)
    runs.append((name, a, b))
    return a


# --- errata check ----------------------------------------------------------------------
p, port = start()
broken = subprocess.Popen([sys.executable, "tests/lib/broken_server.py"], stdout=subprocess.PIPE, text=True)
bport = int(broken.stdout.readline())
H = ["--header", "Authorization: Bearer ${API_TOKEN}", "--header", "X-Api-Key: ${API_TOKEN}"]
mock = "http://127.0.0.1:%d/breezeblue" % port
b = "http://127.0.0.1:%d/%%s/breezeblue" % bport
checks = []
for name, args, want in [
        ("pass", ["--base-url", mock, "--all-codes", "--fixtures", "fixtures/breezeblue", "--selector"], 0),
        ("fail", ["--base-url", b % "wrong-status", "--all-codes"], 1),
        ("a hostile server echoing the credential", ["--base-url", b % "echo-secret", "--all-codes"], 0),
        ("a server echoing it in a header name, a code, a title, a Retry-After and a body",
         ["--base-url", b % "echo-everywhere", "--all-codes"], 1),
        ("the same against the problem+json contract", ["--base-url", (b % "echo-everywhere").replace("breezeblue", "ledger"),
                                                         "--all-codes", "--contract", "ledger"], 1),
        ("garbage", ["--base-url", b % "garbage", "--all-codes", "--timeout", "2"], 1),
        ("reset mid-body", ["--base-url", b % "reset-mid-body", "--all-codes", "--timeout", "2"], 1),
        ("timeout", ["--base-url", b % "hang", "--fixtures", "fixtures/breezeblue", "--timeout", "1", "--jobs", "7"], 1),
        ("unreachable", ["--base-url", "http://127.0.0.1:9/breezeblue", "--all-codes", "--timeout", "2"], 3),
        ("the token in the URL", ["--base-url", "http://user:%s@127.0.0.1:%d/breezeblue?api_key=%s" % (TOKEN, port, TOKEN),
                                  "--all-codes"], 0)]:
    contract = ["--contract", "breezeblue"] if "--contract" not in args else []
    # --deadline 1: a 429 is judged as it comes, without the polite backoff
    checks.append((name, want, errata("check " + name, "check", *contract, *H, "--deadline", "1", *args)))
for name, want, r in checks:
    r = r.result()
    t.ok(r.returncode == want, "errata check, %s: exit %d" % (name, want), r.stderr[-300:])
broken.kill()
broken.wait()
stop(p)

# --- errata client --------------------------------------------------------------------------
client = os.path.join(tmp, "client.py")
with open(client, "w") as f:
    f.write('''import os, sys, time, urllib.request, urllib.error
tok = os.environ["API_TOKEN"]
mode = sys.argv[1]
print("debug: calling with Authorization: Bearer " + tok + " and argv " + " ".join(sys.argv))
print("debug: " + tok * 3, file=sys.stderr)
req = urllib.request.Request(os.environ["ERRATA_BASE_URL"] + os.environ["ERRATA_PATH"],
                             data=os.environ["ERRATA_BODY"].encode(), method="POST",
                             headers={"Authorization": "Bearer " + tok, "X-Api-Key": tok, "Content-Type": "application/json"})
if mode == "hang":
    time.sleep(60)
if mode == "straddle":
    # the token across every cut: the evidence's head and tail, the capture's
    # head and tail and its old 64 KiB bound, in 100 KB of output
    out, total = [], 100000
    for at in (2048 - 10, 32768 - 10, 36864 - 10, 65536 - 10, total - 36864 - 10, total - 2048 - 10):
        out.append("x" * (at - sum(map(len, out))) + tok)
    sys.stdout.write("".join(out) + "y" * (total - sum(map(len, out))))
    sys.stdout.flush()
if mode == "crash":
    os.kill(os.getpid(), 11)
try:
    urllib.request.urlopen(req, timeout=5)
except urllib.error.HTTPError as e:
    print("error %d, token %s" % (e.code, tok))
    sys.exit(1)
except OSError as e:
    print("failed with token %s: %s" % (tok, e))
    sys.exit(1)
sys.exit(0 if mode == "ok" else 1)
''')
clients = []
S = ["--scenario", "retry RATE_LIMITED", "--scenario", "no retry AUTH_REQUIRED", "--scenario", "fault GATEWAY_HTML"]
for name, cmd in [("prints and sends the token", [sys.executable, client, "ok", TOKEN]),
                  ("fails, printing it", [sys.executable, client, "fail"]),
                  ("hangs past the timeout", [sys.executable, client, "hang"]),
                  ("crashes", [sys.executable, client, "crash"]),
                  ("writes the token across every cut of its output", [sys.executable, client, "straddle"]),
                  ("cannot run, the token in its argv", ["/nonexistent/" + TOKEN, "--key", TOKEN])]:
    clients.append((name, errata("client " + name, "client", "--contract", "breezeblue", "--timeout", "3", "--jobs", "3",
                                 *S, "--", *cmd)))
for name, r in clients:
    r = r.result()
    t.ok(r.returncode in (0, 1) and "scenarios;" in r.stderr, "errata client, a client that %s: a verdict" % name, r.stderr[-300:])

# --- the search ---------------------------------------------------------------------------------
hits = []
runs = [(name, a.result(), b.result()) for name, a, b in runs]
for name, r, r2 in runs:
    for what, text in (("stdout", r.stdout), ("stderr", r.stderr), ("stdout of --tap -", r2.stdout), ("stderr of --tap -", r2.stderr)):
        for w in WINDOWS:
            if w in text:
                hits.append("%s: %s: %s" % (name, what, w))
                break
files = 0
for root, _, names in os.walk(reports):
    for n in names:
        files += 1
        data = open(os.path.join(root, n), "rb").read()
        for w in WINDOWS:
            if w.encode() in data:
                hits.append("%s: %s" % (n, w))
                break
yaml = sum(open(os.path.join(reports, n)).read().count("  ---") for n in os.listdir(reports) if n.endswith(".tap"))
t.ok(files >= 3 * len(runs) and yaml > 0 and not hits,
     "%d runs, %d report files (%d YAML diagnostics), stdout and stderr of each: no 12-character window of the token appears"
     % (len(runs), files, yaml), hits[:5])
redacted = sum(("[REDACTED]" in r.stdout + r2.stdout) for _, r, r2 in runs)
t.ok(redacted > 0, "where a secret would have been, [REDACTED] stands (%d runs show it)" % redacted)
shutil.rmtree(tmp)
t.done()
