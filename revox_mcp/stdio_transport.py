"""MCP over stdin/stdout, in revox-mcp's own wiring around the SDK's server: every line gets an answer,
lines are bounded, and answers the client does not take stop the reading.

Why not the SDK's `stdio_server` (mcp 2.3.0, `mcp/server/stdio.py`): its reader iterates stdin as text
lines and parses each with pydantic (`jsonrpc_message_adapter.validate_json`). A line that fails, invalid
JSON or a lone surrogate escape such as "\\ud800" (which pydantic's JSON parser refuses as invalid JSON,
"unexpected end of hex escape"), is put on the read stream as an exception; the server's
`JSONRPCDispatcher` has no `on_stream_exception` observer, so it debug-logs and drops it: no answer, and
nothing at the default log level. Each line is held whole whatever its size; and while handlers wait on a
write nobody takes, the reader goes on dispatching new requests, so memory grows without bound.

Here: bytes are read in chunks (`stdio_lines.LineSplitter`, a line over the limit is dropped as it arrives),
each line the SDK's parser refuses gets the error that says why (`stdio_lines.decode`), and every line that
will be answered takes one of `max_in_flight` slots, freed when its answer has been written to stdout (or
the SDK settles it unanswered: a request the client cancelled). With no slot free, such lines wait in a
backlog of as many while notifications and responses are still passed on; with the backlog full too,
nothing more is read.
Blocking reads and writes run on daemon threads: a write to a pipe nobody reads blocks for good, and only a
daemon thread does not then hold the process's exit.
"""

from __future__ import annotations

import logging
import os
import queue
import select
import sys
import threading
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import anyio
import anyio.lowlevel
import mcp_types as types
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from mcp.shared.message import ServerMessageMetadata, SessionMessage
from mcp_types import INTERNAL_ERROR

from revox_mcp.config import (
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_STDIO_DRAIN_S,
    DEFAULT_STDIO_MAX_IN_FLIGHT,
    STDIO_DRAIN_ENV,
)
from revox_mcp.stdio_lines import LineSplitter, Oversized, Refused, decode, error, oversized_error

logger = logging.getLogger(__name__)

T = TypeVar("T")
RequestId = types.RequestId | None
ReadSend = MemoryObjectSendStream[SessionMessage | Exception]
ReadReceive = MemoryObjectReceiveStream[SessionMessage | Exception]
AnswerSend = MemoryObjectSendStream[SessionMessage]
Serve = Callable[[ReadReceive, AnswerSend], Awaitable[None]]
# How often a reader that waits for a free slot looks whether the client has closed stdin meanwhile.
_HANGUP_POLL_S = 0.25
# Lines at least this long are parsed on a worker thread, so the event loop is never held by one.
_THREAD_PARSE_BYTES = 65_536


@dataclass(frozen=True)
class StdioLimits:
    """`max_line_bytes`: the longest line read (a longer one is answered with an error and dropped);
    `max_in_flight`: answers owed before reading stops; `drain_s`: once stdin is closed, how long answers
    may wait to be taken before the session ends without them."""

    max_line_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_in_flight: int = DEFAULT_STDIO_MAX_IN_FLIGHT
    drain_s: float = DEFAULT_STDIO_DRAIN_S
    chunk_bytes: int = 65_536

    @classmethod
    def from_env(
        cls, max_line_bytes: int = DEFAULT_MAX_BODY_BYTES, env: Mapping[str, str] | None = None
    ) -> StdioLimits:
        raw = (os.environ if env is None else env).get(STDIO_DRAIN_ENV, "")
        try:
            drain_s = float(raw) if raw else DEFAULT_STDIO_DRAIN_S
        except ValueError:
            drain_s = -1.0
        if not drain_s >= 0:
            logger.warning("%s=%r is not a number of seconds; using %g", STDIO_DRAIN_ENV, raw, DEFAULT_STDIO_DRAIN_S)
            drain_s = DEFAULT_STDIO_DRAIN_S
        return cls(max_line_bytes=max_line_bytes, drain_s=drain_s)


class _DaemonCalls:
    """Blocking calls, one at a time, on a daemon thread of their own."""

    def __init__(self, name: str) -> None:
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], anyio.lowlevel.EventLoopToken, anyio.Event, list[Any]]]
        self._jobs = queue.SimpleQueue()
        threading.Thread(target=self._work, name=name, daemon=True).start()

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        done = anyio.Event()
        outcome: list[Any] = []
        self._jobs.put((partial(fn, *args), anyio.lowlevel.current_token(), done, outcome))
        await done.wait()
        if isinstance(outcome[0], BaseException):
            raise outcome[0]
        return outcome[0]  # type: ignore[no-any-return]

    def _work(self) -> None:
        while True:
            job, token, done, outcome = self._jobs.get()
            try:
                outcome.append(job())
            except Exception as exc:
                outcome.append(exc)
            try:
                anyio.from_thread.run_sync(done.set, token=token)
            except RuntimeError:
                return  # the event loop has ended: nobody waits any more


class _Slots:
    """Answers owed, by request id (None: our own errors to lines without an id)."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._owed: Counter[RequestId] = Counter()
        self._count = 0
        self._freed = anyio.Event()

    @property
    def full(self) -> bool:
        return self._count >= self._limit

    @property
    def owed(self) -> int:
        return self._count

    def take(self, request_id: RequestId) -> None:
        self._owed[request_id] += 1
        self._count += 1

    def settle(self, request_id: RequestId) -> None:
        if self._owed[request_id] > 0:
            self._owed[request_id] -= 1
            self._count -= 1
            self._freed.set()
            self._freed = anyio.Event()

    async def settled_unanswered(self, request_id: RequestId) -> None:
        self.settle(request_id)

    async def wait_freed(self, timeout_s: float) -> None:
        with anyio.move_on_after(timeout_s):
            await self._freed.wait()


class _Transport:
    def __init__(self, in_fd: int, out_fd: int, limits: StdioLimits) -> None:
        self._in_fd = in_fd
        self._out_fd = out_fd
        self._limits = limits
        self._slots = _Slots(limits.max_in_flight)
        self._reads = _DaemonCalls("revox-mcp stdin")
        self._writes = _DaemonCalls("revox-mcp stdout")
        self._writing_since: float | None = None
        self._stdout_gone = False
        # Requests (and our own answers) in the backlog, and cancels that came for them, by id.
        self._waiting: Counter[RequestId] = Counter()
        self._cancelled: Counter[RequestId] = Counter()

    async def serve(self, run: Serve) -> None:
        read_send, read_receive = anyio.create_memory_object_stream[SessionMessage | Exception](0)
        answer_send, answer_receive = anyio.create_memory_object_stream[SessionMessage](0)
        written = anyio.Event()
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._write_loop, answer_receive, written)
            tg.start_soon(self._read_loop, read_send, answer_send.clone())
            await run(read_receive, answer_send)
            await self._drain(written)
            tg.cancel_scope.cancel()

    async def _drain(self, written: anyio.Event) -> None:
        """After the server is done: the answers still owed go out, unless the client takes none for drain_s."""
        while not written.is_set():
            left = self._limits.drain_s - self._stalled_for()
            if left <= 0:
                print(
                    f"revox-mcp: stdout was not read for {self._limits.drain_s:g} s after stdin closed; ending the "
                    f"session with {self._slots.owed} answer(s) undelivered.",
                    file=sys.stderr,
                    flush=True,
                )
                return
            with anyio.move_on_after(left):
                await written.wait()

    def _stalled_for(self) -> float:
        return 0.0 if self._writing_since is None else anyio.current_time() - self._writing_since

    async def _read_loop(self, read_send: ReadSend, own_send: AnswerSend) -> None:
        """Lines go to the server in order, but what will be answered waits, in a backlog of at most
        max_in_flight, for one of the slots: meanwhile notifications and responses (a cancel, the answer
        to a request of the server's) are still read and passed on at once, so a handler waiting for one
        is not stuck behind a full pipeline. With the backlog full too, nothing more is read."""
        backlog_send, backlog = anyio.create_memory_object_stream[SessionMessage | Refused](self._limits.max_in_flight)
        # Exits in reverse: the server sees the end of input once both read_send clones close, then our
        # own last errors go out, then own_send closes.
        async with own_send, anyio.create_task_group() as own_answers, anyio.create_task_group() as reading:
            reading.start_soon(self._read_lines, read_send.clone(), backlog_send)
            async with read_send, backlog:
                ended = await self._take_backlog(backlog, read_send, own_send, own_answers)
                if ended:
                    reading.cancel_scope.cancel()
                else:
                    await self._answer_what_was_read()

    async def _answer_what_was_read(self) -> None:
        """At the end of input, the requests already read are answered (for up to drain_s) before the server
        is told: the SDK cancels the requests still running when its input ends."""
        with anyio.move_on_after(self._limits.drain_s):
            while self._slots.owed:
                await self._slots.wait_freed(_HANGUP_POLL_S)

    async def _read_lines(self, read_send: ReadSend, backlog: MemoryObjectSendStream[SessionMessage | Refused]) -> None:
        """Every line until the end of input: notifications and responses to the server, the rest to the
        backlog (waiting there while it is full)."""
        splitter = LineSplitter(self._limits.max_line_bytes)
        async with read_send, backlog:
            while True:
                try:
                    chunk = await self._reads.call(os.read, self._in_fd, self._limits.chunk_bytes)
                except OSError as exc:
                    logger.warning("stdin could not be read (%s); ending the session", type(exc).__name__)
                    return
                for line in splitter.feed(chunk) if chunk else splitter.end():
                    message = await self._decoded(line)
                    if message is None:
                        continue
                    if isinstance(message, Refused) or isinstance(message.message, types.JSONRPCRequest):
                        self._waiting[_id_of(message)] += 1
                        await backlog.send(message)
                    else:
                        self._note_cancel(message)
                        await read_send.send(message)
                if not chunk:
                    return

    async def _decoded(self, line: bytes | Oversized) -> SessionMessage | Refused | None:
        if isinstance(line, Oversized):
            return oversized_error(line, self._limits.max_line_bytes)
        message = await anyio.to_thread.run_sync(decode, line) if len(line) >= _THREAD_PARSE_BYTES else decode(line)
        if message is None:
            logger.warning("dropped a notification holding a lone surrogate (a notification gets no answer)")
        return message

    def _note_cancel(self, message: SessionMessage) -> None:
        """A cancel for a request still in the backlog: the server never saw it, so it is dropped there."""
        wire = message.message
        if isinstance(wire, types.JSONRPCNotification) and wire.method == "notifications/cancelled":
            request_id = (wire.params or {}).get("requestId")
            if isinstance(request_id, str | int) and self._waiting[request_id]:
                self._cancelled[request_id] += 1

    async def _take_backlog(
        self,
        backlog: MemoryObjectReceiveStream[SessionMessage | Refused],
        read_send: ReadSend,
        own_send: AnswerSend,
        own_answers: TaskGroup,
    ) -> bool:
        """Pass each waiting line on as a slot frees; True once the session must end (stdin closed, and
        answers not taken for drain_s)."""
        async for message in backlog:
            request_id = _id_of(message)
            self._waiting[request_id] -= 1
            if self._cancelled[request_id]:
                self._cancelled[request_id] -= 1
                continue
            if not await self._room_for_one():
                return True
            self._slots.take(request_id)
            if isinstance(message, Refused):
                own_answers.start_soon(own_send.send, message.answer)
                continue
            settled = partial(self._slots.settled_unanswered, request_id)
            message.metadata = ServerMessageMetadata(on_request_unanswered=settled)
            await read_send.send(message)
        return False

    async def _room_for_one(self) -> bool:
        """Wait for a free slot; False once the client has closed stdin and not read for drain_s."""
        while self._slots.full:
            await self._slots.wait_freed(_HANGUP_POLL_S)
            if self._slots.full and self._stalled_for() > self._limits.drain_s and _hung_up(self._in_fd):
                return False  # _drain says so on stderr
        return True

    async def _write_loop(self, answers: MemoryObjectReceiveStream[SessionMessage], written: anyio.Event) -> None:
        try:
            async with answers:
                async for message in answers:
                    await self._write(message)
                    wire = message.message
                    if isinstance(wire, types.JSONRPCResponse | types.JSONRPCError):
                        self._slots.settle(wire.id)
        finally:
            written.set()

    async def _write(self, message: SessionMessage) -> None:
        data = _encoded(message.message)
        if self._stdout_gone or not data:
            return
        self._writing_since = anyio.current_time()
        try:
            await self._writes.call(_write_all, self._out_fd, data)
        except OSError as exc:
            self._stdout_gone = True
            logger.warning("stdout is closed (%s): answers from now on are dropped", type(exc).__name__)
        finally:
            self._writing_since = None


def _id_of(message: SessionMessage | Refused) -> RequestId:
    if isinstance(message, Refused):
        return message.request_id
    wire = message.message
    return wire.id if isinstance(wire, types.JSONRPCRequest) else None


def _encoded(wire: types.JSONRPCMessage) -> bytes:
    """One line of UTF-8 JSON. An answer that cannot be encoded (a lone surrogate in it) becomes an error for
    its request, so that the request is still answered; any other such message is dropped."""
    try:
        return (wire.model_dump_json(by_alias=True, exclude_unset=True) + "\n").encode("utf-8")
    except ValueError:
        if not isinstance(wire, types.JSONRPCResponse | types.JSONRPCError):
            logger.warning("dropped an outgoing message that is not valid Unicode")
            return b""
        text = "The answer holds text that is not valid Unicode (a lone surrogate) and could not be sent."
        fallback = error(INTERNAL_ERROR, text, wire.id if _encodable(wire.id) else None).message
        return (fallback.model_dump_json(by_alias=True, exclude_unset=True) + "\n").encode("utf-8")


def _encodable(request_id: RequestId) -> bool:
    if isinstance(request_id, str):
        try:
            request_id.encode("utf-8")
        except UnicodeEncodeError:
            return False
    return True


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _hung_up(fd: int) -> bool:
    """Whether the client has closed its end of stdin (a pipe), even with lines still unread in it."""
    if not hasattr(select, "poll"):
        return False
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return any(events & (select.POLLHUP | select.POLLERR) for _, events in poller.poll(0))


@contextmanager
def _claimed_std_fds() -> Iterator[tuple[int, int]]:
    """Private duplicates of fd 0 and 1 carry the protocol, while fd 0 reads the null device and fd 1 goes to
    stderr, so that a stray print (ours, a library's, a child's) cannot corrupt a message. Restored on exit;
    the duplicates stay open, since a daemon thread may still be blocked on one."""
    sys.stdout.flush()
    in_fd, out_fd = _private_dup(0), _private_dup(1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    try:
        yield in_fd, out_fd
    finally:
        os.dup2(in_fd, 0)
        os.dup2(out_fd, 1)


def _private_dup(fd: int) -> int:
    if sys.platform == "win32":  # pragma: no cover
        return os.dup(fd)
    import fcntl

    return fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3)


async def serve_stdio(run: Serve, limits: StdioLimits) -> None:
    """Run `run(read_stream, write_stream)` (the SDK server's `run`) over this process's stdin and stdout."""
    with _claimed_std_fds() as (in_fd, out_fd):
        await _Transport(in_fd, out_fd, limits).serve(run)
