"""Generated input: over a thousand invalid patches and edits are each refused with a path, none crashes
the server or leaks a traceback, and the sandbox sees no write; valid generated patches succeed and
round-trip. Seeds are derandomized so CI runs the same examples every time."""

from __future__ import annotations

import string
from collections.abc import Iterator
from typing import Any

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from mcp import Client
from mcp_types import CallToolResult
from pydantic import ValidationError

from revox_mcp.models import VOICE_SPEED_RANGES, AssistantUpdate
from revox_mcp.redaction import redact
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.catalog_seed import PHONE_NUMBERS, VOICES
from revox_mcp.sandbox.seed import SALES_QUALIFIER_ID
from revox_mcp.schemas import body_schema
from tests.conftest import fast_settings, mcp_client, writes

FIELDS = body_schema()["properties"]


def types_of_field(schema: dict[str, Any]) -> list[str]:
    type_ = schema.get("type", [])
    return [type_] if isinstance(type_, str) else list(type_)


FIELD_NAMES = sorted(FIELDS)
JSON_TYPES = ("string", "integer", "number", "boolean", "null", "object", "array")
ENUM_FIELDS = sorted(n for n, s in FIELDS.items() if "enum" in s)
RANGED = sorted(n for n, s in FIELDS.items() if "minimum" in s or "maximum" in s or "exclusiveMinimum" in s)
NUMERIC = sorted(n for n, s in FIELDS.items() if {"number", "integer"} & set(types_of_field(s)))
NON_NULLABLE = sorted(n for n, s in FIELDS.items() if "null" not in s.get("type", ["object"]))
ODD = st.sampled_from(["\u200b", "\u0455", "\u00a0", "\ufeff", "\U0001f4de", "\u202e", "\x00", "\u0301"])
SLOW = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much]


def types_of(schema: dict[str, Any]) -> set[str]:
    type_ = schema.get("type", "object" if "anyOf" in schema else None)
    found = {type_} if isinstance(type_, str) else set(type_ or [])
    return found | ({"integer"} if "number" in found else set())


def value_of_type(kind: str) -> st.SearchStrategy[Any]:
    return {
        "string": st.text(max_size=20),
        "integer": st.integers(-(10**6), 10**6),
        "number": st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: not f.is_integer()),
        "boolean": st.booleans(),
        "null": st.none(),
        "object": st.dictionaries(st.sampled_from(["x", "zz", "Id"]), st.integers(), min_size=1, max_size=2),
        "array": st.lists(st.integers(), max_size=2),
    }[kind]


@st.composite
def wrong_type(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    name = draw(st.sampled_from(FIELD_NAMES))
    kind = draw(st.sampled_from([t for t in JSON_TYPES if t not in types_of(FIELDS[name])]))
    return {name: draw(value_of_type(kind))}, f"patch.{name}"


def misspell(name: str, draw: st.DrawFn) -> str:
    i = draw(st.integers(0, len(name) - 1))
    how = draw(st.sampled_from(["drop", "double", "swap", "upper", "insert"]))
    if how == "drop":
        out = name[:i] + name[i + 1 :]
    elif how == "double":
        out = name[:i] + name[i] + name[i:]
    elif how == "swap" and i < len(name) - 1:
        out = name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    elif how == "upper":
        out = name[:i] + name[i].upper() + name[i + 1 :]
    else:
        out = name[:i] + draw(st.sampled_from(string.ascii_lowercase)) + name[i:]
    return out


@st.composite
def unknown_key(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    name = misspell(draw(st.sampled_from(FIELD_NAMES)), draw)
    assume(name not in FIELDS and name)
    return {name: draw(value_of_type(draw(st.sampled_from(JSON_TYPES))))}, f"patch.{name}"


@st.composite
def unknown_nested_key(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    parent = draw(st.sampled_from(["voice", "call_retry_config", "calendly", "position", "stt_context", "zoho"]))
    known = set(FIELDS[parent]["properties"])
    name = misspell(draw(st.sampled_from(sorted(known))), draw)
    assume(name not in known and name)
    return {parent: {name: 1}}, f"patch.{parent}.{name}"


@st.composite
def out_of_range(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    where = draw(st.sampled_from([*RANGED, "voice.speed", "voice.volume"]))
    schema = FIELDS[where] if "." not in where else FIELDS["voice"]["properties"][where.split(".")[1]]
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum")
    options = []
    if low is not None:
        options.append(st.floats(min_value=low - 10**6, max_value=low, exclude_max="minimum" in schema))
    if high is not None:
        options.append(st.floats(min_value=high, max_value=high + 10**6, exclude_min=True))
    value = draw(st.one_of(options))
    if "." in where:
        return {"voice": {where.split(".")[1]: value}}, f"patch.{where}"
    return {where: value}, f"patch.{where}"


@st.composite
def non_finite(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """NaN and Infinity are not JSON numbers; Python's JSON reader takes them, so they must be refused here."""
    value = draw(st.sampled_from([float("nan"), float("inf"), float("-inf")]))
    where = draw(st.sampled_from([*NUMERIC, "voice.speed", "position.x"]))
    if "." in where:
        parent, key = where.split(".")
        return {parent: {key: value}}, f"patch.{where}"
    return {where: value}, f"patch.{where}"


@st.composite
def odd_enum(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    name = draw(st.sampled_from(ENUM_FIELDS))
    allowed = [v for v in FIELDS[name]["enum"] if isinstance(v, str)]
    base = draw(st.sampled_from(allowed))
    i = draw(st.integers(0, len(base)))
    value = base[:i] + draw(ODD) + base[i:]
    return {name: value}, f"patch.{name}"


@st.composite
def null_where_required(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    case = draw(st.sampled_from(["top", "faq", "destination", "window"]))
    if case == "top":
        name = draw(st.sampled_from(NON_NULLABLE))
        return {name: None}, f"patch.{name}"
    if case == "faq":
        key = draw(st.sampled_from(["question", "answer"]))
        item = {"question": "Q?", "answer": "A.", key: None}
        return {"faq_items": [item]}, f"patch.faq_items[0].{key}"
    if case == "destination":
        key = draw(st.sampled_from(["label", "phone_number"]))
        item = {"label": "Desk", "phone_number": "+14155550123", key: None}
        return {"transfer_destinations": [item]}, f"patch.transfer_destinations[0].{key}"
    key = draw(st.sampled_from(["calling_window_start_time", "calling_window_end_time", "retry_delay_seconds"]))
    window = {
        "calling_window_start_time": "9am",
        "calling_window_end_time": "5pm",
        "retry_delay_seconds": 60,
        key: None,
    }
    return {"call_retry_config": {"calling_windows": [window]}}, "patch.call_retry_config.calling_windows[0]"


@st.composite
def bad_edit(draw: st.DrawFn) -> tuple[list[Any], str]:
    case = draw(st.sampled_from(["op", "list", "find", "item", "index", "field", "shape"]))
    edits: dict[str, Any] = {
        "op": {"op": draw(st.sampled_from(["delete", "Upsert", "replace", ""])), "list": "faq_items", "key": "x"},
        "list": {"op": "remove", "list": draw(st.sampled_from(["faqs", "faq_item", "voice", "prompt"])), "key": "x"},
        "find": {"op": "replace_text", "field": "prompt", "find": "", "replace": "x"},
        "item": {"op": "upsert", "list": "faq_items", "item": {"question": draw(st.text(min_size=1, max_size=5))}},
        "index": {
            "op": "upsert",
            "list": "call_retry_config.calling_windows",
            "index": draw(st.integers(max_value=-1)),
            "item": {"calling_window_start_time": "9am", "calling_window_end_time": "5pm", "retry_delay_seconds": 1},
        },
        "field": {
            "op": "replace_text",
            "field": draw(st.sampled_from(["voice", "name", "webhook_url"])),
            "find": "a",
            "replace": "b",
        },
        "shape": draw(st.sampled_from([None, 3, "upsert", ["op"]])),
    }
    return [edits[case]], "edits[0]"


INVALID = st.one_of(
    wrong_type(), unknown_key(), unknown_nested_key(), out_of_range(), non_finite(), odd_enum(), null_where_required()
)


@pytest.fixture
def live(sandbox: SandboxServer) -> Iterator[tuple[BlockingPortal, Client]]:
    """One in-memory MCP client for all examples, driven from hypothesis's synchronous test body."""
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(mcp_client(fast_settings(sandbox))) as client,
    ):
        yield portal, client


def call(live: tuple[BlockingPortal, Client], arguments: dict[str, Any]) -> CallToolResult:
    portal, client = live
    return portal.call(client.call_tool, "update_assistant", {"id": SALES_QUALIFIER_ID, **arguments})


def assert_refused(result: CallToolResult, path: str) -> None:
    text = "\n".join(b.text for b in result.content if b.type == "text")
    assert result.is_error, f"accepted: {text[:300]}"
    assert "Traceback" not in text and "inside revox-mcp" not in text, text
    assert f"- {path}" in text, f"expected a problem at {path}:\n{text[:600]}"


@settings(max_examples=1000, deadline=None, derandomize=True, suppress_health_check=SLOW)
@given(case=INVALID)
def test_generated_invalid_patches_are_refused_with_a_path(
    live: tuple[BlockingPortal, Client], sandbox: SandboxServer, case: tuple[dict[str, Any], str]
) -> None:
    patch, path = case
    assert_refused(call(live, {"patch": patch}), path)
    assert writes(sandbox) == []


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=SLOW)
@given(case=bad_edit())
def test_generated_invalid_edits_are_refused_with_a_path(
    live: tuple[BlockingPortal, Client], sandbox: SandboxServer, case: tuple[list[Any], str]
) -> None:
    edits, path = case
    assert_refused(call(live, {"edits": edits}), path)
    assert writes(sandbox) == []


ROUND_TRIP_FIELDS = [n for n in FIELD_NAMES if n not in ("faq_items",)]


def from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values valid for the subset of JSON Schema our published schemas use. (hypothesis-jsonschema 0.23
    would do this, but it relies on Hypothesis internals that current releases no longer have.)"""
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "const" in schema:
        return st.just(schema["const"])
    if "anyOf" in schema:
        return st.one_of([from_schema(branch) for branch in schema["anyOf"]])
    types = schema.get("type", "object")
    if isinstance(types, list):
        return st.one_of([from_schema({**schema, "type": t}) for t in types])
    if types == "null":
        return st.none()
    if types == "boolean":
        return st.booleans()
    if types in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        high = schema.get("maximum")
        if types == "integer":
            return st.integers(min_value=low, max_value=high if high is not None else 10**9)
        return st.floats(
            min_value=low if low is not None else -1e9,
            max_value=high if high is not None else 1e9,
            exclude_min="exclusiveMinimum" in schema,
            allow_nan=False,
            allow_infinity=False,
        )
    if types == "string":
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True)
        return st.text(min_size=schema.get("minLength", 0), max_size=min(schema.get("maxLength", 40), 40))
    if types == "array":
        return st.lists(from_schema(schema.get("items", {})), max_size=3)
    props = schema.get("properties", {})
    required = set(schema.get("required", []))
    return st.fixed_dictionaries(
        {k: from_schema(v) for k, v in props.items() if k in required},
        optional={k: from_schema(v) for k, v in props.items() if k not in required},
    )


def contains(stored: Any, sent: Any) -> bool:
    """Every value sent is stored at the same place (objects may hold more keys: the merge keeps them)."""
    if isinstance(sent, dict):
        return isinstance(stored, dict) and all(contains(stored.get(k), v) for k, v in sent.items())
    return stored == sent


def model_valid(name: str, value: Any) -> bool:
    try:
        AssistantUpdate.model_validate({name: value})
    except ValidationError:
        return False
    return True


@st.composite
def catalog_voice(draw: st.DrawFn) -> dict[str, Any]:
    """A voice from the sandbox's catalog (updates are checked against it), with a model it works with."""
    entry = draw(st.sampled_from(VOICES))
    low, high = VOICE_SPEED_RANGES[entry["provider"]]
    voice: dict[str, Any] = {"id": entry["id"], "provider": entry["provider"], "speed": draw(st.floats(low, high))}
    if entry["provider"] == "cartesia":
        compat = entry.get("modelCompat", "universal")
        voice["model"] = compat if compat != "universal" else draw(st.sampled_from(["sonic-3", "sonic-3.5"]))
    return voice


# Fields checked against the catalogs draw from them; every other field from its published schema.
CATALOG_STRATEGIES = {
    "voice": catalog_voice(),
    "from_phone_number": st.sampled_from([n["phone_number"] for n in PHONE_NUMBERS]),
}


@pytest.mark.parametrize("name", ROUND_TRIP_FIELDS)
def test_generated_valid_patches_succeed_and_round_trip(
    live: tuple[BlockingPortal, Client], sandbox: SandboxServer, name: str
) -> None:
    @settings(max_examples=6, deadline=None, derandomize=True, suppress_health_check=SLOW)
    @given(value=CATALOG_STRATEGIES.get(name, from_schema(FIELDS[name])).filter(lambda v: model_valid(name, v)))
    def round_trip(value: Any) -> None:
        result = call(live, {"patch": {name: value}})
        text = "\n".join(b.text for b in result.content if b.type == "text")
        assert not result.is_error, text
        portal, client = live
        read = portal.call(client.call_tool, "get_assistant", {"id": SALES_QUALIFIER_ID})
        stored = read.structured_content["assistant"].get(name)  # type: ignore[union-attr]
        sent = redact(AssistantUpdate.model_validate({name: value}).body()[name])  # answers mask secrets
        assert contains(stored, sent), f"{name}: sent {sent!r}, stored {stored!r}"

    round_trip()
