"""Test-only: a loopback HTTP proxy that adds `Authorization: Bearer <token>` to every request.

The MCP conformance suite sends no Authorization header, and revox-mcp over HTTP refuses requests
without one. Rather than give the server a way to run without its token, scripts/conformance.sh puts
this in front of it. Everything else passes through unchanged, Host and Origin included (the suite's
DNS-rebinding scenario checks that the server refuses foreign ones), and responses are streamed (SSE).

    python scripts/bearer_proxy.py --target http://127.0.0.1:8123 --token-env REVOX_MCP_TOKEN

prints `bearer-proxy: listening on http://127.0.0.1:<port>` once it accepts connections.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio
import httpx

from revox_mcp.serving import LOOPBACK, AppServer

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

# Per-connection headers a proxy must not forward (RFC 9110 7.6.1); the length is recomputed.
HOP_BY_HOP = frozenset(
    {b"connection", b"keep-alive", b"transfer-encoding", b"te", b"trailer", b"upgrade", b"content-length"}
)


class BearerProxy:
    def __init__(self, target: str, token: str) -> None:
        self._target = target.rstrip("/")
        self._authorization = f"Bearer {token}".encode()
        # No read timeout: an SSE stream may stay quiet for as long as the client keeps it open.
        self._client = httpx.AsyncClient(timeout=httpx.Timeout(10.0, read=None))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in HOP_BY_HOP | {b"authorization"}]
        headers.append((b"authorization", self._authorization))
        query = f"?{scope['query_string'].decode()}" if scope.get("query_string") else ""
        request = self._client.build_request(
            scope["method"], f"{self._target}{scope['path']}{query}", headers=headers, content=body
        )
        response = await self._client.send(request, stream=True)
        async with anyio.create_task_group() as tg:
            # When the client goes away mid-stream, stop relaying (and close the upstream stream).
            tg.start_soon(_cancel_on_disconnect, receive, tg.cancel_scope)
            try:
                await send(
                    {
                        "type": "http.response.start",
                        "status": response.status_code,
                        "headers": [(k, v) for k, v in response.headers.raw if k.lower() not in HOP_BY_HOP],
                    }
                )
                async for chunk in response.aiter_raw():
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await send({"type": "http.response.body", "body": b""})
            finally:
                await response.aclose()
                tg.cancel_scope.cancel()


async def _cancel_on_disconnect(receive: Receive, scope: anyio.CancelScope) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    scope.cancel()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True, help="the server's base URL, e.g. http://127.0.0.1:8123")
    parser.add_argument("--token-env", default="REVOX_MCP_TOKEN", help="environment variable holding the token")
    parser.add_argument("--port", type=int, default=0, help="port to listen on, on loopback only (0: a free one)")
    args = parser.parse_args()
    token = os.environ.get(args.token_env)
    if not token:
        print(f"bearer-proxy: set {args.token_env}", file=sys.stderr)
        return 2
    server = AppServer(BearerProxy(args.target, token), host=LOOPBACK, port=args.port)
    print(f"bearer-proxy: listening on {server.url}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
