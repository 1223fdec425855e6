"""The calls family through a real MCP client against the sandbox: search_calls with every filter and sort of
the SDK's CallSearchParams, the phone history, and the actions on a call order."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Required, get_origin, get_type_hints

import pytest
from mcp_types import CallToolResult
from revox.types import CallSearchParams

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
from revox_mcp.sandbox.catalog_seed import PENDING_PLAN, REMINDER_CAMPAIGN, SALES_ASSIGNEE
from revox_mcp.sandbox.seed import RECEPTIONIST_ID, REMINDER_ID, SALES_QUALIFIER_ID
from revox_mcp.serving import AppServer
from revox_mcp.tool_models import SearchCallsArgs
from revox_mcp.tools.context import search_body
from tests.conftest import add_fault, fast_settings, mcp_client, text_of

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(60)]
ALICE = "alice-token-0123456789abcdef0123456789"
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


def row_calls(sandbox: SandboxServer, keep: Any = lambda c: True) -> set[str]:
    """The campaigns' row calls that `keep` keeps, beside PENDING (the pending reminders are rows too): they are in
    the call store since the campaign sandbox and the call store became one world."""
    return {c["id"] for c in raw_calls(sandbox) if c["id"].startswith("call_row_") and keep(c)}


# --- search_calls: one test per filter ---------------------------------------------------------------------


async def test_statuses(settings: Settings, sandbox: SandboxServer) -> None:
    errored = await answer(settings, "search_calls", {"statuses": ["errored"]})
    assert [c["id"] for c in errored["calls"]] == ["call_errored_01", "call_row_march_solar_028"]
    assert {c["status"] for c in errored["calls"]} == {"errored"}
    waiting = await ids(settings, statuses=["scheduled", "queued_for_calling"])
    rows_waiting = row_calls(sandbox, lambda c: c["status"] in ("scheduled", "queued_for_calling"))
    assert rows_waiting and set(waiting) - rows_waiting == {
        "call_sched_01", "call_sched_02", "call_sched_03", "call_queued_01", "call_queued_02"
    }  # fmt: skip
    finished = await answer(settings, "search_calls", {"statuses": ["completed"], "page_size": 1})
    rows_done = row_calls(sandbox, lambda c: c["status"] == "completed")
    assert finished["total"] == 60 + len(rows_done) and finished["calls"][0]["status"] == "completed"
    bad = await call(settings, "search_calls", {"statuses": ["failed"]})
    assert bad.is_error and "statuses" in text_of(bad) and "errored" in text_of(bad)


async def test_assistant_ids_and_assistant_id_together(settings: Settings, sandbox: SandboxServer) -> None:
    def of(assistant_id: str) -> int:
        return len(row_calls(sandbox, lambda c: c["assistant"]["id"] == assistant_id))

    both = await answer(settings, "search_calls", {"assistant_ids": [RECEPTIONIST_ID, REMINDER_ID], "page_size": 1})
    assert both["total"] == 18 + 12 + len(PENDING) + of(REMINDER_ID)
    merged = await answer(
        settings, "search_calls", {"assistant_id": SALES_QUALIFIER_ID, "assistant_ids": [RECEPTIONIST_ID]}
    )
    assert merged["total"] == 30 + 18 + of(SALES_QUALIFIER_ID)


async def test_campaign_ids(settings: Settings, sandbox: SandboxServer) -> None:
    theirs = row_calls(sandbox, lambda c: c["campaign"]["id"] == REMINDER_CAMPAIGN["id"])
    assert set(await ids(settings, campaign_ids=[REMINDER_CAMPAIGN["id"]])) == PENDING | theirs
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
    # The reminder's 12, the pending reminders, and the row calls from that number (December reminders, Winter).
    assert len(reminders) == 12 + len(PENDING) + len(
        row_calls(sandbox, lambda c: c["from_phone_number"] == "+14155550177")
    )
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
    theirs = [c for c in raw_calls(sandbox) if (c["campaign"] or {}).get("id") == REMINDER_CAMPAIGN["id"]]
    planned = sorted(theirs, key=lambda c: (c["scheduled_at"], c["created_at"]), reverse=True)
    assert by_schedule == [c["id"] for c in planned]
    # The pending reminders' calls are scheduled the latest: they come first.
    assert by_schedule[:3] == ["call_sched_03", "call_sched_02", "call_sched_01"]
    first = (await answer(settings, "search_calls", {"statuses": ["scheduled"], "sort_by": "scheduled_at"}))["calls"]
    assert [c["scheduled_at"] for c in first] == sorted(
        (c["scheduled_at"] for c in raw_calls(sandbox) if c["status"] == "scheduled"), reverse=True
    )
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
    window = {"created_after": "2026-11-20T00:00:00Z", "created_before": "2026-11-21T00:00:00Z"}
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
        # 50 a page: 100 numbers are over the answer ceiling (the campaigns' row calls add theirs to the history).
        page = await answer(settings, "get_phone_history", {"limit": 50, "offset": offset})
        assert not seen & {r["phone_number"] for r in page["numbers"]}
        seen |= {r["phone_number"] for r in page["numbers"]}
        offset, pages = page["next_offset"], pages + 1
    assert len(seen) == first["total"] and pages == 1 + -(-(first["total"] - 10) // 50)
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


# --- cancel_call, pause_call, resume_call ------------------------------------------------------------------------


def status_of(sandbox: SandboxServer, call_id: str) -> str:
    return str(next(c["status"] for c in raw_calls(sandbox) if c["id"] == call_id))


def posts(sandbox: SandboxServer) -> list[str]:
    return [r.path for r in sandbox.app.state.sandbox.requests if r.method == "POST" and "/call/" in r.path]


async def rows(settings: Settings) -> list[JournalEntry]:
    journal = await open_journal(settings)
    try:
        return (await journal.page(None, 1, 50))[0]
    finally:
        await journal.aclose()


@pytest.fixture
def journalled(sandbox: SandboxServer, tmp_path: Path) -> Settings:
    return fast_settings(sandbox, journal_path=tmp_path / "journal.db")


async def test_pause_then_resume_a_queued_call(sandbox: SandboxServer, journalled: Settings) -> None:
    async with mcp_client(journalled) as client:
        paused = await client.call_tool("pause_call", {"id": "call_queued_01", "reason": "the office is closed"})
        assert not paused.is_error, text_of(paused)
        assert status_of(sandbox, "call_queued_01") == "paused"
        resumed = await client.call_tool("resume_call", {"id": "call_queued_01"})
        assert not resumed.is_error, text_of(resumed)
    assert status_of(sandbox, "call_queued_01") == "queued_for_calling"
    first, second = paused.structured_content, resumed.structured_content
    assert first is not None and second is not None
    assert (first["status_before"], first["status_after"]) == ("queued_for_calling", "paused")
    assert (second["status_before"], second["status_after"]) == ("paused", "queued_for_calling")
    assert first["assistant_id"] == REMINDER_ID and first["change_id"] and "resume_call" in first["undo"]
    assert "Call call_queued_01 paused: queued_for_calling -> paused." in text_of(paused)
    newest, oldest = await rows(journalled)
    assert (oldest.kind, oldest.target_type, oldest.target_id, oldest.status) == (
        "pause_call", "call", "call_queued_01", "applied"
    )  # fmt: skip
    assert oldest.change_id == first["change_id"] and oldest.assistant_id == REMINDER_ID
    assert oldest.reason == "the office is closed" and oldest.fields == ["status"]
    assert oldest.before == {"paused": False, "status": "queued_for_calling"}
    assert oldest.after == {"paused": True, "status": "paused"}
    assert oldest.action == {"method": "POST", "path": "/call/call_queued_01/pause", "expect": {"paused": True}}
    assert (newest.kind, newest.before, newest.after) == ("resume_call", {"paused": True, "status": "paused"},
                                                         {"paused": False})  # fmt: skip


async def test_cancel_a_scheduled_call(sandbox: SandboxServer, journalled: Settings) -> None:
    result = await call(journalled, "cancel_call", {"id": "call_sched_02", "reason": "patient rebooked"})
    assert not result.is_error, text_of(result)
    assert status_of(sandbox, "call_sched_02") == "cancelled"
    data = result.structured_content
    assert data is not None and (data["status_before"], data["status_after"]) == ("scheduled", "cancelled")
    assert "cannot be brought back" in data["undo"]
    (row,) = await rows(journalled)
    assert (row.kind, row.status, row.after) == ("cancel_call", "applied", {"paused": False, "status": "cancelled"})


@pytest.mark.parametrize(
    ("tool", "call_id", "status"),
    [
        ("cancel_call", "call_000", "completed"),
        ("cancel_call", "call_cancelled_01", "cancelled"),
        ("cancel_call", "call_errored_01", "errored"),
        ("pause_call", "call_paused_01", "paused"),
        ("pause_call", "call_000", "completed"),
        ("resume_call", "call_sched_01", "scheduled"),
        ("resume_call", "call_000", "completed"),
    ],
)
async def test_a_call_in_another_state_is_refused_and_nothing_sent(
    sandbox: SandboxServer, journalled: Settings, tool: str, call_id: str, status: str
) -> None:
    result = await call(journalled, tool, {"id": call_id})
    text = text_of(result)
    assert result.is_error and f"call {call_id}, whose status is '{status}'" in text, text
    assert "allowed: a call in status" in text and "search_calls with statuses" in text
    assert posts(sandbox) == [] and status_of(sandbox, call_id) == status
    assert await rows(journalled) == []


async def test_the_api_refusing_a_call_that_moved_meanwhile_is_a_failed_row(
    sandbox: SandboxServer, journalled: Settings
) -> None:
    """The check before is not the API's: a call that moved between the read and the POST is refused by the API
    (400 naming its status), and the row says failed."""
    moved = {**next(c for c in raw_calls(sandbox) if c["id"] == "call_000"), "status": "scheduled"}
    add_fault(sandbox, method="GET", path="/call/call_000", times=1, status=200, body={"call": moved})
    result = await call(journalled, "pause_call", {"id": "call_000"})
    assert result.is_error and "cannot be paused: its status is 'completed'" in text_of(result)
    (row,) = await rows(journalled)
    assert row.status == "failed" and "cannot be paused" in (row.status_reason or "")


@pytest.mark.parametrize("tool", ["cancel_call", "pause_call", "resume_call"])
async def test_an_unknown_call_is_refused(sandbox: SandboxServer, journalled: Settings, tool: str) -> None:
    result = await call(journalled, tool, {"id": "call_nope"})
    assert result.is_error and "No call with id 'call_nope'. Find call ids with search_calls." in text_of(result)
    assert posts(sandbox) == [] and await rows(journalled) == []


async def test_a_dry_run_sends_nothing(sandbox: SandboxServer, journalled: Settings) -> None:
    result = await call(journalled, "cancel_call", {"id": "call_sched_03", "dry_run": True})
    assert not result.is_error and "would be cancelled" in text_of(result)
    data = result.structured_content
    assert data is not None and (data["dry_run"], data["status_after"], data["change_id"]) == (True, "cancelled", None)
    assert posts(sandbox) == [] and status_of(sandbox, "call_sched_03") == "scheduled"
    assert await rows(journalled) == []


async def test_a_lost_answer_is_settled_by_reading_the_call(sandbox: SandboxServer, journalled: Settings) -> None:
    """The POST lands but its answer is lost (the connection drops): a re-read of the call shows it paused,
    so the row is applied, never failed, and the answer says how it was decided."""
    add_fault(sandbox, method="POST", path="/call/call_sched_01/pause", apply=True, drop=True)
    result = await call(journalled, "pause_call", {"id": "call_sched_01"})
    assert not result.is_error, text_of(result)
    assert status_of(sandbox, "call_sched_01") == "paused"
    data = result.structured_content
    assert data is not None and any("a re-read shows it landed" in w for w in data["warnings"])
    (row,) = await rows(journalled)
    assert row.status == "applied" and "re-read shows it landed" in (row.status_reason or "")


async def test_a_post_without_an_answer_that_may_still_land_stays_undecided(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    """No answer, and the call still reads scheduled while the request may still land (its grace has not
    passed): undecided, said so; the row stays pending and the next action on the call is refused, unsent."""
    settings = fast_settings(sandbox, journal_path=tmp_path / "journal.db", write_grace_s=600, settle_wait_max_s=0)
    add_fault(sandbox, method="POST", path="/call/call_sched_01/cancel", drop=True)
    result = await call(settings, "cancel_call", {"id": "call_sched_01"})
    text = text_of(result)
    assert result.is_error and "not confirmed" in text and "Do not send it again" in text, text
    (row,) = await rows(settings)
    assert row.status == "pending" and row.change_id in text
    again = await call(settings, "pause_call", {"id": "call_sched_01"})
    assert again.is_error and f"An earlier change to this call, {row.change_id}" in text_of(again)
    assert posts(sandbox) == ["/call/call_sched_01/cancel"] and status_of(sandbox, "call_sched_01") == "scheduled"


async def test_a_post_without_an_answer_that_did_not_land_is_failed(
    sandbox: SandboxServer, journalled: Settings
) -> None:
    add_fault(sandbox, method="POST", path="/call/call_sched_01/pause", drop=True)
    result = await call(journalled, "pause_call", {"id": "call_sched_01"})
    assert result.is_error and "did not land: nothing changed. It is safe to call again." in text_of(result)
    (row,) = await rows(journalled)
    assert row.status == "failed" and "did not land" in (row.status_reason or "")
    assert not (await call(journalled, "pause_call", {"id": "call_sched_01"})).is_error


# --- reverting (the journalled actions' core; revert_change routes action rows to it) ------------------------------


async def test_a_pause_is_reverted_by_a_resume_and_a_cancel_is_not(
    sandbox: SandboxServer, journalled: Settings
) -> None:
    async with mcp_client(journalled) as client:
        paused = (await client.call_tool("pause_call", {"id": "call_sched_01"})).structured_content
        cancelled = (await client.call_tool("cancel_call", {"id": "call_sched_02"})).structured_content
    assert paused is not None and cancelled is not None
    journal = await open_journal(journalled)
    try:
        async with RevoxClient(journalled) as client:
            runner = ActionRunner(client, journal)
            plan = await runner.revert(paused["change_id"], dry_run=True)
            assert (plan.kind, plan.dry_run, plan.after) == ("resume_call", True, {"paused": False})
            assert status_of(sandbox, "call_sched_01") == "paused"
            undone = await runner.revert(paused["change_id"], reason="back on", actor="alice")
            assert status_of(sandbox, "call_sched_01") == "scheduled"
            with pytest.raises(RevertRefused, match="cannot be brought back"):
                await runner.revert(cancelled["change_id"])
            # The resume can be reverted in turn (a pause again) ...
            again = await runner.revert(str(undone.change_id))
            assert again.kind == "pause_call" and status_of(sandbox, "call_sched_01") == "paused"
            # ... a row reverted already is not reverted again (it would undo the later pause) ...
            with pytest.raises(RevertRefused, match=f"already reverted by {undone.change_id}"):
                await runner.revert(paused["change_id"])
            # ... and a revert of a call that moved on since is refused, unsent.
            next(c for c in raw_calls(sandbox) if c["id"] == "call_sched_01")["status"] = "completed"
            with pytest.raises(RevertRefused, match="its status is 'completed'"):
                await runner.revert(str(again.change_id), force=True)
        row = await journal.get(str(undone.change_id))
    finally:
        await journal.aclose()
    assert row is not None and (row.kind, row.reverts, row.actor, row.reason) == (
        "resume_call", paused["change_id"], "alice", "back on"
    )  # fmt: skip


async def test_each_action_says_who_made_it_on_both_journals(
    sandbox: SandboxServer, journal_on: dict[str, Any]
) -> None:
    """Over HTTP with the operator's tokens file, on SQLite and PostgreSQL: the row names the person."""
    settings = fast_settings(sandbox, **journal_on)
    server = AppServer()
    actors = (Actor("alice", ALICE),)
    server.app = build_http_app(
        settings, Policy(), HttpOptions(token=None, port=server.port, actors=actors), server.port
    )
    server.start()
    try:
        async with connect(server.url + MCP_PATH, ALICE) as alice:
            paused = await alice.call_tool("pause_call", {"id": "call_queued_02", "reason": "storm tonight"})
            listed = await alice.call_tool("list_changes", {"change_id": paused.structured_content["change_id"]})  # type: ignore[index]
    finally:
        server.stop()
    assert not paused.is_error, text_of(paused)
    assert not listed.is_error, text_of(listed)
    (row,) = await rows(settings)
    assert (row.kind, row.actor, row.reason, row.status) == ("pause_call", "alice", "storm tonight", "applied")


async def test_revert_change_and_list_changes_through_mcp(sandbox: SandboxServer, journalled: Settings) -> None:
    async with mcp_client(journalled) as client:
        paused = (await client.call_tool("pause_call", {"id": "call_queued_02"})).structured_content
        cancelled = (await client.call_tool("cancel_call", {"id": "call_sched_03"})).structured_content
        assert paused is not None and cancelled is not None
        listed = await client.call_tool("list_changes", {"assistant_id": REMINDER_ID})
        undone = await client.call_tool("revert_change", {"change_id": paused["change_id"]})
        refused = await client.call_tool("revert_change", {"change_id": cancelled["change_id"]})
    assert not listed.is_error and listed.structured_content is not None, text_of(listed)
    kinds = [(r.get("kind"), r.get("target_id")) for r in listed.structured_content["changes"]]
    assert kinds == [("cancel_call", "call_sched_03"), ("pause_call", "call_queued_02")]
    assert not undone.is_error, text_of(undone)
    assert status_of(sandbox, "call_queued_02") == "queued_for_calling"
    assert refused.is_error and "cannot be brought back" in text_of(refused)
    assert status_of(sandbox, "call_sched_03") == "cancelled"


@pytest.mark.parametrize(
    "arguments",
    [{}, {"statuses": ["errored"], "call_ids": ["call_1"], "to_phone_number": "+14155550100", "query": "x",
          "sort_by": "calls_count", "sort_direction": "asc", "assistant_id": "a", "assistant_ids": ["b", "a"]}],
)  # fmt: skip
def test_the_search_body_is_the_sdks(arguments: dict[str, Any]) -> None:
    """Every list CallSearchParams requires is sent (empty: any), optional keys only when given, nothing else;
    page and page_size are added per request."""
    body = search_body(SearchCallsArgs(**arguments))
    # The SDK's module defers its annotations, so __required_keys__ is empty: Required[...] read from the hints.
    hints = get_type_hints(CallSearchParams, include_extras=True)
    marked = {k for k, v in hints.items() if get_origin(v) is Required}
    required = marked - {"page", "page_size"}
    assert len(required) == 8
    assert required <= set(body) <= set(CallSearchParams.__annotations__)
    assert all(isinstance(body[k], list) for k in required)
    if arguments:
        assert body["assistant_ids"] == ["a", "b"] and body["call_ids"] == ["call_1"]
        assert (body["sort_by"], body["sort_direction"], body["to_phone_number"]) == (
            "calls_count",
            "asc",
            "+14155550100",
        )
    else:
        assert set(body) == required | {"sort_by", "sort_direction"} and not any(body[k] for k in required)


async def test_an_answer_without_success_is_said(sandbox: SandboxServer, journalled: Settings) -> None:
    add_fault(sandbox, method="POST", path="/call/call_sched_01/pause", status=200, body={"success": False})
    result = await call(journalled, "pause_call", {"id": "call_sched_01"})
    assert not result.is_error, text_of(result)
    data = result.structured_content
    assert data is not None and data["status_after"] == "scheduled"
    assert text_of(result).startswith("Call call_sched_01 was not paused: it reads status 'scheduled'.")
    assert data["warnings"] == [
        "The API did not answer success: true, and the call now reads status 'scheduled': it was not paused."
    ]
    (row,) = await rows(journalled)
    assert row.after == {"success": False}
