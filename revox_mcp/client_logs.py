"""The server's own log records, sent to the MCP client that asked for them (`notifications/message`).

A record goes only to the session whose request emitted it, at or above the level that session chose:
with `logging/setLevel` on handshake protocol versions (kept on the connection), or with the
per-request `_meta` level of the 2026-07-28 protocol (which dropped setLevel). So on HTTP with many
sessions no session sees another's records, and on stdio the one client sees its own. Records emitted
outside any request (start-up, shutdown) go to stderr only.

Messages are masked like every answer: the API key, any secret the request carried and anything that
looks like an `api_key` value are scrubbed, and tracebacks never leave the server. Every record
revox-mcp writes, here and on stderr (`CappedFormatter`), is cut to `DEFAULT_MAX_LOG_CHARS` characters
with a marker saying how much was cut: a 60 MB argument no longer makes a 60 MB log line.
"""

from __future__ import annotations

import contextlib
import logging
import math
import re
import threading
from contextvars import ContextVar
from typing import Any

import anyio
import mcp_types as types
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.session import ServerSession
from mcp_types import LOG_LEVEL_META_KEY
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from revox_mcp.config import DEFAULT_MAX_LOG_CHARS
from revox_mcp.redaction import mask, scrub, secrets_in

PACKAGE_LOGGER = "revox_mcp"
# MCP's syslog levels as Python levelnos; notice, alert and emergency sit between and above Python's.
LEVELS: dict[str, int] = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "notice": 25,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
    "alert": 60,
    "emergency": 70,
}
# Where a connection keeps the level its client set with logging/setLevel.
_LEVEL_STATE_KEY = "revox_mcp.log_level"
_API_KEY_VALUE = re.compile(r"""(api_key['"]?\s*[:=]\s*['"]?)([^'"\s,}]+)""")
# Room kept for the marker of a cut record, so that the whole stays within the limit.
_MARKER_ROOM = 80
# A record is cut to the limit plus this before it is masked (masking a 60 MB text would cost more
# than the record is worth), and to the limit after: a secret that starts within the limit and is
# shorter than this is whole when masked, so no part of it is kept unmasked.
_MASK_MARGIN = 1024


def mcp_level(levelno: int) -> types.LoggingLevel:
    """The MCP level of a Python record: the highest MCP level at or below it."""
    name = "debug"
    for candidate, threshold in LEVELS.items():
        if levelno >= threshold:
            name = candidate
    return name  # type: ignore[return-value]


def capped(text: str, limit: int = DEFAULT_MAX_LOG_CHARS, total: int | None = None) -> str:
    """`text` in at most `limit` characters: cut, with a marker saying how much of `total` (its length
    before any earlier cut) was cut."""
    total = len(text) if total is None else total
    if len(text) <= limit and total == len(text):
        return text
    keep = max(0, min(len(text), limit - _MARKER_ROOM))
    return f"{text[:keep]} …[log record cut: {total - keep:,} of {total:,} characters not shown]"


class CappedFormatter(logging.Formatter):
    """A formatter whose every line (message and traceback together) is cut to `limit` characters."""

    def __init__(self, fmt: str, limit: int = DEFAULT_MAX_LOG_CHARS) -> None:
        super().__init__(fmt)
        self._limit = limit

    def format(self, record: logging.LogRecord) -> str:
        return capped(super().format(record), self._limit)


def render(record: logging.LogRecord, secrets: frozenset[str], limit: int = DEFAULT_MAX_LOG_CHARS) -> str:
    """The record's message with secrets masked, cut to `limit` characters; no traceback (it can quote
    argument values)."""
    message = record.getMessage()
    text = scrub(message[: limit + _MASK_MARGIN], secrets)
    text = _API_KEY_VALUE.sub(lambda m: m.group(1) + mask(m.group(2)), text)
    return capped(text, limit, total=len(message) if len(message) > limit else len(text))


class _RequestSink:
    """The records of one request, queued in order and sent on that request's channel by `deliver`."""

    def __init__(self, threshold: int, secrets: frozenset[str]) -> None:
        self.threshold = threshold
        self._secrets = secrets
        self._thread = threading.get_ident()
        self._send, self._receive = anyio.create_memory_object_stream[types.LoggingMessageNotificationParams](math.inf)

    def offer(self, record: logging.LogRecord) -> None:
        # The stream is not thread-safe: a record from a worker thread stays in the stderr log only.
        if record.levelno < self.threshold or threading.get_ident() != self._thread:
            return
        params = types.LoggingMessageNotificationParams(
            level=mcp_level(record.levelno), logger=record.name, data=render(record, self._secrets)
        )
        # A record after the request answered, or after its client went away, has no stream to ride.
        with contextlib.suppress(anyio.ClosedResourceError, anyio.BrokenResourceError):
            self._send.send_nowait(params)

    def close(self) -> None:
        self._send.close()

    async def deliver(self, session: ServerSession, request_id: types.RequestId) -> None:
        async with self._receive:
            async for params in self._receive:
                notification = types.LoggingMessageNotification(params=params)
                try:
                    await session.send_notification(notification, related_request_id=request_id)
                except Exception:
                    return  # the client went away; nothing to tell it (and logging here would loop)


_SINK: ContextVar[_RequestSink | None] = ContextVar("revox_mcp_log_sink", default=None)


class _ForwardingHandler(logging.Handler):
    """Hands each record of the `revox_mcp` loggers to the sink of the request it was emitted in, if any."""

    def emit(self, record: logging.LogRecord) -> None:
        sink = _SINK.get()
        if sink is not None:
            sink.offer(record)


# The one handler, owned by this module and attached once to the package logger; it holds no state
# (the per-request sink is in a context variable), so every server in the process can share it.
_HANDLER = _ForwardingHandler()


def install() -> None:
    logger = logging.getLogger(PACKAGE_LOGGER)
    if _HANDLER not in logger.handlers:
        logger.addHandler(_HANDLER)


def _connection_state(session: ServerSession) -> dict[str, Any]:
    # SDK 2.3's request context does not expose the connection (its `Context` rework will); the
    # session proxy holds it, and the connection's `state` is the SDK's place for per-connection data.
    # Should a later SDK move it, setLevel stops having an effect (tests say so) but nothing breaks.
    connection = getattr(session, "_connection", None)
    state = getattr(connection, "state", None)
    return state if isinstance(state, dict) else {}


async def set_level(ctx: ServerRequestContext[Any], params: types.SetLevelRequestParams) -> types.EmptyResult:
    """logging/setLevel: this connection's records at or above `params.level` are sent to it from now on."""
    _connection_state(ctx.session)[_LEVEL_STATE_KEY] = LEVELS[params.level]
    return types.EmptyResult()


def _threshold(ctx: ServerRequestContext[Any]) -> int | None:
    if ctx.protocol_version in MODERN_PROTOCOL_VERSIONS:
        level = (ctx.meta or {}).get(LOG_LEVEL_META_KEY)
        return LEVELS.get(level) if isinstance(level, str) else None
    level_no: int | None = _connection_state(ctx.session).get(_LEVEL_STATE_KEY)
    return level_no


class LogForwarding:
    """Server middleware: while a request runs, its session receives the records it asked for."""

    def __init__(self, api_key: str | None) -> None:
        self._api_key = api_key

    async def __call__(self, ctx: ServerRequestContext[Any], call_next: CallNext) -> HandlerResult:
        # A notification has no response stream to carry records.
        threshold = _threshold(ctx) if ctx.request_id is not None else None
        if threshold is None or ctx.request_id is None:
            return await call_next(ctx)
        sink = _RequestSink(threshold, frozenset(s for s in (self._api_key, *secrets_in(ctx.params)) if s))
        token = _SINK.set(sink)
        outcome: HandlerResult = None
        failure: Exception | None = None
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(sink.deliver, ctx.session, ctx.request_id)
                try:
                    outcome = await call_next(ctx)
                except Exception as exc:  # re-raised below, unwrapped from the task group's ExceptionGroup
                    failure = exc
                finally:
                    sink.close()  # the rest of the queue is sent before the response
        finally:
            _SINK.reset(token)
        if failure is not None:
            raise failure
        return outcome
