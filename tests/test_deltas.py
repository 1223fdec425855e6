"""The journal keeps what a change to a long list or text changed, not the whole value: pure logic first,
then through a real MCP client on an assistant with 3,000 FAQ items and a long prompt."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from revox_mcp.deltas import MIN_TEXT_CHARS, delta, fingerprint, holds, is_delta, undo
from revox_mcp.redaction import redact
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.seed import RECEPTIONIST_ID
from tests.conftest import fast_settings, mcp_client, stored, text_of


def faq(n: int, answer: str = "Yes.") -> dict[str, str]:
    return {"question": f"Question {n}?", "answer": answer}


def number(item: dict[str, str]) -> int:
    return int(item["question"].split()[1].rstrip("?"))


items = st.lists(st.integers(0, 40), unique=True, max_size=25).map(lambda ns: [faq(n) for n in ns])


@settings(max_examples=200, deadline=None)
@given(old=items, new=items, changed=st.sets(st.integers(0, 40)))
def test_a_list_delta_rebuilds_the_list_before_exactly(
    old: list[dict[str, str]], new: list[dict[str, str]], changed: set[int]
) -> None:
    kept = [i for i in old if i in new]
    # New keeps the old order of the items both hold (upserts replace in place or append; removals drop).
    new = kept + [i for i in new if i not in old]
    new = [
        faq(int(i["question"].split()[1][:-1]), "Changed.") if hash(i["question"]) % 41 in changed else i for i in new
    ]
    recorded = delta("faq_items", old, new)
    assert recorded is not None and is_delta(recorded)
    assert holds(new, recorded) and (old == new or not holds(old, recorded))
    assert undo(new, recorded) == old


def test_a_one_item_edit_of_3000_items_records_one_item() -> None:
    old = [faq(n) for n in range(3000)]
    new = [*old[:10], faq(10, "Changed."), *old[11:], faq(5000)]
    recorded = delta("faq_items", old, new)
    assert recorded is not None
    assert len(json.dumps(recorded)) < 1000
    assert recorded["replaced"] == [[10, faq(10), faq(10, "Changed.")]] and recorded["added"] == [[3000, faq(5000)]]
    assert undo(new, recorded) == old


def test_a_list_that_changed_again_is_not_rebuilt() -> None:
    old = [faq(n) for n in range(5)]
    new = [*old, faq(9)]
    recorded = delta("faq_items", old, new)
    assert recorded is not None
    assert undo([*new, faq(10)], recorded) is None


@pytest.mark.parametrize(
    "items",
    [
        [faq(1), faq(1)],  # duplicate keys
        [{"answer": "no question"}],
        ["not an object"],
    ],
    ids=["duplicate-keys", "no-key", "not-objects"],
)
def test_lists_that_cannot_be_keyed_are_kept_whole(items: list[Any]) -> None:
    assert delta("faq_items", items, [*items, faq(3)]) is None


def test_a_reordered_list_keeps_its_order_of_keys_and_an_unkeyed_list_is_kept_whole() -> None:
    old, new = [faq(1), faq(2), faq(3)], [faq(3), faq(1, "Changed."), faq(2)]  # the API sorted it, say
    recorded = delta("faq_items", old, new)
    assert recorded is not None and recorded["before_order"] == ["Question 1?", "Question 2?", "Question 3?"]
    assert undo(new, recorded) == old
    assert delta("call_retry_config", [1], [2]) is None


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("a" * 5000 + "middle" + "b" * 5000, "a" * 5000 + "centre" + "b" * 5000),
        ("start" + "x" * 5000, "x" * 5000),
        ("x" * 5000, "x" * 5000 + " and an ending"),
        ("x" * 3000 + "y" * 3000, "x" * 3000 + "inserted" + "y" * 3000),
        ("aaaa" * 1000, "aaaa" * 999 + "aaa"),  # a run: the passage sits anywhere in it, the rebuild is exact
    ],
    ids=["replace", "delete-at-start", "append", "insert", "inside-a-run"],
)
def test_a_text_delta_keeps_one_passage_and_rebuilds_the_text(old: str, new: str) -> None:
    recorded = delta("prompt", old, new)
    assert recorded is not None
    assert len(recorded["removed"]) + len(recorded["inserted"]) <= 20
    assert undo(new, recorded) == old
    assert undo(new + "!", recorded) is None


def test_short_texts_are_kept_whole() -> None:
    assert delta("prompt", "a" * MIN_TEXT_CHARS, "b" * MIN_TEXT_CHARS) is None


def test_a_fingerprint_is_of_the_masked_value_and_no_row_holds_the_secret() -> None:
    tool = {"name": "t", "headers": [{"key": "Authorization", "value": "Bearer sk-live-1234567890abcdef"}]}
    assert fingerprint([tool]) == fingerprint(redact([tool]))
    recorded = delta("custom_tools", [{"name": "old"}], [{"name": "old"}, tool])
    assert recorded is not None
    assert "sk-live-1234567890abcdef" not in json.dumps(redact(recorded))


def _row_bytes(path: Path) -> list[int]:
    db = sqlite3.connect(path)
    try:
        rows = db.execute("SELECT body, before, COALESCE(after, ''), patch, edits FROM changes ORDER BY seq").fetchall()
    finally:
        db.close()
    return [sum(len(column) for column in row) for row in rows]


@pytest.mark.anyio
async def test_a_one_item_upsert_on_3000_items_journals_a_few_hundred_bytes_and_reverts(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    items = [faq(n) for n in range(3000)]
    prompt = "".join(f"Line {n}: greet patient {n} kindly and book the visit they ask for.\n" for n in range(1500))
    sandbox.store.update(RECEPTIONIST_ID, {"faq_items": items, "prompt": prompt})
    settings_ = fast_settings(sandbox, journal_path=tmp_path / "journal.db")
    upsert = {"op": "upsert", "list": "faq_items", "item": faq(1500, "Changed.")}
    find = "Line 700: greet patient 700"
    replace = {"op": "replace_text", "field": "prompt", "find": find, "replace": "Line 700: hi"}
    async with mcp_client(settings_) as client:
        for edit in (upsert, replace):
            result = await client.call_tool("update_assistant", {"id": RECEPTIONIST_ID, "edits": [edit]})
            assert not result.is_error, text_of(result)
        listed = (await client.call_tool("list_changes", {})).structured_content
        assert listed is not None
        for row in listed["changes"]:
            revert = await client.call_tool("revert_change", {"change_id": row["change_id"]})
            assert not revert.is_error, text_of(revert)
    upsert_bytes, replace_bytes, *reverts = _row_bytes(tmp_path / "journal.db")
    print("journal bytes per row:", upsert_bytes, replace_bytes, reverts)
    assert upsert_bytes < 4096 and replace_bytes < 4096 and all(size < 4096 for size in reverts)
    faq_change = next(r for r in listed["changes"] if r["fields"] == ["faq_items"])
    async with mcp_client(settings_) as client:
        one = (await client.call_tool("list_changes", {"change_id": faq_change["change_id"]})).structured_content
    assert one is not None
    assert one["changes"][0]["changes"] == [{"path": "faq_items[1500].answer", "before": "Yes.", "after": "Changed."}]
    now = stored(sandbox, RECEPTIONIST_ID)
    assert now["prompt"] == prompt
    assert [(i["question"], i["answer"]) for i in now["faq_items"]] == [(i["question"], i["answer"]) for i in items]


def test_a_forced_undo_takes_back_only_this_changes_part_of_a_list_changed_since() -> None:
    old = [faq(1), faq(2)]
    new = [faq(1, "Changed."), faq(2), faq(3)]
    recorded = delta("faq_items", old, new)
    assert recorded is not None
    later = [*new, faq(4)]
    assert undo(later, recorded) is None, "not without force: a later change is there"
    assert undo(later, recorded, force=True) == [faq(1), faq(2), faq(4)]


def test_a_forced_undo_of_a_passage_finds_it_once_or_refuses() -> None:
    old = "x" * 3000 + " keep this " + "y" * 3000
    new = "x" * 3000 + " write this " + "y" * 3000
    recorded = delta("prompt", old, new)
    assert recorded is not None
    moved = "A new first line. " + new
    assert undo(moved, recorded) is None
    assert undo(moved, recorded, force=True) == "A new first line. " + old
    assert undo(moved.replace(" write this ", " gone "), recorded, force=True) is None
