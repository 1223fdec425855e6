"""Every answer bounded, and the way to the rest stated (issue 20 item 4): a ceiling on every tool's answer,
errors that name a few nearest candidates and a count, long lists and texts read in pages or searched, and
list_changes showing one change's diff on request. Through a real MCP client against the sandbox, on an
assistant with 3,000 FAQ items (answers of a few KB) and a 95 KB prompt."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import mcp_types as types
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from revox_mcp.answer_bounds import nearest, shrink, size_of, within_ceiling
from revox_mcp.config import DEFAULT_MAX_ANSWER_BYTES, MAX_ANSWER_BYTES_ENV, Settings
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.seed import SALES_QUALIFIER_ID as A
from revox_mcp.views import CUT_MARK
from tests.conftest import fast_settings, mcp_client, stored, text_of, writes

pytestmark = pytest.mark.anyio

ITEMS = 3_000


def faq(index: int) -> dict[str, str]:
    # Answers of a few KB, each with one word no other item has.
    return {
        "question": f"Question {index}: what about topic {index}?",
        "answer": f"Answer {index}, marker-{index:04d}-x. " + "We install panels, batteries and inverters. " * 50,
    }


@pytest.fixture
def large(sandbox: SandboxServer) -> dict[str, Any]:
    prompt = "\n".join(f"Line {i}: be warm, concise and helpful with every caller." for i in range(1_700))[:95_000]
    values = {"faq_items": [faq(i) for i in range(ITEMS)], "prompt": prompt}
    sandbox.store.update(A, values)
    return values


def ok(result: Any) -> dict[str, Any]:
    assert not result.is_error, text_of(result)
    return result.structured_content  # type: ignore[no-any-return]


def within(result: Any, ceiling: int = DEFAULT_MAX_ANSWER_BYTES) -> None:
    """Both copies of the answer (text and structured content) are at most the ceiling."""
    assert len(text_of(result).encode()) <= ceiling, len(text_of(result).encode())
    if result.structured_content is not None:
        assert size_of(result.structured_content) <= ceiling


async def test_a_remove_with_an_unknown_question_names_three_nearest_and_the_count(
    sandbox: SandboxServer, settings: Settings, large: dict[str, Any]
) -> None:
    edit = {"op": "remove", "list": "faq_items", "key": "Question 1234: what about topic 1243?"}
    async with mcp_client(settings) as client:
        result = await client.call_tool("update_assistant", {"id": A, "edits": [edit]})
    text = text_of(result)
    assert result.is_error and len(text.encode()) < 2_000, len(text.encode())
    assert "no FAQ item has this question among 3,000" in text
    assert 'Nearest: "Question 1234: what about topic 1234?"' in text and text.count("Question ") <= 5
    assert 'faq_query: "Question 1234: what about topic 1243?"' in text
    assert writes(sandbox) == []


def test_nearest_is_bounded_in_strings_and_candidates() -> None:
    huge = [f"{'x' * 10_000} option {i}" for i in range(20_000)]
    found = nearest("option 3", ["Opening hours?", "option 3 please", "Parking?", *huge])
    assert found[0] == "option 3 please" and len(found) <= 3
    assert nearest("anything", []) == []
    assert nearest("Parking", ["parking"]) == ["parking"], "a case-only difference is the match"


async def test_faq_items_read_in_pages_that_follow_one_another(settings: Settings, large: dict[str, Any]) -> None:
    async with mcp_client(settings) as client:
        first = await client.call_tool("get_assistant", {"id": A, "fields": ["faq_items"]})
        page = ok(first)["pages"][0]
        second = await client.call_tool(
            "get_assistant", {"id": A, "fields": ["faq_items"], "offset": page["next_offset"], "limit": 2}
        )
        last = ok(await client.call_tool("get_assistant", {"id": A, "fields": ["faq_items"], "offset": ITEMS - 1}))
    within(first)
    within(second)
    assert (page["field"], page["offset"], page["total"], page["edit_key"]) == ("faq_items", 0, ITEMS, "question")
    assert [r["index"] for r in page["items"]] == list(range(page["shown"])) and page["next_offset"] == page["shown"]
    assert page["items"][0]["item"].items() >= large["faq_items"][0].items()
    following = ok(second)["pages"][0]
    assert [r["index"] for r in following["items"]] == [page["shown"], page["shown"] + 1]
    assert [r["index"] for r in last["pages"][0]["items"]] == [ITEMS - 1] and last["pages"][0]["next_offset"] is None
    assert isinstance(ok(first)["assistant"]["faq_items"], str), "a page cannot be sent back as the list"
    assert f"offset={page['next_offset']} reads on" in text_of(first)


async def test_the_prompt_reads_in_pages_of_characters_with_their_offsets(
    settings: Settings, large: dict[str, Any]
) -> None:
    prompt, offset, text = large["prompt"], 0, ""
    async with mcp_client(settings) as client:
        with anyio.fail_after(60):
            while offset is not None:
                result = await client.call_tool("get_assistant", {"id": A, "fields": ["prompt"], "offset": offset})
                within(result)
                page = ok(result)["pages"][0]
                assert page["offset"] == offset and page["total"] == len(prompt)
                assert CUT_MARK in page["text"][page["shown"] :], "a page ends with the cut mark"
                text += page["text"][: page["shown"]]
                offset = page["next_offset"]
        window = ok(
            await client.call_tool("get_assistant", {"id": A, "fields": ["prompt"], "offset": 5_000, "limit": 300})
        )["pages"][0]
    assert text == prompt
    assert window["text"][:300] == prompt[5_000:5_300] and window["next_offset"] == 5_300


async def test_find_and_edit_one_faq_item_of_three_thousand(
    sandbox: SandboxServer, settings: Settings, large: dict[str, Any]
) -> None:
    """An agent finds an item by a word of its answer, upserts it by its question, and only it changes."""
    async with mcp_client(settings) as client:
        found = await client.call_tool("get_assistant", {"id": A, "faq_query": "MARKER-2718-X"})
        page = ok(found)["pages"][0]
        assert (page["query"], page["total"], page["list_total"]) == ("MARKER-2718-X", 1, ITEMS)
        match = page["items"][0]
        item = {"question": match["item"]["question"], "answer": "Yes: we install home batteries too."}
        written = await client.call_tool(
            "update_assistant", {"id": A, "edits": [{"op": "upsert", "list": "faq_items", "item": item}]}
        )
    within(found)
    within(written)
    assert match["index"] == 2718 and "its index and question" in text_of(found)
    assert [c["path"] for c in ok(written)["changes"]] == ["faq_items[2718].answer"]
    after = stored(sandbox, A)["faq_items"]
    assert len(after) == ITEMS and after[2718]["answer"] == item["answer"]
    plain = [{"question": f["question"], "answer": f["answer"]} for f in after]
    assert plain[:2718] + plain[2719:] == large["faq_items"][:2718] + large["faq_items"][2719:]


async def test_a_search_that_finds_nothing_says_so(settings: Settings, large: dict[str, Any]) -> None:
    async with mcp_client(settings) as client:
        result = await client.call_tool("get_assistant", {"id": A, "faq_query": "no such words"})
    page = ok(result)["pages"][0]
    assert page["total"] == 0 and page["items"] == [] and "0 of 3,000 FAQ items match" in text_of(result)


async def test_every_answer_on_the_large_assistant_is_within_the_ceiling(
    sandbox: SandboxServer, tmp_path: Path, large: dict[str, Any]
) -> None:
    settings = fast_settings(sandbox, journal_path=tmp_path / "journal.db")
    edit = {"op": "replace_text", "field": "prompt", "find": "Line 5: be warm", "replace": "Line 5: be very warm"}
    calls: list[tuple[str, dict[str, Any]]] = [
        ("get_assistant", {"id": A}),
        ("get_assistant", {"id": A, "fields": ["faq_items", "prompt"]}),
        ("update_assistant", {"id": A, "edits": [edit]}),
        ("update_assistant", {"id": A, "edits": [{"op": "remove", "list": "faq_items", "key": "Nope?"}]}),
        ("update_assistant", {"id": A, "patch": {"faq_items": large["faq_items"][1:]}, "dry_run": True}),
        ("list_changes", {}),
        ("list_assistants", {}),
        ("list_voices", {"limit": 200}),
        ("search_calls", {"page_size": 100}),
    ]
    async with mcp_client(settings) as client:
        for tool, args in calls:
            within(await client.call_tool(tool, args))


async def test_the_whole_assistant_in_a_write_answer_is_bounded_and_cannot_be_sent_back(
    sandbox: SandboxServer, settings: Settings, large: dict[str, Any]
) -> None:
    async with mcp_client(settings) as client:
        result = await client.call_tool(
            "update_assistant", {"id": A, "patch": {"name": "Big"}, "return_assistant": True, "dry_run": True}
        )
        back = await client.call_tool(
            "update_assistant", {"id": A, "patch": {"faq_items": ok(result)["assistant"]["faq_items"]}}
        )
    within(result)
    answer = ok(result)
    assert answer["changes"] == [{"path": "name", "before": "Solar lead qualifier (outbound)", "after": "Big"}]
    assert "assistant.faq_items" in {c["path"] for c in answer["over_ceiling"]["left_out"]}
    assert isinstance(answer["assistant"]["faq_items"], str) and back.is_error
    assert writes(sandbox) == []


async def test_list_changes_summarizes_and_shows_one_diff_on_request(
    sandbox: SandboxServer, tmp_path: Path, large: dict[str, Any]
) -> None:
    settings = fast_settings(sandbox, journal_path=tmp_path / "journal.db")
    new = [{**faq(i), "answer": f"Rewritten {i}."} for i in range(60)]
    async with mcp_client(settings) as client:
        edits = [{"op": "upsert", "list": "faq_items", "item": item} for item in new]
        ok(await client.call_tool("update_assistant", {"id": A, "edits": edits, "reason": "shorter answers"}))
        listed = await client.call_tool("list_changes", {"assistant_id": A})
        row = ok(listed)["changes"][0]
        one = await client.call_tool("list_changes", {"change_id": row["change_id"]})
        detail = ok(one)["changes"][0]
        rest = ok(
            await client.call_tool(
                "list_changes", {"change_id": row["change_id"], "diff_offset": detail["next_diff_offset"]}
            )
        )["changes"][0]
        unknown = await client.call_tool("list_changes", {"change_id": "chg_nope"})
    within(listed)
    within(one)
    assert "changes" not in row and row["paths_total"] == 60 and len(row["paths"]) == 20
    first = detail["changes"][0]
    assert row["paths"][0] == {"path": "faq_items[0].answer", "kind": "diff", "bytes": size_of(first)}
    assert first["path"] == "faq_items[0].answer" and "Rewritten 0." in first["diff"]
    shown = len(detail["changes"])
    assert 0 < shown < 60 and detail["next_diff_offset"] == shown
    assert rest["changes"][0]["path"] == f"faq_items[{shown}].answer"
    assert f"diff_offset={shown} shows the rest" in text_of(one)
    assert unknown.is_error and "change_id" in text_of(unknown) and "newest: chg_" in text_of(unknown)


async def test_over_the_ceiling_an_answer_is_shortened_validly_and_says_how_to_read_on(sandbox: SandboxServer) -> None:
    settings = fast_settings(sandbox, max_answer_bytes=4_096)
    async with mcp_client(settings) as client:
        result = await client.call_tool("list_voices", {"limit": 200})
    within(result, 4_096)
    answer = ok(result)
    over = answer["over_ceiling"]
    assert over["ceiling_bytes"] == 4_096 and over["left_out"][0]["path"] == "voices"
    assert over["left_out"][0]["shown"] == len(answer["voices"]) < over["left_out"][0]["total"]
    assert "lower limit" in over["read_on"] and "Answer over the 4,096-byte ceiling" in text_of(result)
    assert json.loads(text_of(result).split("\n", 2)[2]) == answer, "the text carries the same, whole JSON"


def test_shrinking_keeps_lists_lists_and_marks_cut_texts() -> None:
    value = {"id": "x" * 10, "rows": [{"n": i, "note": "y" * 300} for i in range(100)], "diff": "z" * 50_000}
    shrunk, left_out = shrink(value, 4_000)
    assert size_of(shrunk) <= 4_000 and shrunk["id"] == value["id"]
    assert isinstance(shrunk["rows"], list) and isinstance(shrunk["diff"], str) and CUT_MARK in shrunk["diff"]
    assert {c["path"]: (c["shown"], c["total"]) for c in left_out} == {
        "diff": (len(shrunk["diff"]) - len(shrunk["diff"].partition(CUT_MARK)[2]) - len(CUT_MARK), 50_000),
        "rows": (len(shrunk["rows"]), 100),
    }
    assert shrunk["rows"] == value["rows"][: len(shrunk["rows"])], "the first items, whole"


async def test_an_error_over_the_ceiling_is_cut_with_a_note() -> None:
    error = types.CallToolResult(content=[types.TextContent(type="text", text="é" * 20_000)], is_error=True)
    cut = await within_ceiling(error, 4_096, "Ask for less.")
    text = text_of(cut)
    assert cut.is_error and len(text.encode()) <= 4_096 and text.endswith("ceiling; Ask for less.]")


def test_the_ceiling_comes_from_the_flag_or_the_environment(tmp_path: Path) -> None:
    assert Settings.from_env({MAX_ANSWER_BYTES_ENV: "65536"}).max_answer_bytes == 65_536
    assert Settings.from_env({}).max_answer_bytes == DEFAULT_MAX_ANSWER_BYTES
    command = [sys.executable, "-m", "revox_mcp", "serve", "--sandbox", "--sandbox-db", str(tmp_path / "s.db")]
    done = subprocess.run(
        [*command, "--max-answer-bytes", "100"], capture_output=True, text=True, timeout=60, env=dict(os.environ)
    )
    assert done.returncode == 2 and "at least 4,096 bytes" in done.stderr


async def test_a_list_assistants_miss_names_the_nearest_few_of_many(sandbox: SandboxServer, settings: Settings) -> None:
    for i in range(40):
        sandbox.store.create({"name": f"Branch {i:02d} receptionist"})
    async with mcp_client(settings) as client:
        result = await client.call_tool("list_assistants", {"name_contains": "Branch 17 receptionst"})
    text = text_of(result).splitlines()[0]
    assert 'The organization has 43; nearest names: "Branch 17 receptionist"' in text
    assert text.count("Branch") <= 4 and len(text) < 400


async def test_list_voices_says_which_ids_it_did_not_find_in_a_few_words(settings: Settings) -> None:
    asked = ["21m00Tcm4TlvDq8ikWAM", *(f"nope-{i}" for i in range(100 - 1))]
    async with mcp_client(settings) as client:
        result = await client.call_tool("list_voices", {"ids": asked})
    answer, text = ok(result), text_of(result).splitlines()[0]
    assert [v["id"] for v in answer["voices"]] == ["21m00Tcm4TlvDq8ikWAM"]
    assert '99 of the 100 ids asked match no voice here: "nope-0", "nope-1", "nope-2" and 96 more' in text


async def test_an_item_longer_than_an_answer_is_shown_cut_and_cannot_be_sent_back(
    sandbox: SandboxServer, settings: Settings
) -> None:
    items = [{"question": "Short?", "answer": "Yes."}, {"question": "Long?", "answer": "Very long. " * 4_000}]
    sandbox.store.update(A, {"faq_items": items})
    async with mcp_client(settings) as client:
        read = await client.call_tool("get_assistant", {"id": A, "faq_query": "very long"})
        row = ok(read)["pages"][0]["items"][0]
        back = await client.call_tool(
            "update_assistant", {"id": A, "edits": [{"op": "upsert", "list": "faq_items", "item": row["item"]}]}
        )
    within(read)
    assert row["index"] == 1 and row["cut"] and CUT_MARK in row["item"]["answer"]
    assert "Item 1 alone is over the answer ceiling" in text_of(read)
    assert back.is_error and "edits[0].item.answer" in text_of(back) and writes(sandbox) == []


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=300),
    lambda inner: st.lists(inner, max_size=30) | st.dictionaries(st.text(max_size=12), inner, max_size=30),
    max_leaves=400,
)


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.dictionaries(st.sampled_from(["rows", "call", "note", "counts"]), _JSON, min_size=1))
def test_any_answer_shape_comes_back_within_the_ceiling(body: dict[str, Any]) -> None:
    text = f"A summary.\n{json.dumps(body, ensure_ascii=False, separators=(',', ':'))}"
    result = types.CallToolResult(content=[types.TextContent(type="text", text=text)], structured_content=body)
    bounded = anyio.run(within_ceiling, result, 4_096, "Ask for less.")
    assert len(text_of(bounded).encode()) <= 4_096
    assert bounded.structured_content is not None and size_of(bounded.structured_content) <= 4_096
    assert set(bounded.structured_content) - {"over_ceiling"} == set(body), "every top-level key stays"
    for key, value in body.items():
        assert type(bounded.structured_content[key]) is type(value), "top-level values keep their type"
