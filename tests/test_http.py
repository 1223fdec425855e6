"""Streamable HTTP: bearer token, DNS-rebinding protection, stateless mode, bounded bodies, the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest
from mcp import Client

from bench.load import connect
from revox_mcp.config import API_KEY_ENV, BASE_URL_ENV, Settings
from revox_mcp.http_transport import MCP_PATH, TOKEN_ENV, HttpOptions, build_http_app
from revox_mcp.policy import Policy
from revox_mcp.sandbox.seed import SALES_QUALIFIER_ID
from revox_mcp.serving import AppServer

pytestmark = pytest.mark.anyio
TOKEN = "test-token-0123456789"
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def start(settings: Settings, **options: Any) -> AppServer:
    server = AppServer()
    server.app = build_http_app(settings, Policy(), HttpOptions(token=TOKEN, port=server.port, **options), server.port)
    return server.start()


@pytest.fixture
def http_server(settings: Settings) -> Iterator[AppServer]:
    server = start(settings)
    yield server
    server.stop()


def http_client(url: str) -> AbstractAsyncContextManager[Client]:
    return connect(url, TOKEN)


async def test_a_client_with_the_token_lists_and_updates(http_server: AppServer) -> None:
    async with http_client(http_server.url + MCP_PATH) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert "update_assistant" in names
        patch = {"voice": {"speed": 1.2}}
        result = await client.call_tool("update_assistant", {"id": SALES_QUALIFIER_ID, "patch": patch})
    assert not result.is_error
    assert [c["after"] for c in result.structured_content["changes"]] == [1.2]  # type: ignore[index]


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", f"Basic {TOKEN}", "Bearer"])
def test_requests_without_the_right_token_are_401(http_server: AppServer, authorization: str | None) -> None:
    headers = dict(MCP_HEADERS)
    if authorization:
        headers["Authorization"] = authorization
    response = httpx.post(http_server.url + MCP_PATH, json=INIT, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert TOKEN_ENV in response.json()["message"]


def test_foreign_host_and_origin_are_refused(http_server: AppServer) -> None:
    headers = {**MCP_HEADERS, "Authorization": f"Bearer {TOKEN}"}
    rebinding = httpx.post(http_server.url + MCP_PATH, json=INIT, headers={**headers, "Host": "evil.example"})
    assert rebinding.status_code == 421
    cross_site = httpx.post(
        http_server.url + MCP_PATH, json=INIT, headers={**headers, "Origin": "https://evil.example"}
    )
    assert cross_site.status_code == 403
    same_machine = httpx.post(
        http_server.url + MCP_PATH, json=INIT, headers={**headers, "Origin": "http://localhost:3000"}
    )
    assert same_machine.status_code == 200


def test_an_oversized_body_gets_a_clear_error(settings: Settings) -> None:
    server = start(settings, max_body_bytes=10_000)
    try:
        huge = {**INIT, "params": {**INIT["params"], "padding": "x" * 20_000}}  # type: ignore[dict-item]
        response = httpx.post(
            server.url + MCP_PATH, json=huge, headers={**MCP_HEADERS, "Authorization": f"Bearer {TOKEN}"}
        )
    finally:
        server.stop()
    assert response.status_code == 413
    message = response.json()["error"]["message"]
    assert "at most 10,000" in message and "replace_text" in message


async def test_stateless_mode_serves_clients_without_sessions(settings: Settings) -> None:
    server = start(settings, stateless=True)
    try:
        for _ in range(2):
            async with http_client(server.url + MCP_PATH) as client:
                read = await client.call_tool("get_assistant", {"id": SALES_QUALIFIER_ID})
                assert not read.is_error
        headers = {**MCP_HEADERS, "Authorization": f"Bearer {TOKEN}"}
        legacy = httpx.post(server.url + MCP_PATH, json=INIT, headers=headers)
        assert legacy.status_code == 200 and "mcp-session-id" not in legacy.headers
    finally:
        server.stop()


def test_serve_http_binds_loopback_and_prints_a_generated_token(tmp_path: Any) -> None:
    env = {k: v for k, v in os.environ.items() if k not in (API_KEY_ENV, BASE_URL_ENV, TOKEN_ENV)}
    command = [sys.executable, "-m", "revox_mcp", "serve", "--http", "--port", "0", "--sandbox"]
    command += ["--sandbox-db", str(tmp_path / "s.db")]
    with subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True) as process:
        try:
            assert process.stderr is not None
            lines = [process.stderr.readline() for _ in range(3)]
            url = lines[1].rsplit(" ", 1)[1].strip()
            token = lines[2].rsplit(" ", 1)[1].strip()
            assert url.startswith("http://127.0.0.1:") and url.endswith(MCP_PATH)
            assert len(token) >= 32
            denied = httpx.post(url, json=INIT, headers=MCP_HEADERS)
            allowed = httpx.post(url, json=INIT, headers={**MCP_HEADERS, "Authorization": f"Bearer {token}"})
            assert (denied.status_code, allowed.status_code) == (401, 200)
        finally:
            process.terminate()
            process.wait(timeout=10)
