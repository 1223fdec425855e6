"""Progress of work that takes more than one API request, for a client that sent a progress token.

A `Progress` is called with the steps done so far, the total if known, and a short message. The server
passes the request's reporter (a no-op when the client sent no token); everything else gets `no_progress`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

Progress = Callable[[float, float | None, str | None], Awaitable[None]]


async def no_progress(progress: float, total: float | None = None, message: str | None = None) -> None:
    """Nobody is listening."""
