"""The sandbox's calls, beyond storing them: the search (POST /call/search), the actions on a call order
(cancel, pause, resume) and the phone history (GET /calls/phone-history), as pure functions over the
sandbox's list of calls, each in the official SDK's shapes.

What the SDK documents, and what the sandbox assumes where it is silent:
- Search: the eight list filters are required (an empty list matches any value); `call_ids`, `query`,
  `sort_by`, `sort_direction` and `to_phone_number` are optional. `sort_by` is a plain string in the SDK;
  the sandbox takes the call's own scalar fields listed in SORTABLE and refuses any other with a 400.
- Cancel "a running or scheduled call"; pause "a call's retry loop" (no new attempt until resumed); resume
  "a previously paused call". A call in a state an action does not apply to is refused with 400 and a
  message naming its status (not 409: the API's 409 means its lock timed out, and clients send it again).
- Phone history: every number the organization has called or been called from, keyed by the contact's
  number (outbound: to_phone_number; inbound: from_phone_number), over the calls with at least one
  attempt. `hot` is assumed to mean the last outcome was interested, `do_not_contact` that it was
  not_interested (the SDK does not say how the API decides either).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

Call = dict[str, Any]

STATUSES = (
    "initializing", "queued_for_calling", "calling", "post_processing", "not_launched", "scheduled", "paused",
    "completed", "cancelled", "errored",
)  # fmt: skip
# The required list filters of CallSearchParams, what each allows (None: any string), and the field of a call
# each one matches.
REQUIRED_FILTERS: dict[str, tuple[tuple[str, ...] | None, Any]] = {
    "assignee_ids": (None, lambda c: (c.get("assignee") or {}).get("id")),
    "assistant_ids": (None, lambda c: (c.get("assistant") or {}).get("id")),
    "campaign_ids": (None, lambda c: (c.get("campaign") or {}).get("id")),
    "directions": (("inbound", "outbound"), lambda c: c["direction"]),
    "from_phone_numbers": (None, lambda c: c["from_phone_number"]),
    "outcomes": (
        ("not_interested", "interested", "completed", "requested_callback_later", "none"),
        lambda c: c["outcome"] or "none",
    ),
    "results": (
        ("IVR", "voicemail", "human", "unknown", "ios-screening-filter", "none"),
        lambda c: (c.get("last_call_attempt") or {}).get("result") or "none",
    ),
    "statuses": (STATUSES, lambda c: c["status"]),
}
SORTABLE = ("created_at", "updated_at", "scheduled_at", "calls_count", "status", "direction", "id")

# What each action applies to, the status it leaves, and how its refusal reads.
CANCELLABLE = frozenset({"initializing", "not_launched", "scheduled", "queued_for_calling", "calling", "paused"})
PAUSABLE = frozenset({"initializing", "scheduled", "queued_for_calling", "calling"})
RESUMABLE = frozenset({"paused"})


class SearchRefused(ValueError):
    """A search body the API would refuse (400): `field` names the key."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class ActionRefused(ValueError):
    """An action on a call in a state it does not apply to (400)."""


def _checked_filters(body: dict[str, Any]) -> dict[str, list[Any]]:
    filters: dict[str, list[Any]] = {}
    for name, (allowed, _) in REQUIRED_FILTERS.items():
        if name not in body:
            raise SearchRefused(name, "Required")
        values = body[name]
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise SearchRefused(name, "Expected an array of strings")
        bad = [v for v in values if allowed is not None and v not in allowed]
        if bad:
            raise SearchRefused(name, f"Invalid value {bad[0]!r}; expected one of {', '.join(allowed or ())}")
        filters[name] = values
    for name in ("page", "page_size"):
        if not isinstance(body.get(name), int) or isinstance(body.get(name), bool):
            raise SearchRefused(name, "Required: an integer")
    return filters


def _searchable(call: Call) -> str:
    """The text a search query is matched against: the call itself and its assistant's name, not the whole
    assistant (its prompt would make every call of an assistant match the words of that prompt)."""
    assistant = call.get("assistant") or {}
    named = {**call, "assistant": {"id": assistant.get("id"), "name": assistant.get("name")}}
    return json.dumps(named, ensure_ascii=False).casefold()


def _sorted(calls: list[Call], body: dict[str, Any]) -> list[Call]:
    key = body.get("sort_by") or "created_at"
    if key not in SORTABLE:
        raise SearchRefused("sort_by", f"Cannot sort by {key!r}; sortable fields: {', '.join(SORTABLE)}")
    direction = body.get("sort_direction", "desc")
    if direction not in ("asc", "desc"):
        raise SearchRefused("sort_direction", f"Invalid value {direction!r}; expected asc or desc")
    valued = [c for c in calls if c.get(key) is not None]
    # Calls without the value come last either way; ties keep the newest first.
    newest = sorted(valued, key=lambda c: str(c.get("created_at") or ""), reverse=True)
    ordered = sorted(newest, key=lambda c: c[key], reverse=direction == "desc")
    return ordered + [c for c in calls if c.get(key) is None]


def search(calls: list[Call], body: dict[str, Any]) -> tuple[list[Call], int]:
    """One page of the calls `body` (CallSearchParams) matches, and how many match in all."""
    found = calls
    for name, wanted in _checked_filters(body).items():
        if wanted:
            field_of = REQUIRED_FILTERS[name][1]
            found = [c for c in found if field_of(c) in wanted]
    if body.get("call_ids"):
        found = [c for c in found if c["id"] in body["call_ids"]]
    if body.get("to_phone_number"):
        found = [c for c in found if c["to_phone_number"] == body["to_phone_number"]]
    if body.get("query"):
        needle = str(body["query"]).casefold()
        found = [c for c in found if needle in _searchable(c)]
    found = _sorted(found, body)
    page, size = max(1, body["page"]), max(1, min(100, body["page_size"]))
    return found[(page - 1) * size : page * size], len(found)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def act(call: Call, action: str, paused_from: dict[str, str]) -> None:
    """Carry out `action` (cancel, pause, resume) on `call` in place, or refuse it for the call's status.
    `paused_from` keeps the status a paused call had, for its resume."""
    status = call["status"]
    applies = {"cancel": CANCELLABLE, "pause": PAUSABLE, "resume": RESUMABLE}[action]
    if status not in applies:
        what = {"cancel": "cancelled", "pause": "paused", "resume": "resumed"}[action]
        raise ActionRefused(
            f"Call {call['id']} cannot be {what}: its status is '{status}' "
            f"(it must be one of: {', '.join(s for s in STATUSES if s in applies)})."
        )
    if action == "cancel":
        call.update(status="cancelled", is_cancelled=True)
        paused_from.pop(call["id"], None)
    elif action == "pause":
        paused_from[call["id"]] = status
        call["status"] = "paused"
    else:
        call["status"] = paused_from.pop(call["id"], "queued_for_calling" if call.get("call_attempts") else "scheduled")
    call["updated_at"] = _now()


def _contact_number(call: Call) -> str:
    return str(call["to_phone_number"] if call.get("direction") == "outbound" else call["from_phone_number"])


def _history_entry(calls: list[Call]) -> dict[str, Any]:
    """One number's entry (PhoneHistory), from its calls newest first."""
    attempts = [a for c in calls for a in c.get("call_attempts") or [] if isinstance(a, dict)]
    outcome = next((c["outcome"] for c in calls if c.get("outcome")), None)
    campaigns = {c["campaign"]["id"]: c["campaign"] for c in calls if c.get("campaign")}
    return {
        "campaigns": [{"id": k, "name": v["name"]} for k, v in campaigns.items()],
        "count": len(calls),
        "do_not_contact": outcome == "not_interested",
        "hot": outcome == "interested",
        "last_called_at": max((str(a["started_at"]) for a in attempts if a.get("started_at")), default=None),
        "last_outcome": outcome,
        "reached_human": any(a.get("result") == "human" for a in attempts),
    }


def phone_history(calls: list[Call]) -> dict[str, Any]:
    """GET /calls/phone-history: every contact number of a call with at least one attempt."""
    by_number: dict[str, list[Call]] = {}
    for call in sorted(calls, key=lambda c: str(c.get("created_at") or ""), reverse=True):
        if call.get("call_attempts"):
            by_number.setdefault(_contact_number(call), []).append(call)
    return {"phone_history": {number: _history_entry(found) for number, found in by_number.items()}}
