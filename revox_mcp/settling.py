"""What became of a write sent without a decisive answer: landed, did not land, or not known yet.

A write the API answered (a 2xx, or a 5xx from the API itself) is decided by one re-read: the API was done
with it when it answered. A write without an answer (a timeout, a dropped connection, a 504 from a gateway,
a cancelled call, a crash) may still be delivered and land later, so a re-read that does not show it only
decides "did not land" once its grace has passed (the client's timeouts plus a margin, `Settings.grace_s`).
Until then the journal row stays `pending`, nothing is sent over it, and the agent is told so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio

from revox_mcp.client import RevoxClient
from revox_mcp.deltas import holds as recorded_holds
from revox_mcp.errors import ApiError, WriteUndecided
from revox_mcp.journal import Journal, JournalEntry
from revox_mcp.progress import Progress, no_progress
from revox_mcp.secret_digests import fields_of, not_held
from revox_mcp.sendable import comparable, holds

State = dict[str, Any]
WRITE_STEPS = 3  # read, check, write: the writer's progress steps, which a wait comes before
# How often a write waiting for an earlier undecided one looks whether that one's own writer decided it.
_POLL_S = 0.25


@dataclass(frozen=True)
class Verdict:
    landed: bool | None  # None: not known yet
    reread: State | None  # what the re-read showed, if it could read
    decide_at: datetime | None = None  # for an undecided write: when its grace ends


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def sent_at(entry: JournalEntry) -> datetime:
    """When the row's PATCH was last sent (rows written before `sent_at` existed: when the row began). A
    stamp to the second (rows of earlier releases) is rounded up, so that no grace ends early."""
    text = entry.sent_at or entry.created_at
    moment = _instant(text)
    # To the second: no fraction, or the `.000000` the journal's migration gave such rows.
    return moment + timedelta(seconds=1) if moment.microsecond == 0 else moment


class Settler:
    def __init__(self, client: RevoxClient, journal: Journal) -> None:
        self._client = client
        self._journal = journal
        # Undecided writes no journal row remembers (--no-journal): this server still waits for them.
        self._unjournalled: dict[str, tuple[State, datetime]] = {}

    def remember(self, assistant_id: str, body: State, since: datetime) -> None:
        """An undecided write without a journal row: the next write to the assistant here waits for it."""
        self._unjournalled[assistant_id] = (body, since)

    @property
    def grace(self) -> timedelta:
        return timedelta(seconds=self._client.settings.grace_s)

    async def reread(self, assistant_id: str) -> State | None:
        try:
            return await self._client.get_assistant(assistant_id)
        except ApiError:
            return None

    async def decide(
        self,
        assistant_id: str,
        body: State,
        since: datetime,
        *,
        answered: bool,
        masked: bool = False,
        grace: timedelta | None = None,
        digests: dict[str, str] | None = None,
    ) -> Verdict:
        """One look. `answered`: the API itself answered, so a re-read decides now. `masked`: `body` is a
        journal row's (secrets masked), compared masked with masked, and `digests` the row's keyed digests of
        the secrets that mask like the ones they replaced. `grace`: the sender's, where known."""
        reread = await self.reread(assistant_id)
        decide_at = since + (grace or self.grace)
        # A re-read lacking a field the write set (to something other than null) decides nothing: partial.
        if reread is None or any(f not in reread and v is not None for f, v in body.items()):
            return Verdict(None, None, None if answered else decide_at)
        if _holds(reread, body, masked) and not self._secrets_differ(reread, digests):
            return Verdict(True, reread)
        if answered or datetime.now(UTC) >= decide_at:
            return Verdict(False, reread)
        return Verdict(None, reread, decide_at)

    async def decide_waiting(self, assistant_id: str, body: State, since: datetime, *, answered: bool) -> Verdict:
        """As `decide`, and where the grace ends within the wait budget, wait for it and look again."""
        verdict = await self.decide(assistant_id, body, since, answered=answered)
        if verdict.landed is None and verdict.decide_at is not None and self._within_budget(verdict.decide_at):
            await anyio.sleep(max(0.0, (verdict.decide_at - datetime.now(UTC)).total_seconds()))
            verdict = await self.decide(assistant_id, body, since, answered=answered)
        return verdict

    def _secrets_differ(self, reread: State, digests: dict[str, str] | None) -> bool:
        if not digests:
            return False
        projected = {f: comparable(f, reread.get(f)) for f in fields_of(digests)}
        return bool(not_held(self._client.settings.digest_key, projected, digests))

    def _grace_of(self, entry: JournalEntry) -> timedelta:
        """The row's sender's grace (its own timeouts), or this server's for a row that does not say."""
        return timedelta(seconds=entry.grace_s) if entry.grace_s is not None else self.grace

    def _within_budget(self, decide_at: datetime) -> bool:
        remaining = (decide_at - datetime.now(UTC)).total_seconds()
        return remaining <= self._client.settings.settle_wait_max_s

    async def settle(self, entry: JournalEntry, why: str) -> Verdict:
        """Decide a pending row if it can be decided now, and record what is known either way."""
        since, grace = sent_at(entry), self._grace_of(entry)
        digests = (entry.secret_digests or {}).get("body")
        verdict = await self.decide(
            entry.assistant_id, entry.body, since, answered=False, masked=True, grace=grace, digests=digests
        )
        if verdict.landed is True:
            # It holds what the row's body says: the body is what it left, as when a write finishes as sent.
            await self._journal.settle(entry.change_id, "applied", None, f"{why}; a re-read shows it landed")
        elif verdict.landed is False:
            reason = f"{why}; a re-read after its grace ({stamp(since + grace)}) shows it did not land"
            await self._journal.settle(entry.change_id, "failed", None, reason)
        else:
            reason = f"{why}; {undecided_words(verdict, since)}"
            if reason != entry.status_reason:  # each write while it is pending would write the same words again
                await self._journal.settle(entry.change_id, "pending", None, reason)
        return verdict

    async def settle_before_write(self, assistant_id: str, progress: Progress = no_progress) -> None:
        """Rows of this assistant left pending are decided before the next write, waiting (within the budget)
        for one whose grace has not passed: a write sent over an undecided one could be overwritten by it."""
        await self._wait_for_unjournalled(assistant_id)
        for entry in await self._journal.pending_under_lock(assistant_id):
            verdict = await self.settle(entry, "found pending before a write")
            if verdict.landed is not None:
                continue
            if verdict.decide_at is not None and self._within_budget(verdict.decide_at):
                waiting = f"Waiting for {entry.change_id} to be decided (until {stamp(verdict.decide_at)})"
                await progress(0, WRITE_STEPS, waiting)
                if await self._wait_for(entry, verdict.decide_at):
                    continue
                verdict = await self.settle(entry, "found pending before a write")
                if verdict.landed is not None:
                    continue
            raise _blocked(verdict, sent_at(entry), entry.change_id)

    async def _wait_for_unjournalled(self, assistant_id: str) -> None:
        if assistant_id not in self._unjournalled:
            return
        body, since = self._unjournalled[assistant_id]
        verdict = await self.decide_waiting(assistant_id, body, since, answered=False)
        if verdict.landed is None:
            raise _blocked(verdict, since, None)
        del self._unjournalled[assistant_id]

    async def _wait_for(self, entry: JournalEntry, until: datetime) -> bool:
        """Wait until `until`, or until the row's own writer (another replica) decided it: True in that case."""
        while (remaining := (until - datetime.now(UTC)).total_seconds()) > 0:
            await anyio.sleep(min(_POLL_S, remaining))
            still = await self._journal.pending_under_lock(entry.assistant_id)
            if all(other.change_id != entry.change_id for other in still):
                return True
        return False


def _blocked(verdict: Verdict, since: datetime, change_id: str | None) -> WriteUndecided:
    """The refusal of a write that would go out over an earlier undecided one."""
    which = f", {change_id}," if change_id else ""
    shown = "; list_changes shows its outcome once decided" if change_id else ""
    return WriteUndecided(
        f"An earlier change to this assistant{which} was sent without a decisive answer and "
        f"{undecided_words(verdict, since)}. Writing now could be overwritten when it lands, so nothing was "
        f"written. Call again after that time{shown}.",
        change_id=change_id,
    )


def undecided_words(verdict: Verdict, since: datetime) -> str:
    if verdict.decide_at is None:
        return f"was sent at {stamp(since)}; the assistant could not be read to see whether it landed"
    return f"may still land until {stamp(verdict.decide_at)} (sent at {stamp(since)})"


def _holds(state: State, body: State, masked: bool) -> bool:
    """Whether `state` holds every value of a write's `body`: as sent, or (`masked`: a journal row's body,
    secrets masked and long lists and texts kept as deltas) as recorded."""
    if not masked:
        return holds(state, body)
    return all((f in state or v is None) and recorded_holds(comparable(f, state.get(f)), v) for f, v in body.items())
