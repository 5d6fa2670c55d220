#!/usr/bin/env python3
"""HTTP(S) server for the CurlHTTP tests.

Listens on 127.0.0.1 on a port the system picks, prints that port on the first line of stdout, and
serves until stdin closes (the test process ends or stops it) or it is terminated.

    fixture_server.py [--cert CERT.pem --key KEY.pem]

Routes (GET only). Paths that take <id> count their requests per path, so tests sharing nothing can
script "fail twice, then succeed"; /hits/<path> reports a count.

    /echo                      200, JSON of the request's headers (names lowercased)
    /hits/<path>               200, {"count": n}: requests seen for /<path>
    /gzip                      200, a JSON body gzip-encoded when the client accepts gzip
    /html                      200, an HTML page
    /redirect?to=L&code=C      C (302) with Location L
    /loop/<n>                  302 to /loop/<n+1>, forever
    /flaky/<id>?status=S&times=K&retry_after=R
                               S (with Retry-After R if given) for the first K requests, then 200
    /flaky-date/<id>?seconds=N 503 with Retry-After as an HTTP date N seconds ahead, then 200
    /status/<code>/<id>?echo=1 always <code>, an HTML error body (echoing Authorization if echo=1)
    /big?size=N&mode=M         N bytes of body: M = chunked, close (no length, ends at close) or length
    /stall                     headers announcing 1000 bytes, then nothing
    /trickle                   headers, then one byte every 0.1 s
"""

import email.utils
import gzip
import json
import os
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

hits = {}
hits_lock = threading.Lock()
tls_context = None


def count(path):
    with hits_lock:
        hits[path] = hits.get(path, 0) + 1
        return hits[path]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        # The TLS handshake happens here, on the connection's own thread, so a client that rejects the
        # certificate cannot hold up the accepting thread.
        if tls_context is not None:
            self.request = tls_context.wrap_socket(self.request, server_side=True)
        super().setup()

    def log_message(self, format, *args):
        pass

    def send(self, status, body=b"", content_type="text/plain", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        parts = urlsplit(self.path)
        path = parts.path
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        n = count(path)
        try:
            self.route(path, query, n)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            # The client gave up (a size cap or a timeout): nothing to answer.
            self.close_connection = True

    def route(self, path, query, n):
        if path == "/echo":
            headers = {name.lower(): value for name, value in self.headers.items()}
            body = json.dumps({"headers": headers, "path": self.path}).encode()
            self.send(200, body, "application/json", [("X-Fixture-Name", "echo")])
        elif path.startswith("/hits/"):
            with hits_lock:
                seen = hits.get(path[len("/hits"):], 0)
            self.send(200, json.dumps({"count": seen}).encode(), "application/json")
        elif path == "/gzip":
            plain = json.dumps({"results": [{"id": i, "text": "answer " * 20} for i in range(50)]}).encode()
            if "gzip" in self.headers.get("Accept-Encoding", ""):
                self.send(200, gzip.compress(plain), "application/json",
                          [("Content-Encoding", "gzip"), ("X-Plain-Length", str(len(plain)))])
            else:
                self.send(200, plain, "application/json")
        elif path == "/html":
            self.send(200, b"<!DOCTYPE html><html><body>Sign in</body></html>", "text/html")
        elif path == "/redirect":
            self.send(int(query.get("code", "302")), headers=[("Location", query.get("to", "/echo"))])
        elif path.startswith("/loop/"):
            step = int(path[len("/loop/"):] or "0")
            self.send(302, headers=[("Location", "/loop/%d" % (step + 1))])
        elif path.startswith("/flaky/"):
            if n <= int(query.get("times", "1")):
                extra = [("Retry-After", query["retry_after"])] if "retry_after" in query else []
                self.send(int(query.get("status", "500")), b"try again later", headers=extra)
            else:
                self.send(200, json.dumps({"attempt": n}).encode(), "application/json")
        elif path.startswith("/flaky-date/"):
            if n == 1:
                when = email.utils.formatdate(time.time() + float(query.get("seconds", "2")), usegmt=True)
                self.send(503, b"busy", headers=[("Retry-After", when)])
            else:
                self.send(200, json.dumps({"attempt": n}).encode(), "application/json")
        elif path.startswith("/status/"):
            code = int(path.split("/")[2])
            body = "<html>\n<body>\t<h1>Error %d</h1>\r\n<p>database   unavailable</p>" % code
            if query.get("echo") == "1":
                body += "<p>rejected credentials: %s</p>" % self.headers.get("Authorization", "")
            body += "<p>" + "details " * 60 + "</p></body></html>"
            self.send(code, body.encode(), "text/html")
        elif path == "/big":
            self.send_big(int(query.get("size", "1048576")), query.get("mode", "chunked"))
        elif path == "/stall":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.flush()
            time.sleep(30)
            self.close_connection = True
        elif path == "/trickle":
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            for _ in range(300):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.1)
            self.close_connection = True
        else:
            self.send(404, b"no such fixture route")

    def send_big(self, size, mode):
        block = b"a" * 16384
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        if mode == "chunked":
            self.send_header("Transfer-Encoding", "chunked")
        elif mode == "length":
            self.send_header("Content-Length", str(size))
        else:
            self.send_header("Connection", "close")
        self.end_headers()
        sent = 0
        while sent < size:
            piece = block[: min(len(block), size - sent)]
            if mode == "chunked":
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            else:
                self.wfile.write(piece)
            sent += len(piece)
        if mode == "chunked":
            self.wfile.write(b"0\r\n\r\n")
        self.close_connection = mode == "close"


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # Failed handshakes and clients that hang up are part of the tests, not errors to print.
        pass


def main():
    global tls_context
    args = sys.argv[1:]
    if "--cert" in args:
        tls_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls_context.load_cert_chain(args[args.index("--cert") + 1], args[args.index("--key") + 1])
    server = Server(("127.0.0.1", 0), Handler)

    def stop_when_stdin_closes():
        # The test process holds the other end of stdin: when it goes, so does this server.
        sys.stdin.buffer.read()
        os._exit(0)

    threading.Thread(target=stop_when_stdin_closes, daemon=True).start()
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
