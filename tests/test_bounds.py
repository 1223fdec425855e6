"""Caps where arguments enter: every string argument of every tool states its bound in its schema, and a value
over its bound is refused, with its path, its length and the bound, before any other work on the call (no
masking scan, no log line of the arguments, no validation, no request to the API)."""

from __future__ import annotations

import logging
from typing import Any

import anyio
import pytest

from revox_mcp.bounds import measure
from revox_mcp.config import MAX_KEY_CHARS, MAX_SECRETS_BY_VALUE, MAX_TEXT_CHARS, Settings
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.seed import RECEPTIONIST_ID
from revox_mcp.tools import TOOLS
from tests.conftest import mcp_client, requests_to, stored, text_of, writes

pytestmark = pytest.mark.anyio


def _string_bound(node: dict[str, Any]) -> bool:
    return "maxLength" in node or bool(node.get("enum")) or "const" in node


def _types(node: dict[str, Any]) -> list[str]:
    type_ = node.get("type", [])
    return [type_] if isinstance(type_, str) else list(type_)


@pytest.mark.parametrize("spec", TOOLS, ids=lambda spec: spec.name)
def test_every_string_argument_states_its_bound(spec: Any) -> None:
    for name, prop in spec.detailed_schema.get("properties", {}).items():
        if "string" in _types(prop):
            assert _string_bound(prop), f"{spec.name}.{name} has no maxLength"
        items = prop.get("items", {})
        if "string" in _types(items):
            assert _string_bound(items), f"{spec.name}.{name}[] has no maxLength"


def test_every_text_field_of_the_patch_states_the_text_bound() -> None:
    patch = next(s for s in TOOLS if s.name == "update_assistant").detailed_schema["properties"]["patch"]
    texts = {name: prop for name, prop in patch["properties"].items() if "string" in _types(prop)}
    assert "prompt" in texts and "first_sentence" in texts
    for name, prop in texts.items():
        assert prop.get("maxLength", 0) <= MAX_TEXT_CHARS, name


def test_the_walk_finds_the_first_value_over_its_bound_at_any_depth() -> None:
    schema = {"properties": {"id": {"type": "string", "maxLength": 8}, "e": {"enum": ["ab", "abcd", None]}}}
    assert measure({"id": "x" * 8, "e": "abcd"}, schema).oversized is None
    assert measure({"id": "x" * 9}, schema).oversized == measure({"id": "y" * 9}, schema).oversized
    assert measure({"e": "abcde"}, schema).oversized.limit == 4  # type: ignore[union-attr]
    deep: Any = "z" * (MAX_TEXT_CHARS + 1)
    for _ in range(5_000):  # deeper than Python's recursion limit: the walk is iterative
        deep = [deep]
    found = measure({"patch": {"x": deep}}, schema).oversized
    assert found is not None and found.length == MAX_TEXT_CHARS + 1 and found.path.startswith("patch.x[0][0]")
    key = measure({"patch": {"k" * (MAX_KEY_CHARS + 1): 1}}, schema).oversized
    assert key is not None and key.is_key and key.path == "patch"
    assert len(measure({"p": {"a" * 900: {"b" * 900: "c" * (MAX_TEXT_CHARS + 1)}}}, {}).oversized.path) <= 200  # type: ignore[union-attr]


OVERSIZED = [
    ("get_assistant", {"id": "a" * 150_000}, "`id` is 150,000 characters long; at most 128"),
    (
        "list_assistants",
        {"name_contains": "?" * 20_000 + "="},
        "`name_contains` is 20,001 characters long; at most 200",
    ),
    (
        "change_impact",
        {"change_id": "c1", "success": "x" * 100_000},
        "`success` is 100,000 characters long; at most 24",
    ),
    ("list_voices", {"query": "w" * 1_000_000}, "`query` is 1,000,000 characters long; at most 200"),
    (
        "update_assistant",
        {"id": RECEPTIONIST_ID, "patch": {"prompt": "p" * (MAX_TEXT_CHARS + 1)}},
        f"`patch.prompt` is {MAX_TEXT_CHARS + 1:,} characters long; at most {MAX_TEXT_CHARS:,}",
    ),
    (
        "update_assistant",
        {
            "id": RECEPTIONIST_ID,
            "edits": [{"op": "replace_text", "field": "prompt", "find": "a", "replace": "r" * 300_000}],
        },
        f"`edits[0].replace` is 300,000 characters long; at most {MAX_TEXT_CHARS:,}",
    ),
    (
        "update_assistant",
        {"id": RECEPTIONIST_ID, "patch": {"voice": {"id": "v" * 1_000_000}}},
        f"`patch.voice.id` is 1,000,000 characters long; at most {MAX_TEXT_CHARS:,}",
    ),
]


@pytest.mark.parametrize(
    ("tool", "arguments", "said"), OVERSIZED, ids=[f"{t}-{i}" for i, (t, _, _) in enumerate(OVERSIZED)]
)
async def test_an_oversized_argument_is_refused_before_any_other_work(
    sandbox: SandboxServer,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
    tool: str,
    arguments: dict[str, Any],
    said: str,
) -> None:
    before = stored(sandbox, RECEPTIONIST_ID)
    caplog.set_level(logging.DEBUG, logger="revox_mcp")
    async with mcp_client(settings) as client:
        requests = len(sandbox.app.state.sandbox.requests)
        with anyio.fail_after(10):
            result = await client.call_tool(tool, arguments)
    assert result.is_error and said in text_of(result) and "Nothing was done" in text_of(result)
    assert len(text_of(result)) < 600, "the value itself is never echoed"
    # No request, no write, and not one log line with the arguments (the debug line comes after the check).
    assert len(sandbox.app.state.sandbox.requests) == requests and not writes(sandbox)
    assert not [r for r in caplog.records if "called with" in r.getMessage()]
    assert all(len(r.getMessage()) < 600 for r in caplog.records)
    assert stored(sandbox, RECEPTIONIST_ID) == before


async def test_a_value_at_its_bound_goes_through(sandbox: SandboxServer, settings: Settings) -> None:
    async with mcp_client(settings) as client:
        listed = await client.call_tool("list_assistants", {"name_contains": "?" * 199 + "="})
        impact = await client.call_tool("change_impact", {"change_id": "none", "success": "requested_callback_later"})
    assert not listed.is_error, text_of(listed)
    assert "characters long" not in text_of(impact)
    assert requests_to(sandbox, "GET")


async def test_too_many_credentials_in_one_call_are_refused(sandbox: SandboxServer, settings: Settings) -> None:
    prompt = " ".join(f"https://h.example/x?token=secret-{i:06d}" for i in range(MAX_SECRETS_BY_VALUE + 1))
    async with mcp_client(settings) as client:
        with anyio.fail_after(10):
            result = await client.call_tool("update_assistant", {"id": RECEPTIONIST_ID, "patch": {"prompt": prompt}})
    assert result.is_error and f"{MAX_SECRETS_BY_VALUE + 1:,} distinct credentials" in text_of(result)
    assert "secret-000001" not in text_of(result) and not writes(sandbox)
