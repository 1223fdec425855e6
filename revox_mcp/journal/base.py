"""The change journal's one interface, which the writer and the tools use without knowing the backend.

Every write revox-mcp makes is recorded with the state before and after. A row is written *before* the
PATCH (status `pending`) and completed after it (`applied` or `failed`), each step one transaction: a
crash leaves either no row or a whole pending row, which then says honestly that the outcome is unknown
until it is settled (the writer re-reads the assistant: applied if it holds what was sent, failed
otherwise). A failed or settled row says why in `status_reason`. Rows are scoped by API (base URL and
key, or the sandbox's file), so a journal shared by several configurations never mixes their assistants.

Rows are of two sorts. An *update* (`kind` "update", every row written before kinds existed) is a PATCH
of an assistant by the writer. An *action* (any other kind: "create_assistant", "update_phone_number",
"pause_campaign"...) is one other write, made through `revox_mcp.actions`: it names its target (`target_type`,
`target_id`: a phone number, a campaign, a call, or an assistant it creates or deletes), the assistant
concerned where there is one (`assistant_id`, "" when none), and in `action` the request it sent (method,
path) and what a read of the target shows once it landed (`expect`), so that any server can settle it.

Backends: SQLite (a local file, shared by the processes that name it, with a write lock across them),
PostgreSQL (shared by replicas, with a write lock across them), and NullJournal (`--no-journal`: records
nothing).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import anyio

from revox_mcp.errors import RevoxMcpError

Status = Literal["pending", "applied", "failed"]
# The kind of a row that records an assistant update (and of every row written before kinds were recorded).
UPDATE = "update"
# The kind of a row that records a change made outside revox-mcp, seen at a read (revox_mcp.observations).
OUTSIDE = "outside"
OUTSIDE_ACTOR = "outside revox-mcp"


@dataclass(frozen=True)
class Observation:
    """What a read of an assistant showed, compactly: a digest per configuration field and of them all, the
    (masked) values of the fields small enough to keep (what the diff of a later change needs; only the newest
    observation of an assistant keeps them), and when. `moment`: updated_at in the journal's time form."""

    assistant_id: str
    updated_at: str | None
    moment: str
    digest: str
    fields: dict[str, str]
    values: dict[str, Any]
    observed_at: str


@dataclass(frozen=True)
class JournalEntry:
    change_id: str
    created_at: str
    assistant_id: str
    status: Status
    fields: list[str]
    patch: dict[str, Any]
    edits: list[Any]
    body: dict[str, Any]
    reason: str | None
    reverts: str | None
    before: dict[str, Any]
    after: dict[str, Any] | None
    status_reason: str | None = None
    actor: str | None = None
    # When the PATCH was last sent (microsecond ISO text, like created_at): set by `begin` to created_at,
    # moved by `mark_sent` when the write is sent again. None for rows written before it was recorded:
    # created_at is then the best known send time.
    sent_at: str | None = None
    # The sender's grace in seconds (how long after sent_at its PATCH may still land): a row is decided by its
    # own sender's timeouts, not those of whichever server settles it. None for older rows.
    grace_s: float | None = None
    # Keyed digests where the change replaced a secret by one that masks the same (secret_digests): what the
    # masked body and before cannot tell. None for most rows, and for rows written before it was recorded.
    secret_digests: dict[str, dict[str, str]] | None = None
    # What sort of write the row records: "update" (an assistant PATCH by the writer; every row written before
    # kinds existed) or an action's kind (revox_mcp.actions). Its target: an assistant for updates.
    kind: str = UPDATE
    target_type: str = "assistant"
    # None for an action whose target the API had not named yet (a create without an answer).
    target_id: str | None = None
    # An action's request and the state a read of its target shows once it landed: {"method", "path",
    # "expect"}. None for updates.
    action: dict[str, Any] | None = None

    @property
    def is_update(self) -> bool:
        return self.kind == UPDATE


class JournalUnavailable(RevoxMcpError):
    """The shared journal failed or could not be reached while serving a call."""


class LockLost(JournalUnavailable):
    """The write lock across replicas ended before its holder was done: its database connection failed."""


# A writer waits this long for another process's write to the same assistant before giving up.
LOCK_TIMEOUT_S = 30


class LockBusy(JournalUnavailable):
    """Another holder has the assistant's lock across processes, and the caller would not wait (long)."""


def lock_wait_refused(assistant_id: str) -> JournalUnavailable:
    """What a write is told after LOCK_TIMEOUT_S of another server holding the assistant's lock."""
    return LockBusy(
        f"Another server sharing this journal (a replica, or another process on the same journal file) has been "
        f"writing to {assistant_id} for over {LOCK_TIMEOUT_S} s (the shared journal's write lock). Nothing was "
        "changed. Try again in a minute."
    )


def lock_key(scope: str, assistant_id: str) -> int:
    """A stable signed 64-bit key for (scope, assistant): the same in every process and every release
    (Python's hash() is salted per process, so replicas would disagree)."""
    digest = hashlib.blake2b(f"{scope}\0{assistant_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class Journal(ABC):
    """What a journal backend does. `assistant_lock` serializes writes to one assistant: inside this
    process always (cheap, and a waiting task holds nothing else), and across the processes sharing the
    journal (a lock file per assistant for SQLite, an advisory lock for PostgreSQL)."""

    # False for NullJournal: nothing is recorded, and the tools say so.
    records = True
    # Where a change that is not found was looked for, in the words of an error an agent reads.
    where = "the change journal"

    def __init__(self, scope: str) -> None:
        self.scope = scope
        # What the write lock across processes is keyed on (the API, not the key); backends that share one set it.
        self.lock_scope = scope
        self._locks: dict[str, anyio.Lock] = {}

    @asynccontextmanager
    async def assistant_lock(self, assistant_id: str) -> AsyncIterator[None]:
        """Held from the read of an assistant through its PATCH to the journal row."""
        async with self._locks.setdefault(assistant_id, anyio.Lock()), self._shared_lock(assistant_id):
            yield

    @asynccontextmanager
    async def assistant_lock_if_free(self, assistant_id: str) -> AsyncIterator[bool]:
        """The assistant's lock if nobody holds it now, else False at once: for a read that settles rows on its
        way (list_changes) and must not wait behind a write, which decides those rows itself before it sends."""
        lock = self._locks.setdefault(assistant_id, anyio.Lock())
        if lock.locked():  # no await between this look and the take: nothing can take it in between
            yield False
            return
        lock.acquire_nowait()
        try:
            async with AsyncExitStack() as stack:
                try:
                    await stack.enter_async_context(self._shared_lock(assistant_id, wait=False))
                except LockBusy:
                    yield False
                    return
                yield True
        finally:
            lock.release()

    def _shared_lock(self, assistant_id: str, wait: bool = True) -> AbstractAsyncContextManager[None]:
        """The lock across processes sharing this journal; none for a journal only one process uses. `wait`
        False: LockBusy at once if another process holds it."""
        return nullcontext()

    async def confirm_lock(self, assistant_id: str) -> None:
        """Right before a PATCH: raise LockLost if the lock across processes is no longer held."""
        return None

    @abstractmethod
    async def open(self) -> None:
        """Connect, create and migrate the tables."""

    @abstractmethod
    async def aclose(self) -> None: ...

    @abstractmethod
    async def record_test_call(
        self,
        *,
        assistant_id: str,
        phone_number: str,
        call_id: str | None,
        candidate: dict[str, Any],
        reason: str | None,
        actor: str | None = None,
    ) -> None:
        """A test call placed with a candidate configuration: who placed it, when, which number, which changes."""

    @abstractmethod
    async def test_calls(self, assistant_id: str) -> list[dict[str, Any]]: ...

    @abstractmethod
    async def begin(
        self,
        *,
        assistant_id: str,
        fields: list[str],
        patch: dict[str, Any],
        edits: list[Any],
        body: dict[str, Any],
        before: dict[str, Any],
        reason: str | None,
        reverts: str | None = None,
        actor: str | None = None,
        grace_s: float | None = None,
        secret_digests: dict[str, dict[str, str]] | None = None,
    ) -> str:
        """A pending row, written before the PATCH; its change id."""

    @abstractmethod
    async def begin_action(
        self,
        *,
        kind: str,
        target_type: str,
        target_id: str | None,
        assistant_id: str | None,
        fields: list[str],
        body: dict[str, Any],
        before: dict[str, Any],
        action: dict[str, Any],
        reason: str | None,
        reverts: str | None = None,
        actor: str | None = None,
        grace_s: float | None = None,
    ) -> str:
        """A pending action row (revox_mcp.actions), written before its request; its change id. Values are
        stored as given: the caller masks them."""

    @abstractmethod
    async def finish(
        self,
        change_id: str,
        status: Status,
        after: dict[str, Any] | None = None,
        reason: str | None = None,
        target_id: str | None = None,
    ) -> None:
        """End a row. `target_id`: the target the API named in its answer (a create's new assistant), which
        becomes the row's target (and, for an assistant, the assistant concerned)."""

    @abstractmethod
    async def mark_sent(self, change_id: str) -> None:
        """The row's PATCH is being sent again: its sent_at becomes now()."""

    @abstractmethod
    async def settle(
        self,
        change_id: str,
        status: Status,
        after: dict[str, Any] | None,
        reason: str,
        target_id: str | None = None,
    ) -> None:
        """Settle a row left pending; a no-op if its writer finished it meanwhile (its word wins)."""

    @abstractmethod
    async def pending(self, assistant_id: str | None = None) -> list[JournalEntry]:
        """Pending update rows (of one assistant where given); action rows are `pending_actions`'."""

    @abstractmethod
    async def pending_actions(self, target_type: str | None = None, target_id: str | None = None) -> list[JournalEntry]:
        """Pending action rows, of one target where given."""

    async def pending_under_lock(self, assistant_id: str) -> list[JournalEntry]:
        """The assistant's pending update rows of every key that shares this journal's write lock (a server on
        a rotated key must still wait for the old key's undecided write); this scope's alone by default."""
        return await self.pending(assistant_id)

    @abstractmethod
    async def of_target(self, target_type: str, target_id: str, limit: int = 50) -> list[JournalEntry]:
        """The rows about one target (updates of an assistant included), newest first, at most `limit`."""

    @abstractmethod
    async def get(self, change_id: str) -> JournalEntry | None: ...

    async def revert_of(self, change: JournalEntry) -> JournalEntry | None:
        """The newest row that reverts `change` and landed or may land (applied or pending), if any; a revert
        writes to the same target as the change it undoes. None by default (a journal that records nothing)."""
        return None

    @abstractmethod
    async def page(
        self,
        assistant_id: str | None,
        page: int,
        page_size: int,
        actor: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> tuple[list[JournalEntry], int]:
        """One page of changes, newest first, and how many match in all; `since` (included) and `until`
        (excluded) bound created_at, in the journal's time form."""

    @abstractmethod
    async def last_observation(self, assistant_id: str) -> Observation | None:
        """The assistant's newest observation (by its updated_at), with its values."""

    @abstractmethod
    async def observe(self, observation: Observation, outside: dict[str, Any] | None = None) -> None:
        """Record an observation and, where given, the outside change it found (a row of kind OUTSIDE: keys
        change_id, created_at, fields, before, after, action, status_reason). Each is recorded once however
        many servers observe the same version (keyed on assistant, updated_at and digest; the change by its
        id, derived from the same). Older observations of the assistant drop their values."""


class NullJournal(Journal):
    """`--no-journal`: the interface, recording nothing; writes are still serialized in this process."""

    records = False
    where = "any journal (this server runs with --no-journal)"

    def __init__(self, scope: str = "") -> None:
        super().__init__(scope)

    async def open(self) -> None:
        return None

    async def aclose(self) -> None:
        return None

    async def record_test_call(self, **_: Any) -> None:
        return None

    async def test_calls(self, assistant_id: str) -> list[dict[str, Any]]:
        return []

    async def begin(self, **_: Any) -> str:
        return ""  # no change id: the answer says 'not journalled'

    async def begin_action(self, **_: Any) -> str:
        return ""

    async def finish(
        self,
        change_id: str,
        status: Status,
        after: dict[str, Any] | None = None,
        reason: str | None = None,
        target_id: str | None = None,
    ) -> None:
        return None

    async def mark_sent(self, change_id: str) -> None:
        return None

    async def settle(
        self,
        change_id: str,
        status: Status,
        after: dict[str, Any] | None,
        reason: str,
        target_id: str | None = None,
    ) -> None:
        return None

    async def pending(self, assistant_id: str | None = None) -> list[JournalEntry]:
        return []

    async def pending_actions(self, target_type: str | None = None, target_id: str | None = None) -> list[JournalEntry]:
        return []

    async def of_target(self, target_type: str, target_id: str, limit: int = 50) -> list[JournalEntry]:
        return []

    async def get(self, change_id: str) -> JournalEntry | None:
        return None

    async def page(
        self,
        assistant_id: str | None,
        page: int,
        page_size: int,
        actor: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> tuple[list[JournalEntry], int]:
        return [], 0

    async def last_observation(self, assistant_id: str) -> Observation | None:
        return None

    async def observe(self, observation: Observation, outside: dict[str, Any] | None = None) -> None:
        return None


# The columns every backend stores, in the order `entry` reads them.
COLUMNS = (
    "change_id, created_at, assistant_id, status, fields, patch, edits, body, reason, reverts, before, after, "
    "status_reason, actor, sent_at, grace_s, secret_digests, kind, target_type, target_id, action"
)
TEST_CALL_KEYS = ("created_at", "phone_number", "call_id", "candidate", "reason", "actor")
OBSERVATION_COLUMNS = "assistant_id, updated_at, moment, digest, fields, observed_values, observed_at"


def new_change_id() -> str:
    # Sortable by time at a glance, unique without coordination.
    return f"chg_{datetime.now(UTC):%Y%m%dT%H%M%S}_{secrets.token_hex(4)}"


def now() -> str:
    """UTC to the microsecond, always with six digits, so that text order is time order (rows stored to the
    second before this are migrated to the same form: `.000000Z`)."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def short(reason: str | None) -> str | None:
    return reason if reason is None or len(reason) <= 500 else reason[:499] + "…"


def dumps(value: Any) -> str | None:
    return json.dumps(value) if value is not None else None


def entry(row: tuple[Any, ...] | list[Any]) -> JournalEntry:
    (
        change_id,
        created_at,
        assistant_id,
        status,
        fields,
        patch,
        edits,
        body,
        reason,
        reverts,
        before,
        after,
        why,
        actor,
        sent_at,
        grace_s,
        digests,
        kind,
        target_type,
        target_id,
        action,
    ) = row
    return JournalEntry(
        change_id=change_id,
        created_at=created_at,
        assistant_id=assistant_id,
        status=status,
        fields=json.loads(fields),
        patch=json.loads(patch),
        edits=json.loads(edits),
        body=json.loads(body),
        reason=reason,
        reverts=reverts,
        before=json.loads(before),
        after=json.loads(after) if after else None,
        status_reason=why,
        actor=actor,
        sent_at=sent_at,
        grace_s=float(grace_s) if grace_s is not None else None,
        secret_digests=json.loads(digests) if digests else None,
        # Rows written before kinds existed are updates of their assistant.
        kind=kind or UPDATE,
        target_type=target_type or "assistant",
        target_id=target_id if kind else assistant_id,
        action=json.loads(action) if action else None,
    )


def call_row(row: tuple[Any, ...] | list[Any]) -> dict[str, Any]:
    return {**dict(zip(TEST_CALL_KEYS, row, strict=True)), "candidate": json.loads(row[3])}


def observation_row(row: tuple[Any, ...] | list[Any]) -> Observation:
    assistant_id, updated_at, moment, digest, fields, values, observed_at = row
    return Observation(
        assistant_id=assistant_id,
        updated_at=updated_at,
        moment=moment,
        digest=digest,
        fields=json.loads(fields),
        values=json.loads(values) if values else {},
        observed_at=observed_at,
    )
