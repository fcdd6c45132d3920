#!/usr/bin/env python3
"""errata client with real S3 clients against the s3 contract's XML errors:
Debian's python3-boto3 (botocore's standard retry mode) and npm's
@aws-sdk/client-s3 (pinned in tests/node/package-lock.json). Each one's
verdicts are asserted exactly, as its retry source explains (README, "Real
SDKs"); then the same boto3 made wrong two ways fails what it should: one
that gives up on SlowDown fails retry.attempted, one that retries at once
fails the backoff checks."""
import os, subprocess, sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from errata_test import Tap, ERRATA, SCALE, subtest_points  # noqa: E402

t = Tap()
BOTO = ["/usr/bin/python3", "examples/clients/sdk_boto3_s3.py"]
AWS = ["node", "examples/clients/sdk_aws_s3.mjs"]


def run(cmd, env=None, scenarios=()):
    args = [ERRATA, "client", "--contract", "s3", "--jobs", "8", "--tap", "-"]
    for s in scenarios:
        args += ["--scenario", s]
    r = subprocess.run(args + ["--"] + cmd, capture_output=True, text=True, timeout=600 * SCALE,
                       env=dict(os.environ, **(env or {})))
    return (r,) + subtest_points(r.stdout, "s3")


# Neither retries OperationAborted (409, "Try again."): botocore's
# retries/standard.py retries its _TRANSIENT_ERROR_CODES, _THROTTLING_ERROR_CODES
# (SlowDown among them) and statuses 500, 502, 503, 504; @smithy's retry
# classification has the same lists. Both back off with full jitter
# (random() * 2^n seconds; random() * 2^n * 500 ms for throttling), so a
# delay may come out shorter than the one before, or all but zero.
ABORTED = {("retry OperationAborted", "retry.attempted"), ("retry OperationAborted", "client.exit")}
JITTER = {("backoff SlowDown without Retry-After", "backoff.grows"),
          ("backoff SlowDown without Retry-After", "backoff.first-delay")}
for name, cmd in (("boto3 (botocore standard mode)", BOTO), ("@aws-sdk/client-s3", AWS)):
    r, fails, passes = run(cmd)
    t.ok(fails - JITTER == ABORTED and len(passes) > 80,
         "%s: fails exactly retry OperationAborted's two checks, as its source explains%s" %
         (name, " (and, by its jitter, %s)" % ", ".join(sorted(c for _, c in fails & JITTER)) if fails & JITTER else ""),
         "unexpected: %s\nmissing: %s\n%s" % (sorted(fails - ABORTED - JITTER), sorted(ABORTED - fails), r.stderr[-600:]))
    slow = [p for p in passes if p[0] == "retry SlowDown"]
    t.ok(("retry SlowDown", "retry.attempted") in passes and ("no retry NoSuchKey", "no-retry.code-shown") in passes,
         "%s: retries the XML SlowDown, and shows NoSuchKey's code without retrying" % name, sorted(slow))

r, fails, passes = run(BOTO, {"ERRATA_S3_ATTEMPTS": "1"}, ["retry SlowDown"])
t.ok(("retry SlowDown", "retry.attempted") in fails, "boto3 that gives up on SlowDown fails retry.attempted", sorted(fails))
r, fails, passes = run(BOTO, {"ERRATA_S3_NO_WAIT": "1"}, ["backoff"])
t.ok(("backoff SlowDown without Retry-After", "backoff.first-delay") in fails,
     "boto3 that retries SlowDown at once fails backoff.first-delay", sorted(fails))
t.done()
