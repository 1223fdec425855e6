"""The voice catalog and the organization's phone numbers: cached, and used to check updates.

An update that sets a voice or a caller id is checked against the real catalogs before it is
written, so an unknown voice id, a voice of another provider, a Cartesia voice that does not work
with the Sonic model in effect, or a number the organization does not own is caught here, with the
closest valid choices, instead of by the API or on a live call. Catalogs are cached for `ttl_s` and
fetched again on a miss; a catalog that cannot be fetched does not block the update: the check is
skipped and the answer says so.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import anyio

from revox_mcp.client import RevoxClient
from revox_mcp.config import DEFAULT_CATALOG_TTL_S, MAX_HINT_CANDIDATES
from revox_mcp.errors import ApiError, PatchInvalid, Problem
from revox_mcp.messages import shorten, similarity

Row = dict[str, Any]
DEFAULT_CARTESIA_MODEL = "sonic-3"


@dataclass
class _Cached:
    fetch: Callable[[], Awaitable[list[Row]]]
    ttl_s: float
    rows: list[Row] | None = None
    fetched_at: float = float("-inf")
    lock: anyio.Lock = field(default_factory=anyio.Lock)

    async def get(self, *, refresh: bool = False) -> tuple[list[Row], bool]:
        """The rows and whether they were fetched just now. Raises ApiError when they cannot be fetched."""
        async with self.lock:
            if refresh or self.rows is None or time.monotonic() - self.fetched_at > self.ttl_s:
                self.rows = await self.fetch()
                self.fetched_at = time.monotonic()
                return self.rows, True
            return self.rows, False


class Catalog:
    def __init__(self, client: RevoxClient, ttl_s: float = DEFAULT_CATALOG_TTL_S) -> None:
        self._voices = _Cached(client.list_voices, ttl_s)
        self._numbers = _Cached(client.list_phone_numbers, ttl_s)

    async def voices(self) -> list[Row]:
        return (await self._voices.get())[0]

    async def phone_numbers(self, *, refresh: bool = False) -> list[Row]:
        """The organization's numbers; `refresh`: read again now (after a write changed one)."""
        return (await self._numbers.get(refresh=refresh))[0]

    async def describe_voice(self, voice: Any) -> Row | None:
        """The catalog's name, language, gender and accent of an assistant's voice; None when unknown or
        the catalog cannot be fetched (a read never fails over it)."""
        if not isinstance(voice, dict):
            return None
        try:
            rows = await self.voices()
        except ApiError:
            return None
        found = next(
            (
                r
                for r in rows
                if isinstance(r, dict) and r.get("id") == voice.get("id") and r.get("provider") == voice.get("provider")
            ),
            None,
        )
        if found is None:
            return None
        return {key: found.get(key) for key in ("name", "language", "gender", "accent")}

    async def check(self, before: Row, after: Row, body: Row, prefix: str) -> list[str]:
        """Problems (raised as PatchInvalid) or, when a catalog is unreachable, warnings (returned)."""
        problems: list[Problem] = []
        warnings: list[str] = []
        if isinstance(body.get("voice"), dict) and _voice_identity(body["voice"]) != _voice_identity(
            before.get("voice")
        ):
            try:
                problems += await self._check_voice(before.get("voice"), body["voice"], prefix)
            except ApiError as exc:
                warnings.append(
                    f"The voice was not checked against the catalog, which could not be fetched ({exc.message})."
                )
        if body.get("from_phone_number"):
            try:
                problems += await self._check_number(body["from_phone_number"], prefix)
            except ApiError as exc:
                warnings.append(
                    f"from_phone_number was not checked against the organization's numbers, which could not be "
                    f"fetched ({exc.message})."
                )
        if problems:
            raise PatchInvalid(problems)
        return warnings

    async def _find(self, cache: _Cached, match: Callable[[Row], bool]) -> tuple[Row | None, list[Row]]:
        """Look in the cached rows; on a miss with rows not fetched just now, fetch again and look once more."""
        rows, fresh = await cache.get()
        found = next((r for r in rows if match(r)), None)
        if found is None and not fresh:
            rows, _ = await cache.get(refresh=True)
            found = next((r for r in rows if match(r)), None)
        return found, rows

    async def _check_voice(self, old: Any, voice: Row, prefix: str) -> list[Problem]:
        voice_id, provider, model = voice.get("id"), voice.get("provider"), voice.get("model")
        found, rows = await self._find(
            self._voices, lambda r: r.get("id") == voice_id and r.get("provider") == provider
        )
        old_entry = next((r for r in rows if isinstance(old, dict) and r.get("id") == old.get("id")), None)
        if found is None:
            elsewhere = next((r for r in rows if r.get("id") == voice_id), None)
            hint = (
                f"That id is a {elsewhere.get('provider')} voice ({elsewhere.get('name')}): set provider to "
                f"'{elsewhere.get('provider')}'."
                if elsewhere
                else f"Closest {provider} voices: {_suggest(rows, str(voice_id), provider, model, old_entry)}. "
                "list_voices shows them all."
            )
            return [
                Problem(
                    path=f"{prefix}.voice.id",
                    value=shorten(voice_id),
                    allowed=f"the id of a {provider} voice in the catalog",
                    hint=hint,
                )
            ]
        compat = found.get("modelCompat") or "universal"
        # The SDK: an omitted Cartesia model means sonic-3.
        if provider == "cartesia" and compat != "universal" and compat != (model or DEFAULT_CARTESIA_MODEL):
            return [
                Problem(
                    path=f"{prefix}.voice.model",
                    value=shorten(model),
                    allowed=f"'{compat}': voice '{found.get('name')}' works only with that model",
                    hint=f"Set voice.model to '{compat}', or pick a voice for {model or 'the model in effect'}: "
                    f"{_suggest(rows, str(found.get('name')), provider, model, found)}.",
                )
            ]
        return []

    async def _check_number(self, number: str, prefix: str) -> list[Problem]:
        found, rows = await self._find(self._numbers, lambda r: r.get("phone_number") == number)
        if found is not None:
            return []
        owned = ", ".join(f"{r.get('phone_number')} ({r.get('label') or r.get('type')})" for r in rows) or "none"
        return [
            Problem(
                path=f"{prefix}.from_phone_number",
                value=shorten(number),
                allowed=f"one of the organization's numbers: {owned}",
                hint="list_phone_numbers shows them; a new number must first be added in Revox.",
            )
        ]


def _voice_identity(voice: Any) -> tuple[Any, Any, Any]:
    """What the catalog judges: a change of speed alone leaves a stored voice, known or not, unjudged."""
    if not isinstance(voice, dict):
        return None, None, None
    return voice.get("id"), voice.get("provider"), voice.get("model") or DEFAULT_CARTESIA_MODEL


def _suggest(rows: list[Row], given: str, provider: Any, model: Any, like: Row | None) -> str:
    """Three voices of `provider` that work with `model`, closest to `given` by id or name, preferring the
    language and gender of `like` (the voice being replaced) when known."""

    def usable(r: Row) -> bool:
        compat = r.get("modelCompat") or "universal"
        return r.get("provider") == provider and (provider != "cartesia" or compat in ("universal", model))

    def score(r: Row) -> float:
        text = max(similarity(given.lower(), str(r.get("name")).lower()), similarity(given, str(r.get("id"))))
        if like is not None:
            text += 0.3 * (r.get("language") == like.get("language")) + 0.2 * (r.get("gender") == like.get("gender"))
        return text

    # A stated number of candidates, each compared cut short (messages.similarity): bounded work.
    best = sorted(islice(filter(usable, rows), MAX_HINT_CANDIDATES), key=score, reverse=True)[:3]
    return (
        "; ".join(
            f"'{r.get('name')}' (id {r.get('id')}, {r.get('language')}, {r.get('gender') or 'any gender'}"
            f"{', ' + str(r.get('accent')) if r.get('accent') else ''})"
            for r in best
        )
        or "none"
    )
