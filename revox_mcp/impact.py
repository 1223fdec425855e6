"""What a change did to real calls: the calls before and after it, compared. Pure: no I/O.

Calls are attributed to the configuration they ran with: by the assistant's `updated_at` the call
carries when that is the one from before the change, else by its start time against the moment of the
change (an answer may join the assistant as it is now, so a later stamp proves nothing). Calls that were
under way when the change landed, and calls from before the previous change or after the next one
(another configuration), are left out and counted as such.

The statistics come from the standard library (`statistics.NormalDist`), with the thresholds stated:
a 95% Wilson interval for each window's success share. The verdict on the one primary (success) outcome
comes from one of two tests, named in its words: by default the sequential test of revox_mcp.sequential
(valid however often it is read, at alpha = 0.05 over all looks; when not yet, about how many more calls
would decide); for a single read planned in advance, a two-sided two-proportion z-test at alpha = 0.05
(and, when the difference is not clear, the calls per window an 80%-power test of the difference seen
would need). That one is valid only if read once: read again and again, it says "worse" falsely far more
often than 5% (tests/test_sequential.py shows it).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from revox_mcp import sequential

ALPHA = 0.05
POWER = 0.80
# Below this many calls on a side, equal shares say nothing yet (a stated threshold, not a test).
MIN_CALLS_PER_SIDE = 30
Z_HALF_ALPHA = statistics.NormalDist().inv_cdf(1 - ALPHA / 2)
Z_POWER = statistics.NormalDist().inv_cdf(POWER)
# Outcomes that count as a success unless the caller names one: the assistant's most common of these.
GOOD_OUTCOMES = ("interested", "completed")

Call = dict[str, Any]
# How the verdict will be read: at any look (the sequential test), or once, as planned (the fixed-horizon test).
Look = Literal["any", "planned"]
LOOKS: dict[str, str] = {"any": "valid at any look", "planned": "planned single look"}


def instant(value: Any) -> datetime | None:
    """An ISO-8601 time as an aware datetime (no zone: UTC, as the API writes); None for anything else."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def wilson(successes: int, n: int) -> tuple[float, float] | None:
    """The 95% Wilson score interval of a share; None without calls."""
    if n == 0:
        return None
    p, z2 = successes / n, Z_HALF_ALPHA**2
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z_HALF_ALPHA * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def two_proportions(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float] | None:
    """(z, two-sided p-value) of the pooled two-proportion z-test; None when it cannot be computed."""
    if n1 == 0 or n2 == 0:
        return None
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return None  # both windows all successes, or all failures: no variation to test
    z = (x2 / n2 - x1 / n1) / se
    return z, 2 * (1 - statistics.NormalDist().cdf(abs(z)))


def calls_needed(p1: float, p2: float) -> int | None:
    """Calls per window for a test at ALPHA with POWER to detect a difference as large as p2 - p1."""
    if p1 == p2:
        return None
    mean = (p1 + p2) / 2
    top = Z_HALF_ALPHA * math.sqrt(2 * mean * (1 - mean)) + Z_POWER * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    return math.ceil((top / (p2 - p1)) ** 2)


@dataclass(frozen=True)
class Attributed:
    before: list[Call]
    after: list[Call]
    straddling: list[str]
    other_configuration: int


def _attempt(call: Call) -> dict[str, Any]:
    attempt = call.get("last_call_attempt")
    attempts = call.get("call_attempts")
    if not isinstance(attempt, dict) and isinstance(attempts, list) and attempts and isinstance(attempts[0], dict):
        attempt = attempts[0]
    return attempt if isinstance(attempt, dict) else {}


def attribute(
    calls: list[Call], moment: datetime, since: datetime | None, until: datetime | None, stamp_before: Any
) -> Attributed:
    """Split calls into those that ran with the configuration before `moment` and after it, within the
    window [since, until) that no other change touches."""
    before: list[Call] = []
    after: list[Call] = []
    straddling: list[str] = []
    other = 0
    for call in calls:
        attempt = _attempt(call)
        start = instant(attempt.get("started_at") or call.get("created_at"))
        end = instant(attempt.get("ended_at")) or start
        if start is None:
            continue
        if (since is not None and start < since) or (until is not None and start >= until):
            other += 1
            continue
        ran_with = (call.get("assistant") or {}).get("updated_at") if isinstance(call.get("assistant"), dict) else None
        if stamp_before is not None and ran_with == stamp_before:
            # The call carries the configuration from before the change (a queued call that ran after it).
            # Any other stamp proves nothing: an answer may join the assistant as it is now.
            before.append(call)
        elif start < moment and end is not None and end > moment:
            straddling.append(str(call.get("id")))
        else:
            (before if start < moment else after).append(call)
    return Attributed(before, after, straddling, other)


def success_outcome(calls: list[Call]) -> str:
    counts = Counter(c.get("outcome") for c in calls)
    return max(GOOD_OUTCOMES, key=lambda o: (counts[o], o == GOOD_OUTCOMES[0]))


def summary(calls: list[Call], success: str) -> dict[str, Any]:
    """One window: counts, the success share with its interval, median duration, transfer and voicemail rates."""
    n = len(calls)
    outcomes = Counter(str(c.get("outcome") or "none") for c in calls)
    attempts = [_attempt(c) for c in calls]
    results = Counter(str(a.get("result") or "none") for a in attempts)
    durations = [d for d in (_duration(a) for a in attempts) if d is not None]
    hits = outcomes.get(success, 0)
    interval = wilson(hits, n)
    return {
        "calls": n,
        "by_outcome": dict(outcomes),
        "by_result": dict(results),
        "success": hits,
        "success_share": round(hits / n, 4) if n else None,
        "success_interval_95": [round(b, 4) for b in interval] if interval else None,
        "median_duration_secs": round(statistics.median(durations), 1) if durations else None,
        "transfer_rate": _rate(attempts, lambda a: a.get("end_reason") == "transfer"),
        "voicemail_rate": _rate(attempts, lambda a: a.get("result") == "voicemail"),
    }


def _rate(attempts: list[dict[str, Any]], hit: Any) -> float | None:
    return round(sum(1 for a in attempts if hit(a)) / len(attempts), 4) if attempts else None


def _duration(attempt: dict[str, Any]) -> float | None:
    start, end = instant(attempt.get("started_at")), instant(attempt.get("ended_at"))
    return (end - start).total_seconds() if start and end else None


def monitor(before: list[Call], after: list[Call], success: str) -> sequential.Monitor:
    """The sequential test run over the calls in the order they started (a call without a time last)."""
    far = datetime.max.replace(tzinfo=UTC)
    ordered = sorted(
        [(instant(_attempt(c).get("started_at") or c.get("created_at")) or far, 0, c) for c in before]
        + [(instant(_attempt(c).get("started_at") or c.get("created_at")) or far, 1, c) for c in after],
        key=lambda item: (item[0], item[1]),
    )
    test = sequential.Monitor()
    for _, side, call in ordered:
        test.add(side == 1, call.get("outcome") == success)
    return test


def verdict(
    before: dict[str, Any],
    after: dict[str, Any],
    success: str,
    look: Look = "planned",
    test: sequential.Monitor | None = None,
) -> dict[str, Any]:
    """better, worse, or not yet, in plain words that name the test behind it: with look "any" the sequential
    test (`test`, run call by call; without it, one look at the counts), valid however often it is read; with
    "planned" the fixed-horizon z-test, valid for one read planned in advance. The default stays "planned"
    for callers that name no look (they read the z-test's p_value and calls_needed_per_side);
    change_impact passes its argument, "any" by default."""
    n1, n2 = before["calls"], after["calls"]
    label = LOOKS[look]
    if n1 == 0 or n2 == 0:
        side = "before" if n1 == 0 else "after"
        words = f"No calls {side} the change yet: nothing to compare ({label})."
        return {"verdict": "not yet", "words": words, "p_value": None, "look": label}
    if look == "planned":
        return {**_planned(before, after, success), "look": label}
    test = test or sequential.Monitor.of_counts(before["success"], n1, after["success"], n2)
    return {**_sequential(before, after, success, test), "look": label}


def _share(before: dict[str, Any], after: dict[str, Any], success: str) -> str:
    n1, n2, x1, x2 = before["calls"], after["calls"], before["success"], after["success"]
    return f"'{success}' went from {x1 / n1:.0%} ({x1}/{n1}) to {x2 / n2:.0%} ({x2}/{n2})"


def _sequential(
    before: dict[str, Any], after: dict[str, Any], success: str, test: sequential.Monitor
) -> dict[str, Any]:
    share, p = _share(before, after, success), test.p_value
    name = f"sequential test (mixture SPRT, alpha {sequential.ALPHA:g}, valid at any look)"
    if test.decision is not None:
        word, at = test.decision.verdict, test.decision.after[1]
        words = (
            f"{word.capitalize()}: {share}; the {name} decided it once {at} call(s) after the change had run; "
            f"always-valid p {_p(p)}."
        )
        return {"verdict": word, "words": words, "p_value": round(p, 4) if p is not None else None}
    n1, n2, x1, x2 = before["calls"], after["calls"], before["success"], after["success"]
    more = sequential.more_calls_to_decide(x1, n1, x2, n2)
    p_text = f"always-valid p {_p(p)}, it decides below {sequential.ALPHA:g}" if p is not None else "not testable yet"
    words = f"No verdict yet from the {name}: {share}; {p_text}; {_settle(x1, n1, x2, n2, more)}."
    return {
        "verdict": "not yet",
        "words": words,
        "p_value": round(p, 4) if p is not None else None,
        "calls_to_decide": more,
    }


def _p(p: float | None) -> str:
    return "< 0.001" if p is not None and p < 0.001 else f"= {p:.3f}"


def _settle(x1: int, n1: int, x2: int, n2: int, more: int | None) -> str:
    """What a sequential "not yet" waits for, in words."""
    pooled = (x1 + x2) / (n1 + n2)
    thin_before = n1 * min(pooled, 1 - pooled) < sequential.MIN_EXPECTED or n1 < sequential.MIN_CALLS
    if more is not None:
        return (
            f"if the shares hold, about {more} more call(s) after the change would decide it; checking again "
            "before then is safe"
        )
    if x1 * n2 == x2 * n1:
        return "the shares are equal so far: there is no difference to decide yet; checking again later is safe"
    if thin_before:
        return (
            f"the {n1} call(s) before the change are too few for the test (it needs {sequential.MIN_CALLS} calls "
            f"and about {sequential.MIN_EXPECTED:g} of each kind, success or not, per side): a longer lookback_days "
            "gives the before side more"
        )
    return (
        f"against the {n1} call(s) before the change, no number of calls after it would decide a difference this "
        "small: a longer lookback_days gives the before side more calls"
    )


def _planned(before: dict[str, Any], after: dict[str, Any], success: str) -> dict[str, Any]:
    """The fixed-horizon two-proportion z-test: valid for one read whose size was planned in advance."""
    n1, n2, x1, x2 = before["calls"], after["calls"], before["success"], after["success"]
    p1, p2 = x1 / n1, x2 / n2
    test = two_proportions(x1, n1, x2, n2)
    share = _share(before, after, success)
    name = f"fixed-horizon z-test, two-sided, alpha {ALPHA}, planned single look: not valid if read again"
    if test is not None and test[1] < ALPHA:
        word = "better" if p2 > p1 else "worse"
        return {
            "verdict": word,
            "words": f"{word.capitalize()}: {share}; p = {test[1]:.3f} ({name}).",
            "p_value": round(test[1], 4),
        }
    needed = calls_needed(p1, p2)
    more = max(0, needed - min(n1, n2)) if needed else None
    if more:
        settle = f"about {more} more call(s) per side would settle a difference this large (80% power)"
    elif needed is None and min(n1, n2) < MIN_CALLS_PER_SIDE:
        settle = f"the shares are equal so far, but come back with at least {MIN_CALLS_PER_SIDE} calls per side"
    elif needed is None:
        settle = f"no difference seen over {n1} and {n2} calls"
    else:
        settle = "the calls are there but the test does not separate the windows"
    p_text = f"p = {test[1]:.3f}" if test else "no variation to test"
    return {
        "verdict": "not yet",
        "words": f"No clear difference yet: {share}; {p_text} ({name}); {settle}.",
        "p_value": round(test[1], 4) if test else None,
        "calls_needed_per_side": needed,
    }
