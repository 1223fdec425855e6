"""A failed write's reason, as an older release journalled it (stored secrets in clear), is masked on the
way out of list_changes (issue 21, the output side of item 1): on both journal backends."""

from __future__ import annotations

import secrets
import sqlite3
from typing import Any

import pytest

from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.seed import SALES_QUALIFIER_ID
from tests.conftest import fast_settings, mcp_client, text_of


def plant_reason(journal_on: dict[str, Any], change_id: str, reason: str) -> None:
    """Rewrite one row as a release before this fix left it: failed, its reason quoting stored secrets."""
    statement = "UPDATE changes SET status = 'failed', status_reason = {0} WHERE change_id = {0}"
    if "journal_url" in journal_on:
        import psycopg

        with psycopg.connect(journal_on["journal_url"], autocommit=True) as conn:
            assert conn.execute(statement.format("%s"), (reason, change_id)).rowcount == 1
        return
    with sqlite3.connect(journal_on["journal_path"]) as db:
        assert db.execute(statement.format("?"), (reason, change_id)).rowcount == 1
    db.close()


@pytest.mark.anyio
async def test_a_stored_secret_in_an_old_rows_reason_is_masked_in_list_changes(
    sandbox: SandboxServer, journal_on: dict[str, Any]
) -> None:
    llm_key = f"sk-live-{secrets.token_urlsafe(24)}"
    bearer = secrets.token_urlsafe(24)
    query_token = secrets.token_urlsafe(24)
    llm = {"type": "custom", "api_url": "https://llm.acme.example/v1", "api_key": llm_key, "model_name": "m-70b"}
    header = {"key": "Authorization", "value": f"Bearer {bearer}"}
    tool = {"name": "book", "description": "Book.", "method": "POST", "url": "https://hooks.acme.example/book",
            "headers": [header], "query_params": [], "body_template": None, "input_schema": []}  # fmt: skip
    sandbox.store.update(SALES_QUALIFIER_ID, {"llm_model": llm, "custom_tools": [tool]})
    reason = (
        f"The Revox API rejected the request (400): llm_model.api_key {llm_key} and header Authorization: "
        f"Bearer {bearer} refused; see https://api.example/doc?token={query_token}"
    )
    settings = fast_settings(sandbox, **journal_on)
    async with mcp_client(settings) as client:
        written = await client.call_tool(
            "update_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"voice": {"speed": 1.1}}}
        )
        change_id = written.structured_content["change_id"]
        plant_reason(journal_on, change_id, reason)
        filtered = await client.call_tool("list_changes", {"assistant_id": SALES_QUALIFIER_ID})
        one = await client.call_tool("list_changes", {"change_id": change_id})
        unfiltered = await client.call_tool("list_changes", {})
    for result in (filtered, one):
        (row,) = result.structured_content["changes"]
        assert row["status"] == "failed" and row["status_reason"].startswith("The Revox API rejected the request")
        everything = text_of(result) + str(result.structured_content)
        for planted in (llm_key, bearer, query_token):
            assert planted not in everything
        assert f"…{llm_key[-4:]}" in row["status_reason"], "masked, so keys can still be told apart"
    # An unfiltered list reads no assistant: the shapes in the text are masked, a bare stored key is not known.
    assert query_token not in text_of(unfiltered) + str(unfiltered.structured_content)
