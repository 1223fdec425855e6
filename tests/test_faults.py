"""Faults survived: transient ones within the retry budget with exactly one write, persistent ones as a
clear error with nothing half-applied, and an ambiguous timeout settled by re-reading."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp_types import CallToolResult

from revox_mcp.config import Settings
from revox_mcp.journal import Journal, SqliteJournal, open_journal
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.seed import SALES_QUALIFIER_ID
from tests.conftest import add_fault, fast_settings, mcp_client, requests_to, stored, text_of

pytestmark = pytest.mark.anyio
PATH = f"/assistants/{SALES_QUALIFIER_ID}"
PATCH = {"first_sentence": "Hello from a flaky network", "voice": {"speed": 1.1}}


async def update(settings: Settings) -> CallToolResult:
    async with mcp_client(settings) as client:
        return await client.call_tool("update_assistant", {"id": SALES_QUALIFIER_ID, "patch": PATCH})


def applied_writes(sandbox: SandboxServer) -> int:
    """PATCH requests the sandbox handled for real (not answered by a fault)."""
    return sum(1 for r in requests_to(sandbox, "PATCH") if r.status == 200)


TRANSIENT: list[tuple[str, dict[str, Any]]] = [
    ("429 with Retry-After", {"status": 429, "headers": {"Retry-After": "0"}, "times": 2}),
    ("503", {"status": 503, "times": 3}),
    ("502 then 504", {"status": 502, "times": 1}),
    ("connection reset", {"drop": True, "times": 2}),
]


@pytest.mark.parametrize(("case", "fault"), TRANSIENT, ids=[t[0] for t in TRANSIENT])
async def test_transient_faults_are_survived_with_exactly_one_write(
    sandbox: SandboxServer, settings: Settings, case: str, fault: dict[str, Any]
) -> None:
    add_fault(sandbox, method="PATCH", path=PATH, **fault)
    if case == "502 then 504":
        add_fault(sandbox, method="PATCH", path=PATH, status=504, times=1)
    result = await update(settings)
    assert not result.is_error, text_of(result)
    assert applied_writes(sandbox) == 1
    assert stored(sandbox, SALES_QUALIFIER_ID)["first_sentence"] == PATCH["first_sentence"]


@pytest.mark.parametrize(
    ("fault", "advice"),
    [
        ({"status": 503}, "answered the write with 503, 4 times, and a re-read shows the change did not land"),
        ({"status": 429}, "Wait a minute, then call again."),
        ({"drop": True}, "a re-read shows the change did not land: nothing changed. It is safe to call again."),
    ],
    ids=["503", "429", "reset"],
)
async def test_persistent_faults_are_a_clear_error_and_nothing_is_half_applied(
    sandbox: SandboxServer, settings: Settings, fault: dict[str, Any], advice: str
) -> None:
    before = stored(sandbox, SALES_QUALIFIER_ID)
    add_fault(sandbox, method="PATCH", path=PATH, times=-1, **fault)
    result = await update(settings)
    assert result.is_error
    assert advice in text_of(result)
    assert stored(sandbox, SALES_QUALIFIER_ID) == before
    assert len(requests_to(sandbox, "PATCH")) == settings.max_retries + 1


async def test_a_slow_write_that_landed_is_reported_as_landed(sandbox: SandboxServer) -> None:
    add_fault(sandbox, method="PATCH", path=PATH, apply=True, delay_s=1.0)
    result = await update(fast_settings(sandbox, read_timeout_s=0.3, max_retries=0))
    assert not result.is_error, text_of(result)
    assert "re-read shows the change landed" in text_of(result)
    assert {"path": "voice.speed", "before": 1.0, "after": 1.1} in result.structured_content["changes"]  # type: ignore[index]
    assert applied_writes(sandbox) == 1


async def test_a_dropped_answer_after_the_write_is_settled_by_re_reading(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    add_fault(sandbox, method="PATCH", path=PATH, apply=True, drop=True, times=-1)
    settings = fast_settings(sandbox, max_retries=0, journal_path=tmp_path / "j.db")
    result = await update(settings)
    assert not result.is_error and "landed" in text_of(result)
    async with mcp_client(settings) as client:
        rows = (await client.call_tool("list_changes", {})).structured_content["changes"]  # type: ignore[index]
    assert rows[0]["status"] == "applied"


async def test_a_slow_write_that_did_not_land_says_so(sandbox: SandboxServer, tmp_path: Path) -> None:
    add_fault(sandbox, method="PATCH", path=PATH, status=200, delay_s=1.0, times=-1)
    settings = fast_settings(sandbox, read_timeout_s=0.3, max_retries=0, journal_path=tmp_path / "j.db")
    result = await update(settings)
    assert result.is_error and "did not land: nothing changed" in text_of(result)
    async with mcp_client(settings) as client:
        rows = (await client.call_tool("list_changes", {})).structured_content["changes"]  # type: ignore[index]
    assert rows[0]["status"] == "failed"


def test_faults_can_be_set_from_the_sandbox_command(tmp_path: Path) -> None:
    fault = json.dumps({"method": "GET", "path": "/assistants", "status": 503, "times": -1})
    command = [sys.executable, "-m", "revox_mcp", "sandbox", "--port", "0", "--db", str(tmp_path / "s.db")]
    command += ["--key", "k", "--fault", fault]
    with subprocess.Popen(command, env=dict(os.environ), stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            url = process.stdout.readline().split()[3]
            assert httpx.get(f"{url}/assistants", headers={"Authorization": "Bearer k"}).status_code == 503
        finally:
            process.terminate()
            process.wait(timeout=10)


# --- the journal settles every row: failures say why, rows left pending are settled by re-reading ----


async def list_rows(settings: Settings) -> list[dict[str, Any]]:
    async with mcp_client(settings) as client:
        return (await client.call_tool("list_changes", {})).structured_content["changes"]  # type: ignore[index]


async def test_an_answer_without_the_assistant_settles_the_row_as_failed(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    add_fault(sandbox, method="PATCH", path=PATH, status=200, body={"ok": True}, times=-1)
    settings = fast_settings(sandbox, max_retries=0, journal_path=tmp_path / "j.db")
    result = await update(settings)
    assert result.is_error
    (row,) = await list_rows(settings)
    assert row["status"] == "failed", row
    assert "re-read shows it did not land" in row["status_reason"]


async def test_an_api_refusal_is_journalled_with_its_reason(sandbox: SandboxServer, journal_on: dict[str, Any]) -> None:
    add_fault(sandbox, method="PATCH", path=PATH, status=400, body={"message": "voice.speed is out of range"})
    settings = fast_settings(sandbox, **journal_on)
    assert (await update(settings)).is_error
    (row,) = await list_rows(settings)
    assert row["status"] == "failed" and "voice.speed is out of range" in row["status_reason"]


@pytest.mark.parametrize("landed", [True, False], ids=["landed", "did-not-land"])
async def test_a_row_left_pending_by_a_crash_is_settled_when_listed(
    sandbox: SandboxServer, journal_on: dict[str, Any], landed: bool
) -> None:
    settings = fast_settings(sandbox, write_grace_s=0.0, **journal_on)
    before = stored(sandbox, SALES_QUALIFIER_ID)
    journal = await open_journal(settings)
    change_id = await pending_row(journal, {"first_sentence": "Hello after a crash"}, before)
    await journal.aclose()
    if landed:
        sandbox.store.update(SALES_QUALIFIER_ID, {"first_sentence": "Hello after a crash"})
    (row,) = await list_rows(settings)
    assert row["change_id"] == change_id
    assert row["status"] == ("applied" if landed else "failed"), row
    assert "found pending" in row["status_reason"]
    if landed:
        async with mcp_client(settings) as client:
            revert = await client.call_tool("revert_change", {"change_id": change_id})
        assert not revert.is_error, text_of(revert)
        assert stored(sandbox, SALES_QUALIFIER_ID)["first_sentence"] == before["first_sentence"]


async def test_an_old_journal_file_gains_the_reason_column(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, change_id TEXT NOT NULL UNIQUE, scope TEXT "
        "NOT NULL, created_at TEXT NOT NULL, assistant_id TEXT NOT NULL, status TEXT NOT NULL, fields TEXT NOT NULL, "
        "patch TEXT NOT NULL, edits TEXT NOT NULL, body TEXT NOT NULL, reason TEXT, reverts TEXT, before TEXT NOT "
        "NULL, after TEXT);"
    )
    db.close()
    journal = SqliteJournal(path, "s")
    await journal.open()
    await journal.aclose()
    columns = [row[1] for row in sqlite3.connect(path).execute("PRAGMA table_info(changes)")]
    assert "status_reason" in columns


@pytest.mark.parametrize("landed", [True, False], ids=["landed", "did-not-land"])
async def test_a_server_killed_mid_write_leaves_a_row_that_is_settled_later(
    sandbox: SandboxServer, tmp_path: Path, landed: bool
) -> None:
    # The server process is killed (SIGKILL) while the PATCH waits for its answer; the write has landed
    # (the sandbox applies it, then stalls) or not (the sandbox stalls without applying it).
    add_fault(sandbox, method="PATCH", path=PATH, apply=landed, status=200, delay_s=3.0)
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVOX_")}
    env |= {"REVOX_API_KEY": sandbox.api_key, "REVOX_BASE_URL": sandbox.url, "XDG_STATE_HOME": str(tmp_path)}
    env["REVOX_MCP_WRITE_GRACE_S"] = "0.05"  # its row is decided by its own grace: long past when listed
    process = subprocess.Popen(
        [sys.executable, "-m", "revox_mcp", "serve"],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdin is not None and process.stdout is not None
    init = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": init},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "update_assistant", "arguments": {"id": SALES_QUALIFIER_ID, "patch": PATCH}},
        },
    ]
    process.stdin.write("".join(json.dumps(m) + "\n" for m in messages))
    process.stdin.flush()
    process.stdout.readline()  # the answer to initialize
    journal = tmp_path / "revox-mcp" / "journal.db"
    for _ in range(200):  # until the sandbox holds the PATCH (its answer is stalled)
        if any(r.method == "PATCH" for r in sandbox.app.state.sandbox.requests) or (
            journal.exists() and b"pending" in journal.read_bytes() + _wal(journal)
        ):
            break
        await anyio.sleep(0.05)
    await anyio.sleep(0.3)
    process.kill()
    process.wait(timeout=10)
    assert (stored(sandbox, SALES_QUALIFIER_ID)["first_sentence"] == PATCH["first_sentence"]) is landed
    (row,) = await list_rows(fast_settings(sandbox, journal_path=journal, write_grace_s=0.0))
    assert row["status"] == ("applied" if landed else "failed"), row
    assert "found pending" in row["status_reason"]


async def pending_row(journal: Journal, patch: dict[str, Any], before: dict[str, Any]) -> str:
    """What a server killed (kill -9) between its journal row and the PATCH's answer leaves behind."""
    return await journal.begin(
        assistant_id=SALES_QUALIFIER_ID, fields=sorted(patch), patch=patch, edits=[], body=patch, before=before,
        reason=None,
    )  # fmt: skip


def _wal(path: Path) -> bytes:
    wal = Path(f"{path}-wal")
    return wal.read_bytes() if wal.exists() else b""


async def test_a_row_left_pending_is_settled_before_the_next_run_writes(
    sandbox: SandboxServer, journal_on: dict[str, Any]
) -> None:
    settings = fast_settings(sandbox, write_grace_s=0.0, **journal_on)
    journal = await open_journal(settings)
    change_id = await pending_row(journal, {"name": "never sent"}, stored(sandbox, SALES_QUALIFIER_ID))
    async with mcp_client(settings) as client:
        other = await client.call_tool("update_assistant", {"id": "asst_dental_receptionist", "patch": {"name": "R"}})
        assert not other.is_error
    entry = await journal.get(change_id)
    await journal.aclose()
    assert entry is not None and entry.status == "failed" and "did not land" in (entry.status_reason or "")


async def test_a_persistent_5xx_is_journalled_by_what_a_re_read_shows(
    sandbox: SandboxServer, journal_on: dict[str, Any]
) -> None:
    # A 5xx does not say the write did not land (a proxy can fail after the API applied it): look.
    add_fault(sandbox, method="PATCH", path=PATH, status=503, times=-1)
    settings = fast_settings(sandbox, max_retries=1, **journal_on)
    assert (await update(settings)).is_error
    (row,) = await list_rows(settings)
    assert row["status"] == "failed" and "503" in row["status_reason"] and "did not land" in row["status_reason"]


async def test_a_row_left_pending_is_settled_when_the_server_starts(
    sandbox: SandboxServer, journal_on: dict[str, Any]
) -> None:
    settings = fast_settings(sandbox, **journal_on)
    journal = await open_journal(settings)
    name = stored(sandbox, SALES_QUALIFIER_ID)["name"]
    change_id = await pending_row(journal, {"name": name}, {})
    async with mcp_client(settings):
        entry = await journal.get(change_id)
    await journal.aclose()
    assert entry is not None and entry.status == "applied", "the assistant holds what was sent"


async def test_a_write_cancelled_after_it_left_is_settled_from_what_landed(
    sandbox: SandboxServer, journal_on: dict[str, Any]
) -> None:
    """Review finding: a client that gives up mid-write left the row pending, later settled wrongly."""
    from revox_mcp.catalog import Catalog
    from revox_mcp.client import RevoxClient
    from revox_mcp.policy import Policy
    from revox_mcp.tool_models import UpdateAssistantArgs
    from revox_mcp.writer import AssistantWriter

    add_fault(sandbox, method="PATCH", path=PATH, apply=True, delay_s=1.5)
    settings = fast_settings(sandbox, **journal_on)
    journal = await open_journal(settings)
    async with RevoxClient(settings) as client:
        writer = AssistantWriter(client, journal, Policy(), Catalog(client))
        with anyio.move_on_after(0.5):
            await writer.update(UpdateAssistantArgs(id=SALES_QUALIFIER_ID, patch={"name": "A"}))
        (entry,), _ = await journal.page(SALES_QUALIFIER_ID, 1, 1)
    await journal.aclose()
    assert stored(sandbox, SALES_QUALIFIER_ID)["name"] == "A"
    assert entry.status == "applied" and "cancelled" in (entry.status_reason or "")
