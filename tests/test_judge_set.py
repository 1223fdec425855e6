"""Judge only what a change sets, inside objects too (issue 23 item 3): a stored value the change leaves
alone is not judged, even inside an object the change touches, an edit's item or a list sent whole. What
could be a stored value (an edit's item, a list's items, an object of a variant the arguments cannot name)
is judged after the read, against what is stored."""

from __future__ import annotations

from typing import Any

import pytest

from revox_mcp.config import Settings
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.seed import SALES_QUALIFIER_ID as S
from tests.conftest import mcp_client, stored, text_of, writes
from tests.test_drift import newer

pytestmark = pytest.mark.anyio


async def update(settings: Settings, args: dict[str, Any]) -> Any:
    async with mcp_client(settings) as client:
        return await client.call_tool("update_assistant", {"id": S, **args})


async def test_a_stored_speed_is_not_judged_when_the_voice_id_changes(
    sandbox: SandboxServer, settings: Settings
) -> None:
    sandbox.store.update(S, {"voice": {"provider": "elevenlabs", "id": "21m00Tcm4TlvDq8ikWAM", "speed": 1.35}})
    result = await update(settings, {"patch": {"voice": {"id": "EXAVITQu4vr4xnSDxMaL"}}, "dry_run": True})
    assert not result.is_error, text_of(result)
    (change,) = result.structured_content["changes"]
    assert change["path"] == "voice.id"


async def test_a_speed_the_change_sets_out_of_range_is_refused(sandbox: SandboxServer, settings: Settings) -> None:
    sandbox.store.update(S, {"voice": {"provider": "elevenlabs", "id": "21m00Tcm4TlvDq8ikWAM", "speed": 1.0}})
    result = await update(settings, {"patch": {"voice": {"speed": 1.35}}, "dry_run": True})
    assert result.is_error and "patch.voice.speed" in text_of(result) and "0.7-1.2" in text_of(result)


async def test_a_stored_config_missing_a_key_is_not_judged_when_another_key_changes(
    sandbox: SandboxServer, settings: Settings
) -> None:
    config = dict(stored(sandbox, S)["call_retry_config"])
    config.pop("call_twice_in_a_row", None)
    sandbox.store.update(S, {"call_retry_config": config})
    result = await update(settings, {"patch": {"call_retry_config": {"max_retry_attempts": 5}}, "dry_run": True})
    assert not result.is_error, text_of(result)
    # (Other warnings may come too: a campaign of this assistant keeps its own call_retry_config.)
    (warning,) = [w for w in result.structured_content["warnings"] if "missing from the stored object" in w]
    assert warning.startswith("patch.call_retry_config.call_twice_in_a_row is missing from the stored object")


async def test_a_new_object_missing_a_required_key_is_still_refused(sandbox: SandboxServer, settings: Settings) -> None:
    sandbox.store.update(S, {"calendly": None})
    result = await update(settings, {"patch": {"calendly": {"connection_id": "conn_1"}}, "dry_run": True})
    assert result.is_error and "patch.calendly.event_type_id" in text_of(result)


async def test_a_drifted_item_upserted_with_its_description_changed(sandbox: SandboxServer, settings: Settings) -> None:
    newer(sandbox, "structured_output_config[].type=geo")
    items = [{"name": "where", "type": "geo", "description": "Where they live", "required": False}]
    sandbox.store.update(S, {"structured_output_config": items})
    edit = {"op": "upsert", "list": "structured_output_config", "item": {**items[0], "description": "City"}}
    result = await update(settings, {"edits": [edit], "dry_run": True})
    assert not result.is_error, text_of(result)


async def test_a_drifted_llm_type_key_is_passed_with_a_warning(sandbox: SandboxServer, settings: Settings) -> None:
    newer(sandbox, "llm_model.type=anthropic", "llm_model.model")
    sandbox.store.update(S, {"llm_model": {"type": "anthropic", "model": "claude-x"}})
    result = await update(settings, {"patch": {"llm_model": {"model": "claude-y"}}, "dry_run": True})
    assert not result.is_error, text_of(result)
    assert any("newer than this release" in w for w in result.structured_content["warnings"])


async def test_an_error_in_a_partial_llm_model_names_the_variant_its_keys_fit(
    sandbox: SandboxServer, settings: Settings
) -> None:
    """From a walkthrough: a partial openrouter object with a null provider was told 'allowed: the keys name,
    type' (the first variant's), which would lead an agent to delete a correct key."""
    model = {"type": "openrouter", "openrouter_model_id": "openai/gpt-4.1", "openrouter_provider": "azure"}
    sandbox.store.update(S, {"llm_model": model})
    patch = {"llm_model": {"openrouter_model_id": "anthropic/claude-3.5-haiku", "openrouter_provider": None}}
    result = await update(settings, {"patch": patch, "dry_run": True})
    assert result.is_error and "patch.llm_model.openrouter_provider" in text_of(result), text_of(result)
    assert "the keys name, type" not in text_of(result)


async def test_a_key_of_no_variant_names_every_variants_keys(sandbox: SandboxServer, settings: Settings) -> None:
    model = {
        "type": "custom",
        "api_url": "https://llm.example/v1",
        "api_key": "sk-live-0123456789abcd",
        "model_name": "m",
    }
    sandbox.store.update(S, {"llm_model": model})
    result = await update(settings, {"patch": {"llm_model": {"model": "x"}}, "dry_run": True})
    assert result.is_error and "patch.llm_model" in text_of(result), text_of(result)
    assert "type='custom': api_key, api_url, model_name, type" in text_of(result)
    assert stored(sandbox, S)["llm_model"] == model


def outputs(sandbox: SandboxServer) -> list[dict[str, Any]]:
    return [dict(i) for i in stored(sandbox, S)["structured_output_config"]]


def upsert(list_name: str, item: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"op": "upsert", "list": list_name, "item": item, **more}


async def test_a_stored_item_missing_a_key_is_not_judged_when_an_upsert_changes_another(
    sandbox: SandboxServer, settings: Settings
) -> None:
    older = {"name": "where", "type": "string", "description": "Where they live"}
    sandbox.store.update(S, {"structured_output_config": [*outputs(sandbox), older]})
    edit = upsert("structured_output_config", {**older, "description": "City"})
    result = await update(settings, {"edits": [edit], "dry_run": True})
    assert not result.is_error, text_of(result)
    (gap,) = [w for w in result.structured_content["warnings"] if "missing from the stored object" in w]
    assert gap.startswith("edits[0].item.required is missing from the stored object"), gap


async def test_an_upsert_after_a_removal_is_judged_against_the_stored_item_of_its_key(
    sandbox: SandboxServer, settings: Settings
) -> None:
    newer(sandbox, "structured_output_config[].type=geo")
    drifted = {"name": "where", "type": "geo", "description": "Where they live", "required": False}
    sandbox.store.update(S, {"structured_output_config": [*outputs(sandbox), drifted]})
    edits = [
        {"op": "remove", "list": "structured_output_config", "key": "is_homeowner"},
        upsert("structured_output_config", {**drifted, "description": "City"}),
    ]
    result = await update(settings, {"edits": edits})
    assert not result.is_error, text_of(result)
    assert stored(sandbox, S)["structured_output_config"][-1] == {**drifted, "description": "City"}


async def test_a_new_upserted_item_is_judged_whole_after_the_read(sandbox: SandboxServer, settings: Settings) -> None:
    new = upsert("structured_output_config", {"name": "where", "type": "geo", "required": False})
    typo = upsert("faq_items", {"question": "New?", "answer": "Yes.", "categroy": "x"})
    missing = upsert("faq_items", {"question": "Other?"})
    result = await update(settings, {"edits": [new, typo, missing]})
    text = text_of(result)
    assert result.is_error and "edits[0].item.type" in text and "edits[1].item.categroy" in text, text
    assert "edits[2].item.answer" in text and writes(sandbox) == []


async def test_an_upsert_that_changes_a_drifted_value_is_judged(sandbox: SandboxServer, settings: Settings) -> None:
    newer(sandbox, "structured_output_config[].type=geo")
    drifted = {"name": "where", "type": "geo", "description": "Where they live", "required": False}
    sandbox.store.update(S, {"structured_output_config": [drifted]})
    edit = upsert("structured_output_config", {**drifted, "type": "geo2"})
    result = await update(settings, {"edits": [edit], "dry_run": True})
    assert result.is_error and "edits[0].item.type" in text_of(result), text_of(result)


async def test_a_list_sent_whole_judges_only_its_new_items(sandbox: SandboxServer, settings: Settings) -> None:
    old = {"label": "Old desk", "phone_number": "0478000001"}  # stored before the API checked E.164
    sandbox.store.update(S, {"transfer_destinations": [old]})
    good = {"label": "Desk", "phone_number": "+33478000003"}
    result = await update(settings, {"patch": {"transfer_destinations": [old, good]}})
    assert not result.is_error, text_of(result)
    assert stored(sandbox, S)["transfer_destinations"] == [old, good]
    bad = {"label": "Other", "phone_number": "0478000009"}
    refused = await update(settings, {"patch": {"transfer_destinations": [old, good, bad]}, "dry_run": True})
    text = text_of(refused)
    assert refused.is_error and "patch.transfer_destinations[2].phone_number" in text, text
    assert "transfer_destinations[0]" not in text


def tool(name: str, **more: Any) -> dict[str, Any]:
    return {
        "name": name,
        "description": f"Tool {name}",
        "method": "GET",
        "url": "https://tools.example/x",
        "headers": [],
        "query_params": [],
        "body_template": None,
        "input_schema": [],
        **more,
    }


async def test_removing_a_custom_tool_does_not_judge_the_drifted_tools_it_shifts(
    sandbox: SandboxServer, settings: Settings
) -> None:
    newer(sandbox, "custom_tools[].method=OPTIONS")
    tools = [tool("first"), tool("second", method="OPTIONS")]
    sandbox.store.update(S, {"custom_tools": tools})
    result = await update(settings, {"edits": [{"op": "remove", "list": "custom_tools", "key": "first"}]})
    assert not result.is_error, text_of(result)
    assert stored(sandbox, S)["custom_tools"] == [tools[1]]


async def test_stored_repeated_tool_names_are_judged_only_when_the_change_adds_a_repeat(
    sandbox: SandboxServer, settings: Settings
) -> None:
    sandbox.store.update(S, {"custom_tools": [tool("twice"), tool("twice", description="Again"), tool("other")]})
    edit = upsert("custom_tools", tool("other", description="Changed"))
    result = await update(settings, {"edits": [edit], "dry_run": True})
    assert not result.is_error, text_of(result)
    tools = [*stored(sandbox, S)["custom_tools"], tool("other", description="A second one")]
    refused = await update(settings, {"patch": {"custom_tools": tools}, "dry_run": True})
    assert refused.is_error and "repeated: other" in text_of(refused), text_of(refused)
    assert "twice" not in text_of(refused)


async def test_a_partial_llm_model_sent_with_its_stored_newer_type(sandbox: SandboxServer, settings: Settings) -> None:
    newer(sandbox, "llm_model.type=anthropic", "llm_model.model")
    sandbox.store.update(S, {"llm_model": {"type": "anthropic", "model": "claude-x"}})
    result = await update(settings, {"patch": {"llm_model": {"type": "anthropic", "model": "claude-y"}}})
    assert not result.is_error, text_of(result)
    assert any("newer than this release" in w for w in result.structured_content["warnings"])
    assert stored(sandbox, S)["llm_model"] == {"type": "anthropic", "model": "claude-y"}


async def test_a_key_of_another_variant_names_the_stored_variants_keys(
    sandbox: SandboxServer, settings: Settings
) -> None:
    model = {"type": "openrouter", "openrouter_model_id": "openai/gpt-4.1", "openrouter_provider": "azure"}
    sandbox.store.update(S, {"llm_model": model})
    result = await update(settings, {"patch": {"llm_model": {"provider": "openai"}}, "dry_run": True})
    text = text_of(result)
    assert result.is_error and "patch.llm_model.provider" in text, text
    assert "type='openrouter': openrouter_model_id, openrouter_provider, type" in text
    assert "realtime_model_id" not in text


NEW_VOICE = {"id": "rime-voice-7", "provider": "rime", "speed": 1.0, "stability": 0.4}


async def test_a_drifted_voice_providers_keys_are_passed_with_a_warning(
    sandbox: SandboxServer, settings: Settings
) -> None:
    newer(sandbox, "voice.provider=rime", "voice.stability")
    sandbox.store.update(S, {"voice": NEW_VOICE})
    keyed = await update(settings, {"patch": {"voice": {"stability": 0.6}}})
    assert not keyed.is_error, text_of(keyed)
    assert any("newer than this release" in w and "stability" in w for w in keyed.structured_content["warnings"])
    tagged = await update(settings, {"patch": {"voice": {"provider": "rime", "speed": 1.1}}})
    assert not tagged.is_error, text_of(tagged)
    assert stored(sandbox, S)["voice"] == {**NEW_VOICE, "stability": 0.6, "speed": 1.1}
    out = await update(settings, {"patch": {"voice": {"speed": 1.9}}, "dry_run": True})
    assert out.is_error and "patch.voice.speed" in text_of(out), "what the change sets is still judged"


async def test_an_unknown_key_on_a_known_voice_provider_is_refused(sandbox: SandboxServer, settings: Settings) -> None:
    result = await update(settings, {"patch": {"voice": {"stability": 0.6}}, "dry_run": True})
    assert result.is_error and "patch.voice.stability" in text_of(result), text_of(result)


async def test_an_upserted_calling_window_keeps_a_stored_time_format(
    sandbox: SandboxServer, settings: Settings
) -> None:
    config = dict(stored(sandbox, S)["call_retry_config"])
    windows = [dict(w) for w in config["calling_windows"]]
    windows[0]["calling_window_start_time"] = "09:00:00"  # a format the API once took
    sandbox.store.update(S, {"call_retry_config": {**config, "calling_windows": windows}})
    edit = upsert("call_retry_config.calling_windows", {**windows[0], "retry_delay_seconds": 1800}, index=0)
    result = await update(settings, {"edits": [edit], "dry_run": True})
    assert not result.is_error, text_of(result)
    sent_back = {"call_retry_config": {"calling_windows": [*windows, {**windows[1], "retry_delay_seconds": 60}]}}
    patched = await update(settings, {"patch": sent_back, "dry_run": True})
    assert not patched.is_error, text_of(patched)
    appended = upsert("call_retry_config.calling_windows", {**windows[0], "retry_delay_seconds": 60})
    refused = await update(settings, {"edits": [appended], "dry_run": True})
    assert refused.is_error and "edits[0].item.calling_window_start_time" in text_of(refused), text_of(refused)


async def test_an_upserted_faq_item_keeps_its_stored_newer_key(sandbox: SandboxServer, settings: Settings) -> None:
    newer(sandbox, "faq_items[].category")
    items = [{**i, "category": "general"} for i in stored(sandbox, S)["faq_items"] or []] or [
        {"question": "Q?", "answer": "A.", "category": "general"}
    ]
    sandbox.store.update(S, {"faq_items": items})
    item = {k: v for k, v in items[0].items() if k in ("question", "answer", "category")}
    result = await update(settings, {"edits": [upsert("faq_items", {**item, "answer": "Changed."})]})
    assert not result.is_error, text_of(result)
    assert stored(sandbox, S)["faq_items"][0]["category"] == "general"


async def test_removing_a_calling_window_does_not_judge_the_windows_it_shifts(
    sandbox: SandboxServer, settings: Settings
) -> None:
    config = dict(stored(sandbox, S)["call_retry_config"])
    windows = [dict(w) for w in config["calling_windows"]]
    windows[1]["calling_window_start_time"] = "14:00:00"  # a format the API once took
    sandbox.store.update(S, {"call_retry_config": {**config, "calling_windows": windows}})
    remove = {"op": "remove", "list": "call_retry_config.calling_windows", "key": 0}
    result = await update(settings, {"edits": [remove], "dry_run": True})
    assert not result.is_error, text_of(result)
    sent_back = {"call_retry_config": {"calling_windows": [windows[1]]}}
    patched = await update(settings, {"patch": sent_back, "dry_run": True})
    assert not patched.is_error, text_of(patched)


async def test_a_stored_value_an_edit_moves_is_not_warned_about(sandbox: SandboxServer, settings: Settings) -> None:
    items = [*outputs(sandbox), {"name": "kind", "required": False, "type": "enum", "description": "Kind"}]
    sandbox.store.update(S, {"structured_output_config": items})
    edits = [
        {"op": "remove", "list": "structured_output_config", "key": "is_homeowner"},
        upsert("structured_output_config", {**items[-1], "description": "What kind"}),
    ]
    result = await update(settings, {"edits": edits, "dry_run": True})
    assert not result.is_error, text_of(result)
    assert result.structured_content["warnings"] == [], "the stored item lacked enum_options before the edit too"


async def test_an_upserted_tool_keeps_the_drifted_values_nested_in_it(
    sandbox: SandboxServer, settings: Settings
) -> None:
    newer(sandbox, "custom_tools[].input_schema[].type=geo", "custom_tools[].headers[].sensitive")
    nested = tool(
        "lookup",
        headers=[{"key": "X-Team", "value": "sales", "sensitive": False}],
        input_schema=[{"name": "where", "required": True, "type": "geo"}],
    )
    sandbox.store.update(S, {"custom_tools": [tool("first"), nested]})
    edits = [
        {"op": "remove", "list": "custom_tools", "key": "first"},
        upsert("custom_tools", {**nested, "description": "Look the caller up"}),
    ]
    result = await update(settings, {"edits": edits})
    assert not result.is_error, text_of(result)
    assert stored(sandbox, S)["custom_tools"] == [{**nested, "description": "Look the caller up"}]
    typo = {**nested, "headers": [{"key": "X-Team", "value": "sales", "sensitiv": True}]}
    refused = await update(settings, {"edits": [upsert("custom_tools", typo)], "dry_run": True})
    assert refused.is_error and "edits[0].item.headers[0].sensitiv" in text_of(refused), text_of(refused)


async def test_an_object_sent_back_whole_is_judged_only_where_it_changed(
    sandbox: SandboxServer, settings: Settings
) -> None:
    """As the advice for a replaced object says: read it, change what you need, send it whole. Its stored
    values (a speed the API took, a host's timezone alias) come back too, and are not the change's."""
    voice = {"provider": "elevenlabs", "id": "21m00Tcm4TlvDq8ikWAM", "speed": 1.35}
    config = {**stored(sandbox, S)["call_retry_config"], "timezone": "localtime"}
    sandbox.store.update(S, {"voice": voice, "call_retry_config": config})
    patch = {"voice": {**voice, "id": "EXAVITQu4vr4xnSDxMaL"}, "call_retry_config": {**config, "max_retry_attempts": 5}}
    result = await update(settings, {"patch": patch, "dry_run": True})
    assert not result.is_error, text_of(result)
    assert {c["path"] for c in result.structured_content["changes"]} == {
        "voice.id",
        "call_retry_config.max_retry_attempts",
    }
    changed = {"voice": {**voice, "speed": 1.3}}
    refused = await update(settings, {"patch": changed, "dry_run": True})
    assert refused.is_error and "patch.voice.speed" in text_of(refused) and "0.7-1.2" in text_of(refused)


async def test_a_value_kept_across_a_variant_switch_is_judged_for_the_new_variant(
    sandbox: SandboxServer, settings: Settings
) -> None:
    sandbox.store.update(
        S, {"voice": {"provider": "cartesia", "id": "f786b574-daa5-4673-aa0c-cbe3e8534c02", "speed": 1.4}}
    )
    patch = {"voice": {"provider": "elevenlabs", "id": "21m00Tcm4TlvDq8ikWAM", "speed": 1.4}}
    result = await update(settings, {"patch": patch, "dry_run": True})
    assert result.is_error and "patch.voice.speed" in text_of(result) and "0.7-1.2" in text_of(result), text_of(result)


async def test_an_upsert_keeps_the_stored_items_keys_this_release_does_not_know(
    sandbox: SandboxServer, settings: Settings
) -> None:
    """The API replaces an item whole: a key of the stored item that this release does not know (and so an agent
    cannot be expected to send) is sent back as stored, as inside any object an edit touches."""
    newer(sandbox, "structured_output_config[].source_field")
    items = outputs(sandbox)
    items[1] = {**items[1], "source_field": "crm.bill"}
    sandbox.store.update(S, {"structured_output_config": items})
    item = {k: v for k, v in items[1].items() if k != "source_field"}
    result = await update(settings, {"edits": [upsert("structured_output_config", {**item, "description": "Bill"})]})
    assert not result.is_error, text_of(result)
    assert stored(sandbox, S)["structured_output_config"][1] == {**items[1], "description": "Bill"}


# Per list: an item as the API may have stored it (a value this release refuses), a plain item, and the key
# that edits an item there (None: by position), and how to change the drifted item in another key.
DRIFTED: dict[str, tuple[dict[str, Any], dict[str, Any], str | None, dict[str, Any]]] = {
    "faq_items": ({"question": "Parking?"}, {"question": "Open?", "answer": "Yes."}, "question", {"answer": "No."}),
    "structured_output_config": (
        {"name": "where", "type": "geo", "required": False},
        {"name": "plain", "type": "string", "required": False},
        "name",
        {"description": "City"},
    ),
    "custom_tools": (tool("odd", method="OPTIONS"), tool("plain"), "name", {"description": "Changed"}),
    "transfer_destinations": (
        {"label": "Old desk", "phone_number": "0478000001"},
        {"label": "Desk", "phone_number": "+33478000003"},
        "label",
        {"label": "Old desk"},
    ),
    "call_retry_config.calling_windows": (
        {"calling_window_start_time": "09:00:00", "calling_window_end_time": "12:00", "retry_delay_seconds": 60},
        {"calling_window_start_time": "13:00", "calling_window_end_time": "17:00", "retry_delay_seconds": 60},
        None,
        {"retry_delay_seconds": 120},
    ),
}


def store_list(sandbox: SandboxServer, name: str, items: list[dict[str, Any]]) -> None:
    if name == "call_retry_config.calling_windows":
        config = dict(stored(sandbox, S)["call_retry_config"])
        sandbox.store.update(S, {"call_retry_config": {**config, "calling_windows": items}})
    else:
        sandbox.store.update(S, {name: items})


def as_patch(name: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    top, _, nested = name.partition(".")
    return {top: {nested: items}} if nested else {top: items}


@pytest.mark.parametrize("name", list(DRIFTED))
async def test_every_edit_of_every_list_leaves_a_stored_item_unjudged(
    sandbox: SandboxServer, settings: Settings, name: str
) -> None:
    drifted, plain, key, change = DRIFTED[name]
    store_list(sandbox, name, [plain, drifted])
    remove = {"op": "remove", "list": name, "key": plain[key] if key else 0}
    edited = upsert(name, {**drifted, **change}, **({} if key else {"index": 1}))
    added = {**plain, **({key: f"{plain[key]}_2"} if key else {"retry_delay_seconds": 30})}
    cases = {
        "remove": {"edits": [remove]},
        "upsert": {"edits": [edited]},
        "remove, then upsert": {"edits": [remove, {**edited, **({} if key else {"index": 0})}]},
        "whole list": {"patch": as_patch(name, [plain, drifted, added])},
        "replace_text beside": {
            "edits": [{"op": "replace_text", "field": "prompt", "find": "solar", "replace": "Solar"}]
        },
    }
    for case, args in cases.items():
        result = await update(settings, {**args, "dry_run": True})
        assert not result.is_error, f"{case}: {text_of(result)}"


async def test_a_clones_edits_are_judged_as_update_assistants(sandbox: SandboxServer, settings: Settings) -> None:
    """clone_assistant checks its patch and edits as update_assistant does: the drifted item the copy inherits,
    upserted with its description changed, is not judged; a new bad item still is, and nothing is created."""
    newer(sandbox, "structured_output_config[].type=geo")
    drifted = {"name": "where", "type": "geo", "description": "Where they live", "required": False}
    sandbox.store.update(S, {"structured_output_config": [*outputs(sandbox), drifted]})
    edit = upsert("structured_output_config", {**drifted, "description": "City"})
    async with mcp_client(settings) as client:
        made = await client.call_tool("clone_assistant", {"id": S, "name": "Copy", "edits": [edit]})
        assert not made.is_error, text_of(made)
        bad = upsert("structured_output_config", {"name": "other", "type": "geo2", "required": False})
        before = len(sandbox.store.list())
        refused = await client.call_tool("clone_assistant", {"id": S, "name": "Copy 2", "edits": [bad]})
    assert refused.is_error and "edits[0].item.type" in text_of(refused), text_of(refused)
    assert len(sandbox.store.list()) == before
    copy_id = made.structured_content["assistant_id"]
    assert stored(sandbox, copy_id)["structured_output_config"][-1] == {**drifted, "description": "City"}


async def test_an_items_problem_after_the_read_comes_with_the_edits_own(
    sandbox: SandboxServer, settings: Settings
) -> None:
    bad = upsert("structured_output_config", {"name": "other", "type": "geo2", "required": False})
    missing = {"op": "remove", "list": "structured_output_config", "key": "no such field"}
    result = await update(settings, {"edits": [bad, missing]})
    text = text_of(result)
    assert result.is_error and "edits[0].item.type" in text and "edits[1].key" in text, text
    assert writes(sandbox) == []
