"""A scriptable web server on 127.0.0.1 for the hostile-input tests: each path answers with a
status, headers and body of the test's choosing (redirects, wrong charsets, robots.txt rules,
self-listing sitemaps), and every request is recorded with the time it arrived."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PLACEHOLDER = "__BASE_URL__"


@dataclass
class Route:
    body: bytes | str = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/html; charset=utf-8"})


@dataclass
class HostileWeb:
    routes: dict[str, Route] = field(default_factory=dict)
    hits: list[tuple[float, str]] = field(default_factory=list)
    base_url: str = ""

    def hits_of(self, path: str) -> list[float]:
        return [moment for moment, hit in self.hits if hit == path]


class Handler(BaseHTTPRequestHandler):
    web: HostileWeb

    def log_message(self, format: str, *args) -> None:
        pass

    def do_GET(self) -> None:
        self.web.hits.append((time.monotonic(), self.path))
        route = self.web.routes.get(self.path)
        if route is None:
            self.send_error(404)
            return
        body = route.body.encode("utf-8") if isinstance(route.body, str) else route.body
        body = body.replace(PLACEHOLDER.encode(), self.web.base_url.encode())
        self.send_response(route.status)
        for name, value in route.headers.items():
            self.send_header(name, value.replace(PLACEHOLDER, self.web.base_url))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def serve_routes(routes: dict[str, Route] | None = None) -> Iterator[HostileWeb]:
    """Serve `routes` (path with query → Route) on a free port; routes may be added later."""
    web = HostileWeb(routes=dict(routes or {}))
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (Handler,), {"web": web}))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    web.base_url = f"http://{host}:{port}"
    try:
        yield web
    finally:
        server.shutdown()
        server.server_close()


def article(title: str, text: str) -> str:
    return f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1><p>{text}</p></article></body></html>"


def rss(*links: str) -> str:
    items = "".join(
        f"<item><title>Item {n}</title><link>{link}</link><pubDate>Mon, 02 Jan 2023 10:00:00 GMT</pubDate></item>"
        for n, link in enumerate(links)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'


RSS = {"Content-Type": "application/rss+xml"}
