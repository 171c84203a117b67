#!/usr/bin/env python3
"""Scripted HTTP/1.1 server for http_client_test.cpp (keep-alive, failures on demand).

Usage: scripted_http_server.py [--idle-timeout S] PORT [CERTFILE KEYFILE]   (TLS when a certificate is given)

  --idle-timeout S                  close a keep-alive connection that stays idle S seconds (as S3 does)

  /flaky/ID?fail=N&status=S&code=C  first N requests answer S (JSON error with __type C, or S3-style XML
                                    when xml=1), later ones 200 "ok ID"
  /count/ID                         number of requests /flaky/ID (or resumable-ID) has received
  /resumable/ID                     an object whose first two transfers break (see resumable())
  /big?bytes=N                      N bytes (i % 251), with Content-Length
  /peer                             the client's source port (same port = connection reused)
  /slow?ms=N                        waits N ms before answering
  /echo                             JSON of method, path, headers and body length
  /complete-error/...               200 whose body is an S3 <Error> document
  /truncate?bytes=N                 announces N bytes, sends N/2, closes
  /parts/fail-N                     an S3 multipart upload whose part N is refused (400 InvalidPart); the
                                    aborts it receives are counted as /count/parts-abort
"""
import json
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

counts = {}
RESUMABLE_SIZE = 3 * 1000 * 1000 + 7
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, content_type="text/plain", extra=None):
        data = body if isinstance(body, bytes) else body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        parts = url.path.strip("/").split("/")
        if parts[0] == "flaky":
            with lock:
                counts[parts[1]] = counts.get(parts[1], 0) + 1
                n = counts[parts[1]]
            if n <= int(q.get("fail", "0")):
                status, code = int(q.get("status", "503")), q.get("code", "")
                if q.get("xml") == "1":
                    return self.reply(status, f"<Error><Code>{code}</Code><Message>m</Message></Error>",
                                      "application/xml")
                return self.reply(status, json.dumps({"__type": code, "message": "scripted failure"}),
                                  "application/json")
            return self.reply(200, f"ok {parts[1]}")
        if parts[0] == "count":
            with lock:
                return self.reply(200, str(counts.get(parts[1], 0)))
        if parts[0] == "big":
            n = int(q["bytes"])
            self.send_response(200)
            self.send_header("Content-Length", str(n))
            self.end_headers()
            block = bytes(i % 251 for i in range(251 * 1000))
            sent = 0
            try:
                while sent < n:
                    piece = block[: min(len(block), n - sent)]
                    self.wfile.write(piece)
                    sent += len(piece)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client stopped reading on purpose
            return
        if parts[0] == "complete-error":
            # S3 may answer CompleteMultipartUpload with 200, whitespace keep-alives, then an <Error>.
            return self.reply(200, "\n \n<Error><Code>InternalError</Code><Message>We encountered an internal "
                              "error. Please try again.</Message></Error>", "application/xml")
        if parts[0] == "truncate":
            # Promises N bytes, sends half, then drops the connection.
            n = int(q["bytes"])
            self.send_response(200)
            self.send_header("Content-Length", str(n))
            self.end_headers()
            self.wfile.write(b"x" * (n // 2))
            self.wfile.flush()
            self.close_connection = True
            return
        if parts[0] == "resumable":
            return self.resumable(parts[1])
        if parts[0] == "parts":
            return self.multipart(parts[1], q)
        if parts[0] == "peer":
            return self.reply(200, str(self.client_address[1]))
        if parts[0] == "slow":
            time.sleep(int(q["ms"]) / 1000)
            return self.reply(200, "slow")
        if parts[0] == "echo":
            return self.reply(200, json.dumps({"method": self.command, "path": self.path,
                                               "headers": {k.lower(): v for k, v in self.headers.items()},
                                               "body_length": len(body)}), "application/json")
        return self.reply(404, "no route")

    def multipart(self, key, q):
        if self.command == "POST" and "uploads" in q:
            return self.reply(200, "<InitiateMultipartUploadResult><Bucket>parts</Bucket><Key>" + key +
                              "</Key><UploadId>upload-1</UploadId></InitiateMultipartUploadResult>",
                              "application/xml")
        if self.command == "PUT" and "partNumber" in q:
            if key == "fail-" + q["partNumber"]:
                return self.reply(400, "<Error><Code>InvalidPart</Code><Message>part refused</Message></Error>",
                                  "application/xml")
            return self.reply(200, "", extra={"ETag": '"part-' + q["partNumber"] + '"'})
        if self.command == "DELETE" and "uploadId" in q:
            with lock:
                counts["parts-abort"] = counts.get("parts-abort", 0) + 1
            return self.reply(204, "")
        return self.reply(400, "<Error><Code>InvalidRequest</Code><Message>unexpected</Message></Error>",
                          "application/xml")

    def resumable(self, name):
        """An S3-like object of RESUMABLE_SIZE bytes (i % 251) whose transfers break: each of the first two
        responses sends a third of the object and drops the connection. Name variants: "changed-*" answers
        a resume with 412 (object replaced), "ignore-*" answers a resume with the whole object (200)."""
        key = "resumable-" + name
        with lock:
            counts[key] = counts.get(key, 0) + 1
            n = counts[key]
        size = RESUMABLE_SIZE
        first = 0
        status = 200
        extra = {"ETag": '"v1"', "Accept-Ranges": "bytes"}
        ranged = self.headers.get("Range")
        if ranged and not name.startswith("ignore"):
            if name.startswith("changed") or self.headers.get("If-Match") != '"v1"':
                return self.reply(412, "<Error><Code>PreconditionFailed</Code><Message>At least one of the "
                                  "pre-conditions you specified did not hold</Message></Error>", "application/xml")
            first = int(ranged.split("=")[1].split("-")[0])
            status = 206
            extra["Content-Range"] = f"bytes {first}-{size - 1}/{size}"
        data = bytes(i % 251 for i in range(first, size))
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        for header, value in extra.items():
            self.send_header(header, value)
        self.end_headers()
        if n <= 2:
            self.wfile.write(data[: size // 3])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # clients dropping pooled or aborted connections is expected here


def main():
    args = sys.argv[1:]
    if args[:1] == ["--idle-timeout"]:
        # BaseHTTPRequestHandler closes the connection when reading the next request times out.
        Handler.timeout = float(args[1])
        args = args[2:]
    server = QuietServer(("127.0.0.1", int(args[0])), Handler)
    server.daemon_threads = True
    if len(args) > 2:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args[1], args[2])
        server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
