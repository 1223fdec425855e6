"""`revox-mcp serve --http`: the MCP server over Streamable HTTP, for clients that connect by URL.

Loopback by default. Every request needs `Authorization: Bearer <token>` (REVOX_MCP_TOKEN, or one
generated at start and printed to stderr); DNS-rebinding protection checks Host and Origin against
allowed lists; request bodies are bounded. `stateless` serves each request on its own, so several
replicas can sit behind a load balancer (the journal and the per-assistant write lock are then per
replica, as the README says).
"""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from mcp.server.transport_security import TransportSecuritySettings

from revox_mcp.config import Settings
from revox_mcp.policy import Policy
from revox_mcp.server import build_server
from revox_mcp.serving import is_loopback

TOKEN_ENV = "REVOX_MCP_TOKEN"
MCP_PATH = "/mcp"
DEFAULT_HTTP_PORT = 8000
# Generous for any patch (a 100,000-character prompt is ~100 KB) and small enough to refuse abuse.
DEFAULT_MAX_BODY_BYTES = 1_048_576

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def new_token() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class HttpOptions:
    token: str
    host: str = "127.0.0.1"
    port: int = DEFAULT_HTTP_PORT
    stateless: bool = False
    allowed_hosts: list[str] = field(default_factory=list)
    allowed_origins: list[str] = field(default_factory=list)
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES

    def security(self, port: int) -> TransportSecuritySettings:
        """Host and Origin checks: loopback names by default, plus the bound host and what the operator adds."""
        hosts = ["127.0.0.1:*", "localhost:*", "[::1]:*"]
        origins = ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"]
        if not is_loopback(self.host):
            hosts.append(f"{self.host}:{port}")
            origins.append(f"http://{self.host}:{port}")
        return TransportSecuritySettings(
            enable_dns_rebinding_protection=True,
            allowed_hosts=hosts + self.allowed_hosts,
            allowed_origins=origins + self.allowed_origins,
        )


def build_http_app(
    settings: Settings, policy: Policy, options: HttpOptions, port: int, profile: str = "portable"
) -> ASGIApp:
    server = build_server(settings, policy, profile)
    app = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=options.stateless,
        transport_security=options.security(port),
        host=options.host,
        max_request_body_size=options.max_body_bytes,
    )
    return BearerGuard(app, options.token, options.max_body_bytes)


class BearerGuard:
    """Refuses, before the MCP layer sees them, requests without the token and bodies over the limit."""

    def __init__(self, app: ASGIApp, token: str, max_body_bytes: int) -> None:
        self._app = app
        self._token = token.encode()
        self._max_body = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)  # lifespan: start and stop the session manager
            return
        headers = {k.decode("latin-1").lower(): v for k, v in scope.get("headers", [])}
        scheme, _, token = headers.get("authorization", b"").partition(b" ")
        if scheme.lower() != b"bearer" or not hmac.compare_digest(token.strip(), self._token):
            await _json(
                send,
                401,
                {"error": "unauthorized", "message": f"Send Authorization: Bearer <token> (the server's {TOKEN_ENV})."},
                extra=[(b"www-authenticate", b'Bearer realm="revox-mcp"')],
            )
            return
        length = headers.get("content-length", b"")
        if length.isdigit() and int(length) > self._max_body:
            message = (
                f"The request body is {int(length):,} bytes; this server accepts at most {self._max_body:,}. Send a "
                "smaller patch: change long texts with edits (replace_text) instead of resending them."
            )
            await _json(send, 413, {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": message}})
            return
        await self._app(scope, receive, send)


async def _json(send: Send, status: int, body: dict[str, Any], extra: list[tuple[bytes, bytes]] | None = None) -> None:
    payload = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()), *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
