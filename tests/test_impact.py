"""change_impact: the statistics against hand-computed values and edge cases, the attribution of calls to
configurations, and the whole tool through MCP on calls with known outcome rates."""

from __future__ import annotations

import copy
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from revox_mcp import impact
from revox_mcp.config import Settings
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.seed import REMINDER_ID
from tests.conftest import fast_settings, mcp_client, text_of


def test_wilson_interval_against_hand_computed_values() -> None:
    low, high = impact.wilson(8, 10)  # type: ignore[misc]
    assert (round(low, 4), round(high, 4)) == (0.4902, 0.9433)
    assert impact.wilson(0, 0) is None
    assert impact.wilson(10, 10)[1] == 1.0 and round(impact.wilson(0, 10)[1], 4) == 0.2775  # type: ignore[index]


def test_two_proportion_test_against_hand_computed_values() -> None:
    z, p = impact.two_proportions(20, 100, 35, 100)  # type: ignore[misc]
    assert (round(z, 4), round(p, 4)) == (2.3754, 0.0175)
    assert impact.two_proportions(10, 10, 10, 10) is None, "all successes on both sides: nothing to test"
    assert impact.two_proportions(0, 0, 5, 10) is None
    assert impact.calls_needed(0.2, 0.35) == 138
    assert impact.calls_needed(0.3, 0.3) is None


def side(x: int, n: int) -> dict[str, Any]:
    return {"calls": n, "success": x}


def test_planned_verdicts_in_words() -> None:
    def planned(before: dict[str, Any], after: dict[str, Any], success: str = "interested") -> dict[str, Any]:
        return impact.verdict(before, after, success, look="planned")

    better = planned(side(20, 100), side(35, 100))
    assert better["verdict"] == "better" and better["look"] == "planned single look"
    assert (
        "(fixed-horizon z-test, two-sided, alpha 0.05, planned single look: not valid if read again)" in better["words"]
    )
    assert planned(side(35, 100), side(20, 100))["verdict"] == "worse"
    close = planned(side(4, 10), side(6, 10))
    assert close["verdict"] == "not yet" and "more call(s) per side" in close["words"]
    assert planned(side(0, 0), side(3, 5))["words"].startswith("No calls before")
    assert impact.verdict(side(20, 100), side(35, 100), "interested") == better, "no look named: the planned one"
    # Equal shares over 3 calls prove nothing (walkthrough finding): say when to come back instead.
    few = planned(side(22, 33), side(2, 3))["words"]
    assert "come back with at least 30 calls per side" in few and "would not change" not in few
    assert "no difference seen over 40 and 40 calls" in planned(side(20, 40), side(20, 40), "x")["words"]


def test_sequential_verdicts_in_words() -> None:
    """The default look: the sequential test, its words naming it; a difference the fixed test calls at
    p = 0.018 is not yet one the sequential test decides (its price for being valid at every look)."""

    def verdict(before: dict[str, Any], after: dict[str, Any], success: str = "interested") -> dict[str, Any]:
        return impact.verdict(before, after, success, look="any")

    clear = verdict(side(20, 200), side(70, 200))
    assert clear["verdict"] == "better" and clear["look"] == "valid at any look"
    assert clear["words"].startswith("Better: 'interested' went from 10% (20/200) to 35% (70/200); the sequential")
    assert "mixture SPRT, alpha 0.05, valid at any look" in clear["words"] and clear["p_value"] < 0.05
    assert verdict(side(70, 200), side(20, 200))["verdict"] == "worse"
    close = verdict(side(20, 100), side(35, 100))
    assert close["verdict"] == "not yet" and close["p_value"] > 0.05, close
    assert f"about {close['calls_to_decide']} more call(s) after the change would decide it" in close["words"]
    equal = verdict(side(20, 40), side(20, 40))["words"]
    assert "the shares are equal so far" in equal
    thin = verdict(side(1, 3), side(2, 3), "completed")["words"]
    assert "the 3 call(s) before the change are too few for the test" in thin and "lookback_days" in thin
    # 40 calls before at 50%: a 2-point difference is never decided against so few, however many come after.
    never = verdict(side(20, 40), side(520, 1000))
    assert never["calls_to_decide"] is None and "no number of calls after it would decide" in never["words"]


T = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


def call(
    n: int, start: datetime, minutes: int = 3, outcome: str | None = "interested", stamp: str | None = None
) -> dict:
    attempt = {
        "started_at": start.isoformat(),
        "ended_at": (start + timedelta(minutes=minutes)).isoformat(),
        "result": "human",
    }
    assistant = {"id": "a", **({"updated_at": stamp} if stamp else {})}
    return {"id": f"c{n}", "created_at": start.isoformat(), "outcome": outcome, "assistant": assistant,
            "call_attempts": [attempt], "last_call_attempt": attempt}  # fmt: skip


def test_calls_are_attributed_to_the_configuration_they_ran_with() -> None:
    calls = [
        call(1, T - timedelta(hours=2)),
        call(2, T - timedelta(minutes=1), minutes=5),  # under way at the change
        call(3, T + timedelta(hours=1)),
        call(4, T - timedelta(days=3)),  # before the previous change
        call(5, T + timedelta(days=3)),  # after the next change
        call(6, T + timedelta(hours=2), stamp="v1"),  # started after, but ran with the old configuration
    ]
    split = impact.attribute(calls, T, T - timedelta(days=1), T + timedelta(days=1), "v1")
    assert [c["id"] for c in split.before] == ["c1", "c6"]
    assert [c["id"] for c in split.after] == ["c3"]
    assert split.straddling == ["c2"] and split.other_configuration == 2


def seed_calls(sandbox: SandboxServer, moment: datetime, before: tuple[int, int], after: tuple[int, int]) -> None:
    """Calls of the reminder assistant: `before` = (interested, total) in the day before `moment`, `after` likewise."""
    template = next(
        c for c in sandbox.app.state.sandbox.calls if c["assistant"] and c["assistant"]["id"] == REMINDER_ID
    )
    calls = []
    for side, (hits, total), sign in (("b", before, -1), ("a", after, 1)):
        for i in range(total):
            start = moment + sign * timedelta(minutes=20 + 20 * i)
            made = copy.deepcopy(template)
            started = start.isoformat().replace("+00:00", "Z")
            ended = (start + timedelta(minutes=2)).isoformat().replace("+00:00", "Z")
            attempt = {**made["call_attempts"][0], "id": f"att_{side}{i}", "result": "human"}
            attempt.update(started_at=started, ended_at=ended)
            outcome = "interested" if i < hits else "not_interested"
            made.update(id=f"call_{side}{i}", created_at=started, outcome=outcome)
            made.update(call_attempts=[attempt], last_call_attempt=attempt)
            made["assistant"] = {k: v for k, v in made["assistant"].items() if k != "updated_at"}
            calls.append(made)
    state = sandbox.app.state.sandbox
    others = [c for c in state.calls if not (c["assistant"] and c["assistant"]["id"] == REMINDER_ID)]
    state.calls = sorted(others + calls, key=lambda c: c["created_at"], reverse=True)


@pytest.mark.anyio
async def test_a_change_that_helped_is_called_better(sandbox: SandboxServer, settings: Settings) -> None:
    seed_calls(sandbox, T, before=(8, 40), after=(24, 40))
    async with mcp_client(settings) as client:
        result = await client.call_tool("change_impact", {"assistant_id": REMINDER_ID, "at": T.isoformat()})
    assert not result.is_error, text_of(result)
    answer = result.structured_content
    assert answer["verdict"] == "better" and text_of(result).startswith(
        "Better: 'interested' went from 20% (8/40) to 60% (24/40)"
    )
    assert answer["before"]["success_interval_95"] == [round(b, 4) for b in impact.wilson(8, 40)]  # type: ignore[union-attr]


@pytest.mark.anyio
async def test_too_few_calls_is_not_yet(sandbox: SandboxServer, settings: Settings) -> None:
    seed_calls(sandbox, T, before=(2, 5), after=(3, 5))
    async with mcp_client(settings) as client:
        answer = (
            await client.call_tool("change_impact", {"assistant_id": REMINDER_ID, "at": T.isoformat()})
        ).structured_content
    assert answer["verdict"] == "not yet" and answer["look"] == "valid at any look"
    assert "the 5 call(s) before the change are too few for the test" in answer["words"]
    assert answer["calls_to_decide"] is None and answer["calls_needed_per_side"] is None


@pytest.mark.anyio
async def test_a_journalled_change_is_measured(sandbox: SandboxServer, tmp_path: Path) -> None:
    settings = fast_settings(sandbox, journal_path=tmp_path / "journal.db")
    async with mcp_client(settings) as client:
        change = (
            await client.call_tool("update_assistant", {"id": REMINDER_ID, "patch": {"name": "Reminder v2"}})
        ).structured_content
        moment = datetime.now(UTC)
        seed_calls(sandbox, moment, before=(5, 20), after=(15, 20))
        result = await client.call_tool("change_impact", {"change_id": change["change_id"]})
        revert = await client.call_tool("revert_change", {"change_id": change["change_id"]})
        after_revert = await client.call_tool("change_impact", {"change_id": change["change_id"]})
        missing = await client.call_tool("change_impact", {"change_id": "chg_nope"})
        neither = await client.call_tool("change_impact", {})
    assert result.structured_content["verdict"] == "better", text_of(result)
    reverted_by = revert.structured_content["change_id"]
    assert f"This change was reverted by {reverted_by}" in text_of(after_revert)
    assert missing.is_error and "list_changes" in text_of(missing)
    assert neither.is_error and "assistant_id and at" in text_of(neither)


@pytest.mark.anyio
async def test_a_change_whose_window_another_closed_is_unmeasurable_or_measured_with_it(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    """From a walkthrough: two changes seconds apart answered 'not yet', though waiting could never help."""
    settings = fast_settings(sandbox, journal_path=tmp_path / "journal.db")
    async with mcp_client(settings) as client:
        ids = []
        for name in ("Reminder v2", "Reminder v3"):  # within one second: the journal orders them
            change = await client.call_tool("update_assistant", {"id": REMINDER_ID, "patch": {"name": name}})
            ids.append(change.structured_content["change_id"])
        first, second = ids
        seed_calls(sandbox, datetime.now(UTC), before=(5, 20), after=(15, 20))
        alone = await client.call_tool("change_impact", {"change_id": first})
        next_one = await client.call_tool("change_impact", {"change_id": second})
        until = (datetime.now(UTC) + timedelta(days=1)).isoformat()
        together = await client.call_tool("change_impact", {"change_id": first, "until": until})
    assert alone.structured_content["verdict"] == "unmeasurable", text_of(alone)
    assert text_of(alone).startswith("No calls after the change before the next change (")
    assert "waiting will not help" in text_of(alone) and "Pass until" in text_of(alone)
    assert next_one.structured_content["verdict"] == "unmeasurable"
    assert text_of(next_one).startswith("No calls before the change since the change before it")
    assert together.structured_content["verdict"] == "better", text_of(together)
    assert f"The after side also holds the later change(s) {second}: measured together." in text_of(together)


@pytest.mark.anyio
async def test_a_moment_that_is_not_a_time_or_not_past_is_named(settings: Settings) -> None:
    async with mcp_client(settings) as client:
        garbled = await client.call_tool("change_impact", {"assistant_id": REMINDER_ID, "at": "around Nov 10"})
        future = await client.call_tool("change_impact", {"assistant_id": REMINDER_ID, "at": "2999-01-01T00:00:00Z"})
    assert garbled.is_error and "- at: got 'around Nov 10'" in text_of(garbled)
    assert future.is_error and "a moment in the past" in text_of(future)


# --- place_test_call ----------------------------------------------------------------------------------

TEST_NUMBER = "+14155550999"


def with_test_numbers(settings: Settings, tmp_path: Path) -> Any:
    from revox_mcp.policy import Policy
    from revox_mcp.server import build_server

    return build_server(settings, Policy.load(test_numbers=TEST_NUMBER, env={}))


@pytest.mark.anyio
async def test_test_calls_are_off_unless_the_operator_names_numbers(settings: Settings) -> None:
    async with mcp_client(settings) as client:
        names = {t.name for t in (await client.list_tools()).tools}
    assert "place_test_call" not in names


@pytest.mark.anyio
async def test_a_candidate_is_heard_on_a_test_call_without_changing_the_assistant(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    from revox.types import CallCreateResponse

    from revox_mcp.sandbox.seed import SALES_QUALIFIER_ID
    from tests.conftest import stored, writes

    settings = fast_settings(sandbox, journal_path=tmp_path / "journal.db")
    before = stored(sandbox, SALES_QUALIFIER_ID)
    candidate = {"voice": {"speed": 0.9}}
    edit = {"op": "replace_text", "field": "first_sentence", "find": "Do you have a quick minute?", "replace": "Hi!"}
    async with mcp_client(settings, server=with_test_numbers(settings, tmp_path)) as client:
        refused = await client.call_tool(
            "place_test_call", {"assistant_id": SALES_QUALIFIER_ID, "phone_number": "+14155550000"}
        )
        invalid = await client.call_tool(
            "place_test_call",
            {"assistant_id": SALES_QUALIFIER_ID, "phone_number": TEST_NUMBER, "patch": {"voice": {"speed": 3}}},
        )
        assert writes(sandbox) == [], "a number not allowed, or a candidate that fails, sends nothing"
        placed = await client.call_tool(
            "place_test_call",
            {"assistant_id": SALES_QUALIFIER_ID, "phone_number": TEST_NUMBER, "patch": candidate, "edits": [edit],
             "prompt_variables": {"first_name": "Ada"}, "reason": "hear the slower opening"},
        )  # fmt: skip
        call = await client.call_tool("get_call", {"id": placed.structured_content["call_id"]})
    assert refused.is_error and TEST_NUMBER in text_of(refused)
    assert invalid.is_error and "patch.voice.speed" in text_of(invalid)
    assert not placed.is_error, text_of(placed)
    answer = placed.structured_content
    assert {c["path"] for c in answer["candidate"]} == {"voice.speed", "first_sentence"}
    config = sandbox.app.state.sandbox.test_call_configs[answer["call_id"]]
    assert config["voice"]["speed"] == 0.9 and config["first_sentence"].endswith("Hi!") and "name" not in config
    # A "call now" dial (issue 23 item 6): outside the calling window it would otherwise wait for it.
    assert sandbox.app.state.sandbox.call_requests[-1]["skip_calling_window"] is True
    assert stored(sandbox, SALES_QUALIFIER_ID) == before, "the stored assistant is not changed"
    assert not call.is_error and "no phone call was placed" in text_of(call)
    raw = next(c for c in sandbox.app.state.sandbox.calls if c["id"] == answer["call_id"])
    CallCreateResponse.model_validate({"call": raw})  # the SDK's own answer shape
    from revox_mcp.journal import open_journal

    journal = await open_journal(settings)
    (record,) = await journal.test_calls(SALES_QUALIFIER_ID)
    await journal.aclose()
    assert (record["phone_number"], record["call_id"], record["reason"]) == (
        TEST_NUMBER, answer["call_id"], "hear the slower opening",
    )  # fmt: skip
    assert {c["path"] for c in record["candidate"]["changes"]} == {"voice.speed", "first_sentence"}


@pytest.mark.anyio
async def test_the_sandbox_tuning_history_gives_its_stated_answers(tmp_path: Path) -> None:
    from revox_mcp.sandbox.catalog_seed import RETUNED_AT, TUNED_AT

    with SandboxServer(tmp_path / "s.db", tuning_history=True) as sandbox:
        settings = fast_settings(sandbox)
        async with mcp_client(settings) as client:
            window = {"lookback_days": 7, "until": RETUNED_AT.isoformat()}
            tuned = await client.call_tool(
                "change_impact", {"assistant_id": REMINDER_ID, "at": TUNED_AT.isoformat(), **window}
            )
            retuned = await client.call_tool(
                "change_impact", {"assistant_id": REMINDER_ID, "at": RETUNED_AT.isoformat(), "lookback_days": 1}
            )
            planned = await client.call_tool(
                "change_impact",
                {"assistant_id": REMINDER_ID, "at": TUNED_AT.isoformat(), **window, "look": "planned"},
            )
    assert text_of(tuned).startswith(
        "Better: 'completed' went from 30% (9/30) to 67% (22/33); the sequential test (mixture SPRT, alpha 0.05, "
        "valid at any look) decided it once"
    )
    assert text_of(planned).startswith("Better: 'completed' went from 30% (9/30) to 67% (22/33); p = 0.004")
    assert planned.structured_content["look"] == "planned single look"
    assert retuned.structured_content["verdict"] == "not yet"


async def _four_changes(client: Any) -> list[str]:
    """Three renames of the reminder and the revert of the last, as fast as they go (well within a second)."""
    ids = []
    for name in ("Reminder v2", "Reminder v3", "Reminder v4"):
        change = await client.call_tool("update_assistant", {"id": REMINDER_ID, "patch": {"name": name}})
        ids.append(change.structured_content["change_id"])
    revert = await client.call_tool("revert_change", {"change_id": ids[-1]})
    return [*ids, revert.structured_content["change_id"]]


def _window(result: Any) -> str:
    found = re.search(r"outside the window (.+?(?:\)|now))\.", text_of(result))
    assert found, text_of(result)
    return found.group(1)


async def _impacts(client: Any, ids: list[str]) -> list[Any]:
    return [await client.call_tool("change_impact", {"change_id": change_id}) for change_id in ids]


@pytest.mark.anyio
async def test_four_changes_within_one_second_bound_each_others_windows(sandbox: SandboxServer, tmp_path: Path) -> None:
    """From issue 19: times stored to the second left changes within one second unordered, so a change's
    window ran 'to now' beside a note that it ends at its revert."""
    settings = fast_settings(sandbox, journal_path=tmp_path / "journal.db")
    async with mcp_client(settings) as client:
        ids = await _four_changes(client)
        changes = (await client.call_tool("list_changes", {"assistant_id": REMINDER_ID})).structured_content
        at = {c["change_id"]: impact.instant(c["created_at"]).isoformat() for c in changes["changes"]}  # type: ignore[union-attr]
        seed_calls(sandbox, datetime.now(UTC), before=(5, 20), after=(15, 20))
        first, second, third, revert = await _impacts(client, ids)
    a, b, c, d = (at[i] for i in ids)
    assert a < b < c < d, "each change has its own instant"
    assert _window(first).endswith(f"(lookback) to {b} (the next change, or until)")
    assert _window(second) == f"from {a} (the change before) to {c} (the next change, or until)"
    assert _window(third) == f"from {b} (the change before) to {d} (the next change, or until)"
    assert f"This change was reverted by {ids[3]}: the after side ends there." in text_of(third)
    assert _window(revert) == f"from {c} (the change before) to now"
    for result in (second, third):
        assert result.structured_content["verdict"] == "unmeasurable", text_of(result)


@pytest.mark.anyio
async def test_changes_stored_to_the_same_second_keep_their_order_of_writing(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    """Rows an older release stored to the second (migrated to '.000000Z') carry equal times: their order of
    writing still bounds each window (closed, not 'to now')."""
    path = tmp_path / "journal.db"
    settings = fast_settings(sandbox, journal_path=path)
    async with mcp_client(settings) as client:
        ids = await _four_changes(client)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE changes SET created_at = '2026-11-10T12:00:05.000000Z'")
    db.close()
    async with mcp_client(settings) as client:
        first, second, third, revert = await _impacts(client, ids)
    same = "2026-11-10T12:00:05+00:00"
    assert _window(second) == f"from {same} (the change before) to {same} (the next change, or until)"
    assert _window(third) == f"from {same} (the change before) to {same} (the next change, or until)"
    assert f"This change was reverted by {ids[3]}: the after side ends there." in text_of(third)
    assert _window(first).endswith(f"to {same} (the next change, or until)")
    assert _window(revert) == f"from {same} (the change before) to now"
    assert third.structured_content["verdict"] == "unmeasurable"


@pytest.mark.anyio
async def test_a_candidate_is_judged_as_update_assistant_judges_it_under_the_policy(sandbox: SandboxServer) -> None:
    """Issue 21.6: place_test_call checked its candidate without the policy's published schema, so an
    operator's extra field was refused there and accepted by update_assistant."""
    import httpx

    from revox_mcp.policy import Policy
    from revox_mcp.sandbox.seed import SALES_QUALIFIER_ID
    from revox_mcp.server import build_server

    # The API (the sandbox) knows a field this release does not; the operator lets agents set it.
    headers = {"Authorization": f"Bearer {sandbox.api_key}"}
    httpx.post(f"{sandbox.url}/_sandbox/newer-fields", json={"fields": ["voicemail_script"]}, headers=headers)
    settings = fast_settings(sandbox)
    policy = Policy.load(test_numbers=TEST_NUMBER, extra_fields="voicemail_script", deny="webhook_url", env={})
    call = {"assistant_id": SALES_QUALIFIER_ID, "phone_number": TEST_NUMBER}
    async with mcp_client(settings, server=build_server(settings, policy)) as client:
        outcomes = {}
        for name, patch in (
            ("extra", {"voicemail_script": "Call us back."}),
            ("denied", {"webhook_url": "https://x.example/h"}),
        ):
            update = await client.call_tool(
                "update_assistant", {"id": SALES_QUALIFIER_ID, "patch": patch, "dry_run": True}
            )
            test_call = await client.call_tool("place_test_call", {**call, "patch": patch})
            outcomes[name] = (update, test_call)
    update, test_call = outcomes["extra"]
    assert not update.is_error, text_of(update)
    assert not test_call.is_error, text_of(test_call)
    assert [c["path"] for c in test_call.structured_content["candidate"]] == ["voicemail_script"]
    config = sandbox.app.state.sandbox.test_call_configs[test_call.structured_content["call_id"]]
    assert config["voicemail_script"] == "Call us back."
    update, test_call = outcomes["denied"]
    assert update.is_error and test_call.is_error
    denied = [line for line in text_of(update).splitlines() if line.startswith("- patch.webhook_url")]
    assert denied and denied[0] in text_of(test_call), text_of(test_call)


@pytest.mark.anyio
async def test_an_extra_fields_masked_secret_sent_back_on_a_test_call_is_the_stored_one(sandbox: SandboxServer) -> None:
    """The call carries the candidate as update_assistant would write it: a mask sent back is never sent on."""
    import httpx

    from revox_mcp.policy import Policy
    from revox_mcp.sandbox.seed import SALES_QUALIFIER_ID
    from revox_mcp.server import build_server

    headers = {"Authorization": f"Bearer {sandbox.api_key}"}
    httpx.post(f"{sandbox.url}/_sandbox/newer-fields", json={"fields": ["crm_sync"]}, headers=headers)
    secret = "sk-live-abcdef1234567890"
    sandbox.store.update(SALES_QUALIFIER_ID, {"crm_sync": {"enabled": False, "api_key": secret}})
    settings = fast_settings(sandbox)
    policy = Policy.load(test_numbers=TEST_NUMBER, extra_fields="crm_sync", env={})
    async with mcp_client(settings, server=build_server(settings, policy)) as client:
        read = await client.call_tool("get_assistant", {"id": SALES_QUALIFIER_ID})
        shown = read.structured_content["assistant"]["crm_sync"]
        assert shown["api_key"] != secret
        patch = {"crm_sync": {**shown, "enabled": True}}
        placed = await client.call_tool(
            "place_test_call", {"assistant_id": SALES_QUALIFIER_ID, "phone_number": TEST_NUMBER, "patch": patch}
        )
    assert not placed.is_error, text_of(placed)
    config = sandbox.app.state.sandbox.test_call_configs[placed.structured_content["call_id"]]
    assert config["crm_sync"] == {"enabled": True, "api_key": secret}
