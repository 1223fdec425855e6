"""The small pieces every agent-facing message is made of: a value shortened (secrets masked), a path
rendered, a likely meant name. Errors, policy, the catalog and validation all use these; this module
depends on nothing of revox-mcp but the masking."""

from __future__ import annotations

import difflib
import heapq
import json
from collections.abc import Iterable
from itertools import islice
from typing import Any

from revox_mcp.config import MAX_HINT_CANDIDATES, MAX_HINT_CHARS, MAX_HINT_RATIOS
from revox_mcp.redaction import redact

MAX_VALUE_CHARS = 80


def shorten(value: Any) -> str:
    """A value for a message: secrets masked, at most MAX_VALUE_CHARS characters."""
    text = json.dumps(redact(value), ensure_ascii=False, default=str)
    return text if len(text) <= MAX_VALUE_CHARS else f"{text[: MAX_VALUE_CHARS - 15]}… ({len(text)} chars)"


def render_path(parts: Iterable[str | int]) -> str:
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(arguments)"


# Fields agents reach for that the API does not have, and where what they mean lives instead.
INTENTS = {
    "language": "The language comes from the voice (voice.id and voice.provider; list_voices filters by language) "
    "and from the prompt's and first_sentence's words.",
    "greeting": "The opening line is first_sentence (with first_sentence_mode).",
    "system_prompt": "The system prompt is prompt.",
    "instructions": "The assistant's instructions are prompt.",
    "speed": "The speaking rate is voice.speed.",
    "timezone": "The calling timezone is call_retry_config.timezone.",
    "phone_number": "The caller id is from_phone_number; transfer numbers are transfer_destinations.",
    "model": "The language model is llm_model; the Cartesia voice model is voice.model.",
}


def did_you_mean(key: str, known: Iterable[str]) -> str:
    if key.lower() in INTENTS and key not in known:
        return INTENTS[key.lower()]
    close = closest(key, known, cutoff=0.6)
    return f"Did you mean `{close}`?" if close is not None else "Remove it."


def closest(value: str, options: Iterable[str], cutoff: float) -> str | None:
    """The option most like `value` (difflib's ratio at least `cutoff`), as difflib.get_close_matches picks
    it, with bounded work whatever the input: both sides cut to MAX_HINT_CHARS, the first
    MAX_HINT_CANDIDATES options screened by the quick ratios, the full ratio for the MAX_HINT_RATIOS best."""
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(value[:MAX_HINT_CHARS])
    screened: list[tuple[float, str]] = []
    for option in islice(options, MAX_HINT_CANDIDATES):
        matcher.set_seq1(option[:MAX_HINT_CHARS])
        if matcher.real_quick_ratio() >= cutoff and matcher.quick_ratio() >= cutoff:
            screened.append((matcher.quick_ratio(), option))
    scored = []
    for _, option in heapq.nlargest(MAX_HINT_RATIOS, screened):
        matcher.set_seq1(option[:MAX_HINT_CHARS])
        if (ratio := matcher.ratio()) >= cutoff:
            scored.append((ratio, option))
    return max(scored)[1] if scored else None


def similarity(a: str, b: str) -> float:
    """difflib's ratio of the two, cut to MAX_HINT_CHARS: bounded work whatever their lengths."""
    return difflib.SequenceMatcher(None, a[:MAX_HINT_CHARS], b[:MAX_HINT_CHARS]).ratio()
