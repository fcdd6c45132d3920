#!/usr/bin/env python3
"""Reports people read. The HTML report rendered by headless Chromium, with
assertions on the DOM it built: the timeline of a client that retried too
early shows it, a correct client's does not, check cases show their request
and response, nothing is fetched and nothing hostile runs. The CI log: each
failing check as one line on stderr, a progress line on a terminal only.
TAP 13 read by Debian's prove, JUnit reports that a real merger keeps apart,
and the command-line friction fixed (usage errors, help, --rate, the
unreachable target's reason, a fixture body's media type)."""
import json, os, re, shutil, subprocess, sys, tempfile
from html.parser import HTMLParser

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from errata_test import Tap, ERRATA, start, stop, Client  # noqa: E402

t = Tap()
tmp = tempfile.mkdtemp()
C = "tests/data/client.json"
PY = ["examples/clients/python_client.py"]
SECRET = "sk_live_reports_5c1d9e7a3b"
env = dict(os.environ, ERRATA_TEST_TOKEN=SECRET)
BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent, self.children, self.text = tag, dict(attrs), parent, [], ""

    def cls(self):
        return (self.attrs.get("class") or "").split()

    def all(self, pred):
        out = []
        for c in self.children:
            if pred(c):
                out.append(c)
            out.extend(c.all(pred))
        return out

    def find(self, tag=None, cls=None, **attrs):
        return self.all(lambda n: (tag is None or n.tag == tag) and (cls is None or cls in n.cls()) and
                        all(n.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items()))

    def content(self):
        return self.text + "".join(c.content() for c in self.children)


class Tree(HTMLParser):
    VOID = {"meta", "link", "br", "img", "input", "hr", "rect", "line", "circle", "path"}

    def __init__(self):
        super().__init__()
        self.root = self.cur = Node("#root", {}, None)

    def handle_starttag(self, tag, attrs):
        n = Node(tag, attrs, self.cur)
        self.cur.children.append(n)
        if tag not in self.VOID:
            self.cur = n

    def handle_startendtag(self, tag, attrs):
        self.cur.children.append(Node(tag, attrs, self.cur))

    def handle_endtag(self, tag):
        n = self.cur
        while n is not None and n.tag != tag:
            n = n.parent
        if n is not None and n.parent is not None:
            self.cur = n.parent

    def handle_data(self, data):
        self.cur.text += data


def render(path):
    """The DOM that Chromium built from the file, parsed; None without a browser."""
    if not BROWSER:
        return None
    profile = tempfile.mkdtemp(dir=tmp)
    r = subprocess.run([BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + profile,
                        "--dump-dom", "file://" + os.path.abspath(path)], capture_output=True, text=True, timeout=120)
    tr = Tree()
    tr.feed(r.stdout)
    return tr.root if r.returncode == 0 and "<body" in r.stdout else None


def client(*args, cmd=PY, timeout=120):
    return subprocess.run([ERRATA, "client", "--contract", C, "--jobs", "4", "--timeout", "10", *args, "--", *cmd],
                          capture_output=True, text=True, timeout=timeout, env=env)


def sub_fails(tap):
    """{(scenario, check)} of the failing points inside subtests."""
    out, scenario = set(), None
    for line in tap.splitlines():
        m = re.match(r"# Subtest: [^:]+: (.*)$", line)
        if m:
            scenario = m.group(1)
        m = re.match(r"    not ok \d+ - (\S+)", line)
        if m:
            out.add((scenario, m.group(1)))
    return out


def stderr_fails(err, tool):
    """{(case, check)} of the CI log's failure lines."""
    return {(m.group(1), m.group(2)) for m in
            re.finditer(r"^errata %s: (?:not ok|error): (.*?): ([a-z][a-z0-9-]*\.[a-z0-9.-]+): .*$" % tool, err, re.M)}


def section(dom, name):
    s = [n for n in dom.find("section", cls="case") if n.attrs.get("data-name") == name]
    return s[0] if s else None


if not BROWSER:
    t.ok(False, "chromium is installed (make deps installs Debian's chromium)", "no chromium on PATH")

# --- the client report: a correct client, and one that ignores Retry-After -----------
SC = ["--scenario", "retry SLOW_DOWN", "--scenario", "=retry SLOW_DOWN (HTTP-date)", "--scenario", "fault TRUNCATED_BODY"]
good_html, bad_html = os.path.join(tmp, "good.html"), os.path.join(tmp, "bad.html")
good = client(*SC, "--html", good_html, "--tap", os.path.join(tmp, "good.tap"))
bad = client(*SC, "--html", bad_html, "--tap", os.path.join(tmp, "bad.tap"), cmd=PY + ["--mode", "ignores-retry-after"])
good_tap, bad_tap = open(os.path.join(tmp, "good.tap")).read(), open(os.path.join(tmp, "bad.tap")).read()
t.ok(good.returncode == 0 and bad.returncode == 1 and
     sub_fails(bad_tap) == {("retry SLOW_DOWN", "retry.waited"), ("retry SLOW_DOWN (HTTP-date)", "retry.waited")},
     "the runs behind the HTML: the correct client passes, the one that ignores Retry-After fails retry.waited twice",
     (good.returncode, bad.returncode, sorted(sub_fails(bad_tap)), bad.stderr[-300:]))

dom = render(good_html)
t.ok(dom is not None, "Chromium renders the correct client's report", good_html)
if dom is not None:
    summ = dom.find("section", id="summary")
    cases = dom.find("section", cls="case")
    t.ok(summ and summ[0].attrs.get("data-failed") == "0" and len(cases) == 3 and
         all(c.attrs["data-status"] == "ok" for c in cases),
         "correct client: the summary counts no failure and each of the 3 scenarios is ok",
         [(c.attrs.get("data-name"), c.attrs.get("data-status")) for c in cases])
    sec = section(dom, "retry SLOW_DOWN")
    marks = sec.find("g", cls="attempt") if sec else []
    wins = sec.find("rect", cls="ra-window") if sec else []
    gaps = sec.find("text", cls="gap") if sec else []
    ok = (len(marks) == 2 and len(wins) == 1 and not sec.find("g", cls="early") and
          float(marks[1].attrs["data-t"]) >= float(wins[0].attrs["data-until"]) - 0.02 and
          [m.attrs["data-status"] for m in marks] == ["429", "200"] and len(gaps) == 1 and
          abs(float(gaps[0].content().split()[0]) - (float(marks[1].attrs["data-t"]) - float(marks[0].attrs["data-t"]))) < 0.002)
    t.ok(ok, "correct client: two marks (429, 200), the Retry-After window shaded, the retry after its end, the gap labelled",
         [(m.attrs, m.content()) for m in marks] + [w.attrs for w in wins] + [g.content() for g in gaps])
    rows = sec.find("tr", data_check="retry.waited") if sec else []
    t.ok(rows and "pass" in rows[0].cls() and "Retry-After" in rows[0].content(),
         "correct client: the verdicts beside the timeline, with their evidence", [r.content() for r in rows])
    sec = section(dom, "fault TRUNCATED_BODY")
    t.ok(sec and len(sec.find("g", cls="attempt")) >= 1 and not sec.find("rect", cls="ra-window") and
         sec.find("pre", cls="evidence"),
         "a fault scenario: its attempts, no window (nothing asked to wait), the evidence", sec.content()[:300] if sec else None)

dom = render(bad_html)
t.ok(dom is not None, "Chromium renders the report of the client that ignores Retry-After", bad_html)
if dom is not None:
    for name in ("retry SLOW_DOWN", "retry SLOW_DOWN (HTTP-date)"):
        sec = section(dom, name)
        early = sec.find("g", cls="early") if sec else []
        wins = sec.find("rect", cls="ra-window") if sec else []
        rows = sec.find("tr", data_check="retry.waited") if sec else []
        t.ok(sec and sec.attrs["data-status"] == "fail" and len(early) == 1 and wins and
             float(early[0].attrs["data-t"]) < float(wins[0].attrs["data-until"]) - 0.5 and
             "early" in early[0].content() and rows and "fail" in rows[0].cls(),
             "%s: the retry is marked early, inside the shaded window, and retry.waited fails" % name,
             sec.content()[:400] if sec else None)
    failing = [a.attrs.get("href") for a in dom.find("a") if a.parent and "failing" in a.parent.parent.cls()]
    dom_fails = {(s.attrs["data-name"], r.attrs["data-check"]) for s in dom.find("section", cls="case")
                 for r in s.find("tr") if "fail" in r.cls() or "error" in r.cls()}
    t.ok(dom_fails == sub_fails(bad_tap) and len(failing) == 2 and all(h.startswith("#case-") for h in failing),
         "the HTML's failing verdicts are the TAP's, and the summary links each failing scenario",
         (sorted(dom_fails), failing))

# --- self-contained, escaped, redacted -------------------------------------------------
hostile = os.path.join(tmp, "hostile.html")
evil = ("echo '<script>document.title=\"pwned\"</script><img src=http://127.0.0.1:9/x.png>';"
        " echo \"token $ERRATA_TEST_TOKEN\"; exit 3")
r = client("--scenario", "no retry NOT_FOUND", "--html", hostile, cmd=["sh", "-c", evil])
raw = open(hostile, encoding="utf-8").read() if os.path.exists(hostile) else ""
dom = render(hostile)
t.ok(r.returncode == 1 and raw and dom is not None and not dom.find("script") and not dom.find("img") and
     "&lt;script&gt;" in raw and SECRET not in raw and "[REDACTED]" in raw,
     "a hostile client's output is text in the page: no script, no image, its secret redacted", raw[-600:])
for name in ("good.html", "bad.html", "hostile.html"):
    raw = open(os.path.join(tmp, name), encoding="utf-8").read()
    refs = re.findall(r'\b(?:src|href|action|srcset|xlink:href)\s*=\s*"([^"]*)"', raw)
    t.ok("default-src 'none'" in raw and all(ref.startswith("#") for ref in refs) and "@import" not in raw
         and "url(" not in raw, "%s: fetches nothing (a CSP forbids every load; only #anchors)" % name, refs[:5])

# --- the check report: request and response per case -----------------------------------
p, port = start()
base = "http://127.0.0.1:%d" % port
chk_html = os.path.join(tmp, "check.html")
r = subprocess.run([ERRATA, "check", "--contract", "breezeblue", "--base-url", base + "/breezeblue", "--all-codes",
                    "--selector", "--html", chk_html, "--junit", os.path.join(tmp, "check.xml"),
                    "--header", "Authorization: Bearer ${ERRATA_TEST_TOKEN}"],
                   capture_output=True, text=True, timeout=120, env=env)
dom = render(chk_html)
ncodes = len(json.load(open("contracts/breezeblue.json"))["codes"])
if dom is not None:
    cases = dom.find("section", cls="case")
    good_cases = [c for c in cases if c.find("pre", cls="request") and
                  c.find("pre", cls="request")[0].content().startswith("curl -X ") and
                  c.find("pre", cls="response") and '"status"' in c.find("pre", cls="response")[0].content()]
    t.ok(r.returncode == 0 and len(cases) == ncodes and len(good_cases) == ncodes and
         dom.find("body")[0].attrs.get("data-tool") == "check",
         "check --html: each of the %d cases shows its request (a curl line) and its response" % ncodes,
         (r.returncode, len(cases), len(good_cases), r.stderr[-300:]))
    raw = open(chk_html, encoding="utf-8").read()
    t.ok(SECRET not in raw and "Authorization: [REDACTED]" in raw, "check --html: the credential is redacted",
         raw[:300])
else:
    t.ok(False, "Chromium renders the check report", chk_html)

# --- CI log lines ----------------------------------------------------------------------
xml = os.path.join(tmp, "wrong.xml")
r = subprocess.run([ERRATA, "check", "--contract", "genapi", "--base-url", base + "/breezeblue", "--all-codes",
                    "--junit", xml], capture_output=True, text=True, timeout=120)
code = ("import sys\nfrom junitparser import JUnitXml, Failure, Error\nx = JUnitXml.fromfile(sys.argv[1])\n"
        "print(sum(1 for s in x for c in s for r in c.result if isinstance(r, (Failure, Error))))")
nbad = subprocess.run(["/usr/bin/python3", "-c", code, xml], capture_output=True, text=True, timeout=30).stdout.strip()
lines = [l for l in r.stderr.splitlines() if re.match(r"errata check: (not ok|error): ", l)]
t.ok(r.returncode == 1 and r.stdout == "" and nbad.isdigit() and int(nbad) > 0 and len(lines) == int(nbad) and
     all(re.match(r"errata check: (not ok|error): .+: [a-z][a-z.-]+: .+$", l) for l in lines),
     "--junit only: each of the %s failing checks is a line on stderr (case: check: message), nothing on stdout" % nbad,
     (r.returncode, nbad, len(lines), r.stderr[:400]))
t.ok(stderr_fails(bad.stderr, "client") == sub_fails(bad_tap) and stderr_fails(good.stderr, "client") == set(),
     "errata client: the stderr lines name exactly the TAP's failing (scenario, check) pairs",
     (sorted(stderr_fails(bad.stderr, "client")), bad.stderr[:400]))
t.ok("\x1b" not in bad.stderr and "\x1b" not in r.stderr,
     "not on a terminal: no progress line", repr(bad.stderr[:200]))
script = shutil.which("script")
if script:
    for cmd, want in [([ERRATA, "client", "--contract", C, "--scenario", "no retry", "--tap", os.devnull, "--"] + PY,
                       r"\r\x1b\[Kerrata client: 3/3 scenarios, \d+\.\d s"),
                      ([ERRATA, "check", "--contract", "breezeblue", "--base-url", base + "/breezeblue", "--all-codes",
                        "--selector", "--tap", os.devnull], r"\r\x1b\[Kerrata check: breezeblue: %d/%d cases, \d+\.\d s" % (ncodes, ncodes))]:
        pty = subprocess.run([script, "-qec", " ".join("'%s'" % a for a in cmd), os.devnull],
                             capture_output=True, timeout=120)
        out = pty.stdout.decode("utf-8", "replace")
        t.ok(re.search(want, out) is not None, "on a terminal: a progress line (done/total, seconds) for %s" % cmd[1],
             repr(out[:300]))
else:
    t.ok(False, "script(1) from util-linux runs the command on a pseudo-terminal", "no script")

# --- TAP 13 for Debian 12's prove ------------------------------------------------------
for version in ("13", "14"):
    for which, args, want in [("passing", ["--scenario", "no retry NOT_FOUND"], 0),
                              ("failing", ["--scenario", "retry SLOW_DOWN"], 1)]:
        f = os.path.join(tmp, "v%s-%s.tap" % (version, which))
        mode = [] if which == "passing" else ["--mode", "ignores-retry-after"]
        client("--tap-version", version, "--tap", f, *args, cmd=PY + mode)
        text = open(f).read()
        node = subprocess.run(["node", "tests/node/parse-tap.mjs"], input=text, capture_output=True, text=True, timeout=30)
        parsed = json.loads(node.stdout) if node.returncode == 0 and node.stdout else {}
        ok = text.startswith("TAP version %s\n" % version) and parsed.get("ok") == (want == 0)
        if version == "13":
            pr = subprocess.run(["prove", "-e", "cat", f], capture_output=True, text=True, timeout=60)
            ok = ok and (pr.returncode == 0) == (want == 0)
        t.ok(ok, "--tap-version %s, a %s report: %snode-tap reads it as %s" %
             (version, which, "prove -e cat and " if version == "13" else "", "passing" if want == 0 else "failing"),
             text[:200])
r = subprocess.run([ERRATA, "client", "--contract", C, "--tap-version", "15", "--", "true"], capture_output=True, text=True)
t.ok(r.returncode == 2 and "--tap-version '15' is not 13 or 14" in r.stderr, "--tap-version 15 is a usage error", r.stderr)

# --- JUnit: which tool wrote it, suites a merger keeps apart ---------------------------
def suites(path):
    code = ("import sys, json\nfrom junitparser import JUnitXml\nx = JUnitXml.fromfile(sys.argv[1])\n"
            "print(json.dumps({'root': x.name, 'suites': [{'name': s.name, 'tests': s.tests, "
            "'props': {p.name: p.value for p in s.properties()}, "
            "'classes': sorted({c.classname for c in s})} for s in x]}))")
    r = subprocess.run(["/usr/bin/python3", "-c", code, path], capture_output=True, text=True, timeout=30)
    return json.loads(r.stdout) if r.returncode == 0 else {"error": r.stderr}


cx, c1, c2 = (os.path.join(tmp, n) for n in ("m-check.xml", "m-c1.xml", "m-c2.xml"))
subprocess.run([ERRATA, "check", "--contract", "breezeblue", "--base-url", base + "/breezeblue", "--all-codes",
                "--selector", "--junit", cx], capture_output=True, timeout=120)
client("--scenario", "no retry", "--junit", c1)
client("--scenario", "no retry", "--junit", c2, "--name", "clienttest via urllib", cmd=["examples/clients/python_urllib.py"])
jc, j1, j2 = suites(cx), suites(c1), suites(c2)
t.ok(jc.get("root") == "errata check" and jc["suites"][0]["name"] == "breezeblue at 127.0.0.1:%d" % port and
     jc["suites"][0]["props"].get("errata.tool") == "check" and jc["suites"][0]["props"].get("base_url") == base + "/breezeblue",
     "check's JUnit: testsuites 'errata check', the suite named by contract and host, errata.tool and base_url", jc)
t.ok(j1.get("root") == "errata client" and j1["suites"][0]["name"] == "clienttest with python_client.py" and
     j1["suites"][0]["props"].get("errata.tool") == "client" and "base_url" not in j1["suites"][0]["props"] and
     j1["suites"][0]["props"].get("client.command") == "examples/clients/python_client.py" and
     j1["suites"][0]["classes"][0].startswith("clienttest with python_client.py."),
     "client's JUnit: testsuites 'errata client', the suite named by the command, client.command, no base_url", j1)
t.ok(j2.get("suites") and j2["suites"][0]["name"] == "clienttest via urllib", "--name names the suite", j2)
merged = os.path.join(tmp, "merged.xml")
jrm = subprocess.run(["node", "tests/node/node_modules/junit-report-merger/cli.js", merged, cx, c1, c2],
                     capture_output=True, text=True, timeout=60)
jm = suites(merged)
t.ok(jrm.returncode == 0 and len(jm.get("suites", [])) == 3 and
     sorted(s["tests"] for s in jm["suites"]) == sorted([jc["suites"][0]["tests"], j1["suites"][0]["tests"], j2["suites"][0]["tests"]]),
     "junit-report-merger keeps a check report and two client reports as three suites", (jrm.stderr[-300:], jm))

# --- a fixture's body goes out as JSON, and the reproduction says so -------------------
fx = os.path.join(tmp, "fx.json")
json.dump({"cases": [
    {"name": "json body", "request": {"method": "POST", "path": "/v1/generations", "body": {"prompt": "a"},
                                      "headers": {"X-Errata-Error": "VALIDATION_ERROR"}}, "expect": {"code": "VALIDATION_ERROR"}},
    {"name": "text body", "request": {"method": "POST", "path": "/v1/generations", "body": "plain",
                                      "headers": {"X-Errata-Error": "VALIDATION_ERROR", "Content-Type": "text/plain"}},
     "expect": {"code": "VALIDATION_ERROR"}}]}, open(fx, "w"))
cl = Client(port)
cl.req("DELETE", "/__errata/journal")
tapf = os.path.join(tmp, "fx.tap")
r = subprocess.run([ERRATA, "check", "--contract", "breezeblue", "--base-url", base + "/breezeblue", "--fixtures", fx,
                    "--header", "Authorization: Bearer ${ERRATA_TEST_TOKEN}", "--tap", tapf, "--html", os.path.join(tmp, "fx.html")],
                   capture_output=True, text=True, timeout=60, env=env)
entries = json.loads(cl.get("/__errata/journal")[2])["entries"]
ctypes = sorted(next((v for n, v in e["headers"] if n.lower() == "content-type"), None) or "" for e in entries)
html = open(os.path.join(tmp, "fx.html"), encoding="utf-8").read()
t.ok(r.returncode == 0 and ctypes == ["application/json", "text/plain"] and
     "-H &apos;Content-Type: application/json&apos;" in html and "-H &apos;Content-Type: text/plain&apos;" in html,
     "a fixture's JSON body goes out as application/json beside Authorization; a fixture's own Content-Type wins; "
     "the curl reproduction shows each", (r.returncode, ctypes, r.stderr[-300:]))
stop(p)

# --- an unreachable target says why ----------------------------------------------------
for url, why in [("http://127.0.0.1:1/x", "connection refused"),
                 ("http://no-such-host.invalid/x", "DNS"),
                 ("https://127.0.0.1:%d/breezeblue" % port, None)]:
    if why is None:  # TLS against a plain-HTTP port: started again for this
        p2, port2 = start()
        url, why = "https://127.0.0.1:%d/breezeblue" % port2, "TLS"
    r = subprocess.run([ERRATA, "check", "--contract", "breezeblue", "--base-url", url, "--all-codes", "--timeout", "5",
                        "--tap", "-"], capture_output=True, text=True, timeout=120)
    bail = re.search(r"^Bail out! the target is unreachable: (.*)$", r.stdout, re.M)
    t.ok(r.returncode == 3 and bail and bail.group(1).startswith(why) and
         ("the target is unreachable: " + bail.group(1)) in r.stderr,
         "unreachable by %s: exit 3, and the reason in the TAP's Bail out! and on stderr" % why,
         (r.returncode, r.stdout[:200], r.stderr[:300]))
    if why == "TLS":
        stop(p2)

# --- help and usage errors -------------------------------------------------------------
r = subprocess.run([ERRATA, "--help"], capture_output=True, text=True)
t.ok(all(w in r.stdout for w in ("contract import", "contract diff", "contract docs", "serve", "check", "client")),
     "errata --help lists every command, contract import, diff and docs among them", r.stdout)
for cmd, args, want in [("serve", ["--bogus"], "unknown option '--bogus'"),
                        ("serve", ["--listen"], "'--listen' needs a value"),
                        ("check", ["--bogus", "x"], "unknown option '--bogus'"),
                        ("check", ["--contract", "breezeblue", "--base-url", "http://127.0.0.1:1/", "--rate", "5/d"],
                         "--rate '5/d' is not N/s, N/m or N/h"),
                        ("client", ["--contract", C, "--bogus", "--", "true"], "unknown option '--bogus'"),
                        ("client", ["--contract", C, "--html"], "'--html' needs a value")]:
    r = subprocess.run([ERRATA, cmd, *args], capture_output=True, text=True, timeout=30)
    t.ok(r.returncode == 2 and want in r.stderr and "usage:" not in r.stderr and len(r.stderr.splitlines()) <= 2 and
         "errata %s --help" % cmd in r.stderr,
         "%s %s: '%s', in one line and a pointer to --help (not the whole help)" % (cmd, " ".join(args), want), r.stderr)
r = subprocess.run([ERRATA, "check", "--contract", "breezeblue", "--base-url", "ftp://user:hunter2@h.example/?api_key=k123"],
                   capture_output=True, text=True, timeout=30)
t.ok(r.returncode == 2 and "ftp://user:[REDACTED]@h.example/" in r.stderr and "hunter2" not in r.stderr and
     "k123" not in r.stderr, "a bad --base-url is shown with its credentials redacted, not as '(redacted)'", r.stderr)
p, port = start()
r = subprocess.run([ERRATA, "check", "--contract", "genapi", "--base-url", "http://127.0.0.1:%d/genapi" % port,
                    "--all-codes", "--selector", "--rate", "6000/m", "--tap", os.devnull], capture_output=True, text=True, timeout=120)
t.ok(r.returncode == 0, "check --rate takes N/m as errata serve does", r.stderr[-300:])
stop(p)
r = subprocess.run([ERRATA, "contract", "show", "nonexistent"], capture_output=True, text=True, timeout=30)
t.ok(r.returncode != 0 and "nonexistent" in r.stderr and all(i in r.stderr for i in ("breezeblue", "genapi", "ledger")),
     "contract show of an unknown id lists the ids there are", r.stderr)

t.done()
