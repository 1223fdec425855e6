"""Every refusal has a source: the rules table covers each constraint of the published schema, the README
shows the table, rules of our own only warn, and the values the API accepts go through."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from revox_mcp.config import Settings
from revox_mcp.rules import RULES, markdown_table, warnings_for
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.seed import RECEPTIONIST_ID, SALES_QUALIFIER_ID
from revox_mcp.schemas import body_schema
from tests.conftest import mcp_client, stored, text_of, writes
from tests.test_models import custom_tool

CONSTRAINTS = ("pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength")
README = Path(__file__).resolve().parent.parent / "README.md"


def constrained_paths(node: dict[str, Any], path: str = "") -> set[str]:
    found = {path} if any(k in node for k in CONSTRAINTS) else set()
    for branch in node.get("anyOf", []):
        found |= constrained_paths(branch, path)
    if isinstance(node.get("items"), dict):
        found |= constrained_paths(node["items"], f"{path}[]")
    for key, child in node.get("properties", {}).items():
        found |= constrained_paths(child, f"{path}.{key}" if path else key)
    return found


def test_every_constraint_of_the_published_schema_is_a_refusal_with_a_source() -> None:
    refused = {r.path for r in RULES if r.enforced == "refused"}
    missing = constrained_paths(body_schema()) - refused
    assert not missing, f"constraints with no row in rules.RULES (add one with its source): {sorted(missing)}"


def test_rules_of_our_own_only_warn() -> None:
    for rule in RULES:
        assert rule.source, rule
        if rule.source.startswith("revox-mcp"):
            assert rule.enforced == "warned" and rule.check is not None, rule


def test_the_readme_shows_the_rules_table() -> None:
    assert markdown_table() in README.read_text(encoding="utf-8"), "regenerate with revox_mcp.rules.markdown_table()"


WINDOW = {"calling_window_start_time": "9am", "calling_window_end_time": "5pm", "retry_delay_seconds": -5}
SPEC = {"name": "", "required": True, "type": "enum"}


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"voice": {"id": "v", "provider": "elevenlabs", "model": "sonic-3"}}, "voice.model"),
        ({"voice": {"id": "v", "provider": "gradium", "volume": 1.5}}, "voice.volume"),
        ({"custom_tools": [{**custom_tool("stock"), "url": "stock.example/x"}]}, "custom_tools[0].url"),
        (
            {"llm_model": {"type": "custom", "api_url": "ftp://x", "api_key": "k", "model_name": "m"}},
            "llm_model.api_url",
        ),
        ({"webhook_url": "hooks.example"}, "webhook_url"),
        ({"logo_url": "logo.png"}, "logo_url"),
        ({"name": "  "}, "name"),
        ({"faq_items": [{"question": "", "answer": "a"}]}, "faq_items[0].question"),
        ({"transfer_destinations": [{"label": "", "phone_number": "+14155550123"}]}, "transfer_destinations[0].label"),
        ({"structured_output_config": [SPEC]}, "structured_output_config[0].name"),
        ({"structured_output_config": [SPEC]}, "structured_output_config[0] has type 'enum'"),
        ({"custom_tools": [{**custom_tool("t"), "input_schema": [SPEC]}]}, "custom_tools[0].input_schema[0] has"),
        ({"call_retry_config": {"max_retry_attempts": -1}}, "call_retry_config.max_retry_attempts"),
        ({"call_retry_config": {"calling_windows": [WINDOW]}}, "calling_windows[0].retry_delay_seconds"),
        ({"first_sentence_delay_ms": -1}, "first_sentence_delay_ms"),
        ({"max_call_duration_secs": 0}, "max_call_duration_secs"),
        ({"transfer_phone_number": "+14155550123"}, "transfer_phone_number comes from the API's original page"),
        ({"transfer_phone_number": "0612"}, "and it is not an E.164 number"),
    ],
)
def test_each_rule_of_our_own_warns(body: dict[str, Any], path: str) -> None:
    found = warnings_for(body, {})
    assert any(path in w for w in found), found
    assert all("(A check of revox-mcp, not a rule of the API:" in w for w in found)


@pytest.mark.parametrize(
    "body",
    [
        {"custom_tools": [{**custom_tool("stock"), "url": "{{api_base}}/stock"}]},
        {"webhook_url": ""},
        {"voice": {"id": "v", "provider": "cartesia", "model": "sonic-3.5", "volume": 1.2}},
        {"call_retry_config": {"max_retry_attempts": 0, "calling_windows": [{**WINDOW, "retry_delay_seconds": 0}]}},
    ],
)
def test_good_values_draw_no_warning(body: dict[str, Any]) -> None:
    assert warnings_for(body, {}) == []


def test_a_value_already_stored_is_not_judged_again() -> None:
    current = {"webhook_url": "hooks.example", "faq_items": [{"question": "", "answer": "a"}]}
    assert (
        warnings_for({"faq_items": [{"question": "", "answer": "a"}, {"question": "Q", "answer": "b"}]}, current) == []
    )


OPENROUTER = {"type": "openrouter", "openrouter_model_id": "openai/gpt-4.1", "openrouter_provider": "azure"}
REALTIME = {"type": "realtime", "provider": "openai", "realtime_model_id": "gpt-4.1", "realtime_voice_id": "marin"}


@pytest.mark.parametrize(
    ("before", "after", "warned"),
    [
        (OPENROUTER, {**OPENROUTER, "openrouter_model_id": "meta-llama/llama-3.3-70b"}, True),
        (
            OPENROUTER,
            {**OPENROUTER, "openrouter_model_id": "meta-llama/llama-3.3-70b", "openrouter_provider": "x"},
            False,
        ),
        (OPENROUTER, {**OPENROUTER, "openrouter_provider": "nebius"}, False),
        (
            {**OPENROUTER, "openrouter_provider": "openai"},
            {**OPENROUTER, "openrouter_provider": "openai", "openrouter_model_id": "openai/gpt-4.1-mini"},
            False,
        ),
        (REALTIME, {**REALTIME, "provider": "google"}, True),
        (REALTIME, {**REALTIME, "provider": "google", "realtime_voice_id": "Puck"}, False),
        ({"type": "dedicated-instance", "name": "gpt-4.1"}, OPENROUTER, False),
    ],
    ids=[
        "new model, old provider",
        "both new",
        "provider only",
        "author hosts it",
        "new provider, old voice",
        "voice too",
        "new type",
    ],
)
def test_a_companion_key_kept_from_before_is_warned_about(
    before: dict[str, Any], after: dict[str, Any], warned: bool
) -> None:
    """Issue 22 item 5: a change that leaves a companion key that may no longer fit."""
    found = warnings_for({"llm_model": after}, {"llm_model": before})
    assert bool(found) is warned, found
    assert all("stays" in w and "(A check of revox-mcp" in w for w in found)


# --- through MCP, against the sandbox: what the API accepts goes through; what its types refuse does not ---

ACCEPTED = [
    {"custom_tools": [{**custom_tool("check_stock"), "url": "{{api_base}}/stock"}]},
    {"name": "N" * 250},
    {"prompt": "p" * 100_001},
    {"call_retry_config": {"max_retry_attempts": -1}},
    {"first_sentence_delay_ms": -20},
    {"max_call_duration_secs": 0},
    {"faq_items": [{"question": "", "answer": "a"}]},
    {"transfer_destinations": [{"label": "", "phone_number": "+14155550123"}]},
    {"structured_output_config": [{"name": "", "required": False, "type": "string"}]},
    {"webhook_url": ""},
    {"llm_model": {"type": "custom", "api_url": "grpc://llm.internal", "api_key": "k" * 20, "model_name": "m"}},
]


@pytest.mark.anyio
@pytest.mark.parametrize("patch", ACCEPTED, ids=lambda p: next(iter(p)))
async def test_values_the_api_accepts_are_not_refused(sandbox: SandboxServer, settings: Settings, patch: dict) -> None:
    async with mcp_client(settings) as client:
        result = await client.call_tool("update_assistant", {"id": SALES_QUALIFIER_ID, "patch": patch})
    assert not result.is_error, text_of(result)
    assert [w.method for w in writes(sandbox)] == ["PATCH"]
    field = next(iter(patch))
    if isinstance(patch[field], str | int | float):
        assert stored(sandbox, SALES_QUALIFIER_ID)[field] == patch[field]


REFUSED = [
    ({"voice": {"speed": None}}, "patch.voice.speed"),
    ({"voice": {"model": None}}, "patch.voice.model"),
    ({"voice": {"volume": None}}, "patch.voice.volume"),
    (
        {"llm_model": {"type": "realtime", "provider": "openai", "realtime_model_id": "m", "realtime_voice_id": None}},
        "patch.llm_model.realtime_voice_id",
    ),
    (
        {"structured_output_config": [{"name": "a", "required": True, "type": "string", "description": None}]},
        "patch.structured_output_config[0].description",
    ),
    (
        {"structured_output_config": [{"name": "a", "required": True, "type": "enum", "enum_options": None}]},
        "patch.structured_output_config[0].enum_options",
    ),
    ({"custom_tools": [custom_tool("same"), custom_tool("same")]}, "patch.custom_tools"),
    ({"voice": {"speed": float("nan")}}, "patch.voice.speed"),
    ({"max_call_duration_secs": float("inf")}, "patch.max_call_duration_secs"),
]


@pytest.mark.anyio
@pytest.mark.parametrize(("patch", "path"), REFUSED, ids=[p for _, p in REFUSED])
async def test_values_the_sdk_types_refuse_are_refused(
    sandbox: SandboxServer, settings: Settings, patch: dict, path: str
) -> None:
    async with mcp_client(settings) as client:
        result = await client.call_tool("update_assistant", {"id": SALES_QUALIFIER_ID, "patch": patch})
    assert result.is_error and f"- {path}:" in text_of(result), text_of(result)
    assert writes(sandbox) == []


@pytest.mark.anyio
async def test_the_legacy_transfer_number_works_and_says_what_replaced_it(
    sandbox: SandboxServer, settings: Settings
) -> None:
    async with mcp_client(settings) as client:
        result = await client.call_tool(
            "update_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"transfer_phone_number": "+14155550199"}}
        )
    assert not result.is_error, text_of(result)
    assert any("transfer_destinations" in w for w in result.structured_content["warnings"])  # type: ignore[index]
    assert stored(sandbox, SALES_QUALIFIER_ID)["transfer_phone_number"] == "+14155550199"


@pytest.mark.anyio
async def test_a_sonic_3_only_voice_without_a_model_is_accepted(sandbox: SandboxServer, settings: Settings) -> None:
    # The SDK: an omitted Cartesia model means sonic-3, so a voice that works only with sonic-3 fits.
    voice = {"id": "63ff761f-c1e8-414b-b969-d1833d1c870c", "provider": "cartesia"}
    async with mcp_client(settings) as client:
        result = await client.call_tool("update_assistant", {"id": RECEPTIONIST_ID, "patch": {"voice": voice}})
        assert not result.is_error, text_of(result)
        wrong = {**voice, "model": "sonic-3.5"}
        refused = await client.call_tool("update_assistant", {"id": RECEPTIONIST_ID, "patch": {"voice": wrong}})
    assert refused.is_error and "patch.voice.model" in text_of(refused)
    assert stored(sandbox, RECEPTIONIST_ID)["voice"] == {**voice, "speed": 0.95}, "the speed fits Cartesia too"


@pytest.mark.anyio
async def test_a_new_openrouter_model_alone_keeps_the_provider_and_says_so(
    sandbox: SandboxServer, settings: Settings
) -> None:
    """The issue's case: only a new model id sent; the old provider stays, and the answer says to check it."""
    sandbox.store.update(SALES_QUALIFIER_ID, {"llm_model": OPENROUTER})
    patch = {"llm_model": {"openrouter_model_id": "meta-llama/llama-3.3-70b-instruct"}}
    async with mcp_client(settings) as client:
        result = await client.call_tool("update_assistant", {"id": SALES_QUALIFIER_ID, "patch": patch})
    assert not result.is_error, text_of(result)
    assert stored(sandbox, SALES_QUALIFIER_ID)["llm_model"]["openrouter_provider"] == "azure"
    (warning,) = result.structured_content["warnings"]  # type: ignore[index]
    assert warning.startswith("llm_model.openrouter_model_id is a new model") and 'stays "azure"' in warning


@pytest.mark.anyio
async def test_a_faq_write_says_which_flags_the_api_resets(sandbox: SandboxServer, settings: Settings) -> None:
    """Issue 23 item 5: the API's update takes question and answer per item, so every FAQ write resets the
    flags an answer carries; the answer says how many."""
    items = stored(sandbox, RECEPTIONIST_ID)["faq_items"]
    items[0] = {**items[0], "needs_human_answer": True, "source": "ai"}
    items[1] = {**items[1], "source": "ai"}
    sandbox.store.update(RECEPTIONIST_ID, {"faq_items": items})
    flagged, sourced = 1, 2  # what differs from a new item's defaults (needs_human_answer false, source human)
    edit = {"op": "upsert", "list": "faq_items", "item": {"question": "Do you take walk-ins?", "answer": "Yes."}}
    async with mcp_client(settings) as client:
        result = await client.call_tool("update_assistant", {"id": RECEPTIONIST_ID, "edits": [edit], "dry_run": True})
    warnings = result.structured_content["warnings"]  # type: ignore[index]
    assert any(
        f"needs_human_answer on {flagged} and source on {sourced} item(s)" in w and "new id" in w for w in warnings
    ), warnings


def test_a_faq_write_without_flags_says_nothing() -> None:
    from revox_mcp.rules import faq_rewrite

    assert faq_rewrite([{"id": "f1", "question": "Q", "answer": "A"}], {"faq_items": []}) == []
    assert faq_rewrite([{"question": "Q", "answer": "A", "source": "human"}], {"faq_items": [{"question": "Q"}]}) == []
    assert faq_rewrite([{"question": "Q", "answer": "A", "source": "ai"}], {"prompt": "x"}) == []
    removed = [{"question": "Q", "answer": "A", "source": "ai"}]
    assert faq_rewrite(removed, {"faq_items": []}) == [], "a removed item's flags are not reset, they are gone"
