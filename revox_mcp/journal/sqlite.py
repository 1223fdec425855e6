"""The change journal in a local SQLite file, shared by every server process that names it (each stdio
server a client spawns uses the default file).

The file is created with mode 0600 (it holds whole assistant configurations). Every access runs on a
worker thread, which takes the connection's lock there: the event loop never waits for the file, nor for
another thread reading a large page. Writes to one assistant exclude each other across those processes
with a lock file per assistant beside the journal (`file_lock.py` says why a file lock).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

import anyio

from revox_mcp.journal.base import LOCK_TIMEOUT_S
from revox_mcp.journal.file_lock import LockFiles, lock_folder, lock_name
from revox_mcp.journal.sql import Row, SqlJournal
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
CREATE TABLE IF NOT EXISTS observations (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    scope TEXT NOT NULL,
    assistant_id TEXT NOT NULL,
    updated_at TEXT,
    moment TEXT NOT NULL,
    digest TEXT NOT NULL,
    fields TEXT NOT NULL,
    observed_values TEXT,
    observed_at TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS observations_once ON observations (scope, assistant_id, moment, digest);
"""
# Columns added after the first release, added to older files when they are opened.
_MIGRATIONS = {
    "status_reason": "ALTER TABLE changes ADD COLUMN status_reason TEXT",
    "actor": "ALTER TABLE changes ADD COLUMN actor TEXT",
    "sent_at": "ALTER TABLE changes ADD COLUMN sent_at TEXT",
    "grace_s": "ALTER TABLE changes ADD COLUMN grace_s REAL",
    "secret_digests": "ALTER TABLE changes ADD COLUMN secret_digests TEXT",
    # Actions (revox_mcp.actions) beside updates: NULL in older rows, which are updates of their assistant.
    "kind": "ALTER TABLE changes ADD COLUMN kind TEXT",
    "target_type": "ALTER TABLE changes ADD COLUMN target_type TEXT",
    "target_id": "ALTER TABLE changes ADD COLUMN target_id TEXT",
    "action": "ALTER TABLE changes ADD COLUMN action TEXT",
}
# Times stored to the second by older releases ('...T12:00:05Z'), rewritten to the same instant in today's
# form ('...T12:00:05.000000Z'), so that text order is time order. Only that exact shape is touched, so
# running it again changes nothing.
_TO_THE_SECOND = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z"
_REWRITE = "UPDATE {} SET created_at = substr(created_at, 1, 19) || '.000000Z' WHERE created_at GLOB ?"
_MICROSECONDS = tuple(_REWRITE.format(table) for table in ("changes", "test_calls"))
# PRAGMA user_version: 1 once the times are in microseconds (the steps above that are not columns).
_USER_VERSION = 1


def _migrate(db: sqlite3.Connection) -> None:
    columns = {row[1] for row in db.execute("PRAGMA table_info(changes)")}
    for column, sql in _MIGRATIONS.items():
        if column not in columns:
            db.execute(sql)
    test_call_columns = {row[1] for row in db.execute("PRAGMA table_info(test_calls)")}
    if "actor" not in test_call_columns:
        db.execute("ALTER TABLE test_calls ADD COLUMN actor TEXT")
    (version,) = db.execute("PRAGMA user_version").fetchone()
    if version < 1:
        for sql in _MICROSECONDS:
            db.execute(sql, (_TO_THE_SECOND,))
    db.execute("CREATE INDEX IF NOT EXISTS changes_by_target ON changes (scope, target_type, target_id, seq)")
    if version < _USER_VERSION:
        db.execute(f"PRAGMA user_version = {_USER_VERSION}")


class SqliteJournal(SqlJournal):
    def __init__(self, path: Path, scope: str, lock_scope: str | None = None) -> None:
        super().__init__(scope)
        self.path = path
        # Keyed on the API and the assistant, not on the key, as PostgreSQL's lock is: servers on an old
        # and a new key (a rotation) still exclude each other.
        self.lock_scope = lock_scope or scope
        self._lock_files = LockFiles(lock_folder(path))
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    async def open(self) -> None:
        await anyio.to_thread.run_sync(self._open)

    def _open(self) -> None:
        create_private(self.path)
        db = connect(self.path)
        private_side_files(self.path)
        db.executescript(_SCHEMA)
        # One transaction, read inside it: servers opening one file at once migrate it once.
        with transaction(db):
            _migrate(db)
        self._db = db

    @asynccontextmanager
    async def _shared_lock(self, assistant_id: str, wait: bool = True) -> AsyncIterator[None]:
        timeout_s = LOCK_TIMEOUT_S if wait else 0.0
        async with self._lock_files.hold(lock_name(self.lock_scope, assistant_id), assistant_id, timeout_s):
            yield

    async def aclose(self) -> None:
        await anyio.to_thread.run_sync(self.close)

    def close(self) -> None:
        self._lock_files.close()
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    async def _read_page(self, count: str, count_params: Row, rows: str, rows_params: Row) -> tuple[list[Row], int]:
        def read(db: sqlite3.Connection) -> tuple[list[Row], int]:
            (total,) = db.execute(count, count_params).fetchone()
            return db.execute(rows, rows_params).fetchall(), total

        return await self._in_thread(read)

    async def _in_thread(self, work: Callable[[sqlite3.Connection], T]) -> T:
        def run() -> T:
            # The lock is taken on the worker thread, never on the event loop.
            with self._lock:
                if self._db is None:
                    raise RuntimeError("the journal is closed")
                return work(self._db)

        return await anyio.to_thread.run_sync(run)

    async def _run(self, sql: str, params: Row) -> None:
        def write(db: sqlite3.Connection) -> None:
            with transaction(db):
                db.execute(sql, params)

        await self._in_thread(write)

    async def _fetch(self, sql: str, params: Row) -> list[Row]:
        return await self._in_thread(lambda db: db.execute(sql, params).fetchall())
