"""The whole surface held against the official SDK (tests/sdk_surface.py): every endpoint's route, path arguments
and params; every docstring a rule relies on; every enum our arguments repeat. Each check is shown to fail, with
the exact difference, on an edited copy of the SDK; and the bodies the built tools really send (recorded by a
proxy between revox-mcp and the sandbox) fit the SDK's types."""

from __future__ import annotations

import functools
import inspect
import json
import shutil
import typing
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, Literal, Required, TypedDict

import pytest
from pydantic import BaseModel
from revox.types import (
    assistant_create_params,
    call_create_params,
    call_search_params,
    phone_number_update_params,
    voice_preview_params,
)
from revox.types.voice_list_response import Voice as ListedVoice

from revox_mcp.config import TOOL_FAMILIES
from revox_mcp.policy import Policy
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.catalog_seed import REMINDER_ID
from revox_mcp.sandbox.seed import SALES_QUALIFIER_ID
from revox_mcp.server import build_server
from revox_mcp.tools import TOOLS
from tests.conftest import fast_settings, mcp_client, text_of
from tests.fault_proxy import FaultProxy
from tests.sdk_shapes import sdk_shape, value_problems
from tests.sdk_surface import (
    DOC_RULES,
    ENDPOINTS,
    ENDPOINTS_BY_SDK,
    doc_drift,
    endpoint_drift,
    field_doc,
    sdk_method,
    sdk_params,
    surface_drift,
    value_drift,
    value_sets,
)

TEST_NUMBER = "+14155550999"
# The tools of this branch, driven by _drive_every_built_tool; the others of the plan by _drive_the_planned_tools.
BUILT_HERE = {
    "list_assistants", "get_assistant", "update_assistant", "list_changes", "revert_change", "list_voices",
    "list_phone_numbers", "search_calls", "get_call", "change_impact", "place_test_call",
}  # fmt: skip


def edited(typed_dict: Any, **fields: Any) -> Any:
    """A copy of an SDK TypedDict with fields replaced or added (None removes one)."""
    hints = typing.get_type_hints(typed_dict, include_extras=True)
    hints.update(fields)
    kept = {k: v for k, v in hints.items() if v is not None}
    return TypedDict(typed_dict.__name__, kept, total=typed_dict.__total__)  # type: ignore[operator]


def with_keywords(method: Callable[..., Any], **keywords: Any) -> Callable[..., Any]:
    """A copy of an SDK method with keyword arguments added (a type: required; (type, None): optional)."""

    @functools.wraps(method)
    def copy(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("never called")

    signature = inspect.signature(method)
    added = [
        inspect.Parameter(
            name,
            inspect.Parameter.KEYWORD_ONLY,
            annotation=tp[0] if isinstance(tp, tuple) else tp,
            default=None if isinstance(tp, tuple) else inspect.Parameter.empty,
        )
        for name, tp in keywords.items()
    ]
    copy.__signature__ = signature.replace(parameters=[*signature.parameters.values(), *added])  # type: ignore[attr-defined]
    copy.__annotations__ = {**method.__annotations__, **{p.name: p.annotation for p in added}}
    return copy


# --- the registry against the SDK --------------------------------------------------------------------------


def test_every_endpoint_matches_the_sdk() -> None:
    assert surface_drift() == [], "revox-mcp's surface differs from the SDK's:\n" + "\n".join(surface_drift())


def test_every_known_difference_is_still_real() -> None:
    for endpoint in ENDPOINTS:
        if endpoint.known:
            bare = type(endpoint)(**{**endpoint.__dict__, "known": frozenset()})
            found = {line.split(": ", 1)[1] for line in endpoint_drift(bare)}
            assert found >= endpoint.known, f"{endpoint.sdk}: a known difference is gone: remove it"


def test_every_unsent_key_is_an_sdk_key() -> None:
    for endpoint in ENDPOINTS:
        if endpoint.unsent:
            assert endpoint.params is not None
            assert endpoint.unsent <= set(sdk_shape(sdk_params(endpoint.params))["props"]), endpoint.sdk


def test_every_tool_named_is_a_tool_of_the_plan_and_every_built_tool_that_calls_the_api_has_an_entry() -> None:
    planned = {name for names in TOOL_FAMILIES.values() for name in names}
    named = {tool for endpoint in ENDPOINTS for tool in endpoint.tools}
    assert named <= planned, named - planned
    assert {t.name for t in TOOLS} - named == {"list_changes"}, "a tool that reaches the API needs an entry"


# --- edited copies of the SDK are caught with the exact difference -----------------------------------------


def drift_with(sdk: str, **overrides: Any) -> list[str]:
    return sorted(endpoint_drift(ENDPOINTS_BY_SDK[sdk], **overrides))


def test_an_edited_call_search_is_caught() -> None:
    params = edited(
        call_search_params.CallSearchParams,
        tenant_ids=Required[typing.List[str]],  # noqa: UP006 (the SDK's own spelling)
        to_phone_number=Required[str],
        page_size=Required[str],
        sort_direction=Literal["asc", "desc", "random"],
        results=None,
    )
    assert drift_with("call.search", params=params) == [
        "call.search: page_size: types ['integer'] here, ['string'] in the SDK",
        "call.search: results: only here, not in the SDK",
        "call.search: sort_direction: enum differs (only here: []; only in the SDK: ['random'])",
        "call.search: tenant_ids: in the SDK, missing here",
        "call.search: to_phone_number: optional here, required in the SDK",
    ]


def test_an_edited_call_create_is_caught() -> None:
    voice = edited(call_create_params.AssistantVoice, speed=None, pitch=float)
    assistant = edited(call_create_params.Assistant, voice=voice, prompt=str)
    params = edited(
        call_create_params.CallCreateParams,
        assistant=assistant,
        skip_calling_window=None,
        metadata=typing.Dict[str, int],  # noqa: UP006
        scheduled_at=Required[str],
    )
    assert drift_with("call.create", params=params) == [
        "call.create: assistant.prompt: required here, optional in the SDK",
        "call.create: assistant.voice.pitch: in the SDK, missing here",
        "call.create: assistant.voice.speed: only here, not in the SDK",
        "call.create: metadata{}: types ['string'] here, ['integer'] in the SDK",
        "call.create: scheduled_at: required in the SDK, and not sent here",
        "call.create: skip_calling_window: only here, not in the SDK",
    ]


def test_an_edited_assistant_create_is_caught() -> None:
    params = edited(assistant_create_params.AssistantCreateParams, name=str, language=Required[str])
    assert drift_with("assistants.create", params=params) == [
        "assistants.create: language: in the SDK, missing here",
        "assistants.create: name: required here, optional in the SDK",
    ]


def test_an_edited_phone_number_update_is_caught() -> None:
    params = edited(phone_number_update_params.PhoneNumberUpdateParams, label=str, inbound_assistant_id=None)
    assert drift_with("phone_numbers.update", params=params) == [
        "phone_numbers.update: inbound_assistant_id: only here, not in the SDK",
        "phone_numbers.update: label: types ['null', 'string'] here, ['string'] in the SDK",
    ]


def test_an_edited_voice_preview_is_caught() -> None:
    params = edited(
        voice_preview_params.VoicePreviewParams,
        voice_id=Required[str],  # the alias voiceId gone: the key on the wire is voice_id
        provider=Required[Literal["cartesia", "elevenlabs", "gradium", "rime"]],
    )
    assert drift_with("voices.preview", params=params) == [
        "voices.preview: provider: enum differs (only here: []; only in the SDK: ['rime'])",
        "voices.preview: voiceId: only here, not in the SDK",
        "voices.preview: voice_id: in the SDK, missing here",
    ]


@pytest.mark.parametrize("sdk", [e.sdk for e in ENDPOINTS if e.params is None])
def test_a_new_required_argument_of_a_method_without_params_is_caught(sdk: str) -> None:
    method = with_keywords(sdk_method(sdk), reason=str, dry=(bool, None))
    found = drift_with(sdk, method=method)
    assert f"{sdk}: reason: in the SDK, missing here" in found
    assert f"{sdk}: dry: in the SDK, missing here" in found


def test_a_changed_route_or_path_argument_is_caught() -> None:
    def pause(self: Any, campaign_id: str, *, timeout: float | None = None) -> Any:
        return self._post(path_template("/campaigns/{id}/hold", id=campaign_id))  # noqa: F821

    assert drift_with("campaigns.pause", method=pause) == [
        "campaigns.pause: path arguments: ['id'] here, ['campaign_id'] in the SDK",
        "campaigns.pause: route: POST /campaigns/{id}/pause here, POST /campaigns/{id}/hold in the SDK",
    ]


def test_a_changed_voice_query_is_caught() -> None:
    method = with_keywords(sdk_method("voices.retrieve"), language=str)
    assert drift_with("voices.retrieve", method=method) == ["voices.retrieve: language: in the SDK, missing here"]


# --- docstring rules ---------------------------------------------------------------------------------------


def test_every_docstring_rule_still_holds() -> None:
    assert doc_drift() == [], "\n".join(doc_drift())


def test_every_rule_the_sdk_docstrings_back_is_registered() -> None:
    """A row of the rules table sourced 'SDK docstring' needs its DocRule, so its words are watched."""
    from revox_mcp.rules import RULES, SDK

    backed = {rule.path for rule in RULES if rule.source.startswith(SDK)}
    assert backed - {rule.rule for rule in DOC_RULES} == set()


def test_every_docstring_rule_reads_a_real_docstring() -> None:
    for rule in DOC_RULES:
        assert field_doc(rule.where), rule.where


def reading(where: str, old: str, new: str) -> Callable[[str], str]:
    """The SDK's docstrings with one edited."""
    return lambda at: field_doc(at).replace(old, new) if at == where else field_doc(at)


def test_a_changed_speed_range_is_caught_with_the_exact_difference() -> None:
    where = "assistant_update_params.Voice.speed"
    found = doc_drift(reading(where, "ElevenLabs 0.7–1.2", "ElevenLabs 0.7–1.3"))
    said = "The speed of the voice. Range depends on provider: Cartesia 0.6–1.5, ElevenLabs 0.7–1.3, Gradium 0.6–1.5."
    backs = "voice.speed refused outside its provider's range (models.VOICE_SPEED_RANGES)"
    assert found == [
        f"{where}: the SDK's docstring no longer says "
        "'Range depends on provider: Cartesia 0.6–1.5, ElevenLabs 0.7–1.2, Gradium 0.6–1.5.' "
        f"({backs}); it says '{said} Default is 1.0.'",
        f"{where}: {{'cartesia': (0.6, 1.5), 'elevenlabs': (0.7, 1.3), 'gradium': (0.6, 1.5)}} in the SDK's "
        f"docstring, {{'cartesia': (0.6, 1.5), 'elevenlabs': (0.7, 1.2), 'gradium': (0.6, 1.5)}} here ({backs})",
    ]


def test_a_changed_preview_range_and_volume_are_caught() -> None:
    where = "voice_preview_params.VoicePreviewParams.speed"
    found = doc_drift(reading(where, "Cartesia 0.6–1.5", "Cartesia 0.5–1.5"))
    assert len(found) == 2 and all(line.startswith(where) for line in found)
    assert "{'cartesia': (0.5, 1.5), 'elevenlabs': (0.7, 1.2)} in the SDK's docstring" in found[1]
    where = "voice_preview_params.VoicePreviewParams.volume"
    found = doc_drift(reading(where, "(0.5–2.0)", "(0.5–3.0)"))
    assert found[1] == (
        f"{where}: (0.5, 3.0) in the SDK's docstring, (0.5, 2.0) here (preview_voice's volume checked as voice.volume)"
    )


def test_a_dropped_phone_placeholder_rule_is_caught() -> None:
    where = "assistant_update_params.AssistantUpdateParams.precall_lookup_url"
    found = doc_drift(reading(where, "Must be an http(s) URL containing `{{phone}}`.", "Must be an http(s) URL."))
    assert [line.split(": ", 1)[0] for line in found] == [where, where]
    assert "no longer says 'Must be an http(s) URL containing `{{phone}}`.'" in found[0]
    assert found[1].startswith(f"{where}: (True, False) in the SDK's docstring, (True, True) here")


def test_a_changed_unit_range_is_caught() -> None:
    where = "assistant_update_params.AssistantUpdateParams.thinking_sound_probability"
    found = doc_drift(reading(where, "[0..1]", "[0..100]"))
    assert found[-1] == f"{where}: (0.0, 100.0) in the SDK's docstring, (0.0, 1.0) here (thinking_sound_probability " \
        "refused outside 0 to 1)"  # fmt: skip


# --- enums of answers our arguments repeat -----------------------------------------------------------------


def test_the_voice_enums_our_arguments_repeat_match_the_sdk() -> None:
    assert value_drift() == []


def test_a_new_voice_language_is_caught() -> None:
    class Voice(BaseModel):
        language: Literal["en", "fr", "es", "de", "it", "pt", "ru", "zh", "ja"]
        provider: Literal["cartesia", "elevenlabs", "gradium"]
        api_model_compat: Literal["universal", "sonic-3", "sonic-3.5"] | None = None

    assert ListedVoice.model_fields["language"].annotation is not None
    assert value_drift(value_sets(Voice)) == [
        "voice_list_response.Voice.language (list_voices' language): only in the SDK: ['ja']; only here: []"
    ]


# --- what the built tools really send ----------------------------------------------------------------------


@pytest.fixture
async def proxy(sandbox: SandboxServer) -> AsyncIterator[FaultProxy]:
    async with FaultProxy(sandbox.url) as running:
        yield running


def _entry_for(method: str, target: str) -> Any:
    path = target.split("?")[0]
    for endpoint in ENDPOINTS:
        verb, template = endpoint.route.split(" ")
        parts, sent = template.split("/"), path.split("/")
        if (
            verb == method
            and len(parts) == len(sent)
            and all(p == s or (p.startswith("{") and s) for p, s in zip(parts, sent, strict=True))
        ):
            return endpoint
    return None


async def _drive_every_built_tool(client: Any) -> None:
    calls: list[tuple[str, dict[str, Any]]] = [
        ("list_assistants", {}),
        ("get_assistant", {"id": SALES_QUALIFIER_ID}),
        ("list_voices", {"language": "fr"}),
        ("list_phone_numbers", {}),
        ("search_calls", {"assistant_id": SALES_QUALIFIER_ID, "outcomes": ["interested"], "results": ["human"],
                          "direction": "outbound", "query": "roof"}),
        ("search_calls", {"created_after": "2026-01-01T00:00:00Z"}),
        ("change_impact", {"assistant_id": REMINDER_ID, "at": "2026-11-10T12:00:00Z"}),
        ("update_assistant", {"id": SALES_QUALIFIER_ID,
                              "patch": {"voice": {"speed": 1.1}, "max_call_duration_secs": 900.0},
                              "edits": [{"op": "upsert", "list": "faq_items",
                                         "item": {"question": "Do you install batteries?", "answer": "Yes."}}]}),
        ("place_test_call", {"assistant_id": SALES_QUALIFIER_ID, "phone_number": TEST_NUMBER,
                             "patch": {"first_sentence": "Hi, it is a test."},
                             "prompt_variables": {"first_name": "Ada"}}),
    ]  # fmt: skip
    for name, arguments in calls:
        result = await client.call_tool(name, arguments)
        assert not result.is_error, f"{name}: {text_of(result)}"
    found = await client.call_tool("search_calls", {"assistant_id": SALES_QUALIFIER_ID, "page_size": 1})
    await client.call_tool("get_call", {"id": found.structured_content["calls"][0]["id"]})


async def _drive_the_planned_tools(client: Any) -> set[str]:
    """The tools the other helpers of issue 23 add, each driven where this server offers it (they merge in one
    by one); the names driven."""
    listed = {t.name: t for t in (await client.list_tools()).tools}
    driven: set[str] = set()

    async def run(name: str, arguments: dict[str, Any]) -> Any:
        if name not in listed:
            return None
        result = await client.call_tool(name, arguments)
        assert not result.is_error, f"{name}: {text_of(result)}"
        driven.add(name)
        return result.structured_content

    await run("clone_assistant", {"id": SALES_QUALIFIER_ID, "name": "Copy", "patch": {"first_sentence": "Hi, a copy."}})
    await run("create_assistant", {"assistant": {"name": "Recepcionista", "prompt": "Eres la recepcionista."}})
    await run("update_phone_number", {"id": "pn_01", "label": "Acme Solar sales"})
    await run("get_phone_history", {})
    ab = {"campaign_ids": ["camp_march_solar"], "direction": "outbound", "since": "2026-10-20T00:00:00Z"}
    await run("compare_assistants", {"assistant_id": SALES_QUALIFIER_ID, "candidate_id": REMINDER_ID, **ab})
    if shutil.which("espeak-ng"):
        await run("preview_voice", {"assistant_id": SALES_QUALIFIER_ID, "speed": 0.9, "text": "Hello there."})
    campaigns = await run("list_campaigns", {})
    running = [c["id"] for c in (campaigns or {}).get("campaigns", []) if c.get("status") == "running"]
    if running:
        await run("get_campaign", {"id": running[0]})
        await run("pause_campaign", {"id": running[0], "reason": "drift check"})
        await run("resume_campaign", {"id": running[0], "reason": "drift check"})
    if "statuses" in listed["search_calls"].input_schema.get("properties", {}):
        every_filter = {"statuses": ["completed"], "call_ids": ["call_000"], "to_phone_number": "+14155550123"}
        await run("search_calls", {**every_filter, "sort_by": "created_at", "sort_direction": "asc"})
        found = await run("search_calls", {"statuses": ["scheduled"]})
        waiting = [c["id"] for c in (found or {}).get("calls", [])]
        if waiting:
            await run("pause_call", {"id": waiting[0], "reason": "drift check"})
            await run("resume_call", {"id": waiting[0], "reason": "drift check"})
            await run("cancel_call", {"id": waiting[0], "reason": "drift check"})
    return driven


@pytest.mark.anyio
@pytest.mark.timeout(60)
async def test_every_body_the_built_tools_send_fits_the_sdk(
    sandbox: SandboxServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    settings = fast_settings(sandbox, base_url=proxy.url, journal_path=tmp_path / "journal.db")
    server = build_server(settings, Policy.load(test_numbers=TEST_NUMBER, env={}))
    async with mcp_client(settings, server=server) as client:
        await _drive_every_built_tool(client)
        driven = await _drive_the_planned_tools(client)
        offered = {t.name for t in (await client.list_tools()).tools}
    planned = {name for names in TOOL_FAMILIES.values() for name in names} - BUILT_HERE
    skipped = (planned & offered) - driven - ({"preview_voice"} if not shutil.which("espeak-ng") else set())
    assert skipped == set(), f"offered but not driven (no target found?): {sorted(skipped)}"
    problems, reached = [], set()
    for method, target, body in proxy.sent:
        endpoint = _entry_for(method, target)
        assert endpoint is not None, f"revox-mcp sent {method} {target}, which no entry of sdk_surface describes"
        reached.add(endpoint.sdk)
        if body:
            sent = json.loads(body)
            sdk = sdk_shape(sdk_params(endpoint.params)) if endpoint.params else {"types": {"object"}, "props": {}}
            problems += [f"{endpoint.sdk} (SDK): {p}" for p in value_problems(sent, sdk)]
            problems += [f"{endpoint.sdk} (our entry): {p}" for p in value_problems(sent, endpoint.ours())]
    assert problems == [], "\n".join(problems)
    assert reached >= {
        "assistants.list", "assistants.retrieve", "assistants.update", "voices.list", "phone_numbers.list",
        "call.search", "call.create", "call.retrieve",
    }  # fmt: skip


def test_a_body_off_the_sdk_type_is_named() -> None:
    shape = sdk_shape(call_search_params.CallSearchParams)
    body = {"assistant_ids": ["a"], "page": 1.5, "results": ["robot"], "tenant": "x"}
    assert value_problems(body, shape) == [
        "tenant: sent, not declared",
        "assignee_ids: required, not sent",
        "campaign_ids: required, not sent",
        "directions: required, not sent",
        "from_phone_numbers: required, not sent",
        "outcomes: required, not sent",
        "page_size: required, not sent",
        "statuses: required, not sent",
        "page: float sent, ['integer'] declared",
        "results[0]: 'robot' sent, not one of ['IVR', 'human', 'ios-screening-filter', 'none', 'unknown', 'voicemail']",
    ]
