"""Browsing the dataset with datasette: the SQLite export, served on loopback.

datasette runs in this process under uvicorn, on a socket bound here first, so `--port 0`
picks a free port and the printed URL is the one that answers.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from pathlib import Path

from analysis.exports.sqlite import metadata


def bind(host: str = "127.0.0.1", port: int = 8001) -> socket.socket:
    """A listening TCP socket (port 0: any free port)."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def datasette_app(db: Path):
    """The datasette ASGI app over the exported file (immutable: it is never written while served)."""
    from datasette.app import Datasette

    ds = Datasette(
        immutables=[str(db)],
        metadata=metadata(Path(db).stem),
        settings={"default_page_size": 50, "facet_time_limit_ms": 500, "sql_time_limit_ms": 3000},
    )
    asyncio.run(ds.invoke_startup())
    return ds.app()


def serve(
    db: Path, host: str = "127.0.0.1", port: int = 8001, on_ready: Callable[[str], None] | None = None
) -> None:
    """Serve `db` with datasette until interrupted; `on_ready` gets the incidents table's URL."""
    import uvicorn

    sock = bind(host, port)
    actual = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    app = datasette_app(db)
    if on_ready:
        on_ready(f"http://{shown}:{actual}/{Path(db).stem}/incidents")
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    uvicorn.Server(config).run(sockets=[sock])
