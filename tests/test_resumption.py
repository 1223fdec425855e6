"""Resumable Streamable HTTP (2025-11-25): a priming event with `retry` opens every POST stream, a client whose
stream dropped gets the rest with Last-Event-ID (on one replica), and `--stateless` says why it cannot.

Real HTTP on loopback: a raw HTTP client reads the SSE stream, drops it mid-call and comes back, as a client
whose connection broke would."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from starlette.requests import Request

from revox_mcp.config import Settings
from revox_mcp.http_transport import MCP_PATH, BearerGuard
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.seed import RECEPTIONIST_ID, SALES_QUALIFIER_ID
from revox_mcp.serving import AppServer
from tests.conftest import add_fault
from tests.test_http import INIT, MCP_HEADERS, TOKEN, start

pytestmark = pytest.mark.anyio

VERSION = "2025-11-25"
HEADERS = {**MCP_HEADERS, "Authorization": f"Bearer {TOKEN}", "mcp-protocol-version": VERSION}
# Every read below has this long at most: a server that never answers fails the test instead of hanging it.
TIMEOUT = httpx.Timeout(20.0)


@pytest.fixture
def server(settings: Settings) -> Iterator[AppServer]:
    running = start(settings)
    yield running
    running.stop()


def sse_events(response: httpx.Response) -> Iterator[dict[str, str]]:
    """The events of an SSE response, each as its fields (id, retry, data), as they arrive."""
    event: dict[str, str] = {}
    for line in response.iter_lines():
        if not line:
            if event:
                yield event
            event = {}
            continue
        name, _, value = line.partition(":")
        event[name] = event.get(name, "") + value.removeprefix(" ")


def open_session(http: httpx.Client, url: str) -> dict[str, str]:
    """Initialize a 2025-11-25 session; the headers its later requests carry."""
    opened = http.post(url, json=INIT, headers=HEADERS)
    assert opened.status_code == 200, opened.text
    headers = {**HEADERS, "mcp-session-id": opened.headers["mcp-session-id"]}
    initialized = http.post(url, json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=headers)
    assert initialized.status_code == 202
    return headers


def call(request_id: int, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "tools/call",
        "params": {"name": tool, "arguments": arguments},
    }


def answer_of(events: Iterator[dict[str, str]], request_id: int) -> tuple[str, dict[str, Any]]:
    """The id and message of the event that answers `request_id` (skipping notifications and priming)."""
    for event in events:
        message = json.loads(event["data"]) if event.get("data") else {}
        if message.get("id") == request_id:
            return event.get("id", ""), message
    raise AssertionError(f"the stream ended without an answer to request {request_id}")


def guard_of(server: AppServer) -> BearerGuard:
    assert isinstance(server.app, BearerGuard)
    return server.app


def test_a_dropped_stream_is_resumed_with_last_event_id(server: AppServer, sandbox: SandboxServer) -> None:
    url = server.url + MCP_PATH
    with httpx.Client(timeout=TIMEOUT) as http:
        headers = open_session(http, url)
        # The read behind the call is slow, so the stream drops before its answer is sent (had the answer come
        # first, the client below would still have missed it: it reads only the priming event).
        add_fault(sandbox, method="GET", path=f"/assistants/{SALES_QUALIFIER_ID}", apply=True, delay_s=0.5)
        with http.stream("POST", url, json=call(2, "get_assistant", {"id": SALES_QUALIFIER_ID}), headers=headers) as r:
            assert r.headers["content-type"].startswith("text/event-stream")
            priming = next(sse_events(r))
        # The priming event: an id to resume from, no data, and how long to wait before reconnecting.
        assert priming["id"] and priming.get("data", "") == "" and priming["retry"] == "1000"

        resume = {**headers, "Last-Event-ID": priming["id"]}
        with http.stream("GET", url, headers={**resume, "Accept": "text/event-stream"}) as resumed:
            assert resumed.status_code == 200
            event_id, message = answer_of(sse_events(resumed), 2)
    assert int(event_id) > int(priming["id"])
    result = message["result"]
    assert not result.get("isError") and result["structuredContent"]["assistant"]["id"] == SALES_QUALIFIER_ID


class StreamCutter:
    """Test-only, between a client and the server: relays everything, but ends each tools/call answer stream
    right after its first event (the priming event), as a dropped connection would."""

    def __init__(self, target: str) -> None:
        self._target = target
        self.cut = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = await Request(scope, receive).body()
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in (b"host", b"content-length")]
        async with httpx.AsyncClient(timeout=TIMEOUT) as http:
            request = http.build_request(scope["method"], self._target + scope["path"], headers=headers, content=body)
            response = await http.send(request, stream=True)
            relayed = [
                (k, v) for k, v in response.headers.raw if k.lower() not in (b"content-length", b"transfer-encoding")
            ]
            await send({"type": "http.response.start", "status": response.status_code, "headers": relayed})
            cutting = b'"tools/call"' in body and response.headers.get("content-type", "").startswith(
                "text/event-stream"
            )
            seen = b""
            async for chunk in response.aiter_raw():
                seen += chunk
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                if cutting and b"\n\n" in seen.replace(b"\r\n", b"\n"):
                    self.cut += 1
                    break
            await response.aclose()
        await send({"type": "http.response.body", "body": b""})


async def test_the_sdk_client_resumes_a_dropped_stream_and_gets_its_answer(server: AppServer) -> None:
    cutter = StreamCutter(server.url)
    proxy = AppServer(cutter).start()
    try:
        http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=20)
        # legacy: the 2025-11-25 session protocol, the one with resumable streams
        async with http, Client(streamable_http_client(proxy.url + MCP_PATH, http_client=http), mode="legacy") as c:
            result = await c.call_tool("get_assistant", {"id": SALES_QUALIFIER_ID})
    finally:
        proxy.stop()
    assert cutter.cut == 1  # the answer's stream was dropped after its priming event...
    assert not result.is_error and result.structured_content is not None  # ...and resumed to the answer
    assert result.structured_content["assistant"]["id"] == SALES_QUALIFIER_ID


def test_held_events_are_the_masked_ones_and_end_with_the_session(
    server: AppServer, sandbox: SandboxServer, settings: Settings
) -> None:
    key = f"sk-{secrets.token_urlsafe(24)}"
    custom = {"type": "custom", "api_url": "https://llm.acme.example/v1", "api_key": key, "model_name": "acme"}
    sandbox.store.update(RECEPTIONIST_ID, {"llm_model": custom})
    url = server.url + MCP_PATH
    events = guard_of(server).events
    assert events is not None
    with httpx.Client(timeout=TIMEOUT) as http:
        headers = open_session(http, url)
        debug = {"jsonrpc": "2.0", "id": 2, "method": "logging/setLevel", "params": {"level": "debug"}}
        assert http.post(url, json=debug, headers=headers).status_code == 200
        read = http.post(url, json=call(3, "get_assistant", {"id": RECEPTIONIST_ID}), headers=headers)
        assert read.status_code == 200 and key[-4:] in read.text  # the mask keeps the last four characters
        held = b"\n".join(events.stored_data())
        assert key[-4:].encode() in held  # the answer is held...
        assert key.encode() not in held and str(settings.api_key).encode() not in held  # ...masked, as it was sent
        assert http.delete(url, headers=headers).status_code < 300
    assert events.held() == 0  # an ended session's streams cannot be resumed, so nothing of it is kept


def test_an_event_not_held_is_refused_with_why(server: AppServer) -> None:
    url = server.url + MCP_PATH
    with httpx.Client(timeout=TIMEOUT) as http:
        headers = open_session(http, url)
        refused = http.get(url, headers={**headers, "Accept": "text/event-stream", "Last-Event-ID": "9999"})
    assert refused.status_code == 400
    message = refused.json()["error"]["message"]
    assert message.startswith('Event "9999" of this session is not held (events are kept 300 s')
    assert "Send the request again; for a write, first call list_changes" in message


def test_another_sessions_event_is_not_replayed(server: AppServer) -> None:
    url = server.url + MCP_PATH
    with httpx.Client(timeout=TIMEOUT) as http:
        mine, theirs = open_session(http, url), open_session(http, url)
        with http.stream("POST", url, json=call(2, "list_assistants", {}), headers=theirs) as r:
            their_event, _ = answer_of(sse_events(r), 2)
        # Both sessions number their streams alike; an id from their stream names nothing in mine.
        asked = {**mine, "Accept": "text/event-stream", "Last-Event-ID": their_event}
        assert http.get(url, headers=asked).status_code == 400


def test_stateless_sends_no_priming_event_and_says_why_it_cannot_resume(settings: Settings) -> None:
    replica = start(settings, stateless=True)
    url = replica.url + MCP_PATH
    try:
        with httpx.Client(timeout=TIMEOUT) as http:
            with http.stream("POST", url, json=call(1, "list_assistants", {}), headers=HEADERS) as r:
                streamed = list(sse_events(r))
            refused = http.get(url, headers={**HEADERS, "Accept": "text/event-stream", "Last-Event-ID": "1"})
    finally:
        replica.stop()
    # No event ids: a client has nothing to resume from, so it does not try (and no store is kept).
    assert streamed and all("id" not in event for event in streamed)
    assert guard_of(replica).events is None
    assert refused.status_code == 400
    assert refused.json()["error"]["message"].startswith("This server runs with --stateless: replicas keep no streams")
