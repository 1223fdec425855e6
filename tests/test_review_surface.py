"""Adversarial review of the surface added for issue 23 (creates, clones, numbers, campaigns, call actions, the
journal actions core, tool families), from outside: a real MCP client, the sandbox over HTTP, the fault proxy.

Each finding still real is a test marked xfail(strict=True, reason="review: ..."): the suite stays green while it
holds, and turns red the day it is fixed (then the mark goes). Tests without the mark hold today and guard it.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPError

from revox_mcp.config import API_KEY_ENV, BASE_URL_ENV, WRITE_GRACE_ENV, Settings
from revox_mcp.journal import JournalEntry, open_journal
from revox_mcp.policy import Policy
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.campaigns import MARCH_ID
from revox_mcp.sandbox.seed import RECEPTIONIST_ID, SALES_QUALIFIER_ID
from revox_mcp.schemas import body_schema
from revox_mcp.server import build_server
from tests.conftest import add_fault, fast_settings, mcp_client, requests_to, text_of
from tests.fault_proxy import FaultProxy, Rule

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(120)]


async def ok(client: Client, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, text_of(result)
    assert result.structured_content is not None
    return dict(result.structured_content)


async def journal_rows(settings: Settings) -> list[JournalEntry]:
    journal = await open_journal(settings)
    try:
        return (await journal.page(None, 1, 100))[0]
    finally:
        await journal.aclose()


def auth(sandbox: SandboxServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {sandbox.api_key}"}


def campaign_status(sandbox: SandboxServer, campaign_id: str) -> str:
    found = sandbox.app.state.campaigns.get(campaign_id)
    assert found is not None
    return str(found["status"])


def call_status(sandbox: SandboxServer, call_id: str) -> str:
    answer = httpx.get(f"{sandbox.url}/call/{call_id}", headers=auth(sandbox))
    answer.raise_for_status()
    return str(answer.json()["call"]["status"])


@pytest.fixture
def journalled(sandbox: SandboxServer, tmp_path: Path) -> Settings:
    return fast_settings(sandbox, journal_path=tmp_path / "journal.db")


@pytest.fixture
async def proxy(sandbox: SandboxServer) -> AsyncIterator[FaultProxy]:
    async with FaultProxy(sandbox.url) as running:
        yield running


# --- a lost create or clone: whose assistant is it? -------------------------------------------------------------


async def test_a_lost_create_does_not_claim_an_assistant_someone_else_created(
    sandbox: SandboxServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    settings = fast_settings(sandbox, base_url=proxy.url, journal_path=tmp_path / "journal.db")
    foreign: dict[str, Any] = {}

    def someone_else_creates(listing: dict[str, Any]) -> dict[str, Any]:
        # Another agent (another server, the Revox UI) makes an assistant of the same name while our POST is lost.
        if foreign or not any(method == "POST" for method, _, _ in proxy.seen):
            return listing
        made = httpx.post(
            f"{sandbox.url}/assistants", json={"name": "Night line", "prompt": "theirs"}, headers=auth(sandbox)
        )
        made.raise_for_status()
        foreign.update(made.json()["assistant"])
        return {**listing, "assistants": [*listing["assistants"], dict(foreign)]}

    proxy.add(Rule("GET", "/assistants", "mutate", times=-1, mutate=someone_else_creates))
    proxy.add(Rule("POST", "/assistants", "reset"))  # ours never reaches the API
    async with mcp_client(settings) as client:
        result = await client.call_tool("create_assistant", {"assistant": {"name": "Night line", "prompt": "ours"}})
        claimed = (result.structured_content or {}).get("assistant_id")
        if not result.is_error and claimed:
            await client.call_tool("revert_change", {"change_id": (result.structured_content or {})["change_id"]})
    assert foreign and proxy.landed["POST"] == 0
    assert claimed != foreign["id"], text_of(result)
    assert sandbox.store.get(foreign["id"]) is not None, "our revert deleted the other agent's assistant"


async def test_a_lost_clone_does_not_patch_a_copy_someone_else_made(
    sandbox: SandboxServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    settings = fast_settings(sandbox, base_url=proxy.url, journal_path=tmp_path / "journal.db")
    foreign: dict[str, Any] = {}

    def someone_else_clones(listing: dict[str, Any]) -> dict[str, Any]:
        if foreign or not any(method == "POST" for method, _, _ in proxy.seen):
            return listing
        made = httpx.post(f"{sandbox.url}/assistants/{SALES_QUALIFIER_ID}/clone", headers=auth(sandbox))
        made.raise_for_status()
        foreign.update(made.json()["assistant"])
        return {**listing, "assistants": [*listing["assistants"], dict(foreign)]}

    proxy.add(Rule("GET", "/assistants", "mutate", times=-1, mutate=someone_else_clones))
    proxy.add(Rule("POST", f"/assistants/{SALES_QUALIFIER_ID}/clone", "reset"))
    async with mcp_client(settings) as client:
        result = await client.call_tool(
            "clone_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"first_sentence": "Ours, not theirs."}}
        )
    assert foreign and proxy.landed["POST"] == 0
    assert (result.structured_content or {}).get("assistant_id") != foreign["id"], text_of(result)
    assert sandbox.store.get(foreign["id"])["first_sentence"] != "Ours, not theirs."  # type: ignore[index]


# --- reverts of actions: what they may undo ----------------------------------------------------------------------


async def test_reverting_a_pause_again_does_not_undo_a_later_pause(
    sandbox: SandboxServer, journalled: Settings
) -> None:
    async with mcp_client(journalled) as client:
        first = await ok(client, "pause_campaign", {"id": MARCH_ID, "reason": "tonight"})
        await ok(client, "revert_change", {"change_id": first["change_id"]})
        assert campaign_status(sandbox, MARCH_ID) == "running"
        await ok(client, "pause_campaign", {"id": MARCH_ID, "reason": "another agent: the list is wrong, stop it"})
        again = await client.call_tool("revert_change", {"change_id": first["change_id"]})
    assert campaign_status(sandbox, MARCH_ID) == "paused", text_of(again)


async def test_reverting_a_call_pause_again_does_not_undo_a_later_pause(
    sandbox: SandboxServer, journalled: Settings
) -> None:
    async with mcp_client(journalled) as client:
        first = await ok(client, "pause_call", {"id": "call_queued_01"})
        await ok(client, "revert_change", {"change_id": first["change_id"]})
        assert call_status(sandbox, "call_queued_01") != "paused"
        await ok(client, "pause_call", {"id": "call_queued_01", "reason": "another agent: the patient asked"})
        again = await client.call_tool("revert_change", {"change_id": first["change_id"]})
    assert call_status(sandbox, "call_queued_01") == "paused", text_of(again)


async def test_a_server_without_the_campaigns_family_cannot_resume_a_campaign_by_revert(
    sandbox: SandboxServer, journalled: Settings
) -> None:
    async with mcp_client(journalled) as full:
        paused = await ok(full, "pause_campaign", {"id": MARCH_ID})
    assistants_only = Policy.load(env={}, known=body_schema(), tools="assistants")
    async with mcp_client(journalled, server=build_server(journalled, assistants_only)) as client:
        listed = {t.name for t in (await client.list_tools()).tools}
        assert "resume_campaign" not in listed and "revert_change" in listed
        result = await client.call_tool("revert_change", {"change_id": paused["change_id"]})
    assert campaign_status(sandbox, MARCH_ID) == "paused", text_of(result)
    assert result.is_error


async def test_a_server_without_the_numbers_family_cannot_route_a_number_by_revert(
    sandbox: SandboxServer, journalled: Settings
) -> None:
    def inbound_of(number: dict[str, Any]) -> Any:
        # The sandbox's own state keeps the assistant's id (its answers carry the assistant object).
        found = number.get("inbound_assistant")
        return found.get("id") if isinstance(found, dict) else found

    numbers = {n["id"]: n for n in sandbox.app.state.sandbox.phone_numbers}
    before = inbound_of(numbers["pn_01"])
    target = SALES_QUALIFIER_ID if before != SALES_QUALIFIER_ID else None
    async with mcp_client(journalled) as full:
        routed = await ok(full, "update_phone_number", {"id": "pn_01", "inbound_assistant_id": target or ""})
    assistants_only = Policy.load(env={}, known=body_schema(), tools="assistants")
    async with mcp_client(journalled, server=build_server(journalled, assistants_only)) as client:
        result = await client.call_tool("revert_change", {"change_id": routed["change_id"]})
    now = {n["id"]: n for n in sandbox.app.state.sandbox.phone_numbers}["pn_01"]
    assert inbound_of(now) == target, text_of(result)


async def test_a_revert_answer_shows_only_what_the_revert_changes(sandbox: SandboxServer, journalled: Settings) -> None:
    async with mcp_client(journalled) as client:
        paused = await ok(client, "pause_campaign", {"id": MARCH_ID})
        dry = await ok(client, "revert_change", {"change_id": paused["change_id"], "dry_run": True})
        done = await ok(client, "revert_change", {"change_id": paused["change_id"]})
    # The campaign keeps its name: an answer saying name -> null tells the agent something that did not happen.
    for answer in (dry, done):
        assert [c["path"] for c in answer["changes"]] == ["status"], answer["changes"]


# --- a re-read that lacks a field is not an empty field ----------------------------------------------------------


async def test_a_resume_never_delivered_is_not_applied_when_the_re_read_lacks_status(
    sandbox: SandboxServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    settings = fast_settings(sandbox, base_url=proxy.url, journal_path=tmp_path / "journal.db")

    def without_status(answer: dict[str, Any]) -> dict[str, Any]:
        if not any(method == "POST" for method, _, _ in proxy.seen):
            return answer
        return {**answer, "call": {k: v for k, v in answer["call"].items() if k != "status"}}

    proxy.add(Rule("GET", "/call/call_paused_01", "mutate", times=-1, mutate=without_status))
    proxy.add(Rule("POST", "/call/call_paused_01/resume", "reset"))
    async with mcp_client(settings) as client:
        result = await client.call_tool("resume_call", {"id": "call_paused_01"})
    assert proxy.landed["POST"] == 0 and call_status(sandbox, "call_paused_01") == "paused"
    rows = [r for r in await journal_rows(settings) if r.kind == "resume_call"]
    assert rows and rows[0].status != "applied", (rows[0].status, rows[0].status_reason, text_of(result))
    assert "resumed" not in text_of(result).split("\n")[0], text_of(result)


async def test_a_phone_history_answer_without_its_field_is_not_an_empty_history(
    sandbox: SandboxServer, proxy: FaultProxy
) -> None:
    settings = fast_settings(sandbox, base_url=proxy.url)
    async with mcp_client(settings) as client:
        whole = await ok(client, "get_phone_history", {"limit": 1})
        number = whole["numbers"][0]["phone_number"]
        proxy.add(Rule("GET", "/calls/phone-history", "mutate", mutate=lambda answer: {}))
        result = await client.call_tool("get_phone_history", {"phone_numbers": [number]})
    answer = result.structured_content or {}
    # Telling an agent a number was never called (it may be do-not-contact) on a read that said nothing is wrong.
    assert result.is_error or number not in answer.get("never_called", []), text_of(result)


# --- a create's memory of same-named assistants ------------------------------------------------------------------


async def test_a_lost_create_among_many_same_named_assistants_claims_none_of_them(
    sandbox: SandboxServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    with httpx.Client(base_url=sandbox.url, headers=auth(sandbox)) as http:
        olds = [
            http.post("/assistants", json={"name": "Front desk", "prompt": f"site {i}"}).json()["assistant"]["id"]
            for i in range(201)
        ]
    settings = fast_settings(sandbox, base_url=proxy.url, journal_path=tmp_path / "journal.db")
    proxy.add(Rule("POST", "/assistants", "reset"))  # never reaches the API
    async with mcp_client(settings) as client:
        result = await client.call_tool("create_assistant", {"assistant": {"name": "Front desk", "prompt": "p"}})
        claimed = (result.structured_content or {}).get("assistant_id")
        if not result.is_error and claimed:
            await client.call_tool("revert_change", {"change_id": (result.structured_content or {})["change_id"]})
    assert proxy.landed["POST"] == 0
    assert claimed not in olds, text_of(result)
    assert all(sandbox.store.get(i) is not None for i in olds)


# --- secrets through creates and clones --------------------------------------------------------------------------

TOKEN = "tok-live-0123456789abcdef"


def crm_tool(value: str, description: str = "Look up a lead.") -> dict[str, Any]:
    return {"name": "crm", "description": description, "method": "GET", "url": "https://crm.example/leads",
            "headers": [{"key": "X-Webhook-Pass", "value": value}], "query_params": [], "body_template": None,
            "input_schema": []}  # fmt: skip


async def test_a_clone_patch_sending_back_the_sources_mask_keeps_the_sources_secret(
    sandbox: SandboxServer, journalled: Settings
) -> None:
    sandbox.store.update(SALES_QUALIFIER_ID, {"custom_tools": [crm_tool(TOKEN)]})
    async with mcp_client(journalled) as client:
        read = await ok(client, "get_assistant", {"id": SALES_QUALIFIER_ID, "fields": ["custom_tools"]})
        shown = read["assistant"]["custom_tools"]
        masked = shown[0]["headers"][0]["value"]
        assert TOKEN not in str(shown)
        patch = {"custom_tools": [{**shown[0], "description": "Look up a lead (copy)."}]}
        results = [await client.call_tool("clone_assistant", {"id": SALES_QUALIFIER_ID, "patch": patch, **extra})
                   for extra in ({"dry_run": True}, {"reason": "a copy to try the CRM tool"})]  # fmt: skip
        made = results[1].structured_content or {}
        listed = await client.call_tool("list_changes", {"assistant_id": made["assistant_id"]})
    copy_id = made["assistant_id"]
    assert all(not r.is_error for r in results), [text_of(r) for r in results]
    assert sandbox.store.get(copy_id)["custom_tools"][0]["headers"][0]["value"] == TOKEN  # type: ignore[index]
    assert sandbox.store.get(copy_id)["custom_tools"][0]["description"] == "Look up a lead (copy)."  # type: ignore[index]
    for result in [*results, listed]:
        assert TOKEN not in text_of(result) and TOKEN not in str(result.structured_content)
    for row in await journal_rows(journalled):
        assert TOKEN not in str(row), row
    assert masked != TOKEN


async def test_a_create_with_a_masked_secret_says_it_is_written_as_the_mask(
    sandbox: SandboxServer, settings: Settings
) -> None:
    sandbox.store.update(SALES_QUALIFIER_ID, {"custom_tools": [crm_tool(TOKEN)]})
    async with mcp_client(settings) as client:
        read = await ok(client, "get_assistant", {"id": SALES_QUALIFIER_ID, "fields": ["custom_tools"]})
        shown = read["assistant"]["custom_tools"]
        result = await client.call_tool(
            "create_assistant", {"assistant": {"name": "By hand", "prompt": "p", "custom_tools": shown}}
        )
    assert result.is_error or "shape of a masked secret" in text_of(result), text_of(result)


async def test_a_clone_reason_quoting_the_secret_is_masked_in_every_row(
    sandbox: SandboxServer, journalled: Settings
) -> None:
    sandbox.store.update(SALES_QUALIFIER_ID, {"custom_tools": [crm_tool(TOKEN)]})
    async with mcp_client(journalled) as client:
        patch = {"custom_tools": [crm_tool(TOKEN, "Look up a lead (copy).")]}
        made = await ok(client, "clone_assistant", {"id": SALES_QUALIFIER_ID, "patch": patch, "reason": f"key {TOKEN}"})
        listed = await client.call_tool("list_changes", {"assistant_id": made["assistant_id"]})
    rows = await journal_rows(journalled)
    assert [r.kind for r in rows[:2]] == ["update", "clone_assistant"]
    assert TOKEN not in str(rows[0].reason), "the update row masks it"
    assert TOKEN not in text_of(listed) and TOKEN not in str(rows[1].reason)


async def test_without_a_journal_no_answer_names_a_revert_of_none(sandbox: SandboxServer, settings: Settings) -> None:
    async with mcp_client(settings) as client:
        made = await client.call_tool("create_assistant", {"assistant": {"name": "No journal", "prompt": "p"}})
        copied = await client.call_tool("clone_assistant", {"id": SALES_QUALIFIER_ID})
    for result in (made, copied):
        assert not result.is_error and "revert_change None" not in text_of(result), text_of(result)


# --- bounds: hostile sizes and shapes from the API --------------------------------------------------------------

CEILING = 16_384


def within(result: Any) -> dict[str, Any]:
    """The answer is whole: no error, its text and its structuredContent each within the ceiling."""
    assert not result.is_error, text_of(result)[:2000]
    structured = result.structured_content
    assert structured is not None and text_of(result).strip()
    assert len(text_of(result).encode()) <= CEILING
    assert len(json.dumps(structured, separators=(",", ":")).encode()) <= CEILING
    return dict(structured)


ROW = {"id": "row", "row_index": 1.0, "phone_number": "+14155550123", "input_data": {"first_name": "A" * 50},
       "call": {"id": "c", "status": "completed", "calls_count": 2.0, "outcome": "interested"}}  # fmt: skip
ROWS = {"rows": [{**ROW, "id": f"row_{i}", "row_index": float(i)} for i in range(100_000)]}


async def test_a_campaign_of_100k_rows_answers_bounded_pages_to_the_last_row(
    sandbox: SandboxServer, proxy: FaultProxy
) -> None:
    settings = fast_settings(sandbox, base_url=proxy.url, max_answer_bytes=CEILING)
    proxy.add(Rule("GET", f"/campaigns/{MARCH_ID}/rows", "mutate", times=-1, mutate=lambda _: ROWS))
    async with mcp_client(settings) as client:
        first = within(await client.call_tool("get_campaign", {"id": MARCH_ID, "rows": True, "row_limit": 100}))
        last = within(await client.call_tool("get_campaign", {"id": MARCH_ID, "rows": True, "row_offset": 99_990}))
    assert first["rows_total"] == 100_000 and first["rows"] and first["next_row_offset"] == len(first["rows"])
    assert [r["row_id"] for r in last["rows"]] == [f"row_{i}" for i in range(99_990, 100_000)]
    assert last["next_row_offset"] is None


def bloated(answer: dict[str, Any]) -> dict[str, Any]:
    """Statistics of a campaign whose outcomes are free text: 20,000 distinct outcomes, effort keys, hot ones."""
    stats = dict(answer.get("statistics") or {})
    stats["outcome_breakdown"] = [{"outcome": f"o{i}", "count": 1.0} for i in range(20_000)]
    stats["effort"] = {f"e{i}": 1.0 for i in range(20_000)}
    stats["hot_lead_outcomes"] = [f"h{i}" for i in range(20_000)]
    return {**answer, "statistics": stats}


async def test_large_statistics_never_make_a_rows_page_skip_rows(sandbox: SandboxServer, proxy: FaultProxy) -> None:
    settings = fast_settings(sandbox, base_url=proxy.url, max_answer_bytes=CEILING)
    proxy.add(Rule("GET", f"/campaigns/{MARCH_ID}/statistics", "mutate", times=-1, mutate=bloated))
    async with mcp_client(settings) as client:
        answer = within(await client.call_tool("get_campaign", {"id": MARCH_ID, "rows": True, "row_offset": 3}))
    # Reading on from next_row_offset must not pass over rows this answer did not show.
    assert answer["next_row_offset"] == 3 + len(answer["rows"]), (answer["rows"], answer.get("over_ceiling"))


async def test_a_phone_history_of_100k_numbers_answers_a_bounded_page(
    sandbox: SandboxServer, proxy: FaultProxy
) -> None:
    settings = fast_settings(sandbox, base_url=proxy.url, max_answer_bytes=CEILING)
    entry = {"count": 3.0, "last_called_at": "2026-11-01T10:00:00Z", "last_outcome": "interested",
             "reached_human": True, "hot": False, "do_not_contact": False,
             "campaigns": [{"id": "camp_1", "name": "x"}]}  # fmt: skip
    history = {"phone_history": {f"+1415{i:07d}": entry for i in range(100_000)}}
    proxy.add(Rule("GET", "/calls/phone-history", "mutate", times=-1, mutate=lambda _: history))
    async with mcp_client(settings) as client:
        page = within(await client.call_tool("get_phone_history", {"limit": 100}))
        asked = within(await client.call_tool("get_phone_history", {"phone_numbers": ["+14150000001"]}))
    assert page["total"] == 100_000 and page["numbers"] and page["next_offset"] is not None
    assert asked["numbers"][0]["phone_number"] == "+14150000001"


@pytest.mark.parametrize(
    "odd",
    [
        {"outcome_breakdown": 5},
        {"data_extraction": {"fields": {"a": 1}}},
        {"leads": {"interested": {"a": 1}}, "funnel": None},
        {"outcome_breakdown": [None, 3, "x"], "effort": [1, 2]},
    ],
    ids=["int breakdown", "fields as object", "leads as object", "nulls and scalars"],
)
async def test_statistics_of_an_odd_shape_leave_the_campaign_readable(
    sandbox: SandboxServer, proxy: FaultProxy, odd: dict[str, Any]
) -> None:
    settings = fast_settings(sandbox, base_url=proxy.url)
    proxy.add(
        Rule(
            "GET",
            f"/campaigns/{MARCH_ID}/statistics",
            "mutate",
            mutate=lambda a: {"statistics": {**a["statistics"], **odd}},
        )
    )
    async with mcp_client(settings) as client:
        answer = within(await client.call_tool("get_campaign", {"id": MARCH_ID}))
    assert answer["campaign"]["id"] == MARCH_ID and answer["campaign"]["status"] == "running"


# --- policy paths: every new write behind the operator's policy ----------------------------------------------------


async def refused(client: Client, tool: str, arguments: dict[str, Any]) -> bool | str:
    """True when the server refuses the call (a protocol error or an error result); else the answer's text."""
    try:
        result = await client.call_tool(tool, arguments)
    except MCPError:
        return True
    return True if result.is_error else text_of(result)


def sensitive_server(settings: Settings, **policy: Any) -> Any:
    return build_server(settings, Policy.load(env={}, known=body_schema(), **policy))


@pytest.mark.parametrize(
    "config",
    [
        {"webhook_url": "https://exfil.example/hook"},
        {"custom_tools": [crm_tool("tok-live-9999888877776666")]},
        {
            "llm_model": {
                "type": "custom",
                "api_url": "https://llm.example/v1",
                "api_key": "sk-live-abcdefabcdef1234",
                "model": "m",
            }
        },
        {"transfer_phone_number": "+14155550999"},
        {"email_notification_address": "leak@exfil.example"},
    ],
    ids=["webhook", "custom tool", "custom llm", "transfer number", "email"],
)
async def test_a_create_under_the_sensitive_preset_sets_no_sensitive_field(
    sandbox: SandboxServer, settings: Settings, config: dict[str, Any]
) -> None:
    before = len(sandbox.store.list())
    async with mcp_client(settings, server=sensitive_server(settings, deny="@sensitive")) as client:
        result = await client.call_tool("create_assistant", {"assistant": {"name": "n", "prompt": "p", **config}})
    assert result.is_error, text_of(result)
    assert len(sandbox.store.list()) == before
    assert "tok-live-9999888877776666" not in text_of(result) and "sk-live-abcdefabcdef1234" not in text_of(result)


@pytest.mark.parametrize(
    "change",
    [
        {
            "patch": {
                "llm_model": {"type": "custom", "api_url": "https://llm.example/v1", "api_key": "k" * 20, "model": "m"}
            }
        },
        {"edits": [{"op": "upsert", "list": "custom_tools", "item": crm_tool("tok-live-9999888877776666")}]},
        {
            "edits": [
                {
                    "op": "upsert",
                    "list": "transfer_destinations",
                    "item": {"label": "x", "phone_number": "+14155550999"},
                }
            ]
        },
    ],
    ids=["custom llm patch", "custom tool edit", "transfer edit"],
)
async def test_a_clone_under_the_sensitive_preset_creates_nothing_for_a_sensitive_change(
    sandbox: SandboxServer, settings: Settings, change: dict[str, Any]
) -> None:
    before = len(sandbox.store.list())
    async with mcp_client(settings, server=sensitive_server(settings, deny="@sensitive")) as client:
        result = await client.call_tool("clone_assistant", {"id": SALES_QUALIFIER_ID, **change})
    assert result.is_error, text_of(result)
    assert len(sandbox.store.list()) == before


async def test_new_writes_are_refused_when_called_on_a_server_that_does_not_offer_them(
    sandbox: SandboxServer, journalled: Settings
) -> None:
    async with mcp_client(journalled) as full:
        paused = await ok(full, "pause_campaign", {"id": MARCH_ID})
    calls: list[tuple[str, dict[str, Any]]] = [
        ("resume_campaign", {"id": MARCH_ID}),
        ("cancel_call", {"id": "call_sched_01"}),
        ("update_phone_number", {"id": "pn_01", "label": "x"}),
        ("create_assistant", {"assistant": {"name": "n", "prompt": "p"}}),
        ("clone_assistant", {"id": SALES_QUALIFIER_ID}),
        ("revert_change", {"change_id": paused["change_id"]}),
    ]
    read_only = sensitive_server(journalled, read_only=True)
    calls_only = sensitive_server(journalled, tools="calls")
    async with mcp_client(journalled, server=read_only) as ro, mcp_client(journalled, server=calls_only) as co:
        answered = [await refused(ro, tool, arguments) for tool, arguments in calls]
        answered += [await refused(co, tool, arguments) for tool, arguments in calls if tool != "cancel_call"]
    assert all(answered), answered
    assert campaign_status(sandbox, MARCH_ID) == "paused" and call_status(sandbox, "call_sched_01") == "scheduled"


# --- honesty at the edges: undecided is said as undecided -----------------------------------------------------------


async def test_an_undecided_pause_is_said_undecided_and_blocks_a_second_server(
    sandbox: SandboxServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    settings = fast_settings(sandbox, base_url=proxy.url, journal_path=tmp_path / "journal.db")
    proxy.add(Rule("POST", f"/campaigns/{MARCH_ID}/pause", "forward_then_drop"))
    proxy.add(Rule("GET", f"/campaigns/{MARCH_ID}", "mutate", mutate=lambda answer: answer))  # the tool's own read
    proxy.add(Rule("GET", f"/campaigns/{MARCH_ID}", "status", status=503, times=-1))  # every re-read after it
    async with mcp_client(settings) as first, mcp_client(settings) as second:
        lost = await first.call_tool("pause_campaign", {"id": MARCH_ID})
        other = await second.call_tool("resume_campaign", {"id": MARCH_ID})
    assert lost.is_error and "Do not send it again" in text_of(lost), text_of(lost)
    assert "safe to call again" not in text_of(lost).lower()
    # The second server cannot read the campaign either: it sends nothing, and says why.
    assert other.is_error and "safe to call again" not in text_of(other).lower(), text_of(other)
    assert proxy.landed["POST"] == 1 and campaign_status(sandbox, MARCH_ID) == "paused"
    rows = [r for r in await journal_rows(settings) if r.target_id == MARCH_ID]
    assert [(r.kind, r.status) for r in rows] == [("pause_campaign", "pending")]


async def test_an_undecided_number_route_is_undecided_then_settled_by_list_changes(
    sandbox: SandboxServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    settings = fast_settings(sandbox, base_url=proxy.url, journal_path=tmp_path / "journal.db")
    async with mcp_client(settings) as client:
        listed = await ok(client, "list_phone_numbers", {})
        assert listed
        proxy.add(Rule("PATCH", "/phone-numbers/pn_01", "forward_then_drop"))
        proxy.add(Rule("GET", "/phone-numbers", "mutate", mutate=lambda answer: answer))  # the tool's own read
        failing = proxy.add(Rule("GET", "/phone-numbers", "status", status=503, times=-1))
        lost = await client.call_tool("update_phone_number", {"id": "pn_01", "label": "Night line"})
        proxy.rules.remove(failing)
        changes = await ok(client, "list_changes", {})
    assert lost.is_error and "Do not send it again" in text_of(lost), text_of(lost)
    assert "safe to call again" not in text_of(lost).lower()
    row = next(r for r in await journal_rows(settings) if r.kind == "update_phone_number")
    assert row.status == "applied", (row.status, row.status_reason, changes)


@pytest.mark.parametrize(
    ("tool", "arguments", "read"),
    [
        ("pause_campaign", {"id": MARCH_ID}, f"/campaigns/{MARCH_ID}"),
        ("cancel_call", {"id": "call_sched_01"}, "/call/call_sched_01"),
        ("update_phone_number", {"id": "pn_01", "label": "x"}, "/phone-numbers"),
    ],
)
async def test_a_write_whose_first_read_fails_says_nothing_was_sent(
    sandbox: SandboxServer, proxy: FaultProxy, tool: str, arguments: dict[str, Any], read: str
) -> None:
    settings = fast_settings(sandbox, base_url=proxy.url)
    proxy.add(Rule("GET", read, "status", status=503, times=-1))
    async with mcp_client(settings) as client:
        result = await client.call_tool(tool, arguments)
    assert result.is_error and proxy.landed["POST"] + proxy.landed["PATCH"] == 0
    words = text_of(result)
    assert "get_assistant" not in words and "not confirmed" not in words, words


# --- what a revert of a create may delete -------------------------------------------------------------------------


def run_campaign_on(sandbox: SandboxServer, campaign_id: str, assistant_id: str) -> None:
    """Someone (the Revox UI) points a running campaign at the assistant, as the API allows."""
    campaigns = sandbox.app.state.campaigns
    row = campaigns.get(campaign_id)
    assert row is not None and row["status"] == "running"
    row["assistant_id"] = assistant_id
    row.pop("assistant", None)
    with campaigns._lock:  # the sandbox's own store, written as its routes write it
        campaigns._db.execute("UPDATE campaigns SET data = ? WHERE id = ?", (json.dumps(row), campaign_id))
        campaigns._db.commit()


async def test_a_copy_a_running_campaign_calls_with_is_not_deleted(
    sandbox: SandboxServer, journalled: Settings
) -> None:
    async with mcp_client(journalled) as client:
        made = await ok(client, "clone_assistant", {"id": SALES_QUALIFIER_ID})
        run_campaign_on(sandbox, MARCH_ID, made["assistant_id"])
        result = await client.call_tool("revert_change", {"change_id": made["change_id"]})
    assert sandbox.store.get(made["assistant_id"]) is not None, text_of(result)
    assert result.is_error and MARCH_ID in text_of(result)


@pytest.mark.parametrize("status", [400, 422])
async def test_an_api_refusal_quoting_the_new_key_shows_it_nowhere(
    sandbox: SandboxServer, proxy: FaultProxy, tmp_path: Path, status: int
) -> None:
    settings = fast_settings(sandbox, base_url=proxy.url, journal_path=tmp_path / "journal.db")
    key = "tok-live-5555444433332222"
    words = {"message": f"custom tool crm: header X-Webhook-Pass={key} is not accepted by {key[:4]}", "key": key}
    proxy.add(Rule("POST", "/assistants", "status", status=status, body=words))
    async with mcp_client(settings) as client:
        result = await client.call_tool(
            "create_assistant", {"assistant": {"name": "n", "prompt": "p", "custom_tools": [crm_tool(key)]}}
        )
        changes = await client.call_tool("list_changes", {})
    assert result.is_error
    for shown in (text_of(result), str(result.structured_content), text_of(changes), str(changes.structured_content)):
        assert key not in shown, shown
    assert all(key not in str(row) for row in await journal_rows(settings))


# --- reads lacking a field ----------------------------------------------------------------------------------------


async def test_a_row_whose_call_lacks_status_is_not_shown_as_no_call(sandbox: SandboxServer, proxy: FaultProxy) -> None:
    settings = fast_settings(sandbox, base_url=proxy.url)
    row = {**ROW, "call": {"id": "call_x", "calls_count": 1.0}}
    proxy.add(Rule("GET", f"/campaigns/{MARCH_ID}/rows", "mutate", times=-1, mutate=lambda _: {"rows": [row]}))
    async with mcp_client(settings) as client:
        answer = within(await client.call_tool("get_campaign", {"id": MARCH_ID, "rows": True}))
    shown = answer["rows"][0]
    assert shown["call_id"] == "call_x" and shown["status"] != "no call", shown


async def test_a_history_entry_lacking_reached_human_is_not_never_reached(
    sandbox: SandboxServer, proxy: FaultProxy
) -> None:
    settings = fast_settings(sandbox, base_url=proxy.url)
    entry = {"count": 2.0, "last_called_at": "2026-11-01T10:00:00Z", "last_outcome": "interested", "campaigns": []}
    history = {"phone_history": {"+14155550177": entry}}
    proxy.add(Rule("GET", "/calls/phone-history", "mutate", mutate=lambda _: history))
    async with mcp_client(settings) as client:
        result = await client.call_tool("get_phone_history", {"phone_numbers": ["+14155550177"]})
    assert not result.is_error and "never reached a person" not in text_of(result), text_of(result)


async def test_search_calls_refuses_hostile_list_sizes_with_the_field(settings: Settings) -> None:
    numbers = [f"+1415{i:07d}" for i in range(5_000)]
    async with mcp_client(settings) as client:
        answered = [
            await client.call_tool("search_calls", {name: value})
            for name, value in (
                ("from_phone_numbers", numbers),
                ("call_ids", [f"call_{i}" for i in range(5_000)]),
                ("statuses", ["completed"] * 5_000),
                ("assistant_ids", [f"a{i}" for i in range(5_000)]),
            )
        ]
    for result, name in zip(answered, ("from_phone_numbers", "call_ids", "statuses", "assistant_ids"), strict=True):
        assert result.is_error and name in text_of(result), text_of(result)[:500]
        assert len(text_of(result).encode()) <= CEILING


@pytest.mark.parametrize(
    "odd",
    [
        {"total_count": None},
        {"calls": [None, {"id": "call_x"}]},
        {"calls": [{"id": "call_y", "outcome_summary": "s" * 200_000, "assistant": None, "last_call_attempt": None}]},
    ],
    ids=["null total", "null and bare calls", "huge summary and nulls"],
)
async def test_a_search_answer_of_an_odd_shape_is_answered_within_bounds(
    sandbox: SandboxServer, proxy: FaultProxy, odd: dict[str, Any]
) -> None:
    settings = fast_settings(sandbox, base_url=proxy.url, max_answer_bytes=CEILING)
    proxy.add(Rule("POST", "/call/search", "mutate", mutate=lambda answer: {**answer, **odd}))
    async with mcp_client(settings) as client:
        result = await client.call_tool("search_calls", {"page_size": 5})
    assert "failed inside revox-mcp" not in text_of(result), text_of(result)
    if not result.is_error:
        within(result)


async def test_twenty_thousand_campaigns_list_within_bounds(sandbox: SandboxServer, proxy: FaultProxy) -> None:
    settings = fast_settings(sandbox, base_url=proxy.url, max_answer_bytes=CEILING)

    def many(answer: dict[str, Any]) -> dict[str, Any]:
        seed = {k: v for k, v in answer["campaigns"][0].items() if k != "assistant"}
        return {"campaigns": [{**seed, "id": f"camp_{i}", "name": "n" * 300} for i in range(20_000)]}

    proxy.add(Rule("GET", "/campaigns", "mutate", times=-1, mutate=many))
    async with mcp_client(settings) as client:
        answer = within(await client.call_tool("list_campaigns", {"page_size": 50}))
    assert answer["total"] == 20_000 and answer["campaigns"]


# --- a clone whose patch is undecided ----------------------------------------------------------------------------


async def test_a_clone_whose_patch_is_undecided_does_not_say_it_was_not_applied(
    sandbox: SandboxServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    settings = fast_settings(
        sandbox,
        base_url=proxy.url,
        journal_path=tmp_path / "journal.db",
        read_timeout_s=0.5,
        write_grace_s=30.0,
        settle_wait_max_s=0.0,
    )
    held = proxy.add(Rule("PATCH", "/assistants/*", "hold", delay_s=1.5))
    async with mcp_client(settings) as client:
        result = await client.call_tool(
            "clone_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"first_sentence": "Late but sure."}}
        )
    await held.delivered.wait()
    copies = [a for a in sandbox.store.list() if a["name"].endswith("(Copy)")]
    assert copies and copies[0]["first_sentence"] == "Late but sure."  # it did land
    words = text_of(result)
    assert "not applied" not in words and "unchanged" not in words, words


# --- a server killed between the clone and its patch --------------------------------------------------------------


def stdio_server(sandbox: SandboxServer, journal: Path, *marker: str) -> Any:
    env = {API_KEY_ENV: sandbox.api_key, BASE_URL_ENV: sandbox.url, WRITE_GRACE_ENV: "0.3"}
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "revox_mcp", "serve", "--journal", str(journal), *marker],
        env={**env, "PATH": os.environ.get("PATH", "")},
    )


def child_with(marker: str) -> int:
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


async def test_a_server_killed_between_the_clone_and_its_patch_leaves_the_copy_findable(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    journal_file, marker = tmp_path / "journal.db", "71.5"
    add_fault(sandbox, method="PATCH", path="/assistants/*", delay_s=20)  # the copy's patch: no answer for 20 s
    outcome: dict[str, str] = {}

    async def clone(client: Client) -> None:
        try:
            result = await client.call_tool(
                "clone_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"first_sentence": "X"}}
            )
            outcome["A"] = text_of(result)
        except Exception as exc:  # the connection ends when the server is killed
            outcome["A"] = f"gone: {type(exc).__name__}"

    with anyio.fail_after(60):
        async with (
            Client(stdio_server(sandbox, journal_file, "--catalog-ttl", marker)) as first,
            anyio.create_task_group() as tasks,
        ):
            tasks.start_soon(clone, first)
            while not requests_to(sandbox, "PATCH"):
                await anyio.sleep(0.01)
            os.kill(child_with(marker), signal.SIGKILL)
            with anyio.fail_after(15):
                while "A" not in outcome:
                    await anyio.sleep(0.01)
        async with Client(stdio_server(sandbox, journal_file)) as restarted:
            listed = (await restarted.call_tool("list_changes", {})).structured_content or {}
    copies = [a for a in sandbox.store.list() if a["name"].endswith("(Copy)")]
    assert len(copies) == 1 and copies[0]["first_sentence"] != "X"
    rows = {c["kind"]: c for c in listed["changes"]}
    assert rows["clone_assistant"]["status"] == "applied", listed
    assert copies[0]["id"] in str(rows["clone_assistant"]), listed
    assert rows["update"]["status"] != "applied", listed


async def test_a_delete_answered_without_success_is_not_said_reverted(
    sandbox: SandboxServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    settings = fast_settings(sandbox, base_url=proxy.url, journal_path=tmp_path / "journal.db")
    async with mcp_client(settings) as client:
        made = await ok(client, "create_assistant", {"assistant": {"name": "Kept", "prompt": "p"}})
        proxy.add(Rule("DELETE", "/assistants/*", "status", status=200, body={"success": False}))
        result = await client.call_tool("revert_change", {"change_id": made["change_id"]})
    assert sandbox.store.get(made["assistant_id"]) is not None  # the API deleted nothing
    delete = next(r for r in await journal_rows(settings) if r.kind == "delete_assistant")
    assert delete.status != "applied" or result.is_error, (delete.status, delete.after, text_of(result))
    assert not text_of(result).startswith("Reverted"), text_of(result)


async def test_a_pause_answered_without_success_is_not_applied(
    sandbox: SandboxServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    settings = fast_settings(sandbox, base_url=proxy.url, journal_path=tmp_path / "journal.db")
    proxy.add(Rule("POST", f"/campaigns/{MARCH_ID}/pause", "status", status=200, body={"success": False}))
    async with mcp_client(settings) as client:
        result = await client.call_tool("pause_campaign", {"id": MARCH_ID})
    assert campaign_status(sandbox, MARCH_ID) == "running"
    row = next(r for r in await journal_rows(settings) if r.kind == "pause_campaign")
    assert (result.structured_content or {}).get("outcome") != "applied", text_of(result)
    assert row.status != "applied", (row.status, row.after)


async def test_a_route_answered_without_the_number_is_not_read_as_no_assistant(
    sandbox: SandboxServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    settings = fast_settings(sandbox, base_url=proxy.url, journal_path=tmp_path / "journal.db")
    proxy.add(Rule("PATCH", "/phone-numbers/pn_01", "mutate", mutate=lambda answer: {"success": True}))
    async with mcp_client(settings) as client:
        answer = await ok(client, "update_phone_number", {"id": "pn_01", "inbound_assistant_id": RECEPTIONIST_ID})
    row = next(r for r in await journal_rows(settings) if r.kind == "update_phone_number")
    assert answer["inbound_assistant_id"] == RECEPTIONIST_ID and answer["label"] is not None, answer
    assert (row.after or {}).get("inbound_assistant_id") == RECEPTIONIST_ID, row.after
