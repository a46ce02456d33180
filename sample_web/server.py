"""A static web server on 127.0.0.1 for the sample web, test fixtures and benchmarks.

Files may contain the placeholder __BASE_URL__, replaced with the server's own address when
served, so listings and pages hold absolute links (feeds, og:url) as real sites do.
A request for X.gz that has no file on disk is served as X, gzipped (gzipped sitemaps).
Templated files carry an ETag and Last-Modified and answer conditional GETs with 304, as
real feeds do, so a re-crawl of an unchanged listing costs one empty response.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import formatdate
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PLACEHOLDER = b"__BASE_URL__"
TEMPLATED = {".xml", ".txt", ".rss", ".atom", ".json", ".csv", ".html"}


class SampleWebHandler(SimpleHTTPRequestHandler):
    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".xml": "application/xml",
        ".rss": "application/rss+xml",
        ".atom": "application/atom+xml",
        ".html": "text/html",
        ".json": "application/json",
        ".csv": "text/csv",
    }

    def log_message(self, format: str, *args) -> None:  # quiet: tests and the demo print their own
        pass

    delay: float = 0.0
    hits: Counter | None = None

    def do_GET(self) -> None:
        if self.hits is not None:
            self.hits[self.path] += 1
        if self.delay and self.path.endswith(".html"):
            time.sleep(self.delay)
        path = Path(self.translate_path(self.path))
        templated = path.suffix in TEMPLATED and path.is_file()
        gz_of = path.with_suffix("") if path.suffix == ".gz" and not path.exists() else None
        if not templated and not (gz_of and gz_of.is_file()):
            super().do_GET()
            return
        body = (gz_of or path).read_bytes().replace(PLACEHOLDER, self.base_url.encode())
        content_type = self.guess_type(str(gz_of or path))
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        modified = formatdate((gz_of or path).stat().st_mtime, usegmt=True)
        if self.headers.get("If-None-Match") == etag:
            self.send_response(HTTPStatus.NOT_MODIFIED)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        if gz_of:
            body, content_type = gzip.compress(body, mtime=0), "application/gzip"
        self.send_response(HTTPStatus.OK)
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", modified)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"


@contextmanager
def serve(root: str | Path, port: int = 0, delay: float = 0.0, hits: Counter | None = None) -> Iterator[str]:
    """Serve `root` on 127.0.0.1 (a free port by default); yields the base URL.

    `delay` slows every HTML page down, for tests that interrupt a crawl half-way; `hits`
    counts the GETs per path, for tests that check what a crawl fetched."""
    handler_class = type("Handler", (SampleWebHandler,), {"delay": delay, "hits": hits})
    handler = partial(handler_class, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="sample-web", daemon=True)
    thread.start()
    try:
        host, bound = server.server_address[:2]
        yield f"http://{host}:{bound}"
    finally:
        server.shutdown()
        server.server_close()
