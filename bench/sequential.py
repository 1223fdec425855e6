"""The verdict under repeated looks, by simulation: how often each test says "worse" (or "better") when a
change did nothing, and how often and how soon it finds a real effect.

    python -m bench.sequential [--runs 1000] [--seed 24]

Each simulated change has `calls_before` calls before it (fixed at the change, as change_impact's before side
is), then calls after it one by one, each a success with the after share. The tuning loop looks after every
`every` calls after the change, up to `up_to`, and stops at its first verdict. Two tests are read on the same
calls: the sequential one (revox_mcp.sequential, run call by call as change_impact runs it), and the
fixed-horizon z-test (impact.verdict with look "planned") read at every look as if each were the only one.
Pure Python, seeded: the figures are the same on every run. tests/test_sequential.py asserts on them.
"""

from __future__ import annotations

import argparse
import random
import statistics
from dataclasses import dataclass
from typing import Any

from revox_mcp import impact, sequential


@dataclass(frozen=True)
class Outcome:
    """One simulated change, read by both tests: each one's first verdict and the calls after it took."""

    sequential: str | None
    sequential_calls: int
    planned: str | None
    planned_calls: int


def change(
    rng: random.Random, p_before: float, p_after: float, calls_before: int = 30, every: int = 10, up_to: int = 1000
) -> Outcome:
    """One change: both tests looked at after every `every` calls after it, each stopping at its first verdict."""
    test = sequential.Monitor()
    for _ in range(calls_before):
        test.add(False, rng.random() < p_before)
    found: dict[str, tuple[str | None, int]] = {}
    for n in range(1, up_to + 1):
        test.add(True, rng.random() < p_after)
        if n % every:
            continue
        if "sequential" not in found and test.decision is not None:
            found["sequential"] = (test.decision.verdict, n)
        if "planned" not in found:
            (x1, x2), (n1, n2) = test.successes, test.calls
            said = impact.verdict(_side(x1, n1), _side(x2, n2), "success", look="planned")["verdict"]
            if said != "not yet":
                found["planned"] = (said, n)
        if len(found) == 2:
            break
    s, p = found.get("sequential", (None, up_to)), found.get("planned", (None, up_to))
    return Outcome(s[0], s[1], p[0], p[1])


def _side(successes: int, calls: int) -> dict[str, Any]:
    return {"calls": calls, "success": successes}


@dataclass(frozen=True)
class Figures:
    """Rates over the runs, per test: 'worse' and 'better' verdicts, and the median calls after the change
    at the verdict in the effect's direction (None when none was reached)."""

    runs: int
    worse: float
    better: float
    median_calls: float | None
    planned_worse: float
    planned_better: float


def figures(
    runs: int, seed: int, p_before: float, p_after: float, calls_before: int = 30, every: int = 10, up_to: int = 1000
) -> Figures:
    rng = random.Random(seed)
    outcomes = [change(rng, p_before, p_after, calls_before, every, up_to) for _ in range(runs)]
    direction = "worse" if p_after < p_before else "better"
    calls = [o.sequential_calls for o in outcomes if o.sequential == direction]
    return Figures(
        runs=runs,
        worse=sum(o.sequential == "worse" for o in outcomes) / runs,
        better=sum(o.sequential == "better" for o in outcomes) / runs,
        median_calls=statistics.median(calls) if calls else None,
        planned_worse=sum(o.planned == "worse" for o in outcomes) / runs,
        planned_better=sum(o.planned == "better" for o in outcomes) / runs,
    )


# (what, share before, share after, calls before): no effect at several shares and before sides, the sandbox
# tuning history's effect (30% to 67% confirmed) both ways, and a smaller one.
SCENARIOS = [
    ("no effect", 0.30, 0.30, 30),
    ("no effect", 0.30, 0.30, 300),
    ("no effect", 0.05, 0.05, 300),
    ("no effect", 0.50, 0.50, 1000),
    ("demo effect", 0.30, 0.67, 30),
    ("demo effect", 0.30, 0.67, 100),
    ("demo effect, reversed", 0.67, 0.30, 30),
    ("10 points", 0.30, 0.40, 300),
    ("10 points", 0.30, 0.40, 1000),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=24)
    args = parser.parse_args()
    print(f"alpha {sequential.ALPHA}, mixing sd {sequential.TAU}; a look after every 10 calls, up to 1,000")
    print(f"{'scenario':<32}{'before':>7}{'worse':>8}{'better':>8}{'median':>8}{'z worse':>9}{'z better':>9}")
    for what, p1, p2, before in SCENARIOS:
        f = figures(args.runs, args.seed, p1, p2, before)
        median = f"{f.median_calls:g}" if f.median_calls is not None and p1 != p2 else "-"
        print(
            f"{what + f' {p1:.0%}->{p2:.0%}':<32}{before:>7}{f.worse:>8.3f}{f.better:>8.3f}{median:>8}"
            f"{f.planned_worse:>9.3f}{f.planned_better:>9.3f}"
        )


if __name__ == "__main__":
    main()
