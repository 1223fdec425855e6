"""completion/complete: assistant ids for tune_assistant and revox://assistants/{id}, tool names for
revox://schemas/{tool}, from a short-lived cache, capped at 100 values."""

from __future__ import annotations

import sys
from pathlib import Path

import mcp_types as types
import pytest
from mcp import Client, StdioServerParameters

from revox_mcp.client import RevoxClient
from revox_mcp.completions import AssistantDirectory
from revox_mcp.config import Settings
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.seed import RECEPTIONIST_ID, REMINDER_ID, SALES_QUALIFIER_ID
from tests.conftest import MODES, mcp_client, requests_to

pytestmark = pytest.mark.anyio
TUNE = types.PromptReference(name="tune_assistant")
ASSISTANT = types.ResourceTemplateReference(uri="revox://assistants/{id}")
SCHEMAS = types.ResourceTemplateReference(uri="revox://schemas/{tool}")


def lists_of_assistants(sandbox: SandboxServer) -> int:
    return sum(1 for r in requests_to(sandbox, "GET") if r.path == "/assistants")


@pytest.mark.parametrize("mode", MODES)
async def test_assistant_ids_complete_on_id_or_name_from_one_fetch(
    sandbox: SandboxServer, settings: Settings, mode: str
) -> None:
    async with mcp_client(settings, mode) as client:
        assert client.server_capabilities.completions is not None
        by_id = (await client.complete(TUNE, {"name": "assistant_id", "value": "asst_SALES"})).completion
        by_name = (await client.complete(ASSISTANT, {"name": "id", "value": "solar lead"})).completion
        everyone = (await client.complete(TUNE, {"name": "assistant_id", "value": ""})).completion
        nobody = (await client.complete(ASSISTANT, {"name": "id", "value": "zzz"})).completion
    assert by_id.values == by_name.values == [SALES_QUALIFIER_ID]
    assert sorted(everyone.values) == sorted([SALES_QUALIFIER_ID, RECEPTIONIST_ID, REMINDER_ID])
    assert (everyone.total, everyone.has_more) == (3, False)
    assert nobody.values == [] and nobody.total == 0
    assert lists_of_assistants(sandbox) == 1, "keystrokes within the cache's lifetime cost no API request"


async def test_tool_names_complete_the_schema_template(settings: Settings) -> None:
    async with mcp_client(settings) as client:
        listed = (await client.complete(SCHEMAS, {"name": "tool", "value": "LIST_"})).completion
        inner = (await client.complete(SCHEMAS, {"name": "tool", "value": "call"})).completion
    assert listed.values == ["list_assistants", "list_changes", "list_voices", "list_phone_numbers", "list_campaigns"]
    assert inner.values == ["search_calls", "get_call", "cancel_call", "pause_call", "resume_call"]


async def test_unknown_references_and_free_text_arguments_get_no_values(settings: Settings) -> None:
    async with mcp_client(settings) as client:
        for ref, argument in [
            (types.PromptReference(name="test_prompt_with_arguments"), "arg1"),
            (TUNE, "goal"),
            (types.ResourceTemplateReference(uri="revox://calls/{id}"), "id"),
        ]:
            result = (await client.complete(ref, {"name": argument, "value": "a"})).completion
            assert result.values == [] and result.has_more is False


async def test_at_most_100_values_with_the_total_and_has_more(sandbox: SandboxServer, settings: Settings) -> None:
    for n in range(120):
        sandbox.store.create({"name": f"Bulk assistant {n}"})
    async with mcp_client(settings) as client:
        result = (await client.complete(ASSISTANT, {"name": "id", "value": ""})).completion
        bulk = (await client.complete(ASSISTANT, {"name": "id", "value": "bulk assistant 11"})).completion
    assert len(result.values) == 100 and result.total == 123 and result.has_more is True
    assert len(bulk.values) == 11 and bulk.has_more is False  # 11 and 110-119


async def test_the_assistant_list_is_fetched_again_once_it_is_stale(sandbox: SandboxServer, settings: Settings) -> None:
    now = [0.0]
    async with RevoxClient(settings) as client:
        directory = AssistantDirectory(client, ttl_s=30, clock=lambda: now[0])
        await directory.entries()
        now[0] = 29.0
        await directory.entries()
        assert lists_of_assistants(sandbox) == 1
        sandbox.store.create({"name": "Fresh one"})
        now[0] = 30.0
        names = [name for _, name in await directory.entries()]
    assert lists_of_assistants(sandbox) == 2 and "Fresh one" in names


async def test_completion_over_stdio(tmp_path: Path) -> None:
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "revox_mcp", "serve", "--sandbox", "--sandbox-db", str(tmp_path / "s.db")]
    )
    async with Client(params) as client:
        result = (await client.complete(TUNE, {"name": "assistant_id", "value": "recep"})).completion
    assert result.values == [RECEPTIONIST_ID]
