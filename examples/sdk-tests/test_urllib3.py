"""A worked example: a client built on urllib3, tested with unittest and
judged by errata's verdict engine over HTTP. Start the mock, then run:

  errata serve --listen 127.0.0.1:8080 &
  ERRATA_MOCK_URL=http://127.0.0.1:8080 python3 -m unittest examples/sdk-tests/test_urllib3.py

Each test creates one scenario of the breezeblue contract's client suite,
sends the call through the scenario's own base path with the client's own
retry policy, reports how the call ended, and asserts on the verdicts: the
same checks and evidence errata client gives."""
import json, os, unittest, uuid

import urllib3
from urllib3.util.retry import Retry

MOCK = os.environ.get("ERRATA_MOCK_URL", "http://127.0.0.1:8080")
http = urllib3.PoolManager()


def admin(method, path, body=None):
    r = http.request(method, MOCK + "/__errata" + path, body=json.dumps(body) if body is not None else None,
                     headers={"Content-Type": "application/json"} if body is not None else {}, retries=False)
    doc = json.loads(r.data)
    if r.status >= 400:
        raise AssertionError("%s %s: %d %s" % (method, path, r.status, doc.get("detail")))
    return doc


def create_generation(base):
    """The client under test: a POST with one Idempotency-Key for all its
    attempts, retrying 429 and 5xx as Retry-After says, at most 3 times."""
    retry = Retry(total=3, status_forcelist=[429, 500, 502, 503, 504], allowed_methods=None,
                  backoff_factor=0.2, respect_retry_after_header=True, raise_on_status=False)
    r = http.request("POST", base + "/v1/generations", body=json.dumps({"prompt": "hi"}), retries=retry,
                     headers={"Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())})
    if r.status >= 400:
        raise RuntimeError("HTTP %d: %s" % (r.status, r.data.decode(errors="replace")))
    return r.data.decode()


def judged(name, call):
    sc = admin("POST", "/scenarios", {"contract": "breezeblue", "suite": name})
    try:
        ok, output = True, call(MOCK + sc["base_path"])
    except Exception as e:  # the call failed: say how, as the SDK's caller would see it
        ok, output = False, "%s: %s" % (type(e).__name__, e)
    admin("POST", "/scenarios/%s/outcome" % sc["id"], {"ok": ok, "output": output})
    verdicts = admin("GET", "/scenarios/%s/verdicts" % sc["id"])
    admin("DELETE", "/scenarios/" + sc["id"])
    return verdicts


def failures(v):
    return "\n".join("%s: %s" % (c["id"], c["message"]) for c in v["checks"] if c["outcome"] in ("fail", "error"))


class DocumentedErrors(unittest.TestCase):
    def assertHandled(self, name):
        v = judged(name, create_generation)
        self.assertTrue(v["passed"], failures(v))
        return v

    def test_retries_a_rate_limit_after_retry_after(self):
        v = self.assertHandled("retry RATE_LIMITED")
        first, retry = v["evidence"]["attempts"]
        self.assertGreaterEqual(retry["gap_s"], first["wait_s"] - 0.02)

    def test_retries_after_an_http_date(self):
        self.assertHandled("retry RATE_LIMITED (HTTP-date)")

    def test_keeps_its_key_across_retries(self):
        v = self.assertHandled("retry DISPATCH_TIMEOUT")
        keys = {a["idempotency_key"] for a in v["evidence"]["attempts"]}
        self.assertEqual(len(keys), 1)

    def test_does_not_retry_a_bad_request(self):
        self.assertHandled("no retry BAD_REQUEST")

    def test_does_not_retry_early_on_a_long_wait(self):
        # urllib3 honours any Retry-After: the test would wait 120 s, so it
        # only checks that nothing came early, without making the call
        sc = admin("POST", "/scenarios", {"contract": "breezeblue", "suite": "long wait RATE_LIMITED (Retry-After: 120)"})
        r = http.request("POST", MOCK + sc["base_path"] + "/v1/generations", body=b"{}", retries=False)
        self.assertEqual(r.status, 429)
        self.assertEqual(r.headers["Retry-After"], "120")
        v = admin("GET", "/scenarios/%s/verdicts" % sc["id"])
        self.assertEqual({c["id"]: c["outcome"] for c in v["checks"]}["long-wait.not-early"], "pass")
        admin("DELETE", "/scenarios/" + sc["id"])


if __name__ == "__main__":
    unittest.main()
