"""Run an ASGI app with uvicorn on a socket we bind ourselves: in the foreground, or on a thread.

Binding first means `port=0` picks a free port and the real URL is known before serving starts,
which is what tests, the demo and `serve --sandbox` need.
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Any

import uvicorn

LOOPBACK = "127.0.0.1"
_START_TIMEOUT_S = 10.0


def is_loopback(host: str) -> bool:
    return host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")


class AppServer:
    """`app` may be given after construction, once the bound port is known (an app can depend on it)."""

    def __init__(
        self, app: Any = None, *, host: str = LOOPBACK, port: int = 0, uvicorn_options: dict[str, Any] | None = None
    ) -> None:
        self.app = app
        self._uvicorn_options = uvicorn_options or {}
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # IPPROTO_TCP explicitly: asyncio turns Nagle off (TCP_NODELAY) only on sockets whose proto says TCP,
        # and accepted sockets inherit it. With proto 0, every answer sent as headers + body waits ~40 ms
        # for the client's delayed ACK.
        self._socket = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        # Listen at once: connections made before uvicorn runs wait in the backlog instead of failing.
        self._socket.listen(2048)
        self.host = host
        self.port: int = self._socket.getsockname()[1]
        shown = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown}:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def _uvicorn(self) -> uvicorn.Server:
        if self._server is None:
            config = uvicorn.Config(self.app, log_level="warning", lifespan="auto", **self._uvicorn_options)
            self._server = uvicorn.Server(config)
        return self._server

    def serve_forever(self) -> None:
        """Blocks until interrupted (Ctrl-C)."""
        self._uvicorn().run(sockets=[self._socket])

    def start(self) -> AppServer:
        server = self._uvicorn()
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [self._socket]}, name="revox-app-server", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"the server on {self.url} did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._thread is not None and self._server is not None:
            self._server.should_exit = True
            self._thread.join(timeout=_START_TIMEOUT_S)
            self._thread = None
        self._socket.close()

    def __enter__(self) -> AppServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
