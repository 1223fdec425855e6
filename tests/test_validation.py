"""Argument validation reports every problem at once, each with its path, value, rule and a hint."""

from __future__ import annotations

from typing import Any

import pytest

from revox_mcp.errors import PatchInvalid, Problem
from revox_mcp.messages import MAX_VALUE_CHARS, did_you_mean, render_path, shorten
from revox_mcp.tools import UPDATE_ASSISTANT
from tests.test_models import custom_tool


def problems_for(patch: dict[str, Any], assistant_id: str = "asst_1") -> list[Problem]:
    """Every problem the arguments check finds: those it refuses the call for (with, then, those about values
    that may be stored ones), or, when there are only those, the ones it leaves to the check after the read."""
    try:
        args = UPDATE_ASSISTANT.validator.validate({"id": assistant_id, "patch": patch})
    except PatchInvalid as caught:
        return caught.problems
    later = list(args.problems_after_read())
    assert later, "no problem found"
    return later


def left_for_the_read(patch: dict[str, Any], edits: list[Any] | None = None) -> list[Problem]:
    """The problems the arguments check leaves to the check after the read: about values that may be stored."""
    args = UPDATE_ASSISTANT.validator.validate({"id": "asst_1", "patch": patch, "edits": edits or []})
    return list(args.problems_after_read())


def by_path(problems: list[Problem]) -> dict[str, Problem]:
    return {p.path: p for p in problems}


def test_valid_arguments_parse() -> None:
    args = UPDATE_ASSISTANT.validator.validate({"id": "asst_1", "patch": {"first_sentence": "Hi"}})
    assert args.patch == {"first_sentence": "Hi"} and args.edits == [] and args.dry_run is False


def test_all_problems_are_reported_together_with_paths() -> None:
    bad_window = {"calling_window_start_time": "25:00", "calling_window_end_time": "6pm", "retry_delay_seconds": 0}
    retry = {"allowed_days": ["mon"], "call_twice_in_a_row": False, "max_retry_attempts": 1, "timezone": "Mars/Base"}
    patch = {
        "frist_sentence": "Hi",
        "stt_model": "v9",
        "thinking_sound_volume": 3,
        "from_phone_number": "0612",
        "call_retry_config": {**retry, "calling_windows": [bad_window]},
    }
    problems = by_path(problems_for(patch))
    assert set(problems) == {
        "patch.frist_sentence",
        "patch.stt_model",
        "patch.thinking_sound_volume",
        "patch.from_phone_number",
        "patch.call_retry_config.allowed_days[0]",
        "patch.call_retry_config.timezone",
        "patch.call_retry_config.calling_windows[0].calling_window_start_time",
    }
    assert "first_sentence" in problems["patch.frist_sentence"].hint
    assert '"stt-rt-v4", "stt-rt-v5"' in problems["patch.stt_model"].allowed
    assert "<= 1" in problems["patch.thinking_sound_volume"].allowed
    assert "E.164" in problems["patch.from_phone_number"].allowed
    assert "IANA" in problems["patch.call_retry_config.timezone"].allowed
    # Inside an object or a list, a value may be the stored one sent back: told with the others, saying so.
    assert "value stored now is kept" in problems["patch.call_retry_config.timezone"].hint
    assert "value stored now is kept" not in problems["patch.stt_model"].hint


def test_what_may_be_a_stored_value_is_left_to_the_check_after_the_read() -> None:
    later = {p.path for p in left_for_the_read({"voice": {"speed": 1.9}, "faq_items": [{"question": "Q?"}]})}
    assert later == {"patch.voice.speed", "patch.faq_items[0].answer"}
    edits = [{"op": "upsert", "list": "structured_output_config", "item": {"name": "x", "type": "geo"}}]
    assert {p.path for p in left_for_the_read({}, edits)} == {"edits[0].item.type", "edits[0].item.required"}
    keyless = [{"op": "upsert", "list": "faq_items", "item": {"answer": "A."}}]
    with pytest.raises(PatchInvalid) as caught:
        UPDATE_ASSISTANT.validator.validate({"id": "a", "edits": keyless})
    assert "edits[0].item.question" in {p.path for p in caught.value.problems}


def test_a_partial_nested_object_is_accepted_but_list_items_must_be_complete() -> None:
    UPDATE_ASSISTANT.validator.validate({"id": "a", "patch": {"voice": {"speed": 1.1}, "llm_model": {"api_key": "k"}}})
    problems = by_path(problems_for({"faq_items": [{"question": "Q?"}]}))
    assert set(problems) == {"patch.faq_items[0].answer"}


def test_schema_rules_still_apply_inside_a_partial_object() -> None:
    problems = by_path(problems_for({"voice": {"speed": 1.9}, "call_retry_config": {"timezone": "Mars/Base"}}))
    assert set(problems) == {"patch.voice.speed", "patch.call_retry_config.timezone"}


def test_llm_model_errors_come_from_the_variant_the_type_names() -> None:
    # Missing keys are not reported here: the merge may fill them in (checked after reading the assistant).
    problems = by_path(problems_for({"llm_model": {"type": "custom", "api_url": 5, "modelname": "m"}}))
    assert set(problems) == {"patch.llm_model.api_url", "patch.llm_model.modelname"}
    assert "model_name" in problems["patch.llm_model.modelname"].hint
    unknown = by_path(problems_for({"llm_model": {"type": "gpt"}}))
    assert "'dedicated-instance'" in unknown["patch.llm_model.type"].allowed


def test_rules_beyond_the_schema_are_checked_too() -> None:
    problems = by_path(problems_for({
        "voice": {"id": "v", "provider": "elevenlabs", "speed": 1.3},
        "custom_tools": [custom_tool("lookup"), custom_tool("lookup")],
    }))  # fmt: skip
    assert "0.7-1.2" in problems["patch.voice.speed"].allowed
    # Unique names are judged after the read, against the stored list (tests/test_judge_set.py).
    assert "patch.custom_tools" not in problems


def test_nan_and_infinity_are_refused_where_they_enter() -> None:
    problems = by_path(problems_for({"voice": {"speed": float("nan")}, "position": {"x": float("inf"), "y": 1}}))
    assert set(problems) == {"patch.voice.speed", "patch.position.x"}
    assert "finite" in problems["patch.position.x"].allowed


def test_a_type_error_is_told_once_not_by_both_passes() -> None:
    problems = problems_for({"sms_enabled": "yes"})
    assert [p.path for p in problems] == ["patch.sms_enabled"]
    assert problems[0].allowed == "a JSON boolean"


@pytest.mark.parametrize("bad_id", ["../etc", "a/b", "a?b=c", "a%2Fb", "", "x" * 129])
def test_assistant_ids_with_path_tricks_are_refused(bad_id: str) -> None:
    assert [p.path for p in problems_for({}, bad_id)] == ["id"]


def test_unknown_top_level_argument() -> None:
    with pytest.raises(PatchInvalid) as caught:
        UPDATE_ASSISTANT.validator.validate({"id": "a", "pach": {}})
    assert [p.path for p in caught.value.problems] == ["pach"]
    assert "`patch`" in caught.value.problems[0].hint


def test_values_are_shortened() -> None:
    text = shorten("x" * 5000)
    assert len(text) <= MAX_VALUE_CHARS and "5002 chars" in text


def test_helpers() -> None:
    assert render_path(["patch", "calling_windows", 0, "start"]) == "patch.calling_windows[0].start"
    assert did_you_mean("voise", ["voice", "name"]) == "Did you mean `voice`?"
    assert did_you_mean("zzzz", ["voice"]) == "Remove it."
