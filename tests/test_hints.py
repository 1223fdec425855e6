"""No quadratic call on unbounded input: "did you mean" hints compare values cut to MAX_HINT_CHARS against at
most MAX_HINT_CANDIDATES candidates (difflib's ratio only for the MAX_HINT_RATIOS best screened), and a long
text's diff is one passage found in linear time, with where it is and a few words around it."""

from __future__ import annotations

import difflib
import random
from typing import Any

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from revox_mcp.config import MAX_HINT_CANDIDATES, MAX_HINT_CHARS, PASSAGE_DIFF_CHARS, PASSAGE_SHOWN_CHARS, Settings
from revox_mcp.editing import diff, passage_diff
from revox_mcp.messages import closest, did_you_mean
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.seed import RECEPTIONIST_ID, SALES_QUALIFIER_ID
from tests.conftest import mcp_client, text_of

names = st.text(alphabet="abcde_", min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(names, st.lists(names, max_size=12, unique=True))
def test_a_short_hint_is_the_one_difflib_would_give(value: str, options: list[str]) -> None:
    expected = difflib.get_close_matches(value, options, n=1, cutoff=0.6)
    assert closest(value, options, cutoff=0.6) == (expected[0] if expected else None)


def test_a_hint_compares_only_the_start_of_a_long_value_and_of_each_option() -> None:
    # Alike over their first MAX_HINT_CHARS, unlike over their whole length: only the start is judged.
    value, options = "a" * 40 + "c" * 1_000_000, ["a" * 40 + "b" * 1_000_000, "prompt"]
    assert closest(value, options, cutoff=0.6) == options[0]
    assert closest("z" * MAX_HINT_CHARS + "first_sentence", ["first_sentence"], cutoff=0.6) is None
    assert did_you_mean("frist_sentence", ["first_sentence", "prompt"]) == "Did you mean `first_sentence`?"
    assert did_you_mean("frist_sentence" + "?" * 500_000, ["first_sentence", "prompt"]) == "Remove it."


def test_a_hint_looks_at_a_stated_number_of_candidates() -> None:
    options = [f"unrelated-{i}" for i in range(MAX_HINT_CANDIDATES)] + ["first_sentence"]
    assert closest("first_sentenc", options, cutoff=0.6) is None
    assert closest("first_sentenc", options[-50:], cutoff=0.6) == "first_sentence"


def _prompt(chars: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    words = ["".join(rng.choices("abcdefghijklmnop", k=rng.randint(2, 9))) for _ in range(800)]
    lines = [" ".join(rng.choices(words, k=110)) for _ in range(chars // 600 + 1)]
    return "\n".join(lines)[:chars]


def test_a_passage_diff_says_where_and_shows_a_few_words_around() -> None:
    old = _prompt(95_000)
    at = old.index(" ", 50_000)
    inserted = "ZZ The clinic opens at 8am and closes at 6pm on weekdays ZZ"  # no letter of the prompt's at its ends
    new = old[:at] + inserted + old[at:]
    shown = passage_diff(old, new)
    line = old.count("\n", 0, at) + 1
    assert (
        shown.startswith(f"@@ line {line}, character ")
        and f"(offset {at:,}): {len(inserted)} characters inserted" in shown
    )
    assert f"[{inserted}]" in shown and "[]" in shown
    assert shown.count("\n") == 3 and len(shown) < 500
    assert old[at - 20 : at] in shown and old[at + 1 : at + 20] in shown, "a few words around it"


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ("a" * 5000 + "tail", "a" * 5000, "4 characters removed"),
        ("head" + "b" * 5000, "b" * 5000, "@@ line 1, character 1 (offset 0): 4 characters removed"),
        (
            "x\n" * 3000,
            "x\n" * 1500 + "y\n" + "x\n" * 1499,
            "line 1501, character 1 (offset 3,000): 1 characters replaced by 1",
        ),
    ],
)
def test_a_passage_diff_at_either_end_or_on_its_own_line(old: str, new: str, says: str) -> None:
    assert says in passage_diff(old, new)


def test_a_whole_long_text_replaced_shows_the_ends_of_each_side_only() -> None:
    old, new = _prompt(200_000, seed=1), _prompt(200_000, seed=2)
    shown = passage_diff(old, new)
    assert len(shown) < 3 * PASSAGE_SHOWN_CHARS and "characters not shown" in shown
    assert [c["path"] for c in diff({"prompt": old}, {"prompt": new})] == ["prompt"]


def test_short_texts_keep_their_unified_diff() -> None:
    old = "".join(f"line {i}\n" for i in range(PASSAGE_DIFF_CHARS // 9))
    assert len(old) <= PASSAGE_DIFF_CHARS
    change = diff({"prompt": old}, {"prompt": old.replace("line 1\n", "line one\n", 1)})[0]
    assert change["diff"] == "--- before\n+++ after\n@@ -1,3 +1,3 @@\n line 0\n-line 1\n+line one\n line 2\n"


@pytest.mark.anyio
async def test_a_replace_text_in_a_95_kb_prompt_answers_the_passage(sandbox: SandboxServer, settings: Settings) -> None:
    prompt = _prompt(95_000)
    sandbox.store.update(SALES_QUALIFIER_ID, {"prompt": prompt})
    find = prompt[60_000:60_045]
    edit = {"op": "replace_text", "field": "prompt", "find": find, "replace": find.upper()}
    async with mcp_client(settings) as client:
        result = await client.call_tool(
            "update_assistant", {"id": SALES_QUALIFIER_ID, "edits": [edit], "dry_run": True}
        )
    assert not result.is_error, text_of(result)
    changes: list[dict[str, Any]] = result.structured_content["changes"]  # type: ignore[index]
    assert changes[0]["path"] == "prompt" and changes[0]["diff"].startswith("@@ line ")
    assert len(changes[0]["diff"]) < 600, "the passage, not the lines around it (6.1 KB before)"


@pytest.mark.anyio
async def test_unknown_long_values_get_bounded_hints(sandbox: SandboxServer, settings: Settings) -> None:
    patch = {"voice": {"provider": "elevenlabs", "id": "ab" * 99_999}, "frist_sentence" + "x" * 900: "Hi"}
    async with mcp_client(settings) as client:
        with anyio.fail_after(20):  # a hang guard: these took 13 s and 27 s with difflib on the whole values
            unknown = await client.call_tool(
                "update_assistant", {"id": RECEPTIONIST_ID, "patch": patch, "dry_run": True}
            )
            voices = await client.call_tool("list_voices", {"query": "warm " + "ab" * 97})
    assert unknown.is_error and "Unknown field" in text_of(unknown)
    assert not voices.is_error, text_of(voices)
