"""pause_campaign and resume_campaign through a real MCP client against the sandbox, journalled on both journal
backends with their actor and reason; a refused state sends nothing; a lost answer is settled by re-reading the
campaign's status; an undecided one is said and settled by the next action; each undoes the other."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bench.load import connect
from revox_mcp.actions import ActionRunner
from revox_mcp.actors import Actor
from revox_mcp.client import RevoxClient
from revox_mcp.config import Settings
from revox_mcp.errors import RevertRefused
from revox_mcp.http_transport import MCP_PATH, HttpOptions, build_http_app
from revox_mcp.journal import JournalEntry, open_journal
from revox_mcp.policy import Policy
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.campaigns import FEBRUARY_ID, MARCH_ID, OPEN_HOUSE_ID, WINTER_ID
from revox_mcp.sandbox.seed import SALES_QUALIFIER_ID
from revox_mcp.serving import AppServer
from revox_mcp.tools import TOOLS_BY_NAME
from tests.conftest import add_fault, fast_settings, mcp_client, text_of, writes
from tests.fault_proxy import FaultProxy, Rule

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(60)]
ALICE = "alice-token-0123456789abcdef0123456789"


def status(sandbox: SandboxServer, campaign_id: str) -> str:
    found = sandbox.app.state.campaigns.get(campaign_id)
    assert found is not None
    return str(found["status"])


async def rows(settings: Settings) -> list[JournalEntry]:
    journal = await open_journal(settings)
    try:
        entries, _ = await journal.page(None, 1, 50)
    finally:
        await journal.aclose()
    return entries


@pytest.fixture
def journalled(sandbox: SandboxServer, journal_on: dict[str, Any]) -> Settings:
    return fast_settings(sandbox, **journal_on)


async def test_pause_then_resume_are_journalled_with_actor_and_reason(
    sandbox: SandboxServer, journalled: Settings
) -> None:
    server = AppServer()
    options = HttpOptions(token=None, port=server.port, actors=(Actor("alice", ALICE),))
    server.app = build_http_app(journalled, Policy(), options, server.port)
    server.start()
    try:
        async with connect(server.url + MCP_PATH, ALICE) as alice:
            paused = await alice.call_tool("pause_campaign", {"id": MARCH_ID, "reason": "stop calls tonight"})
            assert status(sandbox, MARCH_ID) == "paused"
            resumed = await alice.call_tool("resume_campaign", {"id": MARCH_ID, "reason": "morning"})
    finally:
        server.stop()
    assert not paused.is_error and not resumed.is_error, text_of(paused) + text_of(resumed)
    answer = paused.structured_content or {}
    assert (answer["outcome"], answer["status_before"], answer["status_now"]) == ("applied", "running", "paused")
    assert answer["change_id"] and "revert_change or resume_campaign undoes it" in text_of(paused)
    assert status(sandbox, MARCH_ID) == "running"
    newest, older = (await rows(journalled))[:2]
    assert (older.kind, older.target_type, older.target_id, older.status) == (
        "pause_campaign", "campaign", MARCH_ID, "applied"
    )  # fmt: skip
    assert (older.actor, older.reason, older.assistant_id) == ("alice", "stop calls tonight", SALES_QUALIFIER_ID)
    assert older.before["status"] == "running" and (older.after or {})["status"] == "paused"
    assert (newest.kind, newest.actor, newest.reason) == ("resume_campaign", "alice", "morning")


async def test_a_campaign_already_there_sends_nothing(sandbox: SandboxServer, settings: Settings) -> None:
    async with mcp_client(settings) as client:
        result = await client.call_tool("pause_campaign", {"id": WINTER_ID})
    answer = result.structured_content or {}
    assert not result.is_error and answer["outcome"] == "unchanged" and answer["change_id"] is None
    assert "already paused: nothing was sent" in text_of(result)
    assert writes(sandbox) == []


@pytest.mark.parametrize(
    ("tool", "campaign", "words"),
    [
        ("pause_campaign", FEBRUARY_ID, "is completed: only a running campaign can be paused"),
        ("resume_campaign", OPEN_HOUSE_ID, "is cancelled: only a paused campaign can be resumed"),
        ("pause_campaign", OPEN_HOUSE_ID, "is cancelled"),
    ],
)
async def test_a_state_that_does_not_allow_it_is_refused_before_anything_is_sent(
    sandbox: SandboxServer, settings: Settings, tool: str, campaign: str, words: str
) -> None:
    async with mcp_client(settings) as client:
        result = await client.call_tool(tool, {"id": campaign})
    assert result.is_error and words in text_of(result) and "Nothing was sent" in text_of(result)
    assert writes(sandbox) == []


async def test_an_unknown_campaign_is_named_with_the_closest(sandbox: SandboxServer, settings: Settings) -> None:
    async with mcp_client(settings) as client:
        result = await client.call_tool("pause_campaign", {"id": "camp_march"})
    assert result.is_error and MARCH_ID in text_of(result) and "Nothing was changed" in text_of(result)
    assert writes(sandbox) == []


async def test_a_lost_answer_is_settled_by_re_reading_the_status(sandbox: SandboxServer, journalled: Settings) -> None:
    add_fault(sandbox, method="POST", path=f"/campaigns/{MARCH_ID}/pause", apply=True, drop=True)
    async with mcp_client(journalled) as client:
        result = await client.call_tool("pause_campaign", {"id": MARCH_ID})
    answer = result.structured_content or {}
    assert not result.is_error, text_of(result)
    assert answer["outcome"] == "applied" and answer["status_now"] == "paused"
    assert any("a re-read shows it landed" in w for w in answer["warnings"])
    assert (await rows(journalled))[0].status == "applied"


async def test_an_undecided_pause_is_said_and_the_next_call_settles_it(
    sandbox: SandboxServer, journalled: Settings
) -> None:
    headers = {"Authorization": f"Bearer {sandbox.api_key}"}
    body = httpx.get(f"{sandbox.url}/campaigns/{MARCH_ID}", headers=headers).json()
    # The first read is answered; the pause is cut off before it lands; every re-read fails.
    add_fault(sandbox, method="GET", path=f"/campaigns/{MARCH_ID}", status=200, body=body)
    add_fault(sandbox, method="GET", path=f"/campaigns/{MARCH_ID}", status=503, times=-1)
    add_fault(sandbox, method="POST", path=f"/campaigns/{MARCH_ID}/pause", drop=True)
    async with mcp_client(journalled) as client:
        undecided = await client.call_tool("pause_campaign", {"id": MARCH_ID})
        assert undecided.is_error and "Do not send it again" in text_of(undecided), text_of(undecided)
        (pending,) = [r for r in await rows(journalled) if r.kind == "pause_campaign"]
        assert pending.status == "pending"
        sandbox.app.state.sandbox.faults.clear()
        again = await client.call_tool("pause_campaign", {"id": MARCH_ID})
    assert not again.is_error, text_of(again)
    first, second = sorted(
        (r for r in await rows(journalled) if r.kind == "pause_campaign"), key=lambda r: r.created_at
    )
    # The re-read found it running, its grace passed: it did not land; the second one did.
    assert (first.status, second.status) == ("failed", "applied")
    assert status(sandbox, MARCH_ID) == "paused"


async def test_a_pause_is_undone_by_a_resume_and_a_resume_by_a_pause(
    sandbox: SandboxServer, journalled: Settings
) -> None:
    async with mcp_client(journalled) as client:
        paused = (await client.call_tool("pause_campaign", {"id": MARCH_ID})).structured_content or {}
        resumed = (await client.call_tool("resume_campaign", {"id": WINTER_ID})).structured_content or {}
    journal = await open_journal(journalled)
    try:
        async with RevoxClient(journalled) as api:
            runner = ActionRunner(api, journal)
            plan = await runner.revert(paused["change_id"], dry_run=True)
            assert plan.kind == "resume_campaign" and plan.after == {"status": "running"}
            undone = await runner.revert(paused["change_id"], reason="back on")
            assert undone.reverts == paused["change_id"] and status(sandbox, MARCH_ID) == "running"
            # Undone already: reverting it again would undo whatever came since; the answer names the revert.
            with pytest.raises(RevertRefused, match=f"already reverted by {undone.change_id}"):
                await runner.revert(paused["change_id"])
            await runner.revert(resumed["change_id"])
            assert status(sandbox, WINTER_ID) == "paused"
    finally:
        await journal.aclose()


def test_pause_and_resume_are_writes_a_read_only_server_does_not_offer() -> None:
    from revox_mcp.tools import publish

    for name in ("pause_campaign", "resume_campaign"):
        tool = TOOLS_BY_NAME[name]
        assert not tool.read_only and tool.annotations.destructive_hint is False
    offered = set(publish(Policy(read_only=True)))
    assert {"list_campaigns", "get_campaign"} <= offered and not {"pause_campaign", "resume_campaign"} & offered


async def test_revert_change_resumes_a_paused_campaign_and_list_changes_shows_the_rows(
    sandbox: SandboxServer, journalled: Settings
) -> None:
    async with mcp_client(journalled) as client:
        paused = (await client.call_tool("pause_campaign", {"id": MARCH_ID, "reason": "tonight"})).structured_content
        assert paused is not None and status(sandbox, MARCH_ID) == "paused"
        plan = await client.call_tool("revert_change", {"change_id": paused["change_id"], "dry_run": True})
        assert not plan.is_error and status(sandbox, MARCH_ID) == "paused", text_of(plan)
        undone = await client.call_tool("revert_change", {"change_id": paused["change_id"], "reason": "morning"})
        assert not undone.is_error, text_of(undone)
        listed = (await client.call_tool("list_changes", {"assistant_id": SALES_QUALIFIER_ID})).structured_content
    assert status(sandbox, MARCH_ID) == "running"
    assert "resume_campaign of campaign camp_march_solar" in text_of(undone)
    assert listed is not None
    kinds = [(c.get("kind"), c["reverts"]) for c in listed["changes"]]
    assert kinds == [("resume_campaign", paused["change_id"]), ("pause_campaign", None)]


async def test_without_a_journal_a_pause_still_works_and_says_it_is_not_journalled(
    sandbox: SandboxServer, settings: Settings
) -> None:
    async with mcp_client(settings) as client:
        result = await client.call_tool("pause_campaign", {"id": MARCH_ID})
    answer = result.structured_content or {}
    assert not result.is_error and answer["outcome"] == "applied" and answer["change_id"] is None, text_of(result)
    assert status(sandbox, MARCH_ID) == "paused" and "revert_change" not in text_of(result).splitlines()[0]


async def test_a_dry_run_checks_and_sends_nothing(sandbox: SandboxServer, journalled: Settings) -> None:
    async with mcp_client(journalled) as client:
        pause = await client.call_tool("pause_campaign", {"id": MARCH_ID, "dry_run": True})
        resume = await client.call_tool("resume_campaign", {"id": WINTER_ID, "dry_run": True})
        there = await client.call_tool("pause_campaign", {"id": WINTER_ID, "dry_run": True})
        refused = await client.call_tool("pause_campaign", {"id": FEBRUARY_ID, "dry_run": True})
    paused, resumed, unchanged = (r.structured_content or {} for r in (pause, resume, there))
    assert (paused["outcome"], paused["dry_run"], paused["status_now"], paused["change_id"]) == (
        "would_apply", True, "running", None
    )  # fmt: skip
    assert "would make it paused (effective now: no new call starts, calls under way finish)" in text_of(pause)
    assert resumed["outcome"] == "would_apply" and "Nothing was sent" in text_of(resume)
    assert unchanged["outcome"] == "unchanged" and unchanged["dry_run"] is True
    assert refused.is_error and "only a running campaign can be paused" in text_of(refused)
    assert writes(sandbox) == [] and await rows(journalled) == []
    assert (status(sandbox, MARCH_ID), status(sandbox, WINTER_ID)) == ("running", "paused")


async def test_a_pause_says_it_takes_effect_now(sandbox: SandboxServer, settings: Settings) -> None:
    async with mcp_client(settings) as client:
        result = await client.call_tool("pause_campaign", {"id": MARCH_ID})
    answer = result.structured_content or {}
    assert not result.is_error and (answer["outcome"], answer["dry_run"]) == ("applied", False), text_of(result)
    assert "running -> paused, effective now: no new call starts, calls under way finish" in text_of(result)


async def test_a_pause_answered_without_success_is_said_not_applied(sandbox: SandboxServer) -> None:
    async with FaultProxy(sandbox.url) as proxy:
        proxy.add(Rule("POST", f"/campaigns/{MARCH_ID}/pause", "status", status=200, body={"success": False}))
        async with mcp_client(fast_settings(sandbox, base_url=proxy.url)) as client:
            result = await client.call_tool("pause_campaign", {"id": MARCH_ID})
    answer = result.structured_content or {}
    assert (answer.get("outcome"), answer.get("status_now")) == ("not_applied", "running"), text_of(result)
    assert text_of(result).startswith("March solar leads (camp_march_solar) was not paused: the API did not answer")
    assert status(sandbox, MARCH_ID) == "running"
