"""Bounded answers: the ceiling every tool's answer keeps, and the few nearest candidates an error names
instead of a whole list.

Tools bound themselves where they know how (pages of a list or a text, a page size, a search); the
ceiling is the last guard. Over it, an answer is not cut mid-byte: its largest top-level list keeps the
items that fit, a nested one (an assistant's FAQ items) gives way to a sentence, its largest text keeps the
characters that fit (with the cut mark): neither can be written back as the whole value. `over_ceiling`
says what was left out and how to read it. Text and structured content are bounded each:
a host may show the model only one of them.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from typing import Any

import anyio
import mcp_types as types

from revox_mcp.config import MAX_HINT_CHARS, NEAREST_CHARS, NEAREST_POOL, NEAREST_SHOWN
from revox_mcp.messages import render_path
from revox_mcp.views import CUT_MARK

# Answers over this many bytes are shrunk off the event loop (each step encodes the answer again).
_OFF_LOOP_BYTES = 65_536
# What over_ceiling and the note in the text may take of the ceiling, and how many shortened paths they name.
_NOTE_BYTES = 1_200
_NOTES_SHOWN = 8
# Strings shorter than this are never cut (ids, enums, times): the answer's shape and values stay valid.
_MIN_CUT_CHARS = 200
# The last resort, when no long text or list is left: shorter texts, and nested objects larger than a sentence.
_LAST_CUT_CHARS = 64
_STAND_IN_BYTES = 80
_MAX_STEPS = 64
# Candidates kept for difflib after the cheap trigram ranking: difflib's cost stays a few dozen short pairs.
_RERANKED = 24


def nearest(value: str, options: Iterable[str], shown: int = NEAREST_SHOWN) -> list[str]:
    """The few options most like `value`, best first. Bounded: strings are compared on their first
    NEAREST_CHARS characters and at most NEAREST_POOL options are considered (a cheap trigram overlap
    ranks them, difflib orders the best few)."""
    probe = value[:NEAREST_CHARS].casefold()
    grams = _trigrams(probe)
    scored: list[tuple[float, int, str]] = []
    for position, option in enumerate(options):
        if position >= NEAREST_POOL:
            break
        cut = option[:NEAREST_CHARS].casefold()
        if cut == probe:
            return [option]
        theirs = _trigrams(cut)
        overlap = len(grams & theirs) / (len(grams | theirs) or 1)
        scored.append((overlap + (0.5 if probe and probe in cut else 0.0), position, option))
    best = sorted(scored, key=lambda s: (-s[0], s[1]))[:_RERANKED]
    ranked = sorted(
        best,
        # difflib only on a short cut of each (its ratio grows faster than the square of the length).
        key=lambda s: (
            -(difflib.SequenceMatcher(None, probe[:MAX_HINT_CHARS], s[2][:MAX_HINT_CHARS].casefold()).ratio() + s[0])
        ),
    )
    return [option for score, _, option in ranked if score > 0][:shown]


def _trigrams(text: str) -> set[str]:
    padded = f"  {text} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def quoted(options: list[str], chars: int = 80) -> str:
    """Options for a message: each quoted and cut to `chars` characters."""
    return ", ".join(json.dumps(o if len(o) <= chars else f"{o[: chars - 1]}…", ensure_ascii=False) for o in options)


def size_of(value: Any) -> int:
    """Bytes of `value` as an answer carries it: compact JSON, UTF-8."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str).encode())


async def within_ceiling(result: types.CallToolResult, ceiling: int, read_on: str) -> types.CallToolResult:
    """`result` with its text and its structured content each at most `ceiling` bytes; over it, a smaller
    valid answer that says what was left out and `read_on` (how to ask for the rest). Other blocks (a voice
    preview's audio, bounded by its own cap) are neither counted nor cut: they follow the text as they came."""
    text = "".join(block.text for block in result.content if isinstance(block, types.TextContent))
    media = [block for block in result.content if not isinstance(block, types.TextContent)]
    structured = result.structured_content
    if len(text.encode()) <= ceiling and (structured is None or size_of(structured) <= ceiling):
        return result
    if structured is None:
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=_cut_text(text, ceiling, read_on)), *media],
            is_error=result.is_error,
        )
    summary = text.split("\n{", 1)[0] if "\n{" in text else text.splitlines()[0]
    if len(text.encode()) > _OFF_LOOP_BYTES:
        bounded, text = await anyio.to_thread.run_sync(_bounded_answer, structured, summary, ceiling, read_on)
    else:
        bounded, text = _bounded_answer(structured, summary, ceiling, read_on)
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=text), *media],
        structured_content=bounded,
        is_error=result.is_error,
    )


def _cut_text(text: str, ceiling: int, read_on: str) -> str:
    note = f"\n…[answer cut at the {ceiling:,}-byte ceiling; {read_on}]"
    room = ceiling - len(note.encode())
    return text.encode()[:room].decode(errors="ignore") + note


def _bounded_answer(structured: dict[str, Any], summary: str, ceiling: int, read_on: str) -> tuple[dict[str, Any], str]:
    """The structured content shrunk to fit beside its summary and the note, and the whole text."""
    summary = _cut_text(summary, ceiling // 4, read_on) if len(summary.encode()) > ceiling // 4 else summary
    budget = ceiling - len(summary.encode()) - 2 * _NOTE_BYTES
    for _ in range(4):  # the note's own size is only known once the cuts are: narrow down if it overflows
        shrunk, left_out = shrink(structured, budget)
        shown = left_out[:_NOTES_SHOWN]
        more = f" and {len(left_out) - len(shown)} more" if len(left_out) > len(shown) else ""
        cuts = "; ".join(f"{c['path']}: {c['shown']:,} of {c['total']:,} {c['unit']}" for c in shown)
        note = f"{summary}\nAnswer over the {ceiling:,}-byte ceiling, shortened: {cuts}{more}. {read_on}"
        note = _cut_text(note, ceiling // 2, read_on) if len(note.encode()) > ceiling // 2 else note
        shrunk["over_ceiling"] = {"ceiling_bytes": ceiling, "left_out": shown, "read_on": read_on}
        text = f"{note}\n{json.dumps(shrunk, ensure_ascii=False, separators=(',', ':'))}"
        overflow = len(text.encode()) - ceiling
        if overflow <= 0:
            break
        budget -= overflow + 256
    return shrunk, text


def shrink(value: dict[str, Any], budget: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A copy of `value` within `budget` bytes: the largest list loses the items past what fits, the
    largest long text the characters past what fits (ending with the cut mark), until it fits; and what
    was shortened (path, shown, total, unit). Top-level lists stay lists and texts texts, so the answer
    keeps its published schema; a nested list is left out whole, a sentence in its place."""
    value = json.loads(json.dumps(value, ensure_ascii=False, default=str))
    totals: dict[str, tuple[int, str]] = {}
    shown: dict[str, int] = {}
    for _ in range(_MAX_STEPS):
        excess = size_of(value) - budget
        if excess <= 0:
            break
        # Long texts and lists first; only when none is left, shorter texts and whole nested objects.
        target = _largest(value, [], _MIN_CUT_CHARS) or _largest(value, [], _LAST_CUT_CHARS)
        if target is None:
            break
        parent, key, path = target
        node = parent[key]
        where = render_path(path)
        unit = "items" if isinstance(node, list) else "keys" if isinstance(node, dict) else "characters"
        totals.setdefault(where, (len(node), unit))
        if isinstance(node, list | dict) and len(path) > 1:
            # A nested list cut short could be sent back as the whole list (an assistant's faq_items in
            # return_assistant): a sentence stands in for it instead, which fails the list's type.
            parent[key], shown[where] = f"[{totals[where][0]:,} {unit}, left out to fit the answer ceiling]", 0
            continue
        parent[key] = _fewer(node, size_of(node) - excess)
        shown[where] = len(parent[key]) if isinstance(node, list) else len(parent[key]) - len(_MARK)
    left_out = [{"path": p, "shown": max(0, shown[p]), "total": t, "unit": u} for p, (t, u) in totals.items()]
    return value, left_out


_MARK = f"{CUT_MARK} shortened to fit the answer ceiling]"


def _largest(node: Any, path: list[str | int], min_chars: int) -> tuple[Any, Any, list[str | int]] | None:
    """(container, key, path) of the node to shorten: down the largest child, stopping at a list of several
    items or a text of at least `min_chars`; in the last resort (`_LAST_CUT_CHARS`), at any sizeable
    nested object or list."""
    children = list(node.items()) if isinstance(node, dict) else list(enumerate(node))
    sized = sorted(((size_of(v), k, v) for k, v in children if isinstance(v, dict | list | str)), key=lambda s: -s[0])
    for size, key, child in sized:
        here = [*path, key]
        if isinstance(child, str):
            if len(child) >= min_chars:
                return node, key, here
            continue
        if isinstance(child, list) and len(child) > 1:
            return node, key, here
        found = _largest(child, here, min_chars)
        if found is not None:
            return found
        if min_chars == _LAST_CUT_CHARS and len(here) > 1 and size > _STAND_IN_BYTES:
            return node, key, here
    return None


def _fewer(node: list[Any] | str, room: int) -> list[Any] | str:
    """The list's first items, or the text's first characters, that fit in `room` bytes."""
    if isinstance(node, str):
        keep = max(0, min(len(node), room - len(_MARK.encode()) - 2))
        cut = node[:keep]
        while cut and size_of(cut + _MARK) > room:
            cut = cut[: max(0, len(cut) - max(1, (size_of(cut + _MARK) - room)))]
        return cut + _MARK
    kept: list[Any] = []
    used = 2
    for item in node:
        used += size_of(item) + 1
        if used > room:
            break
        kept.append(item)
    return kept
