#!/usr/bin/env python3
"""errata contract import on the layouts real error documents use, each read
from its structure, and each with a near miss that must not be read:

- a column of statuses under a wrong header ("Parameter | Required"), beside
  a Success column; a reStructuredText grid table, rows over several lines;
- a definition list of codes in a section on errors (a list of headers is not);
- bullets led by a code under a heading on codes, retry safety from it
  ("Retryable codes"); a success name (`OK`) and a list of fields are not;
- paragraphs led by a code alone ("**AccessDeniedException**", "OK to retry?"),
  a status title ("Internal Server Error (HTTP 500)"), a number in prose that
  is no status ("cannot exceed 500");
- codes written as words, sent as written ("no such element"); an integer code
  in the example (body_code); a table of type values beside an example code;
- code tables of another section (a gateway's opcodes) left out;
- OpenAPI: an enum of status names (success names are no errors, the others
  get the status they name, marked inferred); an enum's description stating
  each value's status; Plaid's flat error_code member;
- a refusal quotes a line of the page."""
import json, os, subprocess, sys, tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from errata_test import Tap, ERRATA  # noqa: E402

t = Tap()
tmp = tempfile.mkdtemp(prefix="errata-layouts-")


def imp(name, text, *extra):
    path = os.path.join(tmp, name)
    open(path, "w").write(text)
    out = path + ".json"
    if os.path.exists(out):
        os.unlink(out)
    r = subprocess.run([ERRATA, "contract", "import", path, "-o", out, *extra], capture_output=True, text=True, timeout=60)
    c = json.load(open(out)) if r.returncode == 0 and os.path.exists(out) else None
    return r, c


def codes(c):
    return {e["code"]: e for e in (c or {"codes": []})["codes"]}


def statuses(c):
    return sorted(e["status"] for e in (c or {"codes": []})["codes"] if e.get("status_only"))


# statuses by content
r, c = imp("typesense.md", "# API errors\n\n| Parameter | Required |\n|---|---|\n|400\t|Bad Request - malformed.|\n"
           "|404\t|Not Found.|\n|503\t|Service Unavailable. Please try again later.|\n")
t.ok(r.returncode == 0 and statuses(c) == [400, 404, 503], "a status column under a wrong header: status-only 400, 404, 503",
     (statuses(c), r.stderr[-300:]))
r, c = imp("endpoints.md", "# Endpoints\n\n| ID | Method | Success | Failure |\n|---|---|---|---|\n| end-1 | `GET` | `200` | `404`/`401` |\n"
           "| end-2 | `PUT` | `201` | `404`/`413` |\n")
t.ok(r.returncode == 0 and statuses(c) == [401, 404, 413] and "end-1" not in codes(c),
     "a Failure column beside a Success column: its statuses, lists read; the ID column is no code", (sorted(codes(c)), r.stderr[-300:]))

r, c = imp("mailgun.md", "# Errors\n\n| Code | Description |\n|---|---|\n| 200 | Everything worked |\n| 400 | Bad Request |\n"
           "| 429 | Too many requests |\n| 500, 502, 503, 504 | Server Errors |\n")
t.ok(r.returncode == 0 and statuses(c) == [400, 429, 500, 502, 503, 504], "a cell listing '500, 502, 503, 504': each a status",
     (statuses(c), r.stderr[-300:]))

# RST grid table
grid = """Errors
======

+---------------+-------------+----------------------------------+
| Code          | HTTP status | Description                      |
+===============+=============+==================================+
| .. _pgrst000: | 503         | Could not connect with the       |
|               |             | database.                        |
| PGRST000      |             |                                  |
+---------------+-------------+----------------------------------+
| .. _pgrst100: | 400         | Parsing error in the query.      |
| PGRST100      |             |                                  |
+---------------+-------------+----------------------------------+
| 42501         | | if authenticated 403,  | Insufficient privileges. |
+---------------+-------------+----------------------------------+
| other         | 400         |                                  |
+---------------+-------------+----------------------------------+
"""
r, c = imp("grid.rst", grid)
got = {k: v["status"] for k, v in codes(c).items()}
t.ok(r.returncode == 0 and got.get("PGRST000") == 503 and got.get("PGRST100") == 400 and "other" not in got,
     "a grid table: rows over several lines joined, the RST anchor left out, a catch-all row is no code", (got, r.stderr[-300:]))
t.ok(codes(c).get("PGRST000", {}).get("message", "").startswith("Could not connect with the database"),
     "a grid table: a cell's lines joined into its text", codes(c).get("PGRST000"))

# AsciiDoc: '=' headings, |=== tables with a cell a line
adoc = ("= API errors\n\n== Status codes\n\n|===\n|Code |Description\n\n|404\n|Not found.\n\n|503\n|Unavailable. Please try again later.\n|===\n\n"
        "== Error codes\n\n|===\n|Code |Status |Message\n\n|invalid_filter\n|400\n|The filter\nis invalid.\n\n"
        "|feature_gone\n|410\n|The feature is gone.\n|===\n")
r, c = imp("errors.adoc", adoc)
k = codes(c)
t.ok(r.returncode == 0 and k.get("invalid_filter", {}).get("status") == 400 and k.get("feature_gone", {}).get("status") == 410
     and k.get("invalid_filter", {}).get("message") == "The filter is invalid." and 503 in statuses(c),
     "AsciiDoc |=== tables, one cell a line and a cell over two lines: codes, statuses and messages", ({x: k[x].get("status") for x in k}, r.stderr[-300:]))

# reStructuredText simple tables
rst = ("Errors\n======\n\n=====  ============================\nCode   Description\n=====  ============================\n"
       "404    Not found.\n503    Unavailable. Please try again later.\n=====  ============================\n\n"
       "================  ======  =======================\nCode              Status  Message\n"
       "================  ======  =======================\ninvalid_filter    400     The filter is invalid.\n"
       "feature_gone      410     The feature is gone.\n================  ======  =======================\n")
r, c = imp("simple.rst", rst)
k = codes(c)
t.ok(r.returncode == 0 and k.get("invalid_filter", {}).get("status") == 400 and k.get("feature_gone", {}).get("message") == "The feature is gone."
     and 503 in statuses(c), "reStructuredText simple tables: codes, statuses and messages; a status table",
     ({x: k[x].get("status") for x in k}, r.stderr[-300:]))

# definition lists
deflist = ("## Common error codes\n\n`M_FORBIDDEN`\n: Forbidden access.\n\n`M_UNRECOGNIZED`\n: Returned with a 404 HTTP status code.\n\n"
           "`M_LIMIT_EXCEEDED`\n: Too many requests. Wait a while\nthen try again.\n")
r, c = imp("deflist.md", deflist)
k = codes(c)
t.ok(r.returncode == 0 and set(k) == {"M_FORBIDDEN", "M_UNRECOGNIZED", "M_LIMIT_EXCEEDED"},
     "a definition list of codes in a section on errors: its terms are codes", (sorted(k), r.stderr[-300:]))
t.ok(k.get("M_UNRECOGNIZED", {}).get("status") == 404 and "status" not in (k.get("M_UNRECOGNIZED", {}).get("inferred") or {}),
     "a definition states its code's status", k.get("M_UNRECOGNIZED"))
t.ok(k.get("M_LIMIT_EXCEEDED", {}).get("retryable") is True and "retryable" not in (k.get("M_LIMIT_EXCEEDED", {}).get("inferred") or {}),
     "'Wait a while then try again' over two lines: retryable, as stated", k.get("M_LIMIT_EXCEEDED"))
t.ok(k.get("M_FORBIDDEN", {}).get("status") == 403 and "status" in (k.get("M_FORBIDDEN", {}).get("inferred") or {}),
     "a code with no stated status: a status guessed and marked inferred", k.get("M_FORBIDDEN"))
r, c = imp("headers.md", "## Rate limit headers\n\n`X-RateLimit-Limit`\n: Requests permitted.\n\n`X-RateLimit-Remaining`\n: Requests left.\n")
t.ok(r.returncode == 2 and not c and "its first heading is '## Rate limit headers'" in r.stderr,
     "a definition list of headers is no list of codes: refused, quoting the page's heading", r.stderr[-400:])

# paragraphs led by a code
terms = ("## Error messages and codes\n\n### HTTP status code 400\n\n**AccessDeniedException**  \nMessage: *Access denied.*  \n"
         "OK to retry? No\n\n**LimitExceededException**  \nMessage: *Too many operations.*  \nThe number cannot exceed 500.  \n"
         "OK to retry? Yes\n\n### HTTP status code 5xx\n\n**Internal Server Error (HTTP 500)**  \nOK to retry? Yes\n\n"
         "```\nHTTP/1.1 400 Bad Request\nContent-Type: application/x-amz-json-1.0\n\n"
         "{\"__type\":\"com.amazonaws.dynamodb.v20120810#AccessDeniedException\", \"message\":\"Access denied\"}\n```\n")
r, c = imp("terms.md", terms)
k = codes(c)
t.ok(r.returncode == 0 and k.get("AccessDeniedException", {}).get("status") == 400 and k["AccessDeniedException"].get("retryable") is False,
     "a paragraph led by a code: its section's status (400) and 'OK to retry? No'", (k.get("AccessDeniedException"), r.stderr[-300:]))
t.ok(k.get("LimitExceededException", {}).get("status") == 400 and k["LimitExceededException"].get("retryable") is True,
     "'cannot exceed 500' is no status: the section's 400 stands", k.get("LimitExceededException"))
t.ok(500 in statuses(c), "a paragraph led by 'Internal Server Error (HTTP 500)': a status-only 500", statuses(c))
env = (c or {}).get("envelope", {}).get("error", {})
t.ok(env.get("__type") == "com.amazonaws.dynamodb.v20120810#{{code}}" and (c or {}).get("content_type") == "application/x-amz-json-1.0",
     "the code after '#' in __type, and the media type the error response states", (env, (c or {}).get("content_type")))

# headings: anchored snake_case codes in a series, numeric codes with their names
anchored = ("# Error codes\n\n### account_closed {#account_closed}\n\nThe bank account has been closed.\n\n"
            "### amount_too_large {#amount_too_large}\n\nThe amount is too large.\n\n### api_key_expired {#api_key_expired}\n\n"
            "The API key has expired.\n\n### Handling errors\n\nRead the code.\n")
r, c = imp("anchored.md", anchored)
k = codes(c)
t.ok(r.returncode == 0 and set(k) == {"account_closed", "amount_too_large", "api_key_expired"}
     and all("status" in (e.get("inferred") or {}) for e in k.values()),
     "a series of anchored snake_case headings: each a code, no status stated so each inferred and marked; a title is not",
     (sorted(k), r.stderr[-300:]))
numeric = ("# Error Codes\n\n### -1000 UNKNOWN\n * An unknown error occurred.\n\n### -1001 DISCONNECTED\n * Internal error. Please try again.\n\n"
           "### -1003 TOO_MANY_REQUESTS\n * Too many requests queued.\n\n### 2019 Changes\n\nText.\n")
r, c = imp("numeric.md", numeric)
k = codes(c)
t.ok(r.returncode == 0 and set(k) == {"-1000", "-1001", "-1003"} and k["-1000"].get("name") == "UNKNOWN",
     "headings led by a numeric code: the number is the code, the word its name ('2019 Changes' is no code)", (sorted(k), r.stderr[-300:]))

# bullets led by a code, their retry safety from the section's heading
bullets = ("## Retryable codes\n\n- `UNAVAILABLE`: generally transient.\n\n## Non-retryable codes\n\n- `OK`: The request succeeded.\n"
           "- `INVALID_ARGUMENT`: Retrying a request with an invalid argument will never succeed.\n"
           "- `NOT_FOUND`: A client should not be retried until a resource is created.\n\n"
           "## Authorisation code flow\n\n- `state`: an opaque identifier.\n- `code_verifier`: a random value.\n")
r, c = imp("bullets.md", bullets)
k = codes(c)
t.ok(r.returncode == 0 and set(k) == {"UNAVAILABLE", "INVALID_ARGUMENT", "NOT_FOUND"},
     "bullets led by codes under headings on codes; 'OK' is a success, a list of fields is no list of codes", (sorted(k), r.stderr[-300:]))
t.ok(k.get("UNAVAILABLE", {}).get("retryable") is True and k.get("INVALID_ARGUMENT", {}).get("retryable") is False
     and k.get("NOT_FOUND", {}).get("retryable") is False, "retry safety from the section's heading ('Retryable', 'Non-retryable')",
     {x: k.get(x, {}).get("retryable") for x in k})

# a code the table does not list, in the example's error member (Slack's)
slack = ("# Errors\n\n| Error | Description |\n|---|---|\n| `channel_not_found` | Value passed for `channel` was invalid. |\n"
         "| `not_in_channel` | Cannot post to a channel they are not in. |\n| `is_archived` | Channel has been archived. |\n\n"
         "```json\n{\"ok\": false, \"error\": \"too_many_attachments\"}\n```\n")
r, c = imp("slack.md", slack)
env = (c or {}).get("envelope", {}).get("error", {})
t.ok(r.returncode == 0 and env.get("error") == "{{code}}" and env.get("ok") is False and "too_many_attachments" not in codes(c),
     "{ok: false, error: too_many_attachments} beside a table of codes: 'error' holds the code; the example's own code is not added",
     (env, sorted(codes(c)), r.stderr[-300:]))

# Google's status envelope: the integer code is the HTTP status, the status member the code
google = ("# Errors\n\n```json\n{\"error\": {\"code\": 429, \"message\": \"No resources.\", \"status\": \"RESOURCE_EXHAUSTED\"}}\n```\n\n"
          "If the user lacks permission, the service must error with\n`PERMISSION_DENIED` (HTTP 403). If it does not exist, with `NOT_FOUND` (HTTP\n404).\n")
r, c = imp("google.md", google)
k = codes(c)
env = (c or {}).get("envelope", {}).get("error", {}).get("error", {})
t.ok(r.returncode == 0 and env.get("status") == "{{code}}" and env.get("code") == "{{status}}",
     "{code: 429, status: RESOURCE_EXHAUSTED}: the status member holds the code, the integer the status", (env, r.stderr[-300:]))
t.ok(k.get("RESOURCE_EXHAUSTED", {}).get("status") == 429 and k.get("PERMISSION_DENIED", {}).get("status") == 403
     and k.get("NOT_FOUND", {}).get("status") == 404, "codes with '(HTTP 403)' in prose, a line break inside included",
     {x: k[x].get("status") for x in k})

# Kubernetes' Status: the reason is the code, the integer code the status; a Reason column
r, c = imp("k8s.md", "# API errors\n\n```json\n{\"kind\": \"Status\", \"status\": \"Failure\", \"message\": \"not found\", "
           "\"reason\": \"NotFound\", \"code\": 404}\n```\n\n| Reason | Code | Description |\n|---|---|---|\n"
           "| NotFound | 404 | The resource does not exist. |\n| AlreadyExists | 409 | The resource already exists. |\n"
           "| TooManyRequests | 429 | Slow down. |\n")
env = (c or {}).get("envelope", {}).get("error", {})
k = codes(c)
t.ok(r.returncode == 0 and env.get("reason") == "{{code}}" and env.get("code") == "{{status}}" and env.get("status") == "Failure"
     and k.get("AlreadyExists", {}).get("status") == 409, "{status: Failure, reason: NotFound, code: 404}: reason holds the code; "
     "a Reason column of codes beside a Code column of statuses", (env, {x: k[x].get("status") for x in k}, r.stderr[-300:]))

# codes as words; integer codes; a table of types; another section's codes
words = ("# Errors\n\n```json\n{\"value\": {\"error\": \"no such element\", \"message\": \"x\"}}\n```\n\n"
         "| Error Code | HTTP Status | JSON Error Code | Description |\n|---|---|---|---|\n"
         "| no such element | 404 | no such element | An element could not be located. |\n"
         "| script timeout error | 500 | script timeout | A script did not complete. |\n"
         "| invalid argument | 400 | invalid argument | The arguments are invalid. |\n")
r, c = imp("words.md", words)
k = codes(c)
t.ok(r.returncode == 0 and k.get("script_timeout_error", {}).get("body_code") == "script timeout"
     and k.get("no_such_element", {}).get("status") == 404, "codes written as words: named with '_', the body's words kept as body_code",
     (sorted(k), r.stderr[-300:]))
t.ok(((c or {}).get("envelope", {}).get("error", {}).get("value") or {}).get("error") == "{{code}}",
     "the example's code member found by its documented value ('error')", (c or {}).get("envelope"))
r, c = imp("rows.md", "# Errors\n\n| Code | Status | Message |\n|---|---|---|\n| OK_ONE | 400 | Fine. |\n| broken row | 400 | x |\n")
t.ok(r.returncode == 0 and "broken_row" not in codes(c) and "'broken row' is not a code" in r.stderr,
     "a row of words in a table of UPPER_SNAKE codes is not read as a code", (sorted(codes(c)), r.stderr[-300:]))
opcodes = ("## Gateway\n\n###### Gateway Opcodes\n\n| Code | Name | Description |\n|---|---|---|\n| 1 | Heartbeat | Keep alive. |\n"
           "| 2 | Identify | Start a session. |\n\n## JSON\n\n###### JSON Error Codes\n\n| Code | Meaning |\n|---|---|\n"
           "| 10001 | Unknown account |\n| 10004 | The guild was not found |\n| 30040 | Too many threads. Try again later |\n| 40001 | Provide a valid token and try again |\n\n"
           "```json\n{\"message\": \"Unknown account\", \"code\": 10001}\n```\n")
r, c = imp("opcodes.md", opcodes)
k = codes(c)
t.ok(r.returncode == 0 and set(k) == {"10001", "10004", "30040", "40001"}, "another section's opcodes are left out; the example's table is read",
     (sorted(k), r.stderr[-300:]))
t.ok(k.get("10001", {}).get("body_code") == 10001, "an integer code in the example: body_code is the integer", k.get("10001"))
t.ok(k.get("30040", {}).get("retryable") is True and k.get("40001", {}).get("retryable") is False,
     "'Try again later' retries; 'Provide a valid token and try again' does not", (k.get("30040"), k.get("40001")))
types = ("# Errors\n\n| Type | Description |\n|---|---|\n| invalid_request | Your input. |\n| internal | Ours. |\n| auth | Keys. |\n\n"
         "```json\n{\"message\": \"Index not found.\", \"code\": \"index_not_found\", \"type\": \"invalid_request\"}\n```\n")
r, c = imp("types.md", types)
t.ok(r.returncode == 0 and set(codes(c)) == {"index_not_found"}, "a table of the example's type values is no table of codes",
     (sorted(codes(c)), r.stderr[-300:]))

# OpenAPI: names of statuses, the code member's description, a flat body
oas = """openapi: 3.0.0
info: {title: Names, version: '1'}
paths:
  /files/{id}:
    get:
      responses:
        '200': {description: ok}
        '400':
          description: error
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Error'}
        '404':
          description: error
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Error'}
components:
  schemas:
    Error:
      type: object
      properties:
        error_type: {type: string}
        error_code:
          type: string
          enum: [created, no_content, redirect, not_found, too_many_requests, item_locked, bad_digest]
          description: |
            * `bad_digest` - 422: the digest does not match.
        error_message: {type: string}
"""
r, c = imp("names.yaml", oas)
k = codes(c)
t.ok(r.returncode == 0 and "created" not in k and "no_content" not in k and "redirect" not in k and "names a success" in r.stderr,
     "an enum's success names (created, no_content) are no errors, and the import says so", (sorted(k), r.stderr[-400:]))
t.ok(k.get("too_many_requests", {}).get("status") == 429 and "name of 429" in (k["too_many_requests"].get("inferred") or {}).get("status", ""),
     "too_many_requests: 429, inferred from its name, and the reason says so", k.get("too_many_requests"))
t.ok(k.get("bad_digest", {}).get("status") == 422 and "status" not in (k.get("bad_digest", {}).get("inferred") or {}),
     "the code member's description states bad_digest's 422", k.get("bad_digest"))
t.ok((c or {}).get("envelope", {}).get("error", {}).get("error_code") == "{{code}}"
     and (c or {}).get("envelope", {}).get("error", {}).get("error_message") == "{{message}}",
     "a flat error body: error_code holds the code, error_message the message", (c or {}).get("envelope"))

# a refusal quotes the page
r, c = imp("prose.md", "Just prose about our API.\n\nNothing more.\n")
t.ok(r.returncode == 2 and "it begins 'Just prose about our API.' (line 1)" in r.stderr,
     "a page with nothing to read is refused, quoting its first line", r.stderr[-300:])
t.done()
