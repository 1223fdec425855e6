"""What a read shows of an assistant: bounded, so no answer grows with the assistant.

get_assistant without `fields` shows long texts cut and long lists left out, each with a note saying how
to read it (`fields`). A field asked for by name comes whole when it fits a page, else in pages: a list's
items from an offset, each with its index, a text's characters from an offset; FAQ items can be searched.
A cut text and a text page end with CUT_MARK, and a left-out or paged list is a sentence in place of the
list, so neither can be written back by mistake: a patch holding the mark is refused before anything is
sent, and a sentence where a list belongs fails its type.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from revox_mcp.config import MAX_PAGE_CHARS, MAX_PAGE_ITEMS

MAX_TEXT_CHARS = 2_000
MAX_LIST_ITEMS = 20
CUT_MARK = "…[cut by revox-mcp:"
# The marks as get_assistant (and the answer ceiling) write them, whole: only a text holding one of these
# came from a shortened read; any other text mentioning the mark is text.
_CUT_MARKS = re.compile(
    re.escape(CUT_MARK)
    + r" (?:[\d,]+ more characters; [^\]\n]{1,300}+|characters [\d,]+-[\d,]+ of [\d,]+; [^\]\n]{1,300}+"
    r"|[\d,]+ characters, shown in pages\[\] of this answer|shortened to fit the answer ceiling)\]"
)
# Always shown, whatever `fields` asks for: what an agent needs to name the assistant and guard a write.
ALWAYS = ("id", "name", "updated_at")


def bounded(assistant: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The assistant with each long top-level text cut and each long list left out, and what was cut."""
    shown: dict[str, Any] = {}
    cut: list[dict[str, Any]] = []
    for key, value in assistant.items():
        how = f'get_assistant with fields=["{key}"] reads it (in pages when long)'
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
        return [""] if CUT_MARK in value and _CUT_MARKS.search(value) else []
    if isinstance(value, dict):
        return [f".{k}{p}" for k, v in value.items() for p in holds_cut_mark(v)]
    if isinstance(value, list):
        return [f"[{i}]{p}" for i, v in enumerate(value) for p in holds_cut_mark(v)]
    return []


@dataclass(frozen=True)
class PageAsk:
    """Where a page starts (an item index, or a character offset), how much it may hold, and in bytes."""

    offset: int
    limit: int | None
    budget: int
    # The most one item may take when it alone is over `budget` (most of the ceiling): longer ones are cut.
    room: int = 0


def _bytes(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


def list_page(field: str, items: list[Any], indexes: list[int], ask: PageAsk, key: str | None) -> dict[str, Any]:
    """The items at `indexes[ask.offset:]` (all of a list, or a search's matches) that fit `ask`, each with
    its index in the list: what an edit addresses it by (its `key` too)."""
    rows: list[dict[str, Any]] = []
    used, most = 0, min(ask.limit or MAX_PAGE_ITEMS, MAX_PAGE_ITEMS)
    for index in indexes[ask.offset : ask.offset + most]:
        row = {"index": index, "item": items[index]}
        size = _bytes(row) + 1
        if rows and used + size > ask.budget:
            break
        if size > max(ask.budget, ask.room):
            # One item longer than the answer may be: its long texts cut, with the mark, so it cannot be
            # sent back as it is (an edit holding the mark is refused).
            row = {"index": index, "item": _cut_long_texts(items[index], max(ask.budget, ask.room)), "cut": True}
        rows.append(row)
        used += size
        if size > ask.budget:
            break
    end = ask.offset + len(rows)
    return {
        "field": field,
        "unit": "items",
        "offset": ask.offset,
        "shown": len(rows),
        "total": len(indexes),
        "next_offset": end if end < len(indexes) else None,
        "edit_key": key if key is not None else "index",
        "items": rows,
        **_limited(ask, len(rows), len(indexes) - ask.offset),
    }


def text_page(field: str, text: str, ask: PageAsk) -> dict[str, Any]:
    """The characters of `text` from `ask.offset` that fit `ask` (ending on a line break or a space when one
    is near), followed by CUT_MARK unless the page is the whole text."""
    most = min(ask.limit or MAX_PAGE_CHARS, MAX_PAGE_CHARS, max(0, len(text) - ask.offset))
    chunk = text[ask.offset : ask.offset + most]
    # JSON escapes (\n, \") and multi-byte characters make a character cost more than a byte: narrow down.
    for _ in range(8):
        size = _bytes(chunk) + 200
        if size <= ask.budget or not chunk:
            break
        chunk = chunk[: max(1, len(chunk) * ask.budget // size - 1)]
    end = ask.offset + len(chunk)
    if end < len(text) and ask.limit is None:
        soft = max(chunk.rfind("\n", len(chunk) * 4 // 5), chunk.rfind(" ", len(chunk) * 4 // 5))
        if soft > 0:
            chunk, end = chunk[: soft + 1], ask.offset + soft + 1
    whole = ask.offset == 0 and end >= len(text)
    next_offset = end if end < len(text) else None
    reads_on = f"offset={next_offset} reads on" if next_offset is not None else "the end of the text"
    mark = "" if whole else f"{CUT_MARK} characters {ask.offset:,}-{end:,} of {len(text):,}; {reads_on}]"
    return {
        "field": field,
        "unit": "characters",
        "offset": ask.offset,
        "shown": len(chunk),
        "total": len(text),
        "next_offset": next_offset,
        "text": chunk + mark,
        **_limited(ask, len(chunk), len(text) - ask.offset),
    }


def _limited(ask: PageAsk, shown: int, left: int) -> dict[str, str]:
    """Say so when a page holds fewer than the limit asked for: the answer ceiling, not the end, stopped it."""
    if ask.limit is None or shown >= min(ask.limit, left):
        return {}
    return {
        "limited": f"{shown:,} of the {ask.limit:,} asked: a page holds what fits the answer ceiling "
        f"({ask.budget:,} bytes of it); next_offset reads on"
    }


def faq_matches(items: list[Any], query: str) -> list[int]:
    """Indexes of the FAQ items whose question or answer contains `query`, in any case. Linear in the
    items' size (one casefold and one find each)."""
    needle = query.casefold()
    return [
        index
        for index, item in enumerate(items)
        if isinstance(item, dict) and needle in f"{item.get('question') or ''}\n{item.get('answer') or ''}".casefold()
    ]


def stand_in(page: dict[str, Any]) -> str:
    """What an assistant's field holds when this answer pages it: not a value that can be written back."""
    if page["unit"] == "items":
        return f"[{page['total']:,} items, shown in pages[] of this answer (from index {page['offset']:,}).]"
    return f"{CUT_MARK} {page['total']:,} characters, shown in pages[] of this answer]"


def _cut_long_texts(item: Any, room: int) -> Any:
    """`item` with its longest texts shortened (each ending with CUT_MARK) until it takes `room` bytes."""
    if not isinstance(item, dict):
        return item
    cut = dict(item)
    for key in sorted((k for k, v in item.items() if isinstance(v, str)), key=lambda k: -len(item[k])):
        excess = _bytes(cut) - room
        if excess <= 0:
            break
        text = cut[key]
        keep = max(0, len(text) - excess - 120)
        cut[key] = f"{text[:keep]}{CUT_MARK} {len(text) - keep:,} more characters; longer than one answer may be]"
    return cut
