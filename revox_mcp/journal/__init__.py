"""The change journal: one interface (Journal), three backends (SQLite, PostgreSQL, none)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from revox_mcp.journal.base import Journal, JournalEntry, NullJournal, Status
from revox_mcp.journal.sqlite import SqliteJournal

if TYPE_CHECKING:
    from revox_mcp.config import Settings

__all__ = ["Journal", "JournalEntry", "NullJournal", "SqliteJournal", "Status", "open_journal"]


async def open_journal(settings: Settings) -> Journal:
    """The journal the settings name, opened: PostgreSQL for a URL, SQLite for a file, else none."""
    journal: Journal
    if settings.journal_url:
        # Imported here: a server on SQLite never loads psycopg.
        from revox_mcp.journal.postgres import PostgresJournal

        journal = PostgresJournal(settings.journal_url, settings.scope, lock_scope=settings.lock_scope)
    elif settings.journal_path is not None:
        journal = SqliteJournal(settings.journal_path, settings.scope, lock_scope=settings.lock_scope)
    else:
        journal = NullJournal(settings.scope)
    await journal.open()
    return journal
