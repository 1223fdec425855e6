"""Adversarial review of issue 19 (nothing lost at the edges): each test is one finding of a fault hunt, and
failed when it was written; those not fixed yet are strict expected failures naming the gap (a fix makes
them pass, and then fail until the mark goes).

Every test drives the real server through a fault-injecting proxy (tests/fault_proxy.py, extended below with
the few faults it lacks: an API that stores a normalised form of what it is sent, a gateway that answers
before its upstream is done, a second API key) and asserts what should hold: the journal agrees with the API,
no PATCH lands after a later write, the agent is never told "safe to call again" about a write that landed,
a revert restores what was there."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

from revox_mcp.config import Settings
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.seed import RECEPTIONIST_ID, SALES_QUALIFIER_ID
from tests.conftest import fast_settings, mcp_client, requests_to, stored, text_of
from tests.fault_proxy import FaultProxy, Rule, Upstream, _answer, _canned
from tests.test_edges import PATH, rows, update

pytestmark = pytest.mark.anyio


class HuntProxy(FaultProxy):
    """FaultProxy plus: `transform` rewrites a PATCH body before it reaches the sandbox (an API that stores a
    normalised form: trimmed text, items in its own order); `keys` maps other API keys to the sandbox's (one
    organization, two keys: a rotation); action `status_then_deliver` answers `status` at once and delivers
    the request upstream `delay_s` later (a gateway that gives up on its upstream, which still finishes)."""

    def __init__(self, upstream: str, api_key: str) -> None:
        super().__init__(upstream)
        self.api_key = api_key
        self.transform: Callable[[dict[str, Any]], dict[str, Any]] | None = None
        self.late: list[asyncio.Task[Any]] = []

    async def _forward(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Upstream:
        headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
        headers["Authorization"] = f"Bearer {self.api_key}"
        if method == "PATCH" and self.transform is not None and body:
            body = json.dumps(self.transform(json.loads(body))).encode()
        return await super()._forward(method, target, headers, body)

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        custom = [r for r in self.rules if r.action in _CUSTOM]  # type: ignore[comparison-overlap]
        if not custom:
            return await super()._one(reader, writer)
        head = await reader.readuntil(b"\r\n\r\n")
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        method, target, _ = request_line.split(" ", 2)
        headers = dict(tuple(h.split(": ", 1)) for h in header_lines if h)  # type: ignore[misc]
        length = int(next((v for k, v in headers.items() if k.lower() == "content-length"), 0))
        body = await reader.readexactly(length) if length else b""
        forwarded = {k: v for k, v in headers.items() if k.lower() not in ("host", "content-length", "connection")}
        rule = next((r for r in custom if r.method == method and r.path == target.split("?")[0]), None)
        if rule is None:
            self.seen.append((method, target, "forward"))
            return await _answer(writer, await self._forward(method, target, forwarded, body))
        rule.times -= 1
        if rule.times == 0:
            self.rules.remove(rule)
        self.seen.append((method, target, rule.action))
        if rule.action == "trickle":  # type: ignore[comparison-overlap]
            upstream = await self._forward(method, target, forwarded, body)
            lines = [f"HTTP/1.1 {upstream.status} X", "content-type: application/json"]
            lines += [f"content-length: {len(upstream.body)}", "connection: close"]
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
            for byte in upstream.body:
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(rule.delay_s)
            return None
        await _answer(writer, _canned(rule.status, rule.headers, rule.body))

        async def later() -> None:
            await asyncio.sleep(rule.delay_s)
            await self._forward(method, target, forwarded, body)
            rule.delivered.set()

        self.late.append(asyncio.ensure_future(later()))
        return None


# status_then_deliver: answer `status` at once, deliver upstream `delay_s` later; trickle: deliver, then send the
# answer one byte every `delay_s` (each read within the client's read timeout, the whole answer never).
_CUSTOM = ("status_then_deliver", "trickle")


@pytest.fixture
async def proxy(sandbox: SandboxServer) -> AsyncIterator[HuntProxy]:
    async with HuntProxy(sandbox.url, sandbox.api_key) as running:
        yield running
        for task in running.late:
            task.cancel()


def via(proxy: FaultProxy, sandbox: SandboxServer, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"base_url": proxy.url, "journal_path": tmp_path / "journal.db"} | overrides
    return fast_settings(sandbox, **values)


def landed(sandbox: SandboxServer) -> int:
    return sum(1 for r in requests_to(sandbox, "PATCH") if r.status == 200)


# --- 1. an API that keeps FAQ items in its own order: the revert restores nothing -------------------------


def _sorted(field: str, key: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """An API that stores the list `field` sorted by each item's `key`."""

    def transform(body: dict[str, Any]) -> dict[str, Any]:
        if isinstance(body.get(field), list):
            body[field] = sorted(body[field], key=lambda item: item[key])
        return body

    return transform


async def test_revert_of_an_faq_upsert_the_api_reordered_restores_the_items(
    sandbox: SandboxServer, proxy: HuntProxy, tmp_path: Path
) -> None:
    proxy.transform = _sorted("faq_items", "question")  # the API stores FAQ items sorted by question
    settings = via(proxy, sandbox, tmp_path)
    before = [i["question"] for i in stored(sandbox, RECEPTIONIST_ID)["faq_items"]]
    edit = {"op": "upsert", "list": "faq_items", "item": {"question": "Is there parking?", "answer": "Yes."}}
    async with mcp_client(settings) as client:
        result = await client.call_tool("update_assistant", {"id": RECEPTIONIST_ID, "edits": [edit]})
        assert not result.is_error, text_of(result)
        (row,) = await rows(settings)
        reverted = await client.call_tool("revert_change", {"change_id": row.change_id})
    now = [i["question"] for i in stored(sandbox, RECEPTIONIST_ID)["faq_items"]]
    assert "Is there parking?" not in now, f"revert answered {text_of(reverted)!r} but left the item: {now}"
    assert sorted(now) == sorted(before)


async def test_revert_of_a_reordered_list_that_accepts_null_does_not_wipe_it(
    sandbox: SandboxServer, proxy: HuntProxy, tmp_path: Path
) -> None:
    proxy.transform = _sorted("transfer_destinations", "label")  # the API keeps transfer destinations sorted by label
    settings = via(proxy, sandbox, tmp_path)
    before = stored(sandbox, RECEPTIONIST_ID)["transfer_destinations"]
    item = {"label": "Billing", "phone_number": "+33478000003"}
    edit = {"op": "upsert", "list": "transfer_destinations", "item": item}
    async with mcp_client(settings) as client:
        result = await client.call_tool("update_assistant", {"id": RECEPTIONIST_ID, "edits": [edit]})
        assert not result.is_error, text_of(result)
        (row,) = await rows(settings)
        reverted = await client.call_tool("revert_change", {"change_id": row.change_id})
    now = stored(sandbox, RECEPTIONIST_ID)["transfer_destinations"]
    assert now is not None, f"the revert wiped every transfer destination (it answered {text_of(reverted)!r})"
    assert sorted(d["label"] for d in now) == sorted(d["label"] for d in before)


# --- 2. an API that stores a normalised value: a landed write whose answer was lost is "did not land" -----


def _trimmed(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v.strip() if isinstance(v, str) else v for k, v in body.items()}


async def test_a_landed_write_the_api_normalised_is_not_called_did_not_land(
    sandbox: SandboxServer, proxy: HuntProxy, tmp_path: Path
) -> None:
    proxy.transform = _trimmed  # the API trims the texts it stores
    proxy.add(Rule("PATCH", PATH, "forward_then_drop", times=-1))  # it lands, the answer is lost
    settings = via(proxy, sandbox, tmp_path, write_grace_s=0.2, settle_wait_max_s=2.0)
    result = await update(settings, {"first_sentence": "Hello there "})
    text = text_of(result)
    assert stored(sandbox, SALES_QUALIFIER_ID)["first_sentence"] == "Hello there", "it landed"
    (row,) = await rows(settings)
    assert "safe to call again" not in text, f"told safe to call again about a write that landed: {text}"
    assert row.status != "failed", f"row says failed, the API holds the change: {row.status_reason}"


# --- 3. a gateway's 502 is taken as the API's own answer: the PATCH is sent again and lands late ---------


async def test_a_gateway_502_whose_upstream_finishes_later_does_not_overwrite_a_later_write(
    sandbox: SandboxServer, proxy: HuntProxy, tmp_path: Path
) -> None:
    # The gateway answers 502 at once (its upstream connection broke), the API still gets the PATCH 0.6 s later.
    late = proxy.add(Rule("PATCH", PATH, "status_then_deliver", status=502, delay_s=0.6))  # type: ignore[arg-type]
    settings = via(proxy, sandbox, tmp_path, write_grace_s=1.0, settle_wait_max_s=0.0)
    first = await update(settings, {"first_sentence": "First write"})
    second = await update(settings, {"first_sentence": "Second write"})
    with anyio.fail_after(10):
        await late.delivered.wait()
    now = stored(sandbox, SALES_QUALIFIER_ID)["first_sentence"]
    newest = (await rows(settings))[0]
    if second.is_error:  # refused while the first may still land: nothing went out over it
        assert "An earlier change to this assistant" in text_of(second) and now == "First write"
        return
    assert now == "Second write", (
        f"the first write's PATCH landed after the second: the API holds {now!r}, the journal's newest row is "
        f"{newest.status} {newest.body}; the agent was told {text_of(first)[:120]!r} then {text_of(second)[:80]!r}"
    )


# --- 4. a key rotation: a server on the new key does not see the old key's undecided write ------------------


async def test_a_server_on_a_rotated_key_waits_for_the_old_keys_undecided_write(
    sandbox: SandboxServer, proxy: HuntProxy, tmp_path: Path
) -> None:
    # One organization, one journal file, two keys (Claude Desktop still on the old one, Cursor on the new).
    held = proxy.add(Rule("PATCH", PATH, "hold", delay_s=0.8))
    old = via(proxy, sandbox, tmp_path, read_timeout_s=0.3, write_grace_s=2.0, settle_wait_max_s=0.0, api_key="old-key")
    new = via(proxy, sandbox, tmp_path, read_timeout_s=5.0, write_grace_s=2.0, settle_wait_max_s=5.0, api_key="new-key")
    assert (await update(old, {"first_sentence": "Old key's write"})).is_error  # undecided, still on its way
    result = await update(new, {"first_sentence": "New key's write"})
    assert not result.is_error, text_of(result)
    with anyio.fail_after(10):
        await held.delivered.wait()
    now = stored(sandbox, SALES_QUALIFIER_ID)["first_sentence"]
    assert now == "New key's write", f"the old key's undecided PATCH landed over the later write: {now!r}"


# --- 5. a partial re-read decides a write: "did not land" from an answer that lacks the field ---------------


def _without(name: str) -> Callable[[Any], Any]:
    return lambda answer: {k: v for k, v in answer.items() if k != name}


async def test_a_re_read_that_lacks_the_written_field_does_not_decide_did_not_land(
    sandbox: SandboxServer, proxy: HuntProxy, tmp_path: Path
) -> None:
    def partial_reads_from_now_on(body: dict[str, Any]) -> dict[str, Any]:
        if not any(r.method == "GET" for r in proxy.rules):
            proxy.add(Rule("GET", PATH, "mutate", mutate=_without("first_sentence"), times=-1))
        return body

    proxy.transform = partial_reads_from_now_on
    proxy.add(Rule("PATCH", PATH, "forward_then_status", status=500, times=-1))  # lands, answers 500
    settings = via(proxy, sandbox, tmp_path)
    text = text_of(await update(settings, {"first_sentence": "Landed"}))
    assert stored(sandbox, SALES_QUALIFIER_ID)["first_sentence"] == "Landed"
    (row,) = await rows(settings)
    assert "safe to call again" not in text, f"a read lacking first_sentence was taken as 'did not land': {text}"
    assert row.status != "failed", row.status_reason


# --- 6. a revert of a secret change inside a list item: "reverted", the new secret kept -----------------------


def _tool(token: str, description: str = "Look up a lead") -> dict[str, Any]:
    return {
        "name": "lookup_lead",
        "description": description,
        "method": "GET",
        "url": "https://crm.example.com/leads",
        "headers": [{"key": "Authorization", "value": token}],
        "query_params": [],
        "body_template": None,
        "input_schema": [],
    }


async def test_a_revert_of_a_short_secret_change_in_a_list_item_restores_it_or_refuses(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.store.update(SALES_QUALIFIER_ID, {"custom_tools": [_tool("tok-OLD-1")]})
    settings = fast_settings(sandbox, journal_path=tmp_path / "journal.db")
    async with mcp_client(settings) as client:
        args = {"id": SALES_QUALIFIER_ID, "patch": {"custom_tools": [_tool("tok-NEW-2")]}, "reason": "rotate"}
        result = await client.call_tool("update_assistant", args)
        assert not result.is_error, text_of(result)
        (row,) = await rows(settings)
        reverted = await client.call_tool("revert_change", {"change_id": row.change_id})
    token = stored(sandbox, SALES_QUALIFIER_ID)["custom_tools"][0]["headers"][0]["value"]
    assert reverted.is_error or token == "tok-OLD-1", (
        f"revert_change answered success ({text_of(reverted)[:160]!r}) but the tool still sends {token!r}"
    )


# --- 7. --no-journal: nothing remembers an undecided write, the next one goes out over it -------------------


async def test_without_a_journal_a_later_write_in_the_same_server_is_not_overwritten_by_an_undecided_one(
    sandbox: SandboxServer, proxy: HuntProxy, tmp_path: Path
) -> None:
    held = proxy.add(Rule("PATCH", PATH, "hold", delay_s=0.8))
    settings = via(
        proxy, sandbox, tmp_path, journal_path=None, read_timeout_s=0.3, write_grace_s=2.0, settle_wait_max_s=0
    )
    async with mcp_client(settings) as client:  # one server, one session: it knows the first write is undecided
        call = {"id": SALES_QUALIFIER_ID, "patch": {"first_sentence": "Undecided"}}
        first = await client.call_tool("update_assistant", call)
        assert first.is_error and "sent but not confirmed" in text_of(first)
        call = {"id": SALES_QUALIFIER_ID, "patch": {"first_sentence": "Later"}}
        second = await client.call_tool("update_assistant", call)
    with anyio.fail_after(10):
        await held.delivered.wait()
    now = stored(sandbox, SALES_QUALIFIER_ID)["first_sentence"]
    assert second.is_error or now == "Later", f"told {text_of(second)[:60]!r}, then the undecided PATCH landed: {now!r}"


# --- 8. an answer httpx cannot decode: "failed inside revox-mcp" about a write that landed -------------------


async def test_a_patch_answer_with_a_broken_encoding_is_an_api_fault_not_an_internal_one(
    sandbox: SandboxServer, proxy: HuntProxy, tmp_path: Path
) -> None:
    # It lands; the answer claims gzip and is not (a misconfigured gateway): httpx raises DecodingError.
    proxy.add(Rule("PATCH", PATH, "forward_then_status", status=200, headers={"content-encoding": "gzip"}))
    settings = via(proxy, sandbox, tmp_path)
    result = await update(settings, {"first_sentence": "Landed"})
    text = text_of(result)
    assert stored(sandbox, SALES_QUALIFIER_ID)["first_sentence"] == "Landed"
    (row,) = await rows(settings)
    assert "inside revox-mcp" not in text, f"row {row.status}, agent told: {text}"


# --- 9. a 200 PATCH answer that is another assistant is trusted ----------------------------------------------


async def test_a_patch_answer_about_another_assistant_is_not_trusted(
    sandbox: SandboxServer, proxy: HuntProxy, tmp_path: Path
) -> None:
    other = stored(sandbox, RECEPTIONIST_ID)

    def someone_else(answer: dict[str, Any]) -> dict[str, Any]:  # a cache or router mix-up
        return {"assistant": {**other, "first_sentence": answer["assistant"]["first_sentence"]}}

    proxy.add(Rule("PATCH", PATH, "mutate", mutate=someone_else))
    settings = via(proxy, sandbox, tmp_path)
    result = await update(settings, {"first_sentence": "Landed"})
    assert not result.is_error, text_of(result)
    answer = result.structured_content or {}
    assert answer.get("assistant_id") == SALES_QUALIFIER_ID, (
        f"the agent is told it changed {answer.get('assistant_id')}"
    )


# --- 10. Retry-After on a PATCH's 503 is ignored: the writer sends it again at once ---------------------------


async def test_a_patch_503_with_retry_after_is_sent_again_only_after_the_wait(
    sandbox: SandboxServer, proxy: HuntProxy, tmp_path: Path
) -> None:
    proxy.add(Rule("PATCH", PATH, "status", status=503, headers={"Retry-After": "1"}))
    settings = via(proxy, sandbox, tmp_path)
    started = anyio.current_time()
    result = await update(settings, {"first_sentence": "After the wait"})
    elapsed = anyio.current_time() - started
    assert not result.is_error, text_of(result)
    assert elapsed >= 0.9, f"the API asked for 1 s, the PATCH went again after {elapsed:.2f} s"


# --- 11. the journal fails while recording an undecided write: the agent is invited to try again -------------


async def test_a_journal_error_while_recording_an_undecided_write_still_says_do_not_send_again(
    sandbox: SandboxServer, proxy: HuntProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from revox_mcp.journal.sql import SqlJournal

    real = SqlJournal.settle

    async def flaky(self: SqlJournal, change_id: str, status: Any, after: Any, reason: str) -> None:
        if status == "pending":
            raise sqlite3.OperationalError("database is locked")
        await real(self, change_id, status, after, reason)

    monkeypatch.setattr(SqlJournal, "settle", flaky)
    held = proxy.add(Rule("PATCH", PATH, "hold", delay_s=0.8))
    settings = via(proxy, sandbox, tmp_path, read_timeout_s=0.3, write_grace_s=5.0, settle_wait_max_s=0.0)
    text = text_of(await update(settings, {"first_sentence": "Still on its way"}))
    with anyio.fail_after(10):
        await held.delivered.wait()
    assert "Do not send it again" in text or "not confirmed" in text, (
        f"a PATCH still on its way, and the agent is told: {text!r} (get_assistant shows it has not landed yet)"
    )


# --- 12. an old release's pending row: its second-precision time is migrated, then its grace ends early ------


async def test_a_migrated_second_precision_row_still_gets_the_rounded_up_send_time(tmp_path: Path) -> None:
    import sqlite3
    from datetime import UTC, datetime, timedelta

    from revox_mcp.journal.sqlite import _SCHEMA, SqliteJournal
    from revox_mcp.settling import sent_at

    path = tmp_path / "journal.db"
    db = sqlite3.connect(path)
    db.executescript(_SCHEMA)  # the first release's table: no sent_at, times to the second
    db.execute(
        "INSERT INTO changes (change_id, scope, created_at, assistant_id, status, fields, patch, edits, body, before) "
        "VALUES ('chg_old', 's', '2026-12-02T12:00:05Z', 'a', 'pending', '[]', '{}', '[]', '{}', '{}')"
    )
    db.commit()
    db.close()
    journal = SqliteJournal(path, "s")
    await journal.open()
    try:
        (entry,) = await journal.pending("a")
    finally:
        await journal.aclose()
    # Written at some moment within 12:00:05 (its PATCH went after): no grace may be counted from before 12:00:06.
    earliest = datetime(2026, 12, 2, 12, 0, 6, tzinfo=UTC)
    assert sent_at(entry) >= earliest, f"created_at {entry.created_at!r} counted from {sent_at(entry)}: up to 1 s early"
    assert timedelta(0) <= sent_at(entry) - earliest


# --- 13. no deadline on a request: an answer trickled byte by byte holds the write (and its lock) for ever ----


async def test_a_trickled_patch_answer_does_not_hold_the_write_unbounded(
    sandbox: SandboxServer, proxy: HuntProxy, tmp_path: Path
) -> None:
    proxy.add(Rule("PATCH", PATH, "trickle", delay_s=0.1))  # type: ignore[arg-type]
    # Each byte comes well within the read timeout; the whole answer (a few KB) would take minutes.
    settings = via(proxy, sandbox, tmp_path, connect_timeout_s=0.5, read_timeout_s=0.5, write_grace_s=1.5)
    with anyio.move_on_after(5) as scope:
        result = await update(settings, {"first_sentence": "Trickled"})
    assert not scope.cancelled_caught, (
        "update_assistant still waiting after 5 s (connect 0.5 s + read 0.5 s timeouts, grace 1.5 s): no deadline"
    )
    assert "safe to call again" not in text_of(result)


# --- 14. a row is settled with the settler's grace, not its sender's -----------------------------------------


async def test_a_row_is_decided_with_its_senders_grace_not_a_shorter_one_of_another_server(
    sandbox: SandboxServer, proxy: HuntProxy, tmp_path: Path
) -> None:
    # Two servers on one journal file; the first runs with longer timeouts (REVOX_MCP_READ_TIMEOUT_S, say), so
    # its PATCH may still land for longer than the second server's own grace.
    held = proxy.add(Rule("PATCH", PATH, "hold", delay_s=1.2))
    slow = via(proxy, sandbox, tmp_path, read_timeout_s=0.3, write_grace_s=3.0, settle_wait_max_s=0.0)
    quick = via(proxy, sandbox, tmp_path, read_timeout_s=5.0, write_grace_s=0.3, settle_wait_max_s=5.0)
    assert (await update(slow, {"first_sentence": "Slow server's write"})).is_error  # undecided for 3 s
    await anyio.sleep(0.4)
    result = await update(quick, {"first_sentence": "Quick server's write"})
    with anyio.fail_after(10):
        await held.delivered.wait()
    now = stored(sandbox, SALES_QUALIFIER_ID)["first_sentence"]
    later, earlier = await rows(quick)
    assert now == "Quick server's write", (
        f"the first row was decided {earlier.status} ({earlier.status_reason}) with the second server's 0.3 s "
        f"grace; the second write ({later.status}, told {text_of(result)[:40]!r}) was then overwritten: {now!r}"
    )


# --- 15. a write cancelled before its PATCH left blocks the next write as "sent, may still land" ---------------


async def test_a_write_cancelled_before_its_patch_was_sent_does_not_block_the_next_one(
    sandbox: SandboxServer, proxy: HuntProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from revox_mcp.journal.sql import SqlJournal

    real = SqlJournal.begin

    async def slow_begin(self: SqlJournal, **fields: Any) -> str:
        change_id = await real(self, **fields)
        await anyio.sleep(0.5)  # a slow disk, a busy journal: the row is written, the PATCH not yet sent
        return change_id

    monkeypatch.setattr(SqlJournal, "begin", slow_begin)
    settings = via(proxy, sandbox, tmp_path, write_grace_s=5.0, settle_wait_max_s=0.0)
    async with mcp_client(settings) as client:
        with anyio.move_on_after(0.3):
            await client.call_tool("update_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"first_sentence": "X"}})
    assert not any(m == "PATCH" for m, _, _ in proxy.seen), "nothing was sent"
    monkeypatch.setattr(SqlJournal, "begin", real)
    result = await update(settings, {"first_sentence": "The next write"})
    assert not result.is_error, f"refused over a write that was never sent: {text_of(result)}"


# --- 16. list_changes (a read) blocks behind a write waiting for an undecided one ----------------------------


async def test_list_changes_answers_while_another_write_waits_for_an_undecided_one(
    sandbox: SandboxServer, proxy: HuntProxy, tmp_path: Path
) -> None:
    held = proxy.add(Rule("PATCH", PATH, "hold", delay_s=2.5))
    first = via(proxy, sandbox, tmp_path, read_timeout_s=0.3, write_grace_s=3.0, settle_wait_max_s=0.0)
    waiting = via(proxy, sandbox, tmp_path, read_timeout_s=5.0, write_grace_s=3.0, settle_wait_max_s=10.0)
    assert (await update(first, {"first_sentence": "Undecided"})).is_error
    async with mcp_client(first) as client, anyio.create_task_group() as tasks:  # another server, only reading
        tasks.start_soon(update, waiting, {"first_sentence": "Waits for it"})
        await anyio.sleep(0.3)  # that write holds the assistant's lock while it waits
        started = anyio.current_time()
        listed = await client.call_tool("list_changes", {})
        took = anyio.current_time() - started
    with anyio.fail_after(10):
        await held.delivered.wait()
    assert not listed.is_error, text_of(listed)
    assert took < 1.0, f"list_changes, a read, waited {took:.1f} s for another session's write to finish"


# --- 17. a PATCH sent again after its grace is the body built from the first read: an edit made meanwhile is lost


async def test_a_resend_after_a_re_read_does_not_undo_an_edit_made_meanwhile(
    sandbox: SandboxServer, proxy: HuntProxy, tmp_path: Path
) -> None:
    path = f"/assistants/{RECEPTIONIST_ID}"
    proxy.add(Rule("PATCH", path, "reset"))  # not delivered: decided "did not land" after the grace, then sent again
    settings = via(proxy, sandbox, tmp_path, write_grace_s=1.0, settle_wait_max_s=5.0)
    edit = {"op": "upsert", "list": "faq_items", "item": {"question": "Is there parking?", "answer": "Yes."}}

    async def outside_edit() -> None:  # someone edits another FAQ answer in the Revox dashboard meanwhile
        await _until_seen(proxy, "PATCH")
        items = stored(sandbox, RECEPTIONIST_ID)["faq_items"]
        items[0] = {**items[0], "answer": "Edited in the dashboard"}
        sandbox.store.update(RECEPTIONIST_ID, {"faq_items": items})

    async with mcp_client(settings) as client, anyio.create_task_group() as tasks:
        tasks.start_soon(outside_edit)
        result = await client.call_tool("update_assistant", {"id": RECEPTIONIST_ID, "edits": [edit]})
    assert not result.is_error, text_of(result)
    answers = [i["answer"] for i in stored(sandbox, RECEPTIONIST_ID)["faq_items"]]
    assert "Edited in the dashboard" in answers, (
        f"the resend (built from the read before the first attempt) overwrote the dashboard's edit, and the agent "
        f"was told {text_of(result)[:200]!r}"
    )


async def _until_seen(proxy: FaultProxy, method: str) -> None:
    with anyio.fail_after(10):
        while not any(m == method for m, _, _ in proxy.seen):
            await anyio.sleep(0.01)


# --- 18. x-should-retry: false on a PATCH's 5xx is not honoured: the writer sends it again itself -------------


async def test_x_should_retry_false_on_a_patch_5xx_is_honoured(
    sandbox: SandboxServer, proxy: HuntProxy, tmp_path: Path
) -> None:
    proxy.add(Rule("PATCH", PATH, "status", status=503, headers={"x-should-retry": "false"}, times=-1))
    settings = via(proxy, sandbox, tmp_path)
    result = await update(settings, {"first_sentence": "Once"})
    sent = [a for m, _, a in proxy.seen if m == "PATCH"]
    assert result.is_error
    assert len(sent) == 1, f"the API said x-should-retry: false, the PATCH was sent {len(sent)} times"


# --- 19. a pending row is settled masked: a secret change that never landed is "applied" ----------------------


async def test_a_pending_secret_rotation_that_never_landed_is_not_settled_as_applied(
    sandbox: SandboxServer, proxy: HuntProxy, tmp_path: Path
) -> None:
    sandbox.store.update(SALES_QUALIFIER_ID, {"custom_tools": [_tool("tok-OLD-1")]})
    proxy.add(Rule("PATCH", PATH, "reset"))  # never delivered; the writer cannot tell, so the row stays pending
    settings = via(proxy, sandbox, tmp_path, write_grace_s=0.5, settle_wait_max_s=0.0)
    result = await update(settings, {"custom_tools": [_tool("tok-NEW-2")]})
    assert result.is_error and "not confirmed" in text_of(result), text_of(result)
    await anyio.sleep(0.6)  # its grace has passed: the next look decides it
    async with mcp_client(settings) as client:
        await client.call_tool("list_changes", {})
    (row,) = await rows(settings)
    token = stored(sandbox, SALES_QUALIFIER_ID)["custom_tools"][0]["headers"][0]["value"]
    assert token == "tok-OLD-1", "it did not land"
    assert row.status == "failed", f"the row says {row.status} ({row.status_reason}); the API still holds {token!r}"


# --- held: kill -9 of a server while its write waits for an undecided one -------------------------------------


async def test_held_a_server_killed_while_waiting_for_an_undecided_write_leaves_nothing_behind(
    sandbox: SandboxServer, proxy: HuntProxy, tmp_path: Path
) -> None:
    from tests.test_edges import _serve, _start_update

    held = proxy.add(Rule("PATCH", PATH, "hold", delay_s=3.0))
    journal = tmp_path / "revox-mcp" / "journal.db"
    first = via(proxy, sandbox, tmp_path, journal_path=journal, read_timeout_s=0.3, write_grace_s=4.0,
                settle_wait_max_s=0.0)  # fmt: skip
    assert (await update(first, {"first_sentence": "Undecided"})).is_error
    process = _serve(first, tmp_path, 4.0)  # waits (its default budget) for the undecided write
    try:
        # In a thread: the proxy runs on this event loop, and the server reads through it while starting.
        await anyio.to_thread.run_sync(_start_update, process, {"first_sentence": "Killed while waiting"})
        await anyio.sleep(0.3)
        assert not held.delivered.is_set(), "killed while it still waits"
    finally:
        process.kill()
        process.wait(timeout=10)
    later = via(proxy, sandbox, tmp_path, journal_path=journal, write_grace_s=4.0, settle_wait_max_s=8.0)
    result = await update(later, {"first_sentence": "After the kill"})
    assert not result.is_error, text_of(result)
    assert held.delivered.is_set()
    assert stored(sandbox, SALES_QUALIFIER_ID)["first_sentence"] == "After the kill"
    assert [r.status for r in await rows(later)] == ["applied", "applied"]


# --- 20. a read whose edited list is not a list is taken as empty: the upsert wipes the stored items ----------


@pytest.mark.parametrize("odd", ["oops", 7, {"question": "q"}], ids=repr)
async def test_an_edit_on_a_read_whose_list_is_not_a_list_does_not_wipe_the_stored_items(
    sandbox: SandboxServer, proxy: HuntProxy, tmp_path: Path, odd: Any
) -> None:
    before = [i["question"] for i in stored(sandbox, RECEPTIONIST_ID)["faq_items"]]
    proxy.add(Rule("GET", f"/assistants/{RECEPTIONIST_ID}", "mutate", mutate=lambda a: {**a, "faq_items": odd}))
    edit = {"op": "upsert", "list": "faq_items", "item": {"question": "Is there parking?", "answer": "Yes."}}
    async with mcp_client(via(proxy, sandbox, tmp_path)) as client:
        result = await client.call_tool("update_assistant", {"id": RECEPTIONIST_ID, "edits": [edit]})
    now = [i["question"] for i in stored(sandbox, RECEPTIONIST_ID)["faq_items"]]
    assert set(before) <= set(now), f"a read holding faq_items={odd!r} wiped {before} (told {text_of(result)[:90]!r})"


# --- held: a merge into an object a partial read left out does not replace the stored object ---------------


@pytest.mark.parametrize(
    ("name", "part"),
    [("voice", {"speed": 1.1}), ("call_retry_config", {"call_twice_in_a_row": True}),
     ("stt_context", {"terms": ["couronne"]})],
    ids=["voice", "call_retry_config", "stt_context"],
)  # fmt: skip
async def test_held_a_merge_into_an_object_a_partial_read_lacks_does_not_replace_it(
    sandbox: SandboxServer, proxy: HuntProxy, tmp_path: Path, name: str, part: dict[str, Any]
) -> None:
    before = stored(sandbox, RECEPTIONIST_ID)[name]
    proxy.add(Rule("GET", f"/assistants/{RECEPTIONIST_ID}", "mutate", mutate=_without(name)))
    async with mcp_client(via(proxy, sandbox, tmp_path)) as client:
        result = await client.call_tool("update_assistant", {"id": RECEPTIONIST_ID, "patch": {name: part}})
    now = stored(sandbox, RECEPTIONIST_ID)[name]
    kept = {k: v for k, v in before.items() if k not in part}
    assert all(now.get(k) == v for k, v in kept.items()), (
        f"{name} was {before}, a read without it merged {part} into nothing: now {now} (told {text_of(result)[:80]!r})"
    )


# --- 21. one journal file under two names (a symlink): servers on it do not exclude each other -------------


async def test_servers_on_one_journal_file_reached_by_two_paths_exclude_each_other(
    sandbox: SandboxServer, proxy: HuntProxy, tmp_path: Path
) -> None:
    real = tmp_path / "state" / "journal.db"
    real.parent.mkdir()
    (tmp_path / "linked.db").symlink_to(real)  # one client configured with --journal pointing at a symlink
    path = f"/assistants/{RECEPTIONIST_ID}"
    proxy.add(Rule("PATCH", path, "hold", delay_s=0.6))  # A's PATCH takes a while; B must wait for A's lock
    a = via(proxy, sandbox, tmp_path, journal_path=real)
    b = via(proxy, sandbox, tmp_path, journal_path=tmp_path / "linked.db")

    async def upsert(settings: Settings, question: str) -> None:
        edit = {"op": "upsert", "list": "faq_items", "item": {"question": question, "answer": "Yes."}}
        async with mcp_client(settings) as client:
            result = await client.call_tool("update_assistant", {"id": RECEPTIONIST_ID, "edits": [edit]})
        assert not result.is_error, text_of(result)

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(upsert, a, "Is there parking?")
        await _until_seen(proxy, "PATCH")
        tasks.start_soon(upsert, b, "Do you open on Saturdays?")
    questions = [i["question"] for i in stored(sandbox, RECEPTIONIST_ID)["faq_items"]]
    assert {"Is there parking?", "Do you open on Saturdays?"} <= set(questions), f"an item was lost: {questions}"
