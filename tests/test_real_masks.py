"""Only real masks are refused or restored (issue 21 item 5): a value is a masked secret sent back only where
it is the mask of the secret stored at that place; any other text holding "…" is text, written as sent. The
same exactness for get_assistant's cut mark: only the whole mark as get_assistant writes it is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from revox_mcp.config import Settings
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.seed import RECEPTIONIST_ID, SALES_QUALIFIER_ID
from revox_mcp.views import CUT_MARK
from tests.conftest import fast_settings, mcp_client, stored, text_of

pytestmark = pytest.mark.anyio
TOKEN = "tok-live-0123456789abcdef"


def tool(headers: list[dict[str, str]], url: str = "https://crm.example/leads") -> dict[str, Any]:
    return {"name": "crm", "description": "Look up a lead.", "method": "GET", "url": url, "headers": headers,
            "query_params": [], "body_template": None, "input_schema": []}  # fmt: skip


async def update(settings: Settings, assistant_id: str, patch: dict[str, Any]) -> Any:
    async with mcp_client(settings) as client:
        return await client.call_tool("update_assistant", {"id": assistant_id, "patch": patch})


@pytest.mark.parametrize(
    "patch",
    [
        {"prompt": "If they forgot it, send https://portal.example.com/reset?token=… and wait."},
        {"custom_tools": [tool([{"key": "X-Status", "value": "…ok"}])]},
        {"end_of_call_sentence": "Thanks… talk soon."},
        {"first_sentence": "Our notes say …[cut by revox-mcp: is a phrase, not a mark."},
    ],
    ids=["prompt with an ellipsis for a token", "header value …ok", "ellipsis in a sentence", "cut mark quoted"],
)
async def test_text_holding_an_ellipsis_is_written_as_sent(
    sandbox: SandboxServer, settings: Settings, patch: dict[str, Any]
) -> None:
    result = await update(settings, SALES_QUALIFIER_ID, patch)
    assert not result.is_error, text_of(result)
    assert "shape of a masked secret" not in text_of(result)
    after = stored(sandbox, SALES_QUALIFIER_ID)
    for field, value in patch.items():
        assert after[field] == value


async def test_a_prompt_edited_around_its_masked_link_keeps_the_token(
    sandbox: SandboxServer, settings: Settings
) -> None:
    prompt = f"Be kind.\nThe booking page is https://book.example/slots?access_token={TOKEN} for callers."
    sandbox.store.update(RECEPTIONIST_ID, {"prompt": prompt})
    async with mcp_client(settings) as client:
        read = await client.call_tool("get_assistant", {"id": RECEPTIONIST_ID, "fields": ["prompt"]})
        shown = read.structured_content["assistant"]["prompt"]  # type: ignore[index]
        assert TOKEN not in shown and "access_token=…cdef" in shown
        edited = shown.replace("Be kind.", "Be kind and brief.")
        result = await client.call_tool("update_assistant", {"id": RECEPTIONIST_ID, "patch": {"prompt": edited}})
        moved = shown.replace("https://book.example/", "https://evil.example/")
        warned = await client.call_tool(
            "update_assistant", {"id": RECEPTIONIST_ID, "patch": {"prompt": moved}, "dry_run": True}
        )
    assert not result.is_error, text_of(result)
    assert stored(sandbox, RECEPTIONIST_ID)["prompt"] == prompt.replace("Be kind.", "Be kind and brief.")
    # The same mask at another host is not the stored token's place: never restored there.
    assert not warned.is_error and TOKEN not in text_of(warned)
    assert "patch.prompt holds" in text_of(warned) and "shape of a masked secret" in text_of(warned)


async def test_the_mask_of_the_stored_header_keeps_it_and_a_new_value_replaces_it(
    sandbox: SandboxServer, settings: Settings
) -> None:
    sandbox.store.update(SALES_QUALIFIER_ID, {"custom_tools": [tool([{"key": "X-Webhook-Pass", "value": TOKEN}])]})
    async with mcp_client(settings) as client:
        read = await client.call_tool("get_assistant", {"id": SALES_QUALIFIER_ID, "fields": ["custom_tools"]})
        shown = read.structured_content["assistant"]["custom_tools"]  # type: ignore[index]
        assert shown[0]["headers"][0]["value"] == "…cdef"
        kept = await client.call_tool(
            "update_assistant",
            {"id": SALES_QUALIFIER_ID, "patch": {"custom_tools": [{**shown[0], "description": "Find a lead."}]}},
        )
        assert stored(sandbox, SALES_QUALIFIER_ID)["custom_tools"][0]["headers"][0]["value"] == TOKEN
        new = [{**shown[0], "headers": [{"key": "X-Webhook-Pass", "value": "a-new-pass-4444"}]}]
        replaced = await client.call_tool(
            "update_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"custom_tools": new}}
        )
    assert not kept.is_error and "shape of a masked secret" not in text_of(kept), text_of(kept)
    assert not replaced.is_error and "a-new-pass-4444" not in text_of(replaced)
    assert stored(sandbox, SALES_QUALIFIER_ID)["custom_tools"][0]["headers"][0]["value"] == "a-new-pass-4444"


async def test_a_revert_never_writes_a_journal_mask(sandbox: SandboxServer, tmp_path: Path) -> None:
    sandbox.store.update(SALES_QUALIFIER_ID, {"custom_tools": [tool([{"key": "Authorization", "value": TOKEN}])]})
    settings = fast_settings(sandbox, journal_path=tmp_path / "journal.db")
    rotated = "tok-live-rotated-99998888"
    async with mcp_client(settings) as client:
        args = {
            "id": SALES_QUALIFIER_ID,
            "patch": {"custom_tools": [tool([{"key": "Authorization", "value": rotated}])]},
        }
        change = await client.call_tool("update_assistant", args)
        revert = await client.call_tool("revert_change", {"change_id": change.structured_content["change_id"]})  # type: ignore[index]
    assert revert.is_error and "revert.custom_tools[0].headers[0].value" in text_of(revert), text_of(revert)
    assert stored(sandbox, SALES_QUALIFIER_ID)["custom_tools"][0]["headers"][0]["value"] == rotated


async def test_the_whole_cut_mark_is_refused(sandbox: SandboxServer, settings: Settings) -> None:
    sandbox.store.update(SALES_QUALIFIER_ID, {"prompt": "Hello there. " * 400})
    async with mcp_client(settings) as client:
        read = await client.call_tool("get_assistant", {"id": SALES_QUALIFIER_ID})
        cut = read.structured_content["assistant"]["prompt"]  # type: ignore[index]
        assert CUT_MARK in cut
        result = await client.call_tool("update_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"prompt": cut}})
    assert result.is_error and "patch.prompt" in text_of(result) and "shortened" in text_of(result)
    assert stored(sandbox, SALES_QUALIFIER_ID)["prompt"] == "Hello there. " * 400
