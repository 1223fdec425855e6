"""The PostgreSQL journal when its database misbehaves under a write: a lock connection that dies or would be
timed out, a server restart, a role without DDL rights, a journal that fails after a test call was placed,
and text PostgreSQL cannot store. Each against a real throwaway PostgreSQL and the sandbox over HTTP."""

from __future__ import annotations

from typing import Any

import anyio
import psycopg
import pytest

from revox_mcp.catalog import Catalog
from revox_mcp.client import RevoxClient
from revox_mcp.config import Settings
from revox_mcp.journal import open_journal
from revox_mcp.journal.base import JournalUnavailable, LockLost
from revox_mcp.journal.postgres import PostgresJournal, check, lock_key
from revox_mcp.policy import Policy
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.seed import RECEPTIONIST_ID, SALES_QUALIFIER_ID
from revox_mcp.server import build_server
from revox_mcp.tool_models import UpdateAssistantArgs
from revox_mcp.writer import AssistantWriter, WriteOutcome
from tests.conftest import fast_settings, mcp_client, requests_to, stored, text_of

pytestmark = pytest.mark.anyio


class SlowPatch(RevoxClient):
    """A PATCH that takes a while to leave (a slow network or API)."""

    async def update_assistant(self, assistant_id: str, body: dict[str, Any]) -> dict[str, Any]:
        await anyio.sleep(1.5)
        return await super().update_assistant(assistant_id, body)


class SlowRead(RevoxClient):
    """A read of the assistant that takes a while (the lock is held, the PATCH not yet sent)."""

    async def get_assistant(self, assistant_id: str) -> dict[str, Any]:
        answer = await super().get_assistant(assistant_id)
        await anyio.sleep(1.0)
        return answer


def _upsert(name: str) -> UpdateAssistantArgs:
    item = {"question": f"{name}?", "answer": f"{name}."}
    return UpdateAssistantArgs(id=RECEPTIONIST_ID, edits=[{"op": "upsert", "list": "faq_items", "item": item}])  # type: ignore[list-item]


def _terminate_lock_holder(url: str, scope: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        killed = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND objid = (%s::bigint & x'ffffffff'::bigint)::oid",
            (lock_key(scope, RECEPTIONIST_ID),),
        ).fetchall()
    assert killed, "no lock holder to terminate"


async def _two_replicas(
    sandbox: SandboxServer, url: str, first: type[RevoxClient], during: Any = None
) -> dict[str, WriteOutcome | BaseException]:
    """Replica A (with `first` as its client) writes; replica B writes the same assistant 0.3 s later."""
    settings = fast_settings(sandbox, journal_url=url)
    results: dict[str, WriteOutcome | BaseException] = {}
    ja, jb = await open_journal(settings), await open_journal(settings)
    try:
        async with first(settings) as ca, RevoxClient(settings) as cb:
            writers = {
                "a": AssistantWriter(ca, ja, Policy(), Catalog(ca)),
                "b": AssistantWriter(cb, jb, Policy(), Catalog(cb)),
            }

            async def write(name: str, delay: float) -> None:
                await anyio.sleep(delay)
                try:
                    results[name] = await writers[name].update(_upsert(f"from {name}"), actor=name)
                except Exception as exc:
                    results[name] = exc

            async with anyio.create_task_group() as tasks:
                tasks.start_soon(write, "a", 0)
                tasks.start_soon(write, "b", 0.3)
                if during is not None:
                    tasks.start_soon(during, settings)
    finally:
        await ja.aclose()
        await jb.aclose()
    return results


def _questions(sandbox: SandboxServer) -> list[str]:
    return [i["question"] for i in stored(sandbox, RECEPTIONIST_ID)["faq_items"] if i["question"].startswith("from")]


async def test_a_short_idle_in_transaction_timeout_does_not_end_the_lock_mid_patch(
    sandbox: SandboxServer, postgres_url: str
) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"ALTER DATABASE {conn.info.dbname} SET idle_in_transaction_session_timeout = '300ms'")
    results = await _two_replicas(sandbox, postgres_url, SlowPatch)
    assert all(isinstance(r, WriteOutcome) for r in results.values()), results
    assert sorted(_questions(sandbox)) == ["from a?", "from b?"], "an edit was lost"


async def test_a_lock_lost_before_the_patch_refuses_the_write_and_sends_nothing(
    sandbox: SandboxServer, postgres_url: str
) -> None:
    async def kill(settings: Settings) -> None:
        await anyio.sleep(0.5)  # A holds the lock and is reading
        _terminate_lock_holder(postgres_url, settings.lock_scope)

    results = await _two_replicas(sandbox, postgres_url, SlowRead, kill)
    assert isinstance(results["a"], LockLost) and "Nothing was sent" in str(results["a"])
    assert isinstance(results["b"], WriteOutcome)
    assert _questions(sandbox) == ["from b?"] and len(requests_to(sandbox, "PATCH")) == 1
    with psycopg.connect(postgres_url) as conn:
        rows = conn.execute("SELECT actor, status FROM changes ORDER BY seq").fetchall()
    assert sorted(rows) == [("a", "failed"), ("b", "applied")]


async def test_a_lock_lost_during_the_patch_answers_success_with_a_warning(
    sandbox: SandboxServer, postgres_url: str
) -> None:
    async def kill(settings: Settings) -> None:
        await anyio.sleep(0.6)  # A holds the lock and its PATCH is on its way
        _terminate_lock_holder(postgres_url, settings.lock_scope)

    results = await _two_replicas(sandbox, postgres_url, SlowPatch, kill)
    landed = results["a"]
    assert isinstance(landed, WriteOutcome), landed
    assert any("may have been overwritten" in w and "list_changes" in w for w in landed.warnings)
    assert "from a?" in _questions(sandbox)


async def test_any_database_error_is_an_unavailable_journal_without_its_address(postgres_url: str) -> None:
    journal = PostgresJournal(postgres_url, "s")
    await journal.open()
    try:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute("DROP TABLE test_calls")
        with pytest.raises(JournalUnavailable) as raised:
            await journal.test_calls("asst_1")
        async with journal._pool.connection() as conn:
            dsn = conn.info.dsn
    finally:
        await journal.aclose()
    message = str(raised.value)
    assert "127.0.0.1" not in message and "test_calls" not in message and "unavailable" in message
    assert "keepalives=1" in dsn and "keepalives_idle=" in dsn


async def test_a_restarted_database_fails_no_call(sandbox: SandboxServer, postgres: Any, postgres_url: str) -> None:
    journal = PostgresJournal(postgres_url, "s")
    await journal.open()
    try:
        async with anyio.create_task_group() as tasks:
            for _ in range(4):
                tasks.start_soon(journal.page, None, 1, 5)
        data, log = str(postgres.dir / "data"), str(postgres.dir / "log")
        postgres._run(str(postgres.bin / "pg_ctl"), "-D", data, "-l", log, "-m", "fast", "-w", "restart")
        for _ in range(4):
            await journal.page(None, 1, 5)
    finally:
        await journal.aclose()


async def test_a_role_with_data_privileges_only_can_start(postgres: Any, postgres_url: str) -> None:
    await check(postgres_url)  # the owner creates the tables
    role = f"app_{postgres_url.rsplit('/', 1)[1]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN")
        conn.execute(f"GRANT SELECT, INSERT, UPDATE ON changes, test_calls, schema_version TO {role}")
        conn.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}")
        conn.execute(f"REVOKE CREATE ON SCHEMA public FROM PUBLIC, {role}")
    app_url = postgres_url.replace("postgres@", f"{role}@")
    await check(app_url)
    journal = PostgresJournal(app_url, "s")
    await journal.open()
    try:
        await journal.begin(
            assistant_id="asst_1", fields=["name"], patch={}, edits=[], body={}, before={}, reason="least privilege"
        )
        assert (await journal.page(None, 1, 5))[1] == 1
    finally:
        await journal.aclose()


async def test_replicas_on_an_old_and_a_new_key_share_the_write_lock(postgres_url: str) -> None:
    old = Settings(api_key="old-key", base_url="https://user:hunter2@api.example/v1", journal_url=postgres_url)
    new = Settings(api_key="new-key", base_url="https://api.example/v1", journal_url=postgres_url)
    assert old.lock_scope == new.lock_scope == "https://api.example/v1"
    # Rows stay apart per key (a journal shared across keys must not show another organization's changes).
    assert old.scope != new.scope and "hunter2" not in old.scope and "user" not in old.scope
    first, second = await open_journal(old), await open_journal(new)
    try:
        async with first.assistant_lock("asst_1"):
            with anyio.move_on_after(0.5) as waited:
                async with second.assistant_lock("asst_1"):
                    pass
    finally:
        await first.aclose()
        await second.aclose()
    assert waited.cancelled_caught, "the replica on the new key did not wait for the one on the old key"


async def test_a_nul_inside_stored_values_does_not_break_the_journal(
    sandbox: SandboxServer, journal_on: dict[str, Any]
) -> None:
    settings = fast_settings(sandbox, **journal_on)
    async with mcp_client(settings) as client:
        patch = {"name": "N\u0000ul", "first_sentence": "Hello\u0000"}
        written = await client.call_tool("update_assistant", {"id": SALES_QUALIFIER_ID, "patch": patch})
        listed = await client.call_tool("list_changes", {})
        missing = await client.call_tool("revert_change", {"change_id": "chg_\u0000x"})
    assert not written.is_error, text_of(written)
    assert not listed.is_error and listed.structured_content["total"] == 1  # type: ignore[index]
    assert missing.is_error and "inside revox-mcp" not in text_of(missing) and "unavailable" not in text_of(missing)


async def test_a_test_call_placed_but_not_recorded_is_a_success_with_a_warning(
    sandbox: SandboxServer, postgres_url: str
) -> None:
    settings = fast_settings(sandbox, journal_url=postgres_url)
    server = build_server(settings, Policy.load(test_numbers="+14155550999", env={}))
    async with mcp_client(settings, server=server) as client:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute("DROP TABLE test_calls")
        placed = await client.call_tool(
            "place_test_call", {"assistant_id": SALES_QUALIFIER_ID, "phone_number": "+14155550999"}
        )
    assert not placed.is_error, text_of(placed)
    call_id = placed.structured_content["call_id"]  # type: ignore[index]
    warnings = placed.structured_content["warnings"]  # type: ignore[index]
    assert any(call_id in w and "not recorded" in w for w in warnings)
    assert len(requests_to(sandbox, "POST")) == 1


async def test_a_nul_in_a_reason_is_refused_by_name(sandbox: SandboxServer) -> None:
    async with mcp_client(fast_settings(sandbox)) as client:
        refused = await client.call_tool(
            "update_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"name": "Nul"}, "reason": "a\u0000b"}
        )
    assert refused.is_error and "reason" in text_of(refused) and "NUL" in text_of(refused)
    assert requests_to(sandbox, "PATCH") == []
