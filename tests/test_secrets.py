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
    for file in tmp_path.glob("journal.db*"):
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
        other_mask = await client.call_tool(
            "update_assistant", {"id": RECEPTIONIST_ID, "patch": {"llm_model": {"api_key": "sk-…0000"}}}
        )
    assert stored(sandbox, RECEPTIONIST_ID)["llm_model"] == {**CUSTOM, "model_name": "acme-8b"}
    assert other_mask.is_error and "masked key cannot be written" in everything(other_mask)


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
    errors = [r["result"].get("isError", False) for r in results]  # type: ignore[index]
    assert errors == [False, False, False, True, True, True, True, False, True]
    assert "revox-mcp DEBUG" in stderr or "revox-mcp WARNING" in stderr, "the log was captured"
    for where, text in [("traffic", "".join(client.traffic)), ("log", stderr)]:
        assert sandbox.api_key not in text, f"the Revox API key leaked into the {where}"


REMINDER = "asst_appointment_reminder"
