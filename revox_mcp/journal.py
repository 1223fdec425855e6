"""The change journal: every write revox-mcp makes, with the state before and after, in local SQLite.

A row is written *before* the PATCH (status `pending`) and completed after it (`applied` or
`failed`), each step one transaction: a crash leaves either no row or a whole pending row, which
then says honestly that the outcome is unknown until it is settled (the writer re-reads the
assistant: applied if it holds what was sent, failed otherwise). A failed or settled row says why
in `status_reason`. The file is created with mode 0600 (it holds
whole assistant configurations). Rows are scoped by API (base URL, or the sandbox's file), so a
journal shared by several configurations never mixes their assistants.
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import anyio

from revox_mcp.sqlite_files import connect, create_private, private_side_files, transaction

Status = Literal["pending", "applied", "failed"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    change_id TEXT NOT NULL UNIQUE,
    scope TEXT NOT NULL,
    created_at TEXT NOT NULL,
    assistant_id TEXT NOT NULL,
    status TEXT NOT NULL,
    fields TEXT NOT NULL,
    patch TEXT NOT NULL,
    edits TEXT NOT NULL,
    body TEXT NOT NULL,
    reason TEXT,
    reverts TEXT,
    before TEXT NOT NULL,
    after TEXT
);
CREATE INDEX IF NOT EXISTS changes_by_assistant ON changes (scope, assistant_id, seq);
CREATE TABLE IF NOT EXISTS test_calls (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    scope TEXT NOT NULL,
    created_at TEXT NOT NULL,
    assistant_id TEXT NOT NULL,
    phone_number TEXT NOT NULL,
    call_id TEXT,
    candidate TEXT NOT NULL,
    reason TEXT,
    actor TEXT
);
"""
# Columns added after the first release, added to older files when they are opened.
_MIGRATIONS = {
    "status_reason": "ALTER TABLE changes ADD COLUMN status_reason TEXT",
    "actor": "ALTER TABLE changes ADD COLUMN actor TEXT",
}


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


def _new_change_id() -> str:
    # Sortable by time at a glance, unique without coordination.
    return f"chg_{datetime.now(UTC):%Y%m%dT%H%M%S}_{secrets.token_hex(4)}"


class Journal:
    def __init__(self, path: Path, scope: str) -> None:
        create_private(path)
        self.path = path
        self.scope = scope
        self._lock = threading.Lock()
        self._db = connect(path)
        private_side_files(path)
        self._db.executescript(_SCHEMA)
        self._migrate()

    def _migrate(self) -> None:
        with self._lock, transaction(self._db):
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(changes)")}
            for column, sql in _MIGRATIONS.items():
                if column not in columns:
                    self._db.execute(sql)
            test_call_columns = {row[1] for row in self._db.execute("PRAGMA table_info(test_calls)")}
            if "actor" not in test_call_columns:
                self._db.execute("ALTER TABLE test_calls ADD COLUMN actor TEXT")

    def close(self) -> None:
        with self._lock:
            self._db.close()

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
        await self._run(
            "INSERT INTO test_calls (scope, created_at, assistant_id, phone_number, call_id, candidate, reason, actor) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                self.scope,
                datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
                assistant_id,
                phone_number,
                call_id,
                json.dumps(candidate),
                reason,
                actor,
            ),
        )

    async def test_calls(self, assistant_id: str) -> list[dict[str, Any]]:
        rows = await self._fetch(
            "SELECT created_at, phone_number, call_id, candidate, reason, actor FROM test_calls "
            "WHERE scope = ? AND assistant_id = ? ORDER BY seq DESC",
            (self.scope, assistant_id),
        )
        keys = ("created_at", "phone_number", "call_id", "candidate", "reason", "actor")
        return [{**dict(zip(keys, row, strict=True)), "candidate": json.loads(row[3])} for row in rows]

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
    ) -> str:
        change_id = _new_change_id()
        row = (
            change_id,
            self.scope,
            datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            assistant_id,
            "pending",
            json.dumps(fields),
            json.dumps(patch),
            json.dumps(edits),
            json.dumps(body),
            reason,
            reverts,
            json.dumps(before),
            actor,
        )
        await self._run(
            "INSERT INTO changes (change_id, scope, created_at, assistant_id, status, fields, patch, edits, body, "
            "reason, reverts, before, actor) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            row,
        )
        return change_id

    async def finish(
        self, change_id: str, status: Status, after: dict[str, Any] | None = None, reason: str | None = None
    ) -> None:
        await self._run(
            "UPDATE changes SET status = ?, after = ?, status_reason = ? WHERE change_id = ?",
            (status, json.dumps(after) if after is not None else None, _short(reason), change_id),
        )

    async def settle(self, change_id: str, status: Status, after: dict[str, Any] | None, reason: str) -> None:
        """Settle a row left pending; a no-op if its writer finished it meanwhile (its word wins)."""
        await self._run(
            "UPDATE changes SET status = ?, after = ?, status_reason = ? WHERE change_id = ? AND status = 'pending'",
            (status, json.dumps(after) if after is not None else None, _short(reason), change_id),
        )

    async def pending(self, assistant_id: str | None = None) -> list[JournalEntry]:
        where, params = "scope = ? AND status = 'pending'", [self.scope]
        if assistant_id is not None:
            where, params = where + " AND assistant_id = ?", [*params, assistant_id]
        return await self._query(f"SELECT {_COLUMNS} FROM changes WHERE {where} ORDER BY seq", tuple(params))

    async def get(self, change_id: str) -> JournalEntry | None:
        rows = await self._query(
            f"SELECT {_COLUMNS} FROM changes WHERE scope = ? AND change_id = ?", (self.scope, change_id)
        )
        return rows[0] if rows else None

    async def page(
        self, assistant_id: str | None, page: int, page_size: int, actor: str | None = None
    ) -> tuple[list[JournalEntry], int]:
        where, params = "scope = ?", [self.scope]
        if assistant_id is not None:
            where, params = where + " AND assistant_id = ?", [*params, assistant_id]
        if actor is not None:
            where, params = where + " AND actor = ?", [*params, actor]
        (total,) = (await self._fetch(f"SELECT COUNT(*) FROM changes WHERE {where}", tuple(params)))[0]
        rows = await self._query(
            f"SELECT {_COLUMNS} FROM changes WHERE {where} ORDER BY seq DESC LIMIT ? OFFSET ?",
            (*params, page_size, (page - 1) * page_size),
        )
        return rows, total

    async def _run(self, sql: str, params: tuple[Any, ...]) -> None:
        # Writes run on the event loop on purpose: one small WAL commit with synchronous=NORMAL takes tens
        # of microseconds, less than handing it to a worker thread and back (this is on every write's
        # path). Reads, which can be pages of whole states, go to a thread.
        with self._lock, transaction(self._db):
            self._db.execute(sql, params)

    async def _fetch(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        def fetch() -> list[tuple[Any, ...]]:
            with self._lock:
                return self._db.execute(sql, params).fetchall()

        return await anyio.to_thread.run_sync(fetch)

    async def _query(self, sql: str, params: tuple[Any, ...]) -> list[JournalEntry]:
        return [_entry(row) for row in await self._fetch(sql, params)]


_COLUMNS = (
    "change_id, created_at, assistant_id, status, fields, patch, edits, body, reason, reverts, before, after, "
    "status_reason, actor"
)


def _short(reason: str | None) -> str | None:
    return reason if reason is None or len(reason) <= 500 else reason[:499] + "…"


def _entry(row: tuple[Any, ...]) -> JournalEntry:
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
    )
