#!/usr/bin/env python3
"""A server that speaks a contract's errors with one thing broken, chosen by
the first path segment: /<mode>/<contract>/... It answers X-Errata-Error like
errata serve, so `errata check --all-codes` can be pointed at each break.
Prints its port on stdout once listening."""
import json, os, socket, struct, sys, threading, time
from http.server import BaseHTTPRequestHandler

sys.path.insert(0, os.path.dirname(__file__))
from errata_test import Server, render, compact, needs_retry_after  # noqa: E402

CONTRACTS = {}
for name in os.listdir("contracts"):
    if name.endswith(".json"):
        c = json.load(open(os.path.join("contracts", name)))
        CONTRACTS[c["id"]] = c
SEEN = {}
LOCK = threading.Lock()


def find(c, code):
    for e in c["codes"]:
        if code in (e["code"], e.get("name")):
            return e
    return None


def rename_message_key(t):
    """The first key whose value is {{message}}, renamed."""
    if isinstance(t, dict):
        for k, v in list(t.items()):
            if v == "{{message}}":
                t[k + "_renamed"] = t.pop(k)
                return True
            if rename_message_key(v):
                return True
    return False


def stringify_status(body):
    if isinstance(body, dict):
        for k, v in body.items():
            if isinstance(v, int) and not isinstance(v, bool) and 400 <= v <= 599:
                body[k] = str(v)
                return True
            if stringify_status(v):
                return True
    return False


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, status, body, ctype="application/json", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Request-Id", "broken-%d" % time.monotonic_ns())
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        self.do_GET()

    def do_GET(self):
        n = int(self.headers.get("Content-Length") or 0)
        req_body = self.rfile.read(n) if n else b""
        parts = self.path.split("/")
        mode, cid = parts[1], parts[2] if len(parts) > 2 else ""
        c = CONTRACTS.get(cid)
        if not c:
            return self.send(404, b"no such contract")
        if mode == "hang":
            time.sleep(30)
            return
        if mode == "endless":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                while True:
                    self.wfile.write(b"4000\r\n" + b"x" * 0x4000 + b"\r\n")
            except OSError:
                return
        if mode == "huge-length":
            self.send_response(429)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(10 * 1024 ** 3))
            self.end_headers()
            self.wfile.write(b"{" * 1000)
            time.sleep(5)
            return
        if mode == "reset-mid-body":
            self.send_response(429)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b'{"ok":false,')
            self.wfile.flush()
            # linger 0: the close that ends this connection sends a reset
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        if mode == "garbage":
            return self.send(500, os.urandom(300), "application/octet-stream")
        if mode == "invalid-utf8":
            return self.send(500, b'{"ok":false,"code":"\xff\xfe\xfd","detail":"\xc3\x28"}')
        if mode == "redirect":
            return self.send(302, b"", "text/plain", [("Location", "https://elsewhere.example/breezeblue/v1/x")])
        if mode == "cut-utf8":  # values whose cut points fall inside characters, and latin-1 headers
            body = json.dumps({"ok": False, "code": "\u00e9" * 60, "detail": "x", "error": "x"}, ensure_ascii=False).encode()
            self.wfile.write(b"HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\n" +
                             b"Retry-After: " + "\u00e9".encode() * 40 + b"\r\n" +
                             b"X-Latin: caf\xe9\r\n" +
                             b"RateLimit: " + "\u20ac".encode() * 40 + b"\r\n" +
                             b"Content-Length: %d\r\n\r\n" % len(body) + body)
            return
        if mode == "echo-everywhere":  # the credential in a header name, a code, a title, a Retry-After and a body
            tok = self.headers.get("Authorization", "").replace("Bearer ", "")
            self.send_response(429)
            self.send_header("Content-Type", c["content_type"])
            self.send_header("X-Echo-" + tok, "1")
            self.send_header("Retry-After", "r" * 50 + tok)
            self.send_header("RateLimit", '"default";r=' + "9" * 70 + tok)
            body = json.dumps({"ok": False, "code": "C" * 70 + tok, "title": "Invalid API key provided: " + tok,
                               "detail": "p" * 480 + tok, "error": "e" * 1000 + tok}).encode()
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        e = find(c, self.headers.get("X-Errata-Error", ""))
        key = self.headers.get("Idempotency-Key")
        if key and mode != "idempotency-ignored":
            with LOCK:
                seen = SEEN.get((cid, key))
                if seen and seen[0] != req_body:
                    conflict = find(c, c["policy"]["idempotency"]["conflict_code"])
                    return self.send(conflict["status"], compact(render(c["envelope"]["error"], conflict)))
                if seen:
                    return self.send(*seen[1])
        if not e:
            resp = (200, compact(c["envelope"]["success"]))
            if key:
                with LOCK:
                    SEEN[(cid, key)] = (req_body, resp)
            return self.send(*resp)
        tmpl = json.loads(json.dumps(c["envelope"]["error"]))
        status = e["status"]
        headers = []
        if mode == "echo-secret":  # a hostile server that reflects the credential
            headers.append(("X-Echo", self.headers.get("Authorization", "")))
        if needs_retry_after(c, e) and mode != "no-retry-after":
            headers.append(("Retry-After", "1"))
        if mode == "renamed-key":
            rename_message_key(tmpl)
        body = render(tmpl, e)
        if mode == "string-for-number":
            stringify_status(body)
        if mode == "undocumented-code":
            body = json.loads(json.dumps(body).replace('"%s"' % e["code"], '"ERRATA_UNDOCUMENTED"', 1))
        if mode == "wrong-status":
            status = 500 if status != 500 else 502
        if mode == "echo-secret":
            body = json.loads(json.dumps(body).replace('"%s"' % e["message"], json.dumps(
                "echo: " + self.headers.get("Authorization", "")), 1))
        if mode == "html-page":
            return self.send(502, b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html", headers)
        self.send(status, compact(body), c["content_type"], headers)


srv = Server(("127.0.0.1", 0), Handler)
print(srv.server_address[1], flush=True)
srv.serve_forever()
