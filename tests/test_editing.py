"""revox_mcp/editing.py on its own, table by table: merge, edits, projection and diff. No server, no network."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import TypeAdapter

from revox_mcp.editing import apply_edits, diff, is_unchanged, known_only, leaf_paths, lookup, merge_patch, project
from revox_mcp.errors import PatchInvalid
from revox_mcp.tool_models import Edit

EDITS = TypeAdapter(list[Edit])

VOICE = {"provider": "elevenlabs", "id": "v1", "speed": 1.1}
MERGES: list[tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]] = [
    ("a scalar is replaced", {"name": "Old"}, {"name": "New"}, {"name": "New"}),
    ("a nested object is merged", {"voice": VOICE}, {"voice": {"speed": 1.0}}, {"voice": {**VOICE, "speed": 1.0}}),
    ("a list is replaced whole", {"faq_items": [{"question": "a"}]}, {"faq_items": []}, {"faq_items": []}),
    ("null clears", {"webhook_url": "https://x"}, {"webhook_url": None}, {"webhook_url": None}),
    ("a field not held yet is set", {}, {"prompt": "Hi"}, {"prompt": "Hi"}),
    (
        "a new voice provider replaces the voice, keeping a speed that fits",
        {"voice": VOICE},
        {"voice": {"provider": "cartesia", "id": "c1"}},
        {"voice": {"provider": "cartesia", "id": "c1", "speed": 1.1}},
    ),
    (
        "a speed out of the new provider's range is not kept",
        {"voice": {**VOICE, "speed": 0.1}},
        {"voice": {"provider": "cartesia", "id": "c1"}},
        {"voice": {"provider": "cartesia", "id": "c1"}},
    ),
    (
        "a new llm type replaces the model",
        {"llm_model": {"type": "custom", "api_url": "https://x", "model": "m"}},
        {"llm_model": {"type": "openrouter", "openrouter_model_id": "o"}},
        {"llm_model": {"type": "openrouter", "openrouter_model_id": "o"}},
    ),
]


@pytest.mark.parametrize(("current", "patch", "merged"), [m[1:] for m in MERGES], ids=[m[0] for m in MERGES])
def test_merge_patch(current: dict[str, Any], patch: dict[str, Any], merged: dict[str, Any]) -> None:
    assert merge_patch(current, patch) == merged


def test_merge_patch_leaves_the_current_state_alone() -> None:
    current = {"voice": dict(VOICE)}
    merge_patch(current, {"voice": {"speed": 0.9}})
    assert current == {"voice": VOICE}


FAQ = [{"question": "Open?", "answer": "9-5"}, {"question": "Where?", "answer": "Paris"}]
WINDOW = {"calling_window_start_time": "09:00", "calling_window_end_time": "17:00", "retry_delay_seconds": 600}
APPLIED: list[tuple[str, dict[str, Any], list[dict[str, Any]], dict[str, Any], set[str]]] = [
    (
        "upsert replaces the item with the same key",
        {"faq_items": FAQ},
        [{"op": "upsert", "list": "faq_items", "item": {"question": "Open?", "answer": "8-6"}}],
        {"faq_items": [{"question": "Open?", "answer": "8-6"}, FAQ[1]]},
        {"faq_items"},
    ),
    (
        "upsert appends a new key",
        {"faq_items": FAQ[:1]},
        [{"op": "upsert", "list": "faq_items", "item": FAQ[1]}],
        {"faq_items": FAQ},
        {"faq_items"},
    ),
    (
        "upsert creates a missing list",
        {},
        [{"op": "upsert", "list": "faq_items", "item": FAQ[0]}],
        {"faq_items": FAQ[:1]},
        {"faq_items"},
    ),
    (
        "remove by key",
        {"faq_items": FAQ},
        [{"op": "remove", "list": "faq_items", "key": "Open?"}],
        {"faq_items": FAQ[1:]},
        {"faq_items"},
    ),
    (
        "calling windows are upserted and removed by index",
        {"call_retry_config": {"calling_windows": [WINDOW]}},
        [
            {
                "op": "upsert",
                "list": "call_retry_config.calling_windows",
                "item": {**WINDOW, "calling_window_start_time": "10:00"},
            },
            {"op": "remove", "list": "call_retry_config.calling_windows", "key": 0},
        ],
        {"call_retry_config": {"calling_windows": [{**WINDOW, "calling_window_start_time": "10:00"}]}},
        {"call_retry_config"},
    ),
    (
        "replace_text changes the one passage",
        {"prompt": "You are Ann. Be brief."},
        [{"op": "replace_text", "field": "prompt", "find": "Ann", "replace": "Bea"}],
        {"prompt": "You are Bea. Be brief."},
        {"prompt"},
    ),
    (
        "edits apply in order",
        {"prompt": "a b"},
        [
            {"op": "replace_text", "field": "prompt", "find": "a", "replace": "c"},
            {"op": "replace_text", "field": "prompt", "find": "c b", "replace": "done"},
        ],
        {"prompt": "done"},
        {"prompt"},
    ),
]


@pytest.mark.parametrize(("state", "edits", "after", "touched"), [a[1:] for a in APPLIED], ids=[a[0] for a in APPLIED])
def test_apply_edits(
    state: dict[str, Any], edits: list[dict[str, Any]], after: dict[str, Any], touched: set[str]
) -> None:
    held = copy.deepcopy(state)
    working = dict(state)  # shallow, as the writer makes it: the values are shared with `state`
    assert apply_edits(working, EDITS.validate_python(edits)) == touched
    assert working == after
    assert state == held, "the values the state shared were not edited in place"


REFUSED: list[tuple[str, dict[str, Any], dict[str, Any], str, str]] = [
    (
        "a passage that is not there",
        {"prompt": "You are Ann."},
        {"op": "replace_text", "field": "prompt", "find": "Bob", "replace": "x"},
        "edits[0].find",
        "it occurs 0 times",
    ),
    (
        "a passage found twice",
        {"prompt": "a\na"},
        {"op": "replace_text", "field": "prompt", "find": "a", "replace": "x"},
        "edits[0].find",
        "it occurs 2 times (lines 1, 2)",
    ),
    (
        "a text field with no value",
        {"prompt": None},
        {"op": "replace_text", "field": "prompt", "find": "a", "replace": "x"},
        "edits[0].field",
        "a text field that has a value",
    ),
    (
        "a calling window index past the end",
        {},
        {"op": "upsert", "list": "call_retry_config.calling_windows", "item": WINDOW, "index": 3},
        "edits[0].index",
        "0 to 0",
    ),
]


@pytest.mark.parametrize(("state", "edit", "path", "allowed"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_apply_edits_refuses(state: dict[str, Any], edit: dict[str, Any], path: str, allowed: str) -> None:
    with pytest.raises(PatchInvalid) as caught:
        apply_edits(dict(state), EDITS.validate_python([edit]))
    [problem] = caught.value.problems
    assert problem.path == path
    assert allowed in problem.allowed


def test_all_failing_edits_are_reported_at_once() -> None:
    edits = [
        {"op": "replace_text", "field": "prompt", "find": "x", "replace": "y"},
        {"op": "remove", "list": "faq_items", "key": "nope"},
    ]
    with pytest.raises(PatchInvalid) as caught:
        apply_edits({"prompt": "abc", "faq_items": []}, EDITS.validate_python(edits))
    assert [p.path for p in caught.value.problems] == ["edits[0].find", "edits[1].key"]


# A field's schema, as the writer projects each field on its own (the path names the field).
FAQ_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {"question": {"type": "string"}, "speed": {"type": "number"}},
        "required": ["question"],
    },
}
PROJECTIONS: list[tuple[str, Any, Any, Any]] = [
    ("a scalar is kept", "x", "x", "x"),
    (
        "answer-only keys of a FAQ item are dropped; unknown keys are kept",
        [{"question": "q", "id": "f1", "source": "api", "later": 1}],
        [{"question": "q", "later": 1}],
        [{"question": "q"}],
    ),
    (
        "a null the update refuses is left out",
        [{"question": "q", "speed": None}],
        [{"question": "q"}],
        [{"question": "q", "speed": None}],
    ),
]


@pytest.mark.parametrize(("value", "projected", "known"), [p[1:] for p in PROJECTIONS], ids=[p[0] for p in PROJECTIONS])
def test_project_and_known_only(value: Any, projected: Any, known: Any) -> None:
    assert project(value, FAQ_SCHEMA, "faq_items") == projected
    assert known_only(value, FAQ_SCHEMA) == known


DIFFS: list[tuple[str, dict[str, Any], dict[str, Any], list[dict[str, Any]]]] = [
    ("equal states", {"name": "a"}, {"name": "a"}, []),
    ("a scalar", {"name": "a"}, {"name": "b"}, [{"path": "name", "before": "a", "after": "b"}]),
    (
        "a nested key",
        {"voice": VOICE},
        {"voice": {**VOICE, "speed": 1.0}},
        [{"path": "voice.speed", "before": 1.1, "after": 1.0}],
    ),
    ("updated_at is never diffed", {"updated_at": "1"}, {"updated_at": "2"}, []),
    (
        "an item added to a list of objects",
        {"faq_items": FAQ[:1]},
        {"faq_items": FAQ},
        [{"path": "faq_items[1]", "added": FAQ[1]}],
    ),
    (
        "an item removed from a list of objects",
        {"faq_items": FAQ},
        {"faq_items": FAQ[1:]},
        [{"path": "faq_items[0]", "removed": FAQ[0]}],
    ),
    (
        "an item changed in place",
        {"faq_items": FAQ},
        {"faq_items": [FAQ[0], {**FAQ[1], "answer": "Lyon"}]},
        [{"path": "faq_items[1].answer", "before": "Paris", "after": "Lyon"}],
    ),
    (
        "a multi-line text is a unified diff",
        {"prompt": "one\ntwo\n"},
        {"prompt": "one\n2\n"},
        [{"path": "prompt", "diff": "--- before\n+++ after\n@@ -1,2 +1,2 @@\n one\n-two\n+2\n"}],
    ),
]


@pytest.mark.parametrize(("before", "after", "changes"), [d[1:] for d in DIFFS], ids=[d[0] for d in DIFFS])
def test_diff(before: dict[str, Any], after: dict[str, Any], changes: list[dict[str, Any]]) -> None:
    assert diff(before, after) == changes


def test_diff_of_named_fields_only() -> None:
    assert diff({"name": "a", "prompt": "p"}, {"name": "b", "prompt": "q"}, ["name"]) == [
        {"path": "name", "before": "a", "after": "b"}
    ]


LOOKUPS: list[tuple[str, tuple[bool, Any]]] = [
    ("voice.speed", (True, 1.1)),
    ("faq_items[1].answer", (True, "Paris")),
    ("faq_items[5].answer", (False, None)),
    ("voice.model", (False, None)),
]


@pytest.mark.parametrize(("path", "found"), LOOKUPS)
def test_lookup(path: str, found: tuple[bool, Any]) -> None:
    assert lookup({"voice": VOICE, "faq_items": FAQ}, path) == found


@pytest.mark.parametrize(
    ("path", "new", "old", "unchanged"),
    [
        ("voice.speed", {"voice": VOICE}, {"voice": VOICE}, True),
        ("voice.speed", {"voice": {**VOICE, "speed": 1.0}}, {"voice": VOICE}, False),
        ("voice.model", {"voice": VOICE}, {"voice": VOICE}, True),
        # Missing from both objects (both held, one variant): the change did not remove it (issue 23 item 3).
        ("voice.model", {"voice": VOICE}, {"voice": {**VOICE, "speed": 1.0}}, True),
        ("llm_model.api_key", {"llm_model": {"type": "custom"}}, {"llm_model": {"type": "openrouter"}}, False),
        ("voice.model", {"voice": VOICE}, {"voice": None}, False),
    ],
)
def test_is_unchanged(path: str, new: dict[str, Any], old: dict[str, Any], unchanged: bool) -> None:
    assert is_unchanged(path, new, old) is unchanged


@pytest.mark.parametrize(
    ("value", "paths"),
    [
        ({"name": "a"}, ["name"]),
        ({"voice": {"speed": 1, "id": "v"}}, ["voice.speed", "voice.id"]),
        ({"faq_items": [1, 2]}, ["faq_items"]),
        ({"voice": {}}, ["voice"]),
    ],
)
def test_leaf_paths(value: dict[str, Any], paths: list[str]) -> None:
    assert leaf_paths(value) == paths
