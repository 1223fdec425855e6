"""`revox-mcp demo`: an MCP client changes a voice assistant through revox-mcp, against a local sandbox.

The client spawns `revox-mcp serve` over stdio exactly as Claude Desktop or an IDE would, with the
sandbox's URL and key in its environment, so everything shown is the real path a user's agent takes.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import anyio
from mcp import Client, StdioServerParameters
from mcp_types import CallToolResult

from revox_mcp.config import API_KEY_ENV, BASE_URL_ENV
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.ab_seed import AB_CAMPAIGN, CANDIDATE_CHANGED_AT, CANDIDATE_ID
from revox_mcp.sandbox.catalog_seed import RETUNED_AT, TUNED_AT
from revox_mcp.sandbox.seed import RECEPTIONIST_ID, REMINDER_ID, SALES_QUALIFIER_ID

TEST_NUMBER = "+14155550999"

NEW_SPEED = 0.9
OLD_QUESTION = "Do you have a quick minute?"
NEW_QUESTION = "Is now a good time for two quick questions?"


def _say(text: str = "") -> None:
    print(text, flush=True)


def _short(value: Any, limit: int = 140) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text(result: CallToolResult) -> str:
    return "\n".join(block.text for block in result.content if block.type == "text")


def _answer(result: CallToolResult) -> dict[str, Any]:
    if result.is_error or result.structured_content is None:
        raise RuntimeError(f"tool call failed: {_text(result)}")
    answer: dict[str, Any] = result.structured_content
    return answer


def _patches(sandbox: SandboxServer) -> int:
    return sum(1 for r in sandbox.app.state.sandbox.requests if r.method == "PATCH")


def _show_changes(structured: dict[str, Any]) -> None:
    for change in structured["changes"]:
        if "diff" in change:
            _say(f"   {change['path']}: (diff)")
            for line in change["diff"].splitlines():
                _say(f"     {line}")
        else:
            _say(f"   {change['path']}: {_short(change['before'])} -> {_short(change['after'])}")


async def _drive(sandbox: SandboxServer, journal: Path) -> None:
    server = StdioServerParameters(
        command=sys.executable,
        args=["-m", "revox_mcp", "serve", "--journal", str(journal), "--test-numbers", TEST_NUMBER],
        env={API_KEY_ENV: sandbox.api_key, BASE_URL_ENV: sandbox.url},
    )
    async with Client(server) as client:
        before = await _list_and_read(client)
        await _refuse(client, sandbox)
        request = await _update(client, sandbox, before)
        await _stale(client, request)
        await _revert(client, sandbox)
        await _test_call(client, sandbox)
        await _copy_and_try(client, sandbox)
        await _impact(client)
        await _outside(client, sandbox)
        await _ab(client)
        await _campaign(client, sandbox)


async def _list_and_read(client: Client) -> dict[str, Any]:
    _say("1. The MCP client spawned `revox-mcp serve` over stdio and lists its tools:")
    for tool in (await client.list_tools()).tools:
        _say(f"   - {tool.name}: {tool.title}")

    _say(f"\n2. get_assistant {SALES_QUALIFIER_ID}")
    before: dict[str, Any] = _answer(await client.call_tool("get_assistant", {"id": SALES_QUALIFIER_ID}))["assistant"]
    _say(f"   name:           {before['name']}")
    _say(f"   voice:          {_short(before['voice'])}")
    _say(f"   first_sentence: {_short(before['first_sentence'])}")
    _say(f"   updated_at:     {before['updated_at']}")
    return before


async def _refuse(client: Client, sandbox: SandboxServer) -> None:
    _say("\n3. A careless patch (a typo, a speed out of range) is refused whole, every problem at once:")
    refused = await client.call_tool(
        "update_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"frist_sentence": "Hi!", "voice": {"speed": 1.9}}}
    )
    for line in _text(refused).splitlines():
        _say(f"   | {line}")
    _say(f"   PATCH requests the sandbox received: {_patches(sandbox)}")


async def _update(client: Client, sandbox: SandboxServer, before: dict[str, Any]) -> dict[str, Any]:
    request = {
        "id": SALES_QUALIFIER_ID,
        "patch": {"voice": {"speed": NEW_SPEED}},
        "edits": [{"op": "replace_text", "field": "first_sentence", "find": OLD_QUESTION, "replace": NEW_QUESTION}],
        "expected_updated_at": before["updated_at"],
        "reason": "slower, friendlier opening for cold calls",
    }
    _say("\n4. Dry run: only the speed is sent (the merge keeps the voice id), one phrase of the first sentence")
    _say("   is replaced in place, guarded by the updated_at just read:")
    dry = await client.call_tool("update_assistant", {**request, "dry_run": True})
    _say(f"   {_text(dry).splitlines()[0]}")
    _show_changes(dry.structured_content or {})
    _say(f"   PATCH requests the sandbox received: {_patches(sandbox)}")

    _say("\n5. The same call for real:")
    applied = await client.call_tool("update_assistant", request)
    _say(f"   {_text(applied).splitlines()[0]}")
    _say(f"   the answer is what changed, {len(_text(applied))} characters: "
         f"{', '.join(c['path'] for c in _answer(applied)['changes'])}")  # fmt: skip
    stored = sandbox.store.get(SALES_QUALIFIER_ID) or {}
    kept = stored["voice"]["id"] == before["voice"]["id"]
    _say(f"   stored: voice.speed = {stored['voice']['speed']}, voice.id kept = {kept}")
    return request


async def _stale(client: Client, request: dict[str, Any]) -> None:
    _say("\n6. The same guard again is now stale, so a second writer cannot overwrite blindly:")
    stale = await client.call_tool("update_assistant", {**request, "patch": {"voice": {"speed": 1.2}}, "edits": []})
    _say(f"   | {_text(stale).splitlines()[0]}")


async def _revert(client: Client, sandbox: SandboxServer) -> None:
    _say("\n7. list_changes, then revert_change undoes the change:")
    journal_rows = (
        await client.call_tool("list_changes", {"assistant_id": SALES_QUALIFIER_ID})
    ).structured_content or {}
    row = journal_rows["changes"][0]
    _say(f"   {row['change_id']}: {', '.join(row['fields'])} ({row['reason']})")
    reverted = await client.call_tool("revert_change", {"change_id": row["change_id"], "reason": "demo"})
    _answer(reverted)
    _say(f"   {_text(reverted).splitlines()[0]}")
    stored = sandbox.store.get(SALES_QUALIFIER_ID) or {}
    sentence = _short(stored["first_sentence"], 90)
    _say(f"   stored: voice.speed = {stored['voice']['speed']}, first_sentence = {sentence}")


async def _test_call(client: Client, sandbox: SandboxServer) -> None:
    _say(f"\n8. Hear a candidate before callers do: place_test_call to the operator's test number {TEST_NUMBER}:")
    placed = await client.call_tool(
        "place_test_call",
        {"assistant_id": SALES_QUALIFIER_ID, "phone_number": TEST_NUMBER, "patch": {"voice": {"speed": NEW_SPEED}}},
    )
    _say(f"   {_text(placed).splitlines()[0]}")
    unchanged = (sandbox.store.get(SALES_QUALIFIER_ID) or {})["voice"]["speed"]
    _say(f"   stored voice.speed is still {unchanged}")


async def _copy_and_try(client: Client, sandbox: SandboxServer) -> None:
    _say("\n9. Or keep the candidate as a copy: clone_assistant with the patch, then a test call on the copy:")
    edit = {"op": "replace_text", "field": "first_sentence", "find": OLD_QUESTION, "replace": NEW_QUESTION}
    cloned = await client.call_tool(
        "clone_assistant",
        {"id": SALES_QUALIFIER_ID, "name": "Sales qualifier (slower)", "patch": {"voice": {"speed": NEW_SPEED}},
         "edits": [edit], "reason": "candidate opening (demo)"},
    )  # fmt: skip
    made = _answer(cloned)
    copy_id = made["assistant_id"]
    patched = ", ".join(c["path"] for c in made.get("changes") or [])
    _say(f"   copy '{made['name']}' ({copy_id})")
    _say(f"   patched: {patched}; revert_change {made['change_id']} deletes the copy")
    placed = _answer(await client.call_tool("place_test_call", {"assistant_id": copy_id, "phone_number": TEST_NUMBER}))
    _say(f"   test call {placed['call_id']} to {TEST_NUMBER} with the copy's stored configuration")
    copy, original = sandbox.store.get(copy_id) or {}, sandbox.store.get(SALES_QUALIFIER_ID) or {}
    _say(f"   the copy's voice.speed = {copy['voice']['speed']}; the original's is still {original['voice']['speed']}")


async def _impact(client: Client) -> None:
    _say("\n10. Later, what did a change do to real calls? change_impact on the reminder's change of "
         f"{TUNED_AT:%Y-%m-%d}:")  # fmt: skip
    window = {"lookback_days": 7, "until": RETUNED_AT.isoformat()}
    verdict = await client.call_tool(
        "change_impact", {"assistant_id": REMINDER_ID, "at": TUNED_AT.isoformat(), **window}
    )
    _say(f"   {_answer(verdict)['words']}")
    again = await client.call_tool(
        "change_impact", {"assistant_id": REMINDER_ID, "at": RETUNED_AT.isoformat(), "lookback_days": 1}
    )
    _say(f"   and on its change of {RETUNED_AT:%Y-%m-%d}: {_answer(again)['words']}")


async def _outside(client: Client, sandbox: SandboxServer) -> None:
    _say("\n11. A change made elsewhere (the dashboard, a script) is found at the next read:")
    await client.call_tool("get_assistant", {"id": RECEPTIONIST_ID})  # the server's first look at it
    sandbox.store.update(RECEPTIONIST_ID, {"first_sentence": "Hello, you've reached the front desk. How can I help?"})
    _say("   first_sentence changed straight on the sandbox; get_assistant reads it again")
    await client.call_tool("get_assistant", {"id": RECEPTIONIST_ID})
    listed = _answer(await client.call_tool("list_changes", {"assistant_id": RECEPTIONIST_ID}))
    row = listed["changes"][0]
    _say(f"   list_changes: {row['change_id']}, kind {row['kind']}, by {row['actor']}: {', '.join(row['fields'])}")
    measured = _answer(await client.call_tool("change_impact", {"change_id": row["change_id"]}))
    _say(f"   change_impact on it: {measured['verdict']}: {measured['words'][:100]}")


async def _ab(client: Client) -> None:
    _say("\n12. An A/B: the qualifier against its copy with a new opening line, on the same March traffic:")
    pair = {"assistant_id": SALES_QUALIFIER_ID, "candidate_id": CANDIDATE_ID, "since": CANDIDATE_CHANGED_AT.isoformat()}
    answer = _answer(await client.call_tool("compare_assistants", {**pair, "campaign_ids": [AB_CAMPAIGN["id"]]}))
    a, b = answer["assistant"], answer["candidate"]
    _say(f"   compare_assistants: {answer['verdict']}, traffic comparable = {answer['traffic']['comparable']}")
    _say(f"   'interested' {b['success']}/{b['calls']} on the copy against {a['success']}/{a['calls']}; always-valid "
         f"p = {answer['p_value']}; about {answer['calls_to_decide']} more calls would decide it")  # fmt: skip
    _say(f"   ({answer['test']}: checking again is safe)")


async def _campaign(client: Client, sandbox: SandboxServer) -> None:
    _say("\n13. How is the March campaign doing? Pause it tonight. get_campaign, then pause_campaign:")
    march = "camp_march_solar"
    _say(f"   {_text(await client.call_tool('get_campaign', {'id': march})).splitlines()[0]}")
    paused = await client.call_tool("pause_campaign", {"id": march, "reason": "no calls tonight (demo)"})
    _say(f"   {_text(paused).splitlines()[0]}")
    stored = (sandbox.app.state.campaigns.get(march) or {}).get("status")
    _say(f"   the sandbox's campaign status is now {stored}")
    held = await client.call_tool("search_calls", {"campaign_ids": [march], "statuses": ["paused"], "page_size": 1})
    _say(f"   its waiting calls are held: search_calls finds {_answer(held)['total']} of them paused")
    no_weekends = {"call_retry_config": {"allowed_days": ["monday", "tuesday", "wednesday", "thursday", "friday"]}}
    dry = await client.call_tool("update_assistant", {"id": SALES_QUALIFIER_ID, "patch": no_weekends, "dry_run": True})
    _say("   'no calls on weekends' on the assistant (dry run) does not reach campaigns with their own config:")
    notice = next((w for w in _answer(dry)["warnings"] if "campaign(s)" in w), "(no campaign notice)")
    _say(f"   {_short(notice, 220)}")


def run_demo() -> int:
    with (
        tempfile.TemporaryDirectory(prefix="revox-demo-") as folder,
        SandboxServer(Path(folder) / "sandbox.db", tuning_history=True, ab_pair=True) as sandbox,
    ):
        _say(f"Local Revox sandbox on {sandbox.url} (seeded, fresh data in a temporary folder)\n")
        anyio.run(_drive, sandbox, Path(folder) / "journal.db")
    _say("\nDone. Connect your own client with `revox-mcp serve --sandbox` (see README).")
    return 0
