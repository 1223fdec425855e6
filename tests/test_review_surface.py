"""Adversarial review of the surface added for issue 23 (creates, clones, numbers, campaigns, call actions, the
journal actions core, tool families), from outside: a real MCP client, the sandbox over HTTP, the fault proxy.

Each finding still real is a test marked xfail(strict=True, reason="review: ..."): the suite stays green while it
holds, and turns red the day it is fixed (then the mark goes). Tests without the mark hold today and guard it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client

from revox_mcp.config import Settings
from revox_mcp.journal import JournalEntry, open_journal
from revox_mcp.policy import Policy
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.campaigns import MARCH_ID
from revox_mcp.sandbox.seed import SALES_QUALIFIER_ID
from revox_mcp.schemas import body_schema
from revox_mcp.server import build_server
from tests.conftest import fast_settings, mcp_client, text_of
from tests.fault_proxy import FaultProxy, Rule

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(120)]


async def ok(client: Client, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, text_of(result)
    assert result.structured_content is not None
    return result.structured_content


async def journal_rows(settings: Settings) -> list[JournalEntry]:
    journal = await open_journal(settings)
    try:
        return (await journal.page(None, 1, 100))[0]
    finally:
        await journal.aclose()


def auth(sandbox: SandboxServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {sandbox.api_key}"}


def campaign_status(sandbox: SandboxServer, campaign_id: str) -> str:
    found = sandbox.app.state.campaigns.get(campaign_id)
    assert found is not None
    return str(found["status"])


def call_status(sandbox: SandboxServer, call_id: str) -> str:
    answer = httpx.get(f"{sandbox.url}/call/{call_id}", headers=auth(sandbox))
    answer.raise_for_status()
    return str(answer.json()["call"]["status"])


@pytest.fixture
def journalled(sandbox: SandboxServer, tmp_path: Path) -> Settings:
    return fast_settings(sandbox, journal_path=tmp_path / "journal.db")


@pytest.fixture
async def proxy(sandbox: SandboxServer) -> AsyncIterator[FaultProxy]:
    async with FaultProxy(sandbox.url) as running:
        yield running


# --- a lost create or clone: whose assistant is it? -------------------------------------------------------------


@pytest.mark.xfail(
    strict=True,
    reason="review: a create whose request never landed claims a same-named assistant someone else made meanwhile "
    "(applied, and its revert deletes the other's assistant)",
)
async def test_a_lost_create_does_not_claim_an_assistant_someone_else_created(
    sandbox: SandboxServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    settings = fast_settings(sandbox, base_url=proxy.url, journal_path=tmp_path / "journal.db")
    foreign: dict[str, Any] = {}

    def someone_else_creates(listing: dict[str, Any]) -> dict[str, Any]:
        # Another agent (another server, the Revox UI) makes an assistant of the same name while our POST is lost.
        if foreign or not any(method == "POST" for method, _, _ in proxy.seen):
            return listing
        made = httpx.post(
            f"{sandbox.url}/assistants", json={"name": "Night line", "prompt": "theirs"}, headers=auth(sandbox)
        )
        made.raise_for_status()
        foreign.update(made.json()["assistant"])
        return {**listing, "assistants": [*listing["assistants"], dict(foreign)]}

    proxy.add(Rule("GET", "/assistants", "mutate", times=-1, mutate=someone_else_creates))
    proxy.add(Rule("POST", "/assistants", "reset"))  # ours never reaches the API
    async with mcp_client(settings) as client:
        result = await client.call_tool("create_assistant", {"assistant": {"name": "Night line", "prompt": "ours"}})
        claimed = (result.structured_content or {}).get("assistant_id")
        if not result.is_error and claimed:
            await client.call_tool("revert_change", {"change_id": (result.structured_content or {})["change_id"]})
    assert foreign and proxy.landed["POST"] == 0
    assert claimed != foreign["id"], text_of(result)
    assert sandbox.store.get(foreign["id"]) is not None, "our revert deleted the other agent's assistant"


@pytest.mark.xfail(
    strict=True,
    reason="review: a clone whose request never landed claims a copy another server made of the same source "
    "(applied, the patch written onto the other's copy)",
)
async def test_a_lost_clone_does_not_patch_a_copy_someone_else_made(
    sandbox: SandboxServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    settings = fast_settings(sandbox, base_url=proxy.url, journal_path=tmp_path / "journal.db")
    foreign: dict[str, Any] = {}

    def someone_else_clones(listing: dict[str, Any]) -> dict[str, Any]:
        if foreign or not any(method == "POST" for method, _, _ in proxy.seen):
            return listing
        made = httpx.post(f"{sandbox.url}/assistants/{SALES_QUALIFIER_ID}/clone", headers=auth(sandbox))
        made.raise_for_status()
        foreign.update(made.json()["assistant"])
        return {**listing, "assistants": [*listing["assistants"], dict(foreign)]}

    proxy.add(Rule("GET", "/assistants", "mutate", times=-1, mutate=someone_else_clones))
    proxy.add(Rule("POST", f"/assistants/{SALES_QUALIFIER_ID}/clone", "reset"))
    async with mcp_client(settings) as client:
        result = await client.call_tool(
            "clone_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"first_sentence": "Ours, not theirs."}}
        )
    assert foreign and proxy.landed["POST"] == 0
    assert (result.structured_content or {}).get("assistant_id") != foreign["id"], text_of(result)
    assert sandbox.store.get(foreign["id"])["first_sentence"] != "Ours, not theirs."  # type: ignore[index]


# --- reverts of actions: what they may undo ----------------------------------------------------------------------


@pytest.mark.xfail(
    strict=True,
    reason="review: reverting a pause_campaign row a second time resumes a campaign paused again since by another "
    "change (no force asked)",
)
async def test_reverting_a_pause_again_does_not_undo_a_later_pause(
    sandbox: SandboxServer, journalled: Settings
) -> None:
    async with mcp_client(journalled) as client:
        first = await ok(client, "pause_campaign", {"id": MARCH_ID, "reason": "tonight"})
        await ok(client, "revert_change", {"change_id": first["change_id"]})
        assert campaign_status(sandbox, MARCH_ID) == "running"
        await ok(client, "pause_campaign", {"id": MARCH_ID, "reason": "another agent: the list is wrong, stop it"})
        again = await client.call_tool("revert_change", {"change_id": first["change_id"]})
    assert campaign_status(sandbox, MARCH_ID) == "paused", text_of(again)


@pytest.mark.xfail(
    strict=True,
    reason="review: reverting a pause_call row a second time resumes a call paused again since by another change",
)
async def test_reverting_a_call_pause_again_does_not_undo_a_later_pause(
    sandbox: SandboxServer, journalled: Settings
) -> None:
    async with mcp_client(journalled) as client:
        first = await ok(client, "pause_call", {"id": "call_queued_01"})
        await ok(client, "revert_change", {"change_id": first["change_id"]})
        assert call_status(sandbox, "call_queued_01") != "paused"
        await ok(client, "pause_call", {"id": "call_queued_01", "reason": "another agent: the patient asked"})
        again = await client.call_tool("revert_change", {"change_id": first["change_id"]})
    assert call_status(sandbox, "call_queued_01") == "paused", text_of(again)


@pytest.mark.xfail(
    strict=True,
    reason="review: a server offering only the assistants family resumes a campaign through revert_change of "
    "another server's pause row (the campaigns family is not offered there)",
)
async def test_a_server_without_the_campaigns_family_cannot_resume_a_campaign_by_revert(
    sandbox: SandboxServer, journalled: Settings
) -> None:
    async with mcp_client(journalled) as full:
        paused = await ok(full, "pause_campaign", {"id": MARCH_ID})
    assistants_only = Policy.load(env={}, known=body_schema(), tools="assistants")
    async with mcp_client(journalled, server=build_server(journalled, assistants_only)) as client:
        listed = {t.name for t in (await client.list_tools()).tools}
        assert "resume_campaign" not in listed and "revert_change" in listed
        result = await client.call_tool("revert_change", {"change_id": paused["change_id"]})
    assert campaign_status(sandbox, MARCH_ID) == "paused", text_of(result)
    assert result.is_error


@pytest.mark.xfail(
    strict=True,
    reason="review: a server offering only the assistants family re-routes a phone number through revert_change "
    "of an update_phone_number row (the numbers family is not offered there)",
)
async def test_a_server_without_the_numbers_family_cannot_route_a_number_by_revert(
    sandbox: SandboxServer, journalled: Settings
) -> None:
    numbers = {n["id"]: n for n in sandbox.app.state.sandbox.phone_numbers}
    before = (numbers["pn_01"].get("inbound_assistant") or {}).get("id")
    target = SALES_QUALIFIER_ID if before != SALES_QUALIFIER_ID else None
    async with mcp_client(journalled) as full:
        routed = await ok(full, "update_phone_number", {"id": "pn_01", "inbound_assistant_id": target or ""})
    assistants_only = Policy.load(env={}, known=body_schema(), tools="assistants")
    async with mcp_client(journalled, server=build_server(journalled, assistants_only)) as client:
        result = await client.call_tool("revert_change", {"change_id": routed["change_id"]})
    now = {n["id"]: n for n in sandbox.app.state.sandbox.phone_numbers}["pn_01"]
    assert (now.get("inbound_assistant") or {}).get("id") == target, text_of(result)
