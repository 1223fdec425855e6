"""Every published tool schema against the rules of the clients people use, each rule with its source.

Rules (checked on what tools/list publishes, by default and with --schema-profile strict and gemini):

1. inputSchema is a JSON Schema object whose root has "type": "object".
   Source: MCP specification, Tools, "inputSchema: JSON Schema defining expected parameters".
2. No oneOf/anyOf/allOf at the root (and no enum/not there either).
   Source: Anthropic Messages API, 400 "input_schema does not support oneOf, allOf, or anyOf at the top
   level" (seen through Claude Code: anthropics/claude-code#5973, #27337).
3. No $ref or $defs anywhere: several clients and model APIs do not resolve references.
   Source: Gemini function declarations (OpenAPI 3.0 subset without $ref), reports in many MCP servers.
4. OpenAI function calling / Structured Outputs: at most 5 levels of object nesting (the older,
   stricter limit; the error reads "6 levels of nesting exceeds limit of 5", tidyverse/ellmer#671;
   newer docs allow 10), at most 5,000 properties, at most 1,000 enum values, and at most 120,000
   characters of property names and enum values in all.
   Source: OpenAI Structured Outputs guide, "Supported schemas".
5. Tool names match ^[a-zA-Z0-9_-]{1,64}$.
   Source: Anthropic tool definitions (name pattern) and Gemini FunctionDeclaration.name (a-z, A-Z,
   0-9, underscores and dashes, at most 64).
6. --schema-profile gemini: only keywords of the OpenAPI 3.0 subset Gemini's `parameters` accepts, one
   `type` per node (nullability as `nullable`), enums of strings.
   Source: Gemini API reference, Schema object ("a select subset of an OpenAPI 3.0 schema object").
7. portable (the default): one `type` per node (null as an `anyOf` branch), every property typed, no `const`
   and no boolean `additionalProperties`.
   Source: google-genai 3.6: `FunctionDeclaration(parameters=...)` fails on a type list ("'list' object has no
   attribute 'upper'") and on `const`; `mcp_to_gemini_tool` reads `additionalProperties: false` as a schema
   ("'bool' object has no attribute 'items'"). tests/test_genai.py runs all three routes.
8. --schema-profile strict: every property required, `additionalProperties: false` on every object, no
   length keywords.
   Source: OpenAI Structured Outputs guide ("all fields must be required", "additionalProperties: false must
   always be set in objects"); openai-agents' ensure_strict_json_schema, which tests/test_strict_profile.py
   runs and which finds nothing to change.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from revox_mcp.config import Settings
from revox_mcp.schemas import GEMINI_KEYWORDS, SCHEMA_PROFILES
from revox_mcp.server import build_server
from tests.conftest import mcp_client

pytestmark = pytest.mark.anyio
NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


async def published(profile: str) -> list[dict[str, Any]]:
    async with mcp_client(
        Settings(api_key="unused"), server=build_server(Settings(api_key="unused"), profile=profile)
    ) as client:
        tools = (await client.list_tools()).tools
    return [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools]


def nodes(schema: Any) -> Iterator[dict[str, Any]]:
    """Every subschema (the values of properties, items and anyOf), root included."""
    if not isinstance(schema, dict):
        return
    yield schema
    for sub in (schema.get("properties") or {}).values():
        yield from nodes(sub)
    if isinstance(schema.get("items"), dict):
        yield from nodes(schema["items"])
    for sub in schema.get("anyOf", []):
        yield from nodes(sub)


def object_depth(schema: dict[str, Any]) -> int:
    below = [object_depth(s) for s in (schema.get("properties") or {}).values()]
    if isinstance(schema.get("items"), dict):
        below.append(object_depth(schema["items"]))
    below += [object_depth(s) for s in schema.get("anyOf", [])]
    is_object = "properties" in schema
    return (1 if is_object else 0) + max(below, default=0)


@pytest.mark.parametrize("profile", SCHEMA_PROFILES)
async def test_every_schema_follows_the_common_rules(profile: str) -> None:
    for tool in await published(profile):
        name = tool["name"]
        assert NAME.match(name), name
        for kind in ("inputSchema", "outputSchema"):
            schema = tool.get(kind)
            if schema is None:
                continue
            assert schema["type"] == "object", (name, kind)
            assert not {"oneOf", "anyOf", "allOf", "enum", "not"} & set(schema), (name, kind)
            text = str(schema)
            assert "$ref" not in text and "$defs" not in text, (name, kind)
        schema = tool["inputSchema"]
        all_nodes = list(nodes(schema))
        assert object_depth(schema) <= 5, (name, object_depth(schema))
        assert sum(len(n.get("properties", {})) for n in all_nodes) <= 5000
        assert sum(len(n.get("enum", [])) for n in all_nodes) <= 1000
        names = sum(len(k) for n in all_nodes for k in n.get("properties", {}))
        enums = sum(len(str(v)) for n in all_nodes for v in n.get("enum", []))
        assert names + enums <= 120_000


async def test_the_gemini_profile_uses_only_the_openapi_subset() -> None:
    for tool in await published("gemini"):
        for node in nodes(tool["inputSchema"]):
            assert set(node) <= GEMINI_KEYWORDS, (tool["name"], set(node) - GEMINI_KEYWORDS)
            if "type" in node:
                assert isinstance(node["type"], str), (tool["name"], node)
            assert all(isinstance(v, str) for v in node.get("enum", [])), (tool["name"], node)


async def test_the_portable_profile_has_one_type_per_node_and_every_property_typed() -> None:
    for tool in await published("portable"):
        for node in nodes(tool["inputSchema"]):
            assert not isinstance(node.get("type"), list), (tool["name"], node)
            assert "const" not in node and not isinstance(node.get("additionalProperties"), bool), tool["name"]
            for name, prop in (node.get("properties") or {}).items():
                assert {"type", "anyOf", "enum"} & set(prop), (tool["name"], name)


async def test_the_strict_profile_requires_every_property_and_closes_every_object() -> None:
    for tool in await published("strict"):
        for node in nodes(tool["inputSchema"]):
            if "properties" in node:
                assert node["required"] == list(node["properties"]), tool["name"]
                assert node["additionalProperties"] is False, tool["name"]
            assert not {"minLength", "maxLength"} & set(node), tool["name"]


async def test_the_gemini_profile_keeps_the_meaning() -> None:
    update = next(t for t in await published("gemini") if t["name"] == "update_assistant")
    patch = update["inputSchema"]["properties"]["patch"]["properties"]
    assert patch["voicemail_message"]["type"] == "string" and patch["voicemail_message"]["nullable"] is True
    assert patch["human_transfer_mode"]["enum"] == ["warm", "cold"] and patch["human_transfer_mode"]["nullable"]
    assert patch["thinking_sound_volume"]["minimum"] == 0
    assert patch["voice"]["properties"]["speed"]["maximum"] == 1.5


async def test_the_profile_changes_what_is_published_not_what_is_accepted(sandbox: Any) -> None:
    from tests.conftest import fast_settings

    server = build_server(fast_settings(sandbox), profile="gemini")
    async with mcp_client(fast_settings(sandbox), server=server) as client:
        result = await client.call_tool(
            "update_assistant", {"id": "asst_sales_qualifier", "patch": {"voicemail_message": None}}
        )
        refused = await client.call_tool("update_assistant", {"id": "asst_sales_qualifier", "patch": {"name": None}})
    assert not result.is_error
    assert refused.is_error
