"""OpenAI Agents as its users run it: `MCPServerStdio` spawns `revox-mcp serve --sandbox`, the SDK turns every
tool into a function tool with `convert_schemas_to_strict=True`, and a call shaped as a strict model makes it
goes through the function tool's own invoke. What it returns is what the model sees.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from agents import Agent
from agents.mcp import MCPServerStdio, MCPUtil
from agents.run_context import RunContextWrapper
from agents.tool import FunctionTool
from agents.tool_context import ToolContext

from revox_mcp.tools import TOOLS
from tests.test_strict_profile import SPEED, strict_call

pytestmark = pytest.mark.anyio


async def function_tools(server: MCPServerStdio) -> dict[str, FunctionTool]:
    agent = Agent(name="tuner", mcp_servers=[server])
    tools = await MCPUtil.get_all_function_tools([server], True, RunContextWrapper(None), agent)
    return {t.name: t for t in tools if isinstance(t, FunctionTool)}


async def invoke(tool: FunctionTool, arguments: dict[str, Any]) -> Any:
    text = json.dumps(arguments)
    context = ToolContext(context=None, tool_name=tool.name, tool_call_id="call_1", tool_arguments=text)
    return await tool.on_invoke_tool(context, text)


def serve(db: Path, profile: str, structured: bool = False) -> MCPServerStdio:
    command = ["-m", "revox_mcp", "serve", "--sandbox", "--sandbox-db", str(db), "--schema-profile", profile]
    return MCPServerStdio(params={"command": sys.executable, "args": command}, use_structured_content=structured)


async def test_a_strict_model_changes_one_field_through_the_sdk(tmp_path: Path) -> None:
    async with serve(tmp_path / "s.db", "strict") as server:
        tools = await function_tools(server)
        # Every tool but place_test_call (offered only with test numbers).
        assert len(tools) == len(TOOLS) - 1 and all(t.strict_json_schema for t in tools.values())
        update = tools["update_assistant"]
        said = await invoke(update, strict_call(update.params_json_schema, SPEED))
        read = await invoke(tools["get_assistant"], strict_call(tools["get_assistant"].params_json_schema, SPEED))
    # The model sees the text content: the summary line, then the same JSON as the structured content.
    summary, answer = said["text"].split("\n", 1)
    assert summary.startswith("Updated 'Solar lead qualifier (outbound)' (asst_sales_qualifier): changed voice")
    assert json.loads(answer)["changes"] == [{"path": "voice.speed", "before": 1, "after": 1.1}]
    assert json.loads(read["text"].split("\n", 1)[1])["assistant"]["voice"]["speed"] == 1.1


async def test_the_default_profile_refuses_the_sdks_strict_call(tmp_path: Path) -> None:
    """With use_structured_content the model sees the structured content's JSON; an error stays text."""
    async with serve(tmp_path / "s.db", "portable", structured=True) as server:
        tools = await function_tools(server)
        update, get = tools["update_assistant"], tools["get_assistant"]
        assert update.strict_json_schema and not tools["list_phone_numbers"].strict_json_schema
        current = json.loads(await invoke(get, {"id": "asst_sales_qualifier"}))["assistant"]
        refused = await invoke(update, strict_call(update.params_json_schema, SPEED, {"patch": current}))
        after = json.loads(await invoke(get, {"id": "asst_sales_qualifier"}))["assistant"]
    assert "- patch: got 46 of the 46 fields" in refused["text"] and "--schema-profile strict" in refused["text"]
    assert after == current
