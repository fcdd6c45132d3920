#!/usr/bin/env python3
"""The house's rules, read off the product's C (every folder but tests/,
fuzz/, bench/ and examples/): no function longer than 100 lines, no file
longer than 800; model/ includes none of libyaml, libxml2, md4c,
libmicrohttpd or libcurl; the journal is appended to in one place; the
serve files never test for errata proxy's upstream."""
import glob, os, re, sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from errata_test import Tap  # noqa: E402

t = Tap()
files = sorted(f for f in glob.glob("*/*.[ch]") if f.split("/")[0] in ("codec", "model", "mock", "harness", "import", "cli"))
long_files, long_funcs = [], []
for f in files:
    lines = open(f, errors="replace").read().split("\n")
    if len(lines) - 1 > 800:
        long_files.append((f, len(lines) - 1))
    start = name = None
    for i, line in enumerate(lines):
        if line == "{":
            j = i - 1
            while j > 0 and not re.match(r"[A-Za-z_]", lines[j]):
                j -= 1
            m = re.search(r"(\w+)\s*\(", lines[j])
            start, name = j, m.group(1) if m else "?"  # counted from its signature
        elif line.startswith("}") and start is not None:
            if i - start + 1 > 100:
                long_funcs.append((f, name, i - start + 1))
            start = None
t.ok(len(files) > 80, "the product's C files were found (%d)" % len(files))
t.ok(not long_files, "no file is longer than 800 lines", long_files)
t.ok(not long_funcs, "no function is longer than 100 lines", long_funcs)
bad = [f for f in glob.glob("model/*.[ch]")
       if re.search(r"#include\s*<(yaml\.h|libxml/|md4c|microhttpd|curl/)", open(f).read())]
t.ok(not bad, "model/ includes none of libyaml, libxml2, md4c, libmicrohttpd, libcurl", bad)
bad = [f for f in glob.glob("import/*.[ch]") + glob.glob("model/*.[ch]")
       if re.search(r'#include\s*"\.\./(mock|harness|cli)/', open(f).read())]
t.ok(not bad, "import/ and model/ include nothing of the rooms above them", bad)
bad = [f for f in glob.glob("codec/*.[ch]") if re.search(r'#include\s*"\.\./', open(f).read())]
t.ok(not bad, "codec/ (body kinds: JSON, XML) includes nothing of errata's rooms", bad)
bad = [f for f in glob.glob("mock/*.[ch]") if re.search(r'#include\s*"\.\./(harness|cli|import)/', open(f).read())]
t.ok(not bad, "mock/ includes nothing of harness/, cli/ or import/", bad)
bad = [f for f in glob.glob("harness/*.[ch]") if re.search(r'#include\s*"\.\./(cli|import)/', open(f).read())]
t.ok(not bad, "harness/ includes nothing of cli/ or import/", bad)
appends = [(f, n + 1, "shared" in line) for f in glob.glob("mock/*.c") for n, line in enumerate(open(f))
           if "journal_append(" in line and not line.startswith(("void", "int"))]
t.ok(sorted((f, sh) for f, _, sh in appends) == [("mock/replicas.c", True), ("mock/stages.c", False)],
     "the journal is appended to in one place (conclude), or with --state in the one place conclude calls "
     "(replicas_journal, which queues the entry for the shared journal's writer)", appends)
bad = [f for f in glob.glob("store/*.[ch]") if re.search(r'#include\s*"\.\./', open(f).read())]
t.ok(not bad and glob.glob("store/*.c"), "store/ (the Redis client) includes nothing of errata's rooms", bad)
serve = ["mock/mock.c", "mock/stages.c", "mock/respond.c", "mock/admin.c", "mock/verdicts.c", "mock/idempotency.c",
         "mock/select.c", "mock/scenario.c", "mock/vendor.c", "mock/journal.c"]
flag = [(f, n + 1) for f in serve for n, line in enumerate(open(f)) if "m->up" in line]
t.ok(not flag, "the serve files never test for errata proxy's upstream (m->up)", flag)
t.done()
