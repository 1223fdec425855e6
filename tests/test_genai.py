"""Every tool as tools/list shows it, through google-genai's three routes into a Gemini function declaration:
`FunctionDeclaration(parameters=...)` (its Schema model: OpenAPI 3.0 subset), `parameters_json_schema` (plain
JSON Schema), and genai's own MCP conversion, `mcp_to_gemini_tool`.

portable (the default) and gemini pass all three. strict is for OpenAI strict function calling: its
`additionalProperties: false` on every object is what genai's MCP conversion cannot read (it takes the value
for a schema), and its `type` lists what `parameters` refuses; `parameters_json_schema` takes it.
"""

from __future__ import annotations

import copy
from typing import Any

import mcp_types as types
import pytest
from google.genai import types as genai
from google.genai._mcp_utils import mcp_to_gemini_tool

from revox_mcp.config import Settings
from revox_mcp.policy import Policy
from revox_mcp.schemas import SCHEMA_PROFILES
from revox_mcp.server import build_server
from revox_mcp.tools import TOOLS
from tests.conftest import mcp_client

pytestmark = pytest.mark.anyio
ROUTES = ("parameters", "parameters_json_schema", "mcp_to_gemini_tool")
# What each profile is for decides what must pass; anything else passing or failing fails the test.
REFUSED = {"portable": set(), "gemini": set(), "strict": {"parameters", "mcp_to_gemini_tool"}}


async def listed(profile: str) -> list[types.Tool]:
    settings = Settings(api_key="unused", base_url="http://127.0.0.1:9")
    server = build_server(settings, Policy(test_numbers=("+14155550999",)), profile)
    async with mcp_client(settings, server=server) as client:
        return (await client.list_tools()).tools


def declare(route: str, tool: types.Tool) -> Any:
    schema = copy.deepcopy(tool.input_schema)
    if route == "parameters":
        return genai.FunctionDeclaration(name=tool.name, description=tool.description, parameters=schema)
    if route == "parameters_json_schema":
        return genai.FunctionDeclaration(name=tool.name, description=tool.description, parameters_json_schema=schema)
    return mcp_to_gemini_tool(tool)


@pytest.mark.parametrize("profile", SCHEMA_PROFILES)
async def test_every_tool_through_every_genai_route(profile: str) -> None:
    tools = await listed(profile)
    assert len(tools) == len(TOOLS)
    for route in ROUTES:
        failed = []
        for tool in tools:
            try:
                declare(route, tool)
            except Exception:
                failed.append(tool.name)
        # A tool without arguments (list_phone_numbers) has no type list for `parameters` to refuse.
        refused = [t.name for t in tools if route == "mcp_to_gemini_tool" or t.input_schema.get("properties")]
        assert failed == (refused if route in REFUSED[profile] else []), (profile, route)


async def test_the_portable_profile_keeps_its_meaning_through_genai() -> None:
    update = next(t for t in await listed("portable") if t.name == "update_assistant")
    declared = declare("mcp_to_gemini_tool", update).function_declarations[0].parameters
    patch = declared.properties["patch"].properties
    mode = patch["human_transfer_mode"]
    assert mode.type == genai.Type.STRING and mode.enum == ["warm", "cold"] and mode.nullable is True
    assert patch["voice"].properties["speed"].maximum == 1.5
