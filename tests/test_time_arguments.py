"""Every time argument of every tool: a value no use of it could work with is the agent's input error (the
path, the value, the range), found before any other work; never a failure inside revox-mcp (issue 21.6)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.seed import REMINDER_ID
from tests.conftest import fast_settings, mcp_client, text_of

AT = {"assistant_id": REMINDER_ID, "at": "2026-11-10T12:00:00Z"}


@pytest.mark.parametrize(
    ("tool", "arguments", "path", "value"),
    [
        ("change_impact", {"assistant_id": REMINDER_ID, "at": "0001-01-01T00:00:00Z"}, "at", "0001-01-01T00:00:00Z"),
        ("change_impact", {"assistant_id": REMINDER_ID, "at": "0001-01-01T00:00:00+01:00"}, "at", None),
        ("change_impact", {**AT, "until": "9999-12-31T23:59:59-01:00"}, "until", None),
        ("change_impact", {**AT, "until": "next tuesday"}, "until", None),
        # The time is read before the journal is: a bad until is named even for a change that does not exist.
        ("change_impact", {"change_id": "chg_nope", "until": "0001-01-01T00:00:00Z"}, "until", None),
        ("search_calls", {"created_after": "0001-01-01T00:00:00+14:00"}, "created_after", None),
        ("search_calls", {"created_before": "9999-12-31T23:59:59-01:00"}, "created_before", None),
        ("search_calls", {"created_before": "1969-12-31T23:59:59Z"}, "created_before", None),
    ],
)
@pytest.mark.anyio
async def test_a_time_out_of_range_is_an_input_error_before_any_work(
    sandbox: SandboxServer, tmp_path: Path, tool: str, arguments: dict[str, Any], path: str, value: str | None
) -> None:
    settings = fast_settings(sandbox, journal_path=tmp_path / "journal.db")
    async with mcp_client(settings) as client:
        result = await client.call_tool(tool, arguments)
    text = text_of(result)
    shown = value or arguments[path]
    assert result.is_error and "failed inside" not in text, text
    assert f"- {path}: got '{shown}'; allowed: an ISO-8601 time from 1970-01-01T00:00:00Z up to 9998-12-31" in text
    assert sandbox.app.state.sandbox.requests == [], "nothing is read before the arguments are"


@pytest.mark.parametrize("until", ["1970-01-01T00:00:00Z", "9998-12-31T23:59:59+00:00"])
@pytest.mark.anyio
async def test_the_ends_of_the_range_are_accepted(sandbox: SandboxServer, until: str) -> None:
    async with mcp_client(fast_settings(sandbox)) as client:
        edge = await client.call_tool("change_impact", {"assistant_id": REMINDER_ID, "at": "1970-01-01T00:00:00Z"})
        later = await client.call_tool("change_impact", {**AT, "until": until})
        calls = await client.call_tool(
            "search_calls", {"created_after": "1970-01-01T00:00:00", "created_before": until}
        )
    for result in (edge, later, calls):
        assert not result.is_error, text_of(result)


@pytest.mark.anyio
async def test_a_version_guard_without_a_zone_is_compared_not_a_failure_inside(sandbox: SandboxServer) -> None:
    """expected_updated_at without a zone against the API's UTC stamp raised TypeError (naive against aware)."""
    async with mcp_client(fast_settings(sandbox)) as client:
        result = await client.call_tool(
            "update_assistant",
            {"id": REMINDER_ID, "patch": {"name": "x"}, "dry_run": True, "expected_updated_at": "2020-01-01T00:00:00"},
        )
    assert result.is_error and "failed inside" not in text_of(result), text_of(result)
    assert "The assistant changed since you read it" in text_of(result)
