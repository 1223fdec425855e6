"""Journal times to the microsecond on both backends, the migration of rows stored to the second (text
order is time order after it, old rows read back), and `sent_at` / `mark_sent` for a write sent again."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from revox_mcp.config import Settings
from revox_mcp.journal import Journal, NullJournal, SqliteJournal, open_journal
from revox_mcp.journal.postgres import MIGRATIONS, SCHEMA_VERSION, PostgresJournal

pytestmark = pytest.mark.anyio

MICROSECONDS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


@pytest.fixture
async def journal(journal_on: dict[str, Any]) -> AsyncIterator[Journal]:
    opened = await open_journal(Settings(journal_scope="s", **journal_on))
    yield opened
    await opened.aclose()


async def begin(journal: Journal, assistant_id: str = "asst_1") -> str:
    return await journal.begin(
        assistant_id=assistant_id, fields=["name"], patch={"name": "N"}, edits=[], body={"name": "N"},
        before={"name": "O"}, reason=None,
    )  # fmt: skip


async def test_rows_are_stamped_to_the_microsecond_and_sent_when_begun(journal: Journal) -> None:
    ids = [await begin(journal) for _ in range(4)]  # well within one second
    entries = [e for e in [await journal.get(i) for i in ids] if e is not None]
    times = [e.created_at for e in entries]
    assert all(MICROSECONDS.match(t) for t in times), times
    assert times == sorted(times) and len(set(times)) == 4, "text order is time order, and each is distinct"
    assert [e.sent_at for e in entries] == times
    await journal.record_test_call(assistant_id="asst_1", phone_number="+1", call_id="c", candidate={}, reason=None)
    assert MICROSECONDS.match((await journal.test_calls("asst_1"))[0]["created_at"])


async def test_a_write_sent_again_moves_sent_at_only(journal: Journal) -> None:
    change_id, other = await begin(journal), await begin(journal)
    first = await journal.get(change_id)
    await journal.mark_sent(change_id)
    again, untouched = await journal.get(change_id), await journal.get(other)
    assert first is not None and again is not None and untouched is not None
    assert again.created_at == first.created_at and again.status == "pending"
    assert again.sent_at is not None and first.sent_at is not None and again.sent_at > first.sent_at
    assert MICROSECONDS.match(again.sent_at) and untouched.sent_at == untouched.created_at


async def test_no_journal_marks_nothing() -> None:
    journal = NullJournal()
    await journal.mark_sent("")
    assert await journal.get("") is None


# The tables as the release before microseconds created them (status_reason and actor added later).
OLD_SQLITE = """
CREATE TABLE changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, change_id TEXT NOT NULL UNIQUE, scope TEXT NOT NULL,
    created_at TEXT NOT NULL, assistant_id TEXT NOT NULL, status TEXT NOT NULL, fields TEXT NOT NULL,
    patch TEXT NOT NULL, edits TEXT NOT NULL, body TEXT NOT NULL, reason TEXT, reverts TEXT,
    before TEXT NOT NULL, after TEXT, status_reason TEXT, actor TEXT
);
CREATE INDEX changes_by_assistant ON changes (scope, assistant_id, seq);
CREATE TABLE test_calls (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, scope TEXT NOT NULL, created_at TEXT NOT NULL,
    assistant_id TEXT NOT NULL, phone_number TEXT NOT NULL, call_id TEXT, candidate TEXT NOT NULL,
    reason TEXT, actor TEXT
);
"""
OLD_ROW = (
    "INSERT INTO changes (change_id, scope, created_at, assistant_id, status, fields, patch, edits, body, reason, "
    "reverts, before, after, status_reason, actor) VALUES (?, 's', ?, 'asst_1', 'applied', '[\"name\"]', "
    '\'{"name": "N"}\', \'[]\', \'{"name": "N"}\', \'old\', NULL, \'{"name": "O"}\', \'{"name": "N"}\', '
    "NULL, 'alice')"
)
OLD_TEST_CALL = (
    "INSERT INTO test_calls (scope, created_at, assistant_id, phone_number, call_id, candidate, reason, actor) "
    "VALUES ('s', '2026-01-01T10:00:05Z', 'asst_1', '+1', 'call_1', '{}', NULL, 'alice')"
)
OLD_TIMES = {"chg_old_1": "2026-01-01T10:00:05Z", "chg_old_2": "2026-01-01T10:00:05Z", "chg_odd": "yesterday"}


async def _reopened(journal: Journal, path: Path | None = None) -> dict[str, Any]:
    """What a journal holds, as a new server reads it after opening (and migrating) the file."""
    await journal.open()
    try:
        entries = [e for e in [await journal.get(i) for i in OLD_TIMES] if e is not None]
        new = await begin(journal)
        latest, _ = await journal.page("asst_1", 1, 10)
        calls = await journal.test_calls("asst_1")
    finally:
        await journal.aclose()
    return {"entries": entries, "new": new, "latest": latest, "calls": calls}


def _check_migrated(found: dict[str, Any]) -> None:
    entries = found["entries"]
    assert [e.created_at for e in entries] == ["2026-01-01T10:00:05.000000Z"] * 2 + ["yesterday"]
    assert [e.sent_at for e in entries] == [None] * 3, "an old row has no send time: created_at stands for it"
    assert {(e.status, e.actor, e.reason) for e in entries} == {("applied", "alice", "old")}
    assert entries[0].after == {"name": "N"} and entries[0].before == {"name": "O"}
    # Rows written before kinds existed are updates of their assistant (actions.py's rows have a kind).
    assert {(e.kind, e.target_type, e.target_id == e.assistant_id, e.action) for e in entries} == {
        ("update", "assistant", True, None)
    }
    latest = found["latest"]
    assert latest[0].change_id == found["new"] and latest[0].created_at > entries[0].created_at
    assert found["calls"][0]["created_at"] == "2026-01-01T10:00:05.000000Z"


async def test_a_sqlite_file_of_the_previous_schema_opens_migrates_and_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.executescript(OLD_SQLITE)
        db.executemany(OLD_ROW, list(OLD_TIMES.items()))
        db.execute(OLD_TEST_CALL)
    db.close()
    _check_migrated(await _reopened(SqliteJournal(path, "s")))
    again = await _reopened(SqliteJournal(path, "s"))  # a second start: nothing left to migrate
    assert [e.created_at for e in again["entries"]] == ["2026-01-01T10:00:05.000000Z"] * 2 + ["yesterday"]
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (1,)
        times = [t for (t,) in db.execute("SELECT created_at FROM changes WHERE change_id LIKE 'chg_old%'")]
    db.close()
    assert times == ["2026-01-01T10:00:05.000000Z"] * 2


async def test_a_postgres_journal_of_the_previous_schema_migrates_and_reads_back(postgres_url: str) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        conn.execute("INSERT INTO schema_version (version) VALUES (1)")
        conn.execute(MIGRATIONS[0])
        for change_id, created_at in OLD_TIMES.items():
            conn.execute(OLD_ROW.replace("?", "%s"), (change_id, created_at))
        conn.execute(OLD_TEST_CALL)
    _check_migrated(await _reopened(PostgresJournal(postgres_url, "s")))
    with psycopg.connect(postgres_url) as conn:
        versions = [v for (v,) in conn.execute("SELECT version FROM schema_version ORDER BY version")]
    assert versions == list(range(1, SCHEMA_VERSION + 1)) and SCHEMA_VERSION == 6
