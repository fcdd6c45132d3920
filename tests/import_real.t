#!/usr/bin/env python3
"""errata contract import on what real APIs publish.

OpenAPI: a description in five files joined by $ref (relative paths, JSON
pointers, a path item and an example in other files) gives its codes, their
statuses, the envelope from the error schema, the declared headers and the
operations; hostile descriptions (a $ref cycle, an escape from the
directory, a remote or missing target, a YAML alias cycle, Swagger 2.0,
broken YAML) give a clear error and exit 2. Real pages (fixtures/docs/real)
give the codes a reader counts on them, each status right, and a page read
wrongly is refused as not credible (exit 1, nothing written). The real
OpenAI and DigitalOcean descriptions are imported when ../shared/openapi
holds them."""
import json, os, subprocess, sys, tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import urllib.request  # noqa: E402
from errata_test import Tap, ERRATA, start, stop  # noqa: E402

t = Tap()
tmp = tempfile.mkdtemp(prefix="errata-import-")
OA = "tests/data/openapi"


def imp(path, *extra):
    out = os.path.join(tmp, os.path.basename(path) + ".json")
    if os.path.exists(out):
        os.unlink(out)
    r = subprocess.run([ERRATA, "contract", "import", path, "-o", out, *extra], capture_output=True, text=True, timeout=60)
    c = json.load(open(out)) if r.returncode == 0 and os.path.exists(out) else None
    return r, c, out


# --- OpenAPI across files ---------------------------------------------------------------
r, c, out = imp(OA + "/multi/api.yaml", "--explain")
t.ok(r.returncode == 0 and c, "multi-file description: exit 0, a contract written", r.stderr[-400:])
c = c or {"codes": [], "envelope": {"error": {}}, "headers": {}, "policy": {"idempotency": {}}, "operations": []}
codes = {e["code"]: e for e in c["codes"]}
want = {"not_found": 404, "rate_limited": 429, "idempotency_key_reused": 409, "request_in_progress": 409, "internal": 500}
t.ok(all(codes.get(k, {}).get("status") == v for k, v in want.items()),
     "codes from examples (inline, in another file, behind an example $ref) with their responses' statuses",
     {k: codes.get(k, {}).get("status") for k in want})
t.ok("widget_locked" in codes and "status" in codes["widget_locked"].get("inferred", {}),
     "a code only the schema's enum names is imported with its status marked inferred", codes.get("widget_locked"))
t.ok("status" in codes.get("internal", {}).get("inferred", {}), "a 5XX response's code: 500, marked inferred")
t.ok(codes.get("HTTP_423", {}).get("status_only") is True, "a 423 with a schema and no code: a status-only entry, not a code named 423")
t.ok(not any(k.isdigit() for k in codes), "no code is named after a status")
t.ok(c["envelope"]["error"] == {"code": "{{code}}", "message": "{{message}}", "request_id": "{{request_id?}}"},
     "the envelope comes from the error schema in another file (a nullable request id is optional)", c["envelope"]["error"])
h = c["headers"]
t.ok(h.get("request_id", {}).get("header") == "x-request-id", "the request id header the responses declare", h.get("request_id"))
t.ok(h.get("retry_after", {}).get("statuses") == [429], "Retry-After on the statuses that declare it", h.get("retry_after"))
t.ok(h.get("families", [{}])[0].get("fields") == {"x-ratelimit-limit": "limit", "x-ratelimit-remaining": "remaining",
                                                  "x-ratelimit-reset": "reset_at"}, "the rate-limit headers as a family", h.get("families"))
t.ok(c["policy"]["idempotency"].get("header") == "Idempotency-Key" and
     c["policy"]["idempotency"].get("conflict_code") == "idempotency_key_reused", "the Idempotency-Key parameter and its conflict code",
     c["policy"]["idempotency"])
ops = {(o["method"], o["path"]): o for o in c.get("operations", [])}
t.ok(ops.get(("GET", "/v1/widgets"), {}).get("codes") == ["not_found", "rate_limited"] and
     ops.get(("DELETE", "/v1/widgets/{id}"), {}).get("statuses") == [423, 404],
     "operations: method, path template (a path item in another file), statuses and codes", list(ops))
t.ok("Unused is used by no operation" in r.stderr, "a components response no operation uses is named, not invented", r.stderr[-300:])
t.ok("request_in_progress\n    found in the example" in r.stderr and "widget_locked\n    found in the enum" in r.stderr,
     "--explain says where each code was found and why each value was inferred", r.stderr[-600:])
lint = subprocess.run([ERRATA, "contract", "lint", out], capture_output=True, text=True)
t.ok(lint.returncode == 0, "the imported contract lints", lint.stderr)

# format 2 from a description: a null code told apart by its type, vendor headers
r, c, _ = imp(OA + "/chat.yaml")
codes = {e["code"]: e for e in (c or {"codes": []})["codes"]}
t.ok(r.returncode == 0 and codes.get("server_error", {}).get("body_code", 0) is None and
     codes["server_error"].get("type") == "server_error" and codes.get("invalid_service_tier", {}).get("type") == "invalid_request_error",
     "an example with \"code\": null is an entry named by its type, its body code null (format 2)", list(codes.values())[:2])
t.ok(c and c["headers"].get("retry_hint") == {"header": "x-should-retry"} and
     c["headers"]["retry_after"].get("ms_header") == "retry-after-ms" and
     c["envelope"]["error"] == {"error": {"code": "{{code}}", "message": "{{message}}", "param": None, "type": "{{type}}"}},
     "declared x-should-retry and retry-after-ms headers, and the {{type}} envelope", c and c["headers"])

# the envelope is the schema most error responses use, even one with a message and no code
r, c, _ = imp(OA + "/message-only.yaml")
t.ok(r.returncode == 0 and c and c["envelope"]["error"] == {"message": "{{message}}"} and
     {e["status"] for e in c["codes"]} == {403, 404, 422} and all(e.get("status_only") for e in c["codes"]),
     "GitHub's shape: the envelope of the schema 3 of 4 error responses use (a message, no code), status-only entries",
     c and (c["envelope"], [(e["code"], e["status"]) for e in c["codes"]]))
t.ok("the envelope's is used by 3 error responses" in r.stderr, "it says which schema became the envelope and why", r.stderr[-400:])

# the same description as one JSON file
js = json.dumps({"openapi": "3.1.0", "info": {"title": "J", "version": "1"}, "paths": {"/j": {"get": {"responses": {
    "400": {"description": "Bad.", "content": {"application/problem+json": {"schema": {"type": "object", "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"}}},
        "example": {"type": "https://j.example/bad", "title": "Bad.", "status": 400}}}}}}}}})
jpath = os.path.join(tmp, "j.json")
open(jpath, "w").write(js)
r, c, _ = imp(jpath)
t.ok(r.returncode == 0 and c and c["content_type"] == "application/problem+json",
     "a JSON description with problem+json: its media type", r.stderr[-300:])

# the mock routes a status selector by the request's operation
proc, port = start("--contracts", OA + "/operations.json")
try:
    def ask(path, **hdrs):
        req = urllib.request.Request("http://127.0.0.1:%d/ops%s" % (port, path), headers=hdrs)
        try:
            urllib.request.urlopen(req, timeout=10)
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())["code"]
    got = [ask("/v1/widgets/7", Prefer="code=404"), ask("/v1/gadgets/7?x=1", Prefer="code=404"),
           ask("/v1/elsewhere", Prefer="code=404"), ask("/v1/gadgets/7", **{"X-Errata-Error": "widget_not_found"})]
    t.ok(got == [(404, "widget_not_found"), (404, "gadget_not_found"), (404, "widget_not_found"), (404, "widget_not_found")],
         "Prefer: code=404 on a documented operation serves that operation's 404; elsewhere the first; a named code as named", got)
finally:
    stop(proc)

# --- hostile descriptions ----------------------------------------------------------------
for name, what in [("cycle.yaml", "a cycle of $refs"), ("escape.yaml", "leaves the description's directory"),
                   ("remote.yaml", "is remote"), ("missing.yaml", "cannot open 'missing.yml'"),
                   ("pointer.yaml", "has nothing at '#/components/responses/Nope'"),
                   ("alias.yaml", "alias.yaml:2:8: alias '*a' refers to a node that holds it"),
                   ("swagger.yaml", "Swagger 2.0 is not read"), ("broken.yaml", "broken.yaml:3:1:"),
                   ("noerrors.yaml", "no error responses")]:
    r, c, out = imp(OA + "/bad/" + name)
    t.ok(r.returncode == 2 and what in r.stderr and not os.path.exists(out), "%s: exit 2, '%s', nothing written" % (name, what),
         r.stderr[-300:])
big = os.path.join(tmp, "big.yaml")
with open(big, "w") as f:
    f.write("openapi: 3.0.0\n# " + "x" * (65 << 20) + "\n")
r, c, _ = imp(big)
t.ok(r.returncode == 2 and "larger than 64 MiB" in r.stderr, "a description past 64 MiB: exit 2, said so", r.stderr[-200:])
os.unlink(big)
# 30,000 operations make a contract past 4 MiB: import refuses it as lint would, through the same loader
paths = {}
for i in range(30000):
    paths["/v1/things%d/{id}" % i] = {"get": {"responses": {"404": {"description": "missing", "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/Error"},
                             "example": {"error": {"code": "thing%d_missing" % i, "message": "no such thing"}}}}}}}}
many = {"openapi": "3.0.3", "info": {"title": "Big", "version": "1"}, "paths": paths,
        "components": {"schemas": {"Error": {"type": "object", "properties": {"error": {"type": "object", "properties": {
            "code": {"type": "string"}, "message": {"type": "string"}}}}}}}}
json.dump(many, open(big, "w"))
r, c, out = imp(big)
t.ok(r.returncode != 0 and "larger than 4194304 bytes (4 MiB)" in r.stderr and not os.path.exists(out) and
     "confidence: high" not in r.stderr,
     "30,000 operations: import refuses a contract past 4 MiB, as lint does, and writes nothing", r.stderr[-300:])
huge = os.path.join(tmp, "huge.json")
c0 = json.load(open("contracts/openai.json"))
c0["x-pad"] = "y" * (4 << 20)
json.dump(c0, open(huge, "w"))
lint = subprocess.run([ERRATA, "contract", "lint", huge], capture_output=True, text=True, timeout=60)
t.ok(lint.returncode == 1 and "larger than 4194304 bytes (4 MiB)" in lint.stderr, "...lint says the same of a file past 4 MiB",
     lint.stderr[-300:])
os.unlink(big)
os.unlink(huge)

# --- real pages ---------------------------------------------------------------------------
# the codes a reader counts on each page, and their statuses
PAGES = {
    "anthropic.md": {"invalid_request_error": 400, "authentication_error": 401, "permission_error": 403,
                     "not_found_error": 404, "request_too_large": 413, "rate_limit_error": 429, "api_error": 500,
                     "overloaded_error": 529},
}
for page, want in PAGES.items():
    r, c, _ = imp("fixtures/docs/real/" + page)
    got = {e["code"]: e["status"] for e in (c or {"codes": []})["codes"] if not e.get("status_only")}
    t.ok(r.returncode == 0 and got == want, "%s: the %d codes on the page, each with its status" % (page, len(want)), got)
    if page == "anthropic.md" and c:
        t.ok(c["envelope"]["error"].get("request_id") == "{{request_id}}" and c["headers"]["request_id"] == "request-id" and
             c["envelope"]["error"]["error"].get("type") == "{{code}}",
             "anthropic.md: the envelope example after the list, with its request id and its type as the code", c["envelope"])
# GitHub: errors named by heading and message, sub-codes whose status the section's text gives
r, c, _ = imp("fixtures/docs/real/github.md")
got = {e["code"]: (e["status"], e["message"]) for e in (c or {"codes": []})["codes"]}
want = {"problems_parsing_json": (400, "Problems parsing JSON"), "body_should_be_a_json_object": (400, "Body should be a JSON object"),
        "invalid_request": (422, "Invalid request"), "validation_failed": (422, "Validation Failed"),
        "not_found_for_an_existing_resource": (404, "Not Found")}
t.ok(r.returncode == 0 and all(got.get(k) == v for k, v in want.items()),
     "github.md: each heading with a status and a quoted error message below it is an entry with that status and message", got)
subs = ["missing", "missing_field", "invalid", "already_exists", "unprocessable", "custom"]
t.ok(all(got.get(k, (0,))[0] == 422 for k in subs) and c and
     all("status" not in e.get("inferred", {}) for e in c["codes"] if e["code"] in subs),
     "github.md: the six sub-codes of 'Validation Failed' get the 422 the section's text states, not an invented status", got)
t.ok(all("errata names the entry after the heading" in e.get("inferred", {}).get("code", "")
         for e in (c or {"codes": []})["codes"] if e["code"] in want),
     "github.md: an entry named after its heading says so (the code is marked inferred)")

# an HTML page: libxml2 reads it; a heading per code, status and retry advice below; bullets; the envelope anywhere
r, c, _ = imp("tests/data/acme-errors.html", "--explain")
got = {e["code"]: (e["status"], e["retryable"]) for e in (c or {"codes": []})["codes"]}
t.ok(r.returncode == 0 and got == {"card_declined": (402, False), "rate_limited": (429, True), "overloaded": (503, True),
                                   "internal_error": (500, True)},
     "HTML page: codes from headings (status and retry advice below) and status-led bullets; script and nav ignored", got)
t.ok(c and c["envelope"]["error"] == {"error": {"code": "{{code}}", "message": "{{message}}", "request_id": "{{request_id}}"}},
     "HTML page: the envelope from the example at the top, its request id templated", c and c["envelope"])
t.ok("retryable inferred" not in r.stderr.split("  overloaded")[1].split("  internal_error")[0] if "  overloaded" in r.stderr else False,
     "--explain: the retry safety read from the text is not marked inferred", r.stderr[-500:])

# a code column chosen by its content, under other names; a definition list
for page, want in [("tests/data/error-column.md", {"card_declined": 402, "rate_limited": 429, "INTERNAL": 500}),
                   ("tests/data/name-column.md", {"card_declined": 402, "rate_limited": 429, "server_error": 500}),
                   ("tests/data/deflist-errors.html", {"card_declined": 402, "busy": 503})]:
    r, c, _ = imp(page)
    got = {e["code"]: e["status"] for e in (c or {"codes": []})["codes"]}
    t.ok(r.returncode == 0 and got == want, "%s: the codes and statuses (code column by its name or content, <dl> terms)" % page,
         (got, r.stderr[-300:]))
r, c, _ = imp("tests/data/name-column.md")
t.ok("column 'Name' holds codes (its cells read as codes)" in r.stderr, "the importer says which column it took for codes, and why")

# what the importer read, and why a table was not read
r, c, _ = imp("fixtures/docs/real/openai.md")
t.ok("column 'Code' holds HTTP statuses (its cells lead with one)" in r.stderr and
     "a table (Code | Overview): read as statuses without codes" in r.stderr and
     "a table (Type | Overview): its code column has no status, retry or message column beside it" in r.stderr,
     "openai.md: each table is named with its header row and why it was read as it was", r.stderr[:400])
r, c, _ = imp("fixtures/docs/real/github-ratelimits.md")
t.ok(r.returncode == 2 and "a table (Header name | Description)" in r.stderr and "1 tables, 0 JSON examples" in r.stderr,
     "a page with no error entries: exit 2, saying what it held", r.stderr[-300:])

# status-only pages: statuses, never codes named after them
r, c, _ = imp("fixtures/docs/real/stripe.md")
got = {e["status"] for e in (c or {"codes": []})["codes"] if e.get("status_only")}
want = {400, 401, 402, 403, 404, 409, 429, 500, 502, 503, 504}
t.ok(r.returncode == 0 and want <= got and not any(e["code"].isdigit() for e in c["codes"]),
     "stripe.md: status-only entries for %s, no code named after a status" % sorted(want), (sorted(got), r.stderr[-300:]))
t.ok("confidence: low" in r.stderr, "stripe.md: the confidence summary says low (no codes)", r.stderr[-200:])
# OpenAI's table: statuses led rows; the codes its overview cells name ("Code: `slow_down`")
r, c, _ = imp("fixtures/docs/real/openai.md")
k = {e["code"]: e for e in (c or {"codes": []})["codes"]}
got = {e["status"] for e in k.values() if e.get("status_only")}
t.ok(r.returncode == 0 and {400, 401, 403, 500} <= got and not any(x.isdigit() for x in k),
     "openai.md: status-only entries for 400, 401, 403 and 500, no code named after a status", (sorted(got), r.stderr[-300:]))
t.ok(k.get("slow_down", {}).get("status") == 429 and k.get("server_is_overloaded", {}).get("status") == 503
     and k.get("slow_down", {}).get("message") == "Slow down",
     "openai.md: the codes a row's cell names ('Code: `slow_down`') at the row's status, its title the message",
     {x: (k[x].get("status"), k[x].get("message")) for x in k if not k[x].get("status_only")})

# a column of statuses headed "Code" is read as statuses, not as codes
statuses = os.path.join(tmp, "statuses.md")
open(statuses, "w").write("| Code | Description |\n|---|---|\n| 200 | OK |\n| 400 | Bad request |\n| 404 | Not found |\n| 429 | Too many |\n")
r, c, out = imp(statuses)
got = sorted(e["status"] for e in (c or {"codes": []})["codes"] if e.get("status_only"))
t.ok(r.returncode == 0 and got == [400, 404, 429] and all(e.get("status_only") for e in c["codes"]),
     "a status table headed 'Code': status-only entries 400, 404, 429 (200 is no error)", (got, r.stderr[-300:]))

# a page read wrongly is refused: codes named like statuses beside a status column
wrong = os.path.join(tmp, "wrong.md")
open(wrong, "w").write("| Code | Status | Description |\n|---|---|---|\n| 400 | 400 | Bad request |\n"
                       "| 404 | 404 | Not found |\n| 429 | 429 | Too many |\n")
r, c, out = imp(wrong)
t.ok(r.returncode == 1 and "named like HTTP statuses" in r.stderr and "not credible" in r.stderr and not os.path.exists(out),
     "a status table read as codes: exit 1, 'not credible', nothing written", r.stderr[-300:])

# --- the real descriptions, where this machine has them ------------------------------------
shared = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "openapi")
for spec, min_ops in [("openai.yaml", 150), ("digitalocean/specification/DigitalOcean-public.v2.yaml", 500)]:
    path = os.path.join(shared, spec)
    if not os.path.exists(path):
        t.skip(spec, "not on this machine")
        continue
    r, c, _ = imp(path)
    t.ok(r.returncode == 0 and c and len(c.get("operations", [])) >= min_ops,
         "%s: imported, with at least %d operations that document errors" % (spec, min_ops), r.stderr[-300:])

t.done()
