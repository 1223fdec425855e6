"""Secrets out of everything revox-mcp says: the custom LLM `api_key` is masked wherever it appears.

The mask keeps a short prefix and the last four characters (`sk-…abcd`) so a person can tell keys
apart without being able to use one. A value an agent sends back in its masked form means "keep the
stored key" (the writer swaps the real key back in), so a read-modify-write never writes the mask.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

MASK_MARK = "…"
SECRET_KEYS = frozenset({"api_key"})


def mask(secret: str) -> str:
    if MASK_MARK in secret:
        return secret
    if len(secret) < 12:
        return MASK_MARK
    # Keep a conventional type prefix ("sk-", "pk_") and nothing else of the start.
    prefix = secret[:3] if secret[2:3] in ("-", "_") else ""
    return f"{prefix}{MASK_MARK}{secret[-4:]}"


def is_masked(value: Any) -> bool:
    return isinstance(value, str) and MASK_MARK in value


def redact(value: Any) -> Any:
    """A copy of a JSON value with every secret masked: `api_key` values, and the before/after of a
    diff entry whose path ends in `api_key`."""
    if isinstance(value, list):
        return [redact(item) for item in value]
    if not isinstance(value, dict):
        return value
    secret_entry = str(value.get("path", "")).rsplit(".", 1)[-1] in SECRET_KEYS
    out = {}
    for key, item in value.items():
        if isinstance(item, str) and (key in SECRET_KEYS or (secret_entry and key in ("before", "after"))):
            out[key] = mask(item)
        else:
            out[key] = redact(item)
    return out


def secrets_in(value: Any) -> set[str]:
    """Every secret value inside a JSON value (to scrub from free text such as an API error message)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key in SECRET_KEYS and isinstance(item, str) and not is_masked(item):
                found.add(item)
            else:
                found |= secrets_in(item)
    elif isinstance(value, list):
        for item in value:
            found |= secrets_in(item)
    return found


def scrub(text: str, secrets: Iterable[str | None]) -> str:
    for secret in secrets:
        if secret and len(secret) >= 4 and secret in text:
            text = text.replace(secret, mask(secret))
    return text
