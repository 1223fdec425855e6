"""The sandbox answers no key the official SDK does not declare: every GET answer (assistants, voices, phone
numbers, call search, call get, and whatever GET route the sandbox adds: each must have its SDK method in
tests/sdk_surface.py), driven with the SDK's client, walked beside the SDK's response model with extra keys
forbidden. (The SDK's models accept extra keys, so test_sdk_sandbox.py's strict parse cannot see
them: a key the real API does not send would teach revox-mcp to rely on it.)"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from typing import Any

import pytest
import revox
from revox.types import AssistantListResponse, CallSearchResponse, VoiceListResponse, VoiceRetrieveResponse

from revox_mcp.sandbox import SandboxServer
from tests.sdk_answers import undeclared
from tests.sdk_surface import ENDPOINTS, sdk_method

_NO_FILTERS: dict[str, Any] = {
    "assignee_ids": [], "assistant_ids": [], "campaign_ids": [], "directions": [], "from_phone_numbers": [],
    "outcomes": [], "results": [], "statuses": [],
}  # fmt: skip


@pytest.fixture
def sdk(sandbox: SandboxServer) -> Iterator[revox.Revox]:
    sandbox.app.state.sandbox.add_tuning_history()  # the seeded tuning calls too
    sandbox.app.state.sandbox.add_ab_pair()  # and the seeded A/B pair (its copy, both one's calls)
    client = revox.Revox(api_key=sandbox.api_key, base_url=sandbox.url, max_retries=0, _strict_response_validation=True)
    yield client
    client.close()


def extras(raw: Any, model: Any) -> list[str]:
    raw.parse()  # the SDK's own strict parse accepts it too
    return sorted(set(undeclared(raw.http_response.json(), model)))


def _served_gets(app: Any, prefix: str = "") -> set[str]:
    """'GET /path' of every route the sandbox app serves (through mounts), its own /_sandbox controls aside."""
    out = set()
    for route in app.routes:
        path = prefix + getattr(route, "path", "")
        if hasattr(route, "routes"):
            out |= _served_gets(route, path)
        elif "GET" in (getattr(route, "methods", None) or ()) and not path.startswith("/_sandbox"):
            out.add(f"GET {path}")
    return out


def _arguments(sdk: revox.Revox, route: str) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    """Every (args, kwargs) to read `route` with: each seeded assistant, voice, call, campaign."""
    if route.startswith("GET /assistants/"):
        return [((a.id,), {}) for a in sdk.assistants.list().assistants]
    if route.startswith("GET /voices/"):
        return [((v.id,), {"provider": v.provider}) for v in sdk.voices.list().voices]
    if route.startswith("GET /call/"):
        return [((call_id,), {}) for call_id in _every_call_id(sdk)]
    if route.startswith("GET /campaigns/"):
        return [((c.id,), {}) for c in sdk.campaigns.list().campaigns]
    assert "{" not in route, f"say where the ids of {route} come from"
    return [((), {})]


def _every_call_id(sdk: revox.Revox) -> list[str]:
    ids: list[str] = []
    page = 1
    while True:
        answer = sdk.call.search(**_NO_FILTERS, page=page, page_size=100)
        ids += [c.id for c in answer.calls]
        if not answer.calls or len(ids) >= answer.total_count:
            return ids
        page += 1


def test_every_get_the_sandbox_serves_has_an_sdk_method_and_model(sandbox: SandboxServer) -> None:
    described = {e.route for e in ENDPOINTS if e.route.startswith("GET ")}
    assert _served_gets(sandbox.app) - described == set(), "add the route's SDK method to tests/sdk_surface.py"


@pytest.mark.timeout(120)
def test_every_get_answer_declares_only_sdk_keys(sandbox: SandboxServer, sdk: revox.Revox) -> None:
    served = _served_gets(sandbox.app)
    found: dict[str, list[str]] = {}
    for endpoint in ENDPOINTS:
        if endpoint.route not in served:
            continue  # a planned route this sandbox does not serve yet
        resource, name = endpoint.sdk.split(".")
        read = getattr(getattr(sdk, resource).with_raw_response, name)
        model = typing.get_type_hints(sdk_method(endpoint.sdk))["return"]
        for args, kwargs in _arguments(sdk, endpoint.route):
            found[f"{endpoint.route} {args}"] = extras(read(*args, **kwargs), model)
    assert {"GET /assistants", "GET /assistants/{id}", "GET /voices", "GET /voices/{id}", "GET /phone-numbers",
            "GET /call/{id}"} <= {key.split(" (")[0] for key in found}  # fmt: skip
    assert {k: v for k, v in found.items() if v} == {}


def test_every_call_searched_declares_only_sdk_keys(sdk: revox.Revox) -> None:
    page, seen, found = 1, 0, {}
    while True:
        raw = sdk.call.with_raw_response.search(**_NO_FILTERS, page=page, page_size=100)
        found[page] = extras(raw, CallSearchResponse)
        answer = raw.parse()
        seen += len(answer.calls)
        if not answer.calls or seen >= answer.total_count:
            break
        page += 1
    assert seen > 60 and all(not keys for keys in found.values()), found


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
