"""Calls as evidence of their configuration (call_evidence): changes derived from the configuration each call
ran with, listed by list_changes (from_calls) and measured by change_impact, with no journal row behind them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import revox

from revox_mcp import call_evidence
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.catalog_seed import OLD_FIRST_SENTENCE, RETUNED_AT, TUNED_AT
from revox_mcp.sandbox.seed import REMINDER_ID
from tests.conftest import fast_settings, mcp_client, text_of

pytestmark = pytest.mark.timeout(120)


def _call(call_id: str, start: datetime, config: dict[str, Any]) -> dict[str, Any]:
    return {"id": call_id, "created_at": start.isoformat(), "assistant": config}


def _config(first_sentence: str, stamp: datetime) -> dict[str, Any]:
    return {"id": "a", "first_sentence": first_sentence, "name": "A", "updated_at": stamp.isoformat()}


DAY = datetime(2026, 11, 1, tzinfo=UTC)


def test_runs_of_one_configuration_become_changes_with_their_moments() -> None:
    old, new = _config("Hi.", DAY - timedelta(days=9)), _config("Hello.", DAY + timedelta(hours=5))
    calls = [_call(f"c{i}", DAY + timedelta(hours=i), old if i < 4 else new) for i in range(8)]
    # A call queued before the change that ran after it, with the old configuration: no run of its own.
    calls.append(_call("late", DAY + timedelta(hours=6, minutes=1), old))
    (change,) = call_evidence.changes("a", call_evidence.runs(calls[::-1], "a"))
    assert change.fields == ["first_sentence"]
    assert (change.before, change.after) == ({"first_sentence": "Hi."}, {"first_sentence": "Hello."})
    # The new configuration's updated_at (05:00) is after the first call that ran with it (04:00): that call
    # names the moment.
    assert change.named_by == "first call" and change.moment == DAY + timedelta(hours=4)
    assert change.stamp_before == old["updated_at"]
    assert call_evidence.parse_id(change.change_id) == (change.change_id[6:18], "a")


def test_an_updated_at_between_the_calls_names_the_moment() -> None:
    old, new = _config("Hi.", DAY - timedelta(days=9)), _config("Hello.", DAY + timedelta(hours=3, minutes=30))
    calls = [_call(f"c{i}", DAY + timedelta(hours=i), old if i < 4 else new) for i in range(8)]
    (change,) = call_evidence.changes("a", call_evidence.runs(calls, "a"))
    assert change.named_by == "updated_at" and change.moment == DAY + timedelta(hours=3, minutes=30)


def test_calls_joined_to_the_live_assistant_show_no_change() -> None:
    live = _config("Hello.", DAY + timedelta(days=30))
    calls = [_call(f"c{i}", DAY + timedelta(hours=i), live) for i in range(8)]
    assert call_evidence.changes("a", call_evidence.runs(calls, "a")) == []


def test_the_sandbox_calls_carry_the_configuration_of_their_time(tmp_path: Path) -> None:
    with SandboxServer(tmp_path / "s.db", tuning_history=True) as sandbox:
        sdk = revox.Revox(
            api_key=sandbox.api_key, base_url=sandbox.url, max_retries=0, _strict_response_validation=True
        )
        parsed = sdk.call.search(
            assistant_ids=[REMINDER_ID], campaign_ids=[], assignee_ids=[], from_phone_numbers=[], directions=[],
            outcomes=[], results=[], statuses=[], page=1, page_size=100,
        )  # fmt: skip
        sdk.close()
    by_id = {c.id: c for c in parsed.calls}
    before, after = by_id["call_tune_before_00"], by_id["call_tune_after_00"]
    assert before.assistant is not None and after.assistant is not None
    assert before.assistant.first_sentence == OLD_FIRST_SENTENCE != after.assistant.first_sentence
    assert before.assistant.updated_at < TUNED_AT.isoformat() <= after.assistant.updated_at


@pytest.mark.anyio
async def test_an_agent_finds_the_opening_line_change_from_calls_alone_and_measures_it(tmp_path: Path) -> None:
    with SandboxServer(tmp_path / "s.db", tuning_history=True) as sandbox:
        async with mcp_client(fast_settings(sandbox)) as client:
            plain = await client.call_tool("list_changes", {"assistant_id": REMINDER_ID})
            listed = await client.call_tool("list_changes", {"assistant_id": REMINDER_ID, "from_calls": True})
            rows = listed.structured_content["changes"]
            opening = next(r for r in rows if "first_sentence" in r["fields"])
            shown = await client.call_tool("list_changes", {"change_id": opening["change_id"]})
            measured = await client.call_tool("change_impact", {"change_id": opening["change_id"]})
            later = await client.call_tool("change_impact", {"change_id": rows[0]["change_id"]})
    assert plain.structured_content["changes"] == [] and "from_calls" in text_of(plain)
    assert text_of(listed).startswith("2 change(s) derived from calls shown, beside the journal's:")
    # Two changes, from calls alone (no journal row): the voice's speed, then (older) the opening line.
    assert [(r["kind"], r["fields"]) for r in rows] == [("from_calls", ["voice"]), ("from_calls", ["first_sentence"])]
    assert opening["created_at"] == TUNED_AT.isoformat().replace("+00:00", ".000000Z")
    assert rows[0]["created_at"] == RETUNED_AT.isoformat().replace("+00:00", ".000000Z")
    assert "Derived from calls" in opening["status_reason"] and opening["actor"] is None
    (diff,) = shown.structured_content["changes"][0]["changes"]
    assert (diff["path"], diff["before"]) == ("first_sentence", OLD_FIRST_SENTENCE)
    assert measured.structured_content["changed_at"] == TUNED_AT.isoformat()
    assert text_of(measured).startswith("Better: 'completed' went from 30% (9/30) to 67% (22/33)")
    assert later.structured_content["verdict"] == "not yet"


@pytest.mark.anyio
async def test_from_calls_needs_an_assistant_and_an_unknown_derived_id_is_named(tmp_path: Path) -> None:
    with SandboxServer(tmp_path / "s.db", tuning_history=True) as sandbox:
        async with mcp_client(fast_settings(sandbox)) as client:
            alone = await client.call_tool("list_changes", {"from_calls": True})
            unknown = await client.call_tool("change_impact", {"change_id": f"calls_{'0' * 12}_{REMINDER_ID}"})
    assert alone.is_error and "from_calls" in text_of(alone) and "assistant_id" in text_of(alone)
    assert unknown.is_error and "from_calls" in text_of(unknown)
