#!/usr/bin/env python3
"""A small upstream for errata proxy's tests, good and bad by path:

  /echo...         what arrived: method, target, headers, body length and sha256
  /big?n=N         N bytes (chunked with &chunked=1), made as they are sent
  /sse?n=K&gap=S   K server-sent events, S seconds apart
  /slow?s=S        the head after S seconds
  /stall           a head and half a body, then nothing
  /garbage         bytes that are not HTTP, then close
  /close           close without a word
  /huge-headers    200 headers of 1 KiB each
  /status/N        status N with the JSON body given in ?body= (or {}), or
                   with ?size=N an openai error envelope of exactly N bytes

Prints its port on stdout once listening; with a certificate and key as
arguments it speaks TLS."""
import hashlib, json, os, socket, ssl, sys, time, urllib.parse
from http.server import BaseHTTPRequestHandler

sys.path.insert(0, os.path.dirname(__file__))
from errata_test import Server  # noqa: E402


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def body(self):
        h = hashlib.sha256()
        n = 0
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    self.rfile.readline()
                    break
                left = size
                while left:
                    b = self.rfile.read(min(left, 65536))
                    h.update(b)
                    n += len(b)
                    left -= len(b)
                self.rfile.readline()
        else:
            left = int(self.headers.get("Content-Length", "0"))
            while left:
                b = self.rfile.read(min(left, 65536))
                if not b:
                    break
                h.update(b)
                n += len(b)
                left -= len(b)
        return n, h.hexdigest()

    def send(self, status, data, ctype="application/json", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def handle_any(self):
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        n, digest = self.body()
        p = u.path
        if p.startswith("/echo"):
            out = {"method": self.command, "target": self.path, "headers": list(self.headers.items()),
                   "body_size": n, "body_sha256": digest}
            self.send(200, json.dumps(out).encode(), extra=[("X-Upstream", "yes"), ("Set-Cookie", "a=1"),
                                                           ("Set-Cookie", "b=2")])
        elif p == "/big":
            size, chunked = int(q.get("n", "0")), q.get("chunked") == "1"
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            if chunked:
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Content-Length", str(size))
            self.end_headers()
            block = bytes(range(256)) * 256
            left = size
            while left:
                b = block[:min(left, len(block))]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(b), b) if chunked else b)
                left -= len(b)
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
        elif p == "/sse":
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(int(q.get("n", "3"))):
                ev = ("data: %d %.3f\n\n" % (i, time.time())).encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(ev), ev))
                self.wfile.flush()
                time.sleep(float(q.get("gap", "0.3")))
            self.wfile.write(b"0\r\n\r\n")
        elif p == "/slow":
            time.sleep(float(q.get("s", "5")))
            self.send(200, b"{}")
        elif p == "/stall":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"x" * 500)
            self.wfile.flush()
            time.sleep(30)
        elif p == "/garbage":
            self.wfile.write(b"\x00\x01 this is not HTTP\r\n\r\n" * 10)
            self.close_connection = True
        elif p == "/close":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        elif p == "/huge-headers":
            self.send_response(200)
            for i in range(200):
                self.send_header("X-Pad-%d" % i, "y" * 1024)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif p.startswith("/status/"):
            extra = [tuple(h.split(":", 1)) for h in q.get("headers", "").split("|") if ":" in h]
            body = q.get("body", "{}").encode()
            if "size" in q:  # openai's envelope, its message padded to exactly size bytes
                frame = '{"error":{"message":"%s","type":"invalid_request_error","code":"invalid_service_tier","param":null}}'
                body = (frame % ("x" * (int(q["size"]) - len(frame) + 2))).encode()
            self.send(int(p[8:]), body, extra=extra)
        else:
            self.send(404, b'{"error":"not here"}')

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

    def do_HEAD(self):
        self.send_response(200)
        self.send_header("Content-Length", "1234")
        self.end_headers()


class Quiet(Server):

    def handle_error(self, request, client_address):
        pass  # a client the proxy cut off (the tests do it on purpose)


s = Quiet(("127.0.0.1", 0), H)
if len(sys.argv) == 3:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[1], sys.argv[2])
    s.socket = ctx.wrap_socket(s.socket, server_side=True)
print(s.server_address[1], flush=True)
s.serve_forever()
