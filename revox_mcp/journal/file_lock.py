"""The write lock across processes that share one SQLite journal file: an advisory `flock` on a lock file
per (lock scope, assistant), kept beside the journal in `<journal>.locks/`.

Why a file lock and not SQLite's own write transaction: a transaction held from the read through the PATCH
would block every journal write of every assistant in every process, the holder's own `pending` row
among them (which must be committed before the PATCH). A lock file per assistant excludes only writers
to that assistant, and the kernel releases it when its holder's descriptor closes, whatever ends the
process (kill -9 included): it can never be left held. `flock` (not `fcntl` record locks) because its
locks belong to the open file, so two journals in one process exclude each other too, and closing some
other descriptor of the file never drops them.

Waiting never blocks the event loop: a non-blocking try, then short sleeps (a cancelled wait just
closes its descriptor). Lock files are never deleted (deleting one another process holds open would let
a third take a lock on a new file); there is one small empty file per assistant ever written.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio

from revox_mcp.journal.base import LOCK_TIMEOUT_S, lock_key, lock_wait_refused

# Polling starts fast (an uncontended handover is quick) and backs off to this, so a waiter notices a
# release within about this long while costing next to nothing.
_POLL_MIN_S = 0.001
_POLL_MAX_S = 0.02


def lock_folder(journal_path: Path) -> Path:
    return Path(f"{journal_path}.locks")


def lock_path(journal_path: Path, lock_scope: str, assistant_id: str) -> Path:
    # The same stable 64-bit key as the PostgreSQL lock, as a file name: no assistant id reaches the path.
    return lock_folder(journal_path) / f"{lock_key(lock_scope, assistant_id) & 0xFFFF_FFFF_FFFF_FFFF:016x}"


def _open(path: Path) -> int:
    """The lock file, created for the owner only (0600, in a 0700 folder), opened close-on-exec."""
    path.parent.mkdir(mode=0o700, exist_ok=True)
    return os.open(path, os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, 0o600)


def _try(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@asynccontextmanager
async def file_lock(path: Path, assistant_id: str, timeout_s: float = LOCK_TIMEOUT_S) -> AsyncIterator[None]:
    """Held until the block ends; JournalUnavailable after `timeout_s` of another process holding it."""
    fd = await anyio.to_thread.run_sync(_open, path)
    try:
        deadline = anyio.current_time() + timeout_s
        pause = _POLL_MIN_S
        # flock with LOCK_NB is one system call that never waits: fine on the event loop.
        while not _try(fd):
            if anyio.current_time() >= deadline:
                raise lock_wait_refused(assistant_id)
            await anyio.sleep(pause)
            pause = min(pause * 2, _POLL_MAX_S)
        yield  # released by closing the descriptor, below (and by the kernel if this process dies)
    finally:
        os.close(fd)
