"""The sandbox's outbound campaigns: a store, their seeds and their routes, in the SDK's shapes.

Five campaigns on the seeded assistants, in every status the SDK knows (running, paused, completed, and a
completed one that was cancelled), some with their own `call_retry_config` and `from_phone_number` (the settings
a campaign holds over its assistant's; null means the assistant's own apply). A campaign's status is persisted in
the sandbox's SQLite file, beside the assistants; its rows and their calls are generated from a fixed seed (as
the call history is). One world: a row's call is the very call the call store holds (POST /call/search finds it
by campaign_ids; cancel, pause and resume act on it; the campaign's counts follow), and the December reminders'
rows are the pending reminder calls of catalog_seed. Pausing a campaign holds its waiting calls (`paused`);
resuming it releases the calls it held (a call paused on its own stays paused).

What is assumed of the real API, where the SDK does not say:
- Pause applies to a running campaign, resume to a paused one; anything else is answered 409 with a `message`
  (and `x-should-retry: false`, which the SDK honours: a state conflict is not cured by sending it again). A
  cancelled campaign is `completed` with `is_cancelled` true.
- GET /campaigns/{id}/rows answers every row (the SDK's get_rows takes no paging); readers page themselves.
- Statistics are over distinct phone numbers: called = numbers with an attempt, reached = a human answered,
  real exchanges = reached where the contact spoke (not a pick-up and hang-up), hot leads = real exchanges with
  an outcome in `hot_lead_outcomes` (interested, requested_callback_later), the same count as the campaign's
  `funnel_stats.hot`: a cascade, each step within the one before. Percentages are 0-100, one decimal.
  `outcome_breakdown` splits the real exchanges by outcome (each number's latest exchange: it sums to
  real_exchanges), the leads are the hot leads (interested plus callback requested: the hot-lead count), and
  `effort` counts dialling: calls_total = outbound_attempts + inbound_calls (a call order never dialled is none).
  `row_stats.completed` counts rows whose call is completed, reached or not: not the exchanges.
"""

from __future__ import annotations

import copy
import json
import random
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from revox_mcp.sandbox.catalog_seed import (
    _FIRST,
    _LAST,
    _attempt,
    _call,
    _reminder_call,
    _sales_call,
    _stamp,
    _turn,
)
from revox_mcp.sandbox.seed import REMINDER_ID, SALES_QUALIFIER_ID, SANDBOX_ORGANIZATION_ID, SEED_ASSISTANTS
from revox_mcp.sandbox.store import AssistantStore
from revox_mcp.sqlite_files import connect, transaction

Row = dict[str, Any]

MARCH_ID = "camp_march_solar"
FEBRUARY_ID = "camp_february_solar"
WINTER_ID = "camp_winter_reactivation"
REMINDERS_ID = "camp_december_reminders"
OPEN_HOUSE_ID = "camp_spring_open_house"

HOT_LEAD_OUTCOMES = ["interested", "requested_callback_later"]
_OUTCOME_LABELS = {
    "interested": "Interested",
    "requested_callback_later": "Callback requested",
    "not_interested": "Not interested",
    "completed": "Completed",
    "none": "No outcome",
}
_NOW = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)
_CREATOR = {"id": "user_01", "email": "ops@acme-solar.example", "first_name": "Maya", "last_name": "Okafor"}
# Calls still waiting to be placed (`paused` ones included): a row counted as pending or retry.
_WAITING = ("scheduled", "paused")
# What a campaign's pause holds: its calls not yet dialled or waiting for their next attempt.
_HOLDABLE = ("initializing", "scheduled", "queued_for_calling")
# The caller id of an assistant without its own from_phone_number (the reminders call from the ops number).
_CALLER_IDS = {REMINDER_ID: "+14155550177"}

_WEEKEND_RETRIES = {
    "allowed_days": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
    "call_twice_in_a_row": True,
    "calling_windows": [
        {"calling_window_start_time": "10:00", "calling_window_end_time": "20:00", "retry_delay_seconds": 5400}
    ],
    "max_retry_attempts": 4,
    "timezone": "America/Los_Angeles",
}
_EVENING_RETRIES = {
    "allowed_days": ["monday", "tuesday", "wednesday", "thursday"],
    "call_twice_in_a_row": False,
    "calling_windows": [
        {"calling_window_start_time": "5pm", "calling_window_end_time": "8pm", "retry_delay_seconds": 86400}
    ],
    "max_retry_attempts": 2,
    "timezone": "America/Los_Angeles",
}

# Each campaign's seed: what it holds itself, and the plan of its rows (call state: how many).
CAMPAIGN_SEEDS: list[Row] = [
    {
        "id": MARCH_ID,
        "name": "March solar leads",
        "assistant_id": SALES_QUALIFIER_ID,
        "status": "running",
        "is_cancelled": False,
        "call_retry_config": _WEEKEND_RETRIES,
        "from_phone_number": "+14155550100",
        "max_concurrent_calls": 5,
        "created_at": "2026-11-02T09:00:00.000000Z",
        "plan": {
            "completed": 14,
            "hangup": 2,
            "calling": 2,
            "retry": 4,
            "scheduled": 3,
            "not_launched": 3,
            "errored": 1,
            "none": 1,
        },
    },
    {
        "id": FEBRUARY_ID,
        "name": "February solar leads",
        "assistant_id": SALES_QUALIFIER_ID,
        "status": "completed",
        "is_cancelled": False,
        "call_retry_config": None,
        "from_phone_number": None,
        "max_concurrent_calls": 3,
        "created_at": "2026-10-01T09:00:00.000000Z",
        "plan": {"completed": 11, "hangup": 1},
    },
    {
        "id": WINTER_ID,
        "name": "Winter reactivation",
        "assistant_id": SALES_QUALIFIER_ID,
        "status": "paused",
        "is_cancelled": False,
        "call_retry_config": _EVENING_RETRIES,
        "from_phone_number": "+14155550177",
        "max_concurrent_calls": 2,
        "created_at": "2026-11-12T15:30:00.000000Z",
        "plan": {"completed": 4, "retry": 2, "scheduled": 4},
    },
    {
        "id": REMINDERS_ID,
        "name": "December check-up reminders",
        "assistant_id": REMINDER_ID,
        "status": "running",
        "is_cancelled": False,
        "call_retry_config": None,
        "from_phone_number": None,
        "max_concurrent_calls": 2,
        # Launched just after the reminder's change of 20 November (catalog_seed.RETUNED_AT), so that its calls
        # are all on the after side of that change and outside the measured tuning windows before it.
        "created_at": "2026-11-20T12:30:00.000000Z",
        # `pending`: the rows whose calls are catalog_seed's pending reminder calls, in PENDING_PLAN's order.
        "plan": {"pending": 8, "completed": 6},
    },
    {
        "id": OPEN_HOUSE_ID,
        "name": "Spring open house",
        "assistant_id": SALES_QUALIFIER_ID,
        "status": "completed",
        "is_cancelled": True,
        "call_retry_config": _EVENING_RETRIES,
        "from_phone_number": None,
        "max_concurrent_calls": 1,
        "created_at": "2026-09-15T10:00:00.000000Z",
        "plan": {"completed": 2, "cancelled": 4},
    },
]

# How many calls the campaigns' rows add to the call store (a row planned `none` has no call; `pending` rows
# are catalog_seed's pending calls, already there).
ROW_CALLS = sum(n for seed in CAMPAIGN_SEEDS for state, n in seed["plan"].items() if state not in ("none", "pending"))

_SCHEMA = "CREATE TABLE IF NOT EXISTS campaigns (id TEXT PRIMARY KEY, position INTEGER NOT NULL, data TEXT NOT NULL)"


class CampaignStore:
    """The campaigns as stored (status and what each holds itself) in the sandbox's SQLite file, beside the
    assistants; their rows in memory, made by `regenerate` with the call store (a row's call is the store's)."""

    def __init__(self, assistants: AssistantStore) -> None:
        self.assistants = assistants
        self._lock = threading.Lock()
        self._db = connect(assistants.path)
        self._db.execute(_SCHEMA)
        self.rows: dict[str, list[Row]] = {}
        # The calls a campaign's pause holds, by campaign id: what its resume releases.
        self.held: dict[str, set[str]] = {}
        with self._lock:
            (count,) = self._db.execute("SELECT COUNT(*) FROM campaigns").fetchone()
        if not count:
            self.reset()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def regenerate(self, pending: list[Row], paused_from: dict[str, str]) -> list[Row]:
        """The rows anew (the December reminders' are `pending`, the very dicts the call store holds), the waiting
        calls of a paused campaign held; answers the calls the rows add to the call store."""
        self.rows = generate_rows({a["id"]: a for a in SEED_ASSISTANTS}, pending)
        self.held = {}
        for campaign in self.list():
            if campaign["status"] == "paused":
                self.hold(campaign["id"], paused_from, touch=False)  # as seeded: no new updated_at
        known = {c["id"] for c in pending}
        return [r["call"] for rows in self.rows.values() for r in rows if r["call"] and r["call"]["id"] not in known]

    def hold(self, campaign_id: str, paused_from: dict[str, str], touch: bool = True) -> None:
        """A paused campaign's waiting calls become `paused` (their status kept in `paused_from` for the resume)."""
        held = self.held.setdefault(campaign_id, set())
        for row in self.rows.get(campaign_id, []):
            call = row["call"]
            if call is not None and call["status"] in _HOLDABLE:
                paused_from[call["id"]] = call["status"]
                call["status"] = "paused"
                if touch:
                    call["updated_at"] = _next_stamp(call["updated_at"])
                held.add(call["id"])

    def release(self, campaign_id: str, paused_from: dict[str, str]) -> None:
        """A resumed campaign's calls it held, still paused, go back to the status they had."""
        held = self.held.pop(campaign_id, set())
        for row in self.rows.get(campaign_id, []):
            call = row["call"]
            if call is not None and call["id"] in held and call["status"] == "paused":
                call.update(status=paused_from.pop(call["id"], "scheduled"), updated_at=_next_stamp(call["updated_at"]))

    def reset(self) -> None:
        """Every campaign back to its seed (the rows follow at the sandbox's next `regenerate`)."""
        with self._lock, transaction(self._db):
            self._db.execute("DELETE FROM campaigns")
            for position, seed in enumerate(CAMPAIGN_SEEDS):
                row = {k: v for k, v in seed.items() if k != "plan"} | {"updated_at": seed["created_at"]}
                self._db.execute(
                    "INSERT INTO campaigns (id, position, data) VALUES (?, ?, ?)",
                    (row["id"], position, json.dumps(row)),
                )

    def list(self) -> list[Row]:
        with self._lock:
            found = self._db.execute("SELECT data FROM campaigns ORDER BY position").fetchall()
        return [json.loads(data) for (data,) in found]

    def get(self, campaign_id: str) -> Row | None:
        with self._lock:
            found = self._db.execute("SELECT data FROM campaigns WHERE id = ?", (campaign_id,)).fetchone()
        return json.loads(found[0]) if found else None

    def set_status(self, campaign_id: str, allowed_from: str, status: str) -> tuple[Row | None, str | None]:
        """(the campaign, None) once moved from `allowed_from` to `status`; (it, why not) when its status does not
        allow it; (None, None) for no such campaign. Read and write in one transaction."""
        with self._lock, transaction(self._db):
            found = self._db.execute("SELECT data FROM campaigns WHERE id = ?", (campaign_id,)).fetchone()
            if found is None:
                return None, None
            row = json.loads(found[0])
            if row["is_cancelled"] or row["status"] != allowed_from:
                return row, _why_not(row, status)
            row["status"] = status
            row["updated_at"] = _next_stamp(row["updated_at"])
            self._db.execute("UPDATE campaigns SET data = ? WHERE id = ?", (json.dumps(row), campaign_id))
            return row, None


def _why_not(row: Row, wanted: str) -> str:
    verb = "paused" if wanted == "paused" else "resumed"
    if row["is_cancelled"]:
        return f"Campaign {row['id']} was cancelled: it cannot be {verb}."
    if row["status"] == wanted:
        return f"Campaign {row['id']} is already {wanted}."
    needed = "running" if wanted == "paused" else "paused"
    return f"Campaign {row['id']} is {row['status']}: only a {needed} campaign can be {verb}."


def _next_stamp(previous: str) -> str:
    now = datetime.now(UTC)
    floor = datetime.fromisoformat(previous) + timedelta(microseconds=1)
    return max(now, floor).isoformat(timespec="microseconds").replace("+00:00", "Z")


# --- rows and their calls ------------------------------------------------------------------------------------


def generate_rows(assistants: dict[str, Row], pending: list[Row]) -> dict[str, list[Row]]:
    """Every seeded campaign's rows, by campaign id, the same for every sandbox (a fixed seed). The rows planned
    `pending` take the calls of `pending` that name their campaign (oldest first), as they are."""
    rng = random.Random(23)
    return {
        seed["id"]: _campaign_rows(rng, seed, assistants.get(seed["assistant_id"]) or {}, pending)
        for seed in CAMPAIGN_SEEDS
    }


def _pending_row(index: int, row_id: str, call: Row) -> Row:
    contact = call["contact"]
    phone = call["to_phone_number"]
    return {
        "id": row_id,
        "input_data": {"first_name": contact["first_name"], "last_name": contact["last_name"], "phone": phone},
        "phone_number": phone,
        "row_index": index,
        "call": call,
    }


def _campaign_rows(rng: random.Random, seed: Row, assistant: Row, pending: list[Row]) -> list[Row]:
    created = datetime.fromisoformat(seed["created_at"])
    make = _reminder_call if seed["assistant_id"] == REMINDER_ID else _sales_call
    theirs = sorted(
        (c for c in pending if (c.get("campaign") or {}).get("id") == seed["id"]), key=lambda c: str(c["created_at"])
    )
    rows: list[Row] = []
    for state, count in seed["plan"].items():
        if state == "pending":
            for taken in theirs[:count]:
                rows.append(_pending_row(len(rows), f"row_{seed['id'][5:]}_{len(rows):03d}", taken))
            continue
        for _ in range(count):
            index = len(rows)
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            phone = f"+1628555{rng.randint(1000, 9999)}"
            row_id = f"row_{seed['id'][5:]}_{index:03d}"
            when = created + timedelta(hours=2 + index * 3, minutes=rng.randint(0, 59))
            call = (
                None
                if state == "none"
                else _row_call(rng, seed, assistant, (row_id, index, first, last, phone), state, when, make)
            )
            rows.append(
                {
                    "id": row_id,
                    "input_data": {"first_name": first, "last_name": last, "phone": phone},
                    "phone_number": phone,
                    "row_index": index,
                    "call": call,
                }
            )
    return rows


def _row_call(
    rng: random.Random,
    seed: Row,
    assistant: Row,
    who: tuple[str, int, str, str, str],
    state: str,
    when: datetime,
    make: Callable[[random.Random, str], tuple[str, str, str | None, str, list[Row], Row]],
) -> Row:
    """A row's call in the SDK's shape: attempted (`completed`, `calling`, a `retry` waiting, `errored`) or not
    (`scheduled`, `not_launched`, `cancelled`)."""
    row_id, index, first, last, phone = who
    caller_id = _CALLER_IDS.get(seed["assistant_id"], "+14155550100")
    from_number = seed["from_phone_number"] or assistant.get("from_phone_number") or caller_id
    result, end_reason, outcome, summary, transcript, structured = _conversation(rng, state, first, make)
    attempt = _attempt(f"att_{row_id}", phone, when, result, end_reason, transcript, structured)
    if state == "errored":
        attempt = {
            **attempt,
            "result": None,
            "status": "error",
            "dial_error": "number_non_attributed",
            "handled_by_ai": False,
            "answered_at": None,
            "end_reason": None,
            "ended_by": "system",
        }
        summary = "The number is not attributed."
    call = _call(
        f"call_{row_id}",
        SANDBOX_ORGANIZATION_ID,
        "outbound",
        (from_number, phone),
        (first, last),
        assistant,
        (outcome if state in ("completed", "hangup") else None, summary),
        when,
        [attempt],
    )
    call["campaign"] = {"id": seed["id"], "name": seed["name"]}
    call["call_retry_config"] = copy.deepcopy(seed["call_retry_config"] or assistant.get("call_retry_config"))
    call["metadata"] = {"campaign_row": str(index)}
    if state not in ("completed", "hangup"):
        _unfinished(call, state, when)
    return call


def _conversation(
    rng: random.Random,
    state: str,
    first: str,
    make: Callable[[random.Random, str], tuple[str, str, str | None, str, list[Row], Row]],
) -> tuple[str, str, str | None, str, list[Row], Row]:
    """(result, end_reason, outcome, summary, transcript, structured_output) of a row's last attempt."""
    conversation = make(rng, first)  # drawn for every row, so the seed's sequence does not depend on the plan
    if state == "retry":
        return "unknown", "user_unavailable", None, "Nobody answered; a retry is scheduled.", [], {}
    if state == "hangup":
        opener = _turn("assistant", f"Hi {first}, this is a call about your request. Do you have a quick minute?")
        return "human", "user_rejected", None, "Picked up and hung up at once.", [opener], {}
    return conversation


def _unfinished(call: Row, state: str, when: datetime) -> None:
    status = {"retry": "scheduled", "calling": "calling", "errored": "errored"}.get(state, state)
    call.update(status=status, is_completed=status == "errored", is_cancelled=status == "cancelled")
    if state in ("calling", "retry", "errored"):
        if state == "calling":
            live = {
                **call["last_call_attempt"],
                "status": "ongoing",
                "ended_at": None,
                "end_reason": None,
                "ended_by": None,
                "recording_url": None,
                "structured_output": None,
            }
            call.update(call_attempts=[live], last_call_attempt=live, outcome=None, outcome_summary=None)
        if state == "retry":
            call["scheduled_at"] = _stamp(when + timedelta(seconds=5400))
        return
    # Never dialled: no attempt yet.
    call.update(
        call_attempts=[],
        last_call_attempt=None,
        calls_count=0,
        outcome=None,
        outcome_summary=None,
        scheduled_at=_stamp(when + timedelta(days=1)),
        updated_at=_stamp(when),
    )


def rows_as_served(rows: list[Row], assistant: Row | None) -> list[Row]:
    """The rows with their calls as the call store holds them now, the assistant joined as stored now."""
    return [{**row, "call": row["call"] and {**row["call"], "assistant": assistant}} for row in rows]


# --- what a campaign answers -----------------------------------------------------------------------------


def row_stats(rows: list[Row]) -> Row:
    """The SDK's CampaignRowStats: each row counted once, by its call's state."""
    stats = dict.fromkeys(("calling", "completed", "failed", "not_launched", "pending", "retry", "skipped"), 0)
    for row in rows:
        call = row["call"]
        status = call["status"] if call else "skipped"
        if status in _WAITING or status in ("initializing", "queued_for_calling"):
            key = "retry" if call and call["calls_count"] else "pending"
        else:
            key = {
                "calling": "calling",
                "post_processing": "calling",
                "completed": "completed",
                "errored": "failed",
                "not_launched": "not_launched",
            }.get(status, "skipped")
        stats[key] += 1
    return {**stats, "total": len(rows)}


def _attempts(rows: list[Row]) -> list[tuple[Row, Row]]:
    """(call, attempt) for every attempt of the rows' calls."""
    return [(r["call"], a) for r in rows if r["call"] for a in r["call"]["call_attempts"]]


def _outcome_of(call: Row) -> str:
    return call["outcome"] or "none"


def _numbers(calls: list[Row], keep: Callable[[Row], bool]) -> set[str]:
    return {c["to_phone_number"] for c in calls if keep(c)}


def _reached(call: Row) -> bool:
    return any(a["result"] == "human" for a in call["call_attempts"])


def _real_exchange(call: Row) -> bool:
    spoke = (t["role"] == "user" for a in call["call_attempts"] for t in a.get("transcript") or [])
    return _reached(call) and any(spoke)


def _exchanges(calls: list[Row]) -> dict[str, Row]:
    """Each number's latest call with a real exchange: what the outcomes, the hot leads and the leads count (one
    per distinct number, as every count of the statistics)."""
    latest: dict[str, Row] = {}
    for call in sorted((c for c in calls if _real_exchange(c)), key=lambda c: str(c["created_at"])):
        latest[call["to_phone_number"]] = call
    return latest


def _hot(calls: list[Row]) -> set[str]:
    return {number for number, call in _exchanges(calls).items() if _outcome_of(call) in HOT_LEAD_OUTCOMES}


def campaign_answer(campaign: Row, rows: list[Row], assistant: Row | None) -> Row:
    """The SDK's Campaign: what is stored, the assistant joined, and the row and funnel counts."""
    calls = [r["call"] for r in rows if r["call"]]
    attempted = [c for c in calls if c["call_attempts"]]
    scheduled = min((c["scheduled_at"] for c in calls), default=None)
    return {
        **{k: v for k, v in campaign.items()},
        "organization_id": SANDBOX_ORGANIZATION_ID,
        "assistant": assistant,
        "created_by": _CREATOR,
        "funnel_stats": {
            "hot": len(_hot(attempted)),
            "talked_to_human": len(_numbers(attempted, _reached)),
            "total_leads": len(rows),
        },
        "metadata_keys": ["first_name", "last_name", "phone"],
        "row_stats": row_stats(rows),
        "scheduled_at": scheduled,
        "structured_output_extraction": "completed" if campaign["status"] == "completed" else "running",
    }


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _lead(call: Row) -> Row:
    attempt = call["last_call_attempt"] or {}
    contact = call["contact"]
    return {
        "attempt_id": attempt.get("id"),
        "call_id": call["id"],
        "direction": call["direction"],
        "email": contact.get("email"),
        "last_activity_at": attempt.get("ended_at") or call["updated_at"],
        "name": " ".join(p for p in (contact.get("first_name"), contact.get("last_name")) if p)
        or call["to_phone_number"],
        "phone": call["to_phone_number"],
        "summary": call["outcome_summary"],
    }


def statistics_answer(campaign: Row, rows: list[Row], assistant: Row | None) -> Row:
    """The SDK's CampaignStatisticsResponse, computed from the rows' calls (distinct numbers throughout)."""
    calls = [r["call"] for r in rows if r["call"]]
    attempted = [c for c in calls if c["call_attempts"]]
    called, reached = _numbers(attempted, lambda c: True), _numbers(attempted, _reached)
    exchanges = list(_exchanges(attempted).values())
    hot = _hot(attempted)
    moments = sorted(a["started_at"] for _, a in _attempts(rows))
    ended = sorted(a["ended_at"] or a["started_at"] for _, a in _attempts(rows))
    config = campaign["call_retry_config"] or (assistant or {}).get("call_retry_config") or {}
    by_outcome: dict[str, int] = {}
    for call in exchanges:
        by_outcome[_outcome_of(call)] = by_outcome.get(_outcome_of(call), 0) + 1
    fields = [f["name"] for f in (assistant or {}).get("structured_output_config") or []]
    statistics = {
        "campaign": {
            "id": campaign["id"],
            "agent_name": (assistant or {}).get("name"),
            "first_activity_at": moments[0] if moments else None,
            "has_activity": bool(moments),
            "is_cancelled": campaign["is_cancelled"],
            "last_activity_at": ended[-1] if ended else None,
            "max_attempts_per_contact": config.get("max_retry_attempts"),
            "name": campaign["name"],
            "status": campaign["status"],
            "timezone": config.get("timezone") or "UTC",
        },
        "data_extraction": {"fields": fields, "intro": "Data extracted from the calls' conversations."}
        if fields
        else None,
        # Effort counts dialling: every outbound attempt and inbound call (a call order never dialled is none).
        "effort": {"calls_total": len(_attempts(rows)), "inbound_calls": 0, "outbound_attempts": len(_attempts(rows))},
        "funnel": {
            "called": {"count": len(called), "imported_rows": len(rows)},
            "reached": {
                "count": len(reached),
                "inbound": 0,
                "outbound": len(reached),
                "overlap": 0,
                "pct_of_called": _pct(len(reached), len(called)),
            },
            "real_exchanges": {"count": len(exchanges), "pct_of_reached": _pct(len(exchanges), len(reached))},
            "hot_leads": {"count": len(hot), "pct_of_reached": _pct(len(hot), len(reached))},
        },
        "hot_lead_outcomes": HOT_LEAD_OUTCOMES,
        "inbound": {"unique_callers": 0},
        "jump_in": {"joined_calls": 0, "median_conversation_seconds": None, "median_time_to_join_seconds": None},
        "leads": {
            "callback_requested": [_lead(c) for c in exchanges if c["outcome"] == "requested_callback_later"],
            "interested": [_lead(c) for c in exchanges if c["outcome"] == "interested"],
        },
        "outcome_breakdown": [
            {"count": n, "label": _OUTCOME_LABELS.get(o, o), "outcome": o} for o, n in sorted(by_outcome.items())
        ],
    }
    return {"statistics": statistics}


# --- routes ---------------------------------------------------------------------------------------------------


def _store(request: Request) -> CampaignStore:
    store: CampaignStore = request.app.state.campaigns
    return store


def _not_found() -> JSONResponse:
    return JSONResponse({"message": "Campaign not found"}, status_code=404)


async def _served(store: CampaignStore, campaign: Row) -> tuple[list[Row], Row | None]:
    assistant = await anyio.to_thread.run_sync(store.assistants.get, campaign["assistant_id"])
    return rows_as_served(store.rows.get(campaign["id"], []), assistant), assistant


async def list_campaigns(request: Request) -> Response:
    store = _store(request)
    answers = []
    for campaign in await anyio.to_thread.run_sync(store.list):
        rows, assistant = await _served(store, campaign)
        answers.append(campaign_answer(campaign, rows, assistant))
    return JSONResponse({"campaigns": answers})


async def _one(request: Request, answer: Callable[[Row, list[Row], Row | None], Row]) -> Response:
    store = _store(request)
    campaign = await anyio.to_thread.run_sync(store.get, request.path_params["id"])
    if campaign is None:
        return _not_found()
    rows, assistant = await _served(store, campaign)
    return JSONResponse(answer(campaign, rows, assistant))


async def get_campaign(request: Request) -> Response:
    return await _one(request, lambda c, rows, a: {"campaign": campaign_answer(c, rows, a)})


async def campaign_statistics(request: Request) -> Response:
    return await _one(request, statistics_answer)


async def campaign_rows(request: Request) -> Response:
    return await _one(request, lambda c, rows, a: {"rows": rows})


async def _move(request: Request, allowed_from: str, status: str) -> Response:
    store = _store(request)
    campaign, why_not = await anyio.to_thread.run_sync(
        store.set_status, request.path_params["id"], allowed_from, status
    )
    if campaign is None:
        return _not_found()
    if why_not is not None:
        return JSONResponse({"message": why_not}, status_code=409, headers={"x-should-retry": "false"})
    # The campaign's waiting calls follow it, in the call store (the sandbox's state keeps what a pause held).
    paused_from: dict[str, str] = request.app.state.sandbox.paused_from
    (store.hold if status == "paused" else store.release)(campaign["id"], paused_from)
    return JSONResponse({"success": True})


async def pause_campaign(request: Request) -> Response:
    return await _move(request, "running", "paused")


async def resume_campaign(request: Request) -> Response:
    return await _move(request, "paused", "running")


CAMPAIGN_ROUTES = [
    Route("/campaigns", list_campaigns, methods=["GET"]),
    Route("/campaigns/{id}", get_campaign, methods=["GET"]),
    Route("/campaigns/{id}/statistics", campaign_statistics, methods=["GET"]),
    Route("/campaigns/{id}/rows", campaign_rows, methods=["GET"]),
    Route("/campaigns/{id}/pause", pause_campaign, methods=["POST"]),
    Route("/campaigns/{id}/resume", resume_campaign, methods=["POST"]),
]
