"""Operator policy: read-only mode, denied and allowed fields, value limits; published and enforced."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import CallToolResult

from revox_mcp.cli import main
from revox_mcp.config import Settings
from revox_mcp.errors import ConfigError
from revox_mcp.policy import SENSITIVE_FIELDS, Limit, Policy
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.seed import RECEPTIONIST_ID, SALES_QUALIFIER_ID
from revox_mcp.schemas import body_schema
from revox_mcp.server import build_server
from tests.conftest import fast_settings, stored, text_of, writes

pytestmark = pytest.mark.anyio
SALES = SALES_QUALIFIER_ID


def policy(**options: Any) -> Policy:
    return Policy.load(env={}, known=body_schema(), **options)


@asynccontextmanager
async def client_with(settings: Settings, rules: Policy) -> AsyncIterator[Client]:
    async with Client(build_server(settings, rules)) as client:
        yield client


def refused(result: CallToolResult, *paths: str) -> str:
    text = text_of(result)
    assert result.is_error, text
    for path in paths:
        assert f"- {path}:" in text, text
    assert "operator policy" in text
    return text


# --- loading --------------------------------------------------------------------------------------


def test_flags_env_and_file_combine(tmp_path: Path) -> None:
    file = tmp_path / "policy.toml"
    file.write_text('deny_fields = ["webhook_url"]\n[limits]\nmax_call_duration_secs = { max = 900 }\n')
    env = {"REVOX_MCP_DENY_FIELDS": "custom_tools", "REVOX_MCP_LIMITS": "voice.speed>=0.8"}
    loaded = Policy.load(file=file, deny="zoho", limits=["max_call_duration_secs<=600"], env=env, known=body_schema())
    assert loaded.deny == {"webhook_url", "custom_tools", "zoho"}
    assert loaded.limits == {"max_call_duration_secs": Limit(maximum=600), "voice.speed": Limit(minimum=0.8)}
    assert Policy.load(env={"REVOX_MCP_READ_ONLY": "1"}).read_only


def test_the_sensitive_preset_expands() -> None:
    assert policy(deny="@sensitive").deny == set(SENSITIVE_FIELDS)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"deny": "webhok_url"}, "did you mean 'webhook_url'"),
        ({"allow": "voice.sped"}, "did you mean 'voice.speed'"),
        ({"limits": ["max_call_duration_secs < 900"]}, "field<=number"),
        ({"limits": ["name<=3"]}, "not a number"),
        ({"deny": "@everything"}, "Unknown preset"),
    ],
)
def test_mistakes_in_a_policy_are_refused_at_start(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        policy(**options)


def test_serve_refuses_a_bad_policy_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--sandbox", "--deny-fields", "webhok_url"]) == 2
    err = capsys.readouterr().err
    assert "webhook_url" in err and len(err.strip().splitlines()) == 1


# --- read-only ------------------------------------------------------------------------------------


async def test_read_only_lists_only_read_tools_and_refuses_writes(sandbox: SandboxServer, settings: Settings) -> None:
    async with client_with(settings, policy(read_only=True)) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert names == {
            "list_assistants", "get_assistant", "list_changes", "list_voices", "list_phone_numbers", "search_calls",
            "get_call", "get_phone_history", "change_impact", "compare_assistants", "preview_voice", "list_campaigns",
            "get_campaign",
        }  # fmt: skip
        # Not offered, so an unknown tool to the protocol (-32602), with the reason it is not offered.
        with pytest.raises(MCPError, match="update_assistant is disabled: this server is read-only"):
            await client.call_tool("update_assistant", {"id": SALES, "patch": {"name": "x"}})
    assert sandbox.app.state.sandbox.requests == []


# --- denied fields ----------------------------------------------------------------------------------


async def test_denied_fields_vanish_from_the_published_schema(settings: Settings) -> None:
    rules = policy(deny="@sensitive,voice.id,faq_items", limits=["max_call_duration_secs<=900"])
    async with client_with(settings, rules) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    schema = tools["update_assistant"].input_schema
    patch = schema["properties"]["patch"]["properties"]
    assert not {"webhook_url", "custom_tools", "transfer_destinations", "faq_items"} & set(patch)
    assert "id" not in patch["voice"]["properties"] and "speed" in patch["voice"]["properties"]
    custom = next(b for b in patch["llm_model"]["anyOf"] if b["properties"]["type"].get("enum") == ["custom"])
    assert "api_url" not in custom["properties"] and "api_key" not in custom["properties"]
    assert patch["max_call_duration_secs"]["maximum"] == 900
    edit_lists = {
        json.dumps(v["properties"].get("list", v["properties"].get("field")))
        for v in schema["properties"]["edits"]["items"]["anyOf"]
    }
    assert not any("faq_items" in e or "custom_tools" in e or "transfer_destinations" in e for e in edit_lists)


async def test_a_denied_field_sent_anyway_is_refused_before_any_request(
    sandbox: SandboxServer, settings: Settings
) -> None:
    async with client_with(settings, policy(deny="@sensitive")) as client:
        result = await client.call_tool(
            "update_assistant",
            {"id": SALES, "patch": {"webhook_url": "https://evil.example/x", "name": "ok"}},
        )
        refused(result, "patch.webhook_url")
        edit = {"op": "upsert", "list": "transfer_destinations", "item": {"label": "x", "phone_number": "+15550000000"}}
        refused(
            await client.call_tool("update_assistant", {"id": SALES, "edits": [edit]}), "edits[0].transfer_destinations"
        )
    assert sandbox.app.state.sandbox.requests == []


async def test_a_nested_denial_allows_the_rest_of_the_object(sandbox: SandboxServer, settings: Settings) -> None:
    async with client_with(settings, policy(deny="voice.id")) as client:
        ok = await client.call_tool("update_assistant", {"id": SALES, "patch": {"voice": {"speed": 1.1}}})
        assert not ok.is_error, text_of(ok)
        refused(
            await client.call_tool("update_assistant", {"id": SALES, "patch": {"voice": {"id": "x"}}}), "patch.voice.id"
        )
        new_provider = {"voice": {"provider": "gradium", "id": "gradium-voice-ines"}}
        refused(await client.call_tool("update_assistant", {"id": SALES, "patch": new_provider}), "patch.voice.id")
    assert stored(sandbox, SALES)["voice"]["speed"] == 1.1 and len(writes(sandbox)) == 1


async def test_switching_to_a_custom_llm_is_refused_when_its_url_is_denied(
    sandbox: SandboxServer, settings: Settings
) -> None:
    custom = {"type": "custom", "api_url": "https://evil.example/v1", "api_key": "k", "model_name": "m"}
    async with client_with(settings, policy(deny="llm_model.api_url")) as client:
        refused(await client.call_tool("update_assistant", {"id": SALES, "patch": {"llm_model": custom}}))
    assert writes(sandbox) == []


async def test_an_allow_list_permits_only_what_it_names(sandbox: SandboxServer, settings: Settings) -> None:
    async with client_with(settings, policy(allow="first_sentence,voice.speed")) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert set(tools["update_assistant"].input_schema["properties"]["patch"]["properties"]) == {
            "first_sentence",
            "voice",
        }
        assert not (
            await client.call_tool("update_assistant", {"id": SALES, "patch": {"voice": {"speed": 0.9}}})
        ).is_error
        refused(await client.call_tool("update_assistant", {"id": SALES, "patch": {"name": "x"}}), "patch.name")
        edit = {"op": "replace_text", "field": "prompt", "find": "Acme", "replace": "Evil"}
        refused(await client.call_tool("update_assistant", {"id": SALES, "edits": [edit]}), "edits[0].prompt")


async def test_limits_are_enforced_on_patches_and_on_reverts(
    sandbox: SandboxServer, settings: Settings, tmp_path: Path
) -> None:
    journal = fast_settings(sandbox, journal_path=tmp_path / "j.db")
    async with client_with(journal, Policy()) as client:
        change = await client.call_tool(
            "update_assistant", {"id": RECEPTIONIST_ID, "patch": {"max_call_duration_secs": 300}}
        )
        change_id = change.structured_content["change_id"]  # type: ignore[index]
    async with client_with(journal, policy(limits=["max_call_duration_secs<=500"])) as client:
        over = await client.call_tool("update_assistant", {"id": SALES, "patch": {"max_call_duration_secs": 1200}})
        assert "a number <= 500 (operator policy)" in text_of(over)
        revert = await client.call_tool("revert_change", {"change_id": change_id})
    # The revert would restore 900 seconds, above the limit.
    assert revert.is_error and "revert.max_call_duration_secs" in text_of(revert)
    assert stored(sandbox, RECEPTIONIST_ID)["max_call_duration_secs"] == 300


async def test_revert_of_a_denied_field_is_refused(sandbox: SandboxServer, tmp_path: Path) -> None:
    journal = fast_settings(sandbox, journal_path=tmp_path / "j.db")
    async with client_with(journal, Policy()) as client:
        change = await client.call_tool(
            "update_assistant", {"id": SALES, "patch": {"webhook_url": "https://new.example/h"}}
        )
        change_id = change.structured_content["change_id"]  # type: ignore[index]
    async with client_with(journal, policy(deny="webhook_url")) as client:
        refused(await client.call_tool("revert_change", {"change_id": change_id}), "revert.webhook_url")
    assert stored(sandbox, SALES)["webhook_url"] == "https://new.example/h"


# --- through parents: lists of another length, upserts, nulled objects, reverts --------------------

DEST = [{"label": "On-call dentist", "phone_number": "+33478000001"}]


@pytest.mark.parametrize(
    ("rules", "assistant", "arguments", "path"),
    [
        # A list of another length replaces the list whole: its items' denied values change with it.
        (
            {"deny": "transfer_destinations.phone_number"},
            RECEPTIONIST_ID,
            {"patch": {"transfer_destinations": [*DEST, {"label": "Evil", "phone_number": "+15550000666"}]}},
            "transfer_destinations.phone_number",
        ),
        (
            {"deny": "faq_items.answer"},
            RECEPTIONIST_ID,
            {"edits": [{"op": "upsert", "list": "faq_items", "item": {"question": "New?", "answer": "Go elsewhere."}}]},
            "faq_items.answer",
        ),
        (
            {"deny": "faq_items.answer"},
            RECEPTIONIST_ID,
            {"patch": {"faq_items": [{"question": "Only one?", "answer": "Yes."}]}},
            "faq_items.answer",
        ),
        ({"deny": "calendly.event_type_id"}, SALES, {"patch": {"calendly": None}}, "calendly.event_type_id"),
        (
            {"deny": "calendly.event_type_id"},
            RECEPTIONIST_ID,
            {"patch": {"calendly": {"connection_id": "c", "event_type_id": "evil"}}},
            "calendly.event_type_id",
        ),
        (
            {"allow": "faq_items.answer"},
            RECEPTIONIST_ID,
            {"patch": {"faq_items": [{"question": "A new question?", "answer": "Yes."}]}},
            "faq_items.question",
        ),
    ],
)
async def test_a_denied_path_cannot_be_changed_through_its_parent(
    sandbox: SandboxServer,
    settings: Settings,
    rules: dict[str, Any],
    assistant: str,
    arguments: dict[str, Any],
    path: str,
) -> None:
    before = stored(sandbox, assistant)
    async with client_with(settings, policy(**rules)) as client:
        result = await client.call_tool("update_assistant", {"id": assistant, **arguments})
    prefix = "result" if "edits" in arguments else "patch"
    refused(result, f"{prefix}.{path}")
    assert writes(sandbox) == [] and stored(sandbox, assistant) == before


async def test_an_allowed_answer_inside_a_list_can_still_be_changed(sandbox: SandboxServer, settings: Settings) -> None:
    faq = [{"question": i["question"], "answer": i["answer"]} for i in stored(sandbox, RECEPTIONIST_ID)["faq_items"]]
    faq[1]["answer"] = "Every mutuelle."
    async with client_with(settings, policy(allow="faq_items.answer")) as client:
        result = await client.call_tool("update_assistant", {"id": RECEPTIONIST_ID, "patch": {"faq_items": faq}})
    assert not result.is_error, text_of(result)
    assert stored(sandbox, RECEPTIONIST_ID)["faq_items"][1]["answer"] == "Every mutuelle."


async def test_a_revert_cannot_change_a_denied_path_through_its_parent(sandbox: SandboxServer, tmp_path: Path) -> None:
    journal = fast_settings(sandbox, journal_path=tmp_path / "j.db")
    async with client_with(journal, Policy()) as client:
        change = await client.call_tool(
            "update_assistant", {"id": RECEPTIONIST_ID, "patch": {"transfer_destinations": DEST}}
        )
        change_id = change.structured_content["change_id"]  # type: ignore[index]
    async with client_with(journal, policy(deny="transfer_destinations.phone_number")) as client:
        refused(
            await client.call_tool("revert_change", {"change_id": change_id}),
            "revert.transfer_destinations.phone_number",
        )
    assert stored(sandbox, RECEPTIONIST_ID)["transfer_destinations"] == DEST


async def test_limits_hold_for_every_item_of_a_list(sandbox: SandboxServer, settings: Settings) -> None:
    window = {"calling_window_start_time": "09:00", "calling_window_end_time": "10:00", "retry_delay_seconds": 0}
    rules = policy(limits=["call_retry_config.calling_windows.retry_delay_seconds>=600"])
    async with client_with(settings, rules) as client:
        edit = {"op": "upsert", "list": "call_retry_config.calling_windows", "item": window}
        by_edit = await client.call_tool("update_assistant", {"id": SALES, "edits": [edit]})
        config = {**stored(sandbox, SALES)["call_retry_config"]}
        config["calling_windows"] = [*config["calling_windows"], window]
        by_patch = await client.call_tool("update_assistant", {"id": SALES, "patch": {"call_retry_config": config}})
    assert "a number >= 600 (operator policy)" in text_of(by_edit)
    refused(by_edit, "result.call_retry_config.calling_windows[2].retry_delay_seconds")
    refused(by_patch, "patch.call_retry_config.calling_windows[2].retry_delay_seconds")
    assert writes(sandbox) == []


@pytest.mark.parametrize(
    "patch",
    [
        {"email_notification_address": "leak@evil.example"},
        {"slack": {"connection_id": "slk_evil", "channels": [{"id": "C1"}], "outcomes": []}},
        {"zoho": None},
        {"calendly": {"connection_id": "cal_evil", "event_type_id": "evt_1"}},
    ],
)
async def test_the_sensitive_preset_covers_every_way_out(
    sandbox: SandboxServer, settings: Settings, patch: dict[str, Any]
) -> None:
    async with client_with(settings, policy(deny="@sensitive")) as client:
        text = refused(await client.call_tool("update_assistant", {"id": SALES, "patch": patch}))
    assert f"- patch.{next(iter(patch))}" in text and writes(sandbox) == []


def test_a_limit_refuses_what_compares_false_with_everything() -> None:
    rules = policy(limits=["max_call_duration_secs<=900", "call_retry_config.calling_windows.retry_delay_seconds>=600"])
    body = {
        "max_call_duration_secs": float("nan"),
        "call_retry_config": {"calling_windows": [{"retry_delay_seconds": 900}, {"retry_delay_seconds": float("inf")}]},
    }
    assert [p.path for p in rules.check_limits(body, "patch")] == [
        "patch.max_call_duration_secs",
        "patch.call_retry_config.calling_windows[1].retry_delay_seconds",
    ]


async def test_moving_a_denied_secret_to_a_new_destination_is_denied_too(
    sandbox: SandboxServer, settings: Settings
) -> None:
    """Review finding: with the key denied, pointing api_url (or a tool's url) elsewhere would send it there."""
    key = "sk-live-0123456789abcdef"
    llm = {"type": "custom", "api_url": "https://llm.acme.example/v1", "api_key": key, "model_name": "m"}
    tool = {"name": "crm", "description": "d", "method": "GET", "url": "https://crm.example/x", "body_template": None,
            "headers": [{"key": "Authorization", "value": "Bearer tok-0123456789"}], "query_params": [],
            "input_schema": []}  # fmt: skip
    sandbox.store.update(SALES, {"llm_model": llm, "custom_tools": [tool]})
    rules = policy(deny="llm_model.api_key,custom_tools.headers")
    async with client_with(settings, rules) as client:
        moved_key = await client.call_tool(
            "update_assistant", {"id": SALES, "patch": {"llm_model": {"api_url": "https://attacker.example/v1"}}}
        )
        moved_header = await client.call_tool(
            "update_assistant",
            {
                "id": SALES,
                "edits": [
                    {"op": "upsert", "list": "custom_tools", "item": {**tool, "url": "https://attacker.example"}}
                ],
            },
        )
        renamed = await client.call_tool("update_assistant", {"id": SALES, "patch": {"name": "Still allowed"}})
    assert moved_key.is_error and "llm_model.api_key" in text_of(moved_key)
    assert moved_header.is_error and "custom_tools.headers" in text_of(moved_header)
    assert not renamed.is_error, text_of(renamed)
    assert stored(sandbox, SALES)["llm_model"]["api_url"] == "https://llm.acme.example/v1"
