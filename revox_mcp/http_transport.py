"""`revox-mcp serve --http`: the MCP server over Streamable HTTP, for clients that connect by URL.

Loopback by default. Every request needs `Authorization: Bearer <token>` (REVOX_MCP_TOKEN, or one
generated at start and printed to stderr); DNS-rebinding protection checks Host and Origin exactly
against allowed lists; request bodies are bounded in size and in time, headers in time, connections
in number (HttpLimits). `stateless` serves each request on its own, so several replicas can sit
behind a load balancer (sharing a PostgreSQL journal, they share its per-assistant write lock too).
With a tokens file, a session belongs to the person who opened it.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import anyio
from mcp.server.transport_security import TransportSecuritySettings
from uvicorn.protocols.http.h11_impl import H11Protocol

from revox_mcp.actors import Actor, actor_for
from revox_mcp.config import DEFAULT_HTTP_PORT, DEFAULT_MAX_BODY_BYTES, DEFAULT_SESSIONS_PER_PERSON, Settings
from revox_mcp.event_store import EventBudget, EventLimits, resume_sessions
from revox_mcp.messages import shorten
from revox_mcp.policy import Policy
from revox_mcp.server import build_server
from revox_mcp.serving import is_loopback

logger = logging.getLogger(__name__)

TOKEN_ENV = "REVOX_MCP_TOKEN"
MCP_PATH = "/mcp"
MIN_TOKEN_CHARS = 32
SESSION_HEADER = b"mcp-session-id"
LAST_EVENT_ID_HEADER = "last-event-id"
# Sessions open at once, for everyone: the SDK's own default cap (where it answers 503 to a new one).
MAX_SESSIONS = 10_000
# Headers a request may carry once: a repeat could be read one way here and another way by the MCP layer.
SINGLE_HEADERS = frozenset({"mcp-session-id", "authorization", "host", "origin"})

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def new_token() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class HttpLimits:
    """Time and number bounds, so that clients without a token cannot hold the server's resources.

    A connection must finish its request headers within `header_timeout_s` (also each later request on
    a kept-alive connection), and its body within `body_timeout_s`; an idle kept-alive connection is
    closed after `keep_alive_s`. Past `max_connections` open connections a new one is closed at once.
    A person of the tokens file holds at most `sessions_per_person` sessions, and everyone together
    `max_sessions`: a session opened past either closes the oldest of them. The shared token is not a
    person (its clients are not told apart), so only the overall cap applies to it.
    """

    header_timeout_s: float = 10.0
    body_timeout_s: float = 30.0
    keep_alive_s: float = 5.0
    max_connections: int = 256
    # Request line plus headers: h11's own default, stated here because it is a limit we rely on.
    max_header_bytes: int = 16_384
    sessions_per_person: int = DEFAULT_SESSIONS_PER_PERSON
    max_sessions: int = MAX_SESSIONS
    # What is kept of each session's streams for a client to resume (not with `stateless`: see BearerGuard).
    events: EventLimits = field(default_factory=EventLimits)

    def uvicorn_options(self) -> dict[str, Any]:
        return {
            "http": _guarded_h11(self.header_timeout_s, self.max_connections),
            "timeout_keep_alive": self.keep_alive_s,
            # Requests past the cap get uvicorn's 503 (connections past it are closed before that).
            "limit_concurrency": self.max_connections + 1,
            "h11_max_incomplete_event_size": self.max_header_bytes,
        }


def _guarded_h11(header_timeout_s: float, max_connections: int) -> type[H11Protocol]:
    """uvicorn's h11 protocol with a deadline for request headers and a cap on open connections
    (uvicorn has neither: a client that sends half a header line holds its connection for good)."""

    class GuardedH11(H11Protocol):
        _header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > max_connections:
                self.transport.close()
                return
            self._arm_header_timer()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm_header_timer()  # the next request on this connection gets the same deadline

        def connection_lost(self, exc: Exception | None) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
            super().connection_lost(exc)

        def _arm_header_timer(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
            self._header_timer = self.loop.call_later(header_timeout_s, self._header_deadline, self.cycle)

        def _header_deadline(self, cycle_then: Any) -> None:
            # Close only if no request has started since the timer was armed (headers never completed)
            # and none is being answered (a pipelined request in progress is not idle).
            idle = self.cycle is cycle_then and (cycle_then is None or cycle_then.response_complete)
            if idle and not self.transport.is_closing():
                self.transport.close()

    return GuardedH11


@dataclass(frozen=True)
class HttpOptions:
    token: str | None
    host: str = "127.0.0.1"
    port: int = DEFAULT_HTTP_PORT
    stateless: bool = False
    allowed_hosts: list[str] = field(default_factory=list)
    allowed_origins: list[str] = field(default_factory=list)
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    limits: HttpLimits = field(default_factory=HttpLimits)
    # One token per person (serve --tokens FILE): each request is then made by someone, for the journal.
    actors: tuple[Actor, ...] = ()

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
    # Replicas share no streams, so a stateless server keeps none: it sends no priming event (clients then
    # do not try to resume) and BearerGuard answers a Last-Event-ID with why not.
    events = None if options.stateless else EventBudget(options.limits.events)
    app = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=options.stateless,
        retry_interval=events.limits.retry_ms if events else None,
        transport_security=options.security(port),
        host=options.host,
        max_request_body_size=options.max_body_bytes,
        # Above our own cap by the openings that can be under way at once: a new session is admitted by the
        # SDK first, then BearerGuard closes the oldest, so the SDK never refuses it with a 503.
        max_sessions=options.limits.max_sessions + options.limits.max_connections + 1,
    )
    security = options.security(port)
    if events is not None and not resume_sessions(server.session_manager, events):
        events = None

    async def close_session(session_id: bytes) -> None:
        # SDK 2.3 has no public way to end a session but the client's DELETE; its manager's table of
        # transports is the place. Should it move, the session is only forgotten here (its id answers
        # 404 at once) and the SDK ends it when idle.
        instances = getattr(server.session_manager, "_server_instances", {})
        transport = instances.get(session_id.decode("latin-1"))
        if transport is not None:
            await transport.terminate()

    return BearerGuard(
        app,
        options.token,
        options.max_body_bytes,
        body_timeout_s=options.limits.body_timeout_s,
        allowed_hosts=security.allowed_hosts,
        allowed_origins=security.allowed_origins,
        actors=options.actors,
        sessions=not options.stateless,
        session_caps=(options.limits.sessions_per_person, options.limits.max_sessions),
        close_session=close_session,
        sdk_sessions=lambda: len(getattr(server.session_manager, "_server_instances", {})),
        events=events,
    )


class BearerGuard:
    """In front of the MCP layer: refuses a foreign Host or Origin, requests without the token, and
    bodies over the size limit (declared or chunked) or slower than the time limit. The body is read
    here, whole, before the MCP layer sees the request."""

    def __init__(
        self,
        app: ASGIApp,
        token: str | None,
        max_body_bytes: int,
        *,
        body_timeout_s: float = HttpLimits.body_timeout_s,
        allowed_hosts: list[str] | None = None,
        allowed_origins: list[str] | None = None,
        actors: tuple[Actor, ...] = (),
        sessions: bool = True,
        session_caps: tuple[int, int] = (HttpLimits.sessions_per_person, HttpLimits.max_sessions),
        close_session: Callable[[bytes], Awaitable[None]] | None = None,
        sdk_sessions: Callable[[], int] | None = None,
        events: EventBudget | None = None,
    ) -> None:
        self._app = app
        # The streams' events kept for resumption (None: stateless, or none kept); public for tests and benches.
        self.events = events
        self._sessions = sessions
        self._session_caps = session_caps
        self._close_session = close_session
        # How many sessions the MCP layer holds open (for tests and benches: the caps close them there too).
        self.sdk_sessions = sdk_sessions or (lambda: 0)
        self._token = token.encode() if token else None
        self._actors = actors
        self._max_body = max_body_bytes
        self._body_timeout = body_timeout_s
        self._hosts = allowed_hosts
        self._origins = allowed_origins
        # Who opened each session (a person's name; None with the shared token): only they may use or end it.
        # Both in the order opened, oldest first.
        self._owners: dict[bytes, str | None] = {}
        self._by_person: dict[str | None, dict[bytes, None]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)  # lifespan: start and stop the session manager
            return
        names = [k.decode("latin-1").lower() for k, _ in scope.get("headers", [])]
        repeated = sorted({n for n in names if n in SINGLE_HEADERS and names.count(n) > 1})
        if repeated:
            message = f"The request repeats the header {', '.join(repeated)}; send each of them once."
            await _json(send, 400, _rpc_error(message), close=True)
            return
        headers = {k.decode("latin-1").lower(): v for k, v in scope.get("headers", [])}
        refusal = self._foreign(headers)
        if refusal is not None:
            await _json(send, refusal[0], {"error": "forbidden", "message": refusal[1]}, close=True)
            return
        scheme, _, token = headers.get("authorization", b"").partition(b" ")
        presented = token.strip()
        actor = actor_for(presented, self._actors)
        shared = self._token is not None and hmac.compare_digest(presented, self._token)
        if scheme.lower() != b"bearer" or not (shared or actor):
            await _json(
                send,
                401,
                {"error": "unauthorized", "message": f"Send Authorization: Bearer <token> (the server's {TOKEN_ENV})."},
                extra=[(b"www-authenticate", b'Bearer realm="revox-mcp"')],
            )
            return
        # Who is asking, for the tool layer (ctx.request.state.revox_actor): None with the shared token.
        scope.setdefault("state", {})["revox_actor"] = actor if scheme.lower() == b"bearer" else None
        who = actor.name if actor is not None else None
        session = headers.get(SESSION_HEADER.decode())
        resuming = headers.get(LAST_EVENT_ID_HEADER) if scope.get("method") == "GET" else None
        refused = self._session_refusal(session, who) or self._resume_refusal(resuming, session)
        if refused is not None:
            await _json(send, refused[0], _rpc_error(refused[1]))
            return
        send = self._noting_owner(send, who, session, scope.get("method") == "DELETE")
        length = headers.get("content-length", b"")
        if length.isdigit() and int(length) > self._max_body:
            await self._too_large(send, int(length))
            return
        if scope.get("method") in ("GET", "HEAD", "DELETE", "OPTIONS") and not length.strip(b"0"):
            await self._app(scope, receive, send)
            return
        body = await self._read_body(receive)
        if isinstance(body, int):
            await self._too_large(send, body)
        elif body is _SLOW:
            message = f"The request body did not arrive within {self._body_timeout:g} s; send it at once."
            await _json(send, 408, _rpc_error(message), close=True)
        elif body is not _GONE:
            await self._app(scope, _replay(body, receive), send)  # type: ignore[arg-type]

    def _session_refusal(self, session: bytes | None, who: str | None) -> tuple[int, str] | None:
        """404 for a session this server never opened (or no longer remembers: never handed to whoever asks),
        403 for another person's session."""
        if session is None or not self._sessions:
            return None
        if session not in self._owners:
            return 404, "Session not found: initialize a new one (without an mcp-session-id header)."
        if self._owners[session] != who:
            return 403, (
                "This MCP session was opened with another person's token: only they may use or end it. "
                "Open your own session (initialize without an mcp-session-id header)."
            )
        return None

    def _resume_refusal(self, last: bytes | None, session: bytes | None) -> tuple[int, str] | None:
        """400 for a GET's Last-Event-ID that cannot be resumed here, with why: the SDK would answer it with an
        empty stream (or, stateless, with none), which leaves a client waiting for an answer that never comes."""
        if last is None:
            return None
        again = "Send the request again; for a write, first call list_changes to see whether it landed."
        if not self._sessions:
            return 400, (
                "This server runs with --stateless: replicas keep no streams (they share only the journal), so a "
                f"dropped stream cannot be resumed with Last-Event-ID. {again}"
            )
        events, wanted = self.events, last.decode("latin-1")
        if events is None:
            return 400, f"This server keeps no streams to resume with Last-Event-ID. {again}"
        if session is not None and events.holds(session.decode("latin-1"), wanted):
            return None
        return 400, (
            f"Event {shorten(wanted)} of this session is not held (events are kept {events.limits.max_age_s:g} s, "
            f"and only the newest part of a long stream): the rest of that stream cannot be replayed. {again}"
        )

    def _noting_owner(self, send: Send, who: str | None, session: bytes | None, ending: bool) -> Send:
        """`send`, noting the owner of a session the answer opens (closing their oldest, or everyone's, past
        the caps), and forgetting one a DELETE ends."""

        async def noting(message: Message) -> None:
            closing: list[bytes] = []
            if message["type"] == "http.response.start":
                opened = dict(message.get("headers", [])).get(SESSION_HEADER)
                if opened is not None and session is None:
                    closing = self._remember(opened, who)
                elif session is not None and (
                    (ending and message.get("status", 500) < 300) or message.get("status") == 404
                ):
                    self._forget(session)  # ended, or gone (the MCP layer closed it when idle)
            await send(message)
            for oldest in closing:
                if self._close_session is not None:
                    try:
                        await self._close_session(oldest)
                    except Exception as exc:  # the answer that opened a session must not fail over another
                        logger.warning("could not close an old session: %s", type(exc).__name__)

        return noting

    def _remember(self, session: bytes, who: str | None) -> list[bytes]:
        """Note a new session; the sessions to close for it: the person's oldest past their cap, then
        everyone's oldest past the overall cap. Forgotten at once, so their ids answer 404 from now on."""
        per_person, overall = self._session_caps
        self._owners[session] = who
        mine = self._by_person.setdefault(who, {})
        mine[session] = None
        closing: list[bytes] = []
        while who is not None and len(mine) > per_person:
            closing.append(next(iter(mine)))
            self._forget(closing[-1])
        while len(self._owners) > overall:
            closing.append(next(iter(self._owners)))
            self._forget(closing[-1])
        return closing

    def _forget(self, session: bytes) -> None:
        if self.events is not None:
            self.events.end_session(session.decode("latin-1"))
        if session in self._owners:
            who = self._owners.pop(session)
            mine = self._by_person.get(who, {})
            mine.pop(session, None)
            if not mine:
                self._by_person.pop(who, None)

    async def _read_body(self, receive: Receive) -> bytes | int | object:
        """The whole body; its size so far (an int) once over the limit; _SLOW or _GONE."""
        chunks: list[bytes] = []
        size = 0
        with anyio.move_on_after(self._body_timeout):
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return _GONE
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > self._max_body:
                    return size
                chunks.append(chunk)
                if not message.get("more_body", False):
                    return b"".join(chunks)
        return _SLOW

    async def _too_large(self, send: Send, size: int) -> None:
        measured = f"is {size:,} bytes" if size else "is larger than that"
        message = (
            f"The request body {measured}; this server accepts at most {self._max_body:,}. Send a "
            "smaller patch: change long texts with edits (replace_text) instead of resending them."
        )
        await _json(send, 413, _rpc_error(message), close=True)

    def _foreign(self, headers: dict[str, bytes]) -> tuple[int, str] | None:
        """421 or 403 with advice when Host or Origin is not exactly one allowed (the SDK's own check
        accepts any value that starts like an allowed one, e.g. `127.0.0.1:8000.evil.example`)."""
        if self._hosts is None:
            return None
        host = headers.get("host", b"").decode("latin-1")
        if not _matches(host, self._hosts, _HOST):
            return (
                421,
                f"Host {host!r} is not served here. Allowed: {', '.join(self._hosts)} (--allowed-hosts adds more).",
            )
        origin = headers.get("origin")
        if origin is not None and not _matches(origin.decode("latin-1"), self._origins or [], _ORIGIN):
            shown = origin.decode("latin-1")
            return 403, f"Origin {shown!r} may not call this server (--allowed-origins adds one)."
        return None


_SLOW = object()
_GONE = object()
_HOST = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::([0-9]{1,5}))?")
_ORIGIN = re.compile(r"(https?://(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+))(?::([0-9]{1,5}))?")


def _matches(value: str, allowed: list[str], shape: re.Pattern[str]) -> bool:
    """Exact match of name[:port] (names compared without case); `name:*` allows any port or none."""
    found = shape.fullmatch(value)
    if found is None:
        return False
    name, port = found.group(1).lower(), found.group(2)
    for pattern in allowed:
        allowed_name, _, allowed_port = pattern.lower().rpartition(":")
        if allowed_port == "*" and name == allowed_name:
            return True
        if value.lower() == pattern.lower() or (port is None and name == pattern.lower()):
            return True
    return False


def _rpc_error(message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": message}}


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that gives the body already read, then passes on (to see a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _json(
    send: Send, status: int, body: dict[str, Any], extra: list[tuple[bytes, bytes]] | None = None, close: bool = False
) -> None:
    payload = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()), *(extra or [])]
    if close:
        # The rest of the request may still be on its way: end the connection rather than read it.
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
