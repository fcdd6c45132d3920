#!/usr/bin/env python3
"""A client that handles a contract's errors correctly, and, with --mode, the
ways real clients get them wrong (one flaw each), for errata client.

  correct              retries exactly the codes the contract calls retryable
                       (and what a retry hint header says), waits as the
                       contract's wait rules say (retry-after-ms, Retry-After
                       in seconds or as an HTTP-date, a rate-limit reset) or
                       backs off exponentially from 0.2 s, keeps one
                       Idempotency-Key per operation, gives up after 5
                       attempts, prints the code and type
  ignores-retry-after  retries after 10 ms whatever Retry-After says
  new-key-each-retry   sends a fresh Idempotency-Key on every attempt
  retries-everything   retries every error status, documented or not
  never-retries        gives up at the first error
  retries-forever      retries every 50 ms without end
  crashes-on-html      aborts (SIGABRT) on a body that is not JSON

Reads ERRATA_BASE_URL, ERRATA_METHOD, ERRATA_PATH, ERRATA_BODY and
ERRATA_CONTRACT_FILE, as errata client sets them."""
import email.utils, http.client, json, os, sys, time, urllib.error, urllib.request, uuid

mode = sys.argv[sys.argv.index("--mode") + 1] if "--mode" in sys.argv else "correct"
contract = json.load(open(os.environ["ERRATA_CONTRACT_FILE"]))
codes = {}
for e in contract["codes"]:
    codes[e["code"]] = e
    if "name" in e:
        codes[e["name"]] = e
key_header = (contract["policy"]["idempotency"] or {}).get("header") or "Idempotency-Key"
url = os.environ["ERRATA_BASE_URL"] + os.environ.get("ERRATA_PATH", "/")
method = os.environ.get("ERRATA_METHOD", "GET")
body = os.environ.get("ERRATA_BODY", "").encode() or None


def code_of(doc, tmpl=contract["envelope"]["error"]):
    """The code, where the contract's envelope template puts {{code}}: a whole
    string, or inside one (an RFC 9457 type URI)."""
    if isinstance(tmpl, str) and "{{code}}" in tmpl and isinstance(doc, str):
        pre, post = tmpl.split("{{code}}")
        if doc.startswith(pre) and doc.endswith(post) and len(doc) > len(pre) + len(post):
            return doc[len(pre):len(doc) - len(post)]
    if isinstance(tmpl, dict) and isinstance(doc, dict):
        for k, v in tmpl.items():
            c = code_of(doc.get(k), v)
            if c:
                return c
    return None


def entry_of(doc, status):
    """The documented entry a body names, by the contract's format: its code
    (a string, an integer or null) and type where the envelope has them, else
    its status and message."""
    tmpl = contract["envelope"]["error"]
    got = {}

    def walk(t, d):
        if isinstance(t, dict) and isinstance(d, dict):
            for k, v in t.items():
                if isinstance(v, str) and v in ("{{code}}", "{{type}}", "{{message}}") and k in d:
                    got.setdefault(v, d[k])
                else:
                    walk(v, d.get(k))
    walk(tmpl, doc)
    code = code_of(doc)
    for e in contract["codes"]:
        if e["status"] != status and "{{code}}" in got:
            continue
        wire = e.get("body_code", e["code"])
        if "{{code}}" in got and got["{{code}}"] != wire and code not in (e["code"], e.get("name")):
            continue
        if "{{type}}" in got and got["{{type}}"] != e.get("type"):
            continue
        if "{{code}}" not in got and (e["status"] != status or got.get("{{message}}") != e["message"]):
            continue
        return e
    return None


def keyless_ok(status):
    """May this POST be retried without a key (the API has none) after
    `status` (0: a connection lost once the request was sent)?"""
    if (contract["policy"]["idempotency"] or {}).get("header") or method != "POST":
        return True
    retry = contract["policy"]["retry"]
    rules = retry.get("keyless_post")
    if rules is None:
        return not retry.get("post_requires_idempotency_key", False)
    return rules["after_429"] if status == 429 else rules["after_5xx"] if status >= 500 else \
        rules["reset_after_send"] if status == 0 else not retry.get("post_requires_idempotency_key", False)


def wait_of(headers, rate_limited):
    """The wait the contract's rules give: its own rules, else retry-after-ms
    then Retry-After. None when no rule applies."""
    h = contract["headers"]
    ms = (h.get("retry_after") or {}).get("ms_header")
    rules = contract["policy"]["retry"].get("wait") or (
        ([{"header": ms, "form": "ms"}] if ms else []) + [{"header": "Retry-After", "form": "retry-after"}])
    for r in rules:
        if "header" not in r:   # the fallback is for rate limits only
            return float(r.get("min_seconds", 0)) if rate_limited else None
        when = r.get("when")
        if when and headers.get(when["header"]) != when["equals"]:
            continue
        v = headers.get(r["header"])
        if v is None:
            continue
        form = r.get("form", "retry-after")
        try:
            if form == "ms":
                return float(v) / 1000
            if form == "seconds":
                return float(v)
            if form == "epoch":
                return max(0.0, int(v) - time.time())
        except ValueError:
            continue
        w = retry_after(v)
        if w is not None:
            return w
    return None


def retry_after(value):
    if value is None:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


key = str(uuid.uuid4())
delay = 0.2
attempt = 0
last = "no attempt"
while True:
    attempt += 1
    headers = {"Content-Type": "application/json"}
    if mode == "new-key-each-retry":
        key = str(uuid.uuid4())
    headers[key_header] = key
    wait = None
    try:
        req = urllib.request.Request(url, data=body, method=method, headers=headers)
        with urllib.request.urlopen(req, timeout=10) as r:
            print(r.read().decode(errors="replace"))
            sys.exit(0)
    except urllib.error.HTTPError as err:
        text = err.read()
        try:
            doc = json.loads(text)
        except ValueError:
            if mode == "crashes-on-html":
                os.abort()
            doc = None
        entry = entry_of(doc, err.code) if doc is not None else None
        code = code_of(doc) if doc is not None else None
        last = "%d %s" % (err.code, "%s (type %s)" % (entry.get("body_code", entry["code"]), entry.get("type"))
                          if entry else code or "(no documented code: %r)" % text[:60])
        if entry and "{{code}}" not in json.dumps(contract["envelope"]["error"]):
            last += ": " + entry["message"]
        if mode == "retries-everything" or mode == "retries-forever":
            retryable = True
        elif doc is None:
            retryable = True   # a proxy's page: transient, and the key makes a retry safe
        else:
            retryable = bool(entry and entry["retryable"])
        hint = (contract["headers"].get("retry_hint") or {}).get("header")
        if hint and err.headers.get(hint) in ("true", "false") and mode == "correct":
            retryable = err.headers.get(hint) == "true"
        wait = wait_of(err.headers, bool(entry and entry["role"] in ("rate_limited", "concurrency_limited")))
        if mode == "correct" and not keyless_ok(err.code):
            retryable = False
    except (urllib.error.URLError, http.client.HTTPException, ConnectionError, OSError) as err:
        last = "transport error: %s" % err
        retryable = mode != "correct" or keyless_ok(0)
    if mode == "never-retries" or not retryable or (attempt >= 5 and mode != "retries-forever"):
        print("error: %s after %d attempt(s)" % (last, attempt), file=sys.stderr)
        sys.exit(1)
    if mode == "ignores-retry-after":
        time.sleep(0.01)
    elif mode == "retries-forever":
        time.sleep(0.05)
    else:
        time.sleep(wait if wait is not None else delay)
        delay = min(delay * 2, 5.0)
