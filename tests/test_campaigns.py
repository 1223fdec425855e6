"""Campaign tools through a real MCP client against the sandbox: list_campaigns, get_campaign (configuration,
statistics, rows paged), and the notice update_assistant gives about campaigns that hold their own settings."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from revox_mcp.config import Settings
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.campaigns import FEBRUARY_ID, MARCH_ID, OPEN_HOUSE_ID, REMINDERS_ID, WINTER_ID
from revox_mcp.sandbox.seed import RECEPTIONIST_ID, REMINDER_ID, SALES_QUALIFIER_ID
from tests.conftest import add_fault, fast_settings, mcp_client, text_of

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(60)]

NO_WEEKENDS = {"call_retry_config": {"allowed_days": ["monday", "tuesday", "wednesday", "thursday", "friday"]}}
NO_FRIDAYS = {"call_retry_config": {"allowed_days": ["monday", "tuesday", "wednesday", "thursday"]}}


def ok(result: Any) -> dict[str, Any]:
    assert not result.is_error, text_of(result)
    structured: dict[str, Any] = result.structured_content
    return structured


async def call(settings: Settings, tool: str, arguments: dict[str, Any]) -> Any:
    async with mcp_client(settings) as client:
        return await client.call_tool(tool, arguments)


# --- list_campaigns --------------------------------------------------------------------------------------------


async def test_list_campaigns_shows_compact_rows_with_states_and_own_settings(settings: Settings) -> None:
    answer = ok(await call(settings, "list_campaigns", {}))
    rows = {r["id"]: r for r in answer["campaigns"]}
    assert set(rows) == {MARCH_ID, FEBRUARY_ID, WINTER_ID, REMINDERS_ID, OPEN_HOUSE_ID}
    assert answer["counts"] == {"running": 2, "paused": 1, "completed": 1, "cancelled": 1}
    march = rows[MARCH_ID]
    assert march["status"] == "running" and march["assistant_name"] == "Solar lead qualifier (outbound)"
    assert march["own_settings"] == ["call_retry_config", "from_phone_number"]
    assert rows[FEBRUARY_ID]["own_settings"] == [] and rows[OPEN_HOUSE_ID]["status"] == "cancelled"
    assert march["rows"] == 30 and march["completed"] == 16 and isinstance(march["hot_leads"], int)
    assert "assistant" not in march, "rows are compact: no embedded assistant"


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"assistant_id": REMINDER_ID}, [REMINDERS_ID]),
        ({"status": "paused"}, [WINTER_ID]),
        ({"status": "cancelled"}, [OPEN_HOUSE_ID]),
        ({"status": "completed"}, [FEBRUARY_ID]),
        ({"name_contains": "MARCH"}, [MARCH_ID]),
        ({"assistant_id": SALES_QUALIFIER_ID, "status": "running"}, [MARCH_ID]),
    ],
)
async def test_list_campaigns_filters(settings: Settings, arguments: dict[str, Any], expected: list[str]) -> None:
    answer = ok(await call(settings, "list_campaigns", arguments))
    assert [r["id"] for r in answer["campaigns"]] == expected and answer["total"] == len(expected)


async def test_list_campaigns_pages_and_says_what_there_is_on_a_miss(settings: Settings) -> None:
    first = ok(await call(settings, "list_campaigns", {"page_size": 2}))
    second = ok(await call(settings, "list_campaigns", {"page_size": 2, "page": 3}))
    assert len(first["campaigns"]) == 2 and first["next_page"] == 2 and first["total"] == 5
    assert len(second["campaigns"]) == 1 and second["next_page"] is None
    miss = await call(settings, "list_campaigns", {"assistant_id": RECEPTIONIST_ID})
    assert ok(miss)["campaigns"] == [] and "The organization has 5 campaign(s)" in text_of(miss)


# --- get_campaign -------------------------------------------------------------------------------------------


async def test_get_campaign_shows_its_config_and_statistics_compact(settings: Settings) -> None:
    result = await call(settings, "get_campaign", {"id": MARCH_ID})
    answer = ok(result)
    config = answer["campaign"]
    assert config["status"] == "running" and config["call_retry_config_from"] == "campaign"
    assert "sunday" in config["call_retry_config"]["allowed_days"]
    assert config["row_stats"]["total"] == 30 and answer["rows"] is None
    stats = answer["statistics"]
    funnel = stats["funnel"]
    assert funnel["imported_rows"] == 30 and funnel["called"] >= funnel["reached"] >= funnel["real_exchanges"]
    assert funnel["hot_leads"] <= funnel["real_exchanges"]
    assert stats["leads"]["interested_total"] >= len(stats["leads"]["interested"]) > 0
    assert sum(stats["outcomes"].values()) == funnel["real_exchanges"]
    assert "It holds its own call_retry_config, from_phone_number" in text_of(result)
    assert "Funnel: called" in text_of(result)
    # The answer is compact: neither the assistant nor the rows' calls.
    assert len(json.dumps(answer)) < 6_000


async def test_a_campaign_without_its_own_config_shows_the_assistants(settings: Settings) -> None:
    config = ok(await call(settings, "get_campaign", {"id": FEBRUARY_ID}))["campaign"]
    assert config["call_retry_config_from"] == "assistant" and config["from_phone_number_from"] == "assistant"
    assert config["call_retry_config"]["allowed_days"][-1] == "saturday"  # the qualifier's own
    assert config["from_phone_number"] == "+14155550100"


async def test_get_campaign_pages_its_rows_under_the_ceiling(sandbox: SandboxServer) -> None:
    settings = fast_settings(sandbox, max_answer_bytes=6_000)
    seen: list[int] = []
    offset: int | None = 0
    async with mcp_client(settings) as client:
        while offset is not None:
            result = await client.call_tool("get_campaign", {"id": MARCH_ID, "rows": True, "row_offset": offset,
                                                             "row_limit": 100})  # fmt: skip
            answer = ok(result)
            assert len(text_of(result).encode()) <= 6_000
            seen += [r["index"] for r in answer["rows"]]
            offset = answer["next_row_offset"]
            assert answer["rows_total"] == 30
    assert seen == list(range(30)), "every row once, in order"
    statuses = {r["status"] for r in answer["rows"]}
    assert statuses <= {"completed", "calling", "scheduled", "not_launched", "errored", "no call"}


async def test_get_campaign_filters_rows_by_status(settings: Settings) -> None:
    answer = ok(await call(settings, "get_campaign", {"id": MARCH_ID, "rows": True, "row_status": "errored"}))
    assert [r["status"] for r in answer["rows"]] == ["errored"] and answer["rows_total"] == 1


async def test_get_campaign_of_an_unknown_id_names_the_closest(settings: Settings) -> None:
    result = await call(settings, "get_campaign", {"id": "camp_march_solr"})
    assert result.is_error and "No campaign with id 'camp_march_solr'" in text_of(result)
    assert MARCH_ID in text_of(result) and "list_campaigns" in text_of(result)


async def test_statistics_that_fail_leave_the_configuration(sandbox: SandboxServer, settings: Settings) -> None:
    add_fault(sandbox, method="GET", path=f"/campaigns/{MARCH_ID}/statistics", status=500, times=-1)
    answer = ok(await call(settings, "get_campaign", {"id": MARCH_ID}))
    assert answer["statistics"] is None and answer["campaign"]["status"] == "running"
    assert "Statistics could not be read" in answer["notes"][0]


# --- update_assistant's notice about campaigns -------------------------------------------------------------


def notices(answer: dict[str, Any]) -> list[str]:
    return [w for w in answer["warnings"] if "campaign" in w]


async def test_changing_the_retry_config_names_the_campaigns_that_keep_their_own(settings: Settings) -> None:
    result = await call(settings, "update_assistant", {"id": SALES_QUALIFIER_ID, "patch": NO_WEEKENDS})
    (notice,) = notices(ok(result))
    # Running and paused campaigns with their own config; not the one without (February), nor the cancelled one.
    assert "2 campaign(s) of this assistant keep their own call_retry_config" in notice
    assert MARCH_ID in notice and WINTER_ID in notice
    assert FEBRUARY_ID not in notice and OPEN_HOUSE_ID not in notice
    assert "PATCH /campaigns/{id}" in notice and "get_campaign" in notice
    assert "Warning: 2 campaign(s)" in text_of(result)


async def test_a_dry_run_says_which_campaigns_would_keep_their_own(sandbox: SandboxServer, settings: Settings) -> None:
    answer = ok(await call(settings, "update_assistant", {"id": SALES_QUALIFIER_ID, "patch": NO_WEEKENDS,
                                                          "dry_run": True}))  # fmt: skip
    (notice,) = notices(answer)
    assert answer["dry_run"] and "would keep their own call_retry_config" in notice


async def test_the_from_number_is_named_only_with_campaigns_holding_their_own(settings: Settings) -> None:
    answer = ok(await call(settings, "update_assistant", {"id": SALES_QUALIFIER_ID,
                                                          "patch": {"from_phone_number": "+14155550177"}}))  # fmt: skip
    (notice,) = notices(answer)
    assert "keep their own from_phone_number" in notice and "own from_phone_number" in notice


async def test_no_notice_without_campaigns_or_without_their_own_config(settings: Settings) -> None:
    # The receptionist runs no campaign; the reminder's campaign follows the assistant's config.
    for assistant in (RECEPTIONIST_ID, REMINDER_ID):
        answer = ok(await call(settings, "update_assistant", {"id": assistant, "patch": NO_FRIDAYS}))
        assert answer["changes"] and notices(answer) == [], assistant


async def test_a_change_elsewhere_reads_no_campaign(sandbox: SandboxServer, settings: Settings) -> None:
    sandbox.app.state.sandbox.requests.clear()
    answer = ok(await call(settings, "update_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"name": "X"}}))
    assert notices(answer) == []
    assert not [r for r in sandbox.app.state.sandbox.requests if r.path.startswith("/campaigns")]


async def test_a_failing_campaign_read_does_not_fail_the_write(sandbox: SandboxServer, settings: Settings) -> None:
    add_fault(sandbox, method="GET", path="/campaigns", status=503, times=-1)
    answer = ok(await call(settings, "update_assistant", {"id": SALES_QUALIFIER_ID, "patch": NO_WEEKENDS}))
    assert answer["changes"] and not answer["dry_run"]
    (notice,) = notices(answer)
    assert notice.startswith("Could not check whether this assistant's campaigns hold their own call_retry_config")
    assert sandbox.store.get(SALES_QUALIFIER_ID)["call_retry_config"]["allowed_days"][-1] == "friday"  # type: ignore[index]


async def test_an_answer_without_its_assistant_reads_the_assistant(sandbox: SandboxServer, settings: Settings) -> None:
    # The SDK makes a campaign's `assistant` optional: without it, the settings that apply are still shown.
    headers = {"Authorization": f"Bearer {sandbox.api_key}"}
    one = httpx.get(f"{sandbox.url}/campaigns/{FEBRUARY_ID}", headers=headers).json()
    listed = httpx.get(f"{sandbox.url}/campaigns", headers=headers).json()
    one["campaign"]["assistant"] = None
    for campaign in listed["campaigns"]:
        del campaign["assistant"]
    add_fault(sandbox, method="GET", path=f"/campaigns/{FEBRUARY_ID}", status=200, body=one)
    add_fault(sandbox, method="GET", path="/campaigns", status=200, body=listed)
    config = ok(await call(settings, "get_campaign", {"id": FEBRUARY_ID}))["campaign"]
    assert config["call_retry_config_from"] == "assistant" and config["call_retry_config"]["max_retry_attempts"] == 3
    assert config["assistant_name"] == "Solar lead qualifier (outbound)"
    rows = ok(await call(settings, "list_campaigns", {}))["campaigns"]
    assert {r["assistant_name"] for r in rows} == {"Solar lead qualifier (outbound)", "Appointment reminder"}


async def test_a_rows_call_id_opens_with_get_call(settings: Settings) -> None:
    async with mcp_client(settings) as client:
        page = ok(await client.call_tool("get_campaign", {"id": MARCH_ID, "rows": True, "row_limit": 3}))
        call_id = page["rows"][1]["call_id"]
        call = ok(await client.call_tool("get_call", {"id": call_id}))
    assert call["call"]["id"] == call_id and call["call"]["campaign"] == {"id": MARCH_ID, "name": "March solar leads"}
    assert call["transcript_total_turns"] > 0


async def test_a_row_status_that_does_not_exist_is_refused_with_the_allowed_ones(
    sandbox: SandboxServer, settings: Settings
) -> None:
    result = await call(settings, "get_campaign", {"id": MARCH_ID, "rows": True, "row_status": "failed"})
    assert result.is_error and "row_status" in text_of(result) and "errored" in text_of(result)
    assert sandbox.app.state.sandbox.requests == []
