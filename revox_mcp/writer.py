"""AssistantWriter: the one path by which revox-mcp changes an assistant.

Read the current state, check the version guard, build the new values (merge, edits, or a revert's
before-values), validate them whole, send only what differs, journal the write, and report what
changed and anything the API did not apply. Writes to one assistant are serialized inside this
server, so its own callers never interleave between the read and the write; the API has no
conditional writes, so a writer elsewhere still can, in the milliseconds between our GET and PATCH
(we report it when the answer shows it).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

import anyio

from revox_mcp.catalog import Catalog
from revox_mcp.client import RevoxClient
from revox_mcp.editing import apply_edits, diff, merge_patch, project
from revox_mcp.errors import (
    ApiError,
    ApiTimeout,
    ChangeNotFound,
    PatchInvalid,
    Problem,
    RevertRefused,
    ServerFault,
    StaleVersion,
)
from revox_mcp.journal import Journal
from revox_mcp.models import AssistantUpdate
from revox_mcp.policy import Policy, changed_paths
from revox_mcp.redaction import redact, restore_secrets, scrub, secrets_in
from revox_mcp.tool_models import RevertChangeArgs, UpdateAssistantArgs, body_schema
from revox_mcp.validation import ArgumentValidator, render_path, shorten

State = dict[str, Any]
UPDATE_FIELDS = frozenset(AssistantUpdate.model_fields)


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

    def structured(self) -> dict[str, Any]:
        return {
            "assistant": self.assistant,
            "changes": self.changes,
            "warnings": self.warnings,
            "dry_run": self.dry_run,
            "change_id": self.change_id,
        }


class AssistantWriter:
    def __init__(
        self,
        client: RevoxClient,
        journal: Journal | None,
        policy: Policy | None = None,
        catalog: Catalog | None = None,
    ) -> None:
        self._client = client
        self._journal = journal
        self._policy = policy or Policy()
        self._catalog = catalog
        self._locks: dict[str, anyio.Lock] = {}
        self._settled_at_start = False

    async def update(self, args: UpdateAssistantArgs) -> WriteOutcome:
        edits_sent = [edit.model_dump(mode="json", exclude_unset=True) for edit in args.edits]
        await self._settle_at_start()

        def build(current: State) -> tuple[State, set[str]]:
            state = dict(current)  # shallow: merge_patch builds new values and apply_edits copies what it edits
            state.update(merge_patch(current, args.patch))
            return state, set(args.patch) | apply_edits(state, args.edits)

        return await self._change(
            args.id,
            build,
            prefix="result" if args.edits else "patch",
            dry_run=args.dry_run,
            expected_updated_at=args.expected_updated_at,
            journal_fields={"patch": args.patch, "edits": edits_sent, "reason": args.reason},
        )

    async def revert(self, args: RevertChangeArgs) -> WriteOutcome:
        entry = await self._journal.get(args.change_id) if self._journal else None
        await self._settle_at_start()
        if entry is not None and entry.status == "pending":
            await self.settle_pending(entry.assistant_id)
            entry = await self._journal.get(args.change_id)  # type: ignore[union-attr]
        if entry is None:
            where = "the change journal" if self._journal else "any journal (this server runs with --no-journal)"
            raise ChangeNotFound(f"No change '{args.change_id}' in {where}. list_changes shows the recorded ones.")
        if entry.status != "applied" and not args.force:
            raise RevertRefused(
                f"Change {entry.change_id} is '{entry.status}': "
                + (
                    "the API refused it, so there is nothing to undo."
                    if entry.status == "failed"
                    else "its outcome is unknown. Check with get_assistant, then pass force: true to restore "
                    "the values from before it."
                )
            )
        expected_after = entry.after or {**entry.before, **entry.body}

        def build(current: State) -> tuple[State, set[str]]:
            # The journal keeps states with secrets masked, so compare masked with masked.
            moved = [
                f
                for f in entry.fields
                if redact(_comparable(f, current.get(f))) != redact(_comparable(f, expected_after.get(f)))
            ]
            if moved and not args.force:
                raise RevertRefused(
                    f"Not reverted: {', '.join(moved)} changed again after {entry.change_id} "
                    f"(now {shorten({f: current.get(f) for f in moved})}). Reverting would also undo those later "
                    "changes. Review them with list_changes; pass force: true to revert anyway."
                )
            state = dict(current)
            state.update({f: copy.deepcopy(entry.before.get(f)) for f in entry.fields})
            return state, set(entry.fields)

        return await self._change(
            entry.assistant_id,
            build,
            prefix="revert",
            dry_run=args.dry_run,
            expected_updated_at=None,
            journal_fields={"patch": {}, "edits": [], "reason": args.reason, "reverts": entry.change_id},
        )

    async def _change(
        self,
        assistant_id: str,
        build: Callable[[State], tuple[State, set[str]]],
        *,
        prefix: str,
        dry_run: bool,
        expected_updated_at: str | None,
        journal_fields: dict[str, Any],
    ) -> WriteOutcome:
        lock = self._locks.setdefault(assistant_id, anyio.Lock())
        async with lock:
            current = (await self._client.get_assistant(assistant_id)).model_dump(mode="json", exclude_unset=True)
            check_version(expected_updated_at, current.get("updated_at"))
            # Off the event loop: edits on a long prompt are CPU work, and other sessions must not wait.
            state, touched = await anyio.to_thread.run_sync(build, current)
            dropped: list[str] = []
            props = body_schema()["properties"]
            candidate = {f: project(state.get(f), props[f], [f], dropped) for f in sorted(touched)}
            _unmask_secrets(candidate, current, prefix)
            _body_validator(prefix).validate(candidate)
            body = {f: v for f, v in candidate.items() if v != _comparable(f, current.get(f))}
            self._enforce_policy(current, body, prefix)
            warnings = [
                f"{path} is unknown to revox-mcp and was not sent; the API replaces that object whole, so it may "
                "be dropped."
                for path in dropped
                if path.split(".")[0].split("[")[0] in body
            ]
            if not body:
                return WriteOutcome(assistant=current, changes=[], dry_run=dry_run, warnings=warnings)
            if self._catalog is not None:
                warnings += await self._catalog.check(current, {**current, **body}, body, prefix)
            if dry_run:
                preview = {**current, **body}
                return WriteOutcome(assistant=preview, changes=_diff(current, preview), dry_run=True, warnings=warnings)
            return await self._send(assistant_id, current, body, warnings, journal_fields)

    def _enforce_policy(self, current: State, body: State, prefix: str) -> None:
        """The operator policy on what would really change, however the change was asked for."""
        if self._policy.is_default:
            return
        # Raw values, not a diff: a diff shows secrets masked, and two keys can share a mask.
        old = {f: _comparable(f, current.get(f)) for f in body}
        changed = changed_paths(old, body, body_schema())
        problems = self._policy.check_paths(changed, prefix) + self._policy.check_limits(body, prefix)
        if problems:
            raise PatchInvalid(problems)

    async def _send(
        self, assistant_id: str, current: State, body: State, warnings: list[str], journal_fields: dict[str, Any]
    ) -> WriteOutcome:
        change_id = None
        if self._journal is not None:
            change_id = await self._journal.begin(
                assistant_id=assistant_id,
                fields=sorted(body),
                body=redact(body),
                before=redact(current),
                **redact(journal_fields),
            )
        try:
            answer = await self._client.update_assistant(assistant_id, body)
        except ApiTimeout as exc:
            after = await self._reread_after_timeout(assistant_id, current, body, change_id, exc)
            warnings.append("The API did not answer in time, but a re-read shows the change landed.")
        except ApiError as exc:
            if change_id is not None and isinstance(exc, ServerFault):
                # A 5xx (or an answer that cannot be read) does not say the write did not land: look.
                await self._settle(change_id, assistant_id, body, _reason(exc, body))
            elif change_id is not None:
                await self._journal.finish(change_id, "failed", reason=_reason(exc, body))  # type: ignore[union-attr]
            raise
        except Exception as exc:
            # An answer we cannot read, a body that cannot be sent: look instead of leaving the row pending.
            if change_id is not None:
                await self._settle(change_id, assistant_id, body, _reason(exc, body))
            raise
        else:
            after = answer.model_dump(mode="json", exclude_unset=True)
        if change_id is not None:
            await self._journal.finish(change_id, "applied", redact(after))  # type: ignore[union-attr]
        warnings += _not_applied(body, after) + _moved_meanwhile(current, after, body)
        return WriteOutcome(
            assistant=after, changes=_diff(current, after), dry_run=False, change_id=change_id, warnings=warnings
        )

    async def _settle_at_start(self) -> None:
        """Before this server's first journal write: rows a previous run left pending say what happened."""
        if not self._settled_at_start:
            self._settled_at_start = True
            await self.settle_pending()

    async def settle_pending(self, assistant_id: str | None = None) -> None:
        """Settle journal rows left pending (a crash mid-write, an answer that never came): re-read the
        assistant; applied if it holds what was sent, failed otherwise, still pending if it cannot be read."""
        if self._journal is None:
            return
        for entry in await self._journal.pending(assistant_id):
            # Under the assistant's lock: a write of ours in flight finishes its own row first.
            async with self._locks.setdefault(entry.assistant_id, anyio.Lock()):
                await self._settle(entry.change_id, entry.assistant_id, entry.body, "found pending (stopped mid-write)")

    async def _settle(self, change_id: str, assistant_id: str, body: State, why: str) -> None:
        try:
            read: Any = await self._client.get_assistant(assistant_id)
            # The client may hand back a model or, reading tolerantly, a plain dict.
            reread = read if isinstance(read, dict) else read.model_dump(mode="json", exclude_unset=True)
            # Journal bodies keep secrets masked: compare masked with masked.
            landed = all(redact(_comparable(f, reread.get(f))) == redact(v) for f, v in body.items())
        except ApiError:  # the outcome stays unknown, and the row says so
            return
        outcome = "it landed" if landed else "it did not land"
        await self._journal.settle(  # type: ignore[union-attr]
            change_id,
            "applied" if landed else "failed",
            redact(reread) if landed else None,
            f"{why}; a re-read shows {outcome}",
        )

    async def _reread_after_timeout(
        self, assistant_id: str, current: State, body: State, change_id: str | None, timeout: ApiTimeout
    ) -> State:
        """After a write that timed out, look instead of guessing: did it land, not land, or land in part?"""
        try:
            reread = (await self._client.get_assistant(assistant_id)).model_dump(mode="json", exclude_unset=True)
        except ApiError:
            raise timeout from None  # still unknown; the journal row stays 'pending'
        landed = [f for f, v in body.items() if _comparable(f, reread.get(f)) == v]
        if len(landed) == len(body):
            return reread
        untouched = all(_comparable(f, reread.get(f)) == _comparable(f, current.get(f)) for f in body)
        if untouched:
            if change_id is not None:
                reason = "no answer in time; a re-read shows it did not land"
                await self._journal.finish(change_id, "failed", reason=reason)  # type: ignore[union-attr]
            raise ApiTimeout(
                "The Revox API did not answer in time, and a re-read shows the change did not land: nothing "
                "changed. It is safe to call again.",
                status=timeout.status,
            ) from None
        raise ApiTimeout(
            f"The Revox API did not answer in time, and a re-read shows only part of the change: {', '.join(landed)} "
            f"landed, {', '.join(sorted(set(body) - set(landed)))} did not (or was changed again). Check with "
            "get_assistant before retrying.",
            status=timeout.status,
        ) from None


def _comparable(field_name: str, value: Any) -> Any:
    """A stored value as it would be sent, so that stored and sent values compare equal when they mean the same."""
    return project(value, body_schema()["properties"][field_name], [field_name], [])


def _diff(before: State, after: State) -> list[dict[str, Any]]:
    """The diff as an agent means it: update fields compared in their sendable form, so keys the API
    manages itself (a FAQ item's id) are not reported as changes. Only fields that differ at all are
    projected (most do not, and this runs on every write)."""
    moved = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    return masked_diff(_sendable(before, moved), _sendable(after, moved), moved)


def masked_diff(before: State, after: State, fields: set[str] | list[str]) -> list[dict[str, Any]]:
    """The diff of the masked states, so no diff (a unified diff of a long key included) shows a secret;
    known secrets are scrubbed from its text as well."""
    changes = diff(redact(before), redact(after), fields)
    known = secrets_in(before) | secrets_in(after)
    if not known:
        return changes
    return [{k: scrub(v, known) if isinstance(v, str) else v for k, v in c.items()} for c in changes]


def _sendable(state: State, fields: set[str]) -> State:
    return {k: _comparable(k, state.get(k)) if k in UPDATE_FIELDS else state.get(k) for k in fields}


def _unmask_secrets(candidate: State, current: State, prefix: str) -> None:
    """A masked secret sent back means "keep the stored one": swap the real one in. A mask that matches
    nothing stored at that place (from an old answer or the journal, which never keeps secrets) cannot
    be written."""
    unmatched = restore_secrets(candidate, current)
    if unmatched:
        raise PatchInvalid(
            [
                Problem(
                    path=f"{prefix}.{render_path(path)}",
                    value=shorten(value),
                    allowed="the real value, or the masked form of the secret stored there now",
                    hint="revox-mcp never shows or keeps secrets, so a masked key cannot be written back unless "
                    "it stands for the value stored at the same place. Send the real value, or leave it out to "
                    "keep the stored one.",
                )
                for path, value in unmatched
            ]
        )


def _not_applied(body: State, after: State) -> list[str]:
    return [
        f"The API did not apply {name} as sent: sent {shorten(sent)}, it now holds {shorten(after.get(name))}."
        for name, sent in body.items()
        if _comparable(name, after.get(name)) != sent
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
    if expected is None or expected == stored or _instant(expected) == _instant(stored):
        return
    newer = _instant(stored) is not None and _instant(expected) is not None and _instant(expected) > _instant(stored)
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
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _reason(exc: Exception, body: State) -> str:
    """Why a write failed, for the journal: the error's own words, secrets masked."""
    return scrub(f"{type(exc).__name__}: {exc}", secrets_in(body))
