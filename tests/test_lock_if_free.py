"""A read that settles rows on its way (list_changes) takes an assistant's lock only if it is free: held by a
write in this process or another (a second journal on the same file, a second PostgreSQL journal), it is
told so at once instead of waiting (the fault hunt's list_changes-behind-a-waiting-write gap)."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from revox_mcp.journal import Journal
from revox_mcp.journal.postgres import PostgresJournal
from revox_mcp.journal.sqlite import SqliteJournal

pytestmark = pytest.mark.anyio


def two_journals(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> tuple[Journal, Journal]:
    if backend == "postgres":
        url = request.getfixturevalue("postgres_url")
        return PostgresJournal(url, "s"), PostgresJournal(url, "s")
    return SqliteJournal(tmp_path / "journal.db", "s"), SqliteJournal(tmp_path / "journal.db", "s")


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_a_held_lock_is_reported_busy_at_once_and_a_free_one_is_taken(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    writer, reader = two_journals(backend, tmp_path, request)
    await writer.open()
    await reader.open()
    try:
        async with writer.assistant_lock("asst_a"):
            with anyio.fail_after(5):  # waiting for the writer's lock would hang here for its 30 s
                async with reader.assistant_lock_if_free("asst_a") as free:
                    assert not free, "another process holds it"
                async with writer.assistant_lock_if_free("asst_a") as free:
                    assert not free, "this process holds it"
                async with reader.assistant_lock_if_free("asst_b") as free:
                    assert free, "another assistant's lock is free"
        async with reader.assistant_lock_if_free("asst_a") as free:
            assert free
            with anyio.fail_after(5):
                async with writer.assistant_lock_if_free("asst_a") as other:
                    assert not other, "the reader holds it now"
        async with writer.assistant_lock("asst_a"):  # released: a write takes it
            pass
    finally:
        await writer.aclose()
        await reader.aclose()
