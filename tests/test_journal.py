"""The journal's one interface on both backends (SQLite, PostgreSQL), the write lock across replicas that
PostgreSQL adds, its schema version, and a journal that never blocks the event loop."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import psycopg
import pytest

from revox_mcp.catalog import Catalog
from revox_mcp.client import RevoxClient
from revox_mcp.config import Settings
from revox_mcp.errors import ConfigError
from revox_mcp.journal import Journal, NullJournal, SqliteJournal, open_journal
from revox_mcp.journal.postgres import SCHEMA_VERSION, PostgresJournal, check, lock_key, shown_url
from revox_mcp.policy import Policy
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.seed import RECEPTIONIST_ID, SALES_QUALIFIER_ID
from revox_mcp.tool_models import UpdateAssistantArgs
from revox_mcp.writer import AssistantWriter
from tests.conftest import fast_settings, stored

pytestmark = pytest.mark.anyio


@pytest.fixture
async def journal(journal_on: dict[str, Any]) -> AsyncIterator[Journal]:
    opened = await open_journal(Settings(journal_scope="scope-a", **journal_on))
    yield opened
    await opened.aclose()


async def row(journal: Journal, assistant_id: str = "asst_1", actor: str | None = None, **extra: Any) -> str:
    return await journal.begin(
        assistant_id=assistant_id, fields=["name"], patch={"name": "N"}, edits=[], body={"name": "N"},
        before={"name": "O", "updated_at": "2026-01-01T00:00:00Z"}, reason="why", actor=actor, **extra,
    )  # fmt: skip


async def test_a_row_goes_from_pending_to_applied_or_failed(journal: Journal) -> None:
    applied, failed, left = await row(journal), await row(journal), await row(journal, "asst_2")
    assert [e.change_id for e in await journal.pending()] == [applied, failed, left]
    await journal.finish(applied, "applied", {"name": "N"})
    await journal.finish(failed, "failed", reason="ApiRejected: " + "x" * 600)
    assert [e.change_id for e in await journal.pending("asst_2")] == [left]
    entry = await journal.get(applied)
    assert entry is not None and entry.status == "applied" and entry.after == {"name": "N"}
    assert entry.before == {"name": "O", "updated_at": "2026-01-01T00:00:00Z"} and entry.reason == "why"
    refused = await journal.get(failed)
    assert refused is not None and refused.status == "failed" and len(refused.status_reason or "") == 500
    assert await journal.get("chg_nope") is None


async def test_settling_never_overrides_the_writers_own_word(journal: Journal) -> None:
    finished, left = await row(journal), await row(journal)
    await journal.finish(finished, "failed", reason="refused")
    for change_id in (finished, left):
        await journal.settle(change_id, "applied", {"name": "N"}, "found pending; a re-read shows it landed")
    assert [(e.status, e.status_reason) for e in (await journal.page(None, 1, 10))[0]] == [
        ("applied", "found pending; a re-read shows it landed"),
        ("failed", "refused"),
    ]


async def test_pages_newest_first_filtered_by_assistant_and_actor(journal: Journal) -> None:
    ids = [await row(journal, f"asst_{i % 2}", actor="alice" if i < 3 else "bob") for i in range(5)]
    first, total = await journal.page(None, 1, 2)
    second, _ = await journal.page(None, 2, 2)
    assert total == 5 and [e.change_id for e in first + second] == ids[::-1][:4]
    of_one, total = await journal.page("asst_0", 1, 10)
    assert total == 3 and [e.change_id for e in of_one] == [ids[4], ids[2], ids[0]]
    bobs, total = await journal.page(None, 1, 10, actor="bob")
    assert total == 2 and {e.actor for e in bobs} == {"bob"}
    assert (await journal.page("asst_1", 1, 10, actor="alice"))[1] == 1


async def test_rows_of_another_scope_are_not_seen(journal: Journal, journal_on: dict[str, Any]) -> None:
    mine = await row(journal)
    await journal.record_test_call(
        assistant_id="asst_1", phone_number="+14155550100", call_id="call_1", candidate={}, reason=None
    )
    other = await open_journal(Settings(journal_scope="scope-b", **journal_on))
    try:
        assert await other.get(mine) is None and await other.page(None, 1, 10) == ([], 0)
        assert await other.pending() == [] and await other.test_calls("asst_1") == []
    finally:
        await other.aclose()


async def test_test_calls_are_kept_with_who_placed_them(journal: Journal) -> None:
    for number in ("+14155550100", "+14155550101"):
        await journal.record_test_call(
            assistant_id="asst_1", phone_number=number, call_id=f"call_{number[-1]}",
            candidate={"patch": {"voice": {"speed": 0.9}}}, reason="hear it", actor="alice",
        )  # fmt: skip
    newest, oldest = await journal.test_calls("asst_1")
    assert (newest["phone_number"], newest["call_id"], newest["actor"]) == ("+14155550101", "call_1", "alice")
    assert oldest["candidate"] == {"patch": {"voice": {"speed": 0.9}}} and await journal.test_calls("asst_2") == []


async def test_no_journal_records_nothing_and_still_serializes_writes() -> None:
    journal = NullJournal()
    assert await row(journal) == "" and await journal.get("chg_x") is None and await journal.page(None, 1, 5) == ([], 0)
    order: list[str] = []

    async def write(name: str) -> None:
        async with journal.assistant_lock("asst_1"):
            order.append(f"{name} in")
            await anyio.sleep(0.05)
            order.append(f"{name} out")

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(write, "a")
        tasks.start_soon(write, "b")
    assert order in (["a in", "a out", "b in", "b out"], ["b in", "b out", "a in", "a out"])


async def test_the_sqlite_journal_never_blocks_the_event_loop(tmp_path: Any) -> None:
    """A worker thread holding the connection (a large page being read) must not stall other tasks."""
    journal = SqliteJournal(tmp_path / "j.db", "s")
    await journal.open()
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await anyio.sleep(0.01)
            ticks += 1

    held = threading.Event()

    def hold_connection() -> None:
        with journal._lock:  # what a long read on a worker thread does
            held.set()
            time.sleep(0.5)

    threading.Thread(target=hold_connection).start()
    held.wait()
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(tick)
        await row(journal)  # a write: before, it took the lock on the event loop
        await journal.get("chg_x")
        tasks.cancel_scope.cancel()
    await journal.aclose()
    assert ticks >= 20, f"the loop ran only {ticks} times in 0.5 s"


# --- PostgreSQL only ---------------------------------------------------------------------------------


async def test_the_tables_are_created_once_with_their_schema_version(postgres_url: str) -> None:
    await check(postgres_url)
    await check(postgres_url)  # a second replica starting: nothing to do
    with psycopg.connect(postgres_url) as conn:
        versions = conn.execute("SELECT version FROM schema_version ORDER BY version").fetchall()
        tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert [v for (v,) in versions] == list(range(1, SCHEMA_VERSION + 1))
    assert {"changes", "test_calls", "schema_version"} <= tables


async def test_a_database_from_a_newer_release_is_refused_at_start(postgres_url: str) -> None:
    await check(postgres_url)
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (SCHEMA_VERSION + 1,))
    with pytest.raises(ConfigError, match=f"schema version {SCHEMA_VERSION + 1}, newer"):
        await check(postgres_url)


async def test_an_unreachable_journal_is_one_line_without_its_password() -> None:
    url = "postgresql://revox:hunter2-secret@127.0.0.1:1/journal"
    with pytest.raises(ConfigError) as raised:
        await check(url)
    message = str(raised.value)
    assert "hunter2" not in message and "\n" not in message and "127.0.0.1" in message
    assert "hunter2" not in shown_url(url) and "hunter2" not in repr(PostgresJournal(url, "s"))
    assert "hunter2" not in repr(Settings(journal_url=url))


def test_the_lock_key_is_stable_across_processes_and_scoped() -> None:
    # A fixed value: Python's hash() would differ between replicas (and runs).
    assert lock_key("https://api.example key:abc", "asst_1") == lock_key("https://api.example key:abc", "asst_1")
    assert lock_key("scope", "asst_1") == -1924263887261415031
    assert lock_key("scope", "asst_1") != lock_key("other", "asst_1") != lock_key("scope", "asst_2")


async def test_the_write_lock_holds_across_replicas(postgres_url: str) -> None:
    first, second = PostgresJournal(postgres_url, "s"), PostgresJournal(postgres_url, "s")
    await first.open()
    await second.open()
    order: list[str] = []

    async def write(journal: Journal, name: str, assistant_id: str, delay: float) -> None:
        await anyio.sleep(delay)
        async with journal.assistant_lock(assistant_id):
            order.append(f"{name} in")
            await anyio.sleep(0.3)
            order.append(f"{name} out")

    try:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(write, first, "a", "asst_1", 0)
            tasks.start_soon(write, second, "b", "asst_1", 0.1)  # waits for a, in another "process"
            tasks.start_soon(write, second, "c", "asst_2", 0.1)  # another assistant: does not wait
    finally:
        await first.aclose()
        await second.aclose()
    assert order.index("a out") < order.index("b in")
    assert order.index("c in") < order.index("a out")


async def test_two_replicas_sharing_a_journal_lose_no_concurrent_edit(
    sandbox: SandboxServer, postgres_url: str
) -> None:
    """Two servers (each its own client, journal pool and in-process locks) add FAQ items to one assistant
    at once. Without the shared lock, a read-modify-write of one overwrites the other's item."""
    settings = fast_settings(sandbox, journal_url=postgres_url)
    before = len(stored(sandbox, RECEPTIONIST_ID)["faq_items"])
    per_replica = 12

    async def replica(name: str) -> None:
        journal = await open_journal(settings)
        try:
            async with RevoxClient(settings) as client:
                writer = AssistantWriter(client, journal, Policy(), Catalog(client))

                async def add(i: int) -> None:
                    item = {"question": f"{name} question {i}?", "answer": f"Answer {i}."}
                    edits = [{"op": "upsert", "list": "faq_items", "item": item}]
                    await writer.update(UpdateAssistantArgs(id=RECEPTIONIST_ID, edits=edits), actor=name)  # type: ignore[arg-type]

                async with anyio.create_task_group() as tasks:
                    for i in range(per_replica):
                        tasks.start_soon(add, i)
        finally:
            # An open pool keeps the event loop from closing: a failure here must not hang the suite.
            await journal.aclose()

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(replica, "one")
        tasks.start_soon(replica, "two")
    questions = [item["question"] for item in stored(sandbox, RECEPTIONIST_ID)["faq_items"]]
    assert len(questions) == before + 2 * per_replica, "an item was lost"
    journal = await open_journal(settings)
    entries, total = await journal.page(RECEPTIONIST_ID, 1, 100)
    await journal.aclose()
    assert total == 2 * per_replica and {e.status for e in entries} == {"applied"}
    assert {e.actor for e in entries} == {"one", "two"}


async def test_a_server_on_postgres_lists_and_reverts_what_another_wrote(
    sandbox: SandboxServer, postgres_url: str
) -> None:
    from tests.conftest import mcp_client

    settings = fast_settings(sandbox, journal_url=postgres_url)
    async with mcp_client(settings) as one:
        written = await one.call_tool("update_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"name": "From one"}})
    async with mcp_client(settings) as two:
        listed = (await two.call_tool("list_changes", {})).structured_content
        reverted = await two.call_tool("revert_change", {"change_id": written.structured_content["change_id"]})  # type: ignore[index]
    assert listed["total"] == 1 and listed["changes"][0]["fields"] == ["name"]  # type: ignore[index]
    assert not reverted.is_error and stored(sandbox, SALES_QUALIFIER_ID)["name"] != "From one"


def test_serve_stops_at_start_on_an_unreachable_journal(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from revox_mcp.cli import main

    url = "postgresql://revox:hunter2-secret@127.0.0.1:1/journal"
    assert main(["serve", "--sandbox", "--sandbox-db", str(tmp_path / "s.db"), "--journal", url]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("revox-mcp: cannot open the journal at postgresql://…@127.0.0.1:1/")
    assert "hunter2" not in err[0]


def test_a_journal_url_that_is_not_postgresql_is_one_line(
    tmp_path: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from revox_mcp.cli import main

    monkeypatch.setenv("REVOX_MCP_JOURNAL_URL", str(tmp_path / "journal.db"))
    assert main(["serve", "--sandbox", "--sandbox-db", str(tmp_path / "s.db")]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "REVOX_MCP_JOURNAL_URL is not a postgresql:// URL" in line


def test_serve_over_http_journals_to_the_url_in_its_environment(
    sandbox: SandboxServer, postgres_url: str, tmp_path: Path
) -> None:
    """The command as an operator runs it: the URL from REVOX_MCP_JOURNAL_URL, a person's token, a write."""
    import os
    import subprocess
    import sys

    from bench.load import connect

    token = "alice-token-0123456789abcdef0123456789"
    tokens = f"alice {token}\n"
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVOX")}
    env |= {"REVOX_API_KEY": sandbox.api_key, "REVOX_BASE_URL": sandbox.url, "REVOX_MCP_JOURNAL_URL": postgres_url}
    (tmp_path / "tokens").write_text(tokens)
    (tmp_path / "tokens").chmod(0o600)
    command = [sys.executable, "-m", "revox_mcp", "serve", "--http", "--stateless", "--port", "0"]
    server = subprocess.Popen(
        [*command, "--tokens", str(tmp_path / "tokens")], env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        assert server.stderr is not None
        started = [server.stderr.readline() for _ in range(2)]
        url = started[1].rsplit(" ", 1)[1].strip()

        async def write_and_list() -> dict[str, Any]:
            async with connect(url, token) as client:
                await client.call_tool("update_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"name": "Env"}})
                return (await client.call_tool("list_changes", {})).structured_content  # type: ignore[return-value]

        listed = anyio.run(write_and_list)
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert started[0].startswith("revox-mcp: change journal on PostgreSQL at postgresql://…@127.0.0.1:")
    assert [(r["actor"], r["fields"]) for r in listed["changes"]] == [("alice", ["name"])]
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT actor FROM changes").fetchall() == [("alice",)]


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ("host=db.internal dbname=revox user=revox password=hunter2-secret", "'key=value' connection string"),
        ("postgresql+psycopg://revox:hunter2-secret@db.internal/revox", "postgresql+psycopg:// URL"),
        ("mysql://revox:hunter2-secret@db.internal/revox", "mysql:// URL"),
    ],
)
@pytest.mark.parametrize("how", ["flag", "env"])
def test_a_journal_that_is_neither_postgresql_nor_a_file_is_refused_without_its_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, given: str, said: str, how: str
) -> None:
    from revox_mcp.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("REVOX_MCP_JOURNAL_URL", raising=False)
    flag = ["--journal", given] if how == "flag" else []
    if how == "env":
        monkeypatch.setenv("REVOX_MCP_JOURNAL_URL", given)
    assert main(["serve", "--sandbox", "--sandbox-db", str(tmp_path / "s.db"), *flag]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert said in line and "hunter2" not in line
    assert list(tmp_path.iterdir()) == [], "a SQLite file was made of it"


def test_a_postgresql_url_in_capitals_is_postgresql(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from revox_mcp.cli import main

    url = "POSTGRESQL://revox:hunter2-secret@127.0.0.1:1/journal"
    assert main(["serve", "--sandbox", "--sandbox-db", str(tmp_path / "s.db"), "--journal", url]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert (
        line.startswith("revox-mcp: cannot open the journal at postgresql://…@127.0.0.1:1/") and "hunter2" not in line
    )


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://revox:hunter2/secret@db.internal/revox",
        "postgresql://revox:hunter2%secret@db.internal/revox",
        "postgresql://revox:hunter2@secret@db.internal/revox",
        "postgresql://revox@db.internal/revox?password=hunter2-secret-long",
    ],
)
def test_a_password_badly_encoded_or_in_the_query_is_never_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], url: str
) -> None:
    from revox_mcp.cli import main

    assert "hunter2" not in shown_url(url) and "secret" not in shown_url(url)
    assert main(["serve", "--sandbox", "--sandbox-db", str(tmp_path / "s.db"), "--journal", url]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "hunter2" not in line and "secret" not in line and line.startswith("revox-mcp: cannot open the journal")
