"""The change journal on PostgreSQL: one journal and one write lock for several replicas of the server.

Same rows and meaning as the SQLite journal. The tables are created and migrated at start, each step
recorded in `schema_version`, under an advisory lock so that replicas starting together migrate once.
A write to an assistant holds a transaction-scoped advisory lock on (API base URL, assistant id) from its
read through the PATCH to the journal row, so no two replicas interleave a read-modify-write on it. The
lock lives as long as its connection's transaction: server timeouts are off inside it, the connection is
checked right before the PATCH, and a transaction that cannot commit after the PATCH is reported
(LockLost) so that the writer can answer with a warning. Any driver error is JournalUnavailable, worded
for an agent (no address, no driver text); the operator's log has the details, the password masked.
psycopg's async pool keeps every access off the event loop.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import anyio
import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from revox_mcp.errors import ConfigError
from revox_mcp.journal.base import LOCK_TIMEOUT_S, JournalUnavailable, LockLost, lock_key, lock_wait_refused
from revox_mcp.journal.sql import Row, SqlJournal
from revox_mcp.redaction import mask_text, scrub

T = TypeVar("T")
logger = logging.getLogger(__name__)
__all__ = ["JournalUnavailable", "PostgresJournal", "check", "lock_key", "shown_url"]

# Each step, once applied, is recorded in schema_version and never edited: a later change is a new step.
# JSON is kept as text, exactly as the SQLite journal keeps it, so both read back the same values.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE changes (
        seq BIGSERIAL PRIMARY KEY,
        change_id TEXT NOT NULL UNIQUE,
        scope TEXT NOT NULL,
        created_at TEXT NOT NULL,
        assistant_id TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'applied', 'failed')),
        fields TEXT NOT NULL,
        patch TEXT NOT NULL,
        edits TEXT NOT NULL,
        body TEXT NOT NULL,
        reason TEXT,
        reverts TEXT,
        before TEXT NOT NULL,
        after TEXT,
        status_reason TEXT,
        actor TEXT
    );
    CREATE INDEX changes_by_assistant ON changes (scope, assistant_id, seq);
    CREATE INDEX changes_pending ON changes (scope, assistant_id) WHERE status = 'pending';
    CREATE TABLE test_calls (
        seq BIGSERIAL PRIMARY KEY,
        scope TEXT NOT NULL,
        created_at TEXT NOT NULL,
        assistant_id TEXT NOT NULL,
        phone_number TEXT NOT NULL,
        call_id TEXT,
        candidate TEXT NOT NULL,
        reason TEXT,
        actor TEXT
    );
    CREATE INDEX test_calls_by_assistant ON test_calls (scope, assistant_id, seq);
    """,
    # Times to the microsecond: rows stored to the second ('...T12:00:05Z') become the same instant in
    # today's form ('...T12:00:05.000000Z'), so that text order is time order. And when a PATCH was
    # last sent (NULL for older rows: created_at stands for it).
    """
    ALTER TABLE changes ADD COLUMN sent_at TEXT;
    UPDATE changes SET created_at = left(created_at, 19) || '.000000Z'
        WHERE created_at ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$';
    UPDATE test_calls SET created_at = left(created_at, 19) || '.000000Z'
        WHERE created_at ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$';
    """,
    # The sender's grace: a row is decided by its own sender's timeouts.
    """
    ALTER TABLE changes ADD COLUMN grace_s DOUBLE PRECISION;
    """,
    # Keyed digests where a change replaced a secret by one that masks the same.
    """
    ALTER TABLE changes ADD COLUMN secret_digests TEXT;
    """,
    # Actions (revox_mcp.actions) beside updates: NULL in older rows, which are updates of their assistant.
    """
    ALTER TABLE changes ADD COLUMN kind TEXT;
    ALTER TABLE changes ADD COLUMN target_type TEXT;
    ALTER TABLE changes ADD COLUMN target_id TEXT;
    ALTER TABLE changes ADD COLUMN action TEXT;
    CREATE INDEX changes_by_target ON changes (scope, target_type, target_id, seq);
    """,
    # Observations of assistants (revox_mcp.observations): a digest per field, the newest one's values, each
    # version once however many replicas read it.
    """
    CREATE TABLE observations (
        seq BIGSERIAL PRIMARY KEY,
        scope TEXT NOT NULL,
        assistant_id TEXT NOT NULL,
        updated_at TEXT,
        moment TEXT NOT NULL,
        digest TEXT NOT NULL,
        fields TEXT NOT NULL,
        observed_values TEXT,
        observed_at TEXT NOT NULL
    );
    CREATE UNIQUE INDEX observations_once ON observations (scope, assistant_id, moment, digest);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
# Advisory-lock key of the migration (any constant that no assistant's key is likely to be).
_MIGRATION_LOCK = 0x7265766F786D6370  # "revoxmcp"
CONNECT_TIMEOUT_S = 5
POOL_SIZE = 10
# A dead peer (a database restarted, a network cut) is noticed within about idle + interval * count seconds.
KEEPALIVES: dict[str, Any] = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 3}
# scheme://userinfo@: the userinfo runs to the LAST '@' before the path or query (a password may hold '@' or
# '/' unencoded), or to the last '@' at all when what follows has no path.
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)(.*)@([^@]*)$", re.S)
_PASSWORD_PARAM = re.compile(r"([?&]password=)[^&#]*", re.I)


def shown_url(url: str) -> str:
    """The URL as it may be printed: everything between '://' and the last '@' masked (the userinfo, however
    badly encoded), a password= parameter masked whole, and the password itself wherever else it appears."""
    shown = _PASSWORD_PARAM.sub(r"\1…", url)
    found = _USERINFO.match(shown)
    if found:
        shown = f"{found.group(1)}…@{found.group(3)}"
    return _hide(mask_text(shown), url)


def _hide(text: str, url: str) -> str:
    """`text` without the URL's password anywhere (wholly: not even its last characters)."""
    password = _password(url)
    return text.replace(password, "…") if password and len(password) >= 4 else scrub(text, [password])


def url_problem(url: str) -> str | None:
    """Why the URL cannot be used as written, in words that never quote it (it may hold the password)."""
    found = _USERINFO.match(url.partition("?")[0])  # the userinfo: up to the last '@' before the query
    userinfo = found.group(2) if found else ""
    if re.search(r"[/@#]|%(?![0-9A-Fa-f]{2})", userinfo):
        return (
            "its user or password holds reserved characters that are not %-encoded ('/', '@', '#' or a '%' not "
            "followed by two hex digits): encode them (e.g. '@' as %40, '/' as %2F, '%' as %25). The URL is "
            "not shown: it holds the password."
        )
    try:
        conninfo_to_dict(url)
    except psycopg.Error:
        return "it cannot be parsed as a postgresql:// URL (the URL is not shown: it may hold the password)."
    return None


def _password(url: str) -> str | None:
    try:
        return conninfo_to_dict(url).get("password")  # type: ignore[return-value]
    except psycopg.Error:
        return None


def one_line(exc: BaseException, url: str) -> str:
    """psycopg's message on one line, with the password masked wherever it appears. A URL libpq cannot parse
    gives no message: libpq quotes the part it could not read, which may be the password."""
    if url_problem(url) is not None:
        return "the URL cannot be parsed"
    text = " ".join(str(exc).split()) or type(exc).__name__
    return _hide(mask_text(text), url)


def _placeholders(sql: str) -> str:
    """The shared statements' `?` placeholders as psycopg's `%s` (no statement holds a literal '?' or '%')."""
    return sql.replace("?", "%s")


def _no_nul(params: tuple[Any, ...]) -> tuple[Any, ...]:
    """PostgreSQL text cannot hold a NUL character: one in a stored text (JSON is stored escaped) becomes U+FFFD."""
    return tuple(p.replace("\0", "\ufffd") if isinstance(p, str) else p for p in params)


def unavailable(exc: BaseException, url: str) -> JournalUnavailable:
    """What an agent is told when the journal fails (no address, no driver text); the operator's log gets both."""
    logger.warning("the change journal at %s failed: %s", shown_url(url), one_line(exc, url))
    return JournalUnavailable(
        "The change journal (PostgreSQL) is unavailable right now. If this was a write, check with get_assistant "
        "whether it landed before trying again; otherwise try again in a minute."
    )


async def migrate(conn: psycopg.AsyncConnection[Any]) -> int:
    """Create or bring the tables up to SCHEMA_VERSION; the version the database is at."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        cursor = await conn.execute("SELECT to_regclass('schema_version') IS NOT NULL")
        row = await cursor.fetchone()
        if not (row and row[0]):
            # DDL only when a step is pending: a role with data privileges only can start an up-to-date journal.
            await conn.execute(
                "CREATE TABLE schema_version ("
                "version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
            )
        cursor = await conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version")
        row = await cursor.fetchone()
        current = int(row[0]) if row else 0
        if current > SCHEMA_VERSION:
            raise ConfigError(
                f"the journal database is at schema version {current}, newer than this release knows "
                f"({SCHEMA_VERSION}): upgrade revox-mcp, or use another database."
            )
        for version in range(current + 1, SCHEMA_VERSION + 1):
            await conn.execute(MIGRATIONS[version - 1])
            await conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (version,))
    return SCHEMA_VERSION


async def check(url: str) -> None:
    """Reach the database and migrate it, or raise ConfigError in one line (for the start of `serve`)."""
    problem = url_problem(url)
    if problem is not None:
        raise ConfigError(f"cannot open the journal: the postgresql:// URL cannot be used: {problem}")
    try:
        async with await psycopg.AsyncConnection.connect(
            url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S, **KEEPALIVES
        ) as conn:
            await migrate(conn)
    except psycopg.Error as exc:
        raise ConfigError(f"cannot open the journal at {shown_url(url)}: {one_line(exc, url)}") from None


class PostgresJournal(SqlJournal):
    def __init__(self, url: str, scope: str, pool_size: int = POOL_SIZE, lock_scope: str | None = None) -> None:
        super().__init__(scope)
        self.url = url
        # The write lock is keyed on the API and the assistant, not on the key: replicas on an old and a new
        # key (a rotation) still exclude each other.
        self.lock_scope = lock_scope or scope
        self._pool: AsyncConnectionPool[psycopg.AsyncConnection[Any]] = AsyncConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            open=False,
            kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT_S, **KEEPALIVES},
            # A connection that died while idle (the database restarted) is replaced, not handed out.
            check=AsyncConnectionPool.check_connection,
            name="revox-mcp-journal",
        )
        # The connection holding each assistant's write lock, checked right before the PATCH.
        self._holding: dict[str, psycopg.AsyncConnection[Any]] = {}
        # At most half the pool holds write locks, so the journal rows of the writers holding them always
        # find a connection (every one held by a lock waiting for a row's connection would deadlock).
        self._lock_slots = anyio.Semaphore(max(1, pool_size // 2))

    def __repr__(self) -> str:
        return f"PostgresJournal({shown_url(self.url)!r})"

    async def open(self) -> None:
        await check(self.url)
        await self._pool.open(wait=True, timeout=CONNECT_TIMEOUT_S * 2)

    async def aclose(self) -> None:
        await self._pool.close()

    @asynccontextmanager
    async def _shared_lock(self, assistant_id: str, wait: bool = True) -> AsyncIterator[None]:
        done = False
        async with self._lock_slots, self._connection() as conn:
            try:
                async with conn.transaction():
                    await self._take_lock(conn, assistant_id, wait)
                    self._holding[assistant_id] = conn
                    try:
                        yield  # held until this transaction ends: after the PATCH and the journal row
                    finally:
                        self._holding.pop(assistant_id, None)
                    done = True
            except psycopg.Error as exc:
                if done:  # the write went through, but the lock's transaction could not commit
                    logger.warning("the write lock on %s ended early: %s", assistant_id, one_line(exc, self.url))
                    raise LockLost("the write lock's transaction could not commit") from None
                raise unavailable(exc, self.url) from None

    async def _take_lock(self, conn: psycopg.AsyncConnection[Any], assistant_id: str, wait: bool = True) -> None:
        # A PATCH may take long: no server timeout may end the transaction (and so the lock) under it.
        await conn.execute("SET LOCAL idle_in_transaction_session_timeout = 0")
        await conn.execute("SET LOCAL statement_timeout = 0")
        key = lock_key(self.lock_scope, assistant_id)
        if not wait:
            (taken,) = await (await conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (key,))).fetchone() or (False,)
            if not taken:
                raise lock_wait_refused(assistant_id)
            return
        await conn.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT_S}s'")
        try:
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (key,))
        except psycopg.errors.LockNotAvailable:
            raise lock_wait_refused(assistant_id) from None

    async def confirm_lock(self, assistant_id: str) -> None:
        conn = self._holding.get(assistant_id)
        try:
            if conn is None:
                raise psycopg.OperationalError("no connection holds the lock")
            await conn.execute("SELECT 1")
        except psycopg.Error as exc:
            logger.warning("the write lock on %s was lost: %s", assistant_id, one_line(exc, self.url))
            raise LockLost(
                f"The shared journal's write lock on {assistant_id} was lost before the write (its database "
                "connection failed). Nothing was sent to the API. Try again in a minute."
            ) from None

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        try:
            async with self._pool.connection(timeout=CONNECT_TIMEOUT_S * 2) as conn:
                yield conn
        except (psycopg.Error, PoolTimeout) as exc:
            raise unavailable(exc, self.url) from None

    async def _with(self, work: Callable[[psycopg.AsyncConnection[Any]], Awaitable[T]]) -> T:
        async with self._connection() as conn:
            return await work(conn)

    async def _run(self, sql: str, params: Row) -> None:
        async def run(conn: psycopg.AsyncConnection[Any]) -> None:
            await conn.execute(_placeholders(sql), _no_nul(params))

        await self._with(run)

    async def _fetch(self, sql: str, params: Row) -> list[Row]:
        async def fetch(conn: psycopg.AsyncConnection[Any]) -> list[Row]:
            cursor = await conn.execute(_placeholders(sql), _no_nul(params))
            return await cursor.fetchall()

        return await self._with(fetch)

    async def _read_page(self, count: str, count_params: Row, rows: str, rows_params: Row) -> tuple[list[Row], int]:
        async def read(conn: psycopg.AsyncConnection[Any]) -> tuple[list[Row], int]:
            # One snapshot for the count and the page, so they agree while other replicas write.
            async with conn.transaction():
                await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                cursor = await conn.execute(_placeholders(count), _no_nul(count_params))
                (total,) = await cursor.fetchone()  # type: ignore[misc]
                cursor = await conn.execute(_placeholders(rows), _no_nul(rows_params))
                return await cursor.fetchall(), int(total)

        return await self._with(read)
