"""A seeded A/B for compare_assistants (revox-mcp sandbox --ab-pair): the sales qualifier and a copy of it,
"Solar lead qualifier (candidate)", with a new opening line, splitting the March campaign's leads over the
same week, at the same hours, with a known difference in outcome rates.

The story, in the assistants' own times: the qualifier was last changed at QUALIFIER_STAMPS[1]; the copy was
made at COPIED_AT and its opening line changed at CANDIDATE_CHANGED_AT, the start of the A/B (the later of
the two's changes: compare_assistants' default window). From then until AB_END each side made 60 calls of
the campaign, slot by slot at the same moments (the candidate a few minutes after the qualifier): the same
numbers of voicemails, phone menus and unanswered calls on both sides; of the 36 answered calls,
'interested' 12 (20% of 60) on the qualifier and 24 (40% of 60) on the candidate, a difference the
two-sided two-proportion test finds (p = 0.017); 'requested_callback_later' 6 on each side (no difference).

Generated from a fixed seed: every sandbox holds the same calls. Opt-in, so that the seeded totals other
tests count (three assistants, 60 calls of history) stay as they are without the flag.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from revox_mcp.sandbox.catalog_seed import (
    _FIRST,
    _LAST,
    _attempt,
    _call,
    _interested_sales_call,
    _stamp,
    _turn,
    _unanswered_sales_call,
)
from revox_mcp.sandbox.seed import SALES_QUALIFIER_ID
from revox_mcp.sandbox.store import AssistantStore

Row = dict[str, Any]

CANDIDATE_ID = "asst_sales_candidate"
CANDIDATE_NAME = "Solar lead qualifier (candidate)"
CANDIDATE_FIRST_SENTENCE = (
    "Hi {{first_name}}, Sarah from Acme Solar here: you asked us for a quote, and I have a few numbers for your "
    "home. Is now a good time?"
)
# (created_at, updated_at) of each, as the API would show them.
QUALIFIER_STAMPS = ("2026-09-01T09:00:00.000000Z", "2026-11-02T08:30:00.000000Z")
COPIED_AT = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
CANDIDATE_CHANGED_AT = COPIED_AT + timedelta(minutes=15)
CANDIDATE_STAMPS = (_stamp(COPIED_AT).replace("Z", ".000000Z"), _stamp(CANDIDATE_CHANGED_AT).replace("Z", ".000000Z"))
AB_END = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
AB_CAMPAIGN: Row = {"id": "camp_march_solar", "name": "March solar leads"}
CALLS_PER_SIDE = 60
# What each side's 60 calls came to (call kinds and how many): the same traffic, answered differently.
AB_PLAN: dict[str, dict[str, int]] = {
    SALES_QUALIFIER_ID: {
        "interested": 12, "requested_callback_later": 6, "not_interested": 18,
        "voicemail": 18, "ivr": 3, "no_answer": 3,
    },
    CANDIDATE_ID: {
        "interested": 24, "requested_callback_later": 6, "not_interested": 6,
        "voicemail": 18, "ivr": 3, "no_answer": 3,
    },
}  # fmt: skip
# UTC hours of the calling windows (the qualifier's, in Los Angeles: 9-12 and 14-19).
_HOURS = (17, 18, 19, 22, 23, 0, 1, 2)
_SEED = 24


def slots() -> list[datetime]:
    """The 60 moments the qualifier called at, oldest first, inside the A/B window and its calling hours."""
    rng = random.Random(_SEED)
    days = (AB_END - CANDIDATE_CHANGED_AT).days
    moments: set[datetime] = set()
    while len(moments) < CALLS_PER_SIDE:
        day = CANDIDATE_CHANGED_AT.date() + timedelta(days=rng.randrange(days + 1))
        moment = datetime(day.year, day.month, day.day, rng.choice(_HOURS), rng.randrange(0, 60, 5), tzinfo=UTC)
        if CANDIDATE_CHANGED_AT < moment < AB_END - timedelta(minutes=30):
            moments.add(moment)
    return sorted(moments)


def _answered(kind: str, opener: Row, rng: random.Random) -> tuple[str, str, str | None, str, list[Row], Row]:
    if kind == "interested":
        return _interested_sales_call(opener, rng.choice([140, 180, 220, 310]))
    if kind == "requested_callback_later":
        return "human", "tool_end_call", kind, "Asked to be called back next week.", [
            opener,
            _turn("user", "Not now, I'm at work. Can you call me next week?"),
            _turn("assistant", "Of course, I'll call you next week. Have a good day!"),
        ], {"is_homeowner": True}  # fmt: skip
    return "human", "tool_end_call", "not_interested", "Not interested.", [
        opener,
        _turn("user", "No thanks, I'm not interested anymore."),
        _turn("assistant", "I understand. Thanks for your time, have a great day!"),
    ], {"is_homeowner": False}  # fmt: skip


def side_calls(assistant: Row, organization_id: str) -> list[Row]:
    """One side's 60 calls of AB_PLAN (the qualifier's, or the candidate's a few minutes after each slot)."""
    assistant_id = str(assistant["id"])
    candidate = assistant_id == CANDIDATE_ID
    rng = random.Random(f"{_SEED}-{assistant_id}")
    kinds = [kind for kind, count in AB_PLAN[assistant_id].items() for _ in range(count)]
    rng.shuffle(kinds)
    calls = []
    for index, (slot, kind) in enumerate(zip(slots(), kinds, strict=True)):
        started = slot + timedelta(minutes=7 if candidate else 0)
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        line = str(assistant.get("first_sentence") or "").replace("{{first_name}}", first)
        if kind in ("voicemail", "ivr", "no_answer"):
            result, end, outcome, summary, turns, output = _unanswered_sales_call(kind, first)
        else:
            result, end, outcome, summary, turns, output = _answered(kind, _turn("assistant", line), rng)
        number = f"+1415556{rng.randint(1000, 9999)}"
        tag = f"ab_{'b' if candidate else 'a'}_{index:02d}"
        attempt = _attempt(f"att_{tag}", number, started, result, end, turns, output)
        call = _call(f"call_{tag}", organization_id, "outbound", ("+14155550100", number), (first, last), assistant,
                     (outcome, summary), started, [attempt])  # fmt: skip
        calls.append({**call, "campaign": dict(AB_CAMPAIGN)})
    return calls


def seed_pair(store: AssistantStore) -> list[Row]:
    """Stores the candidate (a copy of the stored qualifier, with its new opening line) unless it is there,
    gives the pair the times of the story (the qualifier only while nothing changed it since it was seeded),
    and answers both sides' calls, newest first. Nothing without a stored qualifier."""
    qualifier = store.get(SALES_QUALIFIER_ID)
    if qualifier is None:
        return []
    if qualifier.get("created_at") == qualifier.get("updated_at"):
        store.restamp(SALES_QUALIFIER_ID, *QUALIFIER_STAMPS)
    candidate = store.get(CANDIDATE_ID)
    if candidate is None:
        kept = ("id", "created_at", "updated_at", "organization_id", "created_by", "pending_faq_count")
        fields = {k: v for k, v in qualifier.items() if k not in kept}
        fields.update(name=CANDIDATE_NAME, first_sentence=CANDIDATE_FIRST_SENTENCE)
        store.create(fields, created_by=qualifier.get("created_by"), assistant_id=CANDIDATE_ID)
        store.restamp(CANDIDATE_ID, *CANDIDATE_STAMPS)
    pair = [store.get(SALES_QUALIFIER_ID) or qualifier, store.get(CANDIDATE_ID) or {}]
    calls = [c for a in pair for c in side_calls(a, store.organization_id)]
    return sorted(calls, key=lambda c: c["created_at"], reverse=True)
