"""Bounded input: the first argument too long for its place, found by one cheap walk before any other work.

A tool's schema states each argument's maximum length (`maxLength`, or an `enum`, whose longest value is the
bound of a tool's own argument; deeper, at least MAX_ARGUMENT_CHARS, as a newer value may be stored); strings
deeper than the schema says (inside a patch, an edit, a prompt variable) may hold up to MAX_TEXT_CHARS, keys
up to MAX_KEY_CHARS. The walk stops at the first value over its bound and never looks at the text itself: its
cost is the number of values, not their length.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from revox_mcp.config import MAX_ARGUMENT_CHARS, MAX_KEY_CHARS, MAX_TEXT_CHARS
from revox_mcp.messages import render_path

JsonSchema = dict[str, Any]
MAX_SHOWN_PATH = 200


@dataclass(frozen=True)
class Oversized:
    path: str
    length: int
    limit: int
    is_key: bool = False

    def message(self, tool: str) -> str:
        what = f"A key of `{self.path}`" if self.is_key else f"`{self.path}`"
        return (
            f"{tool} refused: {what} is {self.length:,} characters long; at most {self.limit:,} are accepted "
            "there. Nothing was done. Send a shorter value (to change a passage of a long text, use an edit "
            "replace_text with just that passage)."
        )


@dataclass(frozen=True)
class Measure:
    oversized: Oversized | None  # the first value over its bound, if any
    chars: int  # the characters of strings seen (all of them when nothing is oversized)


def measure(arguments: dict[str, Any], schema: JsonSchema) -> Measure:
    """The first string (or key) of `arguments` longer than its bound, and how much text they hold.
    Iterative: nesting of any depth costs no recursion."""
    stack: list[tuple[list[str | int], Any, JsonSchema | None, bool]] = [([], arguments, schema, True)]
    chars = 0
    while stack:
        path, value, node, top = stack.pop()
        if isinstance(value, str):
            chars += len(value)
            limit = _string_limit(node, top)
            if len(value) > limit:
                return Measure(Oversized(_shown(path), len(value), limit), chars)
        elif isinstance(value, dict):
            properties = node.get("properties", {}) if node else {}
            for key, item in value.items():
                if isinstance(key, str) and len(key) > MAX_KEY_CHARS:
                    return Measure(Oversized(_shown(path), len(key), MAX_KEY_CHARS, is_key=True), chars)
                stack.append(([*path, key], item, properties.get(key), top and not path))
        elif isinstance(value, list):
            items = node.get("items") if node else None
            for index, item in enumerate(value):
                stack.append(([*path, index], item, items if isinstance(items, dict) else None, top))
    return Measure(None, chars)


def _shown(path: list[str | int]) -> str:
    """The path for a message: keys are the agent's own (up to MAX_KEY_CHARS each), so it is cut too."""
    text = render_path(path)
    return text if len(text) <= MAX_SHOWN_PATH else f"{text[: MAX_SHOWN_PATH - 1]}…"


def _string_limit(node: JsonSchema | None, top: bool) -> int:
    """The schema's bound for a string here; without one, the text bound inside a patch or edit, or the
    short-argument bound for a tool's own argument."""
    if node:
        if isinstance(node.get("maxLength"), int):
            return int(node["maxLength"])
        values = [v for v in node.get("enum", []) if isinstance(v, str)]
        if values:
            # Inside a patch or an edit, a value may be one the API stored that is newer than this release's
            # enum (a custom tool's method OPTIONS, sent back as read): judged after the read, not cut here.
            return max(len(v) for v in values) if top else max(MAX_ARGUMENT_CHARS, *(len(v) for v in values))
    return MAX_ARGUMENT_CHARS if top else MAX_TEXT_CHARS
