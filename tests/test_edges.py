"""Nothing lost at the edges: every fault of a real HTTP proxy between revox-mcp and the API, one test each.

Each scenario asserts what the agent is told, how many PATCHes landed, the journal row's final status, that
the stored assistant agrees with the journal, and (where something landed) that revert_change undoes it.
Timeouts and the write grace are short here (tenths of a second); production uses the client's timeouts
plus a margin."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp_types import CallToolResult

from revox_mcp.config import Settings
from revox_mcp.journal import JournalEntry, open_journal
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.seed import RECEPTIONIST_ID, SALES_QUALIFIER_ID
from revox_mcp.sendable import comparable
from tests.conftest import fast_settings, mcp_client, requests_to, stored, text_of
from tests.fault_proxy import FaultProxy, Rule

pytestmark = pytest.mark.anyio
PATH = f"/assistants/{SALES_QUALIFIER_ID}"
PATCH = {"first_sentence": "Hello from the edge", "voice": {"speed": 1.1}}


@pytest.fixture
async def proxy(sandbox: SandboxServer) -> AsyncIterator[FaultProxy]:
    async with FaultProxy(sandbox.url) as running:
        yield running


def via(proxy: FaultProxy, sandbox: SandboxServer, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"base_url": proxy.url, "journal_path": tmp_path / "journal.db"} | overrides
    return fast_settings(sandbox, **values)


async def update(settings: Settings, patch: dict[str, Any] = PATCH, **args: Any) -> CallToolResult:
    async with mcp_client(settings) as client:
        return await client.call_tool("update_assistant", {"id": SALES_QUALIFIER_ID, "patch": patch, **args})


async def rows(settings: Settings) -> list[JournalEntry]:
    journal = await open_journal(settings)
    try:
        entries, _ = await journal.page(None, 1, 50)
    finally:
        await journal.aclose()
    return entries


def landed_patches(sandbox: SandboxServer) -> int:
    return sum(1 for r in requests_to(sandbox, "PATCH") if r.status == 200)


def agrees(sandbox: SandboxServer, entry: JournalEntry, assistant_id: str = SALES_QUALIFIER_ID) -> bool:
    """The stored assistant holds what the journal says the change left."""
    now = stored(sandbox, assistant_id)
    left = {**entry.body, **(entry.after or {})}
    return all(comparable(f, now.get(f)) == comparable(f, left.get(f)) for f in entry.fields)


async def only_row_applied(settings: Settings, sandbox: SandboxServer) -> JournalEntry:
    """One PATCH landed, its row is applied, and the stored assistant agrees with it."""
    (row,) = await rows(settings)
    assert row.status == "applied" and agrees(sandbox, row), row
    assert landed_patches(sandbox) == 1
    return row


async def reverts(settings: Settings, sandbox: SandboxServer, entry: JournalEntry) -> bool:
    async with mcp_client(settings) as client:
        result = await client.call_tool("revert_change", {"change_id": entry.change_id})
    assert not result.is_error, text_of(result)
    now = stored(sandbox, entry.assistant_id)
    return all(comparable(f, now.get(f)) == comparable(f, entry.before.get(f)) for f in entry.fields)


# --- a PATCH that reaches the API late -------------------------------------------------------------------


async def test_a_patch_delivered_after_its_sender_gave_up_is_undecided_then_applied(
    sandbox: SandboxServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    held = proxy.add(Rule("PATCH", PATH, "hold", delay_s=0.8))
    settings = via(proxy, sandbox, tmp_path, read_timeout_s=0.3, write_grace_s=2.0, settle_wait_max_s=0.0)
    result = await update(settings)
    text = text_of(result)
    assert result.is_error and "sent but not confirmed" in text and "Do not send it again" in text, text
    assert "safe to call again" not in text
    (row,) = await rows(settings)
    assert row.status == "pending" and "may still land until" in (row.status_reason or "")
    with anyio.fail_after(10):
        await held.delivered.wait()
    assert landed_patches(sandbox) == 1, "the late PATCH landed, and it is the only one"
    async with mcp_client(settings) as client:  # listing settles what can be decided: it landed
        await client.call_tool("list_changes", {})
    row = await only_row_applied(settings, sandbox)
    assert await reverts(settings, sandbox, row)


async def test_a_later_write_waits_for_an_undecided_one_and_is_not_overwritten(
    sandbox: SandboxServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    proxy.add(Rule("PATCH", PATH, "hold", delay_s=0.8))
    first = via(proxy, sandbox, tmp_path, read_timeout_s=0.3, write_grace_s=1.5, settle_wait_max_s=0.0)
    assert (await update(first)).is_error
    second = via(proxy, sandbox, tmp_path, read_timeout_s=5.0, write_grace_s=1.5, settle_wait_max_s=5.0)
    result = await update(second, {"first_sentence": "The later write"})
    assert not result.is_error, text_of(result)
    assert [r.status for r in requests_to(sandbox, "PATCH")] == [200, 200]
    assert stored(sandbox, SALES_QUALIFIER_ID)["first_sentence"] == "The later write"
    later, earlier = await rows(second)
    assert (earlier.status, later.status) == ("applied", "applied")
    assert agrees(sandbox, later)


async def test_a_later_write_refuses_while_an_earlier_one_may_still_land(
    sandbox: SandboxServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    held = proxy.add(Rule("PATCH", PATH, "hold", delay_s=1.0))
    settings = via(proxy, sandbox, tmp_path, read_timeout_s=0.3, write_grace_s=30.0, settle_wait_max_s=0.0)
    assert (await update(settings)).is_error
    result = await update(settings, {"first_sentence": "Too soon"})
    assert result.is_error and "An earlier change to this assistant" in text_of(result)
    assert "nothing was written" in text_of(result)
    with anyio.fail_after(10):
        await held.delivered.wait()
    assert [r.status for r in requests_to(sandbox, "PATCH")] == [200], "the refused write sent nothing"
    async with mcp_client(settings) as client:
        revert = await client.call_tool("revert_change", {"change_id": (await rows(settings))[0].change_id})
    assert not revert.is_error, "once it landed, the undecided change is decided and can be reverted"


async def test_a_cancelled_write_that_lands_later_stays_undecided_until_it_does(
    sandbox: SandboxServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    held = proxy.add(Rule("PATCH", PATH, "hold", delay_s=0.8))
    settings = via(proxy, sandbox, tmp_path, write_grace_s=2.0, settle_wait_max_s=0.0)
    async with mcp_client(settings) as client:
        with anyio.move_on_after(0.3):
            await client.call_tool("update_assistant", {"id": SALES_QUALIFIER_ID, "patch": PATCH})
    (row,) = await rows(settings)
    assert row.status == "pending", "a cancelled write that may still land is not 'failed'"
    with anyio.fail_after(10):
        await held.delivered.wait()
    async with mcp_client(settings) as client:
        await client.call_tool("list_changes", {})
    (row,) = await rows(settings)
    assert row.status == "applied" and agrees(sandbox, row)


# --- no answer, answered failures, odd answers --------------------------------------------------------------


async def test_a_dropped_answer_after_the_write_landed_is_a_success(
    sandbox: SandboxServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    proxy.add(Rule("PATCH", PATH, "forward_then_drop"))
    settings = via(proxy, sandbox, tmp_path)
    result = await update(settings)
    assert not result.is_error and "a re-read shows the change landed as sent" in text_of(result)
    row = await only_row_applied(settings, sandbox)
    assert await reverts(settings, sandbox, row)


async def test_a_reset_before_delivery_is_sent_again_only_after_its_grace(
    sandbox: SandboxServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    proxy.add(Rule("PATCH", PATH, "reset"))
    settings = via(proxy, sandbox, tmp_path, write_grace_s=0.3, settle_wait_max_s=5.0)
    result = await update(settings)
    assert not result.is_error, text_of(result)
    assert [a for m, _, a in proxy.seen if m == "PATCH"] == ["reset", "forward"]
    await only_row_applied(settings, sandbox)


async def test_a_500_after_the_write_landed_is_a_success_with_a_warning(
    sandbox: SandboxServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    proxy.add(Rule("PATCH", PATH, "forward_then_status", status=500))
    settings = via(proxy, sandbox, tmp_path)
    result = await update(settings)
    assert not result.is_error, text_of(result)
    assert "answered the write with 500, but a re-read shows the change landed" in text_of(result)
    await only_row_applied(settings, sandbox)


async def test_a_503_that_did_not_land_is_sent_again_after_a_re_read(
    sandbox: SandboxServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    proxy.add(Rule("PATCH", PATH, "status", status=503, times=2))
    settings = via(proxy, sandbox, tmp_path)
    result = await update(settings)
    assert not result.is_error, text_of(result)
    assert [a for m, _, a in proxy.seen if m == "PATCH"] == ["status", "status", "forward"]
    await only_row_applied(settings, sandbox)


def _without_sent_fields(answer: dict[str, Any]) -> dict[str, Any]:
    assistant = {k: v for k, v in answer["assistant"].items() if k not in PATCH}
    return {**answer, "assistant": assistant}


def _wrong_types(answer: dict[str, Any]) -> dict[str, Any]:
    return {**answer, "assistant": {**answer["assistant"], "voice": "fast", "first_sentence": 7}}


@pytest.mark.parametrize(
    ("mutate", "odd"),
    [(_without_sent_fields, "lacked first_sentence, voice"), (_wrong_types, "showed other values for")],
    ids=["missing-fields", "wrong-types"],
)
async def test_an_odd_patch_answer_is_checked_by_a_re_read(
    sandbox: SandboxServer, proxy: FaultProxy, tmp_path: Path, mutate: Any, odd: str
) -> None:
    proxy.add(Rule("PATCH", PATH, "mutate", mutate=mutate))
    settings = via(proxy, sandbox, tmp_path)
    result = await update(settings)
    assert not result.is_error, text_of(result)
    assert odd in text_of(result) and "a re-read confirms the change landed as sent" in text_of(result)
    assert "did not apply" not in text_of(result)
    row = await only_row_applied(settings, sandbox)
    assert await reverts(settings, sandbox, row)


async def test_a_patch_answer_that_is_not_json_is_checked_by_a_re_read(
    sandbox: SandboxServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    proxy.add(Rule("PATCH", PATH, "malformed"))
    settings = via(proxy, sandbox, tmp_path)
    result = await update(settings)
    assert not result.is_error, text_of(result)
    assert "could not be read, but a re-read shows the change landed" in text_of(result)
    await only_row_applied(settings, sandbox)


# --- reads that are partial or not an assistant -----------------------------------------------------------


def _without(field: str) -> Any:
    return lambda answer: {k: v for k, v in answer.items() if k != field}


async def test_an_faq_edit_on_a_read_without_faq_items_is_refused_and_nothing_is_sent(
    sandbox: SandboxServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    proxy.add(Rule("GET", f"/assistants/{RECEPTIONIST_ID}", "mutate", mutate=_without("faq_items")))
    settings = via(proxy, sandbox, tmp_path)
    before = stored(sandbox, RECEPTIONIST_ID)["faq_items"]
    edit = {"op": "upsert", "list": "faq_items", "item": {"question": "Parking?", "answer": "Yes."}}
    async with mcp_client(settings) as client:
        result = await client.call_tool("update_assistant", {"id": RECEPTIONIST_ID, "edits": [edit]})
    assert result.is_error and "lacks faq_items" in text_of(result) and "Nothing was sent" in text_of(result)
    assert requests_to(sandbox, "PATCH") == [] and stored(sandbox, RECEPTIONIST_ID)["faq_items"] == before
    assert await rows(settings) == []


@pytest.mark.parametrize("mutate", [lambda _: {"assistant": "oops"}, _without("id")], ids=["not-an-assistant", "no-id"])
async def test_a_read_that_is_not_the_assistant_is_refused_and_nothing_is_sent(
    sandbox: SandboxServer, proxy: FaultProxy, tmp_path: Path, mutate: Any
) -> None:
    proxy.add(Rule("GET", PATH, "mutate", mutate=mutate))
    result = await update(via(proxy, sandbox, tmp_path))
    assert result.is_error and "is not that assistant" in text_of(result), text_of(result)
    assert requests_to(sandbox, "PATCH") == []


async def test_an_answer_over_the_size_cap_is_not_read(
    sandbox: SandboxServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    proxy.add(Rule("GET", PATH, "huge", size=3_000_000))
    settings = via(proxy, sandbox, tmp_path, max_api_answer_bytes=1_000_000)
    async with mcp_client(settings) as client:
        result = await client.call_tool("get_assistant", {"id": SALES_QUALIFIER_ID})
    assert result.is_error and "over 1,000,000 bytes" in text_of(result)
    assert (await update(settings)).is_error is False, "the next read is a normal one"


# --- the API's words, read as the SDK reads them ---------------------------------------------------------


async def test_a_403_says_what_was_refused_and_not_to_check_the_key(
    sandbox: SandboxServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    body = {"error": {"message": "Your plan does not allow custom voices", "code": "plan_limit"}}
    proxy.add(Rule("PATCH", PATH, "status", status=403, body=body))
    settings = via(proxy, sandbox, tmp_path)
    text = text_of(await update(settings))
    assert "Your plan does not allow custom voices (plan_limit)" in text
    assert "REVOX_API_KEY" not in text and "administrator" in text and "{" not in text
    (row,) = await rows(settings)
    assert row.status == "failed" and landed_patches(sandbox) == 0


async def test_a_nested_error_body_is_text_not_a_repr(
    sandbox: SandboxServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    body = {"error": {"message": "voice.speed must be at most 1.5", "code": "invalid"}}
    proxy.add(Rule("PATCH", PATH, "status", status=400, body=body))
    text = text_of(await update(via(proxy, sandbox, tmp_path)))
    assert "voice.speed must be at most 1.5 (invalid)" in text and "{'" not in text
    assert "patch.voice.speed" in text


async def test_a_read_answer_that_is_not_json_is_an_api_fault(
    sandbox: SandboxServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    proxy.add(Rule("GET", PATH, "malformed", times=-1))
    async with mcp_client(via(proxy, sandbox, tmp_path)) as client:
        result = await client.call_tool("get_assistant", {"id": SALES_QUALIFIER_ID})
    text = text_of(result)
    assert result.is_error and "not JSON" in text and "Try again shortly" in text
    assert "inside revox-mcp" not in text


# --- processes killed, replicas that lose their lock -------------------------------------------------------


def _serve(settings: Settings, state: Path, grace_s: float) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVOX_")}
    env |= {"REVOX_API_KEY": str(settings.api_key), "REVOX_BASE_URL": settings.base_url}
    env |= {"XDG_STATE_HOME": str(state), "REVOX_MCP_WRITE_GRACE_S": str(grace_s)}
    command = [sys.executable, "-m", "revox_mcp", "serve"]
    return subprocess.Popen(command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def _start_update(process: subprocess.Popen[str], patch: dict[str, Any]) -> None:
    init = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}
    call = {"name": "update_assistant", "arguments": {"id": SALES_QUALIFIER_ID, "patch": patch}}
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": init},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": call},
    ]
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write("".join(json.dumps(m) + "\n" for m in messages))
    process.stdin.flush()
    process.stdout.readline()  # the answer to initialize


async def _until(condition: Any) -> None:
    with anyio.fail_after(15):
        while not condition():
            await anyio.sleep(0.02)


async def test_a_server_killed_with_its_patch_in_flight_is_not_overwritten_by_the_next_write(
    sandbox: SandboxServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    held = proxy.add(Rule("PATCH", PATH, "hold", delay_s=1.0))
    journal = tmp_path / "revox-mcp" / "journal.db"
    settings = via(proxy, sandbox, tmp_path, journal_path=journal, write_grace_s=3.0, settle_wait_max_s=10.0)
    process = _serve(settings, tmp_path, 3.0)
    try:
        _start_update(process, {"first_sentence": "Sent by the killed server"})
        await _until(lambda: any(m == "PATCH" for m, _, _ in proxy.seen))
    finally:
        process.kill()
        process.wait(timeout=10)
    # Restarted at once: its write waits for the one still on its way instead of going out over it.
    result = await update(settings, {"first_sentence": "Sent after the restart"})
    assert not result.is_error, text_of(result)
    assert held.delivered.is_set()
    assert [r.status for r in requests_to(sandbox, "PATCH")] == [200, 200]
    assert stored(sandbox, SALES_QUALIFIER_ID)["first_sentence"] == "Sent after the restart"
    later, earlier = await rows(settings)
    assert (earlier.status, later.status) == ("applied", "applied") and agrees(sandbox, later)


async def test_a_replica_that_lost_its_lock_mid_patch_is_waited_for_not_overwritten(
    sandbox: SandboxServer, proxy: FaultProxy, postgres_url: str
) -> None:
    from revox_mcp.catalog import Catalog
    from revox_mcp.client import RevoxClient
    from revox_mcp.policy import Policy
    from revox_mcp.tool_models import UpdateAssistantArgs
    from revox_mcp.writer import AssistantWriter, WriteOutcome
    from tests.test_journal_faults import _terminate_lock_holder

    path = f"/assistants/{RECEPTIONIST_ID}"
    proxy.add(Rule("PATCH", path, "hold", delay_s=1.0))
    # One API behind two addresses (one through the proxy): the scope says they are the same.
    timing = {"journal_url": postgres_url, "journal_scope": "api", "write_grace_s": 5.0, "settle_wait_max_s": 10.0}
    slow, direct = fast_settings(sandbox, base_url=proxy.url, **timing), fast_settings(sandbox, **timing)

    def upsert(name: str) -> UpdateAssistantArgs:
        edit = {"op": "upsert", "list": "faq_items", "item": {"question": f"{name}?", "answer": "Yes."}}
        return UpdateAssistantArgs(id=RECEPTIONIST_ID, edits=[edit])  # type: ignore[list-item]

    results: dict[str, WriteOutcome | BaseException] = {}
    ja, jb = await open_journal(slow), await open_journal(direct)
    try:
        async with RevoxClient(slow) as ca, RevoxClient(direct) as cb:

            async def write(name: str, writer: AssistantWriter) -> None:
                try:
                    results[name] = await writer.update(upsert(name), actor=name)
                except Exception as exc:
                    results[name] = exc

            async with anyio.create_task_group() as tasks:
                tasks.start_soon(write, "a", AssistantWriter(ca, ja, Policy(), Catalog(ca)))
                await _until(lambda: any(m == "PATCH" for m, _, _ in proxy.seen))
                tasks.start_soon(write, "b", AssistantWriter(cb, jb, Policy(), Catalog(cb)))
                await anyio.sleep(0.2)  # b waits for the lock a holds
                _terminate_lock_holder(postgres_url, slow.lock_scope)
    finally:
        await ja.aclose()
        await jb.aclose()
    assert isinstance(results["a"], WriteOutcome) and isinstance(results["b"], WriteOutcome), results
    questions = [i["question"] for i in stored(sandbox, RECEPTIONIST_ID)["faq_items"]]
    assert "a?" in questions and "b?" in questions, "b's write went out over a's, or a's landed over b's"
    assert [r.status for r in requests_to(sandbox, "PATCH")] == [200, 200]
