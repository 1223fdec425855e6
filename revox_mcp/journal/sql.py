"""The journal's statements, shared by the SQLite and PostgreSQL backends: same tables, same rows.

Update rows and action rows share the `changes` table (`kind` tells them apart; NULL in rows written before
kinds existed, read as "update"): the statements that settle updates see update rows only, and
`pending_actions` action rows only, so neither side ever decides the other's row with the wrong re-read.

A backend says only how a statement runs (`_run`, `_fetch`, and `_read_page` for a count and a page read
together); statements are written with `?` placeholders, which a backend rewrites to its own.
"""

from __future__ import annotations

import json
from abc import abstractmethod
from typing import Any

from revox_mcp.journal.base import (
    COLUMNS,
    OBSERVATION_COLUMNS,
    OUTSIDE,
    OUTSIDE_ACTOR,
    UPDATE,
    Journal,
    JournalEntry,
    Observation,
    Status,
    call_row,
    dumps,
    entry,
    new_change_id,
    now,
    observation_row,
    short,
)

Row = tuple[Any, ...]
# Update rows: those written as such, and those written before kinds existed.
_IS_UPDATE = f"COALESCE(kind, '{UPDATE}') = '{UPDATE}'"
_IS_ACTION = f"COALESCE(kind, '{UPDATE}') <> '{UPDATE}'"


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
            "body, reason, reverts, before, actor, grace_s, secret_digests, kind, target_type, target_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                UPDATE,
                "assistant",
                assistant_id,
            ),
        )
        return change_id

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
        change_id, created_at = new_change_id(), now()
        await self._run(
            "INSERT INTO changes (change_id, scope, created_at, sent_at, assistant_id, status, fields, patch, edits, "
            "body, reason, reverts, before, actor, grace_s, kind, target_type, target_id, action) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                change_id,
                self.scope,
                created_at,
                created_at,
                assistant_id or "",
                "pending",
                json.dumps(fields),
                "{}",
                "[]",
                json.dumps(body),
                reason,
                reverts,
                json.dumps(before),
                actor,
                grace_s,
                kind,
                target_type,
                target_id,
                json.dumps(action),
            ),
        )
        return change_id

    async def finish(
        self,
        change_id: str,
        status: Status,
        after: dict[str, Any] | None = None,
        reason: str | None = None,
        target_id: str | None = None,
    ) -> None:
        await self._end(change_id, status, after, reason, target_id, only_pending=False)

    async def _end(
        self,
        change_id: str,
        status: Status,
        after: dict[str, Any] | None,
        reason: str | None,
        target_id: str | None,
        only_pending: bool,
    ) -> None:
        sets, params = "status = ?, after = ?, status_reason = ?", [status, dumps(after), short(reason)]
        if target_id is not None:
            # The target the API named (a create's new assistant): for an assistant, the one concerned too.
            sets += ", target_id = ?, assistant_id = CASE WHEN target_type = 'assistant' THEN ? ELSE assistant_id END"
            params += [target_id, target_id]
        also = " AND status = 'pending'" if only_pending else ""
        await self._run(f"UPDATE changes SET {sets} WHERE change_id = ?{also}", (*params, change_id))

    async def mark_sent(self, change_id: str) -> None:
        await self._run("UPDATE changes SET sent_at = ? WHERE change_id = ?", (now(), change_id))

    async def settle(
        self,
        change_id: str,
        status: Status,
        after: dict[str, Any] | None,
        reason: str,
        target_id: str | None = None,
    ) -> None:
        await self._end(change_id, status, after, reason, target_id, only_pending=True)

    async def pending(self, assistant_id: str | None = None) -> list[JournalEntry]:
        where, params = self._where(assistant_id, None, "status = 'pending'", _IS_UPDATE)
        rows = await self._fetch(f"SELECT {COLUMNS} FROM changes WHERE {where} ORDER BY seq", params)
        return [entry(row) for row in rows]

    async def pending_actions(self, target_type: str | None = None, target_id: str | None = None) -> list[JournalEntry]:
        clauses, params = ["scope = ?", "status = 'pending'", _IS_ACTION], [self.scope]
        for column, value in (("target_type", target_type), ("target_id", target_id)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        rows = await self._fetch(
            f"SELECT {COLUMNS} FROM changes WHERE {' AND '.join(clauses)} ORDER BY seq", tuple(params)
        )
        return [entry(row) for row in rows]

    async def of_target(self, target_type: str, target_id: str, limit: int = 50) -> list[JournalEntry]:
        # An update row of an assistant written before kinds existed has no target columns: its assistant is it.
        rows = await self._fetch(
            f"SELECT {COLUMNS} FROM changes WHERE scope = ? AND ((target_type = ? AND target_id = ?) OR "
            f"(? = 'assistant' AND target_type IS NULL AND assistant_id = ?)) ORDER BY seq DESC LIMIT ?",
            (self.scope, target_type, target_id, target_type, target_id, limit),
        )
        return [entry(row) for row in rows]

    async def pending_under_lock(self, assistant_id: str) -> list[JournalEntry]:
        # Scopes are "<lock scope> key:<hash>": rows of other keys on the same API share the lock's prefix.
        prefix = f"{self.lock_scope} key:"
        rows = await self._fetch(
            f"SELECT {COLUMNS} FROM changes WHERE (scope = ? OR substr(scope, 1, ?) = ?) AND assistant_id = ? "
            f"AND status = 'pending' AND {_IS_UPDATE} ORDER BY seq",
            (self.scope, len(prefix), prefix, assistant_id),
        )
        return [entry(row) for row in rows]

    async def revert_of(self, change: JournalEntry) -> JournalEntry | None:
        target_type, target_id = change.target_type, change.target_id or change.assistant_id
        rows = await self._fetch(
            f"SELECT {COLUMNS} FROM changes WHERE scope = ? AND ((target_type = ? AND target_id = ?) OR "
            "(? = 'assistant' AND target_type IS NULL AND assistant_id = ?)) AND reverts = ? "
            "AND status IN ('applied', 'pending') ORDER BY seq DESC LIMIT 1",
            (self.scope, target_type, target_id, target_type, target_id, change.change_id),
        )
        return entry(rows[0]) if rows else None

    async def get(self, change_id: str) -> JournalEntry | None:
        rows = await self._fetch(
            f"SELECT {COLUMNS} FROM changes WHERE scope = ? AND change_id = ?", (self.scope, change_id)
        )
        return entry(rows[0]) if rows else None

    async def page(
        self,
        assistant_id: str | None,
        page: int,
        page_size: int,
        actor: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> tuple[list[JournalEntry], int]:
        where, params = self._where(assistant_id, actor)
        # Times are stored in one text form (base.now), so text order is time order.
        for clause, value in (("created_at >= ?", since), ("created_at < ?", until)):
            if value is not None:
                where, params = f"{where} AND {clause}", (*params, value)
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

    async def last_observation(self, assistant_id: str) -> Observation | None:
        rows = await self._fetch(
            f"SELECT {OBSERVATION_COLUMNS} FROM observations WHERE scope = ? AND assistant_id = ? "
            "ORDER BY moment DESC, seq DESC LIMIT 1",
            (self.scope, assistant_id),
        )
        return observation_row(rows[0]) if rows else None

    async def observe(self, observation: Observation, outside: dict[str, Any] | None = None) -> None:
        # The change first: if the observation then fails, the next read finds the same change, under the same id.
        if outside is not None:
            await self._run(
                "INSERT INTO changes (change_id, scope, created_at, sent_at, assistant_id, status, fields, patch, "
                "edits, body, reason, before, after, status_reason, actor, kind, target_type, target_id, action) "
                "VALUES (?, ?, ?, ?, ?, 'applied', ?, '{}', '[]', '{}', NULL, ?, ?, ?, ?, ?, 'assistant', ?, ?) "
                "ON CONFLICT (change_id) DO NOTHING",
                (
                    outside["change_id"],
                    self.scope,
                    outside["created_at"],
                    outside["created_at"],
                    observation.assistant_id,
                    json.dumps(outside["fields"]),
                    json.dumps(outside["before"]),
                    json.dumps(outside["after"]),
                    short(outside.get("status_reason")),
                    OUTSIDE_ACTOR,
                    OUTSIDE,
                    observation.assistant_id,
                    json.dumps(outside["action"]),
                ),
            )
        o = observation
        await self._run(
            "INSERT INTO observations (scope, assistant_id, updated_at, moment, digest, fields, observed_values, "
            "observed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (scope, assistant_id, moment, digest) DO NOTHING",
            (self.scope, o.assistant_id, o.updated_at, o.moment, o.digest, json.dumps(o.fields), dumps(o.values),
             o.observed_at),
        )  # fmt: skip
        # Only the newest observation keeps values: what a diff of the next change needs, and no more.
        await self._run(
            "UPDATE observations SET observed_values = NULL WHERE scope = ? AND assistant_id = ? AND moment < ? "
            "AND observed_values IS NOT NULL",
            (self.scope, o.assistant_id, o.moment),
        )
