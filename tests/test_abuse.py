"""Abuse, bounded: long finds, huge paging numbers, slow and oversized HTTP requests, forged Host and Origin.

Each test shows that the server stays responsive and answers with advice; together they run in seconds.
"""

from __future__ import annotations

import dataclasses
import random
import socket
import string
import time
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest

from revox_mcp.cli import main
from revox_mcp.config import Settings
from revox_mcp.http_transport import MCP_PATH, TOKEN_ENV, HttpLimits, HttpOptions, build_http_app
from revox_mcp.policy import Policy
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.seed import SALES_QUALIFIER_ID
from revox_mcp.server import build_server
from revox_mcp.serving import AppServer
from tests.conftest import mcp_client, text_of, writes

pytestmark = pytest.mark.anyio
SALES = SALES_QUALIFIER_ID


def _words(seed: int, chars: int) -> str:
    rng = random.Random(seed)
    vocabulary = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 9))) for _ in range(3000)]
    return " ".join(rng.choices(vocabulary, k=chars // 3))[:chars]


# --- long finds -----------------------------------------------------------------------------------


async def test_a_long_find_neither_freezes_the_server_nor_delays_other_sessions(
    sandbox: SandboxServer, settings: Settings
) -> None:
    # A 79,000-character prompt and a 10,000-character find that is nowhere in it: before the fix the
    # nearest-passage search held the event loop for 23 s and every other session waited.
    sandbox.store.update(SALES, {"prompt": _words(1, 79_000)})
    edit = {"op": "replace_text", "field": "prompt", "find": _words(2, 10_000), "replace": "x"}
    server = build_server(settings)
    timings: dict[str, float] = {}

    async def long_find(client: Any) -> None:
        start = time.perf_counter()
        result = await client.call_tool("update_assistant", {"id": SALES, "edits": [edit]})
        timings["find"] = time.perf_counter() - start
        assert result.is_error and "Nearest passage" in text_of(result)

    async def list_tools(client: Any) -> None:
        # Asked for 0.1 s after the find, while it runs: counted from then, so a blocked loop shows.
        due = time.perf_counter() + 0.1
        await anyio.sleep(0.1)
        await client.list_tools()
        timings["list"] = time.perf_counter() - due

    async with mcp_client(settings, server=server) as first, mcp_client(settings, server=server) as second:
        await second.list_tools()  # warm up: the first list builds nothing, but the session must be up
        async with anyio.create_task_group() as group:
            group.start_soon(long_find, first)
            group.start_soon(list_tools, second)
    assert timings["find"] < 2.0, timings
    assert timings["list"] < 0.5, timings
    assert writes(sandbox) == []


async def test_a_find_over_10000_characters_is_refused_by_the_schema(settings: Settings) -> None:
    edit = {"op": "replace_text", "field": "prompt", "find": "x" * 10_001, "replace": "y"}
    async with mcp_client(settings) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        result = await client.call_tool("update_assistant", {"id": SALES, "edits": [edit]})
    assert result.is_error and "edits[0].find" in text_of(result)
    variants = tools["update_assistant"].input_schema["properties"]["edits"]["items"]["anyOf"]
    replace = next(v for v in variants if "find" in v["properties"])
    assert replace["properties"]["find"]["maxLength"] == 10_000


# --- paging ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tool", "arguments", "path"),
    [
        ("list_changes", {"page": 10**20}, "page"),
        ("search_calls", {"page": 10**20}, "page"),
        ("get_call", {"id": "call_x", "turn_offset": 10**20}, "turn_offset"),
    ],
)
async def test_huge_paging_numbers_are_refused_with_advice(
    settings: Settings, tmp_path: Any, tool: str, arguments: dict[str, Any], path: str
) -> None:
    journaled = dataclasses.replace(settings, journal_path=tmp_path / "j.db")
    async with mcp_client(journaled) as client:
        result = await client.call_tool(tool, arguments)
    text = text_of(result)
    assert result.is_error and f"- {path}:" in text and "failed inside revox-mcp" not in text, text


# --- HTTP: slow and oversized requests, too many connections, forged Host and Origin --------------

TOKEN = "abuse-token-0123456789-abcdefghijklmnop"
LIMITS = HttpLimits(header_timeout_s=0.5, body_timeout_s=0.5, keep_alive_s=0.5, max_connections=24)
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}
HEADERS = {
    "Accept": "application/json, text/event-stream",
    "Content-Type": "application/json",
    "Authorization": f"Bearer {TOKEN}",
}


@pytest.fixture
def guarded(settings: Settings) -> Iterator[AppServer]:
    server = AppServer(uvicorn_options=LIMITS.uvicorn_options())
    options = HttpOptions(token=TOKEN, port=server.port, max_body_bytes=10_000, limits=LIMITS)
    server.app = build_http_app(settings, Policy(), options, server.port)
    with server:
        yield server


def raw(server: AppServer, data: bytes) -> socket.socket:
    conn = socket.create_connection(("127.0.0.1", server.port), timeout=3)
    if data:
        conn.sendall(data)
    return conn


def read_until_closed(conn: socket.socket) -> tuple[bytes, bool]:
    """Everything the server sends, and whether it ended the connection within the socket's timeout."""
    received = b""
    try:
        while chunk := conn.recv(65536):
            received += chunk
    except TimeoutError:
        return received, False
    except ConnectionResetError:
        pass
    return received, True


def closed_by_server(conn: socket.socket) -> bool:
    return read_until_closed(conn)[1]


def authorized_initialize(server: AppServer) -> float:
    start = time.perf_counter()
    response = httpx.post(server.url + MCP_PATH, json=INIT, headers=HEADERS, timeout=5)
    assert response.status_code == 200, response.text
    return time.perf_counter() - start


def test_slow_headers_do_not_lock_out_an_authorized_client(guarded: AppServer) -> None:
    partial = f"POST {MCP_PATH} HTTP/1.1\r\nHost: 127.0.0.1:{guarded.port}\r\nX-Slow: ".encode()
    slow = [raw(guarded, partial) for _ in range(20)]
    try:
        assert authorized_initialize(guarded) < 2.0
        # Each half-sent request is dropped once the header deadline passes.
        assert all(closed_by_server(conn) for conn in slow)
    finally:
        for conn in slow:
            conn.close()


def test_connections_past_the_cap_are_closed_and_the_rest_time_out(guarded: AppServer) -> None:
    idle = [raw(guarded, b"") for _ in range(LIMITS.max_connections)]
    try:
        extra = raw(guarded, b"")
        extra.settimeout(0.3)
        assert closed_by_server(extra), "a connection past the cap is closed at once"
        assert all(closed_by_server(conn) for conn in idle)
        assert authorized_initialize(guarded) < 2.0
    finally:
        for conn in idle:
            conn.close()


def test_a_slow_body_is_cut_off_with_a_408(guarded: AppServer) -> None:
    head = (
        f"POST {MCP_PATH} HTTP/1.1\r\nHost: 127.0.0.1:{guarded.port}\r\nAuthorization: Bearer {TOKEN}\r\n"
        "Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: 500\r\n\r\n"
    )
    conn = raw(guarded, head.encode() + b'{"jsonrpc": ')
    try:
        answer, closed = read_until_closed(conn)
        assert answer.startswith(b"HTTP/1.1 408"), answer
        assert b"did not arrive within" in answer and closed
    finally:
        conn.close()


def test_a_chunked_body_over_the_limit_gets_the_same_advice(guarded: AppServer) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(30):
            yield b" " * 1000

    response = httpx.post(guarded.url + MCP_PATH, content=chunks(), headers=HEADERS, timeout=5)
    assert response.status_code == 413
    message = response.json()["error"]["message"]
    assert "at most 10,000" in message and "replace_text" in message


@pytest.mark.parametrize(
    ("header", "value", "status"),
    [
        ("Host", "127.0.0.1:{port}.evil.example", 421),
        ("Host", "localhost:{port}@evil.example", 421),
        ("Host", "evil.example", 421),
        ("Origin", "http://127.0.0.1:{port}.evil.example", 403),
        ("Origin", "http://localhost.evil.example:3000", 403),
        ("Origin", "http://localhost:3000", 200),
        ("Host", "localhost:{port}", 200),
    ],
)
def test_host_and_origin_must_match_exactly(guarded: AppServer, header: str, value: str, status: int) -> None:
    response = httpx.post(
        guarded.url + MCP_PATH, json=INIT, headers={**HEADERS, header: value.format(port=guarded.port)}, timeout=5
    )
    assert response.status_code == status, response.text


def test_a_short_token_is_refused_with_one_line(capsys: pytest.CaptureFixture[str], monkeypatch: Any) -> None:
    monkeypatch.setenv(TOKEN_ENV, "short-token")
    assert main(["serve", "--http", "--sandbox", "--port", "0", "--no-journal"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len([line for line in err if TOKEN_ENV in line]) == 1 and "at least 32" in err[-1]


@pytest.mark.parametrize(
    ("field", "url"),
    [
        ("webhook_url", "https://hooks.example/x\x00.evil"),
        ("webhook_url", "https://hooks.example/\x1b[2J"),
        ("logo_url", "https://cdn.example/logo\x7f.png"),
        ("precall_lookup_url", "https://crm.example/lookup?phone={{phone}}\x00"),
        ("custom_tools[0].url", "https://hooks.example/book\x00"),
    ],
)
async def test_control_characters_in_urls_are_refused(
    sandbox: SandboxServer, settings: Settings, field: str, url: str
) -> None:
    if field.startswith("custom_tools"):
        tool: dict[str, Any] = {
            "name": "book",
            "description": "Book.",
            "method": "GET",
            "url": "https://hooks.example/book",
            "headers": [{"key": "Authorization", "value": "Bearer x"}],
            "query_params": [{"key": "lang", "value": "fr"}],
            "body_template": None,
            "input_schema": [],
        }
        patch: dict[str, Any] = {"custom_tools": [{**tool, "url": url}]}
    else:
        patch = {field: url}
    async with mcp_client(settings) as client:
        result = await client.call_tool("update_assistant", {"id": SALES, "patch": patch})
    assert result.is_error and f"patch.{field}" in text_of(result), text_of(result)
    assert writes(sandbox) == []


async def test_a_find_that_occurs_everywhere_gets_a_short_answer(sandbox: SandboxServer, settings: Settings) -> None:
    sandbox.store.update(SALES, {"prompt": "a b\n" * 20_000})
    edits = [{"op": "replace_text", "field": "prompt", "find": "a", "replace": "x"}]
    async with mcp_client(settings) as client:
        result = await client.call_tool("update_assistant", {"id": SALES, "edits": edits})
        too_many = await client.call_tool("update_assistant", {"id": SALES, "edits": edits * 101})
    text = text_of(result)
    assert "it occurs 20000 times (lines 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, …)" in text and len(text) < 2_000
    assert too_many.is_error and "a list of 0 to 100 items" in text_of(too_many)


def test_a_token_of_spaces_is_refused(capsys: pytest.CaptureFixture[str], monkeypatch: Any) -> None:
    """Review finding: 40 spaces passed the length check, and then no client could ever authenticate."""
    monkeypatch.setenv(TOKEN_ENV, " " * 40)
    assert main(["serve", "--http", "--sandbox", "--port", "0", "--no-journal"]) == 2
    assert "spaces or control characters" in capsys.readouterr().err
