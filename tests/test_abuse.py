"""Abuse, bounded: long finds, huge paging numbers, slow and oversized HTTP requests, forged Host and Origin.

Each test shows that the server stays responsive and answers with advice; together they run in seconds.
"""

from __future__ import annotations

import dataclasses
import random
import string
import time
from typing import Any

import anyio
import pytest

from revox_mcp.config import Settings
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.seed import SALES_QUALIFIER_ID
from revox_mcp.server import build_server
from tests.conftest import mcp_client, writes
from tests.test_policy import text_of

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
