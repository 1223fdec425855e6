"""stdio framing, directly: lines cut from chunks within a bound, and the answer to each bad line."""

from __future__ import annotations

import json

import mcp_types as types
import pytest
from mcp.shared.message import SessionMessage

from revox_mcp.stdio_lines import HEAD_BYTES, LineSplitter, Oversized, Refused, decode, head_id


def test_lines_are_cut_across_chunks_and_blank_lines_skipped() -> None:
    splitter = LineSplitter(limit=10)
    assert splitter.feed(b'{"a"') == []
    assert splitter.feed(b':1}\n\n  \n{"b":2}\n{"c"') == [b'{"a":1}', b'{"b":2}']
    assert splitter.end() == [b'{"c"']
    assert splitter.end() == []


def test_a_line_over_the_limit_is_counted_not_held() -> None:
    splitter = LineSplitter(limit=100)
    head = b'{"id": 7, "x": "' + b"a" * 200
    assert splitter.feed(head) == []
    for _ in range(50):
        assert splitter.feed(b"a" * 10_000) == []
        assert len(splitter._buffer) == 0  # nothing of it is kept past the head
    assert splitter.feed(b'"}\n{"ok":1}\n') == [Oversized(len(head) + 500_002, head[:HEAD_BYTES]), b'{"ok":1}']


@pytest.mark.parametrize(
    ("head", "found"),
    [
        (b'{"jsonrpc": "2.0", "id": 12, "method": "tools/call"', 12),
        (b'{"method": "x", "params": {"id": "inner"}, "id": "outer", "more', "outer"),
        (b'{"params": {"arguments": {"id": 5}}, "x": "', None),
        (b'{"method": "id", "params": {"a": "\\"id\\": 3"}, "id": -4}', -4),
        (b'{"id": 1.5}', None),
        (b"[" * 5000, None),
    ],
)
def test_the_top_level_id_is_found_in_a_head(head: bytes, found: object) -> None:
    assert head_id(head) == found


def test_decode_reads_what_the_sdk_reads() -> None:
    message = decode(b'{"jsonrpc": "2.0", "id": 3, "method": "ping"}')
    assert isinstance(message, SessionMessage) and isinstance(message.message, types.JSONRPCRequest)
    # An error the client sends (to a request of the server's) is a message, not a refusal of ours.
    sent = decode(b'{"jsonrpc": "2.0", "id": 4, "error": {"code": -1, "message": "no"}}')
    assert isinstance(sent, SessionMessage) and isinstance(sent.message, types.JSONRPCError)


def _error(line: bytes) -> types.JSONRPCError:
    refused = decode(line)
    assert isinstance(refused, Refused) and isinstance(refused.answer.message, types.JSONRPCError)
    return refused.answer.message


def test_decode_names_a_lone_surrogate_in_a_key_or_a_list() -> None:
    error = _error(rb'{"jsonrpc": "2.0", "id": 1, "method": "x", "params": {"a": [1, {"k\udbff": 2}]}}')
    assert error.id == 1 and error.error.code == -32602
    assert error.error.message.startswith("a[1].k\\udbff (a key) holds a lone surrogate (\\udbff)")
    assert _error(rb'{"jsonrpc": "2.0", "id": "\ud800", "method": "x"}').error.message.startswith("id holds")
    assert decode(rb'{"jsonrpc": "2.0", "method": "x", "params": {"a": "\ud800"}}') is None


def test_decode_answers_json_that_is_not_a_message() -> None:
    error = _error(json.dumps({"jsonrpc": "1.0", "id": 2, "method": "ping"}).encode())
    assert error.id == 2 and error.error.code == -32600 and "jsonrpc" in error.error.message
