"""The calls family through a real MCP client against the sandbox: search_calls with every filter and sort of
the SDK's CallSearchParams, the phone history, and the actions on a call order."""

from __future__ import annotations

from typing import Any

import pytest
from mcp_types import CallToolResult

from revox_mcp.config import Settings
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.catalog_seed import PENDING_PLAN, REMINDER_CAMPAIGN, SALES_ASSIGNEE
from revox_mcp.sandbox.seed import RECEPTIONIST_ID, REMINDER_ID, SALES_QUALIFIER_ID
from tests.conftest import mcp_client, text_of

pytestmark = pytest.mark.anyio
PENDING = {call_id for call_id, *_ in PENDING_PLAN}


async def call(settings: Settings, tool: str, arguments: dict[str, Any]) -> CallToolResult:
    async with mcp_client(settings) as client:
        return await client.call_tool(tool, arguments)


async def answer(settings: Settings, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await call(settings, tool, arguments)
    assert not result.is_error, text_of(result)
    assert result.structured_content is not None
    return result.structured_content


async def ids(settings: Settings, **filters: Any) -> list[str]:
    found = await answer(settings, "search_calls", {"page_size": 100, **filters})
    assert found["total"] == len(found["calls"]), "the tests read whole answers"
    return [c["id"] for c in found["calls"]]


def raw_calls(sandbox: SandboxServer) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = sandbox.app.state.sandbox.calls
    return calls


# --- search_calls: one test per filter ---------------------------------------------------------------------


async def test_statuses(settings: Settings) -> None:
    errored = await answer(settings, "search_calls", {"statuses": ["errored"]})
    assert [c["id"] for c in errored["calls"]] == ["call_errored_01"] and errored["calls"][0]["status"] == "errored"
    waiting = await ids(settings, statuses=["scheduled", "queued_for_calling"])
    assert set(waiting) == {"call_sched_01", "call_sched_02", "call_sched_03", "call_queued_01", "call_queued_02"}
    finished = await answer(settings, "search_calls", {"statuses": ["completed"], "page_size": 1})
    assert finished["total"] == 60 and finished["calls"][0]["status"] == "completed"
    bad = await call(settings, "search_calls", {"statuses": ["failed"]})
    assert bad.is_error and "statuses" in text_of(bad) and "errored" in text_of(bad)


async def test_assistant_ids_and_assistant_id_together(settings: Settings) -> None:
    both = await answer(settings, "search_calls", {"assistant_ids": [RECEPTIONIST_ID, REMINDER_ID], "page_size": 1})
    assert both["total"] == 18 + 12 + len(PENDING)
    merged = await answer(
        settings, "search_calls", {"assistant_id": SALES_QUALIFIER_ID, "assistant_ids": [RECEPTIONIST_ID]}
    )
    assert merged["total"] == 30 + 18


async def test_campaign_ids(settings: Settings) -> None:
    assert set(await ids(settings, campaign_ids=[REMINDER_CAMPAIGN["id"]])) == PENDING
    assert await ids(settings, campaign_ids=["camp_nothing"]) == []


async def test_assignee_ids(settings: Settings, sandbox: SandboxServer) -> None:
    assigned = await ids(settings, assignee_ids=[SALES_ASSIGNEE["id"]])
    interested = [c["id"] for c in raw_calls(sandbox) if c["outcome"] == "interested" and c["assignee"]]
    assert assigned and set(assigned) == set(interested)
    assert set(await ids(settings, outcomes=["interested"], assistant_id=SALES_QUALIFIER_ID)) == set(assigned)


async def test_call_ids(settings: Settings) -> None:
    assert sorted(await ids(settings, call_ids=["call_012", "call_sched_02", "call_404"])) == [
        "call_012",
        "call_sched_02",
    ]
    bad = await call(settings, "search_calls", {"call_ids": ["call 012"]})
    assert bad.is_error and "call_ids" in text_of(bad)


async def test_from_phone_numbers(settings: Settings, sandbox: SandboxServer) -> None:
    reminders = await ids(settings, from_phone_numbers=["+14155550177"])
    assert set(reminders) == {c["id"] for c in raw_calls(sandbox) if c["from_phone_number"] == "+14155550177"}
    assert len(reminders) == 12 + len(PENDING)
    bad = await call(settings, "search_calls", {"from_phone_numbers": ["0415555017"]})
    assert bad.is_error and "E.164" in text_of(bad)


async def test_to_phone_number(settings: Settings) -> None:
    found = await answer(settings, "search_calls", {"to_phone_number": "+14155558408"})
    assert {c["id"] for c in found["calls"]} == {"call_sched_01", "call_055"}
    assert {c["to_phone_number"] for c in found["calls"]} == {"+14155558408"}
    reception = await answer(settings, "search_calls", {"to_phone_number": "+33478000000", "page_size": 1})
    assert reception["total"] == 18


# --- search_calls: the sort ------------------------------------------------------------------------------------


async def test_sort_by_and_direction(settings: Settings, sandbox: SandboxServer) -> None:
    oldest_first = await answer(settings, "search_calls", {"sort_direction": "asc", "page_size": 5})
    stamps = sorted(c["created_at"] for c in raw_calls(sandbox))
    assert [c["created_at"] for c in oldest_first["calls"]] == stamps[:5]
    by_schedule = await ids(settings, campaign_ids=[REMINDER_CAMPAIGN["id"]], sort_by="scheduled_at")
    planned = sorted(PENDING_PLAN, key=lambda p: p[3], reverse=True)
    assert by_schedule == [call_id for call_id, *_ in planned]
    counts = {c["id"]: c["calls_count"] for c in raw_calls(sandbox)}
    retried = sum(1 for n in counts.values() if n == 2)
    most_tried = await answer(settings, "search_calls", {"sort_by": "calls_count", "page_size": retried + 1})
    assert retried > 1 and [counts[c["id"]] for c in most_tried["calls"]] == [2] * retried + [1]
    unplaced = sum(1 for n in counts.values() if n == 0)
    fewest = await answer(
        settings, "search_calls", {"sort_by": "calls_count", "sort_direction": "asc", "page_size": unplaced + 1}
    )
    assert unplaced > 1 and [counts[c["id"]] for c in fewest["calls"]] == [0] * unplaced + [1]
    bad = await call(settings, "search_calls", {"sort_by": "transcript"})
    assert bad.is_error and "sort_by" in text_of(bad) and "scheduled_at" in text_of(bad)


async def test_a_sort_applies_within_a_date_range(settings: Settings) -> None:
    """A date range is scanned newest first (the scan stops at the first call older than the range), then put
    in the order asked."""
    window = {"created_after": "2026-11-18T00:00:00Z", "created_before": "2026-11-19T00:00:00Z"}
    newest = await answer(settings, "search_calls", {**window, "page_size": 100})
    oldest = await answer(settings, "search_calls", {**window, "page_size": 100, "sort_direction": "asc"})
    assert newest["total"] == oldest["total"] > len(PENDING)
    assert [c["id"] for c in oldest["calls"]] == [c["id"] for c in newest["calls"]][::-1]
    scheduled = await answer(settings, "search_calls", {**window, "sort_by": "scheduled_at", "page_size": 3})
    assert [c["id"] for c in scheduled["calls"]] == ["call_sched_03", "call_sched_02", "call_sched_01"]


async def test_filters_combine(settings: Settings) -> None:
    found = await ids(
        settings,
        statuses=["scheduled", "paused"],
        campaign_ids=[REMINDER_CAMPAIGN["id"]],
        from_phone_numbers=["+14155550177"],
        direction="outbound",
    )
    assert set(found) == {"call_sched_01", "call_sched_02", "call_sched_03", "call_paused_01"}


# --- get_phone_history -----------------------------------------------------------------------------------------


async def test_have_we_already_called_this_number_in_one_call(settings: Settings, sandbox: SandboxServer) -> None:
    earlier = next(c for c in raw_calls(sandbox) if c["id"] == "call_055")
    result = await call(settings, "get_phone_history", {"phone_numbers": ["+14155558408", "+14155552231"]})
    assert not result.is_error, text_of(result)
    data = result.structured_content
    assert data is not None
    (row,) = data["numbers"]
    assert row["phone_number"] == "+14155558408" and row["calls"] == 1
    assert row["last_called_at"] == earlier["last_call_attempt"]["started_at"]
    assert row["last_outcome"] == earlier["outcome"]
    assert row["reached_human"] is (earlier["last_call_attempt"]["result"] == "human")
    # Only scheduled: never called yet, and the answer says where scheduled calls are.
    assert data["never_called"] == ["+14155552231"]
    text = text_of(result)
    assert "+14155558408: called 1 time(s)" in text and "Never called: +14155552231" in text
    assert "search_calls with statuses" in text


async def test_the_whole_history_is_paged_most_recent_first(settings: Settings) -> None:
    first = await answer(settings, "get_phone_history", {"limit": 10})
    assert len(first["numbers"]) == 10 and first["next_offset"] == 10 and first["total"] > 10
    stamps = [r["last_called_at"] for r in first["numbers"]]
    assert stamps == sorted(stamps, reverse=True)
    seen = {r["phone_number"] for r in first["numbers"]}
    offset, pages = first["next_offset"], 1
    while offset is not None:
        page = await answer(settings, "get_phone_history", {"limit": 100, "offset": offset})
        assert not seen & {r["phone_number"] for r in page["numbers"]}
        seen |= {r["phone_number"] for r in page["numbers"]}
        offset, pages = page["next_offset"], pages + 1
    assert len(seen) == first["total"] and pages == 2
    # The receptionist's own number is called by every inbound caller's call, not a contact: the history is
    # keyed by the contact's number.
    assert "+33478000000" not in seen


async def test_do_not_contact_hot_and_campaigns(settings: Settings, sandbox: SandboxServer) -> None:
    sales = [c for c in raw_calls(sandbox) if c["assistant"]["id"] == SALES_QUALIFIER_ID and c["outcome"]]
    refused = next(c["to_phone_number"] for c in sales if c["outcome"] == "not_interested")
    keen = next(c["to_phone_number"] for c in sales if c["outcome"] == "interested")
    found = await answer(settings, "get_phone_history", {"phone_numbers": [refused, keen, "+14155554417"]})
    rows = {r["phone_number"]: r for r in found["numbers"]}
    assert rows[refused]["do_not_contact"] is True and rows[refused]["hot"] is False
    assert rows[keen]["hot"] is True and rows[keen]["do_not_contact"] is False
    paused = rows["+14155554417"]
    assert paused["campaigns"] == [REMINDER_CAMPAIGN] and paused["campaigns_total"] == 1
    assert paused["reached_human"] is False and paused["last_outcome"] is None


async def test_phone_history_refuses_a_number_not_in_e164(settings: Settings) -> None:
    bad = await call(settings, "get_phone_history", {"phone_numbers": ["415 555 8408"]})
    assert bad.is_error and "phone_numbers" in text_of(bad) and "E.164" in text_of(bad)
