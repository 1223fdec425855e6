"""Calls as evidence of the configuration they ran with: changes derived from an assistant's call history.

Where the API answers each call with the assistant configuration it ran with (the SDK's `Call.assistant`,
with its `updated_at`), an assistant's calls, in the order they started, fall into runs of one configuration
(compared by a digest of its sendable, masked form). Each boundary between two runs is a change, even one made
before revox-mcp was installed: its fields are those whose values differ between the two configurations (masked,
as everywhere), and its moment lies after the last call of the old configuration and at or before the first
call of the new. The new configuration's `updated_at` names it when it falls inside those bounds; otherwise the
first call that ran with the new configuration stands for it. A call that carries an older configuration than
the run it falls in (a queued call that ran after the change) is counted with its own and starts no run.

This depends on the API answering the configuration a call ran with: an API that joins every call to the
assistant as it is now shows one configuration, and no change. Reading is bounded: the newest MAX_SCANNED calls
at most, in pages, with progress; digests are CPU work, done off the event loop.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

import anyio

from revox_mcp.progress import Progress
from revox_mcp.redaction import redact
from revox_mcp.sendable import UPDATE_FIELDS, comparable

State = dict[str, Any]
Call = dict[str, Any]
Search = Callable[[State], Awaitable[tuple[list[Call], int | None]]]

FROM_CALLS = "from_calls"
PREFIX = "calls_"
SCAN_PAGE = 100
MAX_SCANNED = 2_000
_KEY_CHARS = 12


def _dumped(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _instant(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _started(call: Call) -> datetime | None:
    attempt = call.get("last_call_attempt")
    started = attempt.get("started_at") if isinstance(attempt, dict) else None
    return _instant(started or call.get("created_at"))


@dataclass
class Run:
    """Consecutive calls that ran with one configuration."""

    digest: str
    updated_at: str | None
    config: State
    first: datetime
    last: datetime
    calls: int = 1


@dataclass(frozen=True)
class DerivedChange:
    """A change between two consecutive configurations the calls show."""

    change_id: str
    assistant_id: str
    moment: datetime
    named_by: str  # "updated_at" or "first call"
    updated_at: str | None
    stamp_before: str | None
    last_old: datetime
    first_new: datetime
    fields: list[str]
    before: State = field(repr=False)
    after: State = field(repr=False)

    @property
    def moment_text(self) -> str:
        """The moment in the journal's time form (text order is time order)."""
        return _stamp(self.moment)

    def words(self) -> str:
        named = (
            f"the new configuration's updated_at {self.updated_at}"
            if self.named_by == "updated_at"
            else f"the first call that ran with it (its updated_at {self.updated_at} is not between the calls)"
        )
        return (
            f"Derived from calls (not a journal row): the last call with the old configuration started at "
            f"{_stamp(self.last_old)}, the first with the new at {_stamp(self.first_new)}; the moment is {named}. "
            "Who made it is not known."
        )


def derived_id(assistant_id: str, old: Run, new: Run) -> str:
    """The same id at every read of the same history: the assistant, the two configurations, the new stamp."""
    key = f"{assistant_id}\0{old.digest}\0{new.digest}\0{new.updated_at}"
    short = hashlib.blake2b(key.encode(), digest_size=_KEY_CHARS // 2).hexdigest()
    whole = f"{PREFIX}{short}_{assistant_id}"
    return whole if len(whole) <= 64 else f"{PREFIX}{short}"


def parse_id(change_id: str) -> tuple[str, str | None] | None:
    """(the id's key, its assistant where it names one), or None for an id that is not a derived one."""
    if not change_id.startswith(PREFIX):
        return None
    rest = change_id[len(PREFIX) :]
    key, _, assistant_id = rest.partition("_")
    if len(key) != _KEY_CHARS or any(c not in "0123456789abcdef" for c in key):
        return None
    return key, assistant_id or None


async def read_calls(search: Search, assistant_id: str, progress: Progress) -> tuple[list[Call], bool]:
    """The assistant's newest calls, at most MAX_SCANNED, in pages; (calls, whether the cap cut them)."""
    body = {
        "assistant_ids": [assistant_id], "campaign_ids": [], "assignee_ids": [], "from_phone_numbers": [],
        "directions": [], "outcomes": [], "results": [], "statuses": [], "sort_by": "created_at",
        "sort_direction": "desc",
    }  # fmt: skip
    calls: list[Call] = []
    page = 1
    while len(calls) < MAX_SCANNED:
        batch, available = await search({**body, "page": page, "page_size": SCAN_PAGE})
        calls += [c for c in batch if isinstance(c, dict)]
        # An answer without its total says no more than its page: read on while pages come back full.
        known = available if available is not None else len(calls) + (SCAN_PAGE if len(batch) >= SCAN_PAGE else 0)
        await progress(len(calls), min(known, MAX_SCANNED), f"Read {len(calls)} of {known} calls")
        if not batch or len(calls) >= known:
            return calls, False
        page += 1
    return calls, True


def _configuration(assistant: State) -> tuple[str, State]:
    config = {f: redact(comparable(f, assistant[f])) for f in sorted(UPDATE_FIELDS) if f in assistant}
    return hashlib.sha256(_dumped(config).encode()).hexdigest()[:32], config


def runs(calls: list[Call], assistant_id: str) -> list[Run]:
    """The runs of one configuration in the calls, oldest first (CPU work: off the loop)."""
    seen: dict[str, tuple[str, State]] = {}
    timed = []
    for call in calls:
        assistant, start = call.get("assistant"), _started(call)
        if isinstance(assistant, dict) and assistant.get("id") == assistant_id and start is not None:
            timed.append((start, assistant))
    found: list[Run] = []
    for start, assistant in sorted(timed, key=lambda t: t[0]):
        raw = _dumped(assistant)
        if raw not in seen:
            seen[raw] = _configuration(assistant)
        digest, config = seen[raw]
        stamp = assistant.get("updated_at") if isinstance(assistant.get("updated_at"), str) else None
        current = found[-1] if found else None
        if current is not None and current.digest == digest:
            current.last, current.calls = start, current.calls + 1
        elif current is not None and _older(stamp, current.updated_at):
            continue  # a call that ran late with an older configuration: no run of its own
        else:
            found.append(Run(digest, stamp, config, start, start))
    return found


def _older(stamp: str | None, than: str | None) -> bool:
    one, other = _instant(stamp), _instant(than)
    return one is not None and other is not None and one < other


def changes(assistant_id: str, found: list[Run]) -> list[DerivedChange]:
    """The change at each boundary between two runs, oldest first (CPU work: off the loop)."""
    derived = []
    for old, new in pairwise(found):
        names = sorted(old.config.keys() | new.config.keys())
        fields = [f for f in names if _dumped(old.config.get(f)) != _dumped(new.config.get(f))]
        stamp = _instant(new.updated_at)
        inside = stamp is not None and old.last < stamp <= new.first
        derived.append(
            DerivedChange(
                change_id=derived_id(assistant_id, old, new),
                assistant_id=assistant_id,
                moment=stamp if stamp is not None and inside else new.first,
                named_by="updated_at" if inside else "first call",
                updated_at=new.updated_at,
                stamp_before=old.updated_at,
                last_old=old.last,
                first_new=new.first,
                fields=fields,
                before={f: old.config.get(f) for f in fields},
                after={f: new.config.get(f) for f in fields},
            )
        )
    return derived


@dataclass(frozen=True)
class Evidence:
    """What an assistant's calls say about its changes."""

    assistant_id: str
    changes: list[DerivedChange]
    calls_read: int
    capped: bool

    def note(self) -> str:
        cut = f" (only the newest {MAX_SCANNED}: older changes are not seen)" if self.capped else ""
        return (
            f"{len(self.changes)} change(s) derived from the configuration {self.calls_read} call(s){cut} ran with: "
            "this needs the API to answer each call with the configuration it ran with."
        )

    def find(self, change_id: str) -> DerivedChange | None:
        return next((c for c in self.changes if c.change_id == change_id), None)

    def around(self, change: DerivedChange) -> tuple[list[datetime], list[tuple[datetime, str]]]:
        """The moments of the derived changes before `change`, and after it (with ids, the next first)."""
        position = self.changes.index(change)
        earlier = [c.moment for c in self.changes[:position]]
        return earlier, [(c.moment, c.change_id) for c in self.changes[position + 1 :]]


async def evidence(search: Search, assistant_id: str, progress: Progress) -> Evidence:
    """Read the assistant's calls and derive its changes from them."""
    calls, capped = await read_calls(search, assistant_id, progress)
    derived = await anyio.to_thread.run_sync(lambda: changes(assistant_id, runs(calls, assistant_id)))
    return Evidence(assistant_id, derived, len(calls), capped)
