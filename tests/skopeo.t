#!/usr/bin/env python3
"""errata client with skopeo (Debian's containers/image client) against the
oci-registry mock, on the manifest GET: the scenario is served on that
operation alone, so skopeo's GET /v2/ check (and its /v1/_ping fallback)
get their success and are never counted as retries; every verdict matches
containers/image's retry code (README, "Real SDKs"): a 429 retried after its
Retry-After, every other error shown (as "manifest unknown", "denied") and
not retried; for skopeo inspect and skopeo copy alike. With --long-waits, the Retry-After of 75 s it caps at 60 s is
caught."""
import os, shutil, subprocess, sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from errata_test import Tap, ERRATA, SCALE, subtest_points  # noqa: E402

t = Tap()
if not shutil.which("skopeo"):
    t.ok(False, "skopeo is installed (make deps installs it)")
    t.done()
OP = "GET /v2/{name+}/manifests/{reference}"


def run(*extra, op="inspect"):
    r = subprocess.run([ERRATA, "client", "--contract", "oci-registry", "--host-url", "--operation", OP,
                        "--jobs", "12", "--tap", "-", *extra, "--", "sh", "examples/clients/skopeo.sh"],
                       capture_output=True, text=True, timeout=900 * SCALE, env=dict(os.environ, SKOPEO_OP=op))
    return (r,) + subtest_points(r.stdout, "oci-registry")


r, fails, passes = run()
t.ok(r.returncode == 0 and not fails and len(passes) > 100,
     "skopeo inspect passes every check (%d), its /v2/ check answered and not counted" % len(passes),
     "failed: %s\n%s" % (sorted(fails), r.stderr[-600:]))
t.ok(("retry TOOMANYREQUESTS", "retry.waited") in passes and ("retry TOOMANYREQUESTS", "retry.attempted") in passes,
     "it retries a 429 after its Retry-After", sorted(p for p in passes if p[0].startswith("retry TOO")))
t.ok(("no retry MANIFEST_UNKNOWN", "no-retry.code-shown") in passes and ("no retry DENIED", "no-retry.code-shown") in passes,
     "it shows MANIFEST_UNKNOWN as 'manifest unknown' and DENIED as 'denied', and does not retry them")
r, fails, passes = run(op="copy")
t.ok(r.returncode == 0 and not fails and len(passes) > 100,
     "skopeo copy passes every check (%d): after a retry it copies the operation's documented manifest and "
     "fetches its config blob, whose digest holds" % len(passes), "failed: %s\n%s" % (sorted(fails), r.stderr[-600:]))
r, fails, passes = run("--long-waits", "--scenario", "long wait")
want = {("long wait TOOMANYREQUESTS (Retry-After: 75, watched 80 s)", "long-wait.not-early")}
t.ok(fails == want and ("long wait TOOMANYREQUESTS (Retry-After: 120)", "long-wait.not-early") in passes,
     "with --long-waits: it retries a Retry-After of 75 s after 60 s (containers/image caps its wait at "
     "backoffMaxDelay), which the 5 s watch of the default suite cannot see", "failed: %s\n%s" % (sorted(fails), r.stderr[-400:]))
t.done()
