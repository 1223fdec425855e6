"""What an agent walkthrough found, through a real MCP client: duplicate FAQ questions and an empty prompt are
warned about, a time that is not a time is an input error, and a FAQ addition is undone even after later
changes to the list."""

from __future__ import annotations

from pathlib import Path

import pytest

from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.seed import RECEPTIONIST_ID
from tests.conftest import fast_settings, mcp_client, stored, text_of

pytestmark = pytest.mark.anyio


def upsert(question: str, answer: str = "Yes.") -> dict[str, object]:
    return {"op": "upsert", "list": "faq_items", "item": {"question": question, "answer": answer}}


async def test_a_question_that_repeats_another_is_warned_about(sandbox: SandboxServer) -> None:
    existing = stored(sandbox, RECEPTIONIST_ID)["faq_items"][0]["question"]
    near = existing.lower().rstrip("?")
    async with mcp_client(fast_settings(sandbox)) as client:
        result = await client.call_tool(
            "update_assistant", {"id": RECEPTIONIST_ID, "edits": [upsert(near)], "dry_run": True}
        )
        other = await client.call_tool(
            "update_assistant", {"id": RECEPTIONIST_ID, "edits": [upsert("Something new?")], "dry_run": True}
        )
    warnings = (result.structured_content or {})["warnings"]
    assert any("repeats another FAQ item's question" in w and existing in w for w in warnings), warnings
    assert not any("repeats" in w for w in (other.structured_content or {})["warnings"])


async def test_an_empty_prompt_is_warned_about(sandbox: SandboxServer) -> None:
    async with mcp_client(fast_settings(sandbox)) as client:
        result = await client.call_tool(
            "update_assistant", {"id": RECEPTIONIST_ID, "patch": {"prompt": ""}, "dry_run": True}
        )
    assert any(w.startswith("prompt is empty") for w in (result.structured_content or {})["warnings"])


async def test_an_expected_updated_at_that_is_not_a_time_is_an_input_error(sandbox: SandboxServer) -> None:
    async with mcp_client(fast_settings(sandbox)) as client:
        result = await client.call_tool(
            "update_assistant",
            {"id": RECEPTIONIST_ID, "patch": {"name": "N"}, "expected_updated_at": "yesterday"},
        )
    text = text_of(result)
    assert result.is_error and "expected_updated_at" in text and "ISO-8601" in text
    assert "changed since you read it" not in text


async def test_a_faq_addition_is_undone_with_force_after_the_list_changed_again(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    settings = fast_settings(sandbox, journal_path=tmp_path / "journal.db")
    async with mcp_client(settings) as client:
        added = await client.call_tool("update_assistant", {"id": RECEPTIONIST_ID, "edits": [upsert("Parking?")]})
        later = await client.call_tool("update_assistant", {"id": RECEPTIONIST_ID, "edits": [upsert("Wifi?")]})
        assert not added.is_error and not later.is_error
        change_id = (added.structured_content or {})["change_id"]
        refused = await client.call_tool("revert_change", {"change_id": change_id})
        assert refused.is_error and "force: true" in text_of(refused)
        forced = await client.call_tool("revert_change", {"change_id": change_id, "force": True})
        assert not forced.is_error, text_of(forced)
    questions = [i["question"] for i in stored(sandbox, RECEPTIONIST_ID)["faq_items"]]
    assert "Parking?" not in questions and "Wifi?" in questions


async def test_a_page_smaller_than_its_limit_says_why(sandbox: SandboxServer) -> None:
    items = [{"question": f"Question {n}?", "answer": "A long enough answer. " * 10} for n in range(300)]
    sandbox.store.update(RECEPTIONIST_ID, {"faq_items": items})
    async with mcp_client(fast_settings(sandbox)) as client:
        result = await client.call_tool("get_assistant", {"id": RECEPTIONIST_ID, "fields": ["faq_items"], "limit": 200})
    (page,) = (result.structured_content or {})["pages"]
    assert page["shown"] < 200 and "answer ceiling" in page["limited"] and page["next_offset"] == page["shown"]
