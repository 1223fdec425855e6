"""The MCP logging capability: a client sets a level and receives the server's own records of its requests
(`notifications/message`, with the logger name), masked, and never another session's."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx2
import mcp_types as types
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from revox_mcp.client_logs import _RequestSink, mcp_level, render
from revox_mcp.config import DEFAULT_MAX_LOG_CHARS, Settings
from revox_mcp.http_transport import MCP_PATH, HttpOptions, build_http_app
from revox_mcp.policy import Policy
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.seed import RECEPTIONIST_ID, SALES_QUALIFIER_ID
from revox_mcp.server import build_server
from revox_mcp.serving import AppServer
from tests.conftest import add_fault
from tests.test_stdio_raw import RawStdio

pytestmark = [pytest.mark.anyio, pytest.mark.filterwarnings("ignore::mcp.shared.exceptions.MCPDeprecationWarning")]
TOKEN = "logs-token-0123456789"
LLM_KEY = "sk-live-abcdefghijklmnop1234"


class Inbox:
    """Collects the log notifications one client receives."""

    def __init__(self) -> None:
        self.messages: list[types.LoggingMessageNotificationParams] = []

    async def __call__(self, params: types.LoggingMessageNotificationParams) -> None:
        self.messages.append(params)

    def texts(self) -> list[str]:
        return [str(m.data) for m in self.messages]


@pytest.fixture(autouse=True)
def debug_records(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    # In-process servers log through whatever level the host set; the CLI sets DEBUG itself (tested below).
    with caplog.at_level(logging.DEBUG, logger="revox_mcp"):
        yield


async def test_records_at_or_above_the_level_set_reach_the_client(sandbox: SandboxServer, settings: Settings) -> None:
    inbox = Inbox()
    async with Client(build_server(settings), mode="legacy", logging_callback=inbox) as client:
        assert client.server_capabilities.logging is not None
        await client.call_tool("get_assistant", {"id": SALES_QUALIFIER_ID})
        assert inbox.messages == [], "nothing is sent before the client asks"

        await client.set_logging_level("info")
        await client.call_tool("get_assistant", {"id": SALES_QUALIFIER_ID})
        assert [(m.level, m.logger) for m in inbox.messages] == [("info", "revox_mcp.server")]
        assert inbox.messages[0].data.startswith("get_assistant: Assistant 'Solar lead qualifier (outbound)'")  # type: ignore[union-attr]

        inbox.messages.clear()
        await client.set_logging_level("warning")
        add_fault(sandbox, method="GET", path=f"/assistants/{SALES_QUALIFIER_ID}", status=503, times=1)
        await client.call_tool("get_assistant", {"id": SALES_QUALIFIER_ID})
        assert [(m.level, m.logger) for m in inbox.messages] == [("warning", "revox_mcp.client")]
        assert "503" in inbox.texts()[0]

        # A protocol error passes through the forwarding unchanged.
        with pytest.raises(MCPError, match="Unknown resource"):
            await client.read_resource("revox://nothing/here")


async def test_the_2026_protocol_sends_records_only_to_requests_that_opt_in(settings: Settings) -> None:
    quiet, chatty = Inbox(), Inbox()
    server = build_server(settings)
    async with Client(server, logging_callback=quiet) as client:
        await client.call_tool("get_assistant", {"id": SALES_QUALIFIER_ID})
    async with Client(server, logging_callback=chatty, log_level="debug") as client:
        await client.call_tool("get_assistant", {"id": SALES_QUALIFIER_ID})
    assert quiet.messages == []
    assert [m.level for m in chatty.messages] == ["debug", "info"]
    assert chatty.texts()[0].startswith(f'get_assistant called with {{"id": "{SALES_QUALIFIER_ID}"}}')


async def test_secrets_never_reach_a_log_notification(settings: Settings) -> None:
    inbox = Inbox()
    async with Client(build_server(settings), mode="legacy", logging_callback=inbox) as client:
        await client.set_logging_level("debug")
        # The key first, so the shortened debug record of the arguments still holds it (masked).
        patch = {"llm_model": {"api_key": LLM_KEY, "type": "custom", "temperature": 9}}
        refused = await client.call_tool("update_assistant", {"patch": patch, "id": SALES_QUALIFIER_ID})
    assert refused.is_error
    assert len(inbox.messages) >= 2
    assert all(LLM_KEY not in t and str(settings.api_key) not in t for t in inbox.texts())
    assert any("sk-…1234" in t for t in inbox.texts()), "the masked form shows which key it was"


def test_render_masks_the_api_key_request_secrets_and_api_key_values() -> None:
    record = logging.LogRecord(
        "revox_mcp.x",
        logging.INFO,
        __file__,
        1,
        "key %s, body %s",
        ("server-key-0123456789", {"api_key": LLM_KEY}),
        None,
    )
    text = render(record, frozenset({"server-key-0123456789"}))
    assert "server-key-0123456789" not in text and LLM_KEY not in text
    assert text == "key …6789, body {'api_key': 'sk-…1234'}"


async def test_a_record_for_a_client_that_went_away_is_dropped_quietly() -> None:
    sink = _RequestSink(logging.DEBUG, frozenset())
    record = logging.LogRecord("revox_mcp.x", logging.INFO, __file__, 1, "late", None, None)
    await sink._receive.aclose()  # what deliver does when sending fails
    sink.offer(record)
    sink.close()
    sink.offer(record)


def test_python_levels_map_onto_mcp_levels() -> None:
    assert [mcp_level(n) for n in (5, 10, 20, 25, 30, 40, 50, 60)] == [
        "debug",
        "debug",
        "info",
        "notice",
        "warning",
        "error",
        "critical",
        "alert",
    ]


@asynccontextmanager
async def http_client(url: str, **options: Any) -> AsyncIterator[Client]:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)
    async with http, Client(streamable_http_client(url, http_client=http), mode="legacy", **options) as client:
        yield client


async def test_over_http_each_session_gets_only_its_own_records(settings: Settings) -> None:
    server = AppServer()
    server.app = build_http_app(settings, Policy(), HttpOptions(token=TOKEN, port=server.port), server.port)
    first, second = Inbox(), Inbox()
    with server:
        url = server.url + MCP_PATH
        async with http_client(url, logging_callback=first) as one, http_client(url, logging_callback=second) as two:
            await one.set_logging_level("info")
            await two.set_logging_level("info")
            await one.call_tool("get_assistant", {"id": SALES_QUALIFIER_ID})
            await two.call_tool("get_assistant", {"id": RECEPTIONIST_ID})
    assert len(first.messages) == 1 and SALES_QUALIFIER_ID in first.texts()[0]
    assert len(second.messages) == 1 and RECEPTIONIST_ID in second.texts()[0]


async def test_over_stdio_the_cli_sends_debug_records_when_asked(tmp_path: Path) -> None:
    inbox = Inbox()
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "revox_mcp", "serve", "--sandbox", "--sandbox-db", str(tmp_path / "s.db")]
    )
    async with Client(params, mode="legacy", logging_callback=inbox) as client:
        await client.set_logging_level("debug")
        await client.call_tool("list_assistants", {})
    assert [(m.level, m.logger) for m in inbox.messages] == [
        ("debug", "revox_mcp.server"),
        ("info", "revox_mcp.server"),
    ]
    assert inbox.texts()[1] == "list_assistants: 3 assistant(s)."


def _record(message: str) -> logging.LogRecord:
    return logging.LogRecord("revox_mcp.x", logging.INFO, __file__, 1, "%s", (message,), None)


def test_a_long_record_is_cut_with_a_marker_and_masked_in_what_is_kept() -> None:
    message = "x" * 4000 + f" {LLM_KEY} " + "y" * 60_000_000
    text = render(_record(message), frozenset({LLM_KEY}))
    assert len(text) <= DEFAULT_MAX_LOG_CHARS
    assert LLM_KEY not in text and "sk-…1234" not in text[4100:]
    assert text.endswith(f"of {len(message):,} characters not shown]")
    # The secret straddling the cut is masked whole, not half kept: nothing of it but its mask shows.
    assert LLM_KEY[:8] not in text
    assert render(_record("short"), frozenset()) == "short"


async def test_a_log_notification_of_a_huge_argument_is_capped(settings: Settings) -> None:
    inbox = Inbox()
    async with Client(build_server(settings), mode="legacy", logging_callback=inbox) as client:
        await client.set_logging_level("debug")
        await client.call_tool("list_assistants", {"name_contains": "q" * 300_000})
    assert inbox.messages, "the call is logged"
    # The argument is refused over its length bound before anything logs it; any record is capped anyway
    # (test_a_long_record_is_cut_with_a_marker_and_masked_in_what_is_kept shows the cut itself).
    assert max(len(t) for t in inbox.texts()) <= DEFAULT_MAX_LOG_CHARS


def test_a_stderr_log_line_of_a_huge_argument_is_capped(tmp_path: Path) -> None:
    server = RawStdio(tmp_path, "--log-level", "debug")
    server.initialize()
    call = {"name": "list_assistants", "arguments": {"name_contains": "q" * 300_000}}
    server.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": call}).encode())
    assert server.answer()["id"] == 1
    code, stderr = server.close()
    assert code == 0
    lines = stderr.splitlines()
    assert any("list_assistants" in line for line in lines), stderr[:2000]
    assert max(len(line) for line in lines) <= DEFAULT_MAX_LOG_CHARS
