"""Shared fixtures: a real sandbox on a loopback port, settings that point at it, MCP clients."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client

from revox_mcp.config import Settings
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.app import LoggedRequest
from revox_mcp.server import build_server

MODES = ["auto", "legacy"]
JOURNALS = ["sqlite", "postgres"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _start(db: Path) -> SandboxServer:
    return SandboxServer(db).start()


@pytest.fixture(scope="session")
def _session_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    server = _start(tmp_path_factory.mktemp("session") / "sandbox.db")
    yield server
    server.stop()


@pytest.fixture
def sandbox(_session_sandbox: SandboxServer) -> SandboxServer:
    """A sandbox in its seeded state, with no faults and an empty request log."""
    _session_sandbox.reset()
    return _session_sandbox


@pytest.fixture(scope="module")
def shared_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    """One sandbox for a module whose tests each touch different state (cheaper than one per test)."""
    server = _start(tmp_path_factory.mktemp("shared") / "sandbox.db")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[Any]:
    """A PostgreSQL server for the whole run (started here, as an unprivileged user when run as root)."""
    from tests.pg import PostgresServer, pg_bin_dir

    if pg_bin_dir() is None:
        pytest.skip("no PostgreSQL binaries (initdb, pg_ctl) on this machine; set REVOX_PG_BIN to their folder")
    with PostgresServer() as server:
        yield server


_databases = itertools.count(1)


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest) -> str:
    """A new empty database on the session's server, so no test sees another's rows."""
    return request.getfixturevalue("postgres").create_database(f"t{next(_databases)}")


@pytest.fixture(params=JOURNALS)
def journal_on(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """Settings overrides that turn the journal on, once per backend: the same test runs on both."""
    if request.param == "postgres":
        return {"journal_url": request.getfixturevalue("postgres_url")}
    return {"journal_path": tmp_path / "journal.db"}


def fast_settings(sandbox: SandboxServer, **overrides: Any) -> Settings:
    """Settings for the sandbox with short backoff, so retry tests take milliseconds, not seconds."""
    values: dict[str, Any] = {
        "api_key": sandbox.api_key,
        "base_url": sandbox.url,
        "backoff_base_s": 0.01,
        "backoff_max_s": 0.05,
        "read_timeout_s": 5.0,
        # A write without an answer is decided this long after it was sent (in production: the client's
        # timeouts plus a margin), so the tests of undecided writes take a fraction of a second.
        "write_grace_s": 0.3,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(sandbox: SandboxServer) -> Settings:
    return fast_settings(sandbox)


@asynccontextmanager
async def mcp_client(settings: Settings, mode: str = "auto", server: Any = None) -> AsyncIterator[Client]:
    async with Client(server or build_server(settings), mode=mode) as client:  # type: ignore[arg-type]
        yield client


def writes(sandbox: SandboxServer) -> list[LoggedRequest]:
    """Every request that could have changed data, as the sandbox logged it."""
    return [r for r in sandbox.app.state.sandbox.requests if r.method in ("PATCH", "POST", "PUT", "DELETE")]


def requests_to(sandbox: SandboxServer, method: str) -> list[LoggedRequest]:
    return [r for r in sandbox.app.state.sandbox.requests if r.method == method]


def add_fault(sandbox: SandboxServer, **fault: Any) -> None:
    """Queue a fault through the sandbox's HTTP control surface, as any outside test tool would."""
    response = httpx.post(
        f"{sandbox.url}/_sandbox/faults", json=fault, headers={"Authorization": f"Bearer {sandbox.api_key}"}
    )
    response.raise_for_status()


def stored(sandbox: SandboxServer, assistant_id: str) -> dict[str, Any]:
    """The row as the sandbox persisted it, read straight from its store."""
    row = sandbox.store.get(assistant_id)
    assert row is not None
    return row


def text_of(result: Any) -> str:
    """The text content of a tool result, joined."""
    return "\n".join(b.text for b in result.content if b.type == "text")


def offered_tools() -> set[str]:
    """The tools a server offers with the default policy (place_test_call needs --test-numbers)."""
    from revox_mcp.policy import Policy
    from revox_mcp.tools import publish

    return set(publish(Policy()))
