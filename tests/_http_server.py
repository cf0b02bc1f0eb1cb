"""A loopback HTTP server for download tests: serves bytes from a dict, supports Range, and misbehaves on request.

    from _http_server import LoopbackServer, http_server   # tests/ is on sys.path under pytest

    with LoopbackServer({"/a/x.gz": data}) as server:
        url = server.url("/a/x.gz")                         # http://127.0.0.1:<port>/a/x.gz
        server.truncate["/a/x.gz"] = 1                      # the next response stops halfway (then normal)
        server.errors["/a/x.gz"] = [500]                    # the next request gets a 500
        ...
        server.requests                                     # [(path, range header or None, status), ...]

Each misbehaviour is consumed by one request, so "truncated once, then resumed" is one assignment. The pytest
fixture ``http_server`` yields a started server with no files (add them to ``server.files``).
"""
from __future__ import annotations

import http.server
import re
import threading

import pytest

__all__ = ["LoopbackServer", "http_server"]


class _Handler(http.server.BaseHTTPRequestHandler):
    server_version = "ember-test/1.0"

    def log_message(self, format, *args):     # keep the test output clean
        pass

    def do_GET(self):
        owner: LoopbackServer = self.server.owner
        path = self.path.split("?", 1)[0]
        range_header = self.headers.get("Range")
        with owner.lock:
            errors = owner.errors.get(path)
            status = errors.pop(0) if errors else None
            truncate = owner.truncate.get(path, 0)
            if truncate and status is None:
                owner.truncate[path] = truncate - 1
            data = owner.files.get(path)
        if status is None and data is None:
            status = 404
        if status is not None:
            owner.requests.append((path, range_header, status))
            self.send_error(status)
            return
        start = 0
        match = re.fullmatch(r"bytes=(\d+)-", range_header or "")
        if match and owner.ranges:
            start = int(match.group(1))
            if start >= len(data):
                owner.requests.append((path, range_header, 416))
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            owner.requests.append((path, range_header, 206))
        else:
            self.send_response(200)
            owner.requests.append((path, range_header, 200))
        body = data[start:]
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        # a truncated response promises the whole body, sends half and closes the connection
        self.wfile.write(body[:len(body) // 2] if truncate else body)
        self.wfile.flush()


class LoopbackServer:
    """``http.server`` on 127.0.0.1 (a free port) in a daemon thread.

    ``files``: URL path -> bytes. ``truncate``: path -> how many of the next responses stop halfway.
    ``errors``: path -> list of HTTP statuses the next requests get. ``ranges``: honour Range headers (set False
    to imitate a server that always sends the whole file). ``requests``: what was asked, in order."""

    def __init__(self, files: dict | None = None):
        self.files = dict(files or {})
        self.truncate: dict = {}
        self.errors: dict = {}
        self.ranges = True
        self.requests: list = []
        self.lock = threading.Lock()
        self._httpd = None
        self._thread = None

    def start(self):
        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.owner = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join()
            self._httpd = None

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


@pytest.fixture
def http_server():
    with LoopbackServer() as server:
        yield server
