"""What the journal keeps of a change to a long list or a long text: only what changed, so that a one-item
edit journals a few hundred bytes whatever the size of the list.

A keyed list (FAQ items by question, custom tools by name, ...) is kept as the items added, removed and
replaced, each with its index; a long text as the one passage replaced and where. Both carry fingerprints
of the whole value before and after (of the masked value: no row holds a secret, not even hashed), which
tell whether an assistant still holds what the change left (to settle a row, or to refuse a revert over a
later change) and check that a revert rebuilt exactly what was there before. Rows written before deltas
existed hold whole values, and read as they always did.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, TypeGuard

from revox_mcp.editing import common_prefix, common_suffix, diff
from revox_mcp.messages import shorten
from revox_mcp.models import LIST_KEYS
from revox_mcp.redaction import redact

MARK = "$delta"
# Shorter texts are journalled whole: a passage and two fingerprints would not be smaller.
MIN_TEXT_CHARS = 2048


def is_delta(value: Any) -> TypeGuard[dict[str, Any]]:
    return isinstance(value, dict) and value.get(MARK) in ("list", "text")


def fingerprint(value: Any) -> str:
    text = json.dumps(redact(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def delta(field: str, old: Any, new: Any) -> dict[str, Any] | None:
    """What `new` changed of `old` (both in sendable form), or None where the whole value is kept instead."""
    if isinstance(old, list) and isinstance(new, list):
        return _list_delta(LIST_KEYS.get(field), old, new)
    if isinstance(old, str) and isinstance(new, str) and max(len(old), len(new)) > MIN_TEXT_CHARS:
        return _text_delta(old, new)
    return None


def _keys(items: list[Any], key: str) -> list[str] | None:
    keys = [item.get(key) if isinstance(item, dict) else None for item in items]
    if not all(isinstance(k, str) for k in keys) or len(set(keys)) < len(keys):
        return None  # not identifiable item by item: kept whole
    return keys  # type: ignore[return-value]


def _list_delta(key: str | None, old: list[Any], new: list[Any]) -> dict[str, Any] | None:
    old_keys = _keys(old, key) if key else None
    new_keys = _keys(new, key) if key else None
    if key is None or old_keys is None or new_keys is None:
        return None
    old_at, new_at = {k: i for i, k in enumerate(old_keys)}, {k: i for i, k in enumerate(new_keys)}
    # Reordered (the API sorting a list, say): both orders of keys are kept, so the list is rebuilt exactly.
    orders = {}
    if [k for k in old_keys if k in new_at] != [k for k in new_keys if k in old_at]:
        orders = {"before_order": old_keys}
    return {
        **orders,
        MARK: "list",
        "key": key,
        "added": [[i, new[i]] for i, k in enumerate(new_keys) if k not in old_at],
        "removed": [[i, old[i]] for i, k in enumerate(old_keys) if k not in new_at],
        "replaced": [
            [new_at[k], old[i], new[new_at[k]]]
            for i, k in enumerate(old_keys)
            if k in new_at and old[i] != new[new_at[k]]
        ],
        "before": fingerprint(old),
        "after": fingerprint(new),
    }


def _text_delta(old: str, new: str) -> dict[str, Any]:
    start = common_prefix(old, new)
    end = common_suffix(old[start:], new[start:])
    return {
        MARK: "text",
        "at": start,
        "removed": old[start : len(old) - end],
        "inserted": new[start : len(new) - end],
        "before": fingerprint(old),
        "after": fingerprint(new),
    }


def holds(value: Any, recorded: Any) -> bool:
    """Whether `value` (sendable) is what a change recorded as its result (a delta, or a whole value, masked)."""
    if is_delta(recorded):
        return bool(fingerprint(value) == recorded["after"])
    return bool(redact(value) == redact(recorded))


def undo(value: Any, recorded: dict[str, Any], force: bool = False) -> Any | None:
    """The value before the change, rebuilt from what it left (`value`); None where it cannot be rebuilt
    exactly (the value changed again since). `force`: undo this change's part only, over later changes (the
    items it added removed, those it replaced or removed put back, by key; its passage put back where it
    is found once), or None where even that part cannot be found."""
    if fingerprint(value) != recorded["after"]:
        return _undo_part(value, recorded) if force else None
    before = _undo_part(value, recorded)
    return before if fingerprint(before) == recorded["before"] else None


def _undo_part(value: Any, recorded: dict[str, Any]) -> Any | None:
    if recorded[MARK] == "text":
        if not isinstance(value, str):
            return None
        at, inserted, removed = recorded["at"], recorded["inserted"], recorded["removed"]
        if value[at : at + len(inserted)] == inserted:
            return value[:at] + removed + value[at + len(inserted) :]
        if inserted and value.count(inserted) == 1:
            where = value.index(inserted)
            return value[:where] + removed + value[where + len(inserted) :]
        return None
    if not isinstance(value, list):
        return None
    key = recorded["key"]
    added = {item[key] for _, item in recorded["added"]}
    old_of = {new[key]: old for _, old, new in recorded["replaced"]}
    before = [old_of.get(_key(item, key), item) for item in value if _key(item, key) not in added]
    present = {_key(item, key) for item in before}
    for index, item in sorted(recorded["removed"], key=lambda pair: pair[0]):
        if item[key] not in present:
            before.insert(min(index, len(before)), item)
    if "before_order" in recorded:
        rank = {k: i for i, k in enumerate(recorded["before_order"])}
        before.sort(key=lambda item: rank.get(_key(item, key), len(rank)))  # stable: later items keep their order
    return before


def _key(item: Any, key: str) -> Any:
    return item.get(key) if isinstance(item, dict) else None


def changes(field: str, recorded: dict[str, Any]) -> list[dict[str, Any]]:
    """A delta as the diff entries list_changes shows."""
    if recorded[MARK] == "text":
        passage = f"at character {recorded['at']}: {shorten(recorded['removed'])} -> {shorten(recorded['inserted'])}"
        return [{"path": field, "diff": passage}]
    out: list[dict[str, Any]] = [{"path": f"{field}[{i}]", "removed": item} for i, item in recorded["removed"]]
    for index, old, new in recorded["replaced"]:
        for change in diff({"item": old}, {"item": new}):
            out.append({**change, "path": f"{field}[{index}]{change['path'][len('item') :]}"})
    out += [{"path": f"{field}[{i}]", "added": item} for i, item in recorded["added"]]
    return out
