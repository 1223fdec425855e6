"""The sandbox answers no key the official SDK does not declare: every GET answer (assistants, voices, phone
numbers, call search, call get), driven with the SDK's client, walked beside the SDK's response model with
extra keys forbidden. (The SDK's models accept extra keys, so test_sdk_sandbox.py's strict parse cannot see
them: a key the real API does not send would teach revox-mcp to rely on it.)"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import revox
from revox.types import (
    AssistantListResponse,
    AssistantRetrieveResponse,
    CallRetrieveResponse,
    CallSearchResponse,
    PhoneNumberListResponse,
    VoiceListResponse,
    VoiceRetrieveResponse,
)

from revox_mcp.sandbox import SandboxServer
from tests.sdk_answers import undeclared

_NO_FILTERS: dict[str, Any] = {
    "assignee_ids": [], "assistant_ids": [], "campaign_ids": [], "directions": [], "from_phone_numbers": [],
    "outcomes": [], "results": [], "statuses": [],
}  # fmt: skip


@pytest.fixture
def sdk(sandbox: SandboxServer) -> Iterator[revox.Revox]:
    sandbox.app.state.sandbox.add_tuning_history()  # the seeded tuning calls too
    client = revox.Revox(api_key=sandbox.api_key, base_url=sandbox.url, max_retries=0, _strict_response_validation=True)
    yield client
    client.close()


def extras(raw: Any, model: Any) -> list[str]:
    raw.parse()  # the SDK's own strict parse accepts it too
    return sorted(set(undeclared(raw.http_response.json(), model)))


def test_assistants_declare_only_sdk_keys(sdk: revox.Revox) -> None:
    found = {"list": extras(sdk.assistants.with_raw_response.list(), AssistantListResponse)}
    for assistant in sdk.assistants.list().assistants:
        found[assistant.id] = extras(sdk.assistants.with_raw_response.retrieve(assistant.id), AssistantRetrieveResponse)
    assert all(not keys for keys in found.values()), found


def test_voices_declare_only_sdk_keys(sdk: revox.Revox) -> None:
    found = {"list": extras(sdk.voices.with_raw_response.list(), VoiceListResponse)}
    voices = sdk.voices.list().voices
    for voice in voices:
        raw = sdk.voices.with_raw_response.retrieve(voice.id, provider=voice.provider)
        found[voice.id] = extras(raw, VoiceRetrieveResponse)
    assert len(found) == len(voices) + 1 and all(not keys for keys in found.values()), found


def test_phone_numbers_declare_only_sdk_keys(sdk: revox.Revox) -> None:
    assert extras(sdk.phone_numbers.with_raw_response.list(), PhoneNumberListResponse) == []


def test_every_call_searched_and_read_declares_only_sdk_keys(sdk: revox.Revox) -> None:
    found: dict[str, list[str]] = {}
    page, seen = 1, 0
    while True:
        raw = sdk.call.with_raw_response.search(**_NO_FILTERS, page=page, page_size=100)
        found[f"search page {page}"] = extras(raw, CallSearchResponse)
        answer = raw.parse()
        for call in answer.calls:
            found[call.id] = extras(sdk.call.with_raw_response.retrieve(call.id), CallRetrieveResponse)
        seen += len(answer.calls)
        if not answer.calls or seen >= answer.total_count:
            break
        page += 1
    assert seen > 60 and all(not keys for keys in found.values()), {k: v for k, v in found.items() if v}


def test_an_undeclared_key_is_found_at_its_path() -> None:
    """The walk can fail: a key the SDK does not declare, nested in lists and unions, is named by its path."""
    listed = {
        "assistants": [
            {
                "id": "a",
                "voice": {"id": "v", "provider": "cartesia", "pitch": 2},
                "faq_items": [{"question": "q", "x": 1}],
            }
        ]
    }
    assert undeclared(listed, AssistantListResponse) == ["assistants[].voice.pitch", "assistants[].faq_items[].x"]
    voice = {"voice": {"id": "v", "name": "n", "description": None, "language": "en"}}
    assert undeclared(voice, VoiceRetrieveResponse) == ["voice.language"]
    assert undeclared({"voices": [{"id": "v", "isCloned": True, "modelCompat": "sonic-3"}]}, VoiceListResponse) == []
