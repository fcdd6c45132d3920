#!/usr/bin/env python3
"""errata contract import, diff and docs.

import: each of the five seed documents (and the RFC 9457 example) gives the
bundled contract's codes, statuses, messages and retry safety, and the
document's contradictions as warnings. docs: rendering a contract and
importing the page gives the same contract back, in Markdown and HTML.
diff: each kind of change is found and classified. Hostile documents give a
clear error, never a crash."""
import json, os, random, re, shutil, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from errata_test import Tap, ERRATA, start, stop  # noqa: E402

t = Tap()
tmp = tempfile.mkdtemp(prefix="errata-tools-")
DOCS = {"breezeblue-v1": "000_56a0968ea776a956.txt", "breezeblue": "001_5efc7b99ab3e5d5e.txt",
        "segmenter": "002_eedee0a7769a3a77.txt", "genapi": "003_004aef2b7fdb83e5.txt",
        "studio": "004_b708c0d87e5eed2b.txt", "ledger": "ledger.md"}


def errata(*args, **kw):
    return subprocess.run([ERRATA, "contract", *args], capture_output=True, text=True, timeout=60, **kw)


def values(c):
    return {e["code"]: (e["status"], e["message"], e["retryable"], e.get("status_only", False)) for e in c["codes"]}


def differences(a, b):
    va, vb = values(a), values(b)
    return [(k, va.get(k), vb.get(k)) for k in sorted(set(va) | set(vb)) if va.get(k) != vb.get(k)]


bundled = {cid: json.load(open("contracts/%s.json" % cid)) for cid in DOCS}

# --- import: the seed documents ------------------------------------------------------
imported = {}
for cid, doc in DOCS.items():
    out = os.path.join(tmp, cid + ".json")
    r = errata("import", "fixtures/docs/" + doc, "--id", cid, "-o", out)
    if not t.ok(r.returncode == 0 and os.path.exists(out), "import %s: exit 0, a contract written" % doc, r.stderr[-300:]):
        continue
    imported[cid] = c = json.load(open(out))
    c["_stderr"] = r.stderr
    lint = subprocess.run([ERRATA, "contract", "lint", out], capture_output=True, text=True)
    t.ok(lint.returncode == 0, "%s: the imported contract lints clean" % cid, lint.stderr)
    d = differences(bundled[cid], c)
    t.ok(not d, "%s: the same %d codes as the bundled contract, each with its status, message and retry safety"
         % (cid, len(c["codes"])), d[:4])
    docorder = [e["code"] for e in bundled[cid]["codes"] if not e.get("status_only")]
    t.ok([e["code"] for e in c["codes"] if not e.get("status_only")] == docorder, "%s: codes in the document's order" % cid)
    t.ok(c["envelope"]["error"] == bundled[cid]["envelope"]["error"], "%s: the envelope template the bundled contract has" % cid,
         json.dumps(c["envelope"]["error"]))

# what the documents state is not marked inferred; what they leave out is
bb = imported.get("breezeblue", {"codes": []})
t.ok(all("inferred" not in e for e in bb["codes"]) and "content_type" in bb.get("inferred", {}),
     "breezeblue: no per-code value is marked inferred (the table states them all); the media type is")
sg = imported.get("segmenter", {"codes": []})
t.ok(all("status" in e.get("inferred", {}) for e in sg["codes"] if e["code"] != "INVALID_PARAMS" and not e.get("status_only"))
     and "status" not in next(e for e in sg["codes"] if e["code"] == "INVALID_PARAMS").get("inferred", {}),
     "segmenter: every status is marked inferred, except INVALID_PARAMS's, which its example shows")
t.ok(all("retryable" in e.get("inferred", {}) for e in imported.get("studio", {"codes": [{}]})["codes"]),
     "studio: retry safety is marked inferred on every code (read from the Resolution column)")
gp = imported.get("genapi", {"codes": []})
t.ok({e["code"] for e in gp["codes"] if "message" in e.get("inferred", {}) and not e.get("status_only")}
     == {"FORBIDDEN", "INVALID_URL", "INVALID_EVENTS", "SPENDING_LIMIT_EXCEEDED"},
     "genapi: the four codes named without a message have an inferred one")

# the documents' contradictions
for cid, pattern, what in [
        ("studio", r'says "Complete reference of 44 error codes across 11 categories.*"; its tables list 36 codes', "44 codes claimed, 36 listed"),
        ("breezeblue", r"UPSTREAM_GENERATION_ERROR and UPSTREAM_GENERATION_SERVICE_ERROR share status 502 .* opposite retry safety", "two identical 502s, opposite retry safety"),
        ("breezeblue", r"GENERATION_CAPACITY_EXCEEDED is documented as not retryable, yet its message says", "not retryable, yet \"try again\""),
        ("breezeblue-v1", r"prints the same JSON example twice", "the envelope example printed twice"),
        ("segmenter", r'example message for INVALID_PARAMS \("Validation failed"\) differs from its table description', "INVALID_PARAMS: example and table disagree"),
        ("genapi", r"code case is mixed", "mixed code case")]:
    c = imported.get(cid, {"_stderr": "", "inconsistencies": []})
    t.ok(re.search("warning: .*" + pattern, c["_stderr"]) and any(re.search(pattern, x) for x in c["inconsistencies"]),
         "%s: warns and records: %s" % (cid, what), c["_stderr"][-300:])
t.ok("warning: " not in imported.get("ledger", {"_stderr": "warning: "})["_stderr"], "ledger: a consistent document gives no warning")

# an imported contract serves and checks like a bundled one
cdir = os.path.join(tmp, "served")
os.mkdir(cdir)
for cid in ("segmenter", "ledger"):
    shutil.copy(os.path.join(tmp, cid + ".json"), cdir)
p, port = start("--contracts", cdir)
for cid in ("segmenter", "ledger"):
    r = subprocess.run([ERRATA, "check", "--contract", os.path.join(cdir, cid + ".json"), "--base-url",
                        "http://127.0.0.1:%d/%s" % (port, cid), "--all-codes"], capture_output=True, text=True, timeout=60)
    t.ok(r.returncode == 0 and " 0 failed, 0 errors" in r.stderr, "%s, imported: errata serve renders every code and errata check passes it" % cid,
         r.stderr[-300:])
stop(p)

# --- docs, then import: the same contract --------------------------------------------
for cid in DOCS:
    for fmt in ("md", "html"):
        page = os.path.join(tmp, "%s.%s" % (cid, fmt))
        r = errata("docs", cid, "--format", fmt, "-o", page)
        r2 = errata("import", page, "--id", cid)
        ok = r.returncode == 0 and r2.returncode == 0
        back = json.loads(r2.stdout) if ok else {"codes": [], "envelope": {}}
        d = differences(bundled[cid], back)
        names = {e["code"]: (e.get("name"), e.get("domain")) for e in bundled[cid]["codes"]} == \
                {e["code"]: (e.get("name"), e.get("domain")) for e in back["codes"]}
        t.ok(ok and not d and names and back["envelope"].get("error") == bundled[cid]["envelope"]["error"],
             "%s: docs --format %s, then import: the same codes, statuses, messages, retry safety, names, domains and envelope"
             % (cid, fmt), (r.stderr + r2.stderr)[-300:] + str(d[:3]))
page = open(os.path.join(tmp, "breezeblue.md")).read()
t.ok("| Code | Status | Domain | Retry? | Role | Default message |" in page
     and "| `DISPATCH_TIMEOUT` |" not in page and "| DISPATCH_TIMEOUT | 503 | generation | Yes | timeout | Generation dispatch" in page,
     "docs: breezeblue's table has the document's columns and rows")

# any contract, format 2 and imported ones too: docs then import is the same contract
CODE_KEYS = ("code", "status", "retryable", "message", "name", "domain", "category", "type", "body_code", "role",
             "details", "extra", "status_only", "stream")
SAME_KEYS = ("errata", "content_type", "messages", "envelope", "headers", "policy", "operations", "stream")


def essence(c):
    return ({k: c.get(k) for k in SAME_KEYS}, [{k: e.get(k) for k in CODE_KEYS} for e in c["codes"]])


others = [os.path.join("contracts", f) for f in sorted(os.listdir("contracts")) if f.endswith(".json")]
r = errata("import", "tests/data/openapi/multi/api.yaml", "-o", os.path.join(tmp, "oas.json"))
others.append(os.path.join(tmp, "oas.json"))
r = errata("import", "fixtures/docs/real/anthropic.md", "-o", os.path.join(tmp, "anth.json"))
others.append(os.path.join(tmp, "anth.json"))
bad = []
for path in others:
    if not os.path.exists(path):
        bad.append((path, "not imported"))
        continue
    src = json.load(open(path))
    for fmt in ("md", "html"):
        page = os.path.join(tmp, "rt." + fmt)
        r = errata("docs", path, "--format", fmt, "-o", page)
        r2 = errata("import", page)
        if r.returncode or r2.returncode:
            bad.append((path, fmt, (r.stderr + r2.stderr)[-200:]))
            continue
        back = json.loads(r2.stdout)
        open(os.path.join(tmp, "rt.json"), "w").write(r2.stdout)
        diff = errata("diff", path, os.path.join(tmp, "rt.json"))
        a, b = essence(src), essence(back)
        if diff.returncode or " 0 changes" not in diff.stdout + diff.stderr or a != b:
            wrong = [k for k in SAME_KEYS if a[0][k] != b[0][k]] + [x["code"] for x, y in zip(a[1], b[1]) if x != y]
            bad.append((path, fmt, wrong[:4], (diff.stdout + diff.stderr)[-200:]))
t.ok(not bad and len(others) >= 13, "docs then import, in Markdown and HTML, of %d contracts (the bundled ones, format 2 included, "
     "one imported from OpenAPI, one from a real page): 0 changes in errata contract diff; the same envelope, headers, "
     "policy, operations, and each code's status, retry safety, message, type, body code, role, details and extras" % len(others), bad[:3])
html = os.path.join(tmp, "studio.html")
r = subprocess.run(["xmllint", "--html", "--noout", html], capture_output=True, text=True)
t.ok(r.returncode == 0 and not r.stderr, "docs --format html: xmllint reads the page without a complaint", r.stderr[-300:])
page = open(os.path.join(tmp, "segmenter.md")).read()
t.ok("## Not stated by the source document" in page and "- `TOKEN_EXPIRED` status: " in page,
     "docs: the values the source does not state are listed, code by code")

# --- diff --------------------------------------------------------------------------------
r = errata("diff", "breezeblue-v1", "breezeblue")
changes = [l for l in r.stdout.splitlines() if l[:8] in ("BREAKING", "ok      ")]
t.ok(r.returncode == 0 and len(changes) == 2 and all(l.startswith("ok       + ") for l in changes)
     and {l.split()[2] for l in changes} == {"DISPATCH_TIMEOUT", "GENERATION_INTERRUPTED"},
     "diff breezeblue-v1 breezeblue: DISPATCH_TIMEOUT and GENERATION_INTERRUPTED added, not breaking, exit 0", r.stdout)
r = errata("diff", "breezeblue", "breezeblue-v1")
t.ok(r.returncode == 1 and r.stdout.count("BREAKING - ") == 2, "the other way: two codes removed, breaking, exit 1", r.stdout)
r = errata("diff", "studio", "studio")
t.ok(r.returncode == 0 and "0 changes, 0 breaking" in r.stdout, "a contract against itself: no changes, exit 0", r.stdout)


def mutated(name, fn, base="breezeblue"):
    c = json.load(open("contracts/%s.json" % base))
    fn(c)
    path = os.path.join(tmp, "mut-%s.json" % name)
    json.dump(c, open(path, "w"), indent=1)
    return path


def code(c, k):
    return next(e for e in c["codes"] if e["code"] == k)


for name, fn, want_rc, pattern in [
        ("status", lambda c: code(c, "GENERATION_TIMEOUT").update(status=503), 1, r"BREAKING ~ GENERATION_TIMEOUT status 504 -> 503"),
        ("to-not-retryable", lambda c: code(c, "RATE_LIMITED").update(retryable=False), 1, r"BREAKING ~ RATE_LIMITED retryable -> not retryable"),
        ("to-retryable", lambda c: (code(c, "GENERATION_CAPACITY_EXCEEDED").update(retryable=True),
                                    c["policy"]["retry"]["statuses"].append(503)), 1,
         r"BREAKING ~ GENERATION_CAPACITY_EXCEEDED not retryable -> retryable"),
        ("removed", lambda c: c["codes"].remove(code(c, "FORBIDDEN")), 1, r"BREAKING - FORBIDDEN removed"),
        ("message", lambda c: code(c, "FORBIDDEN").update(message="Not allowed."), 0, r'ok       ~ FORBIDDEN message "Forbidden." -> "Not allowed."'),
        ("message-fixed", lambda c: (code(c, "FORBIDDEN").update(message="Not allowed."), c.update(messages="fixed")), 1,
         r'BREAKING ~ FORBIDDEN message "Forbidden." -> "Not allowed." \(messages are fixed\)'),
        ("envelope", lambda c: c["envelope"]["error"].update(detail="{{code}}", error="{{message}}", code="{{message}}"), 1, r"BREAKING ~ envelope "),
        ("domain", lambda c: code(c, "FORBIDDEN").update(domain="auth"), 0, r"ok       ~ FORBIDDEN domain common -> auth"),
        ("content-type", lambda c: c.update(content_type="application/problem+json"), 1, r"BREAKING ~ content type application/json -> application/problem\+json")]:
    path = mutated(name, fn)
    r = errata("diff", "breezeblue", path)
    t.ok(r.returncode == want_rc and re.search("^" + pattern, r.stdout, re.M),
         "diff: %s -> %s, exit %d" % (name, "breaking" if want_rc else "not breaking", want_rc), r.stdout[-300:] + r.stderr[-200:])

# --- bad input -------------------------------------------------------------------------
bad = os.path.join(tmp, "bad")
os.mkdir(bad)
cases = [("missing.md", None, "cannot open"),
         ("empty.md", b"", "no error codes found"),
         ("prose.md", b"# Errors\n\nSomething went wrong. Try again later.\n", "no error codes found"),
         ("binary.bin", bytes(range(256)) * 8, "NUL bytes"),
         ("json-garbage.md", b"{\"code\": \n{{{{\n[1,2,\n", "no error codes found")]
for name, data, what in cases:
    path = os.path.join(bad, name)
    if data is not None:
        open(path, "wb").write(data)
    r = errata("import", path)
    t.ok(r.returncode == 2 and what in r.stderr and not r.stdout, "import %s: exit 2, '%s'" % (name, what), r.stderr[-200:])
rows = "| Code | Status | Retry? | Message |\n|---|---|---|---|\n| OK_ONE | 400 | No | Fine. |\n| broken row |\n| BAD CODE! | 400 | No | x |\n| TWO | 4000 | Maybe | y |\n| OK_ONE | 401 | No | again |\n"
open(os.path.join(bad, "rows.md"), "w").write(rows)
r = errata("import", os.path.join(bad, "rows.md"))
# GitHub tables fill a short row with empty cells (md4c reads them so)
t.ok(r.returncode == 0 and "line 4: 'broken row' is not a code" in r.stderr and "line 5: 'BAD CODE!' is not a code" in r.stderr
     and "'4000' is not an HTTP status" in r.stderr and "'Maybe' is neither Yes nor No" in r.stderr and "OK_ONE is listed twice" in r.stderr,
     "import: each bad row is named with its line, the good ones are read", r.stderr)
big = "| Code | Status | Retry? | Message |\n|---|---|---|---|\n" + "".join("| C_%d | 400 | No | m%d%s |\n" % (i, i, "x" * (i % 3000)) for i in range(600))
open(os.path.join(bad, "big.md"), "w").write(big)
r = errata("import", os.path.join(bad, "big.md"))
t.ok(r.returncode == 0 and "more than 512 codes" in r.stderr, "import: 600 codes with long messages: the first 512 are read, the rest named", r.stderr[-200:])
# truncated and shuffled seed documents: an error or a contract, never a crash
random.seed(7)
crashes = []
for i in range(60):
    src = open("fixtures/docs/" + random.choice(list(DOCS.values())), "rb").read()
    if i % 2:
        src = src[:random.randrange(len(src))]
    else:
        lines = src.split(b"\n")
        random.shuffle(lines)
        src = b"\n".join(lines)
    path = os.path.join(bad, "mangled-%d.txt" % i)
    open(path, "wb").write(src)
    r = subprocess.run([ERRATA, "contract", "import", path], capture_output=True, timeout=60)
    if r.returncode not in (0, 1, 2) or (r.returncode == 1 and (r.stdout or b"not credible" not in r.stderr)) or (r.returncode == 0 and subprocess.run(
            [ERRATA, "contract", "lint", "-"], input=r.stdout, capture_output=True).returncode not in (0, 1)):
        crashes.append((path, r.returncode, r.stderr[-200:]))
t.ok(not crashes, "60 truncated or shuffled seed documents: each gives a contract, exit 1 (not credible, nothing written) or exit 2, no crash", crashes[:2])
for args, rc, what in [(["import"], 2, "usage"), (["import", "a", "b"], 2, "one document"), (["import", "x.md", "--nope"], 2, "unknown option"),
                       (["diff", "breezeblue"], 2, "usage"), (["diff", "breezeblue", "tests/data/broken/bad-status.json"], 2, "bad-status.json:22:32"),
                       (["diff", "breezeblue", "nope"], 2, "nope"), (["docs", "breezeblue", "--format", "pdf"], 2, "--format 'pdf' is not md or html"), (["docs", "breezeblue", "--bogus"], 2, "'--bogus' is not an option"),
                       (["docs", "nope"], 1, "nope")]:
    r = errata(*args)
    t.ok(r.returncode == rc and what in r.stderr, "errata contract %s: exit %d, '%s'" % (" ".join(args), rc, what), r.stderr[-200:])

# Schemas that expand exponentially ($refs nested 11 deep, 8 members each;
# YAML aliases the same): refused at once, naming the schema, in bounded memory.
schemas = {}
for i in range(11):
    nxt = {"$ref": "#/components/schemas/L%d" % (i + 1)} if i < 10 else {"type": "string"}
    schemas["L%d" % i] = {"type": "object", "properties": {k: nxt for k in "abcdefgh"}}
schemas["Error"] = {"type": "object", "properties": {"error": {"type": "object", "properties": {
    "code": {"type": "string", "enum": ["bad_thing"]}, "message": {"type": "string"},
    "detail": {"$ref": "#/components/schemas/L0"}}}}}
bomb = {"openapi": "3.0.3", "info": {"title": "Bomb", "version": "1"}, "paths": {"/x": {"get": {"responses": {
    "400": {"description": "bad", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}}},
    "components": {"schemas": schemas}}
yaml_defs = "".join("  - &a%d {type: object, properties: {%s}}\n" % (i, ", ".join("%s: *a%d" % (k, i - 1) for k in "abcdefgh"))
                    for i in range(1, 12))
yaml_bomb = ("openapi: 3.0.3\ninfo: {title: Bomb, version: '1'}\nx-defs:\n  - &a0 {type: string}\n" + yaml_defs +
             "paths:\n  /x:\n    get:\n      responses:\n        '400':\n          description: bad\n"
             "          content:\n            application/json:\n              schema:\n                type: object\n"
             "                properties:\n                  error:\n                    type: object\n"
             "                    properties: {code: {type: string, enum: [bad_thing]}, message: {type: string}, detail: *a11}\n")
for name, text in (("bomb.json", json.dumps(bomb)), ("bomb.yaml", yaml_bomb)):
    path = os.path.join(tmp, name)
    open(path, "w").write(text)
    t0 = time.time()
    r = subprocess.run(["/usr/bin/time", "-f", "%M", ERRATA, "contract", "import", path], capture_output=True, text=True, timeout=60)
    took, kb = time.time() - t0, int((r.stderr.strip().splitlines() or ["0"])[-1] or 0)
    t.ok(r.returncode in (1, 2) and "GET /x 400 expands past" in r.stderr and not r.stdout and took < 5 and kb < 200000,
         "%s (%d bytes): refused in %.2f s, %d MB, naming the schema" % (name, len(text), took, kb // 1024), r.stderr[-300:])

shutil.rmtree(tmp)
t.done()
