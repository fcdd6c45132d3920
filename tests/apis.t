#!/usr/bin/env python3
"""The contracts of real APIs (openai, anthropic, stripe, github, digitalocean)
end to end: each lints, errata serve replays every code and errata check
passes it; the rendered bodies agree with the examples and fields their
source pages show; the mock draws vendor rate-limit headers from its real
limiter, serves 529 and 200 errors; errata check fails each format-2 rule
when a server breaks it (through a proxy that mutates the mock's replies);
errata client judges wait rules, retry hints and retry-after-ms."""
import json, os, re, subprocess, sys, threading, time, urllib.request
from http.server import BaseHTTPRequestHandler

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from errata_test import Tap, ERRATA, Server, start, stop, Client, subtest_points  # noqa: E402

t = Tap()
APIS = ["openai", "anthropic", "stripe", "github", "digitalocean"]
C = {a: json.load(open("contracts/%s.json" % a)) for a in APIS}
DOCS = "fixtures/docs/real"

r = subprocess.run([ERRATA, "contract", "lint"] + ["contracts/%s.json" % a for a in APIS], capture_output=True, text=True)
t.ok(r.returncode == 0 and r.stdout.count(": ok (") == 5, "the five contracts lint clean", r.stdout + r.stderr)
t.ok(all(c["errata"] == 2 for c in C.values()), "they are written in format 2")

mock, port = start()
base = "http://127.0.0.1:%d" % port
http = Client(port)


def get(api, code, path="/v1/x", headers=None):
    h = {"X-Errata-Error": code}
    h.update(headers or {})
    st, hdrs, body = http.req("GET", "/%s%s" % (api, path), h)
    return st, {k.lower(): v for k, v in hdrs.items()}, body


# --- every documented error replays, and errata check passes it ---
for a in APIS:
    r = subprocess.run([ERRATA, "check", "--contract", a, "--base-url", "%s/%s" % (base, a), "--all-codes",
                        "--tap", "-"], capture_output=True, text=True, timeout=120)
    n = len(C[a]["codes"])
    t.ok(r.returncode == 0 and re.search(r"^1\.\.%d$" % n, r.stdout, re.M) and "not ok" not in r.stdout,
         "%s: errata check --all-codes passes all %d codes served by errata serve" % (a, n), r.stdout[-500:] + r.stderr)
    r = subprocess.run([ERRATA, "check", "--contract", a, "--base-url", "%s/%s" % (base, a), "--selector",
                        "--tap", "-"], capture_output=True, text=True, timeout=120)
    t.ok(r.returncode == 0 and "not ok" not in r.stdout, "%s: its fixtures pass against the mock" % a, r.stdout[-500:])


# --- the bodies against what the pages show ---
def same_shape(want, got, path="body"):
    """Keys, types and constant values of an example, in a rendered body."""
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return "%s: an object expected" % path
        for k, v in want.items():
            if k not in got:
                return "%s.%s: missing" % (path, k)
            why = same_shape(v, got[k], path + "." + k)
            if why:
                return why
        return None
    if type(want) is not type(got):
        return "%s: %s expected, got %s" % (path, type(want).__name__, type(got).__name__)
    return None


page = open(DOCS + "/anthropic.md").read()
example = json.loads(re.search(r"```json JSON\n(.*?)```", page, re.S).group(1))
st, h, body = get("anthropic", example["error"]["type"])
doc = json.loads(body)
t.ok(same_shape(example, doc) is None and doc["type"] == "error" and doc["error"]["type"] == example["error"]["type"]
     and set(doc) == set(example) and set(doc["error"]) == set(example["error"]),
     "anthropic: not_found_error has the page's example's keys, types and constants", (same_shape(example, doc), body))
t.ok(doc["request_id"] == h["request-id"] and doc["request_id"].startswith("req_"),
     "anthropic: the body's request_id is the request-id header's value, req_...", (doc, h.get("request-id")))
st, h, body = get("anthropic", "overloaded_error")
t.ok(st == 529 and json.loads(body)["error"]["type"] == "overloaded_error", "anthropic: overloaded_error is served as 529", st)

do_ok = []
for f in sorted(os.listdir(DOCS + "/digitalocean")):
    if not f.endswith(".yml") or f == "error.yml":
        continue
    text = open(DOCS + "/digitalocean/" + f).read()
    ex = dict(re.findall(r"^      (id|message|request_id): (.*)$", text, re.M))
    st, h, body = get("digitalocean", ex["id"])
    doc = json.loads(body)
    do_ok.append((f, doc.get("id") == ex["id"] and doc.get("message") == ex["message"] and
                  ("request_id" not in ex or isinstance(doc.get("request_id"), str)) and set(doc) <= {"id", "message", "request_id"}
                  and doc.get("request_id") == h.get("x-request-id")))
t.ok(len(do_ok) == 8 and all(ok for _, ok in do_ok),
     "digitalocean: all 8 shared responses' examples (id, message, request_id) match the rendered bodies", do_ok)

page = open(DOCS + "/stripe.md").read()
attrs = set(re.findall(r"^- #### (\w+?)(?:nullable )?(?:string|object|enum)", page, re.M))
types = set(re.findall(r"`(\w+_error)`", page.split("Possible enum")[1].split("###")[0]))
bad = []
for e in C["stripe"]["codes"]:
    doc = json.loads(get("stripe", e["code"])[2])
    if set(doc) != {"error"} or not set(doc["error"]) <= attrs or doc["error"]["type"] not in types:
        bad.append((e["code"], doc))
t.ok(not bad and {"code", "message", "type"} <= attrs,
     "stripe: every body's members are attributes the page lists, its type one of the page's enum", (bad, attrs, types))
st, h, body = get("stripe", "api_error")
t.ok(json.loads(body)["error"]["code"] is None and h.get("stripe-should-retry") == "false",
     "stripe: api_error carries code null, and Stripe-Should-Retry: false (a 500 is replayed, not retried)", (body, h))

page = open(DOCS + "/openai.md").read()
named = set(re.findall(r"`error\.(\w+)`", page)) | {"message"}
bad = [e["code"] for e in C["openai"]["codes"] if not set(json.loads(get("openai", e["code"])[2])["error"]) <= named]
t.ok(not bad and {"code", "type", "param"} <= named, "openai: every body's members are the fields the page names (error.code, .type, .param)", bad)
for e in C["openai"]["codes"]:
    m = re.search(r"\*\*Type:\*\* `(\w+)` <br /> \*\*Code:\*\* `(\w+)`", page.split("| %d - %s" % (e["status"], e["message"]))[1]) \
        if ("| %d - %s" % (e["status"], e["message"])) in page else None
    if m and e["code"] == m.group(2):
        doc = json.loads(get("openai", e["code"])[2])["error"]
        t.ok(doc["type"] == m.group(1) and doc["code"] == m.group(2),
             "openai: %s has the type and code its row gives (%s, %s)" % (e["code"], m.group(1), m.group(2)), doc)
st, h, body = get("openai", "HTTP_401")
t.ok(st == 401 and "code" not in json.loads(body)["error"] and "type" not in json.loads(body)["error"],
     "openai: a status-only 401 carries no invented code or type", body)

page = open(DOCS + "/github.md").read()
quoted = set(re.findall(r'and an? "([^"]+)" error message', page)) | set(re.findall(r'"(Resource not accessible by integration)"', page))
msgs = {json.loads(get("github", e["code"])[2])["message"] for e in C["github"]["codes"]}
t.ok(len(quoted) >= 5 and quoted <= msgs, "github: each message the page quotes is a code's rendered message", (quoted, msgs))

# --- vendor headers from the limiter's state ---
stop(mock)
mock, port = start("--rate-limit", "3/m")
http = Client(port)
seen = []
for i in range(4):
    st, hdrs, body = http.req("GET", "/github/repos/x/y", {"Authorization": "Bearer errata-limit-test"})
    h = {k.lower(): v for k, v in hdrs.items()}
    seen.append((st, h.get("x-ratelimit-limit"), h.get("x-ratelimit-remaining"), h.get("x-ratelimit-used"),
                 h.get("x-ratelimit-reset"), h.get("x-ratelimit-resource")))
now = time.time()
t.ok([s[2] for s in seen] == ["2", "1", "0", "0"] and all(s[1] == "3" for s in seen) and
     [s[3] for s in seen] == ["1", "2", "3", "3"] and seen[3][0] == 403 and seen[0][0] == 200 and
     all(now - 5 < int(s[4]) <= now + 61 for s in seen) and all(s[5] == "core" for s in seen),
     "github: x-ratelimit-* come from --rate-limit's bucket (remaining 2, 1, 0, then a 403 rate limit)", seen)
stop(mock)

# --- errors with HTTP 200 ---
okfalse = "tests/data/okfalse.json"
mock, port = start("--contracts", okfalse)
http = Client(port)
st, hdrs, body = http.req("GET", "/okfalse/api/chat.postMessage", {"X-Errata-Error": "channel_not_found"})
t.ok(st == 200 and json.loads(body) == {"ok": False, "error": "channel_not_found"},
     "an {\"ok\": false} API's error is served with 200", (st, body))
r = subprocess.run([ERRATA, "check", "--contract", okfalse, "--base-url", "http://127.0.0.1:%d/okfalse" % port,
                    "--all-codes", "--tap", "-"], capture_output=True, text=True, timeout=60)
t.ok(r.returncode == 0 and "not ok" not in r.stdout, "errata check judges a 200 error as the documented error", r.stdout[-400:])
stop(mock)


# --- errata check fails each rule a server breaks: a proxy mutates the mock ---
twilio = "tests/data/twilio.json"
mock, mport = start("--contracts", "contracts", "--contracts", okfalse, "--contracts", twilio)
st, hdrs, body = Client(mport).req("GET", "/twilio/x", {"X-Errata-Error": "not_found"})
t.ok(st == 404 and json.loads(body) == {"code": 20404, "message": "The requested resource was not found",
                                        "more_info": "https://www.twilio.com/docs/errors/20404", "status": 404},
     "an integer code, repeated inside a URL (Twilio's shape), is served", body)
MUTATE = {
    "rid-differs": lambda st, h, b: (st, h, b.replace(b'"request_id":"req_', b'"request_id":"req_other')),
    "family-garbage": lambda st, h, b: (st, {**h, "x-ratelimit-remaining": "lots"}, b),
    "family-disagrees": lambda st, h, b: (st, {**h, "x-ratelimit-used": "7"}, b),
    "no-wait": lambda st, h, b: (st, {k: v for k, v in {**h, "x-ratelimit-remaining": "10", "x-ratelimit-used": "4990"}.items()
                                      if k.lower() not in ("retry-after",)}, b),
    "hint-garbage": lambda st, h, b: (st, {**h, "x-should-retry": "maybe"}, b),
    "ms-garbage": lambda st, h, b: (st, {**h, "retry-after-ms": "soon"}, b),
    "undocumented-type": lambda st, h, b: (st, h, b.replace(b'"type":"requests"', b'"type":"tokens"')),
    "ok-true": lambda st, h, b: (st, h, b'{"ok":true}'),
    "url-code-differs": lambda st, h, b: (st, h, b.replace(b"errors/20404", b"errors/20405")),
    "as-is": lambda st, h, b: (st, h, b),
}


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        mode, rest = self.path.split("/", 2)[1], "/" + self.path.split("/", 2)[2]
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (mport, rest),
                                     headers={k: v for k, v in self.headers.items() if k.lower().startswith("x-errata")})
        try:
            with urllib.request.urlopen(req) as resp:
                st, h, b = resp.status, dict(resp.headers.items()), resp.read()
        except urllib.error.HTTPError as e:
            st, h, b = e.code, dict(e.headers.items()), e.read()
        h.pop("Content-Length", None)
        h.pop("Date", None)
        st, h, b = MUTATE[mode](st, h, b)
        self.send_response(st)
        for k, v in h.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    do_POST = do_GET


proxy = Server(("127.0.0.1", 0), Proxy)
threading.Thread(target=proxy.serve_forever, daemon=True).start()
pport = proxy.server_address[1]


def fails(mode, api, code, contract=None):
    r = subprocess.run([ERRATA, "check", "--contract", contract or api, "--base-url",
                        "http://127.0.0.1:%d/%s/%s" % (pport, mode, api), "--all-codes", "--tap", "-"],
                       capture_output=True, text=True, timeout=60)
    failing = subtest_points(r.stdout, api)[0]
    return r.returncode, {check for name, check in failing if name == "all-codes " + code}, r.stdout


for mode, api, code, want in [
        ("rid-differs", "anthropic", "not_found_error", {"request-id.body"}),
        ("family-garbage", "github", "not_found", {"ratelimit.family"}),
        ("family-disagrees", "github", "primary_rate_limit_429", {"ratelimit.family"}),
        ("no-wait", "github", "secondary_rate_limit_403", {"wait.info"}),
        ("hint-garbage", "openai", "server_error", {"retry-hint"}),
        ("ms-garbage", "openai", "slow_down", {"retry-after-ms"}),
        ("undocumented-type", "openai", "rate_limit_exceeded", {"code.documented"}),
        ("ok-true", "okfalse", "channel_not_found", {"expect"}),
        ("url-code-differs", "twilio", "not_found", {"envelope.shape"}),
        ("as-is", "twilio", "not_found", set())]:
    rc, got, out = fails(mode, api, code, okfalse if api == "okfalse" else twilio if api == "twilio" else None)
    t.ok(rc == (1 if want else 0) and got == want,
         "errata check: %s on %s %s fails exactly %s" % (mode, api, code, sorted(want)),
         (rc, sorted(got), out[-600:]))
proxy.shutdown()
stop(mock)


# --- errata client: wait rules, retry hints and retry-after-ms ---
def client(api, *cmd, scenario=None):
    args = [ERRATA, "client", "--contract", api, "--jobs", "8", "--tap", "-"]
    if scenario:
        args += ["--scenario", scenario]
    r = subprocess.run(args + ["--"] + list(cmd), capture_output=True, text=True, timeout=600)
    return r, subtest_points(r.stdout, api)[0]


py = "examples/clients/python_client.py"
for a in APIS:
    r, got = client(a, py)
    t.ok(r.returncode == 0 and not got, "errata client: the correct example client passes %s's suite" % a, (sorted(got), r.stderr[-300:]))
r, got = client("github", py, "--mode", "ignores-retry-after", scenario="retry primary_rate_limit_403 (x-ratelimit-reset)")
t.ok(got == {("retry primary_rate_limit_403 (x-ratelimit-reset)", "retry.waited")},
     "github: a client that retries before x-ratelimit-reset fails retry.waited", sorted(got))
r, got = client("openai", py, "--mode", "ignores-retry-after", scenario="retry rate_limit_exceeded (retry-after-ms)")
t.ok(got == {("retry rate_limit_exceeded (retry-after-ms)", "retry.waited")},
     "openai: a client that ignores retry-after-ms fails retry.waited; the correct one passed it", sorted(got))
r, got = client("openai", py, "--mode", "retries-everything", scenario="no retry rate_limit_exceeded (x-should-retry: false)")
t.ok(("no retry rate_limit_exceeded (x-should-retry: false)", "no-retry.one-attempt") in got,
     "openai: a client that retries when x-should-retry: false fails no-retry.one-attempt", sorted(got))
# --- contract diff: what a client matches on ---
doc = json.load(open("contracts/openai.json"))
for e in doc["codes"]:
    if e["code"] == "slow_down":
        e["type"] = "requests"
changed = "/tmp/errata-openai-changed-%d.json" % os.getpid()
json.dump(doc, open(changed, "w"))
r = subprocess.run([ERRATA, "contract", "diff", "openai", changed], capture_output=True, text=True)
os.unlink(changed)
t.ok(r.returncode == 1 and "BREAKING ~ slow_down body code slow_down, type rate_limit_error -> body code slow_down, type requests" in r.stdout,
     "contract diff: a changed type is a breaking change", r.stdout + r.stderr)
t.done()
