"""The write lock across processes that share one SQLite journal file: an advisory `flock` on a lock file
per (lock scope, assistant), kept beside the journal in `<journal>.locks/`.

Why a file lock and not SQLite's own write transaction: a transaction held from the read through the PATCH
would block every journal write of every assistant in every process, the holder's own `pending` row
among them (which must be committed before the PATCH). A lock file per assistant excludes only writers
to that assistant, and the kernel releases it when its holder's descriptor closes, whatever ends the
process (kill -9 included): it can never be left held. `flock` (not `fcntl` record locks) because its
locks belong to the open file, so two journals in one process exclude each other too, and closing some
other descriptor of the file never drops them. Windows has no flock: there the file's first byte is
locked through msvcrt, likewise per handle and dropped when its process ends.

Waiting never blocks the event loop: a non-blocking try, then short sleeps (a cancelled wait just
closes its descriptor). A journal keeps the descriptors of its recent lock files open, unlocked, so an
uncontended lock is two system calls (about 16 us here, against 145 us when each write opened the file
on a worker thread). Lock files are never deleted (deleting one another process holds open would let
a third take a lock on a new file); there is one small empty file per assistant ever written.
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio

from revox_mcp.journal.base import LOCK_TIMEOUT_S, lock_key, lock_wait_refused

# Polling starts fast (an uncontended handover is quick) and backs off to this, so a waiter notices a
# release within about this long while costing next to nothing.
_POLL_MIN_S = 0.001
_POLL_MAX_S = 0.01


# Lock files a journal keeps open (one per assistant written to lately), so that an uncontended lock costs
# two system calls and no thread hop; past this many, a lock file is opened for one write and closed.
KEEP_OPEN = 64


def lock_folder(journal_path: Path) -> Path:
    # Beside the journal file itself: two paths to one file (a symlink) must reach one lock.
    return Path(f"{os.path.realpath(journal_path)}.locks")


def lock_name(lock_scope: str, assistant_id: str) -> str:
    # The same stable 64-bit key as the PostgreSQL lock, as a file name: no assistant id reaches the path.
    return f"{lock_key(lock_scope, assistant_id) & 0xFFFF_FFFF_FFFF_FFFF:016x}"


def lock_path(journal_path: Path, lock_scope: str, assistant_id: str) -> Path:
    return lock_folder(journal_path) / lock_name(lock_scope, assistant_id)


def _open(path: Path) -> int:
    """The lock file, created for the owner only (0600, in a 0700 folder), opened close-on-exec (a child
    process must never inherit, and so keep, a lock)."""
    path.parent.mkdir(mode=0o700, exist_ok=True)
    return os.open(path, os.O_CREAT | os.O_RDWR | getattr(os, "O_CLOEXEC", 0), 0o600)


if sys.platform == "win32":  # no flock: msvcrt's lock of the file's first byte, also per handle (untested here)
    import msvcrt

    def _try(fd: int) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


async def _acquire(fd: int, assistant_id: str, timeout_s: float) -> bool:
    """The lock on `fd`, or JournalUnavailable after `timeout_s` of another holder; whether it had to wait."""
    deadline = anyio.current_time() + timeout_s
    pause = _POLL_MIN_S
    waited = False
    # A non-blocking try is one system call that never waits: fine on the event loop.
    while not _try(fd):
        if anyio.current_time() >= deadline:
            raise lock_wait_refused(assistant_id)
        waited = True
        await anyio.sleep(pause)
        pause = min(pause * 2, _POLL_MAX_S)
    return waited


@asynccontextmanager
async def file_lock(path: Path, assistant_id: str, timeout_s: float = LOCK_TIMEOUT_S) -> AsyncIterator[None]:
    """One lock file held until the block ends, its descriptor closed after."""
    fd = await anyio.to_thread.run_sync(_open, path)
    try:
        await _acquire(fd, assistant_id, timeout_s)
        yield  # released by closing the descriptor, below (and by the kernel if this process dies)
    finally:
        os.close(fd)


class LockFiles:
    """One journal's lock files, the descriptors of recent ones kept open (at most KEEP_OPEN)."""

    def __init__(self, folder: Path, keep: int = KEEP_OPEN) -> None:
        self.folder = folder
        self._keep = keep
        self._idle: dict[str, int] = {}
        # When this process last released a lock it had had to wait for (other processes want it too).
        self._contended: dict[str, float] = {}

    @asynccontextmanager
    async def hold(self, name: str, assistant_id: str, timeout_s: float = LOCK_TIMEOUT_S) -> AsyncIterator[None]:
        # Taken out of the idle set while in use, so no two holders ever share a descriptor (two descriptors
        # of one file exclude each other, even in one process).
        fd = self._idle.pop(name, None)
        if fd is None:
            fd = await anyio.to_thread.run_sync(_open, self.folder / name)
        kept = False
        try:
            await self._courtesy(name)
            waited = await _acquire(fd, assistant_id, timeout_s)
            try:
                yield
            finally:
                _unlock(fd)
                if waited:
                    self._contended[name] = anyio.current_time()
            if len(self._idle) < self._keep:
                self._idle[name], kept = fd, True
        finally:
            if not kept:
                os.close(fd)

    async def _courtesy(self, name: str) -> None:
        """Right after releasing a lock others wait for, let one of them take it before trying again.

        This process's next writer would otherwise win every time (it tries at once; the others poll), and
        a server with several callers could keep the lock from the rest for long. Costs nothing when
        nobody else wants the lock.
        """
        released = self._contended.pop(name, None)
        if released is not None:
            await anyio.sleep(max(0.0, released + _POLL_MAX_S - anyio.current_time()))

    def close(self) -> None:
        for fd in self._idle.values():
            os.close(fd)
        self._idle.clear()
