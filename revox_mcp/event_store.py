"""Resumable Streamable HTTP streams: the events sent on each SSE stream, kept a short while, so that a client
whose stream dropped can ask for the rest (GET with `Last-Event-ID`), as the 2025-11-25 transport allows.

The SDK hands one event store to every session and names a stream by its request id alone, which sessions
share (each starts at 1): one store for all would replay one person's answers to another who asks with a
lucky id. So each session gets its own `SessionEvents`, and all of them draw on one `EventBudget`, which
bounds memory whatever clients do: at most `EventLimits.per_stream` events per stream, `per_session_bytes`
per session and `total_bytes` in all (each event counted as its JSON plus `EVENT_OVERHEAD_BYTES`), none older
than `max_age_s`. Past a bound the oldest events go first, so what is held of a stream is always its newest
part, without gaps: a resumed stream is complete, or refused (`holds` says which) and never silently short.

What is stored is the message as it goes on the wire, encoded once: answers, log records and errors are
masked before they are sent, so the store holds no secret the wire did not carry, and only in this process's
memory, for `max_age_s` at most (sooner when the session ends).
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mcp.server.streamable_http import EventCallback, EventId, EventMessage, EventStore, StreamId
from mcp_types import JSONRPCMessage, jsonrpc_message_adapter

logger = logging.getLogger(__name__)

# What one held event costs beyond its JSON (its record, its places in three indexes: 410 to 530 bytes), and
# a session holding any (its log and indexes: about 800), measured with tracemalloc on CPython 3.11
# (tests/test_event_store.py checks the bound they give): counted with each, so many small events (progress,
# log records) or many sessions are bounded as surely as a few large answers.
EVENT_OVERHEAD_BYTES = 640
SESSION_OVERHEAD_BYTES = 1_024


@dataclass(frozen=True)
class EventLimits:
    """How much of each stream is kept for a client to resume, and for how long."""

    # A request's stream holds its answer and the log records and progress sent before it.
    per_stream: int = 256
    # About 30 answers at the default ceiling (16 KB, text and structured content each).
    per_session_bytes: int = 1_048_576
    total_bytes: int = 32 * 1_048_576
    # Long enough for a client to notice a dropped stream and come back; a call that runs longer than this
    # still answers on a live stream.
    max_age_s: float = 300.0
    # What the priming event tells clients to wait before they reconnect (the SSE `retry` field).
    retry_ms: int = 1_000


@dataclass(slots=True)
class _Event:
    stream: StreamId
    data: bytes  # the message's JSON as sent; b"" for a priming event (it only marks a place in the stream)
    at: float

    @property
    def size(self) -> int:
        return len(self.data) + EVENT_OVERHEAD_BYTES


@dataclass
class _SessionLog:
    """One session's held events, oldest first, by id; each stream's ids in order; their bytes."""

    session_id: str
    next_id: int = 1
    ended: bool = False
    events: OrderedDict[int, _Event] = field(default_factory=OrderedDict)
    # Lists, not deques: a deque's first block is ~600 bytes, too much for the many one-event streams.
    streams: dict[StreamId, list[int]] = field(default_factory=dict)
    size: int = 0


class EventBudget:
    """Every session's held events, under one set of limits. Single-threaded (the event loop's)."""

    def __init__(self, limits: EventLimits | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits or EventLimits()
        self._clock = clock
        self._logs: dict[str, _SessionLog] = {}
        # Every held event across sessions, oldest first: what the total bound and the age limit drop first.
        self._order: OrderedDict[tuple[str, int], _SessionLog] = OrderedDict()
        self.size = 0

    def session(self, session_id: str) -> SessionEvents:
        # The log (its id counter above all) lives as long as the session's transport holds the adapter; the
        # budget knows it by id only while it holds some of its events, so ended sessions cost nothing here.
        return SessionEvents(self, _SessionLog(session_id))

    def end_session(self, session_id: str) -> None:
        """Forget a session's events at once (it ended: nobody may resume its streams), and hold no more."""
        log = self._logs.get(session_id)
        if log is not None:
            log.ended = True
            while log.events:
                self._drop(log, next(iter(log.events)))

    def held(self) -> int:
        return len(self._order)

    def holds(self, session_id: str, event_id: str) -> bool:
        """Whether the session can resume after this event: it is still held (all its successors are too)."""
        self._expire()
        log = self._logs.get(session_id)
        return log is not None and event_id.isdigit() and int(event_id) in log.events

    def stored_data(self) -> list[bytes]:
        """Every held message's JSON (for tests: what the store keeps is what the wire carried)."""
        return [event.data for log in self._logs.values() for event in log.events.values()]

    def add(self, log: _SessionLog, stream: StreamId, message: JSONRPCMessage | None) -> EventId:
        event_id, log.next_id = log.next_id, log.next_id + 1
        data = b"" if message is None else message.model_dump_json(by_alias=True, exclude_unset=True).encode()
        event = _Event(stream, data, self._clock())
        if log.ended:
            return str(event_id)
        if event.size > self.limits.per_session_bytes:
            # Too large to hold: rather than leave a gap a resumed stream would skip unseen, the stream's
            # earlier events go too, so resuming it before this event is refused.
            logger.info("an event of %d bytes is not held for resumption (its stream cannot be resumed)", event.size)
            self._drop_stream(log, stream)
            return str(event_id)
        log.events[event_id] = event
        log.streams.setdefault(stream, []).append(event_id)
        log.size += event.size
        self.size += event.size
        self._order[(log.session_id, event_id)] = log
        if self._logs.setdefault(log.session_id, log) is log and len(log.events) == 1:
            self.size += SESSION_OVERHEAD_BYTES
        self._enforce(log, stream)
        return str(event_id)

    def replay(self, log: _SessionLog, after: str) -> tuple[StreamId, list[EventMessage]] | None:
        """The messages of the stream that `after` belongs to, sent after it; None if it is not held."""
        if not self.holds(log.session_id, after):
            return None
        first = log.events[int(after)]
        later = [i for i in log.streams[first.stream] if i > int(after) and log.events[i].data]
        messages = [EventMessage(jsonrpc_message_adapter.validate_json(log.events[i].data), str(i)) for i in later]
        return first.stream, messages

    def _enforce(self, log: _SessionLog, stream: StreamId) -> None:
        ids = log.streams[stream]
        while len(ids) > self.limits.per_stream:
            self._drop(log, ids[0])
        while log.size > self.limits.per_session_bytes:
            self._drop(log, next(iter(log.events)))
        while self.size > self.limits.total_bytes:
            self._drop_oldest()
        self._expire()

    def _expire(self) -> None:
        horizon = self._clock() - self.limits.max_age_s
        while self._order:
            (_, event_id), log = next(iter(self._order.items()))
            if log.events[event_id].at > horizon:
                return
            self._drop(log, event_id)

    def _drop_oldest(self) -> None:
        (_, event_id), log = next(iter(self._order.items()))
        self._drop(log, event_id)

    def _drop_stream(self, log: _SessionLog, stream: StreamId) -> None:
        while log.streams.get(stream):
            self._drop(log, log.streams[stream][0])

    def _drop(self, log: _SessionLog, event_id: int) -> None:
        """Drop one event, always the oldest held of its stream (every bound drops oldest first)."""
        event = log.events.pop(event_id)
        ids = log.streams[event.stream]
        ids.remove(event_id)  # its head: found first, and the list is per_stream long at most
        if not ids:
            del log.streams[event.stream]
        log.size -= event.size
        self.size -= event.size
        del self._order[(log.session_id, event_id)]
        if not log.events and self._logs.pop(log.session_id, None) is not None:
            self.size -= SESSION_OVERHEAD_BYTES


class SessionEvents(EventStore):
    """The SDK's event store for one session: its events only, under the shared budget."""

    def __init__(self, budget: EventBudget, log: _SessionLog) -> None:
        self._budget = budget
        self._log = log

    async def store_event(self, stream_id: StreamId, message: JSONRPCMessage | None) -> EventId:
        return self._budget.add(self._log, stream_id, message)

    async def replay_events_after(self, last_event_id: EventId, send_callback: EventCallback) -> StreamId | None:
        found = self._budget.replay(self._log, last_event_id)
        if found is None:
            return None
        stream, messages = found
        for message in messages:
            await send_callback(message)
        return stream


def resume_sessions(manager: Any, budget: EventBudget) -> bool:
    """Give each new session of the SDK's session manager its own SessionEvents. SDK 2.3 hands every session
    the manager's one store; its session admission is the one place a session's transport is made. Should
    that move, sessions are served without resumption (no priming event, so clients do not try) and never
    with a store shared between sessions. Whether it took."""
    admit = getattr(manager, "_admit_session", None)
    if admit is None:
        logger.warning("this MCP SDK admits sessions elsewhere: Streamable HTTP streams are not resumable")
        return False

    def admit_resumable(*args: Any, **kwargs: Any) -> Any:
        transport = admit(*args, **kwargs)
        if transport is not None and hasattr(transport, "_event_store"):
            transport._event_store = budget.session(transport.mcp_session_id)
        return transport

    manager._admit_session = admit_resumable
    return True
