"""The sandbox is one world: a campaign row's call is the call the call store holds. The call search finds it by
campaign_ids, the call actions act on it, and the campaign's rows and statistics follow; the pending reminder
calls are the December reminders campaign's rows. Through the official SDK (the sandbox's own shapes) and
through a real MCP client (what an agent sees)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import revox

from revox_mcp.config import Settings
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.campaigns import CAMPAIGN_SEEDS, MARCH_ID, REMINDERS_ID, WINTER_ID
from revox_mcp.sandbox.catalog_seed import PENDING_PLAN, REMINDER_CAMPAIGN
from tests.conftest import mcp_client, text_of

pytestmark = pytest.mark.timeout(60)
NO_FILTERS: dict[str, Any] = {
    "assignee_ids": [], "assistant_ids": [], "directions": [], "from_phone_numbers": [], "outcomes": [],
    "results": [], "statuses": [],
}  # fmt: skip


@pytest.fixture
def sdk(sandbox: SandboxServer) -> Iterator[revox.Revox]:
    client = revox.Revox(api_key=sandbox.api_key, base_url=sandbox.url, max_retries=0, _strict_response_validation=True)
    yield client
    client.close()


def searched(sdk: revox.Revox, campaign_id: str, **filters: Any) -> dict[str, str]:
    """Every call the search finds for the campaign: id -> status."""
    found = sdk.call.search(**{**NO_FILTERS, "campaign_ids": [campaign_id], "page": 1, "page_size": 100, **filters})
    assert len(found.calls) == found.total_count, "one page holds a campaign's calls"
    return {c.id: c.status for c in found.calls}


def row_calls(sdk: revox.Revox, campaign_id: str) -> dict[str, str]:
    """The campaign's rows' calls as GET /campaigns/{id}/rows answers them: id -> status."""
    return {r.call.id: r.call.status for r in sdk.campaigns.get_rows(campaign_id).rows if r.call}


def test_the_search_by_campaign_finds_exactly_each_campaigns_row_calls(sdk: revox.Revox) -> None:
    for seed in CAMPAIGN_SEEDS:
        rows = row_calls(sdk, seed["id"])
        assert rows and searched(sdk, seed["id"]) == rows, seed["id"]
        for call_id, status in list(rows.items())[:3]:
            assert sdk.call.retrieve(call_id).call.status == status


def test_the_pending_reminders_are_the_december_campaigns_rows(sdk: revox.Revox) -> None:
    assert REMINDER_CAMPAIGN["id"] == REMINDERS_ID
    rows = row_calls(sdk, REMINDERS_ID)
    assert {call_id for call_id, *_ in PENDING_PLAN} <= set(rows)
    assert {rows[call_id] for call_id, status, *_ in PENDING_PLAN} == {status for _, status, *_ in PENDING_PLAN}
    stats = sdk.campaigns.retrieve(REMINDERS_ID).campaign.row_stats
    assert stats is not None and stats.total == len(rows)
    # Three scheduled and two queued: pending; the paused one after a missed attempt: retry; errored: failed;
    # cancelled: skipped.
    assert (stats.pending, stats.retry, stats.failed, stats.skipped) == (5, 1, 1, 1)


def test_a_call_action_on_a_row_call_shows_in_its_campaign(sdk: revox.Revox) -> None:
    scheduled = next(i for i, s in row_calls(sdk, MARCH_ID).items() if s == "scheduled")
    before = sdk.campaigns.retrieve(MARCH_ID).campaign.row_stats
    assert before is not None
    sdk.call.cancel(scheduled)
    assert row_calls(sdk, MARCH_ID)[scheduled] == "cancelled" == searched(sdk, MARCH_ID)[scheduled]
    after = sdk.campaigns.retrieve(MARCH_ID).campaign.row_stats
    assert after is not None and after.total == before.total
    assert after.skipped == before.skipped + 1 and after.pending + after.retry == before.pending + before.retry - 1


def test_pausing_a_campaign_holds_its_waiting_calls_and_resuming_releases_them(sdk: revox.Revox) -> None:
    waiting = {i for i, s in row_calls(sdk, MARCH_ID).items() if s == "scheduled"}
    assert waiting
    sdk.call.pause(min(waiting))  # paused on its own: the campaign's resume leaves it paused
    sdk.campaigns.pause(MARCH_ID)
    held = searched(sdk, MARCH_ID, statuses=["paused"])
    assert set(held) == waiting and set(row_calls(sdk, MARCH_ID).values()) >= {"paused"}
    with pytest.raises(revox.BadRequestError, match="its status is 'paused'"):
        sdk.call.pause(max(waiting))
    sdk.campaigns.resume(MARCH_ID)
    assert set(searched(sdk, MARCH_ID, statuses=["paused"])) == {min(waiting)}
    assert set(searched(sdk, MARCH_ID, statuses=["scheduled"])) == waiting - {min(waiting)}


def test_a_campaign_seeded_paused_holds_its_waiting_calls(sdk: revox.Revox) -> None:
    statuses = row_calls(sdk, WINTER_ID)
    assert "paused" in statuses.values() and "scheduled" not in statuses.values()
    sdk.campaigns.resume(WINTER_ID)
    assert "paused" not in row_calls(sdk, WINTER_ID).values()


@pytest.mark.anyio
async def test_cancel_call_on_a_queued_row_call_moves_its_campaigns_counts(settings: Settings) -> None:
    async with mcp_client(settings) as client:
        found = await client.call_tool("search_calls", {"campaign_ids": [REMINDERS_ID], "page_size": 50})
        listed = {c["id"] for c in (found.structured_content or {})["calls"]}
        shown = await client.call_tool("get_campaign", {"id": REMINDERS_ID, "rows": True, "row_limit": 100})
        before = shown.structured_content or {}
        assert listed == {r["call_id"] for r in before["rows"] if r["call_id"]}
        cancelled = await client.call_tool("cancel_call", {"id": "call_queued_01", "reason": "moved the appointment"})
        assert not cancelled.is_error, text_of(cancelled)
        after = (await client.call_tool("get_campaign", {"id": REMINDERS_ID, "rows": True})).structured_content
    assert after is not None
    stats_before, stats_after = before["campaign"]["row_stats"], after["campaign"]["row_stats"]
    assert stats_after["pending"] == stats_before["pending"] - 1
    assert stats_after["skipped"] == stats_before["skipped"] + 1
    row = next(r for r in after["rows"] if r["call_id"] == "call_queued_01")
    assert row["status"] == "cancelled"
    assert after["statistics"]["effort"]["calls_total"] == before["statistics"]["effort"]["calls_total"]
