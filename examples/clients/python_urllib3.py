#!/usr/bin/python3
"""urllib3's Retry (Debian's python3-urllib3) configured as its documentation
shows for an API: 3 retries on 429/502/503/504 for any method, Retry-After
respected, backoff_factor 0.2 (which urllib3 1.26 does not apply before the
first retry). No Idempotency-Key."""
import os, sys
import urllib3
from urllib3.util.retry import Retry

retry = Retry(total=3, status_forcelist=[429, 502, 503, 504], allowed_methods=None,
              respect_retry_after_header=True, backoff_factor=0.2, raise_on_status=False)
http = urllib3.PoolManager(retries=retry, timeout=10)
try:
    r = http.request(os.environ["ERRATA_METHOD"], os.environ["ERRATA_BASE_URL"] + os.environ["ERRATA_PATH"],
                     body=os.environ.get("ERRATA_BODY", "").encode(), headers={"Content-Type": "application/json"})
except urllib3.exceptions.HTTPError as err:
    print("error: %s" % err, file=sys.stderr)
    sys.exit(1)
print(r.data.decode(errors="replace"))
sys.exit(0 if r.status < 400 else 1)
