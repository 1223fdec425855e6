"""Secrets: the custom LLM key is masked everywhere and never overwritten by its mask; the Revox API key
appears in no byte the server sends to its client or writes to its log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from mcp_types import CallToolResult

from revox_mcp.config import API_KEY_ENV, BASE_URL_ENV, Settings
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.seed import RECEPTIONIST_ID, SALES_QUALIFIER_ID
from tests.conftest import add_fault, fast_settings, mcp_client, stored

pytestmark = pytest.mark.anyio
SECRET = "sk-live-9f8e7d6c5b4a39281706"
MASKED = "sk-…1706"
CUSTOM = {"type": "custom", "api_url": "https://llm.acme.example/v1", "api_key": SECRET, "model_name": "acme-70b"}


def everything(result: CallToolResult) -> str:
    return "\n".join(b.text for b in result.content if b.type == "text") + json.dumps(result.structured_content)


async def test_the_custom_llm_key_is_masked_everywhere(sandbox: SandboxServer, tmp_path: Path) -> None:
    settings = fast_settings(sandbox, journal_path=tmp_path / "journal.db")
    outputs = []
    async with mcp_client(settings) as client:
        outputs.append(
            await client.call_tool("update_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"llm_model": CUSTOM}})
        )
        outputs.append(await client.call_tool("get_assistant", {"id": SALES_QUALIFIER_ID}))
        outputs.append(await client.call_tool("list_changes", {}))
        outputs.append(
            await client.call_tool(
                "update_assistant",
                {
                    "id": SALES_QUALIFIER_ID,
                    "patch": {"llm_model": {**CUSTOM, "api_key": SECRET + "x", "api_url": 5}},
                },
            )
        )
        resource = await client.read_resource(f"revox://assistants/{SALES_QUALIFIER_ID}")
    assert stored(sandbox, SALES_QUALIFIER_ID)["llm_model"]["api_key"] == SECRET, "the API gets the real key"
    for output in outputs:
        assert SECRET not in everything(output)
    assert MASKED in everything(outputs[0]) and MASKED in everything(outputs[1])
    assert outputs[3].is_error
    assert SECRET not in resource.contents[0].text  # type: ignore[union-attr]
    for file in (f for f in tmp_path.glob("journal.db*") if f.is_file()):  # not journal.db.locks/
        assert SECRET.encode() not in file.read_bytes(), f"{file.name} keeps the secret"


async def test_the_masked_key_sent_back_keeps_the_stored_key(sandbox: SandboxServer, settings: Settings) -> None:
    sandbox.store.update(RECEPTIONIST_ID, {"llm_model": CUSTOM})
    async with mcp_client(settings) as client:
        read = await client.call_tool("get_assistant", {"id": RECEPTIONIST_ID})
        model = read.structured_content["assistant"]["llm_model"]  # type: ignore[index]
        assert model["api_key"] == MASKED
        same = await client.call_tool("update_assistant", {"id": RECEPTIONIST_ID, "patch": {"llm_model": model}})
        assert same.structured_content["changes"] == []  # type: ignore[index]
        renamed = await client.call_tool(
            "update_assistant", {"id": RECEPTIONIST_ID, "patch": {"llm_model": {**model, "model_name": "acme-8b"}}}
        )
        assert not renamed.is_error
    assert stored(sandbox, RECEPTIONIST_ID)["llm_model"] == {**CUSTOM, "model_name": "acme-8b"}


async def test_a_mask_of_nothing_stored_there_is_text_written_with_a_warning(
    sandbox: SandboxServer, settings: Settings
) -> None:
    """Issue 21 item 5: only the mask of the secret stored at that place is a mask sent back. Anything else
    holding "…" is what the agent wrote; a value in a mask's exact shape is written with a warning."""
    sandbox.store.update(RECEPTIONIST_ID, {"llm_model": CUSTOM})
    async with mcp_client(settings) as client:
        other_mask = await client.call_tool(
            "update_assistant", {"id": RECEPTIONIST_ID, "patch": {"llm_model": {"api_key": "sk-…0000"}}}
        )
        ellipsis = await client.call_tool(
            "update_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"llm_model": {**CUSTOM, "api_key": "…"}}}
        )
    assert not other_mask.is_error and "the shape of a masked secret" in everything(other_mask)
    assert stored(sandbox, RECEPTIONIST_ID)["llm_model"]["api_key"] == "sk-…0000"
    assert not ellipsis.is_error and "the shape of a masked secret" in everything(ellipsis)
    assert stored(sandbox, SALES_QUALIFIER_ID)["llm_model"]["api_key"] == "…"


async def test_reverting_a_key_change_cannot_restore_a_key_the_journal_never_kept(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.store.update(RECEPTIONIST_ID, {"llm_model": CUSTOM})
    settings = fast_settings(sandbox, journal_path=tmp_path / "journal.db")
    async with mcp_client(settings) as client:
        new_key = {"llm_model": {"api_key": "sk-live-rotated-000011112222"}}
        change = await client.call_tool("update_assistant", {"id": RECEPTIONIST_ID, "patch": new_key})
        revert = await client.call_tool("revert_change", {"change_id": change.structured_content["change_id"]})  # type: ignore[index]
    assert revert.is_error and "revert.llm_model.api_key" in everything(revert)
    assert stored(sandbox, RECEPTIONIST_ID)["llm_model"]["api_key"] == "sk-live-rotated-000011112222"


class RawStdioClient:
    """Speaks JSON-RPC over the server's stdin/stdout by hand, keeping every byte both ways."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "revox_mcp", "serve", "--log-level", "DEBUG"],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.traffic: list[str] = []
        self._next_id = 0

    def send(self, method: str, params: dict[str, Any] | None = None, *, notify: bool = False) -> dict[str, Any] | None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params or {}}
        if not notify:
            self._next_id += 1
            message["id"] = self._next_id
        line = json.dumps(message)
        self.traffic.append(line)
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        if notify:
            return None
        while True:
            answer = self.process.stdout.readline()
            self.traffic.append(answer)
            parsed = json.loads(answer)
            if parsed.get("id") == self._next_id:
                return parsed

    def close(self) -> str:
        assert self.process.stdin is not None and self.process.stderr is not None
        self.process.stdin.close()
        stderr = self.process.stderr.read()
        self.process.wait(timeout=20)
        return stderr


def test_the_revox_api_key_is_in_no_byte_of_traffic_or_log(sandbox: SandboxServer) -> None:
    env = {k: v for k, v in os.environ.items() if k not in (API_KEY_ENV, BASE_URL_ENV)}
    env |= {API_KEY_ENV: sandbox.api_key, BASE_URL_ENV: sandbox.url}
    add_fault(sandbox, method="PATCH", path=f"/assistants/{RECEPTIONIST_ID}", status=400, body={"message": "bad"})
    add_fault(sandbox, method="GET", path=f"/assistants/{REMINDER}", status=503, times=-1)
    client = RawStdioClient(env)
    init = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "scan", "version": "1"}}
    assert client.send("initialize", init)["result"]  # type: ignore[index]
    client.send("notifications/initialized", notify=True)
    calls: list[tuple[str, dict[str, Any]]] = [
        ("list_assistants", {}),
        ("get_assistant", {"id": SALES_QUALIFIER_ID}),
        ("update_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"voice": {"speed": 1.1}}, "reason": "scan"}),
        ("update_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"frist_sentence": "x", "voice": {"speed": 9}}}),
        ("update_assistant", {"id": RECEPTIONIST_ID, "patch": {"name": "refused by the API"}}),
        ("get_assistant", {"id": REMINDER}),
        ("get_assistant", {"id": "no_such_assistant"}),
        ("list_changes", {}),
        ("no_such_tool", {}),
    ]
    results = [client.send("tools/call", {"name": name, "arguments": args}) for name, args in calls]
    client.send("tools/list")
    client.send("resources/read", {"uri": f"revox://assistants/{SALES_QUALIFIER_ID}"})
    stderr = client.close()
    errors = [r["result"].get("isError", False) if "result" in r else r["error"]["code"] for r in results]  # type: ignore[index, operator]
    assert errors == [False, False, False, True, True, True, True, False, -32602]  # an unknown tool: -32602
    assert "revox-mcp DEBUG" in stderr or "revox-mcp WARNING" in stderr, "the log was captured"
    for where, text in [("traffic", "".join(client.traffic)), ("log", stderr)]:
        assert sandbox.api_key not in text, f"the Revox API key leaked into the {where}"


REMINDER = "asst_appointment_reminder"


# --- issue 10: secrets in diffs, headers, query parameters and URLs ---------------------------------

LONG_OLD = "sk-live-" + "o" * 130 + "OLD1"
LONG_NEW = "sk-live-" + "n" * 130 + "NEW2"


async def test_no_diff_shows_a_stored_or_a_new_key(sandbox: SandboxServer, tmp_path: Path) -> None:
    sandbox.store.update(RECEPTIONIST_ID, {"llm_model": {**CUSTOM, "api_key": LONG_OLD}})
    settings = fast_settings(sandbox, journal_path=tmp_path / "journal.db")
    async with mcp_client(settings) as client:
        preview = await client.call_tool(
            "update_assistant", {"id": RECEPTIONIST_ID, "patch": {"llm_model": {"api_key": "x" * 121}}, "dry_run": True}
        )
        rotated = await client.call_tool(
            "update_assistant", {"id": RECEPTIONIST_ID, "patch": {"llm_model": {"api_key": LONG_NEW}}}
        )
        listed = await client.call_tool("list_changes", {})
    assert stored(sandbox, RECEPTIONIST_ID)["llm_model"]["api_key"] == LONG_NEW
    for result in (preview, rotated, listed):
        assert not result.is_error, everything(result)
        text = everything(result)
        for secret in (LONG_OLD, "o" * 40, LONG_NEW, "n" * 40, "x" * 40):
            assert secret not in text
    change = rotated.structured_content["changes"][0]  # type: ignore[index]
    assert change == {"path": "llm_model.api_key", "before": "sk-…OLD1", "after": "sk-…NEW2"}


TOOL_URL = "https://bot:tool-pass-123456@hooks.acme.example/book"
HEADERS = [
    {"key": "Authorization", "value": "Bearer tok-abcdef-123456"},
    {"key": "X-Api-Key", "value": "hdr-key-987654321"},
    {"key": "Accept", "value": "application/json"},
]
PARAMS = [{"key": "access_token", "value": "qp-token-55556666"}, {"key": "lang", "value": "fr"}]
TOOL = {
    "name": "book_slot",
    "description": "Book a slot.",
    "method": "POST",
    "url": TOOL_URL,
    "headers": HEADERS,
    "query_params": PARAMS,
    "body_template": None,
    "input_schema": [],
}
HIDDEN = ["tool-pass-123456", "tok-abcdef-123456", "hdr-key-987654321", "qp-token-55556666", "hook-pw-31415926"]
WEBHOOK = "https://ops:hook-pw-31415926@hooks.acme.example/calls"


async def test_header_query_and_url_secrets_are_masked_everywhere(sandbox: SandboxServer, tmp_path: Path) -> None:
    settings = fast_settings(sandbox, journal_path=tmp_path / "journal.db")
    async with mcp_client(settings) as client:
        write = await client.call_tool(
            "update_assistant",
            {"id": RECEPTIONIST_ID, "patch": {"custom_tools": [TOOL], "webhook_url": WEBHOOK}, "reason": "tools"},
        )
        read = await client.call_tool("get_assistant", {"id": RECEPTIONIST_ID})
        listed = await client.call_tool("list_changes", {})
        resource = await client.read_resource(f"revox://assistants/{RECEPTIONIST_ID}")
        bad_url = await client.call_tool(
            "update_assistant", {"id": RECEPTIONIST_ID, "patch": {"precall_lookup_url": "ftp://u:hook-pw-31415926@x"}}
        )
    assert stored(sandbox, RECEPTIONIST_ID)["custom_tools"] == [TOOL], "the API gets the real values"
    texts = [everything(r) for r in (write, read, listed, bad_url)] + [resource.contents[0].text]  # type: ignore[union-attr]
    for text in texts:
        for secret in HIDDEN:
            assert secret not in text
    for file in (f for f in tmp_path.glob("journal.db*") if f.is_file()):  # not journal.db.locks/
        for secret in HIDDEN:
            assert secret.encode() not in file.read_bytes(), f"{file.name} keeps {secret}"
    tool = read.structured_content["assistant"]["custom_tools"][0]  # type: ignore[index]
    assert tool["url"] == "https://…@hooks.acme.example/book"
    assert [h["value"] for h in tool["headers"]] == ["Bearer …3456", "…4321", "application/json"]
    assert [p["value"] for p in tool["query_params"]] == ["qp-…6666", "fr"]
    assert read.structured_content["assistant"]["webhook_url"] == "https://…@hooks.acme.example/calls"  # type: ignore[index]


async def test_masked_headers_and_urls_sent_back_keep_the_stored_values(
    sandbox: SandboxServer, settings: Settings
) -> None:
    sandbox.store.update(RECEPTIONIST_ID, {"custom_tools": [TOOL], "webhook_url": WEBHOOK})
    async with mcp_client(settings) as client:
        read = await client.call_tool("get_assistant", {"id": RECEPTIONIST_ID})
        masked = read.structured_content["assistant"]  # type: ignore[index]
        same = await client.call_tool(
            "update_assistant",
            {
                "id": RECEPTIONIST_ID,
                "patch": {"custom_tools": masked["custom_tools"], "webhook_url": masked["webhook_url"]},
            },
        )
        assert same.structured_content["changes"] == [], everything(same)  # type: ignore[index]
        # Reordered headers and a new description: each masked value is matched by its key.
        edited = {**masked["custom_tools"][0], "description": "Book a slot now."}
        edited["headers"] = list(reversed(edited["headers"]))
        changed = await client.call_tool(
            "update_assistant", {"id": RECEPTIONIST_ID, "patch": {"custom_tools": [edited]}}
        )
        assert not changed.is_error, everything(changed)
        # A mask of nothing stored there is what the agent wrote: it would be written, with a warning.
        wrong = {**edited, "headers": [{"key": "Authorization", "value": "…0000"}]}
        warned = await client.call_tool(
            "update_assistant", {"id": RECEPTIONIST_ID, "patch": {"custom_tools": [wrong]}, "dry_run": True}
        )
        moved = await client.call_tool(
            "update_assistant",
            {"id": RECEPTIONIST_ID, "patch": {"webhook_url": "https://…@evil.example/calls"}, "dry_run": True},
        )
    tool = stored(sandbox, RECEPTIONIST_ID)["custom_tools"][0]
    assert tool["description"] == "Book a slot now." and tool["url"] == TOOL_URL
    assert sorted(tool["headers"], key=lambda h: h["key"]) == sorted(HEADERS, key=lambda h: h["key"])
    assert tool["query_params"] == PARAMS and stored(sandbox, RECEPTIONIST_ID)["webhook_url"] == WEBHOOK
    for result, path in ((warned, "patch.custom_tools[0].headers[0].value"), (moved, "patch.webhook_url")):
        assert not result.is_error and f"{path} holds" in everything(result), everything(result)
        assert "the shape of a masked secret" in everything(result)


async def test_a_secret_the_agent_sends_is_masked_in_structured_content_too(
    sandbox: SandboxServer, settings: Settings
) -> None:
    patch = {"llm_model": CUSTOM, "end_of_call_sentence": f"Goodbye {SECRET}"}
    async with mcp_client(settings) as client:
        result = await client.call_tool(
            "update_assistant", {"id": SALES_QUALIFIER_ID, "patch": patch, "return_assistant": True}
        )
    assert not result.is_error
    assert SECRET not in json.dumps(result.structured_content)
    assert result.structured_content["assistant"]["end_of_call_sentence"] == f"Goodbye {MASKED}"  # type: ignore[index]


def test_debug_logging_is_for_revox_mcp_only() -> None:
    import logging

    from revox_mcp.cli import configure_logging

    root, own = logging.getLogger(), logging.getLogger("revox_mcp")
    saved = root.level, own.level
    try:
        configure_logging("DEBUG")
        assert logging.getLogger("revox_mcp.writer").isEnabledFor(logging.DEBUG)
        for name in ("sse_starlette.sse", "mcp.server.lowlevel.server", "httpx", "uvicorn.error"):
            assert not logging.getLogger(name).isEnabledFor(logging.INFO), name
    finally:
        root.setLevel(saved[0])
        own.setLevel(saved[1])


@pytest.mark.parametrize(
    ("where", "name", "secret"),
    [
        ("headers", "Authorization", True),
        ("headers", "x-auth", True),
        ("headers", "X-Api-Key", True),
        ("headers", "apikey", True),
        ("headers", "X-Access-Token", True),
        ("headers", "Cookie", True),
        ("headers", "X-Client-Secret", True),
        ("headers", "X-Session-Id", True),
        ("headers", "Accept", False),
        ("headers", "Content-Type", False),
        ("query_params", "api_key", True),
        ("query_params", "access_token", True),
        ("query_params", "sig", True),
        ("query_params", "X-Amz-Signature", True),
        ("query_params", "password", True),
        ("query_params", "lang", False),
    ],
)
def test_which_header_and_query_values_count_as_secrets(where: str, name: str, secret: bool) -> None:
    from revox_mcp.redaction import redact

    tool = {"name": "t", where: [{"key": name, "value": "value-0123456789"}]}
    shown = redact({"custom_tools": [tool]})["custom_tools"][0][where][0]["value"]
    assert (shown != "value-0123456789") is secret


def test_a_stored_key_is_in_no_byte_of_traffic_or_debug_log(sandbox: SandboxServer) -> None:
    sandbox.store.update(RECEPTIONIST_ID, {"llm_model": {**CUSTOM, "api_key": LONG_OLD}})
    env = {k: v for k, v in os.environ.items() if k not in (API_KEY_ENV, BASE_URL_ENV)}
    env |= {API_KEY_ENV: sandbox.api_key, BASE_URL_ENV: sandbox.url}
    client = RawStdioClient(env)
    init = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "scan", "version": "1"}}
    client.send("initialize", init)
    client.send("notifications/initialized", notify=True)
    patch = {"llm_model": {"api_key": "x" * 121}}
    arguments = {"id": RECEPTIONIST_ID, "patch": patch, "dry_run": True}
    answer = client.send("tools/call", {"name": "update_assistant", "arguments": arguments})
    client.send("tools/call", {"name": "get_assistant", "arguments": {"id": RECEPTIONIST_ID}})
    stderr = client.close()
    assert answer is not None and not answer["result"].get("isError"), answer
    for where, text in [("traffic", "".join(client.traffic)), ("log", stderr)]:
        assert "o" * 40 not in text, f"the stored key leaked into the {where}"


async def test_credentials_inside_any_text_are_masked_everywhere(sandbox: SandboxServer, tmp_path: Path) -> None:
    """Review finding: query-string tokens, JSON body templates, userinfo inside prose, 'X-Api-Keys', 'pwd'."""
    secrets = ["S1tokenvalue0001", "S2apikeyvalue002", "S3keyvalue000003", "S4bodysecret0004", "S6adminpass0006",
               "S7headerkeys0007", "S8pwdvalue000008"]  # fmt: skip
    tool = {
        "name": "crm", "description": "d", "method": "POST", "url": f"https://crm.example/x?api_key={secrets[1]}",
        "headers": [{"key": "X-Api-Keys", "value": secrets[5]}], "query_params": [{"key": "pwd", "value": secrets[6]}],
        "body_template": f'{{"api_key": "{secrets[3]}", "name": "{{{{name}}}}"}}', "input_schema": [],
    }  # fmt: skip
    patch = {
        "webhook_url": f"https://hooks.acme.example/calls?token={secrets[0]}",
        "llm_model": {**CUSTOM, "api_url": f"https://llm.acme.example/v1?key={secrets[2]}"},
        "custom_tools": [tool],
        "faq_items": [{"question": "Portal?", "answer": f"Use https://admin:{secrets[4]}@portal.example now."}],
    }
    settings = fast_settings(sandbox, journal_path=tmp_path / "journal.db")
    async with mcp_client(settings) as client:
        written = await client.call_tool("update_assistant", {"id": SALES_QUALIFIER_ID, "patch": patch})
        outputs = [
            written,
            await client.call_tool("get_assistant", {"id": SALES_QUALIFIER_ID}),
            await client.call_tool("get_assistant", {"id": SALES_QUALIFIER_ID, "fields": list(patch)}),
            await client.call_tool("list_changes", {}),
        ]
        read = outputs[2].structured_content["assistant"]  # type: ignore[index]
        # Everything sent back as read (masked) keeps the stored secrets.
        before_again = stored(sandbox, SALES_QUALIFIER_ID)
        again = await client.call_tool(
            "update_assistant", {"id": SALES_QUALIFIER_ID, "patch": {k: read[k] for k in patch}}
        )
    assert not written.is_error, everything(written)
    for output in outputs:
        for secret in secrets:
            assert secret not in everything(output), (secret, everything(output)[:300])
    for file in (f for f in tmp_path.glob("journal.db*") if f.is_file()):  # not journal.db.locks/
        assert not any(s.encode() in file.read_bytes() for s in secrets), file.name
    row = stored(sandbox, SALES_QUALIFIER_ID)
    assert row["webhook_url"].endswith(secrets[0]) and row["custom_tools"][0]["headers"][0]["value"] == secrets[5]
    assert not again.is_error, everything(again)
    assert stored(sandbox, SALES_QUALIFIER_ID) == before_again, "what was read, sent back, keeps every stored secret"


async def test_a_new_key_that_masks_like_the_old_one_is_still_reported(sandbox: SandboxServer, tmp_path: Path) -> None:
    """Review finding: same prefix and last four characters; the write must not read as 'No changes'."""
    settings = fast_settings(sandbox, journal_path=tmp_path / "journal.db")
    old, new = "sk-live-aaaaaaaaaaaa1706", "sk-live-bbbbbbbbbbbb1706"
    sandbox.store.update(SALES_QUALIFIER_ID, {"llm_model": {**CUSTOM, "api_key": old}})
    async with mcp_client(settings) as client:
        result = await client.call_tool(
            "update_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"llm_model": {"api_key": new}}}
        )
        rows = (await client.call_tool("list_changes", {})).structured_content["changes"]  # type: ignore[index]
    assert not result.is_error and "No changes" not in everything(result)
    assert [c["path"] for c in result.structured_content["changes"]] == ["llm_model"]  # type: ignore[index]
    assert rows[0]["paths"] and old not in everything(result) and new not in everything(result)
    assert stored(sandbox, SALES_QUALIFIER_ID)["llm_model"]["api_key"] == new


async def test_a_mask_moved_under_another_header_name_is_written_with_a_warning(
    sandbox: SandboxServer, settings: Settings
) -> None:
    """A review once found the mask written silently under a renamed header. Only the mask of the secret
    stored at the same place is restored (issue 21 item 5), so it is written as sent, and the answer says
    it has a mask's shape and how to keep or set the secret."""
    tool = {"name": "crm", "description": "d", "method": "GET", "url": "https://crm.example/x", "body_template": None,
            "headers": [{"key": "Authorization", "value": "Bearer tok-0123456789"}], "query_params": [],
            "input_schema": []}  # fmt: skip
    sandbox.store.update(SALES_QUALIFIER_ID, {"custom_tools": [tool]})
    async with mcp_client(settings) as client:
        read = await client.call_tool("get_assistant", {"id": SALES_QUALIFIER_ID, "fields": ["custom_tools"]})
        shown = read.structured_content["assistant"]["custom_tools"][0]  # type: ignore[index]
        renamed = {**shown, "headers": [{"key": "X-Trace", "value": shown["headers"][0]["value"]}]}
        result = await client.call_tool(
            "update_assistant",
            {"id": SALES_QUALIFIER_ID, "edits": [{"op": "upsert", "list": "custom_tools", "item": renamed}]},
        )
    assert not result.is_error
    assert "custom_tools[0].headers[0].value" in everything(result) and "shape of a masked secret" in everything(result)
    assert stored(sandbox, SALES_QUALIFIER_ID)["custom_tools"][0]["headers"][0]["value"] == shown["headers"][0]["value"]


async def test_another_key_on_the_same_journal_sees_none_of_its_rows(sandbox: SandboxServer, tmp_path: Path) -> None:
    """Review finding: the journal was scoped by API URL only."""
    mine = fast_settings(sandbox, journal_path=tmp_path / "journal.db")
    theirs = fast_settings(sandbox, journal_path=tmp_path / "journal.db", api_key="sk-other-organization-0000000000")
    async with mcp_client(mine) as client:
        await client.call_tool("update_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"name": "Mine"}})
        assert (await client.call_tool("list_changes", {})).structured_content["total"] == 1  # type: ignore[index]
    async with mcp_client(theirs) as client:
        assert (await client.call_tool("list_changes", {})).structured_content["total"] == 0  # type: ignore[index]


async def test_an_api_error_quoting_a_stored_secret_is_masked(sandbox: SandboxServer, settings: Settings) -> None:
    """Review finding: the agent never sent the key, so the scrub of its arguments missed it."""
    sandbox.store.update(SALES_QUALIFIER_ID, {"llm_model": CUSTOM})
    add_fault(sandbox, method="PATCH", path=f"/assistants/{SALES_QUALIFIER_ID}", status=400,
              body={"message": f"llm_model.api_key {SECRET} was refused by the provider"})  # fmt: skip
    async with mcp_client(settings) as client:
        result = await client.call_tool(
            "update_assistant",
            {"id": SALES_QUALIFIER_ID, "patch": {"llm_model": {"model_name": "acme-405b"}}},
        )
    assert result.is_error and "refused by the provider" in everything(result)
    assert SECRET not in everything(result)
