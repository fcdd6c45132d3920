#!/usr/bin/env python3
"""Each bundled contract against its source document, parsed here on its own:
the same codes in the same order, and every documented value unchanged
(status, retry safety, message, domain, name, resolution)."""
import json, re, sys

n = 0
failed = 0


def ok(cond, desc, diag=None):
    global n, failed
    n += 1
    print(("ok" if cond else "not ok") + " %d - %s" % (n, desc.replace("#", "\\#")))
    if not cond:
        failed += 1
        if diag:
            print("# " + str(diag)[:300])


def load(cid):
    with open("contracts/%s.json" % cid) as f:
        return json.load(f)


def doc(c):
    with open(c["source"]) as f:
        return f.read()


def pipe_rows(text, first):
    rows = []
    for line in text.splitlines():
        cells = [x.strip().strip("`") for x in line.strip().strip("|").split("|")]
        if len(cells) >= 5 and re.fullmatch(first, cells[0]):
            rows.append(cells)
    return rows


def documented(entry, field):
    return field not in entry.get("inferred", {})


print("TAP version 13")
for cid in ("breezeblue", "breezeblue-v1"):
    c = load(cid)
    rows = pipe_rows(doc(c), r"[A-Z_]+")
    codes = [e for e in c["codes"] if not e.get("status_only")]
    ok([r[0] for r in rows] == [e["code"] for e in codes],
       "%s: the document's %d codes, in its order" % (cid, len(rows)))
    bad = [r[0] for r, e in zip(rows, codes)
           if (int(r[1]), r[2], r[3] == "Yes", r[4]) != (e["status"], e["domain"], e["retryable"], e["message"])
           or e.get("inferred")]
    ok(not bad, "%s: status, domain, retry and message as documented, none marked inferred" % cid, bad)

c = load("studio")
rows = pipe_rows(doc(c), r"STUDIO_\d{4}")
ok(len(rows) == 36 and [r[0] for r in rows] == [e["code"] for e in c["codes"]],
   "studio: the document's 36 codes, in its order")
bad = [r[0] for r, e in zip(rows, c["codes"])
       if (int(r[1]), r[2], r[3], r[4]) != (e["status"], e["name"], e["message"], e["resolution"])
       or not documented(e, "status")]
ok(not bad, "studio: HTTP, name, description and resolution as documented", bad)
m = re.search(r'"code": "(STUDIO_\d+)",\s*"message": "([^"]+)",\s*"http": (\d+)', doc(c))
e = next(e for e in c["codes"] if e["code"] == m.group(1))
ok((e["message"], e["status"]) == (m.group(2), int(m.group(3))),
   "studio: the envelope example's code, message and http agree with the contract")

c = load("segmenter")
lines, take = [], False
for line in doc(c).splitlines():
    if line == "CodeDescription":
        take = True
    elif not line.strip():
        take = False
    elif take:
        lines.append(line)
codes = [e for e in c["codes"] if not e.get("status_only")]
ok(len(lines) == 21 and len(codes) == 21, "segmenter: 21 code rows in the document and the contract")
bad = [l for l, e in zip(lines, codes) if l != e["code"] + e.get("description", e["message"])]
ok(not bad, "segmenter: each row is the contract's code and its description, in order", bad)
statuses = {int(s) for s in re.findall(r"^(\d{3})[A-Z]", doc(c), re.M)}
err_statuses = {s for s in statuses if s >= 400}
have = {e["status"] for e in c["codes"]}
ok(err_statuses == have, "segmenter: the contract uses exactly the error statuses of the status table",
   sorted(err_statuses ^ have))
so = {e["status"] for e in c["codes"] if e.get("status_only")}
ok(so == {429, 500, 503} and all(e.get("inferred", {}).get("code") for e in c["codes"] if e.get("status_only")),
   "segmenter: 429, 500 and 503 are status-only entries, their names marked inferred")
ip = next(e for e in codes if e["code"] == "INVALID_PARAMS")
m = re.search(r'"code": "INVALID_PARAMS",\s*"message": "([^"]+)",\s*"status": (\d+)', doc(c))
ok((ip["message"], ip["status"]) == (m.group(1), int(m.group(2))) and documented(ip, "status")
   and [f["field"] for f in ip["details"]["fields"]] == ["segmentDuration", "outputFormat"],
   "segmenter: INVALID_PARAMS as its example shows (message, 422, details.fields)")

c = load("genapi")
text = doc(c)
named = set(re.findall(r'"code": "([A-Za-z_]+)"', text))
for line in text.splitlines():
    if "codes like" in line or "fail with" in line:
        named |= set(re.findall(r"\b[A-Z][A-Z_]{3,}\b", line))
codes = [e for e in c["codes"] if not e.get("status_only")]
ok(named == {e["code"] for e in codes} and len(named) == 7,
   "genapi: exactly the %d codes the page names" % len(named), sorted(named ^ {e["code"] for e in codes}))
for code, msg in re.findall(r'"code": "([A-Za-z_]+)",\s*"message": "([^"]+)"', text):
    e = next(e for e in codes if e["code"] == code)
    ok(e["message"] == msg and documented(e, "message"), "genapi: %s carries the example's message" % code)
bullets = {int(s) for s in re.findall(r"^\s*\S?\s*(\d{3}):", text, re.M)}
so = {e["status"] for e in c["codes"] if e.get("status_only")}
# 400, 402 and 403 are described by the page in words that name a code's case
# (unsafe webhook URL, allowance exhausted, missing scope); the others are not.
ok(so == {401, 404, 429, 500} and so <= bullets
   and bullets <= {e["status"] for e in c["codes"]},
   "genapi: 401, 404, 429 and 500 are status-only entries; every listed status is used", sorted(so))
cg = next(e for e in codes if e["code"] == "CONCURRENT_GENERATION_LIMIT")
ok(cg["extra"] == {"active_requests": 1, "concurrency_limit": 1} and not documented(cg, "status"),
   "genapi: CONCURRENT_GENERATION_LIMIT has its example's extras; its status is marked inferred")

print("1..%d" % n)
sys.exit(1 if failed else 0)
