"""Changes made outside revox-mcp (straight on the sandbox: its store, or a PATCH to its HTTP API) become part of
the history at the next read: list_changes lists them beside the server's own, change_impact measures them by id,
and servers sharing one journal record each once."""

from __future__ import annotations

import os
import sqlite3
import sys
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client, StdioServerParameters

from revox_mcp.actors import local_actor
from revox_mcp.config import API_KEY_ENV, BASE_URL_ENV
from revox_mcp.journal.base import OUTSIDE_ACTOR
from revox_mcp.observations import VALUES_CAP, journal_time
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.seed import RECEPTIONIST_ID, REMINDER_ID, SALES_QUALIFIER_ID
from tests.conftest import fast_settings, mcp_client, stored, text_of

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(120)]


async def _call(client: Client, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, text_of(result)
    assert result.structured_content is not None
    return result.structured_content


async def _changes(client: Client, **arguments: Any) -> list[dict[str, Any]]:
    return (await _call(client, "list_changes", arguments))["changes"]  # type: ignore[no-any-return]


def _patch_on_the_sandbox(sandbox: SandboxServer, assistant_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """A change made elsewhere: straight to the sandbox's HTTP API, as the dashboard or a script would."""
    response = httpx.patch(
        f"{sandbox.url}/assistants/{assistant_id}", json=body, headers={"Authorization": f"Bearer {sandbox.api_key}"}
    )
    response.raise_for_status()
    return response.json()["assistant"]  # type: ignore[no-any-return]


async def test_a_change_on_the_sandbox_is_an_outside_change_at_the_next_read(
    sandbox: SandboxServer, journal_on: dict[str, Any]
) -> None:
    async with mcp_client(fast_settings(sandbox, **journal_on)) as client:
        old = stored(sandbox, REMINDER_ID)["first_sentence"]
        await _call(client, "get_assistant", {"id": REMINDER_ID})
        assert await _changes(client) == []  # the first read only observes
        sandbox.store.update(REMINDER_ID, {"first_sentence": "Hello! Quick reminder about tomorrow."})
        updated_at = stored(sandbox, REMINDER_ID)["updated_at"]
        await _call(client, "get_assistant", {"id": REMINDER_ID})
        await _call(client, "get_assistant", {"id": REMINDER_ID})  # an unchanged read records nothing more
        listed = await _call(client, "list_changes", {"assistant_id": REMINDER_ID})
        (row,) = listed["changes"]
        assert (row["kind"], row["actor"], row["status"], row["fields"]) == (
            "outside",
            OUTSIDE_ACTOR,
            "applied",
            ["first_sentence"],
        )
        assert row["created_at"] == journal_time(updated_at)
        assert "updated_at" in row["status_reason"] and OUTSIDE_ACTOR in listed["actor_means"]
        one = (await _changes(client, change_id=row["change_id"]))[0]
        assert [(c["path"], c.get("before"), c.get("after")) for c in one["changes"]] == [
            ("first_sentence", old, "Hello! Quick reminder about tomorrow.")
        ]
        measured = await _call(client, "change_impact", {"change_id": row["change_id"]})
        assert measured["change_id"] == row["change_id"]
        assert measured["changed_at"].startswith(journal_time(updated_at)[:19])
        refused = await client.call_tool("revert_change", {"change_id": row["change_id"]})
        assert refused.is_error and "outside revox-mcp" in text_of(refused)


async def test_the_servers_own_write_is_not_an_outside_change(
    sandbox: SandboxServer, journal_on: dict[str, Any]
) -> None:
    async with mcp_client(fast_settings(sandbox, **journal_on)) as client:
        await _call(client, "get_assistant", {"id": SALES_QUALIFIER_ID})
        await _call(client, "update_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"first_sentence_delay_ms": 900}})
        await _call(client, "get_assistant", {"id": SALES_QUALIFIER_ID})
        rows = await _changes(client, assistant_id=SALES_QUALIFIER_ID)
    assert [(r["kind"], r["actor"]) for r in rows] == [("update", local_actor())]


async def test_the_writers_read_finds_a_patch_made_elsewhere_before_its_own(
    sandbox: SandboxServer, journal_on: dict[str, Any]
) -> None:
    async with mcp_client(fast_settings(sandbox, **journal_on)) as client:
        await _call(client, "get_assistant", {"id": SALES_QUALIFIER_ID})
        _patch_on_the_sandbox(sandbox, SALES_QUALIFIER_ID, {"first_sentence_delay_ms": 1200})
        await _call(client, "update_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"name": "Sales, renamed"}})
        await _call(client, "get_assistant", {"id": SALES_QUALIFIER_ID})
        rows = await _changes(client, assistant_id=SALES_QUALIFIER_ID)
        outside = rows[1]
        diff = (await _changes(client, change_id=outside["change_id"]))[0]["changes"]
    assert [(r["kind"], r["fields"]) for r in rows] == [("update", ["name"]), ("outside", ["first_sentence_delay_ms"])]
    assert [(c["path"], c["before"], c["after"]) for c in diff] == [("first_sentence_delay_ms", 400, 1200)]


async def test_since_and_until_bound_the_rows_and_are_read_like_other_times(
    sandbox: SandboxServer, journal_on: dict[str, Any]
) -> None:
    async with mcp_client(fast_settings(sandbox, **journal_on)) as client:
        await _call(client, "update_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"first_sentence_delay_ms": 700}})
        (row,) = await _changes(client)
        at = row["created_at"]
        assert [r["change_id"] for r in await _changes(client, since=at)] == [row["change_id"]]
        assert await _changes(client, until=at) == []
        assert await _changes(client, since="2999-01-01T00:00:00Z") == []
        assert len(await _changes(client, since="2020-01-01T00:00:00+02:00", until="2999-01-01T00:00:00")) == 1
        bad = await client.call_tool("list_changes", {"since": "last week"})
    assert bad.is_error and "since" in text_of(bad) and "ISO-8601" in text_of(bad)


async def test_a_long_list_changed_elsewhere_is_kept_as_what_changed(
    sandbox: SandboxServer, journal_on: dict[str, Any]
) -> None:
    faq = stored(sandbox, RECEPTIONIST_ID)["faq_items"]
    async with mcp_client(fast_settings(sandbox, **journal_on)) as client:
        await _call(client, "get_assistant", {"id": RECEPTIONIST_ID, "fields": ["name"]})
        added = {"question": "Do you take walk-ins?", "answer": "Yes, before noon."}
        sandbox.store.update(RECEPTIONIST_ID, {"faq_items": [*faq, added]})
        await _call(client, "get_assistant", {"id": RECEPTIONIST_ID, "fields": ["name"]})
        (row,) = await _changes(client, assistant_id=RECEPTIONIST_ID)
        diff = (await _changes(client, change_id=row["change_id"]))[0]["changes"]
    assert row["fields"] == ["faq_items"]
    assert [(c["path"], c["added"]["question"]) for c in diff] == [(f"faq_items[{len(faq)}]", "Do you take walk-ins?")]


async def test_a_journal_failure_while_observing_never_fails_the_read(sandbox: SandboxServer, tmp_path: Path) -> None:
    journal = tmp_path / "journal.db"
    async with mcp_client(fast_settings(sandbox, journal_path=journal)) as client:
        with sqlite3.connect(journal) as db:
            db.execute("DROP TABLE observations")
        result = await client.call_tool("get_assistant", {"id": REMINDER_ID})
    assert not result.is_error, text_of(result)
    assert result.structured_content is not None and result.structured_content["assistant"]["id"] == REMINDER_ID


def _server(sandbox: SandboxServer, journal: Path) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "revox_mcp", "serve", "--journal", str(journal)],
        env={API_KEY_ENV: sandbox.api_key, BASE_URL_ENV: sandbox.url, "PATH": os.environ.get("PATH", "")},
    )


async def test_two_server_processes_on_one_journal_record_an_outside_change_once(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    journal = tmp_path / "journal.db"
    async with AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(Client(_server(sandbox, journal))) for _ in range(2)]
        await _call(clients[0], "get_assistant", {"id": REMINDER_ID, "fields": ["name"]})
        _patch_on_the_sandbox(sandbox, REMINDER_ID, {"first_sentence": "Hi, it is Acme Dental about tomorrow."})

        async def read(client: Client) -> None:
            for _ in range(3):
                await _call(client, "get_assistant", {"id": REMINDER_ID, "fields": ["name"]})

        async with anyio.create_task_group() as tasks:
            for client in clients:
                tasks.start_soon(read, client)
        rows = [await _changes(client, assistant_id=REMINDER_ID) for client in clients]
    assert rows[0] == rows[1]
    assert [(r["kind"], r["fields"]) for r in rows[0]] == [("outside", ["first_sentence"])]


async def test_without_an_observation_the_last_write_is_what_an_outside_change_is_measured_from(
    sandbox: SandboxServer, journal_on: dict[str, Any]
) -> None:
    """A journal of an earlier release has changes and no observations: the fields of the last write that the
    assistant no longer holds are an outside change, from the value that write left."""
    settings = fast_settings(sandbox, **journal_on)
    async with mcp_client(settings) as client:
        await _call(client, "update_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"first_sentence_delay_ms": 650}})
    _forget_observations(journal_on)
    sandbox.store.update(SALES_QUALIFIER_ID, {"first_sentence_delay_ms": 1500})
    async with mcp_client(settings) as client:
        await _call(client, "get_assistant", {"id": SALES_QUALIFIER_ID})
        rows = await _changes(client, assistant_id=SALES_QUALIFIER_ID)
        diff = (await _changes(client, change_id=rows[0]["change_id"]))[0]["changes"]
    assert [(r["kind"], r["fields"]) for r in rows] == [
        ("outside", ["first_sentence_delay_ms"]),
        ("update", ["first_sentence_delay_ms"]),
    ]
    assert [(c["path"], c["before"], c["after"]) for c in diff] == [("first_sentence_delay_ms", 650, 1500)]
    assert rows[1]["change_id"] in rows[0]["status_reason"]


def _forget_observations(journal_on: dict[str, Any]) -> None:
    if "journal_path" in journal_on:
        with sqlite3.connect(journal_on["journal_path"]) as db:
            db.execute("DELETE FROM observations")
        return
    import psycopg

    with psycopg.connect(journal_on["journal_url"], autocommit=True) as conn:
        conn.execute("DELETE FROM observations")


async def test_observations_are_stored_once_per_version_and_only_the_newest_keeps_values(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    journal = tmp_path / "journal.db"
    long_prompt = "You are the front desk of a dental office. " * 6_000  # about 260 KB: over every cap
    async with mcp_client(fast_settings(sandbox, journal_path=journal)) as client:
        for version in range(3):
            for _ in range(4):  # reads of an unchanged version store nothing more
                await _call(client, "get_assistant", {"id": RECEPTIONIST_ID, "fields": ["name"]})
            sandbox.store.update(RECEPTIONIST_ID, {"prompt": f"{long_prompt}{version}", "name": f"Desk {version}"})
        await _call(client, "get_assistant", {"id": RECEPTIONIST_ID, "fields": ["name"]})
        rows = await _changes(client, assistant_id=RECEPTIONIST_ID)
    with sqlite3.connect(journal) as db:
        kept = db.execute("SELECT observed_values FROM observations ORDER BY seq").fetchall()
    assert len(kept) == 4 and [v is not None for (v,) in kept] == [False, False, False, True]
    assert len(kept[-1][0]) < VALUES_CAP and "dental office" not in kept[-1][0]
    assert [r["fields"] for r in rows] == [["name", "prompt"]] * 3
    newest = (await _one(sandbox, tmp_path, rows[0]["change_id"]))["changes"]
    assert [c["path"] for c in newest] == ["name", "prompt"]
    with sqlite3.connect(journal) as db:
        longest = db.execute("SELECT MAX(length(before) + length(after)) FROM changes").fetchone()[0]
    assert longest < VALUES_CAP  # no row holds the long prompt, not even as a delta


async def _one(sandbox: SandboxServer, tmp_path: Path, change_id: str) -> dict[str, Any]:
    async with mcp_client(fast_settings(sandbox, journal_path=tmp_path / "journal.db")) as client:
        return (await _changes(client, change_id=change_id))[0]
