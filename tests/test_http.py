"""Streamable HTTP: bearer token, DNS-rebinding protection, stateless mode, bounded bodies, the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest
from mcp import Client

from bench.load import connect
from revox_mcp.actors import Actor
from revox_mcp.config import API_KEY_ENV, BASE_URL_ENV, Settings
from revox_mcp.http_transport import MCP_PATH, TOKEN_ENV, BearerGuard, HttpLimits, HttpOptions, build_http_app
from revox_mcp.policy import Policy
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.seed import SALES_QUALIFIER_ID
from revox_mcp.serving import AppServer
from tests.conftest import fast_settings

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


def _open_session(url: str, token: str = TOKEN) -> str:
    opened = httpx.post(url, json=INIT, headers={**MCP_HEADERS, "Authorization": f"Bearer {token}"}, timeout=30)
    assert opened.status_code == 200, opened.text
    return opened.headers["mcp-session-id"]


def _ping(url: str, session: str, token: str = TOKEN) -> httpx.Response:
    headers = {**MCP_HEADERS, "Authorization": f"Bearer {token}", "mcp-session-id": session}
    return httpx.post(url, json={"jsonrpc": "2.0", "id": 9, "method": "ping"}, headers=headers, timeout=30)


def test_a_person_past_the_session_cap_loses_their_oldest_session(sandbox: SandboxServer) -> None:
    alice, bob = (
        Actor("alice", "alice-token-0123456789abcdef0123456789ab"),
        Actor("bob", "bob-token-0123456789abcdef0123456789abcd"),
    )
    server = AppServer()
    options = HttpOptions(token=TOKEN, port=server.port, actors=(alice, bob), limits=HttpLimits(sessions_per_person=2))
    server.app = build_http_app(fast_settings(sandbox), Policy(), options, server.port)
    with server:
        url = server.url + MCP_PATH
        bobs = _open_session(url, bob.token)
        first, second, third = (_open_session(url, alice.token) for _ in range(3))
        gone = _ping(url, first, alice.token)
        assert gone.status_code == 404 and "initialize a new one" in gone.json()["error"]["message"]
        assert [_ping(url, s, alice.token).status_code for s in (second, third)] == [200, 200]
        assert _ping(url, bobs, bob.token).status_code == 200, "another person's session is not theirs to lose"
        # The SDK has ended it too, not only forgotten it: the three kept are all it holds.
        guard = server.app
        assert isinstance(guard, BearerGuard)
        deadline = time.monotonic() + 10
        while guard.sdk_sessions() > 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert guard.sdk_sessions() == 3
        # The shared token is no person: only the overall cap applies to its sessions.
        shared = [_open_session(url) for _ in range(3)]
        assert [_ping(url, s).status_code for s in shared] == [200, 200, 200]


def test_the_overall_session_cap_closes_everyones_oldest(sandbox: SandboxServer) -> None:
    actors = (
        Actor("alice", "alice-token-0123456789abcdef0123456789ab"),
        Actor("bob", "bob-token-0123456789abcdef0123456789abcd"),
    )
    server = AppServer()
    limits = HttpLimits(sessions_per_person=2, max_sessions=3)
    options = HttpOptions(token=None, port=server.port, actors=actors, limits=limits)
    server.app = build_http_app(fast_settings(sandbox), Policy(), options, server.port)
    with server:
        url = server.url + MCP_PATH
        alice = [_open_session(url, actors[0].token) for _ in range(2)]
        bob = _open_session(url, actors[1].token)
        assert [_ping(url, s, actors[0].token).status_code for s in alice] == [200, 200]
        newest = _open_session(url, actors[1].token)  # four open: everyone's oldest (Alice's first) goes
        assert _ping(url, alice[0], actors[0].token).status_code == 404
        assert _ping(url, alice[1], actors[0].token).status_code == 200
        assert [_ping(url, s, actors[1].token).status_code for s in (bob, newest)] == [200, 200]
