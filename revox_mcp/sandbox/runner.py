"""Run the sandbox: in the foreground (`revox-mcp sandbox`) or on a background thread (tests, demo, serve --sandbox)."""

from __future__ import annotations

import secrets
from pathlib import Path
from types import TracebackType
from typing import Any

from revox_mcp.sandbox.app import Fault, create_app
from revox_mcp.sandbox.seed import SANDBOX_ORGANIZATION_ID, SEED_ASSISTANTS
from revox_mcp.sandbox.store import AssistantStore
from revox_mcp.serving import LOOPBACK, AppServer


def new_sandbox_key() -> str:
    return f"sk-sandbox-{secrets.token_urlsafe(18)}"


class SandboxServer:
    """A seeded sandbox on a loopback port. `port=0` picks a free one; `url` is known at once."""

    def __init__(
        self,
        db_path: str | Path,
        *,
        api_key: str | None = None,
        port: int = 0,
        seed: bool = True,
        tuning_history: bool = False,
        ab_pair: bool = False,
    ) -> None:
        self.api_key = api_key or new_sandbox_key()
        self.store = AssistantStore(db_path, SANDBOX_ORGANIZATION_ID)
        if seed:
            self.store.seed_if_empty(SEED_ASSISTANTS)
        self.app = create_app(self.store, self.api_key)
        if tuning_history:
            self.app.state.sandbox.add_tuning_history()
        if ab_pair:
            self.app.state.sandbox.add_ab_pair()
        self._server = AppServer(self.app, host=LOOPBACK, port=port)
        self.port = self._server.port
        self.url = self._server.url

    def add_fault(self, fault: dict[str, Any]) -> None:
        """Queue a fault (see sandbox.app.Fault); the same as POST /_sandbox/faults."""
        self.app.state.sandbox.faults.append(Fault(**fault))

    def reset(self) -> None:
        """Back to the seeded state, with no faults queued and an empty request log."""
        state = self.app.state.sandbox
        state.faults.clear()
        state.requests.clear()
        state.newer_fields.clear()
        state.test_call_configs.clear()
        state.preview_requests.clear()
        self.store.reset(SEED_ASSISTANTS)
        self.app.state.campaigns.reset()  # first: reseeding holds the calls of the campaigns paused then
        state.reseed()

    def serve_forever(self) -> None:
        try:
            self._server.serve_forever()
        finally:
            self.app.state.campaigns.close()
            self.store.close()

    def start(self) -> SandboxServer:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()
        self.app.state.campaigns.close()
        self.store.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
