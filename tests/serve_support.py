"""Helpers of the `framing serve` tests: a real uvicorn on a loopback port in a thread, a local
HTTP server for URL fetching, a classifier wrapper that is slow or fails on demand, and the
response schema validator."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.conftest import REPO


def loopback_socket() -> socket.socket:
    """A socket bound to a free loopback port (handed to uvicorn, so no port race)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class LiveServer:
    """uvicorn serving `app` on 127.0.0.1 in a background thread; `stop` shuts it down."""

    def __init__(self, app):
        import uvicorn

        self.sock = loopback_socket()
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def start(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.sock.close()


class Flaky:
    """A Classifier that sleeps `delay` seconds before each model call, or raises once when
    `fail_next` is set; everything else is the wrapped classifier's."""

    def __init__(self, clf, delay: float = 0.0):
        self._clf, self.delay, self.fail_next = clf, delay, False

    def __getattr__(self, name):
        return getattr(self._clf, name)

    def predict_sentences(self, texts, spans=True):
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("model exploded (test)")
        time.sleep(self.delay)
        return self._clf.predict_sentences(texts, spans)


def response_validator():
    """Validates a whole answer of POST /v1/score, and its documents against the published
    docs/schema/score-json.schema.json."""
    import jsonschema

    from framing.serve.app import response_schema

    envelope = jsonschema.Draft202012Validator(response_schema())
    records = jsonschema.Draft202012Validator(json.loads((REPO / "docs/schema/score-json.schema.json").read_text()))

    def check(body: dict) -> None:
        envelope.validate(body)
        for doc in body["documents"]:
            records.validate(doc)

    return check


def assert_json_error(resp, status: int, code: str | None = None, **expected) -> dict:
    """A JSON error body with the status, no traceback, and the named field/limit."""
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/json"), resp.headers
    assert "Traceback" not in resp.text and 'File "' not in resp.text
    error = resp.json()["error"]
    assert error["message"]
    if code:
        assert error["code"] == code, error
    for key, value in expected.items():
        assert error.get(key) == value, error
    return error


ARTICLE_HTML = """<!DOCTYPE html><html><head><title>Test page</title></head><body>
<nav><a href="/">Home</a> | <a href="/world">World</a></nav>
<article><h1>Ministers meet in Paris</h1>
<p>The minister will travel to Paris next week to discuss the budget with the committee.</p>
<p>Officials said the bridge would reopen in March, after the repairs were finished on time.</p>
<p>These corrupt traitors are destroying everything we love, the opposition said on Tuesday.</p>
<p>Rainfall in the region was slightly above average this year, according to the weather office.</p>
</article><footer>Copyright 2026</footer></body></html>"""


class PageServer:
    """A local http.server on 127.0.0.1 answering the paths the fetch tests need; `hits` lists
    every path requested, in order."""

    def __init__(self, big_bytes: int = 200_000, slow_s: float = 3.0):
        hits: list[str] = []
        self.hits = hits
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status, body: bytes = b"", ctype="text/html; charset=utf-8", headers=(), length=True):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                for key, value in headers:
                    self.send_header(key, value)
                if length:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                hits.append(self.path)
                path = self.path
                if path == "/article.html":
                    self._send(200, ARTICLE_HTML.encode())
                elif path == "/plain.txt":
                    self._send(200, b"Russia and China signed a new energy deal on Tuesday.\n",
                               "text/plain; charset=utf-8")
                elif path == "/latin1.html":
                    self._send(200, ARTICLE_HTML.replace("Paris", "Pär\xeds").encode("latin-1"),
                               "text/html; charset=iso-8859-1")
                elif path.startswith("/chain/"):
                    n = int(path.rsplit("/", 1)[1])
                    if n == 0:
                        self._send(200, ARTICLE_HTML.encode())
                    else:
                        self._send(302, headers=[("Location", f"/chain/{n - 1}")])
                elif path == "/to-private":
                    self._send(302, headers=[("Location", "http://10.0.0.1/secret")])
                elif path == "/to-metadata":
                    self._send(301, headers=[("Location", "http://169.254.169.254/latest/meta-data/")])
                elif path == "/to-ipv6-loopback":
                    self._send(307, headers=[("Location", f"http://[::1]:{outer.port}/article.html")])
                elif path == "/to-localhost-name":
                    self._send(302, headers=[("Location", f"http://localhost:{outer.port}/article.html")])
                elif path == "/to-ftp":
                    self._send(302, headers=[("Location", "ftp://127.0.0.1/file.txt")])
                elif path == "/no-location":
                    self._send(302)
                elif path == "/big-declared":
                    self._send(200, b"<p>" + b"x" * big_bytes + b"</p>")
                elif path == "/big-streamed":
                    # no Content-Length: the cap must hold while reading
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Connection", "close")
                    self.end_headers()
                    for _ in range(big_bytes // 10_000 + 1):
                        self.wfile.write(b"<p>" + b"y" * 10_000 + b"</p>")
                elif path == "/image.png":
                    self._send(200, b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "image/png")
                elif path == "/no-type":
                    self._send(200, b"hello", "")
                elif path == "/slow":
                    time.sleep(slow_s)
                    self._send(200, ARTICLE_HTML.encode())
                elif path == "/error":
                    self._send(500, b"oops", "text/plain")
                else:
                    self._send(404, b"not here", "text/plain")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
