"""Changes made outside revox-mcp (the dashboard, scripts, colleagues), found when this server reads an assistant.

Every read of an assistant (get_assistant, and the writer's read before a write) is compared with the last
version the journal knows of it (its newest *observation*). When the configuration differs, the journal gets a
change of kind "outside", actor "outside revox-mcp": the fields that differ, their values before and after as
everywhere (masked, in sendable form, long texts and keyed lists as deltas), at the moment the assistant's
`updated_at` names (the time of its last change); if there were several, the earlier ones fell after the
previous observation, which the row says. list_changes lists it beside the server's own changes, and
change_impact measures it by id.

An observation is compact: a digest per configuration field and of them all, and the masked values of the
fields small enough to keep (each under VALUE_CAP, together under VALUES_CAP); only the newest observation of
an assistant keeps values, and a version is stored once however many reads (or servers) see it. A field whose
value was not kept shows as changed, without its value before.

The writer's own writes are not outside changes: the answer to its PATCH is recorded as the new observation
before its journal row is finished, and a read that meets a write still pending records nothing (that write
records its own). Observing never fails a read: a journal failure is logged and the read answers.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime
from typing import Any

import anyio

from revox_mcp.deltas import delta, holds, is_delta
from revox_mcp.journal import Journal
from revox_mcp.journal.base import OUTSIDE, Observation, now
from revox_mcp.redaction import redact
from revox_mcp.sendable import UPDATE_FIELDS, comparable

logger = logging.getLogger(__name__)

State = dict[str, Any]
# One field's value is kept when its JSON is at most this long; all kept values together at most VALUES_CAP.
VALUE_CAP = 32_768
VALUES_CAP = 131_072
# What an outside row holds for a value it could not keep (too long, with no earlier value to take a delta of).
NOT_KEPT = "$not_kept"
# How many of an assistant's newest rows are looked at for writes of this server since the last observation.
OWN_ROWS = 20


def _dumped(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def journal_time(value: Any) -> str:
    """An API time (updated_at) in the journal's time form (text order is time order); "" when unreadable."""
    if not isinstance(value, str):
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return ""
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def snapshot(assistant: State) -> tuple[Observation, State]:
    """The observation of one read, and the masked configuration it was made of (CPU work: off the loop)."""
    config = {f: redact(comparable(f, assistant[f])) for f in sorted(UPDATE_FIELDS) if f in assistant}
    texts = {f: _dumped(v) for f, v in config.items()}
    fields = {f: _digest(t) for f, t in texts.items()}
    kept: State = {}
    room = VALUES_CAP
    for name in sorted(texts, key=lambda f: len(texts[f])):  # the small fields first: most changes are to them
        size = len(texts[name])
        if size > VALUE_CAP or size > room:
            break
        kept[name], room = config[name], room - size
    observation = Observation(
        assistant_id=str(assistant.get("id")),
        updated_at=assistant.get("updated_at") if isinstance(assistant.get("updated_at"), str) else None,
        moment=journal_time(assistant.get("updated_at")),
        digest=_digest(_dumped(fields)),
        fields=fields,
        values=kept,
        observed_at=now(),
    )
    return observation, config


def outside_change_id(scope: str, observation: Observation) -> str:
    """The same id in every server that sees this version: the row is recorded once."""
    key = f"{scope}\0{observation.assistant_id}\0{observation.moment}\0{observation.digest}"
    stamp = (observation.moment or observation.observed_at)[:19].replace("-", "").replace(":", "")
    return f"chg_{stamp}_{hashlib.blake2b(key.encode(), digest_size=6).hexdigest()}"


def outside_change(
    scope: str, base: Observation, seen: Observation, config: State, fields: list[str], after_what: str = ""
) -> State:
    """The outside row for `fields`, which differ between `base` and `seen` (`config`: seen's masked values).
    `after_what`: what the base was, when not a read (this server's last write)."""
    before: State = {"updated_at": base.updated_at}
    after: State = {"updated_at": seen.updated_at}
    unkept = []
    for name in fields:
        new = config.get(name)
        change = delta(name, base.values[name], new) if name in base.values else None
        if change is not None and len(_dumped(change)) <= VALUE_CAP:
            after[name] = change  # a long list or text: what changed of it
            continue
        if name in base.values and change is None:
            before[name] = base.values[name]
        else:
            unkept.append(name)
        small = change is None and len(_dumped(new)) <= VALUE_CAP
        after[name] = new if small else {NOT_KEPT: seen.fields.get(name)}
    since = max(base.observed_at, base.moment)
    words = (
        f"Made outside revox-mcp; seen at a read at {seen.observed_at}. updated_at {seen.updated_at} is the time of "
        f"its last change; if there were several, the earlier ones fell after {since} "
        f"({after_what or f'the read before, which showed updated_at {base.updated_at}'})."
    )
    if unkept:
        words += f" The values before of {', '.join(unkept)} were not kept (long, or not read before)."
    return {
        "change_id": outside_change_id(scope, seen),
        "created_at": seen.moment or seen.observed_at,
        "fields": fields,
        "before": before,
        "after": after,
        "status_reason": words,
        "action": {"observed_at": seen.observed_at, "since": since, "unkept": unkept, "digest": seen.digest},
    }


class Observer:
    """Compares each read of an assistant with the journal's last observation of it, and records what differs."""

    def __init__(self, journal: Journal) -> None:
        self._journal = journal

    async def seen(self, assistant: State) -> str | None:
        """Observe a read: the id of the outside change it found, if any. Never raises (but a cancellation)."""
        return await self._safely(assistant, own=False)

    async def own(self, assistant: State) -> None:
        """The answer to this server's own write: the new observation, never an outside change."""
        await self._safely(assistant, own=True)

    async def _safely(self, assistant: State, own: bool) -> str | None:
        if not self._journal.records or not isinstance(assistant.get("id"), str):
            return None
        try:
            return await self._observe(assistant, own)
        except Exception as exc:  # a read answers whatever the journal does
            logger.warning("observing %s failed (the read answers): %s", assistant.get("id"), type(exc).__name__)
            return None

    async def _observe(self, assistant: State, own: bool) -> str | None:
        seen, config = await anyio.to_thread.run_sync(snapshot, assistant)
        base = await self._journal.last_observation(seen.assistant_id)
        if base is not None and base.moment == seen.moment and base.digest == seen.digest:
            return None  # nothing new: a read of an unchanged assistant writes nothing
        if base is not None and seen.moment and base.moment and seen.moment < base.moment:
            return None  # an older version than the journal knows: a read that was overtaken
        if own or base is None:
            change = None if own else await self._against_last_write(seen, config)
            await self._journal.observe(seen, change)
            return change["change_id"] if change else None
        # Fields both reads hold: one an answer left out (or a newer API added) is no change.
        names = base.fields.keys() & seen.fields.keys()
        differing = sorted(f for f in names if base.fields.get(f) != seen.fields.get(f))
        rows = await self._journal.of_target("assistant", seen.assistant_id, OWN_ROWS)
        recent = [r for r in rows if r.kind != OUTSIDE and r.created_at > base.observed_at]
        if any(r.status == "pending" for r in recent):
            return None  # a write of this server is under way: it records its own observation
        ours = {f for r in recent if r.status == "applied" for f in r.fields}
        fields = [f for f in differing if f not in ours]
        change = outside_change(self._journal.scope, base, seen, config, fields) if fields else None
        await self._journal.observe(seen, change)
        return change["change_id"] if change else None

    async def _against_last_write(self, seen: Observation, config: State) -> State | None:
        """With no observation yet (a journal of an earlier release), the fields this server's last applied
        write of the assistant set, where the assistant no longer holds what it left."""
        rows = await self._journal.of_target("assistant", seen.assistant_id, OWN_ROWS)
        last = next((r for r in rows if r.is_update and r.status == "applied"), None)
        if last is None or not seen.moment or seen.moment <= last.created_at:
            return None
        recorded = last.after if last.after is not None else {**last.before, **last.body}
        fields = [f for f in last.fields if f in UPDATE_FIELDS and not holds(config.get(f), recorded.get(f))]
        if not fields:
            return None
        values = {f: recorded[f] for f in fields if f in recorded and not is_delta(recorded[f])}
        base = Observation(seen.assistant_id, None, last.created_at, "", {}, values, last.created_at)
        return outside_change(self._journal.scope, base, seen, config, fields, f"this server's write {last.change_id}")
