"""Lean answers for agents: what changed instead of everything, a compact schema that keeps every field and
shape, items that can come back as get_assistant showed them, and errors that point the right way."""

from __future__ import annotations

from typing import Any

import pytest

from revox_mcp.config import Settings
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.seed import RECEPTIONIST_ID, SALES_QUALIFIER_ID
from revox_mcp.tools import TOOLS_BY_NAME
from tests.conftest import mcp_client, stored, text_of, writes

pytestmark = pytest.mark.anyio


def ok(result: Any) -> dict[str, Any]:
    assert not result.is_error, text_of(result)
    return result.structured_content


async def test_a_write_answers_with_what_changed_and_the_assistant_only_when_asked(settings: Settings) -> None:
    async with mcp_client(settings) as client:
        lean = ok(await client.call_tool("update_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"name": "A"}}))
        full = ok(
            await client.call_tool(
                "update_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"name": "B"}, "return_assistant": True}
            )
        )
    assert set(lean) == {"assistant_id", "updated_at", "changes", "warnings", "dry_run", "change_id"}
    assert lean["changes"] == [{"path": "name", "before": "Solar lead qualifier (outbound)", "after": "A"}]
    assert full["assistant"]["name"] == "B" and full["updated_at"] == full["assistant"]["updated_at"]


def test_edit_items_have_their_real_shape() -> None:
    variants = TOOLS_BY_NAME["update_assistant"].input_schema["properties"]["edits"]["items"]["anyOf"]
    items = {v["properties"]["list"]["const"]: v["properties"]["item"] for v in variants if "item" in v["properties"]}
    assert set(items["faq_items"]["properties"]) >= {"question", "answer"}
    assert items["custom_tools"]["properties"]["headers"]["items"]["required"] == ["key", "value"]
    assert items["call_retry_config.calling_windows"]["required"] == [
        "calling_window_start_time", "calling_window_end_time", "retry_delay_seconds",
    ]  # fmt: skip


async def test_a_faq_item_copied_from_get_assistant_can_come_back(sandbox: SandboxServer, settings: Settings) -> None:
    async with mcp_client(settings) as client:
        read = ok(await client.call_tool("get_assistant", {"id": RECEPTIONIST_ID}))["assistant"]
        first = {**read["faq_items"][0], "answer": "Weekdays 8:30-18:30; Saturdays 9-12."}
        assert "id" in first
        edited = ok(
            await client.call_tool(
                "update_assistant",
                {"id": RECEPTIONIST_ID, "edits": [{"op": "upsert", "list": "faq_items", "item": first}]},
            )
        )
        patched = ok(
            await client.call_tool(
                "update_assistant", {"id": RECEPTIONIST_ID, "patch": {"faq_items": [read["faq_items"][1]]}}
            )
        )
    assert [c["path"] for c in edited["changes"]] == ["faq_items[0].answer"], "no id reported as changed"
    assert (
        patched["changes"]
        and stored(sandbox, RECEPTIONIST_ID)["faq_items"][0]["question"] == read["faq_items"][1]["question"]
    )


async def test_an_error_inside_a_nested_object_points_to_the_detailed_schema(
    sandbox: SandboxServer, settings: Settings
) -> None:
    async with mcp_client(settings) as client:
        nested = await client.call_tool("update_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"voice": {"sped": 1}}})
        flat = await client.call_tool("update_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"nmae": "x"}})
    assert "the resource revox://schemas/update_assistant/voice (all: revox://schemas/update_assistant)" in text_of(
        nested
    )
    assert "revox://schemas" not in text_of(flat)
    assert writes(sandbox) == []


async def test_read_tools_never_speak_of_writing(settings: Settings) -> None:
    async with mcp_client(settings) as client:
        bad_date = await client.call_tool("search_calls", {"created_after": "last tuesday"})
        missing = await client.call_tool("get_assistant", {"id": "asst_nope"})
    for result in (bad_date, missing):
        assert result.is_error
        assert "written" not in text_of(result) and "changed" not in text_of(result), text_of(result)


def test_a_list_of_objects_that_grew_or_shrank_is_diffed_item_by_item() -> None:
    from revox_mcp.editing import diff

    old = {"faq_items": [{"question": str(i), "answer": "a"} for i in range(3000)]}
    new = {"faq_items": [*old["faq_items"][:5], *old["faq_items"][6:], {"question": "new", "answer": "b"}]}
    new["faq_items"][0] = {"question": "0", "answer": "changed"}
    assert diff(old, new) == [
        {"path": "faq_items[0].answer", "before": "a", "after": "changed"},
        {"path": "faq_items[5]", "removed": {"question": "5", "answer": "a"}},
        {"path": "faq_items[2999]", "added": {"question": "new", "answer": "b"}},
    ]
    days = diff({"allowed_days": ["monday"]}, {"allowed_days": ["monday", "tuesday"]})
    assert days == [{"path": "allowed_days", "before": ["monday"], "after": ["monday", "tuesday"]}]


async def test_a_large_assistant_reads_bounded_and_in_pages_on_request(
    sandbox: SandboxServer, settings: Settings
) -> None:
    prompt = "Be warm and concise with every caller.\n" * 2_500
    faq = [{"question": f"Q{i}?", "answer": f"A{i}."} for i in range(500)]
    sandbox.store.update(SALES_QUALIFIER_ID, {"prompt": prompt, "faq_items": faq})
    async with mcp_client(settings) as client:
        read = await client.call_tool("get_assistant", {"id": SALES_QUALIFIER_ID})
        whole = ok(await client.call_tool("get_assistant", {"id": SALES_QUALIFIER_ID, "fields": ["prompt", "nope"]}))
        back = await client.call_tool(
            "update_assistant",
            {"id": SALES_QUALIFIER_ID, "patch": {"prompt": read.structured_content["assistant"]["prompt"]}},
        )
        back_list = await client.call_tool(
            "update_assistant",
            {"id": SALES_QUALIFIER_ID, "patch": {"faq_items": read.structured_content["assistant"]["faq_items"]}},
        )
        back_page = await client.call_tool(
            "update_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"prompt": whole["pages"][0]["text"]}}
        )
    shown = ok(read)
    assert len(read.model_dump_json()) < 12_000, "bounded, whatever the assistant's size"
    assert {c["field"]: (c["shown"], c["total"]) for c in shown["cut"]} == {
        "prompt": (2_000, len(prompt)),
        "faq_items": (0, 500),
    }
    assert 'fields=["prompt"] reads it in pages of characters' in text_of(read)
    assert set(whole["assistant"]) == {"id", "name", "updated_at", "prompt"} and whole["missing"] == ["nope"]
    page = whole["pages"][0]
    assert (page["field"], page["offset"], page["total"], page["next_offset"]) == (
        "prompt",
        0,
        len(prompt),
        page["shown"],
    )
    assert page["text"].startswith(prompt[: page["shown"]]) and "offset=" in page["text"][page["shown"] :]
    assert back.is_error and "patch.prompt" in text_of(back) and 'fields=["prompt"]' in text_of(back)
    assert back_list.is_error and "patch.faq_items" in text_of(back_list)
    assert back_page.is_error and "patch.prompt" in text_of(back_page), "a page is not the whole text"
    assert writes(sandbox) == []


async def test_get_assistant_names_the_current_voice(settings: Settings) -> None:
    async with mcp_client(settings) as client:
        read = ok(await client.call_tool("get_assistant", {"id": SALES_QUALIFIER_ID, "fields": ["voice"]}))
    assert read["voice"] == {"name": "Katie", "language": "en", "gender": "female", "accent": "american"}


@pytest.mark.parametrize(
    ("patch", "warning"),
    [
        ({"first_sentence_mode": "static", "first_sentence": "  "}, "open the call with silence"),
        (
            {"call_retry_config": {"calling_windows": [
                {"calling_window_start_time": "6pm", "calling_window_end_time": "09:00", "retry_delay_seconds": 60}
            ]}},
            "calling_windows[0] ends before it starts",
        ),
    ],
)  # fmt: skip
async def test_changes_that_break_a_call_are_warned(
    sandbox: SandboxServer, settings: Settings, patch: dict[str, Any], warning: str
) -> None:
    async with mcp_client(settings) as client:
        answer = ok(
            await client.call_tool("update_assistant", {"id": SALES_QUALIFIER_ID, "patch": patch, "dry_run": True})
        )
    assert any(warning in w for w in answer["warnings"]), answer["warnings"]


async def test_a_whole_assistant_sent_back_as_the_patch_gets_one_line(
    sandbox: SandboxServer, settings: Settings
) -> None:
    async with mcp_client(settings) as client:
        answer = ok(await client.call_tool("get_assistant", {"id": SALES_QUALIFIER_ID}))
        bare = await client.call_tool("update_assistant", {"id": SALES_QUALIFIER_ID, "patch": answer["assistant"]})
        # From a walkthrough: the answer itself, its 'assistant' wrapper and all, sent back.
        wrapped = await client.call_tool("update_assistant", {"id": SALES_QUALIFIER_ID, "patch": answer})
    for result, said in ((bare, "a whole assistant"), (wrapped, "get_assistant's whole answer")):
        lines = text_of(result).splitlines()
        assert result.is_error and len(lines) == 3, lines
        assert lines[1].startswith(f"- patch: got {said}") and "only the fields to change" in lines[1]
    assert writes(sandbox) == []


async def test_search_calls_counts_every_match_and_says_where_to_look_when_none_match(settings: Settings) -> None:
    async with mcp_client(settings) as client:
        page = ok(await client.call_tool("search_calls", {"assistant_id": SALES_QUALIFIER_ID, "page_size": 5}))
        empty = await client.call_tool(
            "search_calls", {"assistant_id": SALES_QUALIFIER_ID, "created_after": "2030-01-01T00:00:00Z"}
        )
    assert len(page["calls"]) == 5 and sum(page["counts"]["result"].values()) == page["total"] > 5
    text = text_of(empty)
    assert "0 call(s) match" in text and "The newest call matching the other filters is from 2026-11" in text
    assert "Today is " in text


async def test_help_that_points_the_right_way(sandbox: SandboxServer, settings: Settings) -> None:
    prompt = "Say hello. Say hello again. Then say goodbye to the caller, warmly and politely."
    sandbox.store.update(SALES_QUALIFIER_ID, {"prompt": prompt})
    async with mcp_client(settings) as client:
        language = await client.call_tool("update_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"language": "fr"}})
        twice = await client.call_tool(
            "update_assistant",
            {
                "id": SALES_QUALIFIER_ID,
                "edits": [{"op": "replace_text", "field": "prompt", "find": "hello", "replace": "x"}],
            },
        )
        near = await client.call_tool(
            "update_assistant",
            {
                "id": SALES_QUALIFIER_ID,
                "edits": [
                    {
                        "op": "replace_text",
                        "field": "prompt",
                        "find": "en say goodbye to the caller, warmly and politly",
                        "replace": "x",
                    }
                ],
            },
        )
        voices = ok(await client.call_tool("list_voices", {"ids": ["21m00Tcm4TlvDq8ikWAM"]}))
    assert "The language comes from the voice" in text_of(language)
    assert "(lines 1)" in text_of(twice) and "Edits apply in order" in text_of(twice)
    assert 'Nearest passage (line 1): "Then say goodbye to the caller, warmly and politely."' in text_of(near)
    assert [v["id"] for v in voices["voices"]] == ["21m00Tcm4TlvDq8ikWAM"]


async def test_one_warning_for_one_problem_seen_from_two_fields(sandbox: SandboxServer, settings: Settings) -> None:
    patch = {"first_sentence_mode": "static", "first_sentence": ""}
    async with mcp_client(settings) as client:
        answer = ok(
            await client.call_tool("update_assistant", {"id": SALES_QUALIFIER_ID, "patch": patch, "dry_run": True})
        )
    silent = [w for w in answer["warnings"] if "silence" in w]
    assert len(silent) == 1 and "first_sentence_mode 'none' waits for the caller" in silent[0]


def test_diffing_long_lists_of_alike_items_stays_linear() -> None:
    import time

    from revox_mcp.editing import diff

    old = {"faq_items": [{"question": "q", "answer": "a"}] * 16_000}
    new = {"faq_items": [{"question": "new", "answer": "b"}, *old["faq_items"]]}
    began = time.perf_counter()
    changes = diff(old, new)
    assert changes == [{"path": "faq_items[0]", "added": {"question": "new", "answer": "b"}}]
    assert time.perf_counter() - began < 5, "quadratic alignment is bounded (seconds, not a minute)"
