"""The sequential verdict (revox_mcp.sequential): its ratio against a hand-computed value, its decision run call
by call, and simulations of the tuning loop's repeated looks (bench/sequential.py: pure Python, seeded) that
hold its stated error rate where the fixed-horizon test read the same way does not; then the unattended
prompt that uses it, through MCP."""

from __future__ import annotations

import functools
import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bench import sequential as simulation
from revox_mcp import impact, sequential
from revox_mcp.config import Settings
from revox_mcp.sandbox.seed import SALES_QUALIFIER_ID
from tests.conftest import mcp_client

ALPHA = sequential.ALPHA
# The simulations are pure and seeded: one run serves every test that reads the same changes.
figures = functools.cache(simulation.figures)


def test_the_mixture_ratio_against_a_hand_computed_value() -> None:
    # 30/100 before, 45/100 after: pooled 0.375, V = 0.375 * 0.625 * 0.02 = 0.0046875, D = 0.15, TAU^2 = 0.0225:
    # log L = 0.5 * ln(0.0046875 / 0.0271875) + 0.0225 * 0.0225 / (2 * 0.0046875 * 0.0271875).
    assert round(sequential.log_ratio(30, 100, 45, 100), 4) == 1.1073  # type: ignore[arg-type]
    assert round(sequential.TAU**2, 6) == 0.0225
    assert sequential.log_ratio(5, 9, 8, 9) is None, "under 10 calls a side: not computed"
    assert sequential.log_ratio(30, 300, 3, 10) is None, "about 1 success expected after: not computed"
    assert sequential.log_ratio(20, 40, 20, 40) < 0  # type: ignore[operator]


def test_a_decision_is_the_first_crossing_and_stays() -> None:
    test = sequential.Monitor()
    for i in range(100):
        test.add(False, i < 30)
    for _ in range(9):
        test.add(True, False)
    assert test.decision is None and test.p_value is None, "nothing testable before 10 calls after"
    while test.decision is None:
        test.add(True, False)
    crossed, p_then = test.calls[1], test.p_value
    assert test.decision.verdict == "worse" and test.decision.after == (0, crossed) and p_then <= ALPHA  # type: ignore[operator]
    for _ in range(200):
        test.add(True, True)  # the shares turn around: the decision made stays, the p-value is the smallest seen
    assert test.decision.verdict == "worse" and test.decision.after == (0, crossed)
    assert test.p_value <= p_then and test.p_value == min(1.0, math.exp(-test.best))  # type: ignore[operator, arg-type]


def test_the_calls_to_decide_are_where_the_test_would_decide() -> None:
    more = sequential.more_calls_to_decide(30, 100, 50, 100)
    assert more is not None and 0 < more < 1000
    crosses = sequential.log_ratio(30, 100, 0.5 * (100 + more), 100 + more)
    short = sequential.log_ratio(30, 100, 0.5 * (100 + more * 0.8), 100 + more * 0.8)
    assert crosses >= math.log(1 / ALPHA) > short  # type: ignore[operator]
    assert sequential.more_calls_to_decide(30, 100, 40, 100) is None, "100 calls before cannot tell 30% from 40%"
    assert sequential.more_calls_to_decide(30, 100, 40, 100, grow_before=True) is not None, "a concurrent A/B can"
    assert sequential.more_calls_to_decide(30, 100, 30, 100) is None


def test_the_calls_are_read_in_the_order_they_ran() -> None:
    """change_impact runs the test over the calls by start time, whatever order the API answered them in:
    12 confirmations right after the change decide it, though the shares at the end would not."""
    t = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)

    def made(n: int, minutes: int, outcome: str) -> dict[str, Any]:
        start = (t + timedelta(minutes=minutes)).isoformat()
        return {"id": f"c{n}", "created_at": start, "outcome": outcome, "last_call_attempt": {"started_at": start}}

    before = [made(i, -10 * (i + 1), "completed" if i < 6 else "none") for i in range(30)]
    after = [made(100 + i, 10 * (i + 1), "completed" if i < 12 else "none") for i in range(40)]
    test = impact.monitor(list(reversed(before)), list(reversed(after)), "completed")
    assert test.decision is not None and test.decision.verdict == "better" and test.decision.after == (12, 12)
    at_the_end = sequential.Monitor.of_counts(6, 30, 12, 40)
    assert at_the_end.decision is None, "one look at 6/30 against 12/40 decides nothing"
    summaries = impact.summary(before, "completed"), impact.summary(after, "completed")
    words = impact.verdict(*summaries, "completed", look="any", test=test)["words"]
    assert "decided it once 12 call(s) after the change had run" in words


def test_with_no_real_effect_the_loop_says_worse_at_most_alpha_of_the_time() -> None:
    """1,000 simulated changes that did nothing (30% before and after, 30 calls before as in the sandbox's
    history), looked at after every 10 calls up to 1,000: the sequential verdict says "worse" (the loop's
    revert) in at most ALPHA of them, and any verdict at all in at most ALPHA."""
    small = figures(runs=1000, seed=24, p_before=0.3, p_after=0.3, calls_before=30)
    assert small.worse <= ALPHA and small.worse + small.better <= ALPHA, small
    # A larger before side at the share with the most variance (the test's worst case among these).
    large = figures(runs=500, seed=25, p_before=0.5, p_after=0.5, calls_before=300)
    assert large.worse <= ALPHA and large.worse + large.better <= ALPHA, large


def test_the_fixed_horizon_test_read_the_same_way_says_worse_far_more_often() -> None:
    """The same 1,000 changes read by the fixed-horizon z-test at every look: each look alone is a 5% test
    (2.5% for "worse"), but 100 looks give it 100 chances, and the loop stops at the first "worse"."""
    same = figures(runs=1000, seed=24, p_before=0.3, p_after=0.3, calls_before=30)
    assert same.planned_worse > ALPHA and same.planned_worse + same.planned_better > 2 * ALPHA, same
    assert same.planned_worse > 10 * same.worse, same


def test_the_sandbox_historys_effect_is_found() -> None:
    """The tuning history's effect (30% to 67% confirmed) and its reverse: found, and soon. The figures are
    README's (bench/sequential.py prints them)."""
    demo = figures(runs=1000, seed=24, p_before=0.3, p_after=0.67, calls_before=30)
    assert demo.better >= 0.85 and demo.median_calls is not None and demo.median_calls <= 60, demo
    assert demo.worse == 0, demo
    week = figures(runs=300, seed=24, p_before=0.3, p_after=0.67, calls_before=100)
    assert week.better >= 0.99 and week.median_calls is not None and week.median_calls <= 40, week
    reverse = figures(runs=300, seed=24, p_before=0.67, p_after=0.3, calls_before=30)
    assert reverse.worse >= 0.85 and reverse.better == 0, reverse


@pytest.mark.anyio
async def test_the_unattended_prompt_fixes_one_primary_outcome_and_the_sequential_verdict(settings: Settings) -> None:
    async with mcp_client(settings) as client:
        prompts = {p.name: p for p in (await client.list_prompts()).prompts}
        named = await client.get_prompt(
            "auto_tune_assistant", {"assistant_id": SALES_QUALIFIER_ID, "goal": "more leads", "success": "interested"}
        )
        default = await client.get_prompt("auto_tune_assistant", {"assistant_id": SALES_QUALIFIER_ID, "goal": "x"})
    success = next(a for a in prompts["auto_tune_assistant"].arguments or [] if a.name == "success")
    assert not success.required
    rules = named.messages[0].content.text  # type: ignore[union-attr]
    assert 'fixed before looking at any call: "interested"' in rules
    assert '"success": "<the primary outcome>"' in rules and "sequential test (alpha 0.05)" in rules
    assert 'Never pass "look": "planned"' in rules and "carry no\n  verdict" in rules
    chosen = default.messages[0].content.text  # type: ignore[union-attr]
    assert 'choose it now from the goal, before reading any call: "interested"' in chosen
