"""The change journal in a local SQLite file: one process (a stdio server, or one HTTP replica).

The file is created with mode 0600 (it holds whole assistant configurations). Every access runs on a
worker thread, which takes the connection's lock there: the event loop never waits for the file, nor for
another thread reading a large page.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio

from revox_mcp.journal.base import (
    COLUMNS,
    Journal,
    JournalEntry,
    Status,
    call_row,
    dumps,
    entry,
    new_change_id,
    now,
    short,
)
from revox_mcp.sqlite_files import connect, create_private, private_side_files, transaction

T = TypeVar("T")

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


class SqliteJournal(Journal):
    def __init__(self, path: Path, scope: str) -> None:
        super().__init__(scope)
        self.path = path
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    async def open(self) -> None:
        await anyio.to_thread.run_sync(self._open)

    def _open(self) -> None:
        create_private(self.path)
        db = connect(self.path)
        private_side_files(self.path)
        db.executescript(_SCHEMA)
        with transaction(db):
            columns = {row[1] for row in db.execute("PRAGMA table_info(changes)")}
            for column, sql in _MIGRATIONS.items():
                if column not in columns:
                    db.execute(sql)
            test_call_columns = {row[1] for row in db.execute("PRAGMA table_info(test_calls)")}
            if "actor" not in test_call_columns:
                db.execute("ALTER TABLE test_calls ADD COLUMN actor TEXT")
        self._db = db

    async def aclose(self) -> None:
        await anyio.to_thread.run_sync(self.close)

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

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
        row = (self.scope, now(), assistant_id, phone_number, call_id, json.dumps(candidate), reason, actor)
        await self._run(
            "INSERT INTO test_calls (scope, created_at, assistant_id, phone_number, call_id, candidate, reason, actor) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            row,
        )

    async def test_calls(self, assistant_id: str) -> list[dict[str, Any]]:
        rows = await self._fetch(
            "SELECT created_at, phone_number, call_id, candidate, reason, actor FROM test_calls "
            "WHERE scope = ? AND assistant_id = ? ORDER BY seq DESC",
            (self.scope, assistant_id),
        )
        return [call_row(row) for row in rows]

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
        change_id = new_change_id()
        row = (
            change_id,
            self.scope,
            now(),
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
            (status, dumps(after), short(reason), change_id),
        )

    async def settle(self, change_id: str, status: Status, after: dict[str, Any] | None, reason: str) -> None:
        await self._run(
            "UPDATE changes SET status = ?, after = ?, status_reason = ? WHERE change_id = ? AND status = 'pending'",
            (status, dumps(after), short(reason), change_id),
        )

    async def pending(self, assistant_id: str | None = None) -> list[JournalEntry]:
        where, params = "scope = ? AND status = 'pending'", [self.scope]
        if assistant_id is not None:
            where, params = where + " AND assistant_id = ?", [*params, assistant_id]
        return await self._query(f"SELECT {COLUMNS} FROM changes WHERE {where} ORDER BY seq", tuple(params))

    async def get(self, change_id: str) -> JournalEntry | None:
        rows = await self._query(
            f"SELECT {COLUMNS} FROM changes WHERE scope = ? AND change_id = ?", (self.scope, change_id)
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

        def read(db: sqlite3.Connection) -> tuple[list[tuple[Any, ...]], int]:
            (total,) = db.execute(f"SELECT COUNT(*) FROM changes WHERE {where}", params).fetchone()
            rows = db.execute(
                f"SELECT {COLUMNS} FROM changes WHERE {where} ORDER BY seq DESC LIMIT ? OFFSET ?",
                (*params, page_size, (page - 1) * page_size),
            ).fetchall()
            return rows, total

        rows, total = await self._in_thread(read)
        return [entry(row) for row in rows], total

    async def _in_thread(self, work: Callable[[sqlite3.Connection], T]) -> T:
        def run() -> T:
            # The lock is taken on the worker thread, never on the event loop.
            with self._lock:
                if self._db is None:
                    raise RuntimeError("the journal is closed")
                return work(self._db)

        return await anyio.to_thread.run_sync(run)

    async def _run(self, sql: str, params: tuple[Any, ...]) -> None:
        def write(db: sqlite3.Connection) -> None:
            with transaction(db):
                db.execute(sql, params)

        await self._in_thread(write)

    async def _fetch(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        return await self._in_thread(lambda db: db.execute(sql, params).fetchall())

    async def _query(self, sql: str, params: tuple[Any, ...]) -> list[JournalEntry]:
        return [entry(row) for row in await self._fetch(sql, params)]
