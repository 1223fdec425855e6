"""The event store's bounds (per stream, per session, in all, by age) and its isolation of sessions, directly;
tests/test_resumption.py has it over real HTTP."""

from __future__ import annotations

import gc
import tracemalloc

import pytest
from mcp.server.streamable_http import EventMessage
from mcp_types import JSONRPCNotification, JSONRPCResponse

from revox_mcp.event_store import EVENT_OVERHEAD_BYTES, SESSION_OVERHEAD_BYTES, EventBudget, EventLimits, SessionEvents

pytestmark = pytest.mark.anyio


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def answer(request_id: int, text: str = "ok") -> JSONRPCResponse:
    return JSONRPCResponse(jsonrpc="2.0", id=request_id, result={"content": [{"type": "text", "text": text}]})


def progress(step: int) -> JSONRPCNotification:
    return JSONRPCNotification(jsonrpc="2.0", method="notifications/progress", params={"progress": step})


async def replayed(store: SessionEvents, after: str) -> list[EventMessage] | None:
    sent: list[EventMessage] = []

    async def collect(message: EventMessage) -> None:
        sent.append(message)

    return sent if await store.replay_events_after(after, collect) is not None else None


async def test_a_stream_replays_what_followed_the_event_and_only_its_own() -> None:
    budget = EventBudget()
    store = budget.session("a")
    priming = await store.store_event("2", None)
    other = await store.store_event("3", None)
    first = await store.store_event("2", progress(1))
    await store.store_event("3", answer(3))
    last = await store.store_event("2", answer(2))
    messages = await replayed(store, priming)
    assert messages is not None and [m.event_id for m in messages] == [first, last]
    assert messages[1].message == answer(2)
    assert [m.event_id for m in await replayed(store, other) or []] == [str(int(last) - 1)]


async def test_sessions_share_no_events_though_their_ids_look_alike() -> None:
    budget = EventBudget()
    mine, theirs = budget.session("mine"), budget.session("theirs")
    their_id = await theirs.store_event("1", None)
    await theirs.store_event("1", answer(1, "their secret answer"))
    assert await replayed(mine, their_id) is None and not budget.holds("mine", their_id)
    assert await mine.store_event("1", None) == their_id  # same numbering, different stream


async def test_each_bound_drops_the_oldest_first_and_never_leaves_a_gap() -> None:
    clock = Clock()
    limits = EventLimits(per_stream=3, per_session_bytes=6 * EVENT_OVERHEAD_BYTES, total_bytes=8 * 1024)
    budget = EventBudget(limits, clock)
    store = budget.session("s")
    ids = [await store.store_event("1", progress(i)) for i in range(5)]
    # Per stream: the newest three; resuming from one dropped is refused rather than replayed short.
    assert [budget.holds("s", i) for i in ids] == [False, False, True, True, True]
    assert await replayed(store, ids[1]) is None
    others = [await store.store_event(str(n), progress(n)) for n in range(2, 6)]
    # Per session: bytes over its cap drop its oldest events, whichever stream they are in.
    assert budget.size <= limits.per_session_bytes + SESSION_OVERHEAD_BYTES and budget.holds("s", others[-1])
    assert not budget.holds("s", ids[2])
    clock.now += limits.max_age_s + 1
    assert not budget.holds("s", others[-1]) and budget.held() == 0 and budget.size == 0


async def test_an_event_too_large_to_hold_makes_its_stream_unresumable_before_it() -> None:
    budget = EventBudget(EventLimits(per_session_bytes=4 * 1024))
    store = budget.session("s")
    priming = await store.store_event("1", None)
    await store.store_event("1", answer(1, "x" * 8 * 1024))
    assert not budget.holds("s", priming)  # its answer would be missing from the replay: refused instead


async def test_the_total_bound_holds_whatever_many_sessions_send() -> None:
    limits = EventLimits(total_bytes=256 * 1024)
    budget = EventBudget(limits)
    stores = [budget.session(f"s{n}") for n in range(200)]
    for round_ in range(20):
        for store in stores:
            await store.store_event(str(round_), answer(round_, "y" * 200))
    assert budget.size <= limits.total_bytes
    newest = await stores[0].store_event("x", answer(1))
    assert budget.holds("s0", newest)


# Many sessions with one event each, one session with one long stream, many one-event streams, and a mix.
@pytest.mark.parametrize(("sessions", "events", "streams"), [(4_000, 1, 1), (1, 8_000, 1), (400, 10, 10), (50, 160, 7)])
async def test_memory_held_stays_within_the_counted_bytes(sessions: int, events: int, streams: int) -> None:
    # The overheads counted are what keep many tiny events, or many sessions, bounded: the memory really taken
    # (traced, sessions' adapters aside: their transports hold them) must not exceed what the budget counts.
    limits = EventLimits(total_bytes=1 << 30, per_stream=1 << 30, per_session_bytes=1 << 30)
    names = [f"{n:032x}" for n in range(sessions)]  # shaped like the SDK's session ids (uuid4().hex)
    gc.collect()
    tracemalloc.start()
    try:
        budget = EventBudget(limits)
        stores = [budget.session(name) for name in names]
        before = tracemalloc.get_traced_memory()[0]
        for step in range(events):
            for store in stores:
                await store.store_event(str(step % streams), progress(step))
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert held <= budget.size, f"{held:,} bytes traced for {budget.held():,} events counted as {budget.size:,}"


async def test_an_ended_session_is_forgotten_and_holds_no_more() -> None:
    budget = EventBudget()
    store = budget.session("s")
    await store.store_event("1", answer(1))
    budget.end_session("s")
    await store.store_event("1", answer(2))
    assert budget.held() == 0 and budget.size == 0
