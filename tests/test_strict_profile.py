"""The strict profile against the real OpenAI Agents converter (`ensure_strict_json_schema`, as the SDK's
MCPUtil runs it with `convert_schemas_to_strict=True`), and calls shaped as a strict model sends them.

A strict model sends every property: a one-field change is the whole argument tree with null where the schema
takes null, and, where it does not, the current value copied or the least value the schema takes.
"""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import pytest
from agents.strict_schema import ensure_strict_json_schema

from revox_mcp.policy import Policy
from revox_mcp.schemas import SCHEMA_PROFILES
from revox_mcp.server import build_server
from revox_mcp.strict_reading import allows_null
from revox_mcp.tools import publish
from tests.conftest import fast_settings, mcp_client, requests_to, stored, text_of

MISSING: Any = object()
POLICY = Policy(test_numbers=("+14155550999",))


def converted(schema: dict[str, Any]) -> dict[str, Any]:
    """What the Agents SDK sends OpenAI for an MCP tool with convert_schemas_to_strict=True."""
    return ensure_strict_json_schema(copy.deepcopy(schema), _reject_open_objects=True)


def least(node: dict[str, Any]) -> Any:
    if "enum" in node:
        return next(v for v in node["enum"] if v is not None)
    kind = node.get("type")
    kind = next(t for t in kind if t != "null") if isinstance(kind, list) else kind
    return {"string": "", "number": node.get("minimum", 0), "integer": node.get("minimum", 0), "boolean": False,
            "array": []}.get(kind)  # fmt: skip


def strict_call(node: dict[str, Any], want: Any = MISSING, current: Any = MISSING) -> Any:
    """The call a strict model makes for `want`: every property present, null where allowed, else the current
    value, else the least value the schema takes."""
    if "anyOf" in node:
        branches = [b for b in node["anyOf"] if b != {"type": "null"}]
        if want is MISSING and len(branches) < len(node["anyOf"]):
            return None
        return strict_call(branches[0], want, current)
    if "properties" in node and (want is MISSING or isinstance(want, dict)):
        if want is MISSING and allows_null(node):
            return None
        wanted = {} if want is MISSING else want
        now = current if isinstance(current, dict) else {}
        return {
            k: strict_call(sub, wanted.get(k, MISSING), now.get(k, MISSING)) for k, sub in node["properties"].items()
        }
    if want is not MISSING:
        return want
    if allows_null(node):
        return None
    return current if current is not MISSING else least(node)


def tools(profile: str) -> dict[str, dict[str, Any]]:
    return {name: tool.input_schema for name, tool in publish(POLICY, profile).items()}


@pytest.mark.parametrize("profile", SCHEMA_PROFILES)
def test_the_openai_agents_converter_over_every_tool(profile: str) -> None:
    """strict: every tool converts, and the converter has nothing left to change (so nothing a model is shown
    differs from what the server reads). portable and gemini: every tool but place_test_call and
    clone_assistant converts (their patch is an object of free keys, which the SDK then sends non-strict), and
    changes: every
    property becomes required, which is the wipe the default profile refuses below."""
    failed = []
    for name, schema in tools(profile).items():
        try:
            strict = converted(schema)
        except Exception:
            failed.append(name)
            continue
        assert (strict == schema) is (profile == "strict"), name
    # list_phone_numbers takes no arguments: with no `additionalProperties: false` (genai's MCP conversion cannot
    # read it) the SDK sends it non-strict, which loses nothing.
    expected = {
        "strict": [],
        "portable": ["list_phone_numbers", "place_test_call", "clone_assistant"],
        "gemini": ["list_phone_numbers", "place_test_call", "clone_assistant"],
    }
    assert failed == expected[profile]


def test_every_strict_property_is_required_and_every_object_closed() -> None:
    def walk(node: dict[str, Any]) -> None:
        if "properties" in node:
            assert node["required"] == list(node["properties"]) and node["additionalProperties"] is False
        for sub in [*node.get("properties", {}).values(), *node.get("anyOf", [])]:
            walk(sub)
        if isinstance(node.get("items"), dict):
            walk(node["items"])

    for schema in tools("strict").values():
        walk(schema)


SPEED = {"id": "asst_sales_qualifier", "patch": {"voice": {"speed": 1.1}}}


@pytest.mark.anyio
async def test_a_strict_one_field_change_changes_one_field(sandbox: Any) -> None:
    schema = converted(tools("strict")["update_assistant"])
    call = strict_call(schema, SPEED)
    jsonschema.Draft202012Validator(schema).validate(call)
    assert len(call["patch"]) == 46 and call["patch"]["voice"]["speed"] == 1.1
    before = stored(sandbox, "asst_sales_qualifier")
    async with mcp_client(fast_settings(sandbox), server=build_server(fast_settings(sandbox), profile="strict")) as c:
        result = await c.call_tool("update_assistant", call)
    assert not result.is_error, text_of(result)
    assert result.structured_content is not None
    assert result.structured_content["changes"] == [{"path": "voice.speed", "before": 1, "after": 1.1}]
    after = stored(sandbox, "asst_sales_qualifier")
    assert {k for k in before if before[k] != after[k]} == {"voice", "updated_at"}
    assert after["voice"] == {**before["voice"], "speed": 1.1}


@pytest.mark.anyio
async def test_the_strict_profile_clears_only_what_clear_names_and_checks_as_the_default(sandbox: Any) -> None:
    schema = converted(tools("strict")["update_assistant"])
    cleared = {**strict_call(schema, {"id": "asst_sales_qualifier"}), "clear": ["voicemail_message"]}
    mars = strict_call(
        schema, {"id": "asst_sales_qualifier", "patch": {"call_retry_config": {"timezone": "Mars/Base"}}}
    )
    faq = {"op": "upsert", "list": "faq_items", "item": {"question": "Do you install batteries?", "answer": "Yes."}}
    upsert = strict_call(schema, {"id": "asst_sales_qualifier", "edits": [faq]})
    upsert["edits"] = [strict_call(schema["properties"]["edits"]["items"]["anyOf"][0], faq)]
    for call in (cleared, mars, upsert):
        jsonschema.Draft202012Validator(schema).validate(call)
    before = stored(sandbox, "asst_sales_qualifier")
    async with mcp_client(fast_settings(sandbox), server=build_server(fast_settings(sandbox), profile="strict")) as c:
        first = await c.call_tool("update_assistant", cleared)
        refused = await c.call_tool("update_assistant", mars)
        added = await c.call_tool("update_assistant", upsert)
    assert not first.is_error, text_of(first)
    assert first.structured_content is not None
    assert [c["path"] for c in first.structured_content["changes"]] == ["voicemail_message"]
    assert refused.is_error and '- patch.call_retry_config.timezone: got "Mars/Base"' in text_of(refused)
    assert not added.is_error, text_of(added)
    after = stored(sandbox, "asst_sales_qualifier")
    assert after["voicemail_message"] is None and before["voicemail_message"] is not None
    pairs = [(i["question"], i["answer"]) for i in after["faq_items"]]
    assert pairs == [
        *((i["question"], i["answer"]) for i in before["faq_items"]),
        ("Do you install batteries?", "Yes."),
    ]


@pytest.mark.anyio
async def test_a_wrong_clear_is_refused_with_what_to_send(sandbox: Any) -> None:
    schema = tools("strict")["update_assistant"]
    call = {**strict_call(schema, {"id": "asst_sales_qualifier", "patch": {"voicemail_message": "Hi"}})}
    call["clear"] = ["voicemail_message", "voicemail_mesage"]
    async with mcp_client(fast_settings(sandbox), server=build_server(fast_settings(sandbox), profile="strict")) as c:
        result = await c.call_tool("update_assistant", call)
    text = text_of(result)
    assert result.is_error and 'clear[0]: got "voicemail_message"' in text and "patch.voicemail_message sets it" in text
    assert "clear[1]" in text and "voicemail_message" in text
    assert requests_to(sandbox, "PATCH") == []


@pytest.mark.anyio
async def test_the_default_profile_refuses_a_strict_conversions_call_in_one_line(sandbox: Any) -> None:
    """The most faithful strict-valid call for "speed 1.1" under the default profile's converted schema (null
    where allowed, current values elsewhere) would clear a dozen fields: it is refused, naming the profile."""
    schema = converted(tools("portable")["update_assistant"])
    current = stored(sandbox, "asst_sales_qualifier")
    call = strict_call(schema, {**SPEED, "dry_run": False}, {"patch": current})
    async with mcp_client(fast_settings(sandbox)) as client:
        result = await client.call_tool("update_assistant", call)
    problems = [line for line in text_of(result).splitlines() if line.startswith("- ")]
    assert result.is_error and len(problems) == 1, text_of(result)
    assert problems[0].startswith("- patch: got 46 of the 46 fields") and "--schema-profile strict" in problems[0]
    assert requests_to(sandbox, "PATCH") == []


def test_null_means_left_alone_in_merged_objects_and_no_value_inside_list_items() -> None:
    reading = publish(POLICY, "strict")["update_assistant"].reading
    assert reading is not None
    spec = {"name": "plan", "required": True, "type": "string", "description": None, "enum_options": None}
    tool = {"name": "lookup", "description": "d", "method": "GET", "url": "https://x.example/{{id}}", "headers": [],
            "query_params": [], "body_template": None, "input_schema": [spec]}  # fmt: skip
    window = {"op": "upsert", "list": "call_retry_config.calling_windows", "index": None, "item": None}
    patch = {"voice": {"id": None, "speed": 1.1}, "custom_tools": [tool], "calendly": {"connection_id": None}}
    call = {"id": "a", "dry_run": None, "clear": ["call_retry_config.timezone"], "edits": [window], "patch": patch}
    assert reading.read(call) == {
        "id": "a",
        "edits": [{"op": "upsert", "list": "call_retry_config.calling_windows", "index": None}],
        "patch": {
            "voice": {"speed": 1.1},
            "custom_tools": [{**tool, "input_schema": [{"name": "plan", "required": True, "type": "string"}]}],
            "call_retry_config": {"timezone": None},
        },
    }


def test_a_map_is_a_list_of_name_value_pairs_under_strict() -> None:
    tool = publish(POLICY, "strict")["place_test_call"]
    pairs = tool.input_schema["properties"]["prompt_variables"]
    assert pairs["type"] == ["array", "null"] and pairs["items"]["required"] == ["name", "value"]
    assert tool.reading is not None
    read = tool.reading.read(
        {
            "assistant_id": "a",
            "phone_number": "+14155550999",
            "prompt_variables": [{"name": "first_name", "value": "Ada"}],
        }
    )
    assert read == {"assistant_id": "a", "phone_number": "+14155550999", "prompt_variables": {"first_name": "Ada"}}


@pytest.mark.anyio
async def test_under_a_policy_the_strict_profile_shows_and_reads_only_what_is_offered(sandbox: Any) -> None:
    policy = Policy(deny=frozenset({"voicemail_message", "voice.id"}))
    schema = publish(policy, "strict")["update_assistant"].input_schema
    assert "voicemail_message" not in schema["properties"]["patch"]["properties"]
    assert "voicemail_message" not in schema["properties"]["clear"]["items"]["enum"]
    assert converted(schema) == schema
    settings = fast_settings(sandbox)
    async with mcp_client(settings, server=build_server(settings, policy, "strict")) as client:
        result = await client.call_tool("update_assistant", strict_call(schema, SPEED))
        # Past what is published, as a model that was not shown the schema might send it: refused as denied.
        sneaky = strict_call(schema, SPEED)
        sneaky["patch"]["voice"]["id"] = "other"
        denied = await client.call_tool("update_assistant", sneaky)
    assert not result.is_error, text_of(result)
    assert denied.is_error and "patch.voice.id" in text_of(denied)


@pytest.mark.anyio
async def test_a_strict_conversions_call_is_refused_under_an_allow_list_too(sandbox: Any) -> None:
    allowed = ["voice", "name", "prompt", "first_sentence", "voicemail_message", "from_phone_number", "calendly",
               "background_sound", "thinking_sound", "human_transfer_mode"]  # fmt: skip
    policy = Policy(allow=frozenset(allowed))
    schema = converted(publish(policy, "portable")["update_assistant"].input_schema)
    call = strict_call(schema, SPEED, {"patch": stored(sandbox, "asst_sales_qualifier")})
    settings = fast_settings(sandbox)
    async with mcp_client(settings, server=build_server(settings, policy)) as client:
        result = await client.call_tool("update_assistant", call)
    assert result.is_error and "- patch: got 10 of the 10 fields" in text_of(result)
    assert requests_to(sandbox, "PATCH") == []


@pytest.mark.anyio
async def test_a_strict_test_call_reads_its_candidate_and_variables_as_the_default_does(sandbox: Any) -> None:
    """The reading comes before everything: a variable's value is held to its own bound (2,000), not to a
    top-level argument's; the candidate patch leaves alone what is null."""
    schema = converted(tools("strict")["place_test_call"])
    want = {"assistant_id": "asst_sales_qualifier", "phone_number": "+14155550999", "patch": {"voice": {"speed": 1.1}}}
    call = strict_call(schema, want)
    call["prompt_variables"] = [{"name": "first_name", "value": "A" * 1_500}]
    jsonschema.Draft202012Validator(schema).validate(call)
    settings = fast_settings(sandbox)
    async with mcp_client(settings, server=build_server(settings, POLICY, "strict")) as client:
        result = await client.call_tool("place_test_call", call)
    assert not result.is_error, text_of(result)
    assert result.structured_content is not None
    assert result.structured_content["candidate"] == [{"path": "voice.speed", "before": 1, "after": 1.1}]


def test_a_nesting_deeper_than_any_schema_is_passed_on_unread() -> None:
    reading = publish(POLICY, "strict")["update_assistant"].reading
    assert reading is not None
    deep: Any = None
    for _ in range(5_000):
        deep = [deep]
    assert reading.read({"id": "a", "patch": {"faq_items": deep}})["patch"]["faq_items"] is not None
