"""An API answer that lacks a field says nothing of it: each read tool and call action through a real MCP client,
the sandbox behind the fault proxy changing its answers. A missing status, history or list is said unknown (or
the read fails saying what was missing), never read as "not paused", "never called" or "no calls"."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.campaigns import MARCH_ID
from tests.conftest import fast_settings, mcp_client, text_of
from tests.fault_proxy import FaultProxy, Rule

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(60)]


@pytest.fixture
async def proxy(sandbox: SandboxServer) -> AsyncIterator[FaultProxy]:
    async with FaultProxy(sandbox.url) as running:
        yield running


def without_status(answer: dict[str, Any]) -> dict[str, Any]:
    return {**answer, "call": {k: v for k, v in answer["call"].items() if k != "status"}}


async def test_a_resume_read_back_without_status_is_not_said_resumed(sandbox: SandboxServer, proxy: FaultProxy) -> None:
    settings = fast_settings(sandbox, base_url=proxy.url)
    async with mcp_client(settings) as client:
        # The first read (before the POST) is whole; the read after it lacks the status.
        proxy.add(Rule("GET", "/call/call_paused_01", "mutate", times=1, mutate=lambda a: a))
        proxy.add(Rule("GET", "/call/call_paused_01", "mutate", times=1, mutate=without_status))
        result = await client.call_tool("resume_call", {"id": "call_paused_01"})
    answer = result.structured_content or {}
    first = text_of(result).split("\n")[0]
    assert not result.is_error and answer["status_after"] is None, text_of(result)
    assert "its status could not be read back" in first and "resumed:" not in first, first
    assert any("without its status" in w for w in answer["warnings"]), answer["warnings"]


async def test_a_history_entry_without_do_not_contact_is_not_said_contactable(
    sandbox: SandboxServer, proxy: FaultProxy
) -> None:
    settings = fast_settings(sandbox, base_url=proxy.url)
    entry = {"count": 1.0, "last_called_at": "2026-11-01T10:00:00Z", "reached_human": False, "campaigns": []}
    proxy.add(
        Rule("GET", "/calls/phone-history", "mutate", mutate=lambda _: {"phone_history": {"+14155550188": entry}})
    )
    async with mcp_client(settings) as client:
        result = await client.call_tool("get_phone_history", {"phone_numbers": ["+14155550188"]})
    assert not result.is_error and "do-not-contact not said" in text_of(result), text_of(result)
    assert "never reached a person" in text_of(result)


async def test_a_phone_history_without_its_map_fails_saying_so(sandbox: SandboxServer, proxy: FaultProxy) -> None:
    settings = fast_settings(sandbox, base_url=proxy.url)
    proxy.add(Rule("GET", "/calls/phone-history", "mutate", mutate=lambda _: {"phone_history": None}))
    async with mcp_client(settings) as client:
        result = await client.call_tool("get_phone_history", {"phone_numbers": ["+14155550188"]})
    assert result.is_error and "without its phone_history map" in text_of(result), text_of(result)


async def test_a_call_search_without_its_list_fails_and_without_its_total_pages_on(
    sandbox: SandboxServer, proxy: FaultProxy
) -> None:
    settings = fast_settings(sandbox, base_url=proxy.url)
    async with mcp_client(settings) as client:
        proxy.add(Rule("POST", "/call/search", "mutate", mutate=lambda a: {"total_count": a["total_count"]}))
        listless = await client.call_tool("search_calls", {"page_size": 5})
        proxy.add(Rule("POST", "/call/search", "mutate", mutate=lambda a: {**a, "total_count": None}))
        untotalled = await client.call_tool("search_calls", {"page_size": 5, "page": 2})
    assert listless.is_error and "without its list of calls" in text_of(listless), text_of(listless)
    answer = untotalled.structured_content or {}
    assert not untotalled.is_error, text_of(untotalled)
    assert (len(answer["calls"]), answer["total"], answer["next_page"]) == (5, 10, 3), answer
    assert "did not say how many match" in text_of(untotalled)


async def test_campaign_rows_without_their_list_fail_saying_so(sandbox: SandboxServer, proxy: FaultProxy) -> None:
    settings = fast_settings(sandbox, base_url=proxy.url)
    proxy.add(Rule("GET", f"/campaigns/{MARCH_ID}/rows", "mutate", mutate=lambda _: {}))
    async with mcp_client(settings) as client:
        result = await client.call_tool("get_campaign", {"id": MARCH_ID, "rows": True})
    assert result.is_error and "without its list of rows" in text_of(result), text_of(result)
