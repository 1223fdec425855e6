"""The journal's statements, shared by the SQLite and PostgreSQL backends: same tables, same rows.

A backend says only how a statement runs (`_run`, `_fetch`, and `_read_page` for a count and a page read
together); statements are written with `?` placeholders, which a backend rewrites to its own.
"""

from __future__ import annotations

import json
from abc import abstractmethod
from typing import Any

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

Row = tuple[Any, ...]


class SqlJournal(Journal):
    @abstractmethod
    async def _run(self, sql: str, params: Row) -> None:
        """One statement in its own transaction."""

    @abstractmethod
    async def _fetch(self, sql: str, params: Row) -> list[Row]: ...

    @abstractmethod
    async def _read_page(self, count: str, count_params: Row, rows: str, rows_params: Row) -> tuple[list[Row], int]:
        """The count of one query and the rows of another, read so that they agree."""

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
        await self._run(
            "INSERT INTO test_calls (scope, created_at, assistant_id, phone_number, call_id, candidate, reason, actor) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (self.scope, now(), assistant_id, phone_number, call_id, json.dumps(candidate), reason, actor),
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
        grace_s: float | None = None,
        secret_digests: dict[str, dict[str, str]] | None = None,
    ) -> str:
        change_id, created_at = new_change_id(), now()
        stored = [json.dumps(value) for value in (fields, patch, edits, body)]
        # sent_at in the same row, same statement: a normal write costs no extra round trip for it.
        await self._run(
            "INSERT INTO changes (change_id, scope, created_at, sent_at, assistant_id, status, fields, patch, edits, "
            "body, reason, reverts, before, actor, grace_s, secret_digests) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                change_id,
                self.scope,
                created_at,
                created_at,
                assistant_id,
                "pending",
                *stored,
                reason,
                reverts,
                json.dumps(before),
                actor,
                grace_s,
                dumps(secret_digests),
            ),
        )
        return change_id

    async def finish(
        self, change_id: str, status: Status, after: dict[str, Any] | None = None, reason: str | None = None
    ) -> None:
        await self._run(
            "UPDATE changes SET status = ?, after = ?, status_reason = ? WHERE change_id = ?",
            (status, dumps(after), short(reason), change_id),
        )

    async def mark_sent(self, change_id: str) -> None:
        await self._run("UPDATE changes SET sent_at = ? WHERE change_id = ?", (now(), change_id))

    async def settle(self, change_id: str, status: Status, after: dict[str, Any] | None, reason: str) -> None:
        await self._run(
            "UPDATE changes SET status = ?, after = ?, status_reason = ? WHERE change_id = ? AND status = 'pending'",
            (status, dumps(after), short(reason), change_id),
        )

    async def pending(self, assistant_id: str | None = None) -> list[JournalEntry]:
        where, params = self._where(assistant_id, None, "status = 'pending'")
        rows = await self._fetch(f"SELECT {COLUMNS} FROM changes WHERE {where} ORDER BY seq", params)
        return [entry(row) for row in rows]

    async def pending_under_lock(self, assistant_id: str) -> list[JournalEntry]:
        # Scopes are "<lock scope> key:<hash>": rows of other keys on the same API share the lock's prefix.
        prefix = f"{self.lock_scope} key:"
        rows = await self._fetch(
            f"SELECT {COLUMNS} FROM changes WHERE (scope = ? OR substr(scope, 1, ?) = ?) AND assistant_id = ? "
            "AND status = 'pending' ORDER BY seq",
            (self.scope, len(prefix), prefix, assistant_id),
        )
        return [entry(row) for row in rows]

    async def get(self, change_id: str) -> JournalEntry | None:
        rows = await self._fetch(
            f"SELECT {COLUMNS} FROM changes WHERE scope = ? AND change_id = ?", (self.scope, change_id)
        )
        return entry(rows[0]) if rows else None

    async def page(
        self, assistant_id: str | None, page: int, page_size: int, actor: str | None = None
    ) -> tuple[list[JournalEntry], int]:
        where, params = self._where(assistant_id, actor)
        rows, total = await self._read_page(
            f"SELECT COUNT(*) FROM changes WHERE {where}",
            params,
            f"SELECT {COLUMNS} FROM changes WHERE {where} ORDER BY seq DESC LIMIT ? OFFSET ?",
            (*params, page_size, (page - 1) * page_size),
        )
        return [entry(row) for row in rows], total

    def _where(self, assistant_id: str | None, actor: str | None, *also: str) -> tuple[str, Row]:
        """This scope's rows, of one assistant and one actor where given."""
        clauses, params = ["scope = ?", *also], [self.scope]
        for column, value in (("assistant_id", assistant_id), ("actor", actor)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        return " AND ".join(clauses), tuple(params)
