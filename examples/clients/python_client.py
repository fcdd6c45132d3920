#!/usr/bin/env python3
"""A client that handles a contract's errors correctly, and, with --mode, the
ways real clients get them wrong (one flaw each), for errata client.

  correct              retries exactly the codes the contract calls retryable,
                       waits Retry-After (seconds or HTTP-date) or backs off
                       exponentially from 0.2 s, keeps one Idempotency-Key per
                       operation, gives up after 5 attempts, prints the code
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
        code = code_of(doc) if doc is not None else None
        last = "%d %s" % (err.code, code or "(no documented code: %r)" % text[:60])
        entry = codes.get(code) if code else None
        if mode == "retries-everything" or mode == "retries-forever":
            retryable = True
        elif doc is None:
            retryable = True   # a proxy's page: transient, and the key makes a retry safe
        else:
            retryable = bool(entry and entry["retryable"])
        wait = retry_after(err.headers.get("Retry-After"))
    except (urllib.error.URLError, http.client.HTTPException, ConnectionError, OSError) as err:
        last = "transport error: %s" % err
        retryable = True
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
