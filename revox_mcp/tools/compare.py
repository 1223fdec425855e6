"""compare_assistants: a concurrent A/B. Two assistants' calls over one window and one traffic filter, judged with
change_impact's statistics and verdict (impact.py), and checked for comparable traffic first. By default (look
"any") the verdict is change_impact's sequential test (sequential.py), fed both sides' calls in the order they
started, so an agent may come back and check again as calls come in; look "planned" is the fixed-horizon
z-test, for one read planned in advance.

A before/after comparison is confounded by time (season, lead lists, weekdays); two assistants answering the
same traffic over the same window are not, as long as they really got the same traffic. The rule, stated in
TRAFFIC_RULE, holds the verdict back ("incomparable") when they did not:
- volumes: the side with fewer calls has under a third of the other's (once the larger has at least
  impact.MIN_CALLS_PER_SIDE calls: below that, a lopsided count is as likely chance);
- mixes: for each of direction, campaign, hour of day (four 6-hour blocks, UTC) and weekday (UTC), the two
  sides' shares differ by more than 0.20 in total variation distance (half the sum of the absolute
  differences of the shares) and a chi-square test of homogeneity at 0.01 says it is not chance. Both
  conditions: the distance alone is large by chance on a few dozen calls; the test alone flags trifles on
  many thousands.

Calls are read through the API's search, newest first, both assistants at once (the filters sent to it), at
most MAX_SCANNED; when that bound cuts the scan, the window starts at the oldest call read, for both sides
alike. A call is in the window by its created_at; only finished calls (status completed) are compared.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import anyio

from revox_mcp import impact, sequential
from revox_mcp.answer_bounds import nearest, quoted
from revox_mcp.errors import NotFound, PatchInvalid, Problem
from revox_mcp.instants import instant_argument
from revox_mcp.messages import shorten
from revox_mcp.tool_models import CompareAssistantsAnswer, CompareAssistantsArgs
from revox_mcp.tools.base import READ_ONLY, ToolAnswer, ToolContext, ToolSpec

SCAN_PAGE = 100
MAX_SCANNED = 2_000
VOLUME_RATIO_MIN = 1 / 3
MIX_DISTANCE_MAX = 0.20
MIX_ALPHA = 0.01
# Campaigns shown (and tested) one by one; the rest are one "other".
MIX_SHOWN = 8
FINISHED = "completed"
FIXED_HORIZON = f"fixed-horizon two-proportion z-test, two-sided, alpha {impact.ALPHA:g}, for one planned read"
SEQUENTIAL = f"sequential test (mixture SPRT, alpha {sequential.ALPHA:g}), valid at any look"
TESTS = {"any": SEQUENTIAL, "planned": FIXED_HORIZON}
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
TRAFFIC_RULE = (
    f"Not comparable when the smaller side has under {VOLUME_RATIO_MIN:.0%} of the larger's calls (the larger "
    f"with {impact.MIN_CALLS_PER_SIDE}+), or when the direction, campaign, hour (6-hour blocks, UTC) or weekday "
    f"shares differ by more than {MIX_DISTANCE_MAX:g} in total variation distance with a chi-square test of "
    f"homogeneity under p = {MIX_ALPHA:g}."
)

Call = dict[str, Any]


async def compare_assistants(ctx: ToolContext, args: CompareAssistantsArgs) -> ToolAnswer:
    # The times are read before anything else: one out of range is the agent's to fix, not a failure inside.
    given_since, given_until = instant_argument(args.since, "since"), instant_argument(args.until, "until")
    first, second = await _the_pair(ctx, args)
    window = _window(first, second, given_since, given_until)
    calls, capped = await _read(ctx, args, window.since)
    if capped and calls:
        oldest = min((t for t in map(_created, calls) if t is not None), default=window.since)
        window = Window(max(window.since, oldest), window.until, window.since_from, window.until_from, capped=True)
    sides = _sides(calls, args, window)
    success = args.success or impact.success_outcome(sides.first + sides.second)
    summaries = [_side(row, c, success) for row, c in ((first, sides.first), (second, sides.second))]
    traffic = traffic_check(sides.first, sides.second)
    judged = _judge(sides, summaries, args, success, traffic, window)
    notes = _notes(args, success, window, sides)
    answer = {
        **judged,
        "success_outcome": success,
        "assistant": summaries[0],
        "candidate": summaries[1],
        "window": window.shown(),
        "traffic": traffic,
        "left_out": {"not_finished": sides.not_finished, "outside_window": sides.outside},
        "notes": notes,
    }
    return ToolAnswer(answer, f"{judged['words']} {' '.join(notes)}")


async def _the_pair(ctx: ToolContext, args: CompareAssistantsArgs) -> tuple[Call, Call]:
    """Both assistants as the API holds them; every unknown id at once, each with the nearest names."""
    if args.assistant_id == args.candidate_id:
        raise PatchInvalid(
            [
                Problem(
                    path="candidate_id",
                    value=shorten(args.candidate_id),
                    allowed="another assistant than assistant_id",
                    hint="Compare an assistant with its copy (clone_assistant makes one); change_impact measures "
                    "one assistant before and after a change.",
                )
            ]
        )
    found: list[Call] = []
    missing: list[tuple[str, str]] = []
    for path, assistant_id in (("assistant_id", args.assistant_id), ("candidate_id", args.candidate_id)):
        try:
            found.append(await ctx.client.get_assistant(assistant_id))
        except NotFound:
            missing.append((path, assistant_id))
    if missing:
        every = await ctx.client.list_assistants()
        names = [f"{a.get('name')} ({a.get('id')})" for a in every]
        problems = []
        for path, assistant_id in missing:
            # Ranking a large organization's names is CPU work: off the event loop.
            close = await anyio.to_thread.run_sync(nearest, assistant_id, names)
            problems.append(
                Problem(
                    path=path,
                    value=shorten(assistant_id),
                    allowed="the id of an assistant of this organization",
                    hint=f"Nearest: {quoted(close or names[:5])}. list_assistants finds one by name.",
                )
            )
        raise PatchInvalid(problems)
    return found[0], found[1]


@dataclass(frozen=True)
class Window:
    since: datetime
    until: datetime
    since_from: str
    until_from: str
    capped: bool = False

    def shown(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "since_from": "the oldest call read (the scan's bound)" if self.capped else self.since_from,
            "until_from": self.until_from,
        }


def _window(first: Call, second: Call, since: datetime | None, until: datetime | None) -> Window:
    """The window: since and until as given, else the later of the two's creation or last change, and now."""
    now = datetime.now(UTC)
    since_from = "since"
    if since is None:
        stamps = [
            (moment, f"{row.get('name') or row.get('id')} {'created' if key == 'created_at' else 'last changed'}")
            for row in (first, second)
            for key in ("created_at", "updated_at")
            if (moment := impact.instant(row.get(key))) is not None
        ]
        if not stamps:
            raise PatchInvalid(
                [Problem(path="since", value="(not given)", allowed="an ISO-8601 time: neither assistant has a "
                         "readable created_at or updated_at to start the window from")]
            )  # fmt: skip
        since, since_from = max(stamps, key=lambda s: s[0])
    end = until or now
    if since >= end or since > now:
        value = f"since {since.isoformat()}" + (f", until {until.isoformat()}" if until else "")
        raise PatchInvalid(
            [
                Problem(
                    path="since" if since_from == "since" else "until",
                    value=value,
                    allowed=f"a window with since before until, and since in the past (it starts at "
                    f"{since.isoformat()}: {since_from})",
                    hint="Pass since (and until) around the days both assistants took calls.",
                )
            ]
        )
    return Window(since, end, since_from, "until" if until else "now")


def _created(call: Call) -> datetime | None:
    return impact.instant(call.get("created_at"))


async def _read(ctx: ToolContext, args: CompareAssistantsArgs, since: datetime) -> tuple[list[Call], bool]:
    """Both assistants' calls matching the filters back to `since`, newest first, at most MAX_SCANNED; and
    whether that bound cut the scan."""
    body = {
        "assistant_ids": [args.assistant_id, args.candidate_id], "campaign_ids": list(args.campaign_ids),
        "assignee_ids": [], "from_phone_numbers": [], "directions": [args.direction] if args.direction else [],
        "outcomes": [], "results": [], "statuses": [], "sort_by": "created_at", "sort_direction": "desc",
    }  # fmt: skip
    calls: list[Call] = []
    page = 1
    while len(calls) < MAX_SCANNED:
        batch, available = await ctx.client.search_calls({**body, "page": page, "page_size": SCAN_PAGE})
        calls += [c for c in batch if isinstance(c, dict)]
        # An answer without its total says no more than its page: read on while pages come back full.
        known = available if available is not None else len(calls) + (SCAN_PAGE if len(batch) >= SCAN_PAGE else 0)
        await ctx.progress(len(calls), min(known, MAX_SCANNED), f"Read {len(calls)} of {known} calls")
        oldest = _created(batch[-1]) if batch and isinstance(batch[-1], dict) else None
        if not batch or len(calls) >= known or (oldest is not None and oldest < since):
            return calls, False
        page += 1
    return calls, True


@dataclass(frozen=True)
class Sides:
    first: list[Call]
    second: list[Call]
    not_finished: int
    outside: int


def _sides(calls: list[Call], args: CompareAssistantsArgs, window: Window) -> Sides:
    """The finished calls of each assistant inside the window; the rest counted."""
    first: list[Call] = []
    second: list[Call] = []
    not_finished = outside = 0
    for call in calls:
        assistant = call.get("assistant")
        owner = assistant.get("id") if isinstance(assistant, dict) else None
        created = _created(call)
        if owner not in (args.assistant_id, args.candidate_id):
            continue  # not one of the two (an API that ignored the filter): not theirs to count
        if created is None or not window.since <= created < window.until:
            outside += 1
        elif call.get("status") != FINISHED:
            not_finished += 1
        else:
            (first if owner == args.assistant_id else second).append(call)
    return Sides(first, second, not_finished, outside)


def _side(row: Call, calls: list[Call], success: str) -> dict[str, Any]:
    return {"id": row.get("id"), "name": row.get("name"), **impact.summary(calls, success)}


# --- comparable traffic ------------------------------------------------------------------------------------


def _ran_at(call: Call) -> datetime:
    attempt = call.get("last_call_attempt")
    started = impact.instant(attempt.get("started_at")) if isinstance(attempt, dict) else None
    return (started or _created(call) or datetime.min.replace(tzinfo=UTC)).astimezone(UTC)


def _campaign(call: Call) -> str:
    campaign = call.get("campaign")
    return str(campaign.get("id")) if isinstance(campaign, dict) and campaign.get("id") else "none"


def _hours(call: Call) -> str:
    block = _ran_at(call).hour // 6 * 6
    return f"{block:02d}-{block + 6:02d}"


MIXES: dict[str, Callable[[Call], str]] = {
    "direction": lambda c: str(c.get("direction") or "none"),
    "campaign": _campaign,
    "hours_utc": _hours,
    "weekday": lambda c: WEEKDAYS[_ran_at(c).weekday()],
}
MIX_WORDS = {"direction": "direction", "campaign": "campaign", "hours_utc": "hour (UTC)", "weekday": "weekday"}


def chi2_sf(x: float, df: int) -> float:
    """P(X >= x) for a chi-square variable with `df` degrees of freedom (closed forms for integer df)."""
    if x <= 0 or df < 1:
        return 1.0
    half = x / 2
    if df % 2 == 0:
        term = total = 1.0
        for i in range(1, df // 2):
            term *= half / i
            total += term
        return min(1.0, math.exp(-half) * total)
    total = math.erfc(math.sqrt(half))
    term = math.sqrt(half) * math.exp(-half) / math.gamma(1.5)
    for i in range(1, (df - 1) // 2 + 1):
        total += term
        term *= half / (i + 0.5)
    return min(1.0, total)


def mix_difference(first: Counter[str], second: Counter[str]) -> tuple[float, float]:
    """(total variation distance of the two sides' shares, chi-square homogeneity p-value) of one mix."""
    n1, n2 = sum(first.values()), sum(second.values())
    keys = [k for k in first.keys() | second.keys() if first[k] + second[k] > 0]
    if n1 == 0 or n2 == 0 or len(keys) < 2:
        return 0.0, 1.0
    distance = sum(abs(first[k] / n1 - second[k] / n2) for k in keys) / 2
    total = n1 + n2
    statistic = 0.0
    for k in keys:
        column = first[k] + second[k]
        for observed, row in ((first[k], n1), (second[k], n2)):
            expected = row * column / total
            statistic += (observed - expected) ** 2 / expected
    return distance, chi2_sf(statistic, len(keys) - 1)


def _counted(calls: list[Call], key: Callable[[Call], str], keep: set[str] | None) -> Counter[str]:
    counts = Counter(key(c) for c in calls)
    if keep is None:
        return counts
    kept: Counter[str] = Counter({k: n for k, n in counts.items() if k in keep})
    other = sum(n for k, n in counts.items() if k not in keep)
    return kept + Counter({"other": other}) if other else kept


def traffic_check(first: list[Call], second: list[Call]) -> dict[str, Any]:
    """Whether two sides got comparable traffic, by TRAFFIC_RULE: the problems found, and each mix."""
    problems = []
    n1, n2 = len(first), len(second)
    if n1 and n2 and max(n1, n2) >= impact.MIN_CALLS_PER_SIDE and min(n1, n2) / max(n1, n2) < VOLUME_RATIO_MIN:
        problems.append(f"very different volumes: {n1} calls on the assistant, {n2} on the candidate")
    mixes = {}
    for name, key in MIXES.items():
        keep = None
        if name == "campaign":
            keep = {k for k, _ in Counter(key(c) for c in first + second).most_common(MIX_SHOWN)}
        a, b = _counted(first, key, keep), _counted(second, key, keep)
        distance, p_value = mix_difference(a, b)
        differs = distance > MIX_DISTANCE_MAX and p_value < MIX_ALPHA
        if differs:
            problems.append(f"different {MIX_WORDS[name]} mix: {_shares(a)} against {_shares(b)}")
        mixes[name] = {
            "assistant": _share_map(a),
            "candidate": _share_map(b),
            "distance": round(distance, 3),
            "p_value": round(p_value, 4),
            "differs": differs,
        }
    return {"comparable": not problems, "problems": problems, "rule": TRAFFIC_RULE, "mix": mixes}


def _share_map(counts: Counter[str]) -> dict[str, float]:
    n = sum(counts.values())
    return {k: round(v / n, 3) for k, v in sorted(counts.items())} if n else {}


def _shares(counts: Counter[str]) -> str:
    n = sum(counts.values())
    return ", ".join(f"{k} {v / n:.0%}" for k, v in counts.most_common(4)) if n else "no calls"


# --- the verdict -------------------------------------------------------------------------------------------


def _label(side: dict[str, Any]) -> str:
    name = str(side.get("name") or side.get("id"))
    return f"'{name if len(name) <= 60 else name[:59] + '…'}'"


def _judge(
    sides: Sides, summaries: list[dict[str, Any]], args: CompareAssistantsArgs, success: str, traffic: dict[str, Any],
    window: Window,
) -> dict[str, Any]:  # fmt: skip
    """change_impact's verdict on the two sides (first as 'before', second as 'after'; with look 'any' the
    sequential test fed both sides' calls in the order they ran), in words about two assistants; held back
    when a side has no calls or the traffic differs."""
    first, second = summaries
    test = TESTS[args.look]
    empty = [s for s in (first, second) if s["calls"] == 0]
    if empty:
        who = " or ".join(_label(s) for s in empty)
        words = (
            f"No finished calls for {who} between {window.since.isoformat()} ({window.since_from}) and "
            f"{window.until.isoformat()}: nothing to compare. Check the filters, or pass since and until around "
            "the days both took calls."
        )
        return {"verdict": "not yet", "words": words, "p_value": None, "calls_to_decide": None,
                "calls_needed_per_side": None, "test": test}  # fmt: skip
    monitor = impact.monitor(sides.first, sides.second, success) if args.look == "any" else None
    judged = impact.verdict(first, second, success, args.look, monitor)  # change_impact's statistics
    n1, n2, x1, x2 = first["calls"], second["calls"], first["success"], second["success"]
    share = f"'{success}' {x2 / n2:.0%} ({x2}/{n2}) on the candidate against {x1 / n1:.0%} ({x1}/{n1}) on the assistant"
    p_value, needed = judged.get("p_value"), judged.get("calls_needed_per_side")
    more = (
        sequential.more_calls_to_decide(x1, n1, x2, n2, grow_before=True)
        if monitor and (judged["verdict"] == "not yet")
        else None
    )
    p_text = _p_text(p_value, test, args.look)
    base = {"p_value": p_value, "calls_to_decide": more, "calls_needed_per_side": needed, "test": test}
    if not traffic["comparable"]:
        words = (
            f"Not comparable: the two did not get the same traffic ({'; '.join(traffic['problems'])}). The shares, "
            f"{share}; {p_text}, are no verdict. Narrow both to traffic they shared: campaign_ids, direction, "
            "since/until."
        )
        return {**base, "verdict": "incomparable", "words": words}
    verdict = judged["verdict"]
    if verdict in ("better", "worse"):
        which = f"the candidate {_label(second)} did {verdict} than {_label(first)}"
        decision = monitor.decision if monitor else None
        decided = f" It decided once {decision.after[1]} candidate call(s) had run." if decision else ""
        words = f"{verdict.capitalize()}: {which}: {share}; {p_text}.{decided}"
    elif monitor:
        words = f"No verdict yet: {share}; {p_text}; {_to_decide(n1, n2, x1, x2, more)}."
    else:
        words = f"No clear difference yet: {share}; {p_text}; {_settle(n1, n2, needed)}."
    return {**base, "verdict": verdict, "words": words}


def _p_text(p_value: float | None, test: str, look: str) -> str:
    if p_value is None:
        return f"not testable yet ({test})" if look == "any" else f"no variation to test ({test})"
    shown = "< 0.001" if p_value < 0.001 else f"= {p_value:.3f}"
    return f"always-valid p {shown} ({test})" if look == "any" else f"p {shown} ({test})"


def _to_decide(n1: int, n2: int, x1: int, x2: int, more: int | None) -> str:
    """What a sequential "not yet" waits for, in words (both sides growing together, as in an A/B)."""
    if more is not None:
        return (
            f"if the shares hold, about {more} more call(s) on the candidate (and as many in proportion on the "
            "assistant) would decide it; checking again before then is safe"
        )
    if x1 * n2 == x2 * n1:
        return "the shares are equal so far: no difference to decide yet; checking again later is safe"
    if sequential.log_ratio(x1, n1, x2, n2) is None:
        return (
            f"too few calls for the test yet (it needs {sequential.MIN_CALLS} per side and about "
            f"{sequential.MIN_EXPECTED:g} of each kind, success or not): checking again later is safe"
        )
    return f"a difference this small would take more than {sequential.HORIZON:,} calls to decide"


def _settle(n1: int, n2: int, needed: int | None) -> str:
    if needed and needed > min(n1, n2):
        return f"about {needed - min(n1, n2)} more call(s) per side would settle a difference this large (80% power)"
    if needed is None and min(n1, n2) < impact.MIN_CALLS_PER_SIDE:
        return f"the shares are equal so far, but come back with at least {impact.MIN_CALLS_PER_SIDE} calls per side"
    if needed is None:
        return f"no difference seen over {n1} and {n2} calls"
    return "the calls are there but the test does not separate the two"


def _notes(args: CompareAssistantsArgs, success: str, window: Window, sides: Sides) -> list[str]:
    filters = [f"campaigns {', '.join(args.campaign_ids)}"] if args.campaign_ids else []
    filters += [f"{args.direction} calls"] if args.direction else []
    notes = [
        f"Window {window.since.isoformat()} ({window.since_from}) to {window.until.isoformat()} ({window.until_from}), "
        f"by each call's created_at; {' and '.join(filters) or 'all traffic'} of both. Left out: "
        f"{sides.not_finished} call(s) not finished, {sides.outside} outside the window.",
        f"Success is the outcome '{success}'"
        + ("" if args.success else " (the more common good outcome; pass success to choose)")
        + ". 95% Wilson intervals; better and worse are the candidate's.",
    ]
    if window.capped:
        notes.append(
            f"Only the newest {MAX_SCANNED:,} calls were read: the window starts at the oldest of them, for both."
        )
    return notes


COMPARE_ASSISTANTS = ToolSpec(
    name="compare_assistants",
    title="Compare two assistants (A/B)",
    does="two assistants' outcomes over one window and traffic filter (an A/B): shares, a test, a verdict",
    description=(
        "A/B: an assistant's and a candidate's (e.g. its copy) calls over one window and filter, with change_impact's "
        "shares, test and verdict for the candidate; 'incomparable' when their traffic differed."
    ),
    args_model=CompareAssistantsArgs,
    answer_model=CompareAssistantsAnswer,
    annotations=READ_ONLY,
    handler=compare_assistants,
)
