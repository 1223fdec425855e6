"""Two secrets that mask alike told apart by keyed digests, never kept in clear (issue 21, the fault hunt's
short-secret gaps): only places where a secret changed but its mask did not are recorded, keyed by the API
key, item by item in keyed lists."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.seed import SALES_QUALIFIER_ID
from revox_mcp.secret_digests import digest, hidden_changes, not_held
from tests.conftest import fast_settings, mcp_client, text_of

KEY = "sk-revox-test-key-0000"


def tools(*tokens: str) -> list[dict[str, object]]:
    return [
        {"name": f"t{i}", "url": "https://crm.example/x", "headers": [{"key": "Authorization", "value": t}]}
        for i, t in enumerate(tokens)
    ]


def test_only_a_change_hidden_by_the_mask_is_recorded() -> None:
    assert hidden_changes(KEY, {"custom_tools": tools("tok-A")}, {"custom_tools": tools("tok-A")}) is None
    # Long secrets with other ends mask apart: the masked journal tells them apart on its own.
    assert (
        hidden_changes(KEY, {"custom_tools": tools("tok-0123456789-A")}, {"custom_tools": tools("tok-0123456789-B")})
        is None
    )
    found = hidden_changes(KEY, {"custom_tools": tools("tok-A", "x")}, {"custom_tools": tools("tok-A", "tok-B")})
    assert found is not None
    (place,) = found["body"]
    assert found["body"][place] == digest(KEY, "tok-B") and found["before"][place] == digest(KEY, "x")
    assert "tok-B" not in json.dumps(found)


def test_keyed_lists_are_compared_by_item_and_digests_check_what_holds() -> None:
    before = {"custom_tools": tools("a1", "b1")}
    after = {"custom_tools": list(reversed(tools("a1", "b2")))}  # reordered, and t1 rotated
    found = hidden_changes(KEY, before, after)
    assert found is not None
    assert not_held(KEY, after, found["body"]) == [] and not_held(KEY, before, found["before"]) == []
    assert not_held(KEY, before | {"custom_tools": tools("a1", "b3")}, found["before"]) == [
        ("custom_tools", 1, "headers", 0, "value")
    ]
    assert not_held("another-key", after, found["body"]) != [], "keyed: another key proves nothing"


@pytest.mark.anyio
async def test_the_journal_keeps_digests_and_no_secret_and_shows_neither(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.store.update(SALES_QUALIFIER_ID, {"custom_tools": [{**tools("tok-OLD-1")[0], "description": "d",
                         "method": "GET", "query_params": [], "body_template": None, "input_schema": []}]})  # fmt: skip
    settings = fast_settings(sandbox, journal_path=tmp_path / "journal.db")
    async with mcp_client(settings) as client:
        read = await client.call_tool("get_assistant", {"id": SALES_QUALIFIER_ID, "fields": ["custom_tools"]})
        tool = read.structured_content["assistant"]["custom_tools"][0]  # type: ignore[index]
        new = {**tool, "headers": [{"key": "Authorization", "value": "tok-NEW-2"}]}
        result = await client.call_tool(
            "update_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"custom_tools": [new]}}
        )
        listed = await client.call_tool("list_changes", {"change_id": result.structured_content["change_id"]})  # type: ignore[index]
    assert not result.is_error, text_of(result)
    raw = b"".join(f.read_bytes() for f in tmp_path.glob("journal.db*") if f.is_file())
    assert b"tok-NEW-2" not in raw and b"tok-OLD-1" not in raw
    assert digest(settings.digest_key, "tok-NEW-2").encode() in raw
    assert digest(settings.digest_key, "tok-NEW-2") not in text_of(listed) + json.dumps(listed.structured_content)
