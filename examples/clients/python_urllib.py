#!/usr/bin/env python3
"""Plain urllib: one attempt, no retries, the error body printed."""
import os, sys, urllib.error, urllib.request

req = urllib.request.Request(os.environ["ERRATA_BASE_URL"] + os.environ["ERRATA_PATH"],
                             data=os.environ.get("ERRATA_BODY", "").encode(), method=os.environ["ERRATA_METHOD"],
                             headers={"Content-Type": "application/json"})
try:
    with urllib.request.urlopen(req, timeout=10) as r:
        print(r.read().decode(errors="replace"))
except urllib.error.HTTPError as err:
    print("error %d: %s" % (err.code, err.read().decode(errors="replace")), file=sys.stderr)
    sys.exit(1)
except Exception as err:  # noqa: BLE001 - any transport failure is reported, not raised
    print("error: %s" % err, file=sys.stderr)
    sys.exit(1)
