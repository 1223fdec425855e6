"""The sandbox's campaigns speak the official SDK's exact shapes: every campaign route is driven with the `revox`
client (strict response validation on), every answer's raw JSON validated with the SDK's model, and no answer
carries a key the SDK does not declare (outside the embedded assistant, whose shape is the assistants' own)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any, TypeVar

import httpx
import pytest
import revox
from pydantic import BaseModel, ValidationError
from revox.types import (
    CallRetrieveResponse,
    CampaignGetRowsResponse,
    CampaignListResponse,
    CampaignPauseResponse,
    CampaignResumeResponse,
    CampaignRetrieveResponse,
    CampaignStatisticsResponse,
)

from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.campaigns import (
    FEBRUARY_ID,
    MARCH_ID,
    OPEN_HOUSE_ID,
    REMINDERS_ID,
    WINTER_ID,
)
from revox_mcp.sandbox.seed import REMINDER_ID, SALES_QUALIFIER_ID, SANDBOX_ORGANIZATION_ID

M = TypeVar("M", bound=BaseModel)


@pytest.fixture
def sdk(sandbox: SandboxServer) -> Iterator[revox.Revox]:
    client = revox.Revox(api_key=sandbox.api_key, base_url=sandbox.url, max_retries=0, _strict_response_validation=True)
    yield client
    client.close()


def undeclared(model: BaseModel, path: str = "") -> list[str]:
    """Every key of a validated answer that its SDK model does not declare (the embedded assistants left out)."""
    found = [f"{path}.{k}" for k in model.model_extra or {}]
    for name in type(model).model_fields:
        if name == "assistant":
            continue
        found += _undeclared_in(getattr(model, name), f"{path}.{name}")
    return found


def _undeclared_in(value: Any, path: str) -> list[str]:
    if isinstance(value, BaseModel):
        return undeclared(value, path)
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in _undeclared_in(item, f"{path}[{i}]")]
    return []


def strict(raw: Any, model: type[M]) -> M:
    raw.parse()
    answer = model.model_validate(raw.http_response.json())
    assert undeclared(answer) == []
    return answer


def test_campaigns_are_listed_and_retrieved_in_the_sdk_shapes(sdk: revox.Revox) -> None:
    listed = strict(sdk.campaigns.with_raw_response.list(), CampaignListResponse).campaigns
    by_id = {c.id: c for c in listed}
    assert set(by_id) == {MARCH_ID, FEBRUARY_ID, WINTER_ID, REMINDERS_ID, OPEN_HOUSE_ID}
    # Every status the SDK knows, and a cancelled one (completed, is_cancelled).
    assert {c.status for c in listed} == {"running", "paused", "completed"}
    assert by_id[OPEN_HOUSE_ID].is_cancelled and by_id[OPEN_HOUSE_ID].status == "completed"
    # Some hold their own retry config, others follow their assistant's (null).
    assert by_id[MARCH_ID].call_retry_config is not None and by_id[FEBRUARY_ID].call_retry_config is None
    assert by_id[MARCH_ID].call_retry_config.allowed_days[-1] == "sunday"
    assert by_id[REMINDERS_ID].assistant_id == REMINDER_ID
    for campaign in listed:
        one = strict(sdk.campaigns.with_raw_response.retrieve(campaign.id), CampaignRetrieveResponse).campaign
        assert one.model_dump() == campaign.model_dump()
        assert one.organization_id == SANDBOX_ORGANIZATION_ID
        # The whole assistant, as GET /assistants/{id} has it.
        assert one.assistant is not None and one.assistant.id == one.assistant_id
        assert one.row_stats is not None and one.funnel_stats is not None
        rows = strict(sdk.campaigns.with_raw_response.get_rows(campaign.id), CampaignGetRowsResponse).rows
        assert one.row_stats.total == len(rows) == one.funnel_stats.total_leads
    with pytest.raises(revox.NotFoundError):
        sdk.campaigns.retrieve("camp_nope")


def test_row_stats_and_statistics_are_computed_from_the_rows(sdk: revox.Revox) -> None:
    campaign = sdk.campaigns.retrieve(MARCH_ID).campaign
    rows = strict(sdk.campaigns.with_raw_response.get_rows(MARCH_ID), CampaignGetRowsResponse).rows
    stats = campaign.row_stats
    assert stats is not None
    assert stats.completed == sum(1 for r in rows if r.call and r.call.status == "completed")
    assert stats.not_launched == sum(1 for r in rows if r.call and r.call.status == "not_launched")
    assert stats.failed == sum(1 for r in rows if r.call and r.call.status == "errored")
    assert stats.skipped == sum(1 for r in rows if r.call is None)
    assert (
        sum(
            getattr(stats, k) for k in ("calling", "completed", "failed", "not_launched", "pending", "retry", "skipped")
        )
        == stats.total
    )
    for row in rows:
        if row.call is not None:
            assert row.call.campaign is not None and row.call.campaign.id == MARCH_ID
            assert row.call.to_phone_number == row.phone_number
            # The campaign's own retry config governs its calls.
            assert row.call.call_retry_config.model_dump() == campaign.call_retry_config.model_dump()  # type: ignore[union-attr]
    report = strict(sdk.campaigns.with_raw_response.statistics(MARCH_ID), CampaignStatisticsResponse).statistics
    humans = {r.phone_number for r in rows if r.call and any(a.result == "human" for a in r.call.call_attempts)}
    assert report.funnel.reached.count == len(humans) == campaign.funnel_stats.talked_to_human  # type: ignore[union-attr]
    assert report.funnel.called.imported_rows == len(rows)
    interested = {r.call.id for r in rows if r.call and r.call.outcome == "interested"}
    assert {lead.call_id for lead in report.leads.interested} == interested and interested
    assert report.campaign.status == "running" and report.campaign.timezone == "America/Los_Angeles"
    assert sum(o.count for o in report.outcome_breakdown) == report.funnel.real_exchanges.count
    # One count of hot leads: the funnel's and the campaign's.
    assert report.funnel.hot_leads.count == campaign.funnel_stats.hot > 0  # type: ignore[union-attr]
    funnel = report.funnel
    assert funnel.called.count >= funnel.reached.count > funnel.real_exchanges.count >= funnel.hot_leads.count


def test_pause_and_resume_move_the_status_and_refuse_what_it_does_not_allow(sdk: revox.Revox) -> None:
    paused = strict(sdk.campaigns.with_raw_response.pause(MARCH_ID), CampaignPauseResponse)
    assert paused.success is True
    assert sdk.campaigns.retrieve(MARCH_ID).campaign.status == "paused"
    # Held calls show the pause.
    rows = sdk.campaigns.get_rows(MARCH_ID).rows
    assert any(r.call and r.call.status == "paused" for r in rows)
    assert not any(r.call and r.call.status == "scheduled" for r in rows)
    with pytest.raises(revox.ConflictError, match="already paused"):
        sdk.campaigns.pause(MARCH_ID)
    resumed = strict(sdk.campaigns.with_raw_response.resume(MARCH_ID), CampaignResumeResponse)
    assert resumed.success is True and sdk.campaigns.retrieve(MARCH_ID).campaign.status == "running"
    with pytest.raises(revox.ConflictError, match="already running"):
        sdk.campaigns.resume(MARCH_ID)
    with pytest.raises(revox.ConflictError, match="cancelled"):
        sdk.campaigns.resume(OPEN_HOUSE_ID)
    with pytest.raises(revox.ConflictError, match="completed"):
        sdk.campaigns.pause(FEBRUARY_ID)
    with pytest.raises(revox.NotFoundError):
        sdk.campaigns.pause("camp_nope")


def test_a_status_change_outlives_a_restart_and_a_reset_undoes_it(tmp_path: Any) -> None:
    db = tmp_path / "sandbox.db"
    with SandboxServer(db) as first:
        client = revox.Revox(api_key=first.api_key, base_url=first.url, max_retries=0)
        client.campaigns.resume(WINTER_ID)
        client.close()
        key = first.api_key
    with SandboxServer(db, api_key=key) as second:
        client = revox.Revox(api_key=key, base_url=second.url, max_retries=0)
        assert client.campaigns.retrieve(WINTER_ID).campaign.status == "running"
        second.reset()
        assert client.campaigns.retrieve(WINTER_ID).campaign.status == "paused"
        client.close()


def test_campaigns_show_their_assistant_as_it_is_now(sdk: revox.Revox) -> None:
    sdk.assistants.update(SALES_QUALIFIER_ID, name="Renamed qualifier")
    campaign = sdk.campaigns.retrieve(MARCH_ID).campaign
    assert campaign.assistant is not None and campaign.assistant.name == "Renamed qualifier"
    report = sdk.campaigns.statistics(MARCH_ID).statistics
    assert report.campaign.agent_name == "Renamed qualifier"


def _raw(sandbox: SandboxServer, path: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {sandbox.api_key}"}
    body: dict[str, Any] = httpx.get(f"{sandbox.url}{path}", headers=headers).raise_for_status().json()
    return body


@pytest.mark.parametrize(
    ("path", "model", "breakage"),
    [
        (f"/campaigns/{MARCH_ID}", CampaignRetrieveResponse, lambda b: b["campaign"].update(status="stopped")),
        (f"/campaigns/{MARCH_ID}", CampaignRetrieveResponse, lambda b: b["campaign"].pop("is_cancelled")),
        (f"/campaigns/{MARCH_ID}/rows", CampaignGetRowsResponse, lambda b: b["rows"][0].pop("phone_number")),
        (f"/campaigns/{MARCH_ID}/statistics", CampaignStatisticsResponse, lambda b: b["statistics"].pop("funnel")),
    ],
)
def test_strict_validation_refuses_a_broken_answer(
    sandbox: SandboxServer, path: str, model: Any, breakage: Any
) -> None:
    body = _raw(sandbox, path)
    model.model_validate(body)
    broken = copy.deepcopy(body)
    breakage(broken)
    with pytest.raises(ValidationError):
        model.model_validate(broken)


def test_an_undeclared_key_is_found(sandbox: SandboxServer) -> None:
    body = _raw(sandbox, f"/campaigns/{MARCH_ID}/statistics")
    body["statistics"]["funnel"]["called"]["extra"] = 1
    assert undeclared(CampaignStatisticsResponse.model_validate(body)) == [".statistics.funnel.called.extra"]


def drive_campaign_routes(sdk: revox.Revox) -> None:
    """One SDK call per campaign route, for the sandbox's every-route-driven check (test_sdk_sandbox)."""
    sdk.campaigns.list()
    sdk.campaigns.retrieve(MARCH_ID)
    sdk.campaigns.statistics(MARCH_ID)
    sdk.campaigns.get_rows(MARCH_ID)
    sdk.campaigns.pause(MARCH_ID)
    sdk.campaigns.resume(MARCH_ID)


def test_a_rows_call_is_read_by_its_id_as_the_row_shows_it(sdk: revox.Revox) -> None:
    rows = sdk.campaigns.get_rows(WINTER_ID).rows
    held = next(r.call for r in rows if r.call and r.call.status == "paused")
    one = strict(sdk.call.with_raw_response.retrieve(held.id), CallRetrieveResponse).call
    assert one.model_dump() == held.model_dump() and one.campaign is not None and one.campaign.id == WINTER_ID
    sdk.campaigns.resume(WINTER_ID)
    assert sdk.call.retrieve(held.id).call.status == "scheduled"
    with pytest.raises(revox.NotFoundError):
        sdk.call.retrieve("call_row_nope")


@pytest.mark.parametrize("campaign_id", [MARCH_ID, FEBRUARY_ID, WINTER_ID, REMINDERS_ID, OPEN_HOUSE_ID])
def test_every_campaigns_statistics_add_up_with_its_rows_and_calls(sdk: revox.Revox, campaign_id: str) -> None:
    """What each count is over (the SDK's statistics docstring: distinct numbers, outcomes from calls.outcome):
    effort counts dialling, the outcomes split the real exchanges, the leads are the hot leads."""
    campaign = sdk.campaigns.retrieve(campaign_id).campaign
    rows = strict(sdk.campaigns.with_raw_response.get_rows(campaign_id), CampaignGetRowsResponse).rows
    report = strict(sdk.campaigns.with_raw_response.statistics(campaign_id), CampaignStatisticsResponse).statistics
    calls = [r.call for r in rows if r.call is not None]
    attempts = sum(len(c.call_attempts) for c in calls)
    effort, funnel = report.effort, report.funnel
    assert effort.outbound_attempts == attempts
    assert effort.calls_total == effort.outbound_attempts + effort.inbound_calls
    assert funnel.called.count == len({c.to_phone_number for c in calls if c.call_attempts})
    assert funnel.reached.count == funnel.reached.outbound + funnel.reached.inbound - funnel.reached.overlap
    assert sum(o.count for o in report.outcome_breakdown) == funnel.real_exchanges.count
    hot = sum(o.count for o in report.outcome_breakdown if o.outcome in report.hot_lead_outcomes)
    leads = len(report.leads.interested) + len(report.leads.callback_requested)
    assert funnel.hot_leads.count == hot == leads == campaign.funnel_stats.hot  # type: ignore[union-attr]
    assert campaign.row_stats is not None and campaign.row_stats.total == funnel.called.imported_rows == len(rows)
    completed = [c for c in calls if c.status == "completed"]
    assert campaign.row_stats.completed == len(completed) >= funnel.reached.count >= funnel.real_exchanges.count
