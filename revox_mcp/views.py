"""What a read shows of an assistant: bounded, so no answer grows with the assistant.

get_assistant without `fields` shows long texts cut and long lists left out, each with a note saying how
to read it whole (`fields`). A cut text ends with CUT_MARK, and a left-out list is a sentence in place of
the list, so neither can be written back by mistake: a patch holding the mark is refused before anything
is sent, and a sentence where a list belongs fails its type.
"""

from __future__ import annotations

import json
from typing import Any

MAX_TEXT_CHARS = 2_000
MAX_LIST_ITEMS = 20
CUT_MARK = "…[cut by revox-mcp:"
# Always shown, whatever `fields` asks for: what an agent needs to name the assistant and guard a write.
ALWAYS = ("id", "name", "updated_at")


def bounded(assistant: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The assistant with each long top-level text cut and each long list left out, and what was cut."""
    shown: dict[str, Any] = {}
    cut: list[dict[str, Any]] = []
    for key, value in assistant.items():
        how = f'get_assistant with fields=["{key}"] reads it whole'
        if isinstance(value, str) and len(value) > MAX_TEXT_CHARS:
            rest = len(value) - MAX_TEXT_CHARS
            shown[key] = f"{value[:MAX_TEXT_CHARS]}{CUT_MARK} {rest:,} more characters; {how}]"
            cut.append({"field": key, "shown": MAX_TEXT_CHARS, "total": len(value), "unit": "characters"})
        elif isinstance(value, list) and len(value) > MAX_LIST_ITEMS:
            size = len(json.dumps(value, ensure_ascii=False))
            shown[key] = f"[{len(value):,} items, {size:,} bytes, not shown: {how}]"
            cut.append({"field": key, "shown": 0, "total": len(value), "unit": "items"})
        else:
            shown[key] = value
    return shown, cut


def selected(assistant: dict[str, Any], fields: list[str]) -> tuple[dict[str, Any], list[str]]:
    """Only the named top-level fields (whole), with the ones that always show; and the names it lacks."""
    wanted = [*ALWAYS, *(f for f in fields if f not in ALWAYS)]
    return {f: assistant[f] for f in wanted if f in assistant}, [f for f in fields if f not in assistant]


def holds_cut_mark(value: Any) -> list[str]:
    """Paths of the strings in `value` that came from a shortened read (so must not be written back)."""
    if isinstance(value, str):
        return [""] if CUT_MARK in value else []
    if isinstance(value, dict):
        return [f".{k}{p}" for k, v in value.items() for p in holds_cut_mark(v)]
    if isinstance(value, list):
        return [f"[{i}]{p}" for i, v in enumerate(value) for p in holds_cut_mark(v)]
    return []
