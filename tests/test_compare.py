"""compare_assistants, the concurrent A/B: the seeded pair's known difference found the right way round, no
verdict where there is no difference, traffic that differs said so, unknown ids answered with the nearest
names, and the scan and the answer bounded; all through a real MCP client against the sandbox."""

from __future__ import annotations

import copy
import json
import random
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from revox_mcp import impact, sequential
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.ab_seed import AB_CAMPAIGN, CANDIDATE_CHANGED_AT, CANDIDATE_ID, CANDIDATE_NAME
from revox_mcp.sandbox.seed import RECEPTIONIST_ID, SALES_QUALIFIER_ID
from revox_mcp.tools import compare
from tests.conftest import fast_settings, mcp_client, requests_to, text_of

pytestmark = pytest.mark.timeout(60)

PAIR = {"assistant_id": SALES_QUALIFIER_ID, "candidate_id": CANDIDATE_ID}
MARCH = {"campaign_ids": [AB_CAMPAIGN["id"]]}


@pytest.fixture
def pair(sandbox: SandboxServer) -> SandboxServer:
    """The session sandbox with the seeded A/B pair (revox-mcp sandbox --ab-pair); reset after each test."""
    sandbox.app.state.sandbox.add_ab_pair()
    return sandbox


def _calls_of(sandbox: SandboxServer, prefix: str) -> list[dict[str, Any]]:
    return [c for c in sandbox.app.state.sandbox.calls if str(c["id"]).startswith(prefix)]


async def _compare(sandbox: SandboxServer, **arguments: Any) -> Any:
    async with mcp_client(fast_settings(sandbox)) as client:
        return await client.call_tool("compare_assistants", arguments)


def _ok(result: Any) -> dict[str, Any]:
    assert not result.is_error, text_of(result)
    answer: dict[str, Any] = result.structured_content
    return answer


# --- the seeded pair ---------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_the_seeded_pair_s_known_difference_is_found_the_right_way_round(pair: SandboxServer) -> None:
    better = _ok(await _compare(pair, **PAIR, **MARCH, look="planned"))
    swapped = _ok(
        await _compare(pair, assistant_id=CANDIDATE_ID, candidate_id=SALES_QUALIFIER_ID, **MARCH, look="planned")
    )
    assert (better["verdict"], swapped["verdict"]) == ("better", "worse")
    assert (better["assistant"]["success"], better["assistant"]["calls"]) == (12, 60)
    assert (better["candidate"]["success"], better["candidate"]["calls"]) == (24, 60)
    assert better["candidate"]["name"] == CANDIDATE_NAME and better["success_outcome"] == "interested"
    # The same test as change_impact's, on the same counts: 20% against 40% of 60.
    assert better["p_value"] == round(impact.two_proportions(12, 60, 24, 60)[1], 4) == 0.0168  # type: ignore[index]
    assert better["words"].startswith(
        f"Better: the candidate '{CANDIDATE_NAME}' did better than 'Solar lead qualifier (outbound)': 'interested' "
        "40% (24/60) on the candidate against 20% (12/60) on the assistant; p = 0.017"
    )
    assert better["test"] == compare.FIXED_HORIZON and better["calls_to_decide"] is None
    assert better["traffic"]["comparable"] and better["traffic"]["problems"] == []
    # The default window: since the later of the two's changes (the candidate's opening line).
    assert better["window"]["since"] == CANDIDATE_CHANGED_AT.isoformat()
    assert "last changed" in better["window"]["since_from"] and better["window"]["until_from"] == "now"


@pytest.mark.anyio
async def test_by_default_the_sequential_test_waits_for_more_calls_on_the_seeded_pair(pair: SandboxServer) -> None:
    """20% against 40% of 60 is short of the sequential test's bar: not yet, with how many more calls would
    decide it (both sides growing), and a p-value valid however often it is read."""
    answer = _ok(await _compare(pair, **PAIR, **MARCH))
    more = sequential.more_calls_to_decide(12, 60, 24, 60, grow_before=True)
    assert answer["verdict"] == "not yet" and answer["test"] == compare.SEQUENTIAL
    assert more is not None and answer["calls_to_decide"] == more and answer["calls_needed_per_side"] is None
    assert 0.05 < answer["p_value"] < 1
    assert answer["words"].startswith(
        "No verdict yet: 'interested' 40% (24/60) on the candidate against 20% (12/60) on the assistant; "
        f"always-valid p = {answer['p_value']:.3f} ({compare.SEQUENTIAL}); if the shares hold, about {more} more "
        "call(s) on the candidate"
    )
    assert "checking again before then is safe" in answer["words"]


@pytest.mark.anyio
async def test_a_clear_difference_is_decided_by_the_sequential_test(pair: SandboxServer) -> None:
    """Every candidate call that was not interested made interested: 12 against 54 of 60, decided early on."""
    for call in _calls_of(pair, "call_ab_b_"):
        if call["outcome"] == "not_interested":
            call["outcome"] = "interested"
    answer = _ok(await _compare(pair, **PAIR, **MARCH))
    assert answer["verdict"] == "better" and answer["test"] == compare.SEQUENTIAL, answer["words"]
    assert answer["p_value"] < sequential.ALPHA and answer["calls_to_decide"] is None
    assert answer["words"].startswith(f"Better: the candidate '{CANDIDATE_NAME}' did better than")
    assert "It decided once" in answer["words"]
    swapped = _ok(await _compare(pair, assistant_id=CANDIDATE_ID, candidate_id=SALES_QUALIFIER_ID, **MARCH))
    assert swapped["verdict"] == "worse"


@pytest.mark.anyio
async def test_all_the_traffic_of_both_still_finds_it(pair: SandboxServer) -> None:
    """Without a filter the qualifier's other calls of the week join its side (no campaign): still comparable."""
    answer = _ok(await _compare(pair, **PAIR, look="planned"))
    assert answer["verdict"] == "better", answer["words"]
    assert answer["assistant"]["calls"] > 60 and answer["candidate"]["calls"] == 60
    assert answer["traffic"]["comparable"], answer["traffic"]["problems"]
    assert 0 < answer["traffic"]["mix"]["campaign"]["distance"] <= compare.MIX_DISTANCE_MAX


@pytest.mark.anyio
async def test_two_assistants_with_no_difference_get_no_verdict(pair: SandboxServer) -> None:
    # The seed's callbacks: 6 of 60 on each side.
    callbacks = _ok(await _compare(pair, **PAIR, **MARCH, success="requested_callback_later", look="planned"))
    assert callbacks["verdict"] == "not yet" and callbacks["p_value"] == 1.0
    assert (
        "No clear difference yet" in callbacks["words"]
        and "no difference seen over 60 and 60 calls" in (callbacks["words"])
    )
    sequentially = _ok(await _compare(pair, **PAIR, **MARCH, success="requested_callback_later"))
    assert sequentially["verdict"] == "not yet" and sequentially["p_value"] == 1.0
    assert "the shares are equal so far" in sequentially["words"] and sequentially["calls_to_decide"] is None
    # An A/A: the candidate's calls given the qualifier's outcomes, call for call.
    outcomes = {c["id"].replace("_a_", "_b_"): c["outcome"] for c in _calls_of(pair, "call_ab_a_")}
    for call in _calls_of(pair, "call_ab_b_"):
        call["outcome"] = outcomes[call["id"]]
    same = _ok(await _compare(pair, **PAIR, **MARCH))
    assert same["verdict"] == "not yet" and same["candidate"]["success"] == same["assistant"]["success"] == 12


@pytest.mark.anyio
async def test_a_small_difference_says_how_many_calls_would_settle_it(pair: SandboxServer) -> None:
    """Half the candidate's extra interested leads undone: 12 against 18 of 60 is no verdict yet."""
    interested = [c for c in _calls_of(pair, "call_ab_b_") if c["outcome"] == "interested"]
    for call in interested[:6]:
        call["outcome"] = "not_interested"
    answer = _ok(await _compare(pair, **PAIR, **MARCH, look="planned"))
    needed = impact.calls_needed(12 / 60, 18 / 60)
    assert answer["verdict"] == "not yet" and answer["calls_needed_per_side"] == needed
    assert f"about {needed - 60} more call(s) per side would settle" in answer["words"]  # type: ignore[operator]


# --- traffic that is not comparable ------------------------------------------------------------------------


@pytest.mark.anyio
async def test_different_directions_and_campaigns_are_said_and_no_verdict_given(pair: SandboxServer) -> None:
    """The outbound qualifier against the inbound receptionist over the whole month."""
    result = await _compare(
        pair, assistant_id=SALES_QUALIFIER_ID, candidate_id=RECEPTIONIST_ID, since="2026-10-20T00:00:00Z"
    )
    answer = _ok(result)
    assert answer["verdict"] == "incomparable"
    assert answer["traffic"]["comparable"] is False
    problems = " | ".join(answer["traffic"]["problems"])
    assert "different direction mix: outbound 100% against inbound 100%" in problems
    assert answer["traffic"]["mix"]["direction"]["differs"] and answer["traffic"]["mix"]["campaign"]["differs"]
    assert text_of(result).startswith("Not comparable: the two did not get the same traffic (")
    assert "are no verdict" in answer["words"] and answer["test"] == compare.SEQUENTIAL


@pytest.mark.anyio
async def test_different_hours_alone_make_it_incomparable(pair: SandboxServer) -> None:
    """The candidate's calls all ran between 03:00 and 04:00 UTC (same days, same volumes): only the hours differ."""
    for call in _calls_of(pair, "call_ab_b_"):
        attempt = call["last_call_attempt"]
        attempt["started_at"] = attempt["started_at"][:11] + "03" + attempt["started_at"][13:]
    answer = _ok(await _compare(pair, **PAIR, **MARCH))
    assert answer["verdict"] == "incomparable"
    assert [p.split(":")[0] for p in answer["traffic"]["problems"]] == ["different hour (UTC) mix"]
    assert answer["traffic"]["mix"]["hours_utc"]["candidate"] == {"00-06": 1.0}


@pytest.mark.anyio
async def test_very_different_volumes_are_said(pair: SandboxServer) -> None:
    state = pair.app.state.sandbox
    dropped = {c["id"] for c in _calls_of(pair, "call_ab_b_")[15:]}
    state.calls = [c for c in state.calls if c["id"] not in dropped]
    answer = _ok(await _compare(pair, **PAIR, **MARCH))
    assert answer["verdict"] == "incomparable"
    assert "very different volumes: 60 calls on the assistant, 15 on the candidate" in answer["traffic"]["problems"]


def test_the_traffic_rule_against_hand_computed_values() -> None:
    # Chi-square tail probabilities at the tables' 5% and 1% points.
    for x, df, p in [(3.841, 1, 0.05), (5.991, 2, 0.05), (7.815, 3, 0.05), (12.592, 6, 0.05), (16.812, 6, 0.01)]:
        assert round(compare.chi2_sf(x, df), 3) == p
    assert compare.chi2_sf(0, 3) == 1.0
    # 2x2: 30/10 against 10/30: distance 0.5, chi-square 20 (p = 7.7e-6).
    distance, p_value = compare.mix_difference(Counter(a=30, b=10), Counter(a=10, b=30))
    assert distance == 0.5 and round(p_value, 7) == 0.0000077
    # A large distance on a few calls is chance (p over 0.01): not a difference by the rule.
    distance, p_value = compare.mix_difference(Counter(a=4, b=1), Counter(a=1, b=4))
    assert distance > compare.MIX_DISTANCE_MAX and p_value > compare.MIX_ALPHA
    assert compare.mix_difference(Counter(a=5), Counter(a=9)) == (0.0, 1.0)


# --- arguments ---------------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_unknown_ids_are_answered_with_the_nearest_names(pair: SandboxServer) -> None:
    result = await _compare(pair, assistant_id="asst_sales_qualifer", candidate_id="asst_sales_candidat")
    assert result.is_error
    text = text_of(result)
    assert 'assistant_id: got "asst_sales_qualifer"' in text and 'candidate_id: got "asst_sales_candidat"' in text
    assert text.count("Nearest: ") == 2 and f"{CANDIDATE_NAME} ({CANDIDATE_ID})" in text
    assert requests_to(pair, "POST") == [], "no call search before the ids are known"


@pytest.mark.anyio
async def test_a_window_that_cannot_hold_calls_is_refused(pair: SandboxServer) -> None:
    same = await _compare(pair, assistant_id=CANDIDATE_ID, candidate_id=CANDIDATE_ID)
    backwards = await _compare(pair, **PAIR, since="2026-11-20T00:00:00Z", until="2026-11-19T00:00:00Z")
    before_the_copy = await _compare(pair, **PAIR, until="2026-11-01T00:00:00Z")
    future = await _compare(pair, **PAIR, since="2999-01-01T00:00:00Z", until="2999-02-01T00:00:00Z")
    bad_time = await _compare(pair, **PAIR, since="last tuesday")
    assert all(r.is_error for r in (same, backwards, before_the_copy, future, bad_time))
    assert "candidate_id: got" in text_of(same) and "another assistant than assistant_id" in text_of(same)
    assert "- since: got since 2026-11-20" in text_of(backwards)
    assert "- until: got" in text_of(before_the_copy) and "last changed" in text_of(before_the_copy)
    assert "since in the past" in text_of(future)
    assert "- since: got 'last tuesday'" in text_of(bad_time)
    assert requests_to(pair, "POST") == []


@pytest.mark.anyio
async def test_a_window_with_no_calls_on_one_side_is_not_yet(pair: SandboxServer) -> None:
    """Before the copy existed, only the qualifier took calls."""
    answer = _ok(await _compare(pair, **PAIR, since="2026-11-01T00:00:00Z", until="2026-11-16T00:00:00Z"))
    assert answer["verdict"] == "not yet" and answer["candidate"]["calls"] == 0
    assert answer["words"].startswith(f"No finished calls for '{CANDIDATE_NAME}' between 2026-11-01")


# --- bounds ------------------------------------------------------------------------------------------------


class Steps:
    def __init__(self) -> None:
        self.seen: list[tuple[float, float | None, str | None]] = []

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        self.seen.append((progress, total, message))


@pytest.mark.anyio
async def test_the_scan_is_bounded_with_progress_and_the_answer_under_the_ceiling(pair: SandboxServer) -> None:
    """3,000 more calls of the pair in the window, over 40 campaigns: the scan stops at MAX_SCANNED, the window
    starts at the oldest call read (for both sides), and the answer keeps the ceiling."""
    state = pair.app.state.sandbox
    template = _calls_of(pair, "call_ab_")
    extra = []
    for i in range(3_000):
        call = copy.deepcopy(template[i % len(template)])
        moment = CANDIDATE_CHANGED_AT + timedelta(minutes=3 * i + 1)
        stamp = moment.isoformat().replace("+00:00", "Z")
        call.update(id=f"call_many_{i:04d}", created_at=stamp, campaign={"id": f"camp_{i % 40:02d}", "name": "x"})
        call["last_call_attempt"]["started_at"] = stamp
        extra.append(call)
    state.calls = sorted([*state.calls, *extra], key=lambda c: c["created_at"], reverse=True)
    steps = Steps()
    async with mcp_client(fast_settings(pair)) as client:
        result = await client.call_tool("compare_assistants", PAIR, progress_callback=steps)
    answer = _ok(result)
    searches = [r for r in requests_to(pair, "POST") if r.path == "/call/search"]
    assert len(searches) == compare.MAX_SCANNED // compare.SCAN_PAGE
    assert steps.seen[-1][:2] == (compare.MAX_SCANNED, compare.MAX_SCANNED)
    assert answer["window"]["since_from"] == "the oldest call read (the scan's bound)"
    assert answer["window"]["since"] > CANDIDATE_CHANGED_AT.isoformat()
    assert any(f"Only the newest {compare.MAX_SCANNED:,} calls were read" in n for n in answer["notes"])
    assert answer["assistant"]["calls"] + answer["candidate"]["calls"] <= compare.MAX_SCANNED
    # 40 campaigns: the mix shows MIX_SHOWN and one "other".
    assert len(answer["traffic"]["mix"]["campaign"]["assistant"]) <= compare.MIX_SHOWN + 1
    structured = json.dumps(result.structured_content, separators=(",", ":")).encode()
    assert len(structured) <= 16_384 and len(text_of(result).encode()) <= 16_384
    assert "over_ceiling" not in result.structured_content


def test_the_pair_is_opt_in_and_leaves_the_seeded_history_as_it_was(tmp_path: Any) -> None:
    with SandboxServer(tmp_path / "plain.db") as plain, SandboxServer(tmp_path / "ab.db", ab_pair=True) as ab:
        plain_calls, ab_calls = plain.app.state.sandbox.calls, ab.app.state.sandbox.calls
        assert len(plain.store.list()) == 3 and CANDIDATE_ID in {a["id"] for a in ab.store.list()}
        assert [c for c in ab_calls if not c["id"].startswith("call_ab_")] == plain_calls
        assert len(ab_calls) - len(plain_calls) == 120
        assert ab.store.get(CANDIDATE_ID)["updated_at"] == CANDIDATE_CHANGED_AT.isoformat().replace(  # type: ignore[index]
            "+00:00", ".000000Z"
        )


def _simulated(rng: Any, n: int, hours: range = range(24)) -> list[dict[str, Any]]:
    """n calls of one traffic: 90% outbound, 80% over three campaigns, any hour of `hours` over two weeks."""
    calls = []
    for _ in range(n):
        moment = CANDIDATE_CHANGED_AT + timedelta(days=rng.randrange(14), hours=rng.choice(hours) - 9)
        stamp = moment.isoformat()
        calls.append(
            {
                "direction": "outbound" if rng.random() < 0.9 else "inbound",
                "campaign": {"id": rng.choice(["c1", "c2", "c3"])} if rng.random() < 0.8 else None,
                "created_at": stamp,
                "last_call_attempt": {"started_at": stamp},
            }
        )
    return calls


def test_an_honest_split_is_comparable_and_a_skewed_one_is_not_in_simulation() -> None:
    """300 simulated splits of one traffic (60 and 100 calls a side): the rule calls at most 5% incomparable;
    the candidate given only the 06-12 UTC calls: called incomparable every time."""
    rng = random.Random(2026)
    honest = [traffic_check_of(_simulated(rng, n), _simulated(rng, n)) for n in (60, 100) for _ in range(150)]
    assert sum(not ok for ok in honest) <= 0.05 * len(honest)
    skewed = [traffic_check_of(_simulated(rng, 60), _simulated(rng, 60, range(6, 12))) for _ in range(50)]
    assert not any(skewed)


def traffic_check_of(first: list[dict[str, Any]], second: list[dict[str, Any]]) -> bool:
    return bool(compare.traffic_check(first, second)["comparable"])
