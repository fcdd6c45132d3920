"""An upstream for errata proxy's safety tests that keeps every byte it is
sent and parses them strictly, the way a careful server would: each
connection's bytes are split into requests (Content-Length or chunked;
both at once, or a header name with white space, is an error), so a test
can tell how many requests reached it and what each carried.

Answers:
  /echo-error...  401 with an openai error envelope whose message repeats
                  the request's target and every header it carried (an
                  upstream that echoes credentials back)
  /status/N       status N with an openai error envelope (Retry-After: 1
                  on 429); to HEAD, the same head and no body
  anything else   200 {"ok":true}
"""
import base64, json, socket, threading, urllib.parse


class Capture:
    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.lock = threading.Lock()
        self.requests = []     # (connection, method, target, [(name, value)], body)
        self.errors = []       # what could not be parsed as one request
        self.connections = 0
        threading.Thread(target=self.serve, daemon=True).start()

    def clear(self):
        with self.lock:
            self.requests, self.errors = [], []

    def seen(self):
        with self.lock:
            return list(self.requests), list(self.errors)

    def serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
                n = self.connections
            threading.Thread(target=self.conn, args=(c, n), daemon=True).start()

    @staticmethod
    def read_until(c, buf, sep):
        while sep not in buf:
            b = c.recv(65536)
            if not b:
                return None, buf
            buf += b
        i = buf.index(sep)
        return buf[:i], buf[i + len(sep):]

    @staticmethod
    def read_n(c, buf, n):
        while len(buf) < n:
            b = c.recv(65536)
            if not b:
                return None, buf
            buf += b
        return buf[:n], buf[n:]

    def conn(self, c, n):
        buf = b""
        c.settimeout(30)
        try:
            while True:
                head, buf = self.read_until(c, buf, b"\r\n\r\n")
                if head is None:
                    if buf.strip():
                        self.error(n, "bytes after the last request: %r" % buf[:200])
                    return
                lines = head.decode("latin-1").split("\r\n")
                parts = lines[0].split(" ")
                if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
                    self.error(n, "a bad request line: %r" % lines[0])
                    return
                hdrs = []
                for ln in lines[1:]:
                    name, sep, value = ln.partition(":")
                    if not sep or not name or name != name.strip() or " " in name or "\t" in name:
                        self.error(n, "a bad header line: %r" % ln)
                        return
                    hdrs.append((name, value.strip()))
                low = [k.lower() for k, _ in hdrs]
                if "transfer-encoding" in low and "content-length" in low:
                    self.error(n, "both Content-Length and Transfer-Encoding")
                    return
                if low.count("content-length") > 1 or low.count("transfer-encoding") > 1:
                    self.error(n, "a framing header twice")
                    return
                body = b""
                if "transfer-encoding" in low:
                    while True:
                        size, buf = self.read_until(c, buf, b"\r\n")
                        if size is None:
                            self.error(n, "a chunked body cut")
                            return
                        k = int(size.split(b";")[0], 16)
                        chunk, buf = self.read_n(c, buf, k + 2)
                        if chunk is None:
                            self.error(n, "a chunk cut")
                            return
                        if k == 0:
                            break
                        body += chunk[:-2]
                elif "content-length" in low:
                    k = int(dict((a.lower(), b) for a, b in hdrs)["content-length"])
                    body, buf = self.read_n(c, buf, k)
                    if body is None:
                        self.error(n, "a body cut")
                        return
                with self.lock:
                    self.requests.append((n, parts[0], parts[1], hdrs, body))
                self.answer(c, parts[0], parts[1], hdrs)
        except (OSError, ValueError) as e:
            self.error(n, "%s" % e)
        finally:
            c.close()

    def error(self, n, why):
        with self.lock:
            self.errors.append((n, why))

    def answer(self, c, method, target, hdrs):
        extra = b""
        if target.startswith("/status/"):
            n = int(target.split("/")[2].split("?")[0])
            body = json.dumps({"error": {"message": "status %d" % n, "type": "invalid_request_error",
                                         "param": None, "code": None}}).encode()
            status = "%d Error" % n
            extra = b"x-request-id: req_123\r\n" + (b"Retry-After: 1\r\n" if n == 429 else b"")
        elif target.startswith("/echo-error"):
            said = [target, urllib.parse.unquote(target)]
            said += [v for _, v in urllib.parse.parse_qsl(urllib.parse.urlsplit(target).query)]
            for name, value in hdrs:
                said += ["%s: %s" % (name, value), value, value.split(" ", 1)[-1]]
                if value.startswith("Basic "):
                    pair = base64.b64decode(value[6:]).decode()
                    said += [pair, pair.split(":", 1)[1]]
                if name.lower() == "cookie":
                    said += [c.split("=", 1)[-1] for c in value.split("; ")]
            said = " | ".join(said)
            body = json.dumps({"error": {"message": "not allowed: " + said, "type": "invalid_request_error",
                                         "param": None, "code": "invalid_api_key"}}).encode()
            status = "401 Unauthorized"
        else:
            body, status = b'{"ok":true}', "200 OK"
        c.sendall(b"HTTP/1.1 %s\r\nContent-Type: application/json\r\n%sContent-Length: %d\r\n\r\n%s"
                  % (status.encode(), extra, len(body), b"" if method == "HEAD" else body))
