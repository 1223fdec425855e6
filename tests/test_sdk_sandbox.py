"""The sandbox speaks the official SDK's exact shapes: every route it serves is driven with the `revox` client,
and every answer's raw JSON is validated strictly with the SDK's response model (a missing required key or a
value of the wrong type fails), on top of the client's own strict parsing.

The SDK is the outside reference here: if its models and the sandbox disagree, the sandbox is wrong.
"""

from __future__ import annotations

import copy
import io
import shutil
import wave
from collections.abc import Iterator
from typing import Any, TypeVar

import httpx
import pytest
import revox
from pydantic import BaseModel, ValidationError
from revox.types import (
    AssistantCloneResponse,
    AssistantCreateResponse,
    AssistantDeleteResponse,
    AssistantListResponse,
    AssistantRetrieveResponse,
    AssistantUpdateResponse,
    CallCancelResponse,
    CallCreateResponse,
    CallPauseResponse,
    CallPhoneHistoryResponse,
    CallResumeResponse,
    CallRetrieveResponse,
    CallSearchResponse,
    PhoneNumberListResponse,
    PhoneNumberUpdateResponse,
    VoiceListResponse,
    VoiceRetrieveResponse,
)

from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.campaigns import ROW_CALLS
from revox_mcp.sandbox.catalog_seed import PENDING_PLAN, REMINDER_CAMPAIGN
from revox_mcp.sandbox.seed import RECEPTIONIST_ID, SALES_QUALIFIER_ID, SANDBOX_ORGANIZATION_ID
from tests.conftest import add_fault
from tests.test_sdk_campaigns import drive_campaign_routes

KATIE = "f786b574-daa5-4673-aa0c-cbe3e8534c02"  # a Cartesia voice of the catalog

M = TypeVar("M", bound=BaseModel)
_NO_FILTERS: dict[str, Any] = {
    "assignee_ids": [],
    "assistant_ids": [],
    "campaign_ids": [],
    "directions": [],
    "from_phone_numbers": [],
    "outcomes": [],
    "results": [],
    "statuses": [],
}


@pytest.fixture
def sdk(sandbox: SandboxServer) -> Iterator[revox.Revox]:
    # Strict: the client itself validates every answer with its models instead of constructing them unchecked.
    client = revox.Revox(api_key=sandbox.api_key, base_url=sandbox.url, max_retries=0, _strict_response_validation=True)
    yield client
    client.close()


def strict(raw: Any, model: type[M]) -> M:
    """The raw JSON body of an SDK `with_raw_response` answer, validated with `model` (the client's parse is
    checked too: both must accept it)."""
    raw.parse()
    return model.model_validate(raw.http_response.json())


def search(sdk: revox.Revox, **filters: Any) -> CallSearchResponse:
    raw = sdk.call.with_raw_response.search(**{**_NO_FILTERS, "page": 1, "page_size": 100, **filters})
    return strict(raw, CallSearchResponse)


def every_call(sdk: revox.Revox, **filters: Any) -> list[Any]:
    """Every call the filters match, page after page (the store holds more than one page of 100)."""
    calls: list[Any] = []
    for page in range(1, 11):
        found = search(sdk, page=page, **filters)
        calls += found.calls
        if len(calls) >= found.total_count or not found.calls:
            return calls
    raise AssertionError("more than 10 pages of calls")


# --- assistants --------------------------------------------------------------------------------------------


def test_assistant_methods_answer_the_sdk_shapes(sdk: revox.Revox) -> None:
    listed = strict(sdk.assistants.with_raw_response.list(), AssistantListResponse)
    assert {a.id for a in listed.assistants} >= {SALES_QUALIFIER_ID, RECEPTIONIST_ID}

    one = strict(sdk.assistants.with_raw_response.retrieve(SALES_QUALIFIER_ID), AssistantRetrieveResponse)
    assert one.id == SALES_QUALIFIER_ID and one.organization_id == SANDBOX_ORGANIZATION_ID

    updated = strict(
        sdk.assistants.with_raw_response.update(SALES_QUALIFIER_ID, name="Renamed by the SDK"), AssistantUpdateResponse
    )
    assert updated.assistant.name == "Renamed by the SDK" and updated.assistant.updated_at != one.updated_at

    created = strict(
        sdk.assistants.with_raw_response.create(name="From the SDK", prompt="Be kind."), AssistantCreateResponse
    )
    assert (created.assistant.name, created.assistant.prompt) == ("From the SDK", "Be kind.")

    clone = strict(sdk.assistants.with_raw_response.clone(created.assistant.id), AssistantCloneResponse)
    assert clone.assistant.id != created.assistant.id and clone.assistant.prompt == "Be kind."

    deleted = strict(sdk.assistants.with_raw_response.delete(clone.assistant.id), AssistantDeleteResponse)
    assert deleted.success is True
    with pytest.raises(revox.NotFoundError):
        sdk.assistants.retrieve(clone.assistant.id)


# --- voices and phone numbers ------------------------------------------------------------------------------


def test_every_voice_is_listed_and_retrieved_in_the_sdk_shapes(sdk: revox.Revox) -> None:
    voices = strict(sdk.voices.with_raw_response.list(), VoiceListResponse).voices
    assert len(voices) == 33 and any(v.is_cloned for v in voices)
    for listed in voices:
        # GET /voices/{id} answers {"voice": {...}}, not the bare voice.
        one = strict(sdk.voices.with_raw_response.retrieve(listed.id, provider=listed.provider), VoiceRetrieveResponse)
        assert (one.voice.id, one.voice.name, one.voice.description) == (listed.id, listed.name, listed.description)
    with pytest.raises(revox.NotFoundError):
        sdk.voices.retrieve("21m00Tcm4TlvDq8ikWAM", provider="cartesia")  # an ElevenLabs id asked of Cartesia


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_a_voice_preview_is_audio_and_its_body_is_checked_as_the_sdk_types_it(sdk: revox.Revox) -> None:
    raw = sdk.voices.with_raw_response.preview(provider="cartesia", voice_id=KATIE, speed=0.8, volume=1.5, text="Hi.")
    assert raw.parse() is None, "the SDK reads no JSON from it"
    audio = raw.http_response
    assert audio.headers["content-type"] == "audio/wav" and audio.content[:4] == b"RIFF"
    assert "not the provider's" in audio.headers["x-sandbox-note"]
    with wave.open(io.BytesIO(audio.content)) as stream:
        assert stream.getnframes() * stream.getsampwidth() == len(audio.content) - 44, "the header's true length"
    # Omitted text: the API's own short default.
    assert sdk.voices.with_raw_response.preview(provider="gradium", voice_id="gradium-voice-ines").status_code == 200
    with pytest.raises(revox.BadRequestError, match=r"0\.7-1\.2 for provider 'elevenlabs'"):
        sdk.voices.preview(provider="elevenlabs", voice_id="21m00Tcm4TlvDq8ikWAM", speed=1.3)
    with pytest.raises(revox.BadRequestError, match="pitch"):
        sdk.voices.preview(provider="cartesia", voice_id=KATIE, extra_body={"pitch": 2})
    with pytest.raises(revox.NotFoundError):
        sdk.voices.preview(provider="cartesia", voice_id="21m00Tcm4TlvDq8ikWAM")  # an ElevenLabs id


def test_phone_numbers_answer_the_sdk_shape_with_whole_inbound_assistants(sdk: revox.Revox) -> None:
    numbers = strict(sdk.phone_numbers.with_raw_response.list(), PhoneNumberListResponse).phone_numbers
    assert len(numbers) == 3
    inbound = [n.inbound_assistant for n in numbers if n.inbound_assistant]
    assert [a.id for a in inbound] == [RECEPTIONIST_ID] and inbound[0].prompt


def test_a_phone_number_update_answers_the_sdk_shape_and_routes_the_number(sdk: revox.Revox) -> None:
    number = sdk.phone_numbers.list().phone_numbers[0]
    routed = strict(
        sdk.phone_numbers.with_raw_response.update(number.id, inbound_assistant_id=SALES_QUALIFIER_ID, label="Sales"),
        PhoneNumberUpdateResponse,
    ).phone_number
    assert routed.inbound_assistant is not None and routed.inbound_assistant.id == SALES_QUALIFIER_ID
    assert routed.label == "Sales" and routed.id == number.id
    cleared = strict(
        sdk.phone_numbers.with_raw_response.update(number.id, inbound_assistant_id=None), PhoneNumberUpdateResponse
    ).phone_number
    assert cleared.inbound_assistant is None and cleared.label == "Sales", "a key left out keeps its value"
    with pytest.raises(revox.NotFoundError):
        sdk.phone_numbers.update(number.id, inbound_assistant_id="asst_nobody")
    with pytest.raises(revox.NotFoundError):
        sdk.phone_numbers.update("pn_nobody", label="x")


def test_a_clone_of_a_seeded_assistant_answers_the_sdk_shape_with_its_faq(sdk: revox.Revox) -> None:
    source = sdk.assistants.retrieve(RECEPTIONIST_ID)
    clone = strict(sdk.assistants.with_raw_response.clone(RECEPTIONIST_ID), AssistantCloneResponse).assistant
    assert clone.name == f"{source.name} (Copy)" and clone.prompt == source.prompt
    assert [f.question for f in clone.faq_items or []] == [f.question for f in source.faq_items or []]


# --- calls -------------------------------------------------------------------------------------------------


def test_call_search_and_every_call_answer_the_sdk_shapes(sdk: revox.Revox) -> None:
    found = search(sdk)
    # The 60 calls of the history, the unfinished ones the call actions act on, and the campaigns' row calls
    # (one world since the campaign sandbox's rows joined the call store): more than one page of 100.
    assert found.total_count == 60 + len(PENDING_PLAN) + ROW_CALLS and len(found.calls) == 100
    calls = every_call(sdk)
    assert len(calls) == found.total_count
    assistants = {a.id: a for a in sdk.assistants.list().assistants}
    for listed in calls:
        call = strict(sdk.call.with_raw_response.retrieve(listed.id), CallRetrieveResponse).call
        # The search and the single call are the same call (the SDK's classes differ, so compare data).
        assert call.model_dump() == listed.model_dump()
        assert call.organization_id == SANDBOX_ORGANIZATION_ID
        # The whole assistant, as GET /assistants/{id} has it.
        assert call.assistant is not None and call.assistant.model_dump() == assistants[call.assistant.id].model_dump()
        # Attempts most recent first, the last one repeated as last_call_attempt.
        starts = [a.started_at for a in call.call_attempts]
        assert starts == sorted(starts, reverse=True) and call.calls_count == len(call.call_attempts)
        if not call.call_attempts:  # a call not placed yet
            placeable = ("scheduled", "queued_for_calling", "cancelled", "not_launched", "paused")
            assert call.status in placeable and call.last_call_attempt is None
            continue
        assert call.last_call_attempt is not None and call.last_call_attempt.id == call.call_attempts[0].id
        for attempt in call.call_attempts:
            assert attempt.phone_number == call.to_phone_number
            assert attempt.handled_by_ai == (attempt.answered_at is not None)
    assert any(len(c.call_attempts) > 1 for c in calls), "no retried call: the ordering is untested"


def test_a_missing_outcome_is_null_and_the_none_filter_finds_it(sdk: revox.Revox) -> None:
    calls = every_call(sdk)
    without = {c.id for c in calls if c.outcome is None}
    assert without and len(without) < len(calls)
    assert {c.id for c in every_call(sdk, outcomes=["none"])} == without
    both = every_call(sdk, outcomes=["none", "interested"])
    assert {c.outcome for c in both} == {None, "interested"}


def test_a_call_shows_its_assistant_as_it_is_now_but_keeps_what_it_ran_with(sdk: revox.Revox) -> None:
    (call,) = search(sdk, assistant_ids=[RECEPTIONIST_ID], page_size=1).calls
    assert call.first_sentence_delay_ms == 300 and call.llm_model.type == "openrouter"
    sdk.assistants.update(
        RECEPTIONIST_ID,
        name="Front desk",
        first_sentence_delay_ms=700,
        llm_model={"type": "dedicated-instance", "name": "gpt-4.1"},
    )
    again = strict(sdk.call.with_raw_response.retrieve(call.id), CallRetrieveResponse).call
    assert again.assistant is not None
    assert (again.assistant.name, again.assistant.first_sentence_delay_ms) == ("Front desk", 700)
    # The LLM and delay the call ran with stay what they were.
    assert again.llm_model.model_dump() == call.llm_model.model_dump()
    assert again.first_sentence_delay_ms == 300


def test_a_call_can_be_placed_with_any_stored_assistant(sandbox: SandboxServer, sdk: revox.Revox) -> None:
    """Issue 23: POST /call with an assistant whose stored FAQ items carry ids (as every stored item does)
    answered 400 'faq_items.0.id: Extra inputs are not permitted'."""
    stored = sdk.assistants.retrieve(RECEPTIONIST_ID)
    assert stored.faq_items and all(item.id for item in stored.faq_items)
    placed = strict(
        sdk.call.with_raw_response.create(phone_number="+14155550999", assistant_id=RECEPTIONIST_ID), CallCreateResponse
    )
    assert placed.call.status == "not_launched"
    assert sandbox.app.state.sandbox.test_call_configs[placed.call.id]["id"] == RECEPTIONIST_ID
    # An inline assistant is still checked as CallCreateParams types it: its FAQ items take no id.
    with pytest.raises(revox.BadRequestError, match=r"faq_items\.0\.id"):
        sdk.call.create(
            phone_number="+14155550999",
            assistant={"prompt": "Hi.", "faq_items": [{"question": "q", "answer": "a", "id": "faq_1"}]},  # type: ignore[list-item]
        )
    with pytest.raises(revox.NotFoundError):
        sdk.call.create(phone_number="+14155550999", assistant_id="asst_nope")


def test_call_actions_answer_the_sdk_shapes_and_refuse_calls_they_do_not_apply_to(sdk: revox.Revox) -> None:
    paused = strict(sdk.call.with_raw_response.pause("call_queued_01"), CallPauseResponse)
    assert paused.success is True and sdk.call.retrieve("call_queued_01").call.status == "paused"
    with pytest.raises(revox.BadRequestError, match="cannot be paused: its status is 'paused'"):
        sdk.call.pause("call_queued_01")
    resumed = strict(sdk.call.with_raw_response.resume("call_queued_01"), CallResumeResponse)
    # Back to the status it had before the pause.
    assert resumed.success is True and sdk.call.retrieve("call_queued_01").call.status == "queued_for_calling"
    with pytest.raises(revox.BadRequestError, match="cannot be resumed: its status is 'queued_for_calling'"):
        sdk.call.resume("call_queued_01")
    cancelled = strict(sdk.call.with_raw_response.cancel("call_paused_01"), CallCancelResponse)
    call = sdk.call.retrieve("call_paused_01").call
    assert cancelled.success is True and (call.status, call.is_cancelled) == ("cancelled", True)
    for action in (sdk.call.cancel, sdk.call.pause, sdk.call.resume):
        with pytest.raises(revox.BadRequestError, match="its status is 'completed'"):
            action("call_000")
        with pytest.raises(revox.NotFoundError):
            action("call_nope")
    # The search sees the new statuses (beside the cancelled Spring open house's calls).
    cancelled_ids = {c.id for c in search(sdk, statuses=["cancelled"]).calls}
    assert {i for i in cancelled_ids if "open_house" not in i} == {"call_paused_01", "call_cancelled_01"}


def test_the_phone_history_answers_the_sdk_shape_from_the_calls(sdk: revox.Revox) -> None:
    history = strict(sdk.call.with_raw_response.phone_history(), CallPhoneHistoryResponse).phone_history
    calls = every_call(sdk)
    attempted = [c for c in calls if c.call_attempts]
    contacts = {c.to_phone_number if c.direction == "outbound" else c.from_phone_number for c in attempted}
    assert set(history) == contacts
    # A number called by a finished reminder and scheduled again: one call so far, and its campaign-less past.
    (earlier,) = [c for c in attempted if c.to_phone_number == "+14155558408"]
    entry = history["+14155558408"]
    assert entry.count == 1 and entry.last_outcome == earlier.outcome
    assert entry.reached_human == (earlier.call_attempts[0].result == "human")
    # The paused call's missed attempt counts, with its campaign; a number only scheduled is not there.
    assert history["+14155554417"].campaigns[0].id == REMINDER_CAMPAIGN["id"]
    assert not history["+14155554417"].reached_human and "+14155552231" not in history


def test_the_search_refuses_what_the_sdk_types_refuse(sandbox: SandboxServer) -> None:
    headers = {"Authorization": f"Bearer {sandbox.api_key}"}
    url = f"{sandbox.url}/call/search"
    body = {**_NO_FILTERS, "page": 1, "page_size": 5}
    assert httpx.post(url, json=body, headers=headers).status_code == 200
    for broken, field in [
        ({k: v for k, v in body.items() if k != "statuses"}, "statuses"),
        ({**body, "statuses": ["done"]}, "statuses"),
        ({**body, "campaign_ids": "camp"}, "campaign_ids"),
        ({**body, "sort_by": "transcript"}, "sort_by"),
        ({**body, "sort_direction": "up"}, "sort_direction"),
        ({k: v for k, v in body.items() if k != "page_size"}, "page_size"),
    ]:
        answer = httpx.post(url, json=broken, headers=headers)
        assert (answer.status_code, answer.json()["field"]) == (400, field), broken


# --- the checks can fail -----------------------------------------------------------------------------------


def _raw_call(sandbox: SandboxServer) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {sandbox.api_key}"}
    return httpx.get(f"{sandbox.url}/call/call_000", headers=headers).raise_for_status().json()


@pytest.mark.parametrize(
    "breakage",
    [
        pytest.param(lambda b: b["call"]["call_attempts"][0].pop("handled_by_ai"), id="attempt-without-handled_by_ai"),
        pytest.param(lambda b: b["call"]["last_call_attempt"].pop("phone_number"), id="attempt-without-phone_number"),
        pytest.param(lambda b: b["call"].update(outcome="none"), id="outcome-none-as-a-string"),
        pytest.param(lambda b: b["call"].pop("organization_id"), id="call-without-organization_id"),
        pytest.param(
            lambda b: b["call"].update(assistant={"id": SALES_QUALIFIER_ID, "name": "x"}), id="partial-assistant"
        ),
        pytest.param(lambda b: b["call"].update(first_sentence_delay_ms="400ms"), id="delay-not-an-integer"),
    ],
)
def test_strict_validation_refuses_a_broken_call(sandbox: SandboxServer, breakage: Any) -> None:
    body = _raw_call(sandbox)
    CallRetrieveResponse.model_validate(body)  # the real answer passes ...
    broken = copy.deepcopy(body)
    breakage(broken)
    with pytest.raises(ValidationError):
        CallRetrieveResponse.model_validate(broken)  # ... and the same answer, broken, does not


def test_the_strict_client_refuses_a_broken_answer_over_http(sandbox: SandboxServer, sdk: revox.Revox) -> None:
    body = _raw_call(sandbox)
    del body["call"]["call_attempts"][0]["handled_by_ai"]
    add_fault(sandbox, method="GET", path="/call/call_000", status=200, body=body)
    with pytest.raises(revox.APIResponseValidationError):
        sdk.call.retrieve("call_000")
    # The bare voice (the old answer of GET /voices/{id}) is not the SDK's shape either.
    voice = sdk.voices.list().voices[0].model_dump(by_alias=True)
    add_fault(sandbox, method="GET", path=f"/voices/{voice['id']}", status=200, body=voice)
    with pytest.raises(revox.APIResponseValidationError):
        sdk.voices.retrieve(voice["id"], provider=voice["provider"])


# --- nothing the sandbox serves goes untested --------------------------------------------------------------


def test_every_route_the_sandbox_serves_was_driven_by_the_sdk(sandbox: SandboxServer, sdk: revox.Revox) -> None:
    """Drive one SDK method per route, then compare with the sandbox's own route table: a route added to the
    sandbox without an SDK method exercised here fails this test."""
    created = sdk.assistants.create(name="Route check", prompt="p").assistant
    sdk.assistants.list()
    sdk.assistants.retrieve(created.id)
    sdk.assistants.update(created.id, name="Route check 2")
    sdk.assistants.delete(sdk.assistants.clone(created.id).assistant.id)
    voice = sdk.voices.list().voices[0]
    sdk.voices.retrieve(voice.id, provider=voice.provider)
    sdk.phone_numbers.list()
    sdk.phone_numbers.update(sdk.phone_numbers.list().phone_numbers[0].id, label="Route check")
    sdk.call.retrieve(search(sdk, page_size=1).calls[0].id)
    placed = sdk.call.with_raw_response.create(phone_number="+14155550999", assistant={"prompt": "Say hi."})
    strict(placed, CallCreateResponse)
    espeak = shutil.which("espeak-ng") is not None  # without it the sandbox answers previews 503 (test_voices.py)
    if espeak:
        sdk.voices.preview(provider=voice.provider, voice_id=voice.id, text="Hi.")
    drive_campaign_routes(sdk)
    sdk.call.pause("call_sched_01")
    sdk.call.resume("call_sched_01")
    sdk.call.cancel("call_sched_01")
    sdk.call.phone_history()

    served = {
        (method, route.path, route.path_regex)
        for route in sandbox.app.routes
        if not route.path.startswith("/_sandbox/") and (espeak or route.path != "/voices/preview")
        for method in route.methods - {"HEAD"}
    }
    log = sandbox.app.state.sandbox.requests
    driven = {
        (method, path)
        for method, path, pattern in served
        if any(r.method == method and pattern.match(r.path) and 200 <= r.status < 300 for r in log)
    }
    assert {(m, p) for m, p, _ in served} - driven == set()
