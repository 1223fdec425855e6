"""A stored secret stays with its destination: the scheme, host, port (and method) it is sent to.

A custom tool sends its headers, query parameters and body template to its `url` with its `method`; a custom
LLM gets its `api_key` at its `api_url`. A write that keeps a stored secret (its mask sent back and
restored, or merged from what is stored) while it points the secret's owner somewhere else would hand the
secret to the new host: a hijacked agent needs only `{"llm_model": {"api_url": ...}}`. Such a write is
refused before anything is sent. A secret the change sends in full is the sender's to send anywhere; a
path or a query changed at the same host is not a new destination.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from revox_mcp.errors import Problem
from revox_mcp.messages import render_path
from revox_mcp.redaction import Path, located_secrets, mask, secrets_in

# The objects whose secrets are sent somewhere (a list of them or one), and the fields that say where.
DESTINATION_FIELDS: dict[str, tuple[str, ...]] = {"custom_tools": ("url", "method"), "llm_model": ("api_url",)}
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}

Destination = tuple[str, ...]


def moved_secrets(stored: dict[str, Any], body: dict[str, Any], sent: Any, prefix: str) -> list[Problem]:
    """A problem for each stored secret that `body` keeps but sends to a destination it was not stored for
    (at any of its owners: a secret shared by two tools may go to either's host); `sent` is what the caller
    sent (a patch, edits), whose secrets in full may go anywhere."""
    problems: list[Problem] = []
    for field, where in DESTINATION_FIELDS.items():
        if field not in body:
            continue
        homes = _homes(field, stored.get(field), where)
        if not homes:
            continue
        given = secrets_in(sent)
        for path, owner in _owners(field, body[field]):
            here = destination(owner, where)
            for inner, _kind, secret in located_secrets(owner):
                if secret in homes and here not in homes[secret] and secret not in given:
                    problems.append(_moved(f"{prefix}.{render_path((*path, *inner))}", secret, homes[secret], here))
    return problems


def destination(owner: dict[str, Any], where: tuple[str, ...]) -> Destination:
    """Where an owner's secrets go: the origin of each URL field (scheme, host, port), the other fields as
    they are (a method, upper case)."""
    return tuple(_origin(owner.get(f)) if f.endswith("url") else str(owner.get(f)).upper() for f in where)


def _origin(url: Any) -> str:
    if not isinstance(url, str):
        return repr(url)
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url  # not a URL that can be read: the whole text is where it goes
    scheme = parts.scheme.lower()
    shown = "" if port is None or port == _DEFAULT_PORTS.get(scheme) else f":{port}"
    return f"{scheme}://{parts.hostname or ''}{shown}"


def _owners(field: str, value: Any) -> Iterator[tuple[Path, dict[str, Any]]]:
    if isinstance(value, dict):
        yield (field,), value
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict):
                yield (field, index), item


def _homes(field: str, value: Any, where: tuple[str, ...]) -> dict[str, set[Destination]]:
    """Each stored secret of `field` and the destinations it is stored for."""
    homes: dict[str, set[Destination]] = {}
    for _path, owner in _owners(field, value):
        here = destination(owner, where)
        for _inner, _kind, secret in located_secrets(owner):
            homes.setdefault(secret, set()).add(here)
    return homes


def _moved(path: str, secret: str, old: set[Destination], new: Destination) -> Problem:
    before = " or ".join(sorted(" ".join(d) for d in old))
    return Problem(
        path=path,
        value=mask(secret),
        allowed=f"the stored secret only where it was stored for ({before}), or a secret sent in full",
        hint=f"This stored secret would now go to {' '.join(new)}. Send the secret meant for the new destination "
        "in full at this place, or keep the url (and method) as stored.",
    )
