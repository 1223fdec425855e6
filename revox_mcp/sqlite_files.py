"""SQLite as revox-mcp uses it (the change journal, the sandbox's store): one connection shared under a
lock, WAL, and explicit transactions."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def create_private(path: str | Path) -> None:
    """The file, and its folder when it is created here, for the owner only (0600, 0700): the journal
    and the sandbox hold whole assistant configurations, custom LLM keys among them."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    os.chmod(path, 0o600)


def private_side_files(path: str | Path) -> None:
    """SQLite gives the WAL and shared-memory files the database's mode; files left by an older version
    may not have it."""
    for suffix in ("-wal", "-shm"):
        side = Path(f"{path}{suffix}")
        if side.exists():
            os.chmod(side, 0o600)


def connect(path: str | Path) -> sqlite3.Connection:
    db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    # WAL with synchronous=NORMAL: a crash never corrupts or half-writes; only a power cut can lose the
    # last commits. One fsync per write less matters under load.
    db.execute("PRAGMA synchronous=NORMAL")
    return db


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception: a write lands whole or not at all."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
