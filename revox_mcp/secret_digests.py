"""Telling apart two secrets whose masks are the same, without keeping either.

The journal keeps secrets masked, and two secrets under 12 characters both mask to `…` (longer ones with the
same last four characters alike). A change from one to the other is then invisible in the journal: a pending
row's body looks landed whether it landed or not, and a revert would "restore" the new secret. For exactly
those places (a secret the change replaced by another that masks the same) a row keeps a keyed digest of each
value: an HMAC under the Revox API key, so it proves nothing to whoever reads the journal without that key,
and is never shown. Rows of one journal scope share one key (a journal is scoped by its API key).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from revox_mcp.models import LIST_KEYS
from revox_mcp.redaction import Path, mask, mask_text, secret_spots

State = dict[str, Any]
Digests = dict[str, str]


def digest(key: str, value: str) -> str:
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()[:24]


def _spots(value: Any) -> dict[Path, tuple[str, str]]:
    """Each secret place in `value` (by path): its value and its mask."""
    found: dict[Path, tuple[str, str]] = {}
    for path, kind in secret_spots(value):
        value_at = _at(value, path)
        if isinstance(value_at, str):
            found[path] = (value_at, mask_text(value_at) if kind == "text" else mask(value_at))
    return found


def hidden_changes(key: str, before: State, body: State) -> dict[str, Digests] | None:
    """Digests of the values before and after, at each place where a secret changed but its mask did not;
    None when there is no such place (the common case). A list whose items have a key (FAQ items by
    question, custom tools by name) is compared item by item, only the items that changed: a one-item edit
    of 3,000 items looks at one."""
    found: dict[str, Digests] = {"before": {}, "body": {}}
    for field, new in body.items():
        for old_at, new_at, old_value, new_value in _pairs(field, before.get(field), new):
            old, changed = _spots(old_value), _spots(new_value)
            for path, (value, masked) in changed.items():
                if path in old and old[path][1] == masked and old[path][0] != value:
                    found["before"][_key((*old_at, *path))] = digest(key, old[path][0])
                    found["body"][_key((*new_at, *path))] = digest(key, value)
    return found if found["body"] else None


def _pairs(field: str, old: Any, new: Any) -> list[tuple[Path, Path, Any, Any]]:
    """(where before, where after, value before, value after) of what to compare: each changed item of a
    keyed list with its namesake, or the whole field."""
    key = LIST_KEYS.get(field)
    if key and isinstance(old, list) and isinstance(new, list):
        at = {item.get(key): i for i, item in enumerate(old) if isinstance(item, dict)}
        return [
            ((field, at[item.get(key)]), (field, i), old[at[item.get(key)]], item)
            for i, item in enumerate(new)
            if isinstance(item, dict) and item.get(key) in at and old[at[item.get(key)]] != item
        ]
    return [((field,), (field,), old, new)] if old != new else []


def not_held(key: str, state: State, digests: Digests) -> list[Path]:
    """The recorded places where `state` does not hold the value with the recorded digest."""
    missing = []
    for where, expected in digests.items():
        path = _path(where)
        value = _at(state, path)
        if not isinstance(value, str) or not hmac.compare_digest(digest(key, value), expected):
            missing.append(path)
    return missing


def fields_of(digests: Digests) -> set[str]:
    """The top-level fields the recorded places are in."""
    return {str(_path(where)[0]) for where in digests}


def _key(path: Path) -> str:
    # JSON keys: the path's parts, typed, so a dict key "0" and a list index 0 stay apart.
    return "\x1f".join(f"i{p}" if isinstance(p, int) else f"s{p}" for p in path)


def _path(key: str) -> Path:
    return tuple(int(p[1:]) if p[0] == "i" else p[1:] for p in key.split("\x1f"))


def _at(state: Any, path: Path) -> Any:
    for part in path:
        if isinstance(part, int) and isinstance(state, list) and 0 <= part < len(state):
            state = state[part]
            continue
        if not (isinstance(part, str) and isinstance(state, dict) and part in state):
            return None
        state = state[part]
    return state
