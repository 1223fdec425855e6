"""Journalled actions: every write other than an assistant update, through one path.

An *action* is one request to the API (a POST, PATCH or DELETE) about one *target*: an assistant it creates or
deletes, a phone number, a campaign, a call. `ActionRunner.perform` journals it as the writer journals an
update: a `pending` row before the request (kind, target, the assistant concerned, actor, reason, the target's
state before and the body, all masked), then `applied` or `failed`. When the API gives no decisive answer (a
timeout, a dropped connection, a 5xx) the target is read again (the kind's `observe`) to decide:

- the state asked for (`Action.expect`) is there: **applied** (a lost answer never makes a "failed" row);
- it is not: **failed** once the request can no longer land: at once when the API itself answered (a 5xx it
  sent), after the sender's grace otherwise (`Settings.grace_s`, waited for within `settle_wait_max_s`);
- the target cannot be read, or the grace has not passed: the row stays **pending**, saying until when, the
  agent is told not to send it again (WriteUndecided), and the next action on the same target first settles it
  (waiting within the budget) or is refused. `settle_pending` settles such rows later, from any server
  (list_changes and start-up call it through the writer), which is why a kind is registered by name.

How a tool uses it (the campaign and call tools build on this the same way)::

    PAUSE = register(ActionKind(
        name="pause_campaign",                 # the row's kind: unique, stable (rows keep it)
        target_type="campaign",
        observe=reads(read_campaign, view),    # how a re-read of the target decides an undecided outcome
        view=view,                             # what the journal keeps of the target's state (small)
        unwrap=lambda answer: answer["campaign"],  # the target's object in the API's answer
        revert=resume_instead,                 # what revert_change does; None: not revertible ...
        not_revertible="",                     # ... and why, said to the agent
    ))

    outcome = await ctx.writer.actions.perform(
        Action(kind=PAUSE, target_id=campaign_id, method="POST", path=f"/campaigns/{campaign_id}/pause",
               body=None, expect={"status": "paused"}, before=view(campaign), assistant_id=campaign_assistant,
               fields=["status"]),
        reason=args.reason, actor=ctx.actor)
    outcome.structured()                       # change_id, target, before/after, warnings: the tool's answer

An answer `{success: false}` is not applied: a re-read showing the state asked for makes it applied, else the
row fails and the outcome says so (`ActionOutcome.applied` False: the tool words it). A reverter
(`ActionKind.revert`) gets the row to undo and `force`, and returns the Action that undoes it (or raises
RevertRefused saying why not); `ActionRunner.revert` checks the row (decided, applied, of a revertible kind,
not reverted already, its target still as the change left it unless forced), answers a dry run with what
would be done, and performs it with `reverts` set. Actions on one target are
serialized under the journal's lock for it (in this process and across the servers sharing the journal); an
action on an assistant takes that assistant's own lock, so it never interleaves with an update of it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import anyio.lowlevel

from revox_mcp.client import RevoxClient
from revox_mcp.errors import (
    ApiError,
    ApiTimeout,
    NotCarriedOut,
    NotFound,
    NotLanded,
    RevertRefused,
    ServerFault,
    WriteUndecided,
)
from revox_mcp.journal import Journal, JournalEntry
from revox_mcp.journal.base import JournalUnavailable
from revox_mcp.messages import shorten
from revox_mcp.redaction import redact, scrub, secrets_in
from revox_mcp.settling import sent_at, stamp

State = dict[str, Any]
# Gateway statuses: not the API's own answer, so it may still be working on the request.
_GATEWAY_STATUSES = frozenset({502, 504, *range(520, 531)})


@dataclass(frozen=True)
class Probe:
    """What an observer is asked about: the target (None: a create the API named no target for yet), the state
    asked for (masked, as the journal keeps it), and when the request was last sent."""

    target_id: str | None
    expect: State
    since: datetime


@dataclass(frozen=True)
class Observed:
    """What a re-read of the target showed. `landed`: True (the state asked for is there), False (it is not),
    None (the target could not be read). `target_id`: the target found (a create's new assistant). `note`: a
    word for the row's reason (e.g. several candidates)."""

    landed: bool | None
    state: State | None = None
    target_id: str | None = None
    note: str | None = None


Observer = Callable[[RevoxClient, Probe], Awaitable[Observed]]
Reader = Callable[[RevoxClient, str], Awaitable[State | None]]
Reverter = Callable[["RevertContext"], Awaitable["Action"]]


def _identity(state: State) -> State:
    return state


@dataclass(frozen=True)
class ActionKind:
    """One sort of action: how its target is re-read, what the journal keeps of it, and how it is undone."""

    name: str
    target_type: str
    observe: Observer
    # What the journal keeps of the target's state (a few keys: a row never holds a whole assistant).
    view: Callable[[State], State] = _identity
    # The target's object in the API's answer to the request (e.g. answer["phone_number"]).
    unwrap: Callable[[State], State] = _identity
    revert: Reverter | None = None
    # Why revert_change refuses this kind (when `revert` is None), in words for the agent.
    not_revertible: str = "This kind of change cannot be undone through revert_change."
    # A create (its target is named by the answer): a revert's check that the target is still as the change left
    # it does not apply (its reverter checks what it deletes).
    creates: bool = False
    # The API's answer holds the target's object (`unwrap` finds it): an answer lacking it is not an empty state,
    # and a re-read decides (as after a lost answer).
    answer_holds_target: bool = False


_KINDS: dict[str, ActionKind] = {}


def register(kind: ActionKind) -> ActionKind:
    """Make `kind` known by its name, so that any server can settle and revert its rows; returns it."""
    known = _KINDS.get(kind.name)
    if known is not None and known is not kind:
        raise ValueError(f"two action kinds are named {kind.name!r}")
    _KINDS[kind.name] = kind
    return kind


def kind_named(name: str) -> ActionKind | None:
    return _KINDS.get(name)


def holds(state: State | None, expect: State) -> bool:
    """Whether a target's state (masked, in its kind's view) holds every value asked for."""
    return state is not None and all(state.get(key) == value for key, value in expect.items())


def reads(read: Reader, view: Callable[[State], State] = _identity) -> Observer:
    """The usual observer: read the target by id (`read` answers None when it does not exist) and compare its
    view with what was asked for. A read that fails decides nothing."""

    async def observe(client: RevoxClient, probe: Probe) -> Observed:
        if probe.target_id is None:
            return Observed(None)
        try:
            found = await read(client, probe.target_id)
        except ApiError:
            return Observed(None)
        state = None if found is None else redact(view(found))
        return Observed(holds(state, probe.expect), state, probe.target_id)

    return observe


@dataclass(frozen=True)
class Action:
    """One request to make and journal. `target_id` None: a create (the answer names the target). `expect`: what
    a read of the target shows once it landed (in the kind's view), which settles an undecided outcome.
    `before`: the target's state before (the kind's view; what a revert restores). `fields`: the keys it
    changes, as list_changes shows them. `warnings`: said with the answer (a reverter's, e.g.)."""

    kind: ActionKind
    target_id: str | None
    method: str
    path: str
    body: State | None
    expect: State
    before: State = field(default_factory=dict)
    assistant_id: str | None = None
    fields: list[str] = field(default_factory=list)
    warnings: tuple[str, ...] = ()
    reverts: str | None = None


@dataclass
class ActionOutcome:
    """What became of an action (or, `dry_run`, what would be done)."""

    kind: str
    target_type: str
    target_id: str | None
    assistant_id: str | None
    before: State
    after: State | None
    change_id: str | None = None
    dry_run: bool = False
    warnings: list[str] = field(default_factory=list)
    # The target's object as the API answered it (None on a dry run, or where the answer was lost).
    answer: State | None = None
    reverts: str | None = None
    # The keys the action changes (what a revert's answer shows).
    fields: list[str] = field(default_factory=list)
    # False: the API answered {success: false} and a re-read did not show the state asked for (the row failed).
    applied: bool = True

    def structured(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "assistant_id": self.assistant_id,
            "before": self.before,
            "after": self.after,
            "change_id": self.change_id,
            "dry_run": self.dry_run,
            "warnings": self.warnings,
            "reverts": self.reverts,
        }


@dataclass(frozen=True)
class RevertContext:
    """What a reverter is given: the row to undo, whether the agent forces it, and what to read with."""

    entry: JournalEntry
    force: bool
    client: RevoxClient
    journal: Journal


def lock_name(target_type: str, target_id: str) -> str:
    """The journal lock an action on this target holds: an assistant's own (shared with its updates), else one
    named by the target's type, so that ids of different types never share a lock."""
    return target_id if target_type == "assistant" else f"{target_type}:{target_id}"


class ActionRunner:
    """Performs, settles and reverts actions (one per server; the writer owns it: `writer.actions`)."""

    def __init__(self, client: RevoxClient, journal: Journal) -> None:
        self._client = client
        self._journal = journal

    @property
    def grace(self) -> timedelta:
        return timedelta(seconds=self._client.settings.grace_s)

    async def perform(self, action: Action, *, reason: str | None = None, actor: str | None = None) -> ActionOutcome:
        """Send `action` and journal it: pending before, applied or failed after, a re-read where the answer was
        not decisive. Raises the API's error (the row failed), NotLanded (a re-read shows it did not land: safe
        to call again) or WriteUndecided (the row stays pending: do not send it again)."""
        async with self._target_lock(action.kind.target_type, action.target_id):
            if action.target_id is not None:
                await self._settle_before(action.kind.target_type, action.target_id)
            return await self._perform_locked(action, reason, actor)

    @asynccontextmanager
    async def _target_lock(self, target_type: str, target_id: str | None) -> AsyncIterator[None]:
        if target_id is None:  # a create: nothing to serialize with yet
            yield
            return
        async with self._journal.assistant_lock(lock_name(target_type, target_id)):
            yield

    async def _perform_locked(self, action: Action, reason: str | None, actor: str | None) -> ActionOutcome:
        kind = action.kind
        quoted = secrets_in(action.body or {}) if reason else set()
        with anyio.CancelScope(shield=True):  # a cancelled call still learns its row's id, and ends it below
            change_id = (
                await self._journal.begin_action(
                    kind=kind.name,
                    target_type=kind.target_type,
                    target_id=action.target_id,
                    assistant_id=action.assistant_id,
                    fields=action.fields,
                    body=redact(action.body or {}),
                    before=redact(action.before),
                    action={"method": action.method, "path": action.path, "expect": redact(action.expect)},
                    reason=scrub(reason, quoted) if reason else reason,
                    reverts=action.reverts,
                    actor=actor,
                    grace_s=self._client.settings.grace_s,
                )
                or None
            )
        try:
            await anyio.lowlevel.checkpoint()
            if action.target_id is not None:
                await self._journal.confirm_lock(lock_name(kind.target_type, action.target_id))
        except BaseException:
            if change_id is not None:  # nothing was sent: the row says so, and blocks nothing
                with anyio.CancelScope(shield=True), contextlib.suppress(JournalUnavailable):
                    await self._journal.finish(change_id, "failed", reason="stopped before the request was sent")
            raise
        outcome = ActionOutcome(
            kind=kind.name,
            target_type=kind.target_type,
            target_id=action.target_id,
            assistant_id=action.assistant_id,
            before=redact(action.before),
            after=None,
            change_id=change_id,
            warnings=list(action.warnings),
            reverts=action.reverts,
            fields=list(action.fields),
        )
        return await self._send(action, outcome)

    async def _send(self, action: Action, outcome: ActionOutcome) -> ActionOutcome:
        since = datetime.now(UTC)
        about = (action.kind.target_type, action.target_id or "")
        try:
            answer = await self._client.write(action.method, action.path, action.body, about=about)
        except (ApiTimeout, ServerFault) as exc:
            return await self._undecisive(action, outcome, exc, since)
        except ApiError as exc:
            if outcome.change_id is not None:
                # The API's words may quote a secret the body sent (a custom LLM key): masked in the journal.
                why = scrub(f"{type(exc).__name__}: {exc}", secrets_in(action.body or {}))
                await self._journal.finish(outcome.change_id, "failed", reason=why)
            raise
        except BaseException:
            # Cancelled mid-request: it may have landed, or may still land. Looked at shielded; undecided stays
            # pending, saying until when.
            if outcome.change_id is not None:
                with anyio.CancelScope(shield=True), contextlib.suppress(Exception):
                    entry = await self._journal.get(outcome.change_id)
                    if entry is not None:
                        await self._settle_row(entry, "the call was cancelled mid-request")
            raise
        target = action.kind.unwrap(answer) if isinstance(answer, dict) else {}
        target = target if isinstance(target, dict) else {}
        if isinstance(answer, dict) and answer.get("success") is False:
            return await self._said_not_done(action, outcome, target, since)
        if not target and action.kind.answer_holds_target:
            # A 200 lacking the target (e.g. no phone_number): a missing answer is not an empty state. A re-read
            # decides, as after a lost answer.
            odd = ServerFault("The Revox API's answer lacks the object it changed", status=200)
            return await self._undecisive(action, outcome, odd, since)
        target_id = action.target_id or _text(target.get("id"))
        outcome.after, outcome.answer, outcome.target_id = redact(action.kind.view(target)), target, target_id
        if outcome.change_id is not None:
            await self._journal.finish(outcome.change_id, "applied", outcome.after, target_id=target_id)
        return outcome

    async def _said_not_done(
        self, action: Action, outcome: ActionOutcome, target: State, since: datetime
    ) -> ActionOutcome:
        """An answer `{success: false}`: the API says it did not carry out the request. A re-read showing the
        state asked for makes it applied; otherwise the row fails and the outcome says not applied (`applied`
        False; the tool words it, a revert refuses)."""
        seen = await action.kind.observe(self._client, Probe(action.target_id, redact(action.expect), since))
        words = "The Revox API answered success: false"
        outcome.answer, outcome.target_id = target, seen.target_id or action.target_id
        if seen.landed:
            outcome.after = seen.state
            outcome.warnings.append(f"{words}, but a re-read shows the state asked for is there.")
            if outcome.change_id is not None:
                why, target_id = f"{words}; a re-read shows it landed", outcome.target_id
                await self._journal.finish(outcome.change_id, "applied", seen.state, why, target_id=target_id)
            return outcome
        outcome.after, outcome.applied = redact(action.kind.view(target)), False
        if outcome.change_id is not None:
            why = f"{words}: not carried out" + ("" if seen.landed is False else " (a re-read could not confirm)")
            await self._journal.finish(outcome.change_id, "failed", outcome.after, why)
        return outcome

    async def _undecisive(
        self, action: Action, outcome: ActionOutcome, exc: ApiError, since: datetime
    ) -> ActionOutcome:
        """After a request without a decisive answer: a re-read decides (waiting for the grace within the
        budget); applied or failed is recorded, an undecided row stays pending and the agent is told."""
        answered = isinstance(exc, ServerFault) and exc.status is not None and exc.status not in _GATEWAY_STATUSES
        probe = Probe(action.target_id, redact(action.expect), since)
        seen, decide_at = await self._decide_waiting(action.kind, probe, answered, self.grace)
        words = _no_decisive_answer(exc)
        change_id = outcome.change_id
        if seen.landed:
            outcome.after, outcome.target_id = seen.state, seen.target_id or action.target_id
            note = f" ({seen.note})" if seen.note else ""
            outcome.warnings.append(f"{words}, but a re-read shows it landed{note}.")
            if change_id is not None:
                reason = f"{words}; a re-read shows it landed{note}"
                await self._journal.finish(change_id, "applied", seen.state, reason, target_id=outcome.target_id)
            return outcome
        if seen.landed is False and decide_at is None:
            if change_id is not None:
                await self._journal.finish(change_id, "failed", reason=f"{words}; a re-read shows it did not land")
            raise NotLanded(
                f"{words}, and a re-read shows it did not land: nothing changed. It is safe to call again.",
                status=exc.status,
            ) from None
        until = f"may still land until {stamp(decide_at)}" if decide_at else "the target could not be read"
        until = seen.note or until  # e.g. a create's candidates, none provably its own
        if change_id is not None:
            with contextlib.suppress(Exception):
                await self._journal.settle(change_id, "pending", None, f"{words}; {until} (sent at {stamp(since)})")
        shown = f"list_changes shows {change_id} as pending until it is decided" if change_id else "no journal"
        raise WriteUndecided(
            f"{words}: the request was sent but not confirmed, and it {until} (sent at {stamp(since)}). Do not send "
            f"it again; {shown}.",
            status=exc.status,
            change_id=change_id,
        ) from None

    async def _decide_waiting(
        self, kind: ActionKind, probe: Probe, answered: bool, grace: timedelta
    ) -> tuple[Observed, datetime | None]:
        """One look, and where the grace ends within the wait budget, a wait and a second look. The time is
        None once decided (landed, or not landed and unable to land later)."""
        seen, decide_at = await self._decide(kind, probe, answered, grace)
        if decide_at is not None and self._within_budget(decide_at):
            await anyio.sleep(max(0.0, (decide_at - datetime.now(UTC)).total_seconds()))
            seen, decide_at = await self._decide(kind, probe, answered, grace)
        return seen, decide_at

    async def _decide(
        self, kind: ActionKind, probe: Probe, answered: bool, grace: timedelta
    ) -> tuple[Observed, datetime | None]:
        seen = await kind.observe(self._client, probe)
        if seen.landed:
            return seen, None
        decide_at = probe.since + grace
        if seen.landed is False and (answered or datetime.now(UTC) >= decide_at):
            return seen, None
        return seen, decide_at

    def _within_budget(self, decide_at: datetime) -> bool:
        return (decide_at - datetime.now(UTC)).total_seconds() <= self._client.settings.settle_wait_max_s

    async def _settle_row(self, entry: JournalEntry, why: str) -> datetime | None:
        """Decide one pending action row now if it can be; record what is known. The time its grace ends when
        it stays undecided (None: decided, or its target cannot be read)."""
        kind = kind_named(entry.kind)
        if kind is None:
            reason = f"{why}; its kind ({entry.kind}) is unknown to this release, which cannot re-read its target"
            if reason != entry.status_reason:
                await self._journal.settle(entry.change_id, "pending", None, reason)
            return None
        expect = (entry.action or {}).get("expect") or {}
        grace = timedelta(seconds=entry.grace_s) if entry.grace_s is not None else self.grace
        since = sent_at(entry)
        seen, decide_at = await self._decide(kind, Probe(entry.target_id, expect, since), False, grace)
        if seen.landed:
            note = f" ({seen.note})" if seen.note else ""
            reason = f"{why}; a re-read shows it landed{note}"
            await self._journal.settle(entry.change_id, "applied", seen.state, reason, target_id=seen.target_id)
        elif decide_at is None:
            reason = f"{why}; a re-read after its grace ({stamp(since + grace)}) shows it did not land"
            await self._journal.settle(entry.change_id, "failed", None, reason)
        else:
            reason = f"{why}; {'the target could not be read' if seen.landed is None else 'not landed yet'}, "
            reason += f"it may still land until {stamp(decide_at)} (sent at {stamp(since)})"
            if reason != entry.status_reason:
                await self._journal.settle(entry.change_id, "pending", None, reason)
        return decide_at

    async def _settle_before(self, target_type: str, target_id: str) -> None:
        """Rows of this target left pending are decided before the next action on it (waiting within the budget
        for one whose grace has not passed); one that stays undecided refuses the action."""
        for entry in await self._journal.pending_actions(target_type, target_id):
            decide_at = await self._settle_row(entry, "found pending before another action")
            if decide_at is not None and self._within_budget(decide_at):
                await anyio.sleep(max(0.0, (decide_at - datetime.now(UTC)).total_seconds()))
                decide_at = await self._settle_row(entry, "found pending before another action")
            still = await self._journal.get(entry.change_id)
            if still is not None and still.status == "pending":
                raise WriteUndecided(
                    f"An earlier change to this {target_type}, {entry.change_id}, was sent without a decisive answer "
                    f"and is not decided yet ({still.status_reason or 'outcome unknown'}). Nothing was sent. Call "
                    "again later; list_changes shows its outcome once decided.",
                    change_id=entry.change_id,
                )

    async def settle_pending(self, wait: bool = True) -> None:
        """Settle action rows left pending (a crash, an answer that never came), each under its target's lock.
        `wait` False (a read): a row whose target's lock is held now is left to the action holding it."""
        for entry in await self._journal.pending_actions():
            if entry.target_id is None:  # a create without an answer: nothing to serialize with
                await self._settle_own(entry.change_id)
                continue
            name = lock_name(entry.target_type, entry.target_id)
            if wait:
                async with self._journal.assistant_lock(name):
                    await self._settle_own(entry.change_id)
                continue
            async with self._journal.assistant_lock_if_free(name) as free:
                if free:
                    await self._settle_own(entry.change_id)

    async def _settle_own(self, change_id: str) -> None:
        entry = await self._journal.get(change_id)
        if entry is not None and entry.status == "pending":
            await self._settle_row(entry, "found pending (stopped mid-request)")

    async def revert(
        self,
        change_id: str,
        *,
        force: bool = False,
        dry_run: bool = False,
        reason: str | None = None,
        actor: str | None = None,
    ) -> ActionOutcome:
        """Undo an action row: its kind's reverter plans the request, a dry run answers the plan, else it is
        performed (journalled as an action with `reverts`). Refused for a row not decided, not applied, or of a
        kind that cannot be undone; update rows are the writer's (AssistantWriter.revert)."""
        entry = await self._decided(change_id)
        if entry.is_update:
            raise RevertRefused(f"Change {change_id} is an assistant update: the writer reverts it.")
        if entry.status != "applied":
            raise RevertRefused(
                f"Change {change_id} did not land ({entry.status_reason or 'the API refused it'}), so there is "
                "nothing to undo."
            )
        kind = kind_named(entry.kind)
        if kind is None or kind.revert is None:
            words = kind.not_revertible if kind else f"Its kind ({entry.kind}) is unknown to this release."
            raise RevertRefused(f"Change {change_id} ({entry.kind}) cannot be reverted: {words}")
        await self._refuse_a_second_revert(entry)
        if not force and not kind.creates:
            await self._refuse_a_moved_target(kind, entry)
        planned = replace(
            await kind.revert(RevertContext(entry, force, self._client, self._journal)), reverts=entry.change_id
        )
        if dry_run:
            return ActionOutcome(
                kind=planned.kind.name,
                target_type=planned.kind.target_type,
                target_id=planned.target_id,
                assistant_id=planned.assistant_id,
                before=redact(planned.before),
                after=redact(planned.expect),
                dry_run=True,
                warnings=list(planned.warnings),
                reverts=entry.change_id,
                fields=list(planned.fields),
            )
        done = await self.perform(planned, reason=reason, actor=actor)
        if not done.applied:
            raise NotCarriedOut(not_carried_out(done, f"Not reverted: change {entry.change_id} stands"))
        return done

    async def _refuse_a_second_revert(self, entry: JournalEntry) -> None:
        """A row already reverted (or whose revert is undecided) is not reverted again: that would undo whatever
        was done to its target since."""
        done = await self._journal.revert_of(entry)
        if done is not None:
            state = "was already reverted by" if done.status == "applied" else "has a revert not decided yet:"
            raise RevertRefused(
                f"Not reverted: change {entry.change_id} {state} {done.change_id}. Reverting it again would undo "
                "what was done since; list_changes shows the target's later changes."
            )

    async def _refuse_a_moved_target(self, kind: ActionKind, entry: JournalEntry) -> None:
        """The target must still be as the change left it (what it asked for): otherwise a revert would undo a
        later change too. force skips this."""
        expect = (entry.action or {}).get("expect") or {}
        if entry.target_id is None or not expect:
            return
        seen = await kind.observe(self._client, Probe(entry.target_id, expect, sent_at(entry)))
        if seen.landed is False:
            now = {k: (seen.state or {}).get(k) for k in expect}
            raise RevertRefused(
                f"Not reverted: the {entry.target_type} {entry.target_id} changed again after {entry.change_id} "
                f"(it asked for {shorten(expect)}, now {shorten(now)}). Reverting would undo that too; pass force: "
                "true to revert anyway."
            )

    async def _decided(self, change_id: str) -> JournalEntry:
        entry = await self._journal.get(change_id)
        if entry is not None and entry.status == "pending" and not entry.is_update:
            with contextlib.suppress(ApiError):
                await self._settle_own(change_id)
            entry = await self._journal.get(change_id)
        if entry is None:
            message = f"No change '{change_id}' in {self._journal.where}. list_changes shows the recorded ones."
            raise NotFound("change", change_id, message)
        if entry.status == "pending":
            raise RevertRefused(
                f"Change {change_id} was sent without a decisive answer and is not decided yet "
                f"({entry.status_reason or 'outcome unknown'}). Check again later with list_changes."
            )
        return entry


def not_carried_out(outcome: ActionOutcome, then: str) -> str:
    """The words for an action the API answered {success: false}: nothing changed, and what that means."""
    recorded = f" (recorded as failed: {outcome.change_id})" if outcome.change_id else ""
    return (
        f"The Revox API answered success: false to the {outcome.kind} of {outcome.target_type} {outcome.target_id}: "
        f"it did not carry it out, so nothing changed{recorded}. {then}."
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _no_decisive_answer(exc: ApiError) -> str:
    if isinstance(exc, ApiTimeout):
        return "The Revox API did not answer the request in time"
    if exc.status in _GATEWAY_STATUSES:
        return f"A gateway answered {exc.status} (the Revox API did not answer the request in time)"
    if exc.status is not None and exc.status < 300:
        return "The Revox API's answer to the request could not be read"
    return f"The Revox API answered the request with {exc.status} ({shorten(str(exc))})"
