#!/usr/bin/env python3
"""A deliberately wrong streaming client: it reads the event stream with
urllib and, whatever stops the read (a reset, a cut chunk, a read timeout),
prints the events it got and exits 0. A cut stream is taken as complete:
errata client's stream family fails it (stream.reset-surfaced,
stream.stall-abandoned). An error event it prints as it prints any event."""
import os, sys, urllib.error, urllib.request

req = urllib.request.Request(os.environ["ERRATA_BASE_URL"] + os.environ["ERRATA_PATH"],
                             data=os.environ.get("ERRATA_BODY", "").encode(), method=os.environ["ERRATA_METHOD"],
                             headers={"Content-Type": "application/json", "Accept": "text/event-stream"})
events = []
try:
    with urllib.request.urlopen(req, timeout=5) as r:
        for line in r:
            if line.startswith(b"data:"):
                events.append(line[5:].strip().decode(errors="replace"))
except urllib.error.HTTPError as err:
    print("error %d: %s" % (err.code, err.read().decode(errors="replace")), file=sys.stderr)
    sys.exit(1)
except Exception:  # noqa: BLE001 - the defect: whatever cut the stream, what came is kept
    pass
for e in events:
    print(e)
sys.exit(0)
