"""Run the sandbox: in the foreground (`revox-mcp sandbox`) or on a background thread (tests, demo, serve --sandbox)."""

from __future__ import annotations

import secrets
import socket
import threading
import time
from pathlib import Path
from types import TracebackType

import uvicorn

from revox_mcp.sandbox.app import create_app
from revox_mcp.sandbox.seed import SANDBOX_ORGANIZATION_ID, SEED_ASSISTANTS
from revox_mcp.sandbox.store import AssistantStore

LOOPBACK = "127.0.0.1"
_START_TIMEOUT_S = 10.0


def new_sandbox_key() -> str:
    return f"sk-sandbox-{secrets.token_urlsafe(18)}"


class SandboxServer:
    """A seeded sandbox on a loopback port. `port=0` picks a free one; `url` is known once started."""

    def __init__(self, db_path: str | Path, *, api_key: str | None = None, port: int = 0, seed: bool = True) -> None:
        self.api_key = api_key or new_sandbox_key()
        self.store = AssistantStore(db_path, SANDBOX_ORGANIZATION_ID)
        if seed:
            self.store.seed_if_empty(SEED_ASSISTANTS)
        self.app = create_app(self.store, self.api_key)
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((LOOPBACK, port))
        self.port: int = self._socket.getsockname()[1]
        self.url = f"http://{LOOPBACK}:{self.port}"
        self._server = uvicorn.Server(uvicorn.Config(self.app, log_level="warning", lifespan="off"))
        self._thread: threading.Thread | None = None

    def reset(self) -> None:
        """Back to the seeded state, with no faults queued and an empty request log."""
        state = self.app.state.sandbox
        state.faults.clear()
        state.requests.clear()
        self.store.reset(SEED_ASSISTANTS)

    def serve_forever(self) -> None:
        """Blocks until interrupted (Ctrl-C)."""
        try:
            self._server.run(sockets=[self._socket])
        finally:
            self.store.close()

    def start(self) -> SandboxServer:
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name="revox-sandbox", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the sandbox did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=_START_TIMEOUT_S)
            self._thread = None
        self._socket.close()
        self.store.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
