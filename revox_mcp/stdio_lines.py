"""stdio framing: bytes into bounded lines, and each line into a JSON-RPC message or the error that answers it.

Pure (no I/O), so that every shape of bad input is tested directly; `stdio_transport` does the reading and
writing. A line longer than the limit is counted and dropped as it arrives, never held whole: only its
first `HEAD_BYTES` are kept, to find its id.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import mcp_types as types
from mcp.shared.message import SessionMessage
from mcp_types import INVALID_PARAMS, INVALID_REQUEST, PARSE_ERROR
from pydantic import ValidationError

from revox_mcp.messages import render_path

# Enough of an oversized line to hold its top-level "id" in any usual message (it comes first or second).
HEAD_BYTES = 4096
# A surrogate code point in a decoded string: json.loads joins a valid \ud83d\ude00 pair into one
# character, so any surrogate left is a lone one, which no UTF-8 encoder (ours or the API's) accepts.
_SURROGATE = re.compile("[\ud800-\udfff]")
# JSON strings and structural characters, for a linear scan of an oversized line's head (no backtracking:
# each alternative consumes at least one character and the two never overlap).
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]')
_ID_VALUE = re.compile(r'\s*(-?[0-9]{1,18}(?![0-9.eE])|"(?:[^"\\]|\\.){0,512}")')


@dataclass(frozen=True)
class Oversized:
    """A line over the limit: its size in bytes (without the newline) and its first bytes."""

    size: int
    head: bytes


class LineSplitter:
    """Cuts a byte stream into lines of at most `limit` bytes; holds at most `limit` plus one chunk."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._buffer = bytearray()
        self._over: Oversized | None = None

    def feed(self, chunk: bytes) -> list[bytes | Oversized]:
        """The lines `chunk` completes (blank lines skipped), in order."""
        lines: list[bytes | Oversized] = []
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            self._take(chunk[start:] if end < 0 else chunk[start:end])
            if end < 0:
                return lines
            line = self._finish()
            if line is not None:
                lines.append(line)
            start = end + 1

    def end(self) -> list[bytes | Oversized]:
        """At end of input: a last line that had no newline."""
        line = self._finish()
        return [] if line is None else [line]

    def _take(self, piece: bytes) -> None:
        if self._over is not None:
            self._over = Oversized(self._over.size + len(piece), self._over.head)
            return
        self._buffer += piece
        if len(self._buffer) > self._limit:
            self._over = Oversized(len(self._buffer), bytes(self._buffer[:HEAD_BYTES]))
            self._buffer = bytearray()

    def _finish(self) -> bytes | Oversized | None:
        if self._over is not None:
            over, self._over = self._over, None
            return over
        line = bytes(self._buffer).strip()
        self._buffer.clear()
        return line or None


@dataclass(frozen=True)
class Refused:
    """A line the server never sees, and our answer to it (an error the client sent is a message)."""

    answer: SessionMessage

    @property
    def request_id(self) -> types.RequestId | None:
        return self.answer.message.id  # type: ignore[union-attr]


def error(code: int, message: str, request_id: types.RequestId | None) -> SessionMessage:
    return SessionMessage(
        types.JSONRPCError(jsonrpc="2.0", id=request_id, error=types.ErrorData(code=code, message=message))
    )


def _refused(code: int, message: str, request_id: types.RequestId | None) -> Refused:
    return Refused(error(code, message, request_id))


def oversized_error(line: Oversized, limit: int) -> Refused:
    message = (
        f"Invalid Request: the line is {line.size:,} bytes; revox-mcp reads stdio lines of at most {limit:,} bytes "
        "(serve --max-body-bytes), so it was discarded unread. Send a smaller request: change long texts with "
        "edits (replace_text) instead of resending them."
    )
    return _refused(INVALID_REQUEST, message, head_id(line.head))


def decode(line: bytes) -> SessionMessage | Refused | None:
    """The message a line holds, or the error that answers it (None: a bad notification, which gets none).

    The SDK's parser comes first, so every line it reads is read as it would read it; only what it refuses
    is looked at again, to say why."""
    try:
        return SessionMessage(types.jsonrpc_message_adapter.validate_json(line, by_name=False))
    except ValidationError as exc:
        return _diagnose(line, exc)


def _diagnose(line: bytes, refusal: ValidationError) -> Refused | None:
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        message = f"Parse error: the line is not valid UTF-8 (byte {exc.start:,}); send UTF-8 JSON, one message a line."
        return _refused(PARSE_ERROR, message, head_id(line[:HEAD_BYTES]))
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        message = (
            f"Parse error: the line is not valid JSON ({exc.msg} at character {exc.pos:,}); "
            "send one JSON-RPC message a line."
        )
        return _refused(PARSE_ERROR, message, None)
    except RecursionError:
        return _refused(PARSE_ERROR, "Parse error: the line's JSON is nested too deeply.", None)
    request_id = _request_id(value)
    found = _lone_surrogate(value)
    if found is not None:
        if request_id is None:
            return None  # a notification is never answered (JSON-RPC); the transport logs it
        path, char = found
        message = (
            f"{path} holds a lone surrogate (\\u{ord(char):04x}), which is not valid Unicode: a \\ud800-\\udbff "
            "escape must be followed by a \\udc00-\\udfff one. Send the text again as valid UTF-8."
        )
        return _refused(INVALID_PARAMS, message, request_id)
    detail = refusal.errors(include_url=False, include_input=False)
    where = render_path(str(p) for p in detail[0]["loc"][1:]) if detail else ""
    where = "the message" if where in ("", "(arguments)") else where
    message = (
        f"Invalid Request: not a JSON-RPC 2.0 message ({where}: {detail[0]['msg'] if detail else 'unreadable'}); "
        'a request is {"jsonrpc": "2.0", "id": ..., "method": ..., "params": {...}}.'
    )
    return _refused(INVALID_REQUEST, message, request_id)


def _request_id(value: Any) -> types.RequestId | None:
    found = value.get("id") if isinstance(value, dict) else None
    return found if isinstance(found, str | int) and not isinstance(found, bool) else None


def _lone_surrogate(value: Any) -> tuple[str, str] | None:
    """Where the first lone surrogate is (a path from the params, e.g. `arguments.id`), and which."""
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            found = None if item.isascii() else _SURROGATE.search(item)
            if found is not None:
                return _shown(path), found.group()
        elif isinstance(item, dict):
            for key, child in reversed(item.items()):
                key_found = None if key.isascii() else _SURROGATE.search(key)
                if key_found is not None:
                    return f"{_shown((*path, key))} (a key)", key_found.group()
                stack.append(((*path, key), child))
        elif isinstance(item, list):
            stack.extend(((*path, index), child) for index, child in reversed(list(enumerate(item))))
    return None


def _shown(path: tuple[str | int, ...]) -> str:
    parts = path[1:] if path[:1] == ("params",) else path
    shown = render_path(
        _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", p) if isinstance(p, str) else p for p in parts
    )
    return "the message" if shown == "(arguments)" else shown


def head_id(head: bytes) -> types.RequestId | None:
    """The top-level "id" of a message from its first bytes, if they hold it (a linear scan)."""
    text = head.decode("utf-8", "replace")
    depth = 0
    key: str | None = None
    for token in _TOKEN.finditer(text):
        mark = token.group()
        if mark in "{[":
            depth += 1
        elif mark in "}]":
            depth -= 1
        elif mark == ":" and depth == 1 and key == '"id"':
            value = _ID_VALUE.match(text, token.end())
            return json.loads(value.group(1)) if value else None
        key = mark if mark.startswith('"') and depth == 1 else None
    return None
