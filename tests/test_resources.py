"""resources/list and templates as real clients see them (in memory, over stdio, over HTTP): every resource
and template listed can be read."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

from bench.load import connect
from revox_mcp.config import Settings
from revox_mcp.http_transport import MCP_PATH, HttpOptions, build_http_app
from revox_mcp.policy import Policy
from revox_mcp.sandbox.seed import SALES_QUALIFIER_ID
from revox_mcp.serving import AppServer
from tests.conftest import MODES, mcp_client, offered_tools

pytestmark = pytest.mark.anyio
TOKEN = "resources-token-0123456789"


async def read_everything_listed(client: Client) -> dict[str, dict[str, object]]:
    """List resources and templates, read each (templates filled with a real id), return the JSON by URI."""
    resources = (await client.list_resources()).resources
    templates = (await client.list_resource_templates()).resource_templates
    assert {r.uri for r in resources} == {f"revox://schemas/{name}" for name in offered_tools()}
    assert {t.uri_template for t in templates} == {
        "revox://assistants/{id}",
        "revox://schemas/{tool}",
        "revox://schemas/{tool}/{field}",
    }
    uris = [str(r.uri) for r in resources]
    fill = {"{id}": SALES_QUALIFIER_ID, "{tool}": "get_assistant", "{field}": "fields"}
    for template in templates:
        uri = template.uri_template
        for placeholder, value in fill.items():
            uri = uri.replace(placeholder, value)
        assert "{" not in uri, f"no test value for {template.uri_template}"
        uris.append(uri)
    read = {}
    for uri in uris:
        contents = (await client.read_resource(uri)).contents
        assert len(contents) == 1 and contents[0].mime_type == "application/json"
        read[uri] = json.loads(contents[0].text)  # type: ignore[union-attr]
    return read


def check(read: dict[str, dict[str, object]]) -> None:
    assert read[f"revox://assistants/{SALES_QUALIFIER_ID}"]["id"] == SALES_QUALIFIER_ID
    for name in offered_tools():
        assert set(read[f"revox://schemas/{name}"]) == {"input", "detailed_input", "output"}


@pytest.mark.parametrize("mode", MODES)
async def test_every_listed_resource_is_readable_in_memory(settings: Settings, mode: str) -> None:
    async with mcp_client(settings, mode) as client:
        check(await read_everything_listed(client))


async def test_every_listed_resource_is_readable_over_stdio(tmp_path: Path) -> None:
    db = tmp_path / "stdio.db"
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "revox_mcp", "serve", "--sandbox", "--sandbox-db", str(db)]
    )
    async with Client(params) as client:
        check(await read_everything_listed(client))


async def test_every_listed_resource_is_readable_over_http(settings: Settings) -> None:
    server = AppServer()
    server.app = build_http_app(settings, Policy(), HttpOptions(token=TOKEN, port=server.port), server.port)
    with server:
        async with connect(server.url + MCP_PATH, TOKEN) as client:
            check(await read_everything_listed(client))
