"""A fault-injecting HTTP proxy between revox-mcp and the sandbox: real sockets on loopback, real HTTP/1.1.

Rules match a method and a path glob, `times` times (-1: always), and say what happens to the request:
- `hold`: deliver it upstream only after `delay_s`, whether or not the client is still waiting (a PATCH
  that reaches the API late, after its sender gave up), then answer if anyone is still there;
- `forward_then_drop`: deliver it, then cut the connection without an answer (it landed, nobody knows);
- `reset`: cut the connection without delivering it;
- `status`: answer `status` with `headers` and `body` without delivering it;
- `forward_then_status`: deliver it (it lands), then answer `status` anyway (a 500 after the write);
- `malformed`: deliver it, then answer 200 with a body that is not JSON;
- `mutate`: deliver it, then answer the upstream's JSON changed by `mutate`;
- `huge`: answer 200 with `size` bytes of JSON without delivering it.
`landed` counts the requests delivered upstream per method, and `delivered` is set for each held request
once it has been delivered, so a test waits on the event, not on a timer. `sent` keeps every request's method,
target and body as revox-mcp sent it.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

Action = Literal["hold", "forward_then_drop", "reset", "status", "forward_then_status", "malformed", "mutate", "huge"]


@dataclass
class Rule:
    method: str
    path: str
    action: Action
    times: int = 1
    delay_s: float = 0.0
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    mutate: Callable[[Any], Any] | None = None
    size: int = 0
    delivered: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Upstream:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


class FaultProxy:
    """Use as `async with FaultProxy(sandbox.url) as proxy:`; point revox-mcp at `proxy.url`."""

    def __init__(self, upstream: str) -> None:
        self._upstream = upstream
        self.rules: list[Rule] = []
        self.seen: list[tuple[str, str, str]] = []  # method, path, what happened
        self.sent: list[tuple[str, str, bytes]] = []  # method, target, body: what revox-mcp sent
        self.landed: Counter[str] = Counter()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._http = httpx.AsyncClient(base_url=upstream, timeout=30)
        self.url = ""

    async def __aenter__(self) -> FaultProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._http.aclose()

    def add(self, rule: Rule) -> Rule:
        self.rules.append(rule)
        return rule

    def _take(self, method: str, path: str) -> Rule | None:
        for rule in self.rules:
            if rule.method in (method, "*") and fnmatch.fnmatchcase(path, rule.path):
                if rule.times > 0:
                    rule.times -= 1
                    if rule.times == 0:
                        self.rules.remove(rule)
                return rule
        return None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # Each connection runs as its own task, and a held request outlives its client: tracked, so that
        # the proxy's exit ends it.
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._one(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        method, target, _ = request_line.split(" ", 2)
        headers = [tuple(h.split(": ", 1)) for h in header_lines if h]
        length = next((int(v) for k, v in headers if k.lower() == "content-length"), 0)
        body = await reader.readexactly(length) if length else b""
        rule = self._take(method, target.split("?")[0])
        action = rule.action if rule else "forward"
        self.seen.append((method, target, action))
        self.sent.append((method, target, body))
        forwarded = {k: v for k, v in headers if k.lower() not in ("host", "content-length", "connection")}
        if rule is None:
            await _answer(writer, await self._forward(method, target, forwarded, body))
        elif rule.action == "reset":
            writer.transport.abort()
        elif rule.action == "status":
            await _answer(writer, _canned(rule.status, rule.headers, rule.body))
        elif rule.action == "huge":
            filler = b'{"pad": "' + b"x" * rule.size + b'"}'
            await _answer(writer, Upstream(200, [("content-type", "application/json")], filler))
        else:
            await self._after_forward(rule, writer, method, target, forwarded, body)

    async def _after_forward(
        self, rule: Rule, writer: asyncio.StreamWriter, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> None:
        if rule.action == "hold":
            await asyncio.sleep(rule.delay_s)
        upstream = await self._forward(method, target, headers, body)
        rule.delivered.set()
        if rule.action == "forward_then_drop":
            writer.transport.abort()
        elif rule.action == "forward_then_status":
            await _answer(writer, _canned(rule.status, rule.headers, rule.body))
        elif rule.action == "malformed":
            await _answer(writer, Upstream(200, [("content-type", "application/json")], b"<html>oops"))
        elif rule.action == "mutate":
            assert rule.mutate is not None
            changed = json.dumps(rule.mutate(json.loads(upstream.body))).encode()
            await _answer(writer, Upstream(upstream.status, [("content-type", "application/json")], changed))
        else:
            await _answer(writer, upstream)

    async def _forward(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Upstream:
        response = await self._http.request(method, target, headers=headers, content=body)
        self.landed[method] += 1
        kept = [(k, v) for k, v in response.headers.items() if k.lower() in ("content-type", "retry-after")]
        return Upstream(response.status_code, kept, response.content)


def _canned(status: int, headers: dict[str, str], body: Any) -> Upstream:
    payload = json.dumps(body if body is not None else {"message": f"proxy fault {status}"}).encode()
    return Upstream(status, [("content-type", "application/json"), *headers.items()], payload)


async def _answer(writer: asyncio.StreamWriter, upstream: Upstream) -> None:
    lines = [f"HTTP/1.1 {upstream.status} X", *(f"{k}: {v}" for k, v in upstream.headers)]
    lines += [f"content-length: {len(upstream.body)}", "connection: close"]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + upstream.body)
    await writer.drain()
