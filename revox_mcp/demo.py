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
from revox_mcp.sandbox.seed import SALES_QUALIFIER_ID

NEW_SPEED = 0.9
NEW_FIRST_SENTENCE = "Hi {{first_name}}, Sarah from Acme Solar here. Is now a good time for two quick questions?"


def _say(text: str = "") -> None:
    print(text, flush=True)


def _short(value: Any, limit: int = 140) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text(result: CallToolResult) -> str:
    return "\n".join(block.text for block in result.content if block.type == "text")


def _assistant(result: CallToolResult) -> dict[str, Any]:
    if result.is_error or result.structured_content is None:
        raise RuntimeError(f"tool call failed: {_text(result)}")
    return result.structured_content["assistant"]


async def _drive(sandbox: SandboxServer) -> None:
    server = StdioServerParameters(
        command=sys.executable,
        args=["-m", "revox_mcp", "serve"],
        env={API_KEY_ENV: sandbox.api_key, BASE_URL_ENV: sandbox.url},
    )
    async with Client(server) as client:
        _say("1. The MCP client spawned `revox-mcp serve` over stdio and lists its tools:")
        for tool in (await client.list_tools()).tools:
            size = len(json.dumps(tool.input_schema))
            _say(f"   - {tool.name}: {tool.title} (input schema {size:,} bytes)")

        _say(f"\n2. get_assistant {SALES_QUALIFIER_ID}")
        before = _assistant(await client.call_tool("get_assistant", {"id": SALES_QUALIFIER_ID}))
        _say(f"   name:           {before['name']}")
        _say(f"   voice:          {_short(before['voice'])}")
        _say(f"   first_sentence: {_short(before['first_sentence'])}")
        _say(f"   updated_at:     {before['updated_at']}")

        _say("\n3. An agent sends only the speed, but the API replaces `voice` whole. revox-mcp refuses it:")
        refused = await client.call_tool(
            "update_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"voice": {"speed": NEW_SPEED}}}
        )
        for line in _text(refused).splitlines():
            _say(f"   | {line}")
        patches = [r for r in sandbox.app.state.sandbox.requests if r.method == "PATCH"]
        _say(f"   PATCH requests the sandbox received: {len(patches)}")

        patch = {"voice": {**before["voice"], "speed": NEW_SPEED}, "first_sentence": NEW_FIRST_SENTENCE}
        _say("\n4. update_assistant with the complete voice object and a new first sentence:")
        _say(f"   patch: {_short(patch, 400)}")
        result = await client.call_tool("update_assistant", {"id": SALES_QUALIFIER_ID, "patch": patch})
        after = _assistant(result)
        _say(f"   {_text(result).splitlines()[0]}")

        _say("\n5. What changed (structured content, field by field):")
        for field in sorted(set(before) | set(after)):
            if before.get(field) != after.get(field):
                _say(f"   {field}:")
                _say(f"     before: {_short(before.get(field))}")
                _say(f"     after:  {_short(after.get(field))}")

        stored = sandbox.store.get(SALES_QUALIFIER_ID) or {}
        _say("\n6. The sandbox's stored row agrees:")
        _say(f"   voice.speed = {stored['voice']['speed']}, first_sentence = {_short(stored['first_sentence'], 60)}")


def run_demo() -> int:
    with (
        tempfile.TemporaryDirectory(prefix="revox-demo-") as folder,
        SandboxServer(Path(folder) / "sandbox.db") as sandbox,
    ):
        _say(f"Local Revox sandbox on {sandbox.url} (seeded, fresh data in a temporary folder)\n")
        anyio.run(_drive, sandbox)
    _say("\nDone. Connect your own client with `revox-mcp serve --sandbox` (see README).")
    return 0
