"""The tools end to end: a real MCP client, our server in memory, real HTTP to the sandbox."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, CallToolResult

from revox_mcp.config import Settings
from revox_mcp.models import AssistantUpdate
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.seed import RECEPTIONIST_ID, SALES_QUALIFIER_ID
from revox_mcp.schemas import portable_schema
from revox_mcp.tools import TOOLS_BY_NAME
from tests.conftest import MODES, add_fault, fast_settings, mcp_client, requests_to, stored, text_of, writes
from tests.field_values import NEW_VALUES

pytestmark = pytest.mark.anyio

# Answers are checked against their models' whole shapes, not only the published (top-level) schema.
UPDATE_OUTPUT = jsonschema.Draft202012Validator(portable_schema(TOOLS_BY_NAME["update_assistant"].answer_model))
GET_OUTPUT = jsonschema.Draft202012Validator(portable_schema(TOOLS_BY_NAME["get_assistant"].answer_model))
PATH = f"/assistants/{SALES_QUALIFIER_ID}"


def assert_safe(result: CallToolResult, settings: Settings) -> None:
    """No traceback and no API key, whatever happened."""
    text = text_of(result) + json.dumps(result.structured_content or {})
    assert "Traceback" not in text and 'File "' not in text
    assert settings.api_key is None or settings.api_key not in text


async def call(settings: Settings, tool: str, arguments: dict[str, Any], mode: str = "auto") -> CallToolResult:
    async with mcp_client(settings, mode) as client:
        result = await client.call_tool(tool, arguments)
    assert_safe(result, settings)
    return result


def sendable(field: str, value: Any) -> Any:
    """A stored value without the keys the API adds itself (a FAQ item's id and source)."""
    if field == "faq_items" and isinstance(value, list):
        return [{"question": item["question"], "answer": item["answer"]} for item in value]
    return value


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("field", sorted(NEW_VALUES))
async def test_every_field_is_set_through_update_assistant_and_read_back(
    sandbox: SandboxServer, field: str, mode: str
) -> None:
    settings = fast_settings(sandbox)
    expected = AssistantUpdate.model_validate({field: NEW_VALUES[field]}).body()[field]
    async with mcp_client(settings, mode) as client:
        result = await client.call_tool(
            "update_assistant",
            {"id": SALES_QUALIFIER_ID, "patch": {field: NEW_VALUES[field]}, "return_assistant": True},
        )
        assert not result.is_error, text_of(result)
        assert result.structured_content is not None
        UPDATE_OUTPUT.validate(result.structured_content)
        assert sendable(field, result.structured_content["assistant"][field]) == expected
        assert result.structured_content["changes"], "a real change must be reported"
        assert field in text_of(result).splitlines()[0]

        read = await client.call_tool("get_assistant", {"id": SALES_QUALIFIER_ID})
        assert not read.is_error
        assert read.structured_content is not None
        GET_OUTPUT.validate(read.structured_content)
        assert sendable(field, read.structured_content["assistant"][field]) == expected
    assert sendable(field, stored(sandbox, SALES_QUALIFIER_ID)[field]) == expected


INVALID_PATCHES: list[tuple[str, dict[str, Any], str]] = [
    ("unknown key", {"frist_sentence": "Hi"}, "patch.frist_sentence"),
    ("wrong type", {"max_call_duration_secs": "ten minutes"}, "patch.max_call_duration_secs"),
    ("bad enum", {"first_sentence_mode": "scripted"}, "patch.first_sentence_mode"),
    ("list item missing a required key", {"faq_items": [{"question": "Open on Sunday?"}]}, "patch.faq_items[0].answer"),
    ("bad phone", {"from_phone_number": "06 12 34 56 78"}, "patch.from_phone_number"),
    ("speed out of range", {"voice": {"id": "v", "provider": "cartesia", "speed": 2.0}}, "patch.voice.speed"),
    (
        "speed out of the provider's range",
        {"voice": {"id": "v", "provider": "elevenlabs", "speed": 1.4}},
        "patch.voice.speed",
    ),
    (
        "bad timezone",
        {
            "call_retry_config": {
                "allowed_days": ["monday"],
                "call_twice_in_a_row": False,
                "calling_windows": [],
                "max_retry_attempts": 1,
                "timezone": "Europe/Lyon",
            }
        },
        "patch.call_retry_config.timezone",
    ),
    ("null where not nullable", {"prompt": None}, "patch.prompt"),
    ("precall url without placeholder", {"precall_lookup_url": "https://crm.example/x"}, "patch.precall_lookup_url"),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("case", "patch", "path"), INVALID_PATCHES, ids=[c[0] for c in INVALID_PATCHES])
async def test_invalid_patches_are_refused_with_the_path_and_nothing_is_written(
    sandbox: SandboxServer, settings: Settings, case: str, patch: dict[str, Any], path: str, mode: str
) -> None:
    before = stored(sandbox, SALES_QUALIFIER_ID)
    result = await call(settings, "update_assistant", {"id": SALES_QUALIFIER_ID, "patch": patch}, mode)
    assert result.is_error
    assert f"- {path}:" in text_of(result)
    assert "nothing was written" in text_of(result)
    if any(mark in path.removeprefix("patch.") for mark in ".["):
        # Inside an object or a list a value may be the stored one sent back: judged against one read.
        assert [r.method for r in sandbox.app.state.sandbox.requests] == ["GET"]
    else:
        assert sandbox.app.state.sandbox.requests == [], "a patch invalid on its face must make zero API requests"
    assert stored(sandbox, SALES_QUALIFIER_ID) == before


async def test_several_problems_come_back_in_one_answer(sandbox: SandboxServer, settings: Settings) -> None:
    patch = {"frist_sentence": "Hi", "stt_model": "v9", "voice": {"speed": 1.9}, "thinking_sound_volume": 2}
    result = await call(settings, "update_assistant", {"id": SALES_QUALIFIER_ID, "patch": patch})
    text = text_of(result)
    assert "4 problem(s)" in text
    assert "Did you mean `first_sentence`?" in text
    assert writes(sandbox) == []


async def test_wrong_key_is_refused_with_advice(sandbox: SandboxServer) -> None:
    settings = fast_settings(sandbox, api_key="sk-not-the-sandbox-key")
    result = await call(settings, "update_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"name": "x"}})
    assert result.is_error
    assert "401" in text_of(result) and "REVOX_API_KEY" in text_of(result)


async def test_missing_key_says_which_env_var_and_sends_nothing(sandbox: SandboxServer) -> None:
    result = await call(fast_settings(sandbox, api_key=None), "get_assistant", {"id": SALES_QUALIFIER_ID})
    assert result.is_error and "REVOX_API_KEY" in text_of(result) and "--sandbox" in text_of(result)
    assert sandbox.app.state.sandbox.requests == []


async def test_unknown_assistant_suggests_checking_with_get_assistant(settings: Settings) -> None:
    result = await call(settings, "update_assistant", {"id": "asst_missing", "patch": {"name": "x"}})
    assert result.is_error
    assert "asst_missing" in text_of(result) and "get_assistant" in text_of(result)


async def test_api_400_is_passed_on_with_its_field(sandbox: SandboxServer, settings: Settings) -> None:
    add_fault(sandbox, method="PATCH", path=PATH, status=400, body={"message": "webhook_url: host is not reachable"})
    result = await call(
        settings, "update_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"webhook_url": "https://x.example"}}
    )
    assert result.is_error
    assert "host is not reachable" in text_of(result)
    assert "patch.webhook_url" in text_of(result)


async def test_429_then_success(sandbox: SandboxServer, settings: Settings) -> None:
    add_fault(sandbox, method="PATCH", path=PATH, status=429, headers={"Retry-After": "0"}, times=2)
    result = await call(settings, "update_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"name": "Patient"}})
    assert not result.is_error, text_of(result)
    assert [r.status for r in requests_to(sandbox, "PATCH")] == [429, 429, 200]
    assert stored(sandbox, SALES_QUALIFIER_ID)["name"] == "Patient"


async def test_persistent_503_is_an_error_that_says_to_check_the_state(
    sandbox: SandboxServer, settings: Settings
) -> None:
    add_fault(sandbox, method="PATCH", path=PATH, status=503, times=-1)
    result = await call(settings, "update_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"name": "Never"}})
    assert result.is_error
    assert "503" in text_of(result) and "did not land: nothing changed. It is safe to call again." in text_of(result)
    assert len(requests_to(sandbox, "PATCH")) == settings.max_retries + 1


async def test_a_write_that_times_out_is_checked_by_a_re_read(sandbox: SandboxServer) -> None:
    add_fault(sandbox, method="PATCH", path=PATH, status=200, delay_s=1.0, times=-1)
    settings = fast_settings(sandbox, read_timeout_s=0.2, max_retries=0)
    result = await call(settings, "update_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"name": "Slow"}})
    assert result.is_error and "did not land: nothing changed" in text_of(result)


async def test_unknown_fields_from_the_api_are_kept_in_the_answer(sandbox: SandboxServer, settings: Settings) -> None:
    sandbox.store.update(RECEPTIONIST_ID, {"voice_cloning_consent": {"given": True}})
    result = await call(settings, "get_assistant", {"id": RECEPTIONIST_ID})
    assert result.structured_content is not None
    GET_OUTPUT.validate(result.structured_content)
    assert result.structured_content["assistant"]["voice_cloning_consent"] == {"given": True}


async def test_empty_patch_writes_nothing_and_returns_the_assistant(sandbox: SandboxServer, settings: Settings) -> None:
    result = await call(settings, "update_assistant", {"id": SALES_QUALIFIER_ID, "patch": {}})
    assert not result.is_error and "No changes" in text_of(result)
    assert result.structured_content is not None and result.structured_content["changes"] == []
    assert writes(sandbox) == []


async def test_text_content_carries_the_same_answer_for_clients_without_structured_content(settings: Settings) -> None:
    result = await call(settings, "get_assistant", {"id": SALES_QUALIFIER_ID})
    summary, payload = text_of(result).split("\n", 1)
    assert "Solar lead qualifier" in summary
    assert json.loads(payload) == result.structured_content


@pytest.mark.parametrize("mode", MODES)
async def test_an_unknown_tool_is_a_protocol_error_naming_the_nearest_tools(settings: Settings, mode: str) -> None:
    # 2025-11-25, tools: an unknown tool is a JSON-RPC error (-32602), not a tool result with isError.
    async with mcp_client(settings, mode) as client:
        with pytest.raises(MCPError) as raised:
            await client.call_tool("get_asistant", {"id": SALES_QUALIFIER_ID})
        with pytest.raises(MCPError) as unlike:
            await client.call_tool("x" * 5_000, {})
    assert raised.value.code == INVALID_PARAMS
    assert raised.value.message.startswith('Unknown tool "get_asistant". Did you mean get_assistant or ')
    assert "Tools here: list_assistants, get_assistant, update_assistant" in raised.value.message
    # A long name is shortened, not echoed whole.
    assert unlike.value.message.startswith('Unknown tool "xxx') and len(unlike.value.message) < 600


async def test_a_tool_the_operator_did_not_enable_says_why(settings: Settings) -> None:
    async with mcp_client(settings) as client:  # no test numbers: place_test_call is not offered
        with pytest.raises(MCPError, match="place_test_call is disabled: the operator named no test numbers"):
            await client.call_tool("place_test_call", {"assistant_id": SALES_QUALIFIER_ID, "phone_number": "+1415"})


@pytest.mark.parametrize("mode", MODES)
async def test_tool_annotations(settings: Settings, mode: str) -> None:
    async with mcp_client(settings, mode) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    for name in ("get_assistant", "list_assistants", "list_changes"):
        annotations = tools[name].annotations
        assert annotations is not None and annotations.read_only_hint is True, name
    update = tools["update_assistant"].annotations
    assert update is not None
    assert update.read_only_hint is False and update.idempotent_hint is False and update.open_world_hint is True
