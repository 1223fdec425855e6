"""The sandbox speaks the reference's wire protocol over real HTTP and persists to SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.seed import RECEPTIONIST_ID, SALES_QUALIFIER_ID, SANDBOX_ORGANIZATION_ID, SEED_ASSISTANTS


@pytest.fixture
def http(sandbox: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.url, headers={"Authorization": f"Bearer {sandbox.api_key}"}) as client:
        yield client


def test_list_returns_the_seeded_assistants(http: httpx.Client) -> None:
    response = http.get("/assistants")
    assert response.status_code == 200
    assert [a["id"] for a in response.json()["assistants"]] == [s["id"] for s in SEED_ASSISTANTS]


def test_get_returns_the_assistant_unwrapped(http: httpx.Client) -> None:
    assistant = http.get(f"/assistants/{SALES_QUALIFIER_ID}").json()
    assert assistant["id"] == SALES_QUALIFIER_ID
    assert assistant["organization_id"] == SANDBOX_ORGANIZATION_ID
    assert assistant["voice"]["provider"] == "cartesia"


def test_patch_changes_only_the_keys_sent_and_keeps_identity(http: httpx.Client) -> None:
    before = http.get(f"/assistants/{SALES_QUALIFIER_ID}").json()
    response = http.patch(f"/assistants/{SALES_QUALIFIER_ID}", json={"name": "Renamed", "voicemail_message": None})
    assert response.status_code == 200
    after = response.json()["assistant"]
    assert after["name"] == "Renamed" and after["voicemail_message"] is None
    for key in ("id", "organization_id", "created_at", "prompt", "voice", "faq_items"):
        assert after[key] == before[key], key
    assert after["updated_at"] > before["updated_at"]


def test_updated_at_moves_on_every_write_even_when_writes_are_back_to_back(http: httpx.Client) -> None:
    stamps = [http.patch(f"/assistants/{RECEPTIONIST_ID}", json={"sms_enabled": True}).json() for _ in range(5)]
    values = [s["assistant"]["updated_at"] for s in stamps]
    assert values == sorted(values) and len(set(values)) == 5


def test_invalid_body_is_400_with_a_message_naming_the_field(http: httpx.Client) -> None:
    response = http.patch(f"/assistants/{SALES_QUALIFIER_ID}", json={"voice": {"id": "v", "provider": "x"}})
    assert response.status_code == 400
    assert response.json()["field"] == "voice.provider"
    assert "voice.provider" in response.json()["message"]
    assert http.patch(f"/assistants/{SALES_QUALIFIER_ID}", content=b"{not json").status_code == 400
    assert http.patch(f"/assistants/{SALES_QUALIFIER_ID}", json=[1]).status_code == 400


def test_unknown_id_is_404(http: httpx.Client) -> None:
    assert http.get("/assistants/nope").status_code == 404
    assert http.patch("/assistants/nope", json={"name": "x"}).status_code == 404
    assert http.delete("/assistants/nope").status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic abc", "Bearer"])
def test_requests_without_the_key_are_401(sandbox: SandboxServer, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = httpx.get(f"{sandbox.url}/assistants", headers=headers)
    assert response.status_code == 401
    assert "message" in response.json()


def test_create_clone_and_delete(http: httpx.Client) -> None:
    assert http.post("/assistants", json={"name": "No prompt"}).status_code == 400
    created = http.post("/assistants", json={"name": "New", "prompt": "Be brief."})
    assert created.status_code == 201
    new = created.json()["assistant"]
    assert new["organization_id"] == SANDBOX_ORGANIZATION_ID and new["prompt"] == "Be brief."
    clone = http.post(f"/assistants/{new['id']}/clone").json()["assistant"]
    assert clone["id"] != new["id"] and clone["prompt"] == "Be brief." and clone["name"] == "New (Copy)"
    assert http.delete(f"/assistants/{new['id']}").json() == {"success": True}
    assert http.get(f"/assistants/{new['id']}").status_code == 404
    assert http.get(f"/assistants/{clone['id']}").status_code == 200


def test_data_survives_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "persist.db"
    with SandboxServer(db) as first:
        headers = {"Authorization": f"Bearer {first.api_key}"}
        httpx.patch(f"{first.url}/assistants/{SALES_QUALIFIER_ID}", json={"name": "Kept"}, headers=headers)
    with SandboxServer(db) as second:
        headers = {"Authorization": f"Bearer {second.api_key}"}
        assert httpx.get(f"{second.url}/assistants/{SALES_QUALIFIER_ID}", headers=headers).json()["name"] == "Kept"
        assert len(httpx.get(f"{second.url}/assistants", headers=headers).json()["assistants"]) == 3


def test_past_calls_keep_the_configuration_they_ran_with_across_a_restart(tmp_path: Path) -> None:
    """From an agent walkthrough: after a change and a restart, last week's calls showed the new calling hours."""
    db = tmp_path / "persist.db"
    with SandboxServer(db) as first:
        headers = {"Authorization": f"Bearer {first.api_key}"}
        before = first.app.state.sandbox.calls
        url = f"{first.url}/assistants/{SALES_QUALIFIER_ID}"
        paris = {**httpx.get(url, headers=headers).json()["call_retry_config"], "timezone": "Europe/Paris"}
        assert httpx.patch(url, json={"call_retry_config": paris}, headers=headers).status_code == 200
    with SandboxServer(db) as second:
        after = second.app.state.sandbox.calls
    sales = [c["call_retry_config"] for c in after if c["assistant"]["id"] == SALES_QUALIFIER_ID]
    assert sales and all(config["timezone"] != "Europe/Paris" for config in sales)
    assert [c["call_retry_config"] for c in after] == [c["call_retry_config"] for c in before]


def test_reset_restores_the_catalogs_too(sandbox: SandboxServer, http: httpx.Client) -> None:
    seeded = http.get("/voices").json()["voices"]
    sandbox.app.state.sandbox.voices.append({**seeded[0], "id": "added-by-a-test"})
    sandbox.app.state.sandbox.phone_numbers.clear()
    sandbox.reset()
    assert http.get("/voices").json()["voices"] == seeded
    assert len(http.get("/phone-numbers").json()["phone_numbers"]) == 3


def test_faults_are_served_in_order_then_normal_answers_resume(http: httpx.Client) -> None:
    http.post("/_sandbox/faults", json={"method": "GET", "path": "/assistants/*", "status": 503, "times": 2})
    codes = [http.get(f"/assistants/{SALES_QUALIFIER_ID}").status_code for _ in range(3)]
    assert codes == [503, 503, 200]
    log = http.get("/_sandbox/requests").json()["requests"]
    assert [r["status"] for r in log] == [503, 503, 200]
