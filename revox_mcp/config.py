"""Settings for talking to the Revox API, read once from flags and the environment."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

API_KEY_ENV = "REVOX_API_KEY"
BASE_URL_ENV = "REVOX_BASE_URL"
JOURNAL_URL_ENV = "REVOX_MCP_JOURNAL_URL"
DEFAULT_BASE_URL = "https://www.getrevox.com/api"

# The tool families an operator can offer (serve --tools, REVOX_MCP_TOOLS, `tools` in the policy file): every
# tool of revox-mcp is in exactly one (tests/test_tool_families.py). Names of tools not built yet are listed too.
TOOLS_ENV = "REVOX_MCP_TOOLS"
TOOL_FAMILIES: dict[str, tuple[str, ...]] = {
    "assistants": (
        "list_assistants",
        "get_assistant",
        "update_assistant",
        "list_changes",
        "revert_change",
        "clone_assistant",
        "create_assistant",
    ),
    "numbers": ("list_phone_numbers", "update_phone_number"),
    "calls": ("search_calls", "get_call", "get_phone_history", "cancel_call", "pause_call", "resume_call"),
    "campaigns": ("list_campaigns", "get_campaign", "pause_campaign", "resume_campaign"),
    "voices": ("list_voices", "preview_voice"),
    "tuning": ("change_impact", "compare_assistants", "place_test_call"),
}

# Connect fails fast so a dead host is retried quickly; reads allow for a slow PATCH.
DEFAULT_CONNECT_TIMEOUT_S = 5.0
DEFAULT_READ_TIMEOUT_S = 30.0
DEFAULT_MAX_RETRIES = 3
DEFAULT_BACKOFF_BASE_S = 0.5
DEFAULT_BACKOFF_MAX_S = 8.0
# A Retry-After beyond this is not waited out: the agent gets a clear error and can decide itself.
DEFAULT_RETRY_AFTER_MAX_S = 30.0
DEFAULT_CATALOG_TTL_S = 300.0
# A write sent without an answer (a timeout, a dropped connection, a cancel, a crash) may still land until
# the request can no longer be delivered: the client's own timeouts, plus a margin for whatever sits between
# us and the API. Until then its outcome is undecided, and nothing is sent over it.
WRITE_GRACE_MARGIN_S = 30.0
# How long a write waits for an earlier undecided write to the same assistant to be decided before it
# refuses (the same cap as the wait for the write lock).
DEFAULT_SETTLE_WAIT_MAX_S = 30.0
# An API answer larger than this is refused unread (a 3,000-item assistant is about 1.5 MB).
DEFAULT_MAX_ANSWER_BYTES_FROM_API = 32 * 1024 * 1024
WRITE_GRACE_ENV = "REVOX_MCP_WRITE_GRACE_S"
READ_TIMEOUT_ENV = "REVOX_MCP_READ_TIMEOUT_S"
# Serving over Streamable HTTP.
DEFAULT_HTTP_HOST = "127.0.0.1"
DEFAULT_HTTP_PORT = 8000
# Generous for any patch (a 100,000-character prompt is ~100 KB) and small enough to refuse abuse.
DEFAULT_MAX_BODY_BYTES = 1_048_576
# Bounded answers: every tool's answer, its text content and its structured content each, stays within this
# many bytes (UTF-8 JSON), whatever the assistant's size; an operator raises it with --max-answer-bytes or the
# variable. Tools page themselves under it; over it, the last guard shortens the answer and says how to read on.
MAX_ANSWER_BYTES_ENV = "REVOX_MCP_MAX_ANSWER_BYTES"
DEFAULT_MAX_ANSWER_BYTES = 16_384
# Below this a page could not hold one ordinary FAQ item beside the answer's own keys.
MIN_MAX_ANSWER_BYTES = 4_096
# A page of a list or a text takes this share of the ceiling (the same bytes come twice: text and structured).
PAGE_SHARE = 0.4
# Most items (list pages, search matches) and characters (text pages) one page may hold, whatever the bytes.
MAX_PAGE_ITEMS = 500
MAX_PAGE_CHARS = 100_000
# An error names at most this many nearest candidates, each compared on at most NEAREST_CHARS characters,
# among at most NEAREST_POOL candidates (difflib is quadratic in the strings' length).
NEAREST_SHOWN = 3
NEAREST_CHARS = 120
NEAREST_POOL = 5_000


class Timings(TypedDict, total=False):
    write_grace_s: float
    read_timeout_s: float


def timings_from_env(env: Mapping[str, str]) -> Timings:
    """The write grace and the read timeout, where the environment sets them (tests and slow networks);
    a value that is not a positive number is a ConfigError-worthy mistake, reported by the caller."""
    found = Timings()
    if env.get(WRITE_GRACE_ENV):
        found["write_grace_s"] = _seconds(WRITE_GRACE_ENV, env[WRITE_GRACE_ENV])
    if env.get(READ_TIMEOUT_ENV):
        found["read_timeout_s"] = _seconds(READ_TIMEOUT_ENV, env[READ_TIMEOUT_ENV])
    return found


def _seconds(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not value > 0:
        raise ValueError(f"{name} must be a positive number of seconds, got {raw!r}")
    return value


# Transports: stdio lines, stdio backpressure, HTTP sessions per person, log records.
# stdio reads at most this many requests ahead of the answers the client has taken (then stops reading).
DEFAULT_STDIO_MAX_IN_FLIGHT = 16
# Once the client has closed stdin, answers it does not take within this time are dropped and the server ends.
DEFAULT_STDIO_DRAIN_S = 10.0
STDIO_DRAIN_ENV = "REVOX_MCP_STDIO_DRAIN_S"
# Streamable HTTP sessions one person of the tokens file may hold open; past it, their oldest is closed.
DEFAULT_SESSIONS_PER_PERSON = 20
# Every log record revox-mcp writes (stderr, and notifications to the client) is cut to this many characters.
DEFAULT_MAX_LOG_CHARS = 4096


# Bounded input: what one argument may hold, checked before any other work on a call (masking, logging,
# validation), so no string of any size reaches a scan, a difflib call or the log.
# Any string inside update_assistant's patch or edits (the prompt, an FAQ answer): the SDK states no maximum,
# so a generous one, twice the longest prompt seen in practice and well under the HTTP body limit.
MAX_TEXT_CHARS = 200_000
# An object's key anywhere in the arguments (a field name, a header name, a prompt variable).
MAX_KEY_CHARS = 1_000
# A string argument whose schema states no maximum and no enum (none should: a test checks every tool).
MAX_ARGUMENT_CHARS = 500
# What a "did you mean" hint compares: the value and each candidate cut to this many characters, at most this
# many candidates screened (difflib's quick ratios, linear), and the full ratio for the few best of them only.
# difflib's ratio grows faster than the square of the length on repetitive text (measured: 2.5 ms for two
# 32-character strings, 40 ms at 80, 150 ms at 200), hence a short cut.
MAX_HINT_CHARS = 48
MAX_HINT_CANDIDATES = 1_000
MAX_HINT_RATIOS = 20
# A text longer than this is diffed by passage (where it changed, and a few words around), in linear time,
# instead of a unified diff of its lines (a 45-character edit of a 95 KB prompt made 6.1 KB of diff).
PASSAGE_DIFF_CHARS = 4_000
# Of a passage diff: the characters of context on each side, and of each side of the change shown.
PASSAGE_CONTEXT_CHARS = 60
PASSAGE_SHOWN_CHARS = 600
# Arguments holding more text than this are scanned for secrets off the event loop.
LARGE_SCAN_CHARS = 65_536
# Distinct secrets one call's arguments may hold: each is searched for in everything said back.
MAX_SECRETS_BY_VALUE = 100
# preview_voice: the longest text a preview speaks (about 20 s of speech at normal speed), and the most audio
# one answer carries (read from the API up to this, and never counted against the answer ceiling: a text-only
# host still gets the whole text and structured content).
MAX_PREVIEW_TEXT_CHARS = 300
MAX_PREVIEW_AUDIO_BYTES = 2 * 1_048_576


def default_state_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where revox-mcp keeps local data (the sandbox database): XDG state dir, or LOCALAPPDATA on Windows."""
    env = os.environ if env is None else env
    if env.get("XDG_STATE_HOME"):
        return Path(env["XDG_STATE_HOME"]) / "revox-mcp"
    if env.get("LOCALAPPDATA"):
        return Path(env["LOCALAPPDATA"]) / "revox-mcp"
    return Path.home() / ".local" / "state" / "revox-mcp"


def max_answer_bytes(env: Mapping[str, str], flag: int | None = None) -> int:
    """The answer ceiling from the flag, else the environment, else the default; never below the minimum."""
    raw = flag if flag is not None else env.get(MAX_ANSWER_BYTES_ENV)
    try:
        value = int(raw) if raw not in (None, "") else DEFAULT_MAX_ANSWER_BYTES
    except ValueError:
        raise ValueError(f"{MAX_ANSWER_BYTES_ENV} must be a number of bytes, got {str(raw)[:40]!r}") from None
    if value < MIN_MAX_ANSWER_BYTES:
        raise ValueError(f"the answer ceiling must be at least {MIN_MAX_ANSWER_BYTES:,} bytes, got {value:,}")
    return value


@dataclass(frozen=True)
class Settings:
    """Everything the API client needs. `api_key` is kept out of `repr` so it never lands in a log."""

    api_key: str | None = field(default=None, repr=False)
    base_url: str = DEFAULT_BASE_URL
    connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S
    read_timeout_s: float = DEFAULT_READ_TIMEOUT_S
    max_retries: int = DEFAULT_MAX_RETRIES
    backoff_base_s: float = DEFAULT_BACKOFF_BASE_S
    backoff_max_s: float = DEFAULT_BACKOFF_MAX_S
    retry_after_max_s: float = DEFAULT_RETRY_AFTER_MAX_S
    # None keeps no journal (no list_changes history, no revert_change).
    journal_path: Path | None = None
    # A postgresql:// URL: the journal (and the write lock) shared by replicas; wins over journal_path.
    # Out of `repr`: it may hold a password.
    journal_url: str | None = field(default=None, repr=False)
    # Which API the journal rows belong to; defaults to base_url (the sandbox passes its data file).
    journal_scope: str | None = None
    # How long the voice catalog and phone numbers are trusted before they are fetched again.
    catalog_ttl_s: float = DEFAULT_CATALOG_TTL_S
    # None: the client's timeouts plus WRITE_GRACE_MARGIN_S (see `grace_s`).
    write_grace_s: float | None = None
    settle_wait_max_s: float = DEFAULT_SETTLE_WAIT_MAX_S
    max_api_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES_FROM_API
    # The ceiling on every tool's answer (text and structured content, each), in bytes.
    max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        journal_path: Path | None = None,
    ) -> Settings:
        """Flags win over the environment; an empty value counts as unset."""
        env = os.environ if env is None else env
        return cls(
            api_key=api_key or env.get(API_KEY_ENV) or None,
            base_url=(base_url or env.get(BASE_URL_ENV) or DEFAULT_BASE_URL).rstrip("/"),
            journal_path=journal_path,
            **timings_from_env(env),
            max_answer_bytes=max_answer_bytes(env),
        )

    @property
    def grace_s(self) -> float:
        """How long after it was sent a write without an answer may still land."""
        if self.write_grace_s is not None:
            return self.write_grace_s
        return self.connect_timeout_s + self.read_timeout_s + WRITE_GRACE_MARGIN_S

    @property
    def scope(self) -> str:
        """Whose changes a journal row belongs to: the API, and the key's organization (a hash of the key,
        so another key on the same journal file never sees these rows)."""
        if self.journal_scope:
            return self.journal_scope
        digest = hashlib.sha256((self.api_key or "").encode()).hexdigest()[:16]
        return f"{self.lock_scope} key:{digest}"

    @property
    def digest_key(self) -> str:
        """What the journal's digests of secrets are keyed with (secret_digests): the API key, which a journal's
        reader does not have, and which every server of the row's scope shares."""
        return self.api_key or ""

    @property
    def lock_scope(self) -> str:
        """What the write lock across replicas is keyed on, with the assistant id: the API (its base URL
        without userinfo), not the key, so that replicas on an old and a new key exclude each other."""
        if self.journal_scope:
            return self.journal_scope
        scheme, sep, rest = self.base_url.partition("://")
        authority, slash, path = rest.partition("/")
        return f"{scheme}{sep}{authority.rpartition('@')[2]}{slash}{path}" if sep else self.base_url
