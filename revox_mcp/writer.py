"""AssistantWriter: the one path by which revox-mcp changes an assistant.

Read the current state, check the version guard, build the new values (merge, edits, or a revert's
before-values), validate them whole, send only what differs, journal the write, and report what
changed and anything the API did not apply. Writes to one assistant are serialized by the journal's
lock (inside this server, and across the servers that share its journal: one SQLite file or one
PostgreSQL database), so those callers never interleave between the read and the write; the API has no
conditional writes, so a writer elsewhere still can, in the milliseconds between our GET and PATCH (we
report it when the answer shows it).
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import logging
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

import anyio
import anyio.lowlevel

from revox_mcp.actions import ActionRunner
from revox_mcp.catalog import Catalog
from revox_mcp.client import RevoxClient
from revox_mcp.deltas import changes as delta_changes
from revox_mcp.deltas import delta, is_delta, undo
from revox_mcp.deltas import holds as still_holds
from revox_mcp.destinations import DESTINATION_FIELDS, moved_secrets
from revox_mcp.editing import (
    VARIANT_KEYS,
    accepts_null,
    apply_edits,
    diff,
    edit_origins,
    faced,
    is_unchanged,
    known_only,
    known_tags,
    merge_patch,
    most_alike,
    new_items,
    set_here,
)
from revox_mcp.errors import (
    ApiError,
    ApiTimeout,
    IncompleteRead,
    NotFound,
    NotLanded,
    PatchInvalid,
    Problem,
    RevertRefused,
    ServerFault,
    StaleVersion,
    WriteUndecided,
)
from revox_mcp.journal import Journal, JournalEntry
from revox_mcp.journal.base import JournalUnavailable, LockLost
from revox_mcp.messages import render_path, shorten
from revox_mcp.models import ALWAYS_READ, LIST_KEYS, LLM_MODEL_TYPES, AssistantUpdate
from revox_mcp.observations import Observer
from revox_mcp.policy import Policy, changed_paths, with_secret_destinations
from revox_mcp.progress import Progress, no_progress
from revox_mcp.redaction import (
    exposed_secrets,
    mask,
    may_hold_secrets,
    redact,
    restore_secrets,
    scrub,
    scrub_json,
    secrets_in,
)
from revox_mcp.rules import faq_rewrite, warnings_for
from revox_mcp.schemas import body_schema
from revox_mcp.secret_digests import hidden_changes, not_held
from revox_mcp.sendable import UPDATE_FIELDS, comparable, journalled
from revox_mcp.settling import WRITE_STEPS as WRITE_STEPS
from revox_mcp.settling import Settler, Verdict, undecided_words
from revox_mcp.tool_models import ReplaceText, RevertChangeArgs, UpdateAssistantArgs
from revox_mcp.validation import ArgumentValidator

logger = logging.getLogger(__name__)
State = dict[str, Any]
Secrets = Callable[[], set[str]]
# Statuses that are not the API's own answer but a gateway's (502, 504, and the 52x of some CDNs): the API
# behind it may still be working on the write.
_GATEWAY_STATUSES = frozenset({502, 504, *range(520, 531)})


@cache
def _body_validator(prefix: str) -> ArgumentValidator:
    return ArgumentValidator(body_schema(), AssistantUpdate, prefix=prefix)


@dataclass
class WriteOutcome:
    assistant: State
    changes: list[dict[str, Any]]
    dry_run: bool
    change_id: str | None = None
    warnings: list[str] = field(default_factory=list)

    def structured(self, with_assistant: bool = False) -> dict[str, Any]:
        """What changed, by default; the whole assistant only when asked (it can be megabytes, and an agent
        pays for every byte it is sent)."""
        answer = {
            "assistant_id": self.assistant.get("id"),
            "updated_at": self.assistant.get("updated_at"),
            "changes": self.changes,
            "warnings": self.warnings,
            "dry_run": self.dry_run,
            "change_id": self.change_id,
        }
        if with_assistant:
            answer["assistant"] = self.assistant
        return answer


class AssistantWriter:
    def __init__(
        self,
        client: RevoxClient,
        journal: Journal,
        policy: Policy,
        catalog: Catalog,
    ) -> None:
        self._client = client
        self._journal = journal
        self._policy = policy
        self._catalog = catalog
        self._settler = Settler(client, journal)
        # Every other write (creates, phone numbers, campaigns, calls): journalled the same way (actions.py).
        self.actions = ActionRunner(client, journal)
        # Every read of an assistant compared with the journal's last one: changes made elsewhere are recorded.
        self.observer = Observer(journal)

    async def update(
        self, args: UpdateAssistantArgs, progress: Progress = no_progress, actor: str | None = None
    ) -> WriteOutcome:
        edits_sent = [edit.model_dump(mode="json", exclude_unset=True) for edit in args.edits]
        origins: dict[str, dict[int, int]] = {}  # where each upsert's item ended up: its problems name the edit
        unsure = args.problems_after_read()

        def build(current: State) -> tuple[State, set[str]]:
            # What the arguments check could not judge without the stored values, told with the edits' problems.
            refused = _left_for_the_read(unsure, args, current) if unsure else []
            state = dict(current)  # shallow: merge_patch builds new values and apply_edits copies what it edits
            placed: dict[int, Any] = {}
            try:
                state.update(merge_patch(current, args.patch))
                touched = set(args.patch) | apply_edits(state, args.edits, placed)
            except PatchInvalid as exc:
                raise PatchInvalid([*refused, *exc.problems]) from None
            if refused:
                raise PatchInvalid(refused)
            origins.update(edit_origins(state, args.edits, placed))
            return state, touched

        return await self._change(
            args.id,
            build,
            prefix="result" if args.edits else "patch",
            dry_run=args.dry_run,
            expected_updated_at=args.expected_updated_at,
            journal_fields={"patch": args.patch, "edits": edits_sent, "reason": args.reason, "actor": actor},
            progress=progress,
            needs=_read_needs(args),
            origins=origins,
        )

    async def revert(
        self, args: RevertChangeArgs, progress: Progress = no_progress, actor: str | None = None
    ) -> WriteOutcome:
        entry = await self._journal.get(args.change_id)
        if entry is not None and entry.status == "pending":
            await self.settle_pending(entry.assistant_id)
            entry = await self._journal.get(args.change_id)
        if entry is None:
            message = f"No change '{args.change_id}' in {self._journal.where}. list_changes shows the recorded ones."
            raise NotFound("change", args.change_id, message)
        if not entry.is_update:
            raise RevertRefused(f"Change {entry.change_id} is a {entry.kind}, not an update: actions revert it.")
        _check_revertible(entry, args.force)
        try:
            return await self._change(
                entry.assistant_id,
                _restore_before(entry, args.force),
                prefix="revert",
                dry_run=args.dry_run,
                expected_updated_at=None,
                journal_fields={
                    "patch": {},
                    "edits": [],
                    "reason": args.reason,
                    "reverts": entry.change_id,
                    "actor": actor,
                },
                progress=progress,
                held=entry.before,
                held_secrets=(entry.secret_digests or {}).get("before"),
            )
        except NotFound as exc:
            if exc.kind != "assistant":
                raise
            # The agent named a change, not an assistant: the advice says which assistant is missing.
            raise NotFound(exc.kind, exc.id, exc.message, status=exc.status, change_id=entry.change_id) from None

    async def _change(
        self, assistant_id: str, build: Callable[[State], tuple[State, set[str]]], **options: Any
    ) -> WriteOutcome:
        outcome: WriteOutcome | None = None
        try:
            # Held from the read through the PATCH to the journal row: in this process, and across the
            # processes sharing the journal (one SQLite file, or PostgreSQL).
            async with self._journal.assistant_lock(assistant_id):
                outcome = await self._change_locked(assistant_id, build, **options)
        except LockLost:
            if outcome is None:
                raise  # lost before the PATCH: nothing was sent
            if outcome.dry_run or (outcome.change_id is None and not outcome.changes):
                return outcome  # nothing was written
            # The write landed, but the lock ended before the journal row was done with: say so, and look.
            after = outcome.assistant
            with anyio.CancelScope(shield=True), contextlib.suppress(ApiError):
                after = await self._client.get_assistant(assistant_id)
            warning = (
                "The shared journal's write lock across replicas was lost during this write (its database "
                "connection failed): the change landed, but a write another replica made to this assistant at the "
                "same moment may have been overwritten. Check list_changes and get_assistant."
            )
            return dataclasses.replace(outcome, assistant=after, warnings=[*outcome.warnings, warning])
        return outcome

    async def _change_locked(
        self,
        assistant_id: str,
        build: Callable[[State], tuple[State, set[str]]],
        *,
        prefix: str,
        dry_run: bool,
        expected_updated_at: str | None,
        journal_fields: dict[str, Any],
        progress: Progress = no_progress,
        held: State | None = None,
        held_secrets: dict[str, str] | None = None,
        needs: dict[str, type] | None = None,
        origins: dict[str, dict[int, int]] | None = None,
    ) -> WriteOutcome:
        # A row of this assistant left pending (a cancelled call, a crash) is decided before the next write,
        # so the journal never lags behind what the API holds, and no write goes out over an undecided one.
        await self._settler.settle_before_write(assistant_id, progress)
        current = await self._client.get_assistant(assistant_id)
        _check_read(assistant_id, current, needs or {})
        await self.observer.seen(current)  # a change made elsewhere since the last read is recorded before ours
        await progress(1, WRITE_STEPS, f"Read {assistant_id}")
        check_version(expected_updated_at, current.get("updated_at"))

        def prepare(current: State) -> tuple[State, set[str], State, list[str]]:
            state, touched = build(current)
            candidate = {f: comparable(f, state.get(f)) for f in sorted(touched)}
            # Extra fields too: a masked secret inside one is restored like any other, never written.
            unmasked = _unmask_secrets(candidate, current, prefix, revert=held is not None)
            _refuse_exposed(candidate, current, prefix)
            return state, touched, candidate, _leave_out_nulls(candidate) + unmasked

        # Off the event loop: edits on a long prompt, and restoring the secrets of a long text, are CPU work,
        # and other sessions must not wait.
        state, touched, candidate, warnings = await anyio.to_thread.run_sync(prepare, current)
        extras = self._extra_fields(touched, prefix, state)
        self._check_restored(candidate, held_secrets, prefix)
        stored = {f: comparable(f, current.get(f)) for f in candidate}
        checked = {f: v for f, v in candidate.items() if f not in extras}
        warnings += _validate_changes(checked, stored, prefix, held, origins) + _newer_variants(checked, stored)
        body = {f: v for f, v in candidate.items() if v != stored[f]}
        self._enforce_policy(current, body, prefix)
        await _check_destinations(stored, body, journal_fields, prefix)
        warnings += warnings_for(body, {**current, **stored}) + _voice_switch(current.get("voice"), body)
        warnings += faq_rewrite(current.get("faq_items"), body)
        if not body:
            return WriteOutcome(assistant=current, changes=[], dry_run=dry_run, warnings=warnings)
        # What a revert restores was the API's own value: the catalog does not judge it again.
        new = {f: v for f, v in body.items() if held is None or v != comparable(f, held.get(f))}
        warnings += await self._catalog.check(current, {**current, **body}, new, prefix)
        await progress(2, WRITE_STEPS, f"Checked the change to {', '.join(sorted(body))}")
        if dry_run:
            preview = {**current, **body}
            return WriteOutcome(
                assistant=preview, changes=_diff(current, preview, stored, body), dry_run=True, warnings=warnings
            )
        return await self._send(assistant_id, current, stored, body, warnings, journal_fields)

    async def check_new(self, config: State, prefix: str = "assistant") -> tuple[State, list[str]]:
        """A new assistant's whole configuration (create_assistant), checked as an update's change is: every value
        it sets validated against the update body, the operator policy (denied fields, limits) on every field it
        sets, the rules' warnings, and the catalog's checks of a voice or a number. Its body as sent, and the
        warnings."""
        body = {f: comparable(f, v) for f, v in config.items()}
        # A value in a masked secret's shape (read from another assistant) has no stored secret to stand for: it
        # is written as it is, and the agent is told, as an update tells it.
        warnings = _unmask_secrets(body, {}, prefix, False)
        warnings += _validate_changes(body, {}, prefix, None) + _newer_variants(body, {})
        self._enforce_policy({}, body, prefix)
        warnings += warnings_for(body, {}) + faq_rewrite(None, body)
        warnings += await self._catalog.check({}, body, body, prefix)
        return body, warnings

    def _check_restored(self, candidate: State, digests: dict[str, str] | None, prefix: str) -> None:
        """A revert of a change that replaced a secret by one masking the same: the secret now in the candidate
        (the stored one, restored from its mask) must be the one from before the change, by its digest."""
        missing = not_held(self._client.settings.digest_key, candidate, digests) if digests else []
        if missing:
            places = ", ".join(f"{prefix}.{render_path(p)}" for p in missing)
            raise RevertRefused(
                f"Not reverted: the change replaced the secret at {places} by one that masks the same, and the "
                "journal keeps only masks, so the old secret cannot be restored. Set it with update_assistant, "
                "in full."
            )

    def _extra_fields(self, touched: set[str], prefix: str, state: State) -> set[str]:
        """Fields newer than this release that the operator allows, passed as they are; any other unknown
        field (a journalled change of one, reverted by a server without --extra-fields) is refused."""
        unknown = sorted(touched - UPDATE_FIELDS)
        refused = [f for f in unknown if f not in self._policy.extra_fields]
        if refused:
            raise PatchInvalid(
                [
                    Problem(
                        path=f"{prefix}.{name}",
                        value=shorten(state.get(name)),
                        allowed="a field this server knows",
                        hint=f"Start the server with --extra-fields {name} to let it change this newer field.",
                    )
                    for name in refused
                ]
            )
        return set(unknown)

    def _enforce_policy(self, current: State, body: State, prefix: str) -> None:
        """The operator policy on what would really change, however the change was asked for."""
        if self._policy.is_default:
            return
        # Raw values, not a diff: a diff shows secrets masked, and two keys can share a mask.
        old = {f: comparable(f, current.get(f)) for f in body}
        changed = with_secret_destinations(changed_paths(old, body, body_schema()))
        problems = self._policy.check_paths(changed, prefix) + self._policy.check_limits(body, prefix)
        if problems:
            raise PatchInvalid(problems)

    async def _send(
        self,
        assistant_id: str,
        current: State,
        stored: State,
        body: State,
        warnings: list[str],
        journal_fields: dict[str, Any],
    ) -> WriteOutcome:
        # None when nothing is recorded (--no-journal): the answer then says 'not journalled'.
        recorded, before = _journal_form(current, stored, body)
        hidden = hidden_changes(self._client.settings.digest_key, stored, body)
        # A reason or an edit may quote a secret the change sets (a reason naming the new key, a replace_text
        # that fills a header line): scrubbed with the secrets of what is sent.
        quotes = journal_fields.get("reason") or journal_fields.get("edits")
        quoted = secrets_in(body) if quotes else set()  # secrets_in looks first whether body may hold any
        kept_fields = scrub_json(redact(journal_fields), quoted)
        # Shielded: a call cancelled while its row is written still learns the row's id, and ends it below.
        with anyio.CancelScope(shield=True):
            change_id = (
                await self._journal.begin(
                    assistant_id=assistant_id,
                    fields=sorted(body),
                    body=redact(recorded),
                    before=redact(before),
                    grace_s=self._client.settings.grace_s,
                    secret_digests=hidden,
                    **kept_fields,
                )
                or None
            )
        try:
            await anyio.lowlevel.checkpoint()  # a cancellation pending since the row was written lands here
            await self._confirm_lock(assistant_id, change_id)
        except anyio.get_cancelled_exc_class():
            if change_id is not None:  # nothing was sent: the row says so, and blocks no later write
                with anyio.CancelScope(shield=True), contextlib.suppress(JournalUnavailable):
                    await self._journal.finish(change_id, "failed", reason="cancelled before the PATCH was sent")
            raise
        # Every secret the assistant holds, found only when an error text needs scrubbing (a walk of the
        # whole assistant, megabytes on a large one, is not paid on the common path).
        secrets = cache(lambda: secrets_in(current) | secrets_in(body))
        after, landed = await self._deliver(assistant_id, stored, body, change_id, warnings, secrets)
        # The new observation before the row is finished: no read takes this write for an outside one.
        await self.observer.own({**after, "id": assistant_id})
        if change_id is not None:
            # What the API holds is what was sent, in all but the keys it assigns: the row's body says it
            # already (a large list is not written to the journal a third time).
            as_sent = all(landed[f] == v for f, v in body.items())
            left = None if as_sent else redact(_journal_form(after, stored, landed)[0] | journalled(after, {}))
            await self._journal.finish(change_id, "applied", left)
        warnings += _not_applied(body, after, landed) + _moved_meanwhile(current, after, body)
        changes = _diff(current, after, stored, landed)
        return WriteOutcome(assistant=after, changes=changes, dry_run=False, change_id=change_id, warnings=warnings)

    async def _deliver(
        self,
        assistant_id: str,
        stored: State,
        body: State,
        change_id: str | None,
        warnings: list[str],
        secrets: Secrets,
    ) -> tuple[State, State]:
        """PATCH `body` and return what the API holds after it, with the body's fields in sendable form. A PATCH
        is sent again only after a re-read decided that the previous one did not land (and cannot land
        later), and where the API did not say not to; an undecided one raises WriteUndecided with the row
        left pending."""
        last_error: ApiError = ApiTimeout("no attempt was made")
        attempts = self._client.settings.max_retries + 1
        for attempt in range(attempts):
            if attempt:
                path = f"/assistants/{assistant_id}"
                await self._client.pause_before_retry("PATCH", path, attempt - 1, last_error.retry_after)
                if change_id is not None:
                    await self._journal.mark_sent(change_id)
            since = datetime.now(UTC)
            try:
                answer = await self._client.update_assistant(assistant_id, body)
                warnings += _unpatched_calls(answer.get("unpatchedCallsNotice"))
                return await self._checked_answer(assistant_id, body, answer, warnings)
            except (ApiTimeout, ServerFault) as exc:
                found = await self._look_after(assistant_id, stored, body, since, exc, change_id, warnings, secrets)
                if found is not None:
                    return found
                last_error = exc  # decided: it did not land, and will not
                if exc.should_retry is False:
                    break  # the API said not to send it again
            except ApiError as exc:
                if change_id is not None:
                    await self._journal.finish(change_id, "failed", reason=_reason(exc, secrets()))
                raise _scrubbed(exc, secrets()) from None
            except BaseException:
                # Cancelled (the client gave up), or a body that could not be sent: the write may have landed,
                # or may still land. Look now, shielded from the cancellation; a row that cannot be decided yet
                # stays pending, saying until when.
                if change_id is not None:
                    with anyio.CancelScope(shield=True):
                        await self._settle_own(change_id, "the call was cancelled mid-write")
                raise
        if change_id is not None:
            reason = f"{_reason(last_error, secrets())}; a re-read shows it did not land"
            await self._journal.finish(change_id, "failed", reason=reason)
        raise _scrubbed(_did_not_land(last_error, attempt + 1), secrets())

    async def _look_after(
        self,
        assistant_id: str,
        stored: State,
        body: State,
        since: datetime,
        exc: ApiError,
        change_id: str | None,
        warnings: list[str],
        secrets: Secrets,
    ) -> tuple[State, State] | None:
        """After a write without a decisive answer: what the API holds (the write landed, or its fields moved),
        or None where it did not land and may be sent again; raises WriteUndecided where that is not known."""
        answered = isinstance(exc, ServerFault) and not _from_a_gateway(exc.status)
        verdict = await self._settler.decide_waiting(assistant_id, body, since, answered=answered)
        if verdict.landed is None or verdict.reread is None:
            raise await self._undecided(assistant_id, body, change_id, verdict, since, exc, secrets) from None
        if verdict.landed:
            warnings.append(f"{_no_decisive_answer(exc)}, but a re-read shows the change landed as sent.")
            return verdict.reread, _sendable(verdict.reread, body)
        moved = sorted(f for f in body if comparable(f, verdict.reread.get(f)) != stored.get(f))
        if moved:
            # Sent again, the body built from the first read would undo whatever moved them (the API normalising
            # what was sent, or another writer): not sent again, and said.
            warnings.append(
                f"{_no_decisive_answer(exc)}, and a re-read shows {', '.join(moved)} changed, but not to what was "
                "sent (the API may have normalised the values, or another writer changed them). It was not sent "
                "again: check with get_assistant."
            )
            return verdict.reread, _sendable(verdict.reread, body)
        return None

    async def _checked_answer(
        self, assistant_id: str, body: State, answer: State, warnings: list[str]
    ) -> tuple[State, State]:
        """The PATCH's answer, checked against what was sent: an answer lacking fields or holding other values
        is not trusted, a re-read says what the API holds."""
        after = answer.get("assistant")
        if not isinstance(after, dict):
            raise ServerFault("The Revox API answered the write without the assistant", status=200)
        landed = _sendable(after, body)
        if landed == body and all(f in after for f in body) and after.get("id") in (assistant_id, None):
            return after, landed
        reread = await self._settler.reread(assistant_id)
        if reread is None:
            warnings.append(
                f"The API accepted the write, but its answer {_oddities(after, body)} and a re-read failed: call "
                "get_assistant to see what it holds."
            )
            return after, landed
        landed = _sendable(reread, body)
        if landed == body and all(f in reread or v is None for f, v in body.items()):
            warnings.append(
                f"The API's answer to the write {_oddities(after, body)}, but a re-read confirms the change landed "
                "as sent."
            )
        return reread, landed

    async def _undecided(
        self,
        assistant_id: str,
        body: State,
        change_id: str | None,
        verdict: Verdict,
        since: datetime,
        exc: ApiError,
        secrets: Secrets,
    ) -> WriteUndecided:
        words = undecided_words(verdict, since)
        if change_id is None:
            self._settler.remember(assistant_id, body, since)
        else:
            reason = scrub(f"{_no_decisive_answer(exc)}; {words}", secrets())
            try:
                await self._journal.settle(change_id, "pending", None, reason)
            except Exception as failure:  # the row stays pending all the same; the agent must still be told
                logger.warning("could not record why %s is undecided: %s", change_id, type(failure).__name__)
        recorded = (
            f"list_changes shows {change_id} as pending until it is decided, and the next write to this assistant "
            "waits for it or says when it can go"
            if change_id
            else "this server keeps no journal: its own next write to this assistant waits for it, but another "
            "server cannot know, so wait until then before changing this assistant elsewhere"
        )
        return WriteUndecided(
            f"{_no_decisive_answer(exc)}: the change was sent but not confirmed, and it {words}. Do not send it "
            f"again: a second copy could land after a later change. get_assistant shows whether it landed; "
            f"{recorded}.",
            status=exc.status,
            change_id=change_id,
        )

    async def _settle_own(self, change_id: str, why: str) -> None:
        entry = await self._journal.get(change_id)
        if entry is not None and entry.status == "pending":
            await self._settler.settle(entry, why)

    async def _confirm_lock(self, assistant_id: str, change_id: str | None) -> None:
        """Refuse the write, nothing sent, when the lock across replicas was lost since it was taken."""
        try:
            await self._journal.confirm_lock(assistant_id)
        except LockLost:
            if change_id is not None:
                reason = "the shared write lock was lost before the PATCH; nothing was sent"
                with anyio.CancelScope(shield=True), contextlib.suppress(JournalUnavailable):
                    await self._journal.finish(change_id, "failed", reason=reason)
            raise

    async def settle_pending(self, assistant_id: str | None = None, wait: bool = True) -> None:
        """Settle journal rows left pending (a crash mid-write, an answer that never came): applied if a
        re-read holds what was sent, failed once its grace has passed without it, pending until then.
        `wait` False (a read): a row whose assistant's lock is held now is left as it is, for the write
        holding it, which decides the row before it sends. Action rows left pending are settled too."""
        await self.actions.settle_pending(wait=wait)
        for entry in await self._journal.pending(assistant_id):
            # Under the assistant's lock: a write in flight (here or in another replica) finishes its own row first.
            if wait:
                async with self._journal.assistant_lock(entry.assistant_id):
                    await self._settle_own(entry.change_id, "found pending (stopped mid-write)")
                continue
            async with self._journal.assistant_lock_if_free(entry.assistant_id) as free:
                if free:
                    await self._settle_own(entry.change_id, "found pending (stopped mid-write)")


def _restore_before(entry: JournalEntry, force: bool) -> Callable[[State], tuple[State, set[str]]]:
    """A revert's new state: the values the change's fields had before it, refused where they changed again
    since (unless forced; a list or text journalled as a delta is rebuilt only from what the change left)."""
    left = entry.after if entry.after is not None else {**entry.before, **entry.body}

    def build(current: State) -> tuple[State, set[str]]:
        moved = [f for f in entry.fields if not _still_holds(f, current, left.get(f))]
        if moved and not force:
            raise RevertRefused(
                f"Not reverted: {', '.join(moved)} changed again after {entry.change_id} "
                f"(now {shorten({f: current.get(f) for f in moved})}). Reverting would also undo those later "
                "changes. Review them with list_changes; pass force: true to revert anyway."
            )
        state = dict(current)
        for f in entry.fields:
            recorded, sent = left.get(f), entry.body.get(f)
            if not is_delta(recorded) and f not in entry.before and is_delta(sent):
                # What landed was kept whole, what was sent as a delta (the API stored something else than
                # sent): the change's own part is undone by key, never a null restored for a missing value.
                recorded, by_part = sent, True
            else:
                by_part = force
            if not is_delta(recorded):
                state[f] = copy.deepcopy(entry.before.get(f))
                continue
            state[f] = undo(comparable(f, current.get(f)), recorded, by_part)
            if state[f] is None:
                raise RevertRefused(
                    f"Not reverted: {f} changed again after {entry.change_id} in the part this change touched (the "
                    "passage it wrote is no longer there once), so it cannot be undone. Review it with list_changes "
                    "and set the value you want with update_assistant."
                )
        return state, set(entry.fields)

    return build


def _still_holds(field_name: str, current: State, recorded: Any) -> bool:
    """Whether the assistant still holds what a change left in this field (journal values are masked)."""
    value = comparable(field_name, current.get(field_name))
    return still_holds(value, recorded if is_delta(recorded) else comparable(field_name, recorded))


def _journal_form(current: State, stored: State, body: State) -> tuple[State, State]:
    """What the journal keeps of a write: a long list or text as what changed (a one-item edit of 3,000 FAQ
    items journals one item), other fields whole, and the state before for the fields kept whole."""
    recorded, before = dict(body), journalled(current, body)
    for name, new in body.items():
        change = delta(name, stored.get(name), new)
        if change is not None:
            recorded[name] = change
            before.pop(name, None)
    return recorded, before


def inline_config(state: State) -> State:
    """An assistant's configuration in the form POST /call takes inline (the update fields but `name`, and
    not the older transfer_phone_number), each value as it would be sent."""
    config = {f: comparable(f, state[f]) for f in sorted(UPDATE_FIELDS) if f in state and f not in _NOT_INLINE}
    _leave_out_nulls(config)
    return config


_NOT_INLINE = frozenset({"name", "transfer_phone_number"})


def _voice_switch(old: Any, body: State) -> list[str]:
    """What a change of voice provider leaves behind (the merge keeps a speed that fits the new provider)."""
    new = body.get("voice")
    if not (isinstance(old, dict) and isinstance(new, dict)) or old.get("provider") == new.get("provider"):
        return []
    dropped = [k for k in ("speed", "model", "volume") if old.get(k) is not None and k not in new]
    if not dropped:
        return []
    why = {
        "speed": f"{old.get('speed')} does not fit {new.get('provider')}'s range, so the voice speaks at its default",
        "model": "it belonged to the old voice",
        "volume": "it belonged to the old voice",
    }
    return [
        f"voice.{k} was {old.get(k)} and is not kept with the new provider ({why[k]}). Set it in the patch if needed."
        for k in dropped
        if k == "speed" or new.get("provider") == "cartesia"
    ]


def _leave_out_nulls(candidate: State) -> list[str]:
    """Top-level nulls the update types refuse (a revert restoring a `webhook_url` the API once held as null)
    cannot be sent: leave those fields as they are, and say so."""
    props = body_schema()["properties"]
    unsendable = sorted(f for f, v in candidate.items() if v is None and f in props and not accepts_null(props[f]))
    for name in unsendable:
        del candidate[name]
    return [
        f"{name} would be null, which the API's update does not accept; it keeps its current value."
        for name in unsendable
    ]


def _left_for_the_read(problems: list[Problem], args: UpdateAssistantArgs, current: State) -> list[Problem]:
    """The problems the arguments check left to the read (values that may be stored ones): refused unless the
    value at the path is the stored one, sent back as it is (a required key the stored item lacks too: left
    to the check of the change, which warns). An object of a variant the arguments could not name (an
    llm_model without its type, a voice of a newer provider) is judged merged, by that check, instead. The
    problems left to refuse the change for."""
    faces: dict[str, Any] = {}  # each field's stored value faced once (a list of thousands: linear, once)
    return [p for p in problems if not _as_stored(p.path, args, current, faces)]


def _as_stored(path: str, args: UpdateAssistantArgs, current: State, faces: dict[str, Any]) -> bool:
    if path.startswith("patch."):
        rest = path.removeprefix("patch.")
        name = re.split(r"[.\[]", rest, maxsplit=1)[0]
        sent = args.patch.get(name)
        if _judged_merged(name, sent, current.get(name)):
            return True
        if name not in faces:
            faces[name] = _facing(name, sent, current.get(name))
        return is_unchanged(rest, {name: sent}, {name: faces[name]}, _ALIGNED)
    match = re.fullmatch(r"edits\[(\d+)\]\.item(.*)", path, flags=re.DOTALL)
    if match is None or int(match[1]) >= len(args.edits):
        return False
    edit = args.edits[int(match[1])]
    item = getattr(edit, "item", None)
    return item is not None and is_unchanged(f"item{match[2]}", {"item": item}, {"item": _stored_item(edit, current)})


def _judged_merged(name: str, sent: Any, old: Any) -> bool:
    """A variant object the patch does not name a variant of this release for: an llm_model without a known
    type, or a voice of a newer provider (stored so, and left so)."""
    tag = VARIANT_KEYS.get(name)
    if tag is None or not isinstance(sent, dict):
        return False
    if name == "llm_model" and sent.get(tag) not in known_tags(name):
        return True
    stored_tag = old.get(tag) if isinstance(old, dict) else None
    return isinstance(old, dict) and sent.get(tag, stored_tag) == stored_tag and stored_tag not in known_tags(name)


def _stored_item(edit: Any, current: State) -> Any:
    """The stored item an upsert replaces: the one of its key, or the calling window at its index."""
    top, _, nested = edit.list.partition(".")
    items = current.get(top)
    items = items.get(nested) if nested and isinstance(items, dict) else items
    if not isinstance(items, list):
        return None
    key = LIST_KEYS.get(edit.list)
    if key is None:  # by position, after the edits before it: the stored window most like it
        alike = most_alike(edit.item, items)
        return items[alike] if alike is not None else None
    return next((i for i in items if isinstance(i, dict) and i.get(key) == edit.item.get(key)), None)


def _validate_changes(
    candidate: State,
    stored: State,
    prefix: str,
    held: State | None,
    origins: dict[str, dict[int, int]] | None = None,
) -> list[str]:
    """Check the values to send, reporting only what the change sets: a stored value left alone (a voice
    provider, a key or an enum value newer than this release) is the API's business, not ours, and so is
    a value a revert restores (`held`: what the API held before the change). Each list item faces the stored
    item of its key (however edits moved it), so an item's stored keys are not judged when an edit changes
    another; keys this release does not know are judged only where the change sets them (a drifted variant's:
    never); list items already stored are left out of the check, so one FAQ upsert on 3,000 items checks one
    item, not 3,000. A problem in an item an upsert put is named by the edit's path (`origins`)."""
    props, revert = body_schema()["properties"], held is not None
    bases = [_faced(candidate, stored)]
    if held is not None:
        bases.append(_faced(candidate, {f: comparable(f, held.get(f)) for f in candidate}))
    positions = _new_positions(candidate, stored)
    judged = {
        f: _judged_form(f, _pick(v, positions.get(f)), [_pick(b.get(f), positions.get(f)) for b in bases], revert)
        for f, v in candidate.items()
    }
    head = f"{prefix}." if prefix else ""
    try:
        _body_validator(prefix).validate(judged)
        problems: list[Problem] = []
    except PatchInvalid as exc:
        problems = [_at_original_index(p, positions, prefix) for p in exc.problems]
    if isinstance(candidate.get("custom_tools"), list):
        # Unique names, judged on the whole list: a repeat the change adds, not one already stored.
        problems = [p for p in problems if p.path != f"{head}custom_tools"] + _added_repeats(candidate, stored, head)
    if not problems:
        return []
    # Only now, with problems to sort: what the change sets against what was stored (or held).
    mine = {f: _judged_form(f, v, [b.get(f) for b in bases], revert) for f, v in candidate.items()}
    knowns = [{f: known_only(b.get(f), props[f]) for f in candidate} for b in bases]
    new = [p for p in problems if not any(is_unchanged(p.path[len(head) :], mine, k, _ALIGNED) for k in knowns)]
    if new:
        raise PatchInvalid([_at_edit(p, origins or {}, head) for p in new])
    return [_stored_gap(_at_edit(p, origins or {}, head)) for p in problems if "key missing" in p.value]


# Lists whose items face the same item in the stored value: by key (`editing.aligned`), or by index.
_ALIGNED = frozenset(LIST_KEYS)


def _faced(candidate: State, state: State) -> State:
    """`state`'s values of the candidate's fields, each keyed list's items in the places of the candidate's."""
    return {f: _facing(f, v, state.get(f)) for f, v in candidate.items()}


def _facing(name: str, value: Any, old: Any) -> Any:
    """What a field's new value faces in `old` (`editing.faced`); nothing, for an object of another variant
    (voice.provider, llm_model.type): what it keeps from the old one is judged for the new variant."""
    tag = VARIANT_KEYS.get(name)
    if tag and isinstance(value, dict) and isinstance(old, dict) and tag in value and value[tag] != old.get(tag):
        return None
    return faced(name, value, old)


def _pick(value: Any, kept: list[int] | None) -> Any:
    return value if kept is None or not isinstance(value, list) else [value[i] for i in kept]


def _judged_form(field_name: str, value: Any, olds: list[Any], revert: bool) -> Any:
    """A field's value as the checks judge it (`editing.set_here`); without the keys this release does not
    know in a revert (it restores what the API held, whose keys the journal may keep only in part) and in an
    object of a variant newer than this release, stored so and left so (`_newer_variants` says so)."""
    schema = body_schema()["properties"][field_name]
    if revert or (olds and _newer_tag(field_name, value, olds[0])):
        return known_only(value, schema)
    return set_here(value, schema, olds)


def _newer_tag(field_name: str, value: Any, old: Any) -> bool:
    """A variant object (voice, llm_model) whose tag this release does not know, stored so and left so."""
    tag = VARIANT_KEYS.get(field_name)
    if tag is None or not (isinstance(value, dict) and isinstance(old, dict)) or value.get(tag) != old.get(tag):
        return False
    return tag in value and value[tag] not in known_tags(field_name)


def _newer_variants(candidate: State, stored: State) -> list[str]:
    """An llm_model of a type newer than this release (stored so, the change left its type alone): its keys go
    as they are, judged by the API only; a voice of a newer provider: the keys this release does not know that
    the change sets go as given."""
    warnings = []
    model = candidate.get("llm_model")
    if isinstance(model, dict) and model.get("type") not in (*LLM_MODEL_TYPES, None):
        warnings.append(
            f"llm_model is of type {shorten(model.get('type'))}, newer than this release: its keys are sent as "
            f"given, unchecked by revox-mcp (the API judges them; this release knows the types "
            f"{', '.join(LLM_MODEL_TYPES)})."
        )
    voice, old = candidate.get("voice"), stored.get("voice")
    if isinstance(voice, dict) and isinstance(old, dict) and _newer_tag("voice", voice, old):
        known = body_schema()["properties"]["voice"].get("properties", {})
        unknown = sorted(k for k, v in voice.items() if k not in known and (old.get(k, v) != v or k not in old))
        if unknown:
            warnings.append(
                f"voice is of provider {shorten(voice.get('provider'))}, newer than this release: "
                f"{', '.join(f'voice.{k}' for k in unknown)} is sent as given, unchecked by revox-mcp (the API "
                "judges it)."
            )
    return warnings


def _added_repeats(candidate: State, stored: State, head: str) -> list[Problem]:
    """Custom tool names the change repeats (more tools of a name than the stored list has, and more than one)."""

    def names(tools: Any) -> Counter[str]:
        listed = tools if isinstance(tools, list) else []
        return Counter(str(t.get("name")) for t in listed if isinstance(t, dict))

    new, old = names(candidate.get("custom_tools")), names(stored.get("custom_tools"))
    repeated = sorted(str(n) for n, count in new.items() if count > max(1, old[n]))
    if not repeated:
        return []
    return [
        Problem(
            path=f"{head}custom_tools",
            value=shorten(repeated),
            allowed=f"custom tools with unique names (repeated: {', '.join(repeated)})",
            hint="Give each tool its own name; an upsert replaces the tool of its name.",
        )
    ]


def _stored_gap(problem: Problem) -> str:
    """A required key the stored object lacks, left alone by the change: not refused, but the API replaces
    the object whole, so it may refuse it; said, with what the key takes."""
    return (
        f"{problem.path} is missing from the stored object, and this change does not set it; the API replaces "
        f"the object whole and may refuse it without the key ({problem.allowed}). Add it to the change if so."
    )


def _new_positions(candidate: State, stored: State) -> dict[str, list[int]]:
    """For each top-level list of `candidate` holding items already stored, the positions of the others:
    the items to judge."""
    positions = {}
    for name, items in candidate.items():
        old = stored.get(name)
        if isinstance(items, list) and isinstance(old, list):
            kept = new_items(items, old)
            if len(kept) < len(items):
                positions[name] = kept
    return positions


def _at_original_index(problem: Problem, positions: dict[str, list[int]], prefix: str) -> Problem:
    head = f"{prefix}." if prefix else ""
    for name, kept in positions.items():
        start = f"{head}{name}["
        if problem.path.startswith(start):
            index, _, rest = problem.path[len(start) :].partition("]")
            if index.isdigit():
                return dataclasses.replace(problem, path=f"{start}{kept[int(index)]}]{rest}")
    return problem


def _at_edit(problem: Problem, origins: dict[str, dict[int, int]], head: str) -> Problem:
    """A problem inside an item an upsert put, at the edit's path: edits[1].item.type, not result.x[7].type."""
    for name, placed in origins.items():
        start = f"{head}{name}["
        if problem.path.startswith(start):
            index, _, rest = problem.path[len(start) :].partition("]")
            if index.isdigit() and int(index) in placed:
                return dataclasses.replace(problem, path=f"edits[{placed[int(index)]}].item{rest}")
    return problem


def _unpatched_calls(notice: Any) -> list[str]:
    if not isinstance(notice, dict):
        return []
    variables = ", ".join(str(v) for v in notice.get("variables") or []) or "some variables"
    return [
        f"The API reports {notice.get('count', 'some')} queued call(s) using prompt variables that the new prompt "
        f"no longer declares ({variables}). Check those calls in Revox before they run."
    ]


def _diff(before: State, after: State, known_before: State, known_after: State) -> list[dict[str, Any]]:
    """The diff as an agent means it: update fields compared in their sendable form, so keys the API
    manages itself (a FAQ item's id) are not reported as changes. Only fields that differ at all are
    projected (most do not, and this runs on every write), and the projections the write already made
    (`known_*`) are not made again: on a large assistant each one walks thousands of items."""
    moved = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    old = {k: known_before[k] if k in known_before else comparable(k, before.get(k)) for k in moved}
    new = {k: known_after[k] if k in known_after else comparable(k, after.get(k)) for k in moved}
    return masked_diff(old, new, moved)


def _scrubbed(exc: ApiError, secrets: set[str]) -> ApiError:
    message = scrub(exc.message, secrets)
    if message == exc.message:
        return exc
    scrubbed = copy.copy(exc)
    scrubbed.message, scrubbed.args = message, (message,)
    return scrubbed


def recorded_changes(before: State, after: State, fields: list[str]) -> list[dict[str, Any]]:
    """A journalled change as list_changes shows it: compared in sendable form, like a write's own diff, so
    keys the API assigns (a FAQ item's id) are not reported as changes. A field the change sent that shows
    no difference changed a secret, which the journal never keeps: it says so."""
    whole = [f for f in fields if not is_delta(after.get(f))]
    changes = masked_diff(
        {f: comparable(f, before.get(f)) for f in whole}, {f: comparable(f, after.get(f)) for f in whole}, whole
    )
    changes += [c for f in fields if is_delta(after.get(f)) for c in delta_changes(f, after[f])]
    shown = {str(c["path"]).split(".")[0].split("[")[0] for c in changes}
    return changes + [
        {"path": f, "diff": "A secret in this field changed (the journal keeps no secrets, so it shows none)."}
        for f in fields
        if f not in shown and f in UPDATE_FIELDS
    ]


def masked_diff(before: State, after: State, fields: set[str] | list[str]) -> list[dict[str, Any]]:
    """The diff of the masked states, so no diff (a unified diff of a long key included) shows a secret;
    known secrets are scrubbed from its text as well."""
    if not (may_hold_secrets(before) or may_hold_secrets(after)):
        return diff(before, after, fields)  # the common case, and one quick look instead of four walks
    changes = diff(redact(before), redact(after), fields)
    shown = {str(c["path"]).split(".")[0].split("[")[0] for c in changes}
    changes += [
        {"path": f, "diff": "A secret in this field changed; both values show the same when masked."}
        for f in sorted(fields)
        if f not in shown and before.get(f) != after.get(f) and redact(before.get(f)) == redact(after.get(f))
    ]
    known = secrets_in(before) | secrets_in(after)
    if not known:
        return changes
    return [{k: scrub(v, known) if isinstance(v, str) else v for k, v in c.items()} for c in changes]


async def _check_destinations(stored: State, body: State, journal_fields: dict[str, Any], prefix: str) -> None:
    """A stored secret the change keeps never goes to another host (destinations): refused before anything
    is sent. After the policy, whose refusal says more to an operator who denied the secret."""
    if not DESTINATION_FIELDS.keys() & body.keys():
        return
    sent = [journal_fields.get("patch"), journal_fields.get("edits")]
    problems = await anyio.to_thread.run_sync(moved_secrets, stored, body, sent, prefix)
    if problems:
        raise PatchInvalid(problems)


def _refuse_exposed(candidate: State, current: State, prefix: str) -> None:
    """A text edited on its stored value (replace_text) can rename what marks a secret (`?token=` to
    `?tokn=`, a header's name): the secret would then be shown on every read. Refused, naming the field."""
    problems = [
        Problem(
            path=f"{prefix}.{name}",
            value=mask(secret),
            allowed="a text that keeps each stored secret after a name that marks it as one",
            hint="This change leaves a stored secret outside any place read as a secret (its parameter or header "
            "renamed, or its quote or tag removed), so every read would show it. Keep the name before it, or "
            "remove the secret with its name.",
        )
        for name, text in candidate.items()
        if isinstance(text, str) and isinstance(current.get(name), str) and text != current[name]
        for secret in exposed_secrets(current[name], text)
    ]
    if problems:
        raise PatchInvalid(problems)


def _unmask_secrets(candidate: State, current: State, prefix: str, revert: bool) -> list[str]:
    """A masked secret sent back means "keep the stored one": swap the real one in. A value in a mask's shape
    that matches nothing stored at that place is text an agent wrote: written, with a warning. In a revert it
    comes from the journal, which never keeps secrets: it cannot be written."""
    unmatched = restore_secrets(candidate, current)
    if unmatched and revert:
        raise PatchInvalid(
            [
                Problem(
                    path=f"{prefix}.{render_path(path)}",
                    value=shorten(value),
                    allowed="the secret stored there now, or a new one sent in full",
                    hint="The journal keeps secrets masked, and the secret stored at this place is not the one this "
                    "change replaced, so the revert cannot restore it. Set the secret you want with "
                    "update_assistant, in full.",
                )
                for path, value in unmatched
            ]
        )
    return [
        f"{prefix}.{render_path(path)} holds {shorten(value)}, the shape of a masked secret, but the secret stored "
        "there masks otherwise (or there is none), so it is taken as written. To keep a stored secret, send back "
        "the mask read from this assistant at this place (or leave the field out); to set one, send it in full."
        for path, value in unmatched
    ]


def _not_applied(body: State, after: State, landed: State) -> list[str]:
    return [
        f"The API did not apply {name} as sent: sent {shorten(sent)}, it now holds {shorten(after.get(name))}."
        for name, sent in body.items()
        if landed[name] != sent
    ]


def _moved_meanwhile(before: State, after: State, body: State) -> list[str]:
    moved = sorted(f for f in UPDATE_FIELDS - set(body) if f in before and before.get(f) != after.get(f))
    if not moved:
        return []
    return [
        f"{', '.join(moved)} changed between our read and our write: another writer was active. "
        "Check the assistant with get_assistant."
    ]


def check_version(expected: str | None, stored: Any) -> None:
    # Equal as text, or the same instant written two ways; a stamp that is not a time (reads pass on what
    # the API sends) must then match exactly.
    if expected is None or expected == stored or _instant(expected) == _instant(stored) is not None:
        return
    if _instant(expected) is None and _instant(stored) is not None:
        raise PatchInvalid(
            [
                Problem(
                    path="expected_updated_at",
                    value=shorten(expected),
                    allowed="an ISO-8601 time: the updated_at of get_assistant's answer, copied as it is",
                    hint=f"The assistant's updated_at is now {stored}.",
                )
            ]
        )
    expected_at, stored_at = _instant(expected), _instant(stored)
    newer = expected_at is not None and stored_at is not None and expected_at > stored_at
    if newer:
        raise StaleVersion(
            f"expected_updated_at {expected} is later than the assistant's updated_at {stored}: it did not come from "
            "this assistant's current state. Nothing was written. Read it again with get_assistant."
        )
    raise StaleVersion(
        f"The assistant changed since you read it: you expected updated_at {expected}, it is now {stored}. Nothing "
        "was written. Call get_assistant, redo your change on the current values, and pass the new updated_at."
    )


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    # The API writes UTC; a naive time compared with an aware one would raise TypeError.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _reason(exc: Exception, secrets: set[str]) -> str:
    """Why a write failed, for the journal: the error's own words, every secret known to this write masked
    (the API's words may quote a stored one the change never sent)."""
    return scrub(f"{type(exc).__name__}: {exc}", secrets)


def _from_a_gateway(status: int | None) -> bool:
    return status in _GATEWAY_STATUSES


def _sendable(state: State, body: State) -> State:
    return {f: comparable(f, state.get(f)) for f in body}


def _did_not_land(exc: ApiError, attempts: int) -> ApiError:
    tries = f", {attempts} times" if attempts > 1 else ""
    message = (
        f"{_no_decisive_answer(exc)}{tries}, and a re-read shows the change did not land: nothing changed. It is safe "
        "to call again."
    )
    return NotLanded(message, status=exc.status)


def _no_decisive_answer(exc: ApiError) -> str:
    if isinstance(exc, ApiTimeout):
        return "The Revox API did not answer the write in time"
    if _from_a_gateway(exc.status):
        return f"A gateway answered {exc.status} for the write (the Revox API did not answer it in time)"
    if exc.status is not None and exc.status < 300:
        return "The Revox API's answer to the write could not be read"
    return f"The Revox API answered the write with {exc.status}"


def _oddities(answer: State, body: State) -> str:
    missing = sorted(f for f in body if f not in answer)
    other = sorted(f for f in body if f in answer and comparable(f, answer.get(f)) != body[f])
    said = ([f"lacked {', '.join(missing)}"] if missing else []) + (
        [f"showed other values for {', '.join(other)}"] if other else []
    )
    if not said:  # trusted in every field but its id
        said = [f"was about another assistant ({shorten(answer.get('id'))})"]
    return " and ".join(said)


def _read_needs(args: UpdateAssistantArgs) -> dict[str, type]:
    """The fields a read must hold for this change, which builds on what is stored, and the type each must
    have: lists and texts it edits (a list left out of the answer is not an empty list), objects holding a
    list it edits, and objects it merges into that every read holds (an object left out of the answer is
    null, and the merge is then the patch's object alone)."""
    needs: dict[str, type] = {f: dict for f, v in args.patch.items() if isinstance(v, dict) and f in ALWAYS_READ}
    for edit in args.edits:
        if isinstance(edit, ReplaceText):
            needs[edit.field] = str
        else:
            top, _, nested = edit.list.partition(".")
            needs[top] = dict if nested else list
    return needs


def _check_read(assistant_id: str, current: State, needs: dict[str, type]) -> None:
    """Never write from a partial read: a change merged into, or edited on, a field the answer lacks (or
    holds as something else than a list, a text or an object) would replace what is stored with what
    revox-mcp could not see."""
    if current.get("id") != assistant_id:
        raise IncompleteRead(
            f"The Revox API's answer for assistant {assistant_id} is not that assistant (its id is "
            f"{shorten(current.get('id'))}). Nothing was sent. Try again shortly."
        )
    missing = sorted(f for f in needs if f not in current)
    if missing:
        raise IncompleteRead(
            f"The Revox API's answer for assistant {assistant_id} lacks {', '.join(missing)}, which this change "
            "merges into or edits: writing from it would replace what revox-mcp cannot see. Nothing was sent. "
            "Try again shortly; if the answer keeps lacking it (the assistant has none yet), set the whole value "
            "in the patch instead of editing it."
        )
    odd = sorted(f for f, kind in needs.items() if current[f] is not None and not isinstance(current[f], kind))
    if odd:
        kinds = ", ".join(f"{f} ({shorten(current[f])}, not {_KIND_NAMES[needs[f]]})" for f in odd)
        raise IncompleteRead(
            f"The Revox API's answer for assistant {assistant_id} holds {kinds}, which this change edits: writing "
            "from it would replace what is stored. Nothing was sent. Try again shortly; to replace the value, set "
            "it whole in the patch."
        )


_KIND_NAMES: dict[type, str] = {list: "a list", str: "a text", dict: "an object"}


def _check_revertible(entry: JournalEntry, force: bool) -> None:
    if entry.status == "pending":
        raise RevertRefused(
            f"Change {entry.change_id} was sent without a decisive answer and is not decided yet "
            f"({entry.status_reason or 'outcome unknown'}). A revert sent now could be overwritten when it lands: "
            "check again later with list_changes, which decides it once it can."
        )
    if entry.status == "failed" and not force:
        raise RevertRefused(
            f"Change {entry.change_id} did not land ({entry.status_reason or 'the API refused it'}), so there is "
            "nothing to undo. Check with get_assistant; pass force: true to restore the values from before it anyway."
        )
