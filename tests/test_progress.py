"""Progress notifications (progress, total, message) on work that takes more than one API request, sent
only when the client passed a progress token: update_assistant and revert_change step by step, search_calls
page by page."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mcp_types as types
import pytest
from mcp import Client

from bench.load import connect
from revox_mcp.config import Settings
from revox_mcp.http_transport import MCP_PATH, HttpOptions, build_http_app
from revox_mcp.policy import Policy
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.catalog_seed import generate_calls
from revox_mcp.sandbox.seed import SALES_QUALIFIER_ID
from revox_mcp.server import build_server
from revox_mcp.serving import AppServer
from tests.conftest import MODES, fast_settings, mcp_client

pytestmark = [pytest.mark.anyio, pytest.mark.filterwarnings("ignore::mcp.shared.exceptions.MCPDeprecationWarning")]
TOKEN = "progress-token-0123456789"
Step = tuple[float, float | None, str | None]


class Steps:
    def __init__(self) -> None:
        self.seen: list[Step] = []

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        self.seen.append((progress, total, message))


def update(speed: float, **extra: Any) -> dict[str, Any]:
    return {"id": SALES_QUALIFIER_ID, "patch": {"voice": {"speed": speed}}, **extra}


@pytest.mark.parametrize("mode", MODES)
async def test_an_update_reports_read_check_and_write(sandbox: SandboxServer, tmp_path: Path, mode: str) -> None:
    settings = fast_settings(sandbox, journal_path=tmp_path / "journal.db")
    written, previewed, reverted = Steps(), Steps(), Steps()
    async with mcp_client(settings, mode) as client:
        preview = await client.call_tool("update_assistant", update(1.1, dry_run=True), progress_callback=previewed)
        done = await client.call_tool("update_assistant", update(1.2), progress_callback=written)
        change_id = done.structured_content["change_id"]  # type: ignore[index]
        await client.call_tool("revert_change", {"change_id": change_id}, progress_callback=reverted)
    assert not preview.is_error and not done.is_error
    assert written.seen == [
        (1, 3, f"Read {SALES_QUALIFIER_ID}"),
        (2, 3, "Checked the change to voice"),
        (3, 3, f"Written (change {change_id})"),
    ]
    assert previewed.seen[-1] == (3, 3, "Dry run: nothing written")
    assert [(p, t) for p, t, _ in reverted.seen] == [(1, 3), (2, 3), (3, 3)]
    assert reverted.seen[2][2] is not None and reverted.seen[2][2].startswith("Written (change ")


@pytest.fixture(scope="module")
def many_calls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    """A sandbox with 250 calls, so a date-range search scans three pages."""
    server = SandboxServer(tmp_path_factory.mktemp("calls") / "sandbox.db").start()
    state = server.app.state.sandbox
    state.calls = generate_calls({a["id"]: a for a in server.store.list()}, server.store.organization_id, count=250)
    yield server
    server.stop()


@pytest.mark.parametrize("mode", MODES)
async def test_a_date_range_search_reports_each_page_scanned(many_calls: SandboxServer, mode: str) -> None:
    steps = Steps()
    async with mcp_client(fast_settings(many_calls), mode) as client:
        found = await client.call_tool(
            "search_calls", {"created_after": "2000-01-01T00:00:00Z"}, progress_callback=steps
        )
    assert found.structured_content["total"] == 250  # type: ignore[index]
    assert steps.seen == [(n, 250, f"Scanned {n} of 250 calls") for n in (100, 200, 250)]


async def test_no_token_no_progress_notifications(settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="revox_mcp")
    received: list[Any] = []

    async def collect(message: Any) -> None:
        received.append(message)

    async with Client(build_server(settings), mode="legacy", message_handler=collect) as client:
        await client.set_logging_level("info")  # a notification that does arrive, so the handler is proven
        result = await client.call_tool("update_assistant", update(1.4))
    assert not result.is_error
    assert any(isinstance(m, types.LoggingMessageNotification) for m in received)
    assert not any(isinstance(m, types.ProgressNotification) for m in received)


async def test_progress_over_http(settings: Settings) -> None:
    server = AppServer()
    server.app = build_http_app(settings, Policy(), HttpOptions(token=TOKEN, port=server.port), server.port)
    steps = Steps()
    with server:
        async with connect(server.url + MCP_PATH, TOKEN) as client:
            result = await client.call_tool("update_assistant", update(1.25), progress_callback=steps)
    assert not result.is_error
    assert [(p, t) for p, t, _ in steps.seen] == [(1, 3), (2, 3), (3, 3)]
