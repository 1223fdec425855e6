"""Several server processes on one SQLite journal file (as Claude Desktop and Cursor each spawn their own
`revox-mcp serve` on the default journal): writes to one assistant exclude each other across processes,
through a lock file per assistant that the kernel releases whatever ends its holder."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from contextlib import AsyncExitStack
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters

from revox_mcp.config import API_KEY_ENV, BASE_URL_ENV, Settings
from revox_mcp.journal import SqliteJournal
from revox_mcp.journal.base import JournalUnavailable, lock_wait_refused
from revox_mcp.journal.file_lock import LockFiles, file_lock, lock_folder, lock_path
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.seed import RECEPTIONIST_ID
from tests.conftest import add_fault, requests_to, stored, text_of

pytestmark = pytest.mark.anyio

SERVERS = 4
ITEMS_PER_SERVER = 10


def _server(sandbox: SandboxServer, journal: Path, *marker: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "revox_mcp", "serve", "--journal", str(journal), *marker],
        env={API_KEY_ENV: sandbox.api_key, BASE_URL_ENV: sandbox.url, "PATH": os.environ.get("PATH", "")},
    )


async def _add_items(client: Client, server: int, errors: list[str]) -> None:
    async def add(i: int) -> None:
        item = {"question": f"Server {server} question {i}?", "answer": f"Answer {i}."}
        edits = [{"op": "upsert", "list": "faq_items", "item": item}]
        result = await client.call_tool("update_assistant", {"id": RECEPTIONIST_ID, "edits": edits})
        if result.is_error:
            errors.append(text_of(result))

    # Every call of this server at once too: its own lock orders them, the file lock orders the servers.
    async with anyio.create_task_group() as tasks:
        for i in range(ITEMS_PER_SERVER):
            tasks.start_soon(add, i)


async def test_servers_sharing_one_journal_file_lose_no_item(sandbox: SandboxServer, tmp_path: Path) -> None:
    """Without a lock across processes, one server's read-modify-write of faq_items overwrites another's."""
    journal_file = tmp_path / "journal.db"
    before = {item["question"] for item in stored(sandbox, RECEPTIONIST_ID)["faq_items"]}
    errors: list[str] = []
    with anyio.fail_after(120):  # a hang guard only: the run takes a few seconds
        async with AsyncExitStack() as stack:
            clients = [await stack.enter_async_context(Client(_server(sandbox, journal_file))) for _ in range(SERVERS)]
            async with anyio.create_task_group() as tasks:
                for number, client in enumerate(clients):
                    tasks.start_soon(_add_items, client, number, errors)
    assert errors == []
    questions = {item["question"] for item in stored(sandbox, RECEPTIONIST_ID)["faq_items"]}
    expected = {f"Server {s} question {i}?" for s in range(SERVERS) for i in range(ITEMS_PER_SERVER)}
    assert sorted(expected - questions) == [], "items lost"
    assert before <= questions
    journal = SqliteJournal(journal_file, Settings(api_key=sandbox.api_key, base_url=sandbox.url).scope)
    await journal.open()
    try:
        entries, total = await journal.page(RECEPTIONIST_ID, 1, 100)
    finally:
        await journal.aclose()
    assert total == SERVERS * ITEMS_PER_SERVER and {e.status for e in entries} == {"applied"}


async def test_two_journals_on_one_file_exclude_each_other_per_assistant(tmp_path: Path) -> None:
    first, second = SqliteJournal(tmp_path / "j.db", "s"), SqliteJournal(tmp_path / "j.db", "s")
    order: list[str] = []

    async def write(journal: SqliteJournal, name: str, assistant_id: str, delay: float) -> None:
        await anyio.sleep(delay)
        async with journal.assistant_lock(assistant_id):
            order.append(f"{name} in")
            await anyio.sleep(0.3)
            order.append(f"{name} out")

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(write, first, "a", "asst_1", 0)
        tasks.start_soon(write, second, "b", "asst_1", 0.1)  # another journal on the file: waits for a
        tasks.start_soon(write, second, "c", "asst_2", 0.1)  # another assistant: does not wait
    assert order.index("a out") < order.index("b in")
    assert order.index("c in") < order.index("a out")
    folder = lock_folder(tmp_path / "j.db")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()} == {0o600} and len(list(folder.iterdir())) == 2


async def test_a_lock_held_too_long_is_refused_with_the_replicas_message(tmp_path: Path) -> None:
    path = lock_path(tmp_path / "j.db", "scope", "asst_1")
    async with file_lock(path, "asst_1"):
        with pytest.raises(JournalUnavailable) as refused:
            async with file_lock(path, "asst_1", timeout_s=0.2):
                pytest.fail("took a lock another holder has")
    assert str(refused.value) == str(lock_wait_refused("asst_1"))
    assert "asst_1 for over 30 s" in str(refused.value) and "Nothing was changed" in str(refused.value)
    async with file_lock(path, "asst_1", timeout_s=0.2):
        pass  # released when its holder's block ended


async def test_lock_files_kept_open_are_unlocked_and_still_exclude(tmp_path: Path) -> None:
    mine, other = LockFiles(tmp_path / "locks", keep=1), LockFiles(tmp_path / "locks")
    for name in ("a", "b", "a"):  # 'a' kept open, 'b' closed (one kept at most), 'a' reused
        async with mine.hold(name, f"asst_{name}"):
            with pytest.raises(JournalUnavailable):
                async with other.hold(name, f"asst_{name}", timeout_s=0.05):
                    pytest.fail("two holders at once")
    for name in ("a", "b"):  # nothing is left locked by the descriptors kept open
        async with other.hold(name, f"asst_{name}", timeout_s=0.2):
            pass
    with pytest.raises(RuntimeError):
        async with mine.hold("a", "asst_a"):
            raise RuntimeError("the write failed")
    async with other.hold("a", "asst_a", timeout_s=0.2):
        pass  # released after a failed write too
    mine.close()
    other.close()


HOLDER = """
import sys, anyio
from pathlib import Path
from revox_mcp.journal.file_lock import file_lock

async def main():
    async with file_lock(Path(sys.argv[1]), "asst_1"):
        print("held", flush=True)
        await anyio.sleep(600)

anyio.run(main)
"""


async def test_a_holder_killed_with_sigkill_leaves_no_lock_behind(tmp_path: Path) -> None:
    path = lock_path(tmp_path / "j.db", "scope", "asst_1")
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with pytest.raises(JournalUnavailable):
            async with file_lock(path, "asst_1", timeout_s=0.2):
                pytest.fail("took a lock a live process holds")
        holder.kill()  # SIGKILL: no finally block runs in the holder
        holder.wait(timeout=10)
        with anyio.fail_after(10):
            async with file_lock(path, "asst_1", timeout_s=5):
                pass
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(timeout=10)


def _child_with(marker: str) -> int:
    """The pid of this test's child process whose command line holds `marker`."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                command = (entry / "cmdline").read_bytes().split(b"\0")
            except (OSError, IndexError, ValueError):
                continue
            if ppid == os.getpid() and marker.encode() in command:
                return int(entry.name)
    raise AssertionError(f"no child process with {marker}")


async def _gets(sandbox: SandboxServer, count: int) -> None:
    """Until the sandbox has seen `count` reads of the receptionist (each logged on arrival)."""
    while len([r for r in requests_to(sandbox, "GET") if r.path.endswith(RECEPTIONIST_ID)]) < count:
        await anyio.sleep(0.01)


def _upsert(question: str) -> dict[str, object]:
    item = {"question": question, "answer": "An answer."}
    return {"id": RECEPTIONIST_ID, "edits": [{"op": "upsert", "list": "faq_items", "item": item}]}


async def test_a_server_killed_holding_the_lock_frees_it_for_the_next_server(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    """Server A holds the receptionist's lock (its read is held up by the sandbox) and is killed with
    SIGKILL; server B, waiting on the same journal file, goes on at once (not after the 30 s cap), and A
    restarted finds nothing left to settle."""
    journal_file, marker = tmp_path / "journal.db", "61.5"
    outcomes: dict[str, str] = {}

    async def call(client: Client, name: str, question: str) -> None:
        try:
            result = await client.call_tool("update_assistant", _upsert(question))
            outcomes[name] = "error: " + text_of(result) if result.is_error else "ok"
        except Exception as exc:  # A's connection ends when it is killed
            outcomes[name] = f"gone: {type(exc).__name__}"

    with anyio.fail_after(60):
        async with (
            Client(_server(sandbox, journal_file, "--catalog-ttl", marker)) as first,
            Client(_server(sandbox, journal_file)) as second,
            anyio.create_task_group() as tasks,
        ):
            add_fault(sandbox, method="GET", path=f"*/assistants/{RECEPTIONIST_ID}", delay_s=10)
            tasks.start_soon(call, first, "A", "From A?")
            await _gets(sandbox, 1)  # A holds the lock, reading
            tasks.start_soon(call, second, "B", "From B?")
            await anyio.sleep(0.5)  # B has had time to read, were it not waiting for A's lock
            assert "B" not in outcomes and len([r for r in requests_to(sandbox, "GET")]) == 1
            os.kill(_child_with(marker), signal.SIGKILL)
            with anyio.fail_after(15):  # far below the 30 s a lock left held would cost
                while "B" not in outcomes:
                    await anyio.sleep(0.01)
            tasks.cancel_scope.cancel()
        async with Client(_server(sandbox, journal_file)) as restarted:
            again = await restarted.call_tool("update_assistant", _upsert("From A again?"))
            listed = (await restarted.call_tool("list_changes", {"assistant_id": RECEPTIONIST_ID})).structured_content
    assert outcomes["B"] == "ok" and not again.is_error
    questions = {item["question"] for item in stored(sandbox, RECEPTIONIST_ID)["faq_items"]}
    assert {"From B?", "From A again?"} <= questions and "From A?" not in questions
    assert listed is not None and [c["status"] for c in listed["changes"]] == ["applied", "applied"]
