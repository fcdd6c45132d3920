#!/usr/bin/env python3
"""contract import on the corpus of real error documents (../shared/corpus,
judge.py): no regression below today's figures (25 right, 0 wrong of 26; 4 and 16 before),
and every OpenAPI description in it imports into a contract that loads,
its operations' successes included."""
import os, re, subprocess, sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from errata_test import Tap, ERRATA, SCALE  # noqa: E402

CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "corpus")
if not os.path.exists(os.path.join(CORPUS, "judge.py")):
    print("1..0 # SKIP no ../shared/corpus")
    sys.exit(0)
t = Tap()
r = subprocess.run(["/usr/bin/python3", os.path.join(CORPUS, "judge.py"), os.path.abspath(ERRATA), CORPUS],
                   capture_output=True, text=True, timeout=600 * SCALE)
m = re.search(r"import corpus: (\d+) right, (\d+) partial, (\d+) refused, (\d+) wrong of (\d+)", r.stdout + r.stderr)
t.ok(m is not None, "judge.py scores the corpus", (r.stdout + r.stderr)[-500:])
if m:
    right, partial, refused, wrong, total = map(int, m.groups())
    t.ok(right >= 25 and wrong == 0, "no regression: %d right, %d wrong of %d (at least 25 right, none wrong)" % (right, wrong, total),
         m.group(0))
m = re.search(r"codes recall (\d+)%, precision (\d+)%", r.stdout + r.stderr)
t.ok(m is not None and int(m.group(1)) >= 90 and int(m.group(2)) >= 95,
     "codes recall at least 90%% and precision at least 95%% over the corpus (%s)" % (m.group(0) if m else "none"))
t.ok(r.returncode == 0, "judge.py passes the corpus (exit 0: no WRONG, at least 80% RIGHT)", r.returncode)
bad = [l for l in (r.stdout + r.stderr).splitlines() if "does not load" in l]
t.ok(not bad, "no import builds a contract that does not load", bad[:3])
t.done()
