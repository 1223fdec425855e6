"""A verdict on a change that stays valid however often it is read: a sequential test of the difference of
two success shares. Pure: no I/O, standard library only.

The test is the mixture sequential probability ratio test (mSPRT) of Johari, Koomen, Pekelis and Walsh,
"Always Valid Inference: Continuous Monitoring of A/B Tests", Operations Research 70(3), 2022
(arXiv:1512.04922), in its normal approximation for the difference of two proportions. With x1 successes
of n1 calls before the change and x2 of n2 after, the pooled share p, the variance of the difference
V = p(1 - p)(1/n1 + 1/n2) and the difference seen D = x2/n2 - x1/n1, the mixture likelihood ratio is

    L = sqrt(V / (V + TAU**2)) * exp(TAU**2 * D**2 / (2 * V * (V + TAU**2)))

(no difference, against differences drawn from a normal mixture with standard deviation TAU = 0.15, so a
mixing variance TAU**2 = 0.0225: differences of about 10 to 30 points are decided soonest). With no
difference, L is a martingale as calls come in, so by Ville's inequality the chance that it ever reaches
1/ALPHA is at most ALPHA, however many times it is checked and whenever the checks stop. The test is run
call by call in the order the calls ran; it decides (better or worse, by the sign of D) the first time L
reaches 1/ALPHA = 20, and the decision stays. ALPHA = 0.05 bounds both verdicts together: a false "worse"
(or "better") is at most 5%, over any number of looks. The always-valid p-value is min(1, 1 / the largest
L so far), as in the paper (the mixture goes back to Robbins, 1970).

The normal approximation needs counts: the ratio is not computed before MIN_CALLS calls on each side and
an expected MIN_EXPECTED successes and failures on the smaller side (the usual rule for the normal
approximation of a binomial). Skipping a look only removes chances of a verdict, so the bound still holds.
tests/test_sequential.py checks it by simulation; bench/sequential.py prints the figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

ALPHA = 0.05
TAU = 0.15
MIN_CALLS = 10
MIN_EXPECTED = 5.0
# More calls than this after the change are not counted on when saying how many would decide.
HORIZON = 1_000_000
_BOUND = math.log(1 / ALPHA)


def log_ratio(x1: float, n1: float, x2: float, n2: float) -> float | None:
    """log L at these counts; None while the normal approximation does not hold (too few calls, or too few
    expected successes or failures on the smaller side)."""
    if min(n1, n2) < MIN_CALLS:
        return None
    pooled = (x1 + x2) / (n1 + n2)
    if min(n1, n2) * min(pooled, 1 - pooled) < MIN_EXPECTED:
        return None
    variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    difference = x2 / n2 - x1 / n1
    mix = TAU**2
    return 0.5 * math.log(variance / (variance + mix)) + mix * difference**2 / (2 * variance * (variance + mix))


@dataclass(frozen=True)
class Decision:
    """Where the test decided: the verdict, and the counts (successes, calls) on each side at that call."""

    verdict: Literal["better", "worse"]
    before: tuple[int, int]
    after: tuple[int, int]


class Monitor:
    """The test run call by call: `add` each call in the order the calls ran; `decision` is the first
    crossing (None until one), `p_value` the always-valid p-value so far (None while nothing was testable)."""

    def __init__(self) -> None:
        self.successes = [0, 0]
        self.calls = [0, 0]
        self.best: float | None = None
        self.decision: Decision | None = None

    def add(self, after: bool, success: bool) -> None:
        side = 1 if after else 0
        self.calls[side] += 1
        self.successes[side] += 1 if success else 0
        self._look()

    def _look(self) -> None:
        (x1, x2), (n1, n2) = self.successes, self.calls
        ratio = log_ratio(x1, n1, x2, n2)
        if ratio is None:
            return
        self.best = ratio if self.best is None else max(self.best, ratio)
        if self.decision is None and ratio >= _BOUND:
            word: Literal["better", "worse"] = "better" if x2 / n2 > x1 / n1 else "worse"
            self.decision = Decision(word, (x1, n1), (x2, n2))

    @classmethod
    def of_counts(cls, x1: int, n1: int, x2: int, n2: int) -> Monitor:
        """One look at these counts, for callers without the order of the calls (a lower bound on what the
        test run call by call would have seen)."""
        monitor = cls()
        monitor.successes, monitor.calls = [x1, x2], [n1, n2]
        monitor._look()
        return monitor

    @property
    def p_value(self) -> float | None:
        return None if self.best is None else min(1.0, math.exp(-self.best))


def more_calls_to_decide(x1: int, n1: int, x2: int, n2: int, grow_before: bool = False) -> int | None:
    """About how many more calls after the change would decide a difference as large as the one seen, if
    the shares held (with `grow_before`, as many more before too, as in a concurrent A/B); None when the
    shares are equal, or when no number up to HORIZON would (the before side is too small to tell)."""
    if n1 == 0 or n2 == 0 or x1 * n2 == x2 * n1:
        return None
    p1, p2 = x1 / n1, x2 / n2
    extra = 1
    while n2 + extra <= HORIZON:
        after = n2 + extra
        before = n1 * after / n2 if grow_before else n1
        ratio = log_ratio(p1 * before, before, p2 * after, after)
        if ratio is not None and ratio >= _BOUND:
            return extra
        extra = max(extra + 1, math.ceil(extra * 1.1))
    return None
