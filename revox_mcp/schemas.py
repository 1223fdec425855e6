"""Turn pydantic models into tool schemas every MCP client accepts.

pydantic's export is correct JSON Schema but not portable: several clients reject `$ref`/`$defs`,
some choke on `anyOf` with a null branch, and per-property `title`s and `default`s only cost the
model's context. This module inlines references, folds `anyOf [X, null]` into `type: [X, "null"]`,
turns the tagged union's `oneOf` + OpenAPI `discriminator` into a plain `anyOf`, and drops the noise.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

from pydantic import BaseModel

from revox_mcp.config import MAX_TEXT_CHARS
from revox_mcp.models import AssistantUpdate

JsonSchema = dict[str, Any]

# Keywords whose value is a single subschema, and those whose value is a list of them.
_SUBSCHEMA_KEYS = ("items", "additionalProperties", "not")
_SUBSCHEMA_LIST_KEYS = ("anyOf", "allOf", "prefixItems")
_NOISE_KEYS = ("title", "default", "discriminator")


@cache
def body_schema() -> JsonSchema:
    """The strict, portable schema of a complete update body: what is actually sent to the API."""
    return portable_schema(AssistantUpdate)


def portable_schema(model: type[BaseModel]) -> JsonSchema:
    """The model's validation schema with every reference inlined and pydantic noise removed, the root's
    own description ("Arguments of ...") included: the tool's description says what the tool does."""
    raw = model.model_json_schema(mode="validation")
    defs = raw.pop("$defs", {})
    raw.pop("description", None)
    return _clean(raw, defs)


def _clean(node: JsonSchema, defs: dict[str, JsonSchema]) -> JsonSchema:
    if "$ref" in node:
        target = defs[node["$ref"].rsplit("/", 1)[-1]]
        # Keys beside the $ref (the property's own description) win over the referenced model's.
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    out: JsonSchema = {}
    for key, value in node.items():
        if key in _NOISE_KEYS:
            continue
        if key == "oneOf":
            key = "anyOf"
        if key == "properties":
            out[key] = {name: _clean(sub, defs) for name, sub in value.items()}
        elif key in _SUBSCHEMA_KEYS and isinstance(value, dict):
            out[key] = _clean(value, defs)
        elif key in _SUBSCHEMA_LIST_KEYS:
            out[key] = [_clean(sub, defs) for sub in value]
        else:
            out[key] = value
    return _fold_nullable(out)


def _fold_nullable(node: JsonSchema) -> JsonSchema:
    """`anyOf: [X, {type: null}]` with a typed X becomes X with "null" added to its type (and enum)."""
    branches = node.get("anyOf")
    if not branches or {"type": "null"} not in branches:
        return node
    others = [b for b in branches if b != {"type": "null"}]
    if len(others) != 1 or "type" not in others[0]:
        return node
    folded = {**others[0], **{k: v for k, v in node.items() if k != "anyOf"}}
    folded["type"] = _with_null(others[0]["type"])
    if "const" in folded:
        # A one-value Literal: `const` would refuse the null the union allows, so it becomes an enum.
        folded["enum"] = [folded.pop("const")]
    if "enum" in folded:
        folded["enum"] = [*folded["enum"], None]
    return folded


def _with_null(type_: str | list[str]) -> list[str]:
    types = [type_] if isinstance(type_, str) else list(type_)
    return types if "null" in types else [*types, "null"]


def partial_patch(strict: JsonSchema) -> JsonSchema:
    """The patch schema as agents send it: nested objects may be partial (they are merged onto the
    current value), while list items stay complete (lists are replaced whole). Each top-level field
    says nothing of that: the tool's description says it once for all of them."""
    patch = copy.deepcopy(strict)
    for prop in patch["properties"].values():
        _drop_required(prop)
        _bound_text(prop)
    return patch


def _bound_text(prop: JsonSchema) -> None:
    """A text field states its bound (MAX_TEXT_CHARS: the SDK states none); the arguments check refuses a
    longer one, and any longer string nested deeper, before any other work."""
    types = prop.get("type")
    if (types == "string" or (isinstance(types, list) and "string" in types)) and "maxLength" not in prop:
        prop["maxLength"] = MAX_TEXT_CHARS


def _drop_required(node: JsonSchema) -> None:
    node.pop("required", None)
    for sub in node.get("properties", {}).values():
        _drop_required(sub)
    for branch in node.get("anyOf", []):
        _drop_required(branch)


def compact(schema: JsonSchema, described: int = 2) -> JsonSchema:
    """The schema a client shows its model: every property still named, typed and shaped, with the
    descriptions down to `described` levels of properties (2: the arguments and their direct fields, an
    update's 46 fields), not deeper: each field's own description says what its nested keys need, formats
    included, so patterns go too, as does `additionalProperties: false` below the root. The server checks
    arguments against the detailed schema, which keeps everything. Agents pay for every byte of tools/list."""
    return _compact(schema, 0, described)


def compact_output(schema: JsonSchema) -> JsonSchema:
    """An answer's schema as published: the top-level keys with their types and which are required, all a
    client needs to check structured content. Lenient below on purpose: an answer carries what the API
    holds, and a client must not reject a good answer over a nested value this release does not expect.
    The full shapes stay in the answer models (tests check answers against them)."""
    out: JsonSchema = {"type": "object"}
    if "required" in schema:
        out["required"] = schema["required"]
    out["properties"] = {
        name: {"type": sub["type"]} if "type" in sub else {} for name, sub in schema.get("properties", {}).items()
    }
    return out


def _compact(node: JsonSchema, depth: int, described: int) -> JsonSchema:
    out: JsonSchema = {}
    for key, value in node.items():
        if (key == "description" and depth > described) or (key == "pattern" and depth > 1):
            continue
        if key == "additionalProperties" and value is False and depth > 0:
            continue
        if key == "properties":
            out[key] = {name: _compact(sub, depth + 1, described) for name, sub in value.items()}
        elif key == "items" and isinstance(value, dict):
            out[key] = _compact(value, depth, described)
        elif key == "anyOf":
            # A union's branches are described by the field that holds it (edits, llm_model).
            out[key] = [_compact(sub, depth + 1, described) for sub in value]
        else:
            out[key] = value
    return out


def dumps(schema: JsonSchema) -> str:
    """The one canonical text of a schema: what is checked in and what the test compares against."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# Keywords of the OpenAPI 3.0 schema subset that Gemini function declarations (`parameters`) accept.
GEMINI_KEYWORDS = frozenset(
    {
        "type", "format", "description", "nullable", "enum", "properties", "required", "items", "minItems",
        "maxItems", "minimum", "maximum", "minLength", "maxLength", "pattern", "anyOf",
    }
)  # fmt: skip
SCHEMA_PROFILES = ("portable", "strict", "gemini")


def for_profile(schema: JsonSchema, profile: str) -> JsonSchema:
    """A tool's input schema as published in the dialect a client needs, from the form arguments are checked
    against (tool_schemas/<tool>.input.json)."""
    if profile == "portable":
        return _portable(schema)
    if profile == "strict":
        return _strict(schema)
    if profile == "gemini":
        return _gemini(schema)
    raise ValueError(f"unknown schema profile {profile!r}; choose from {', '.join(SCHEMA_PROFILES)}")


def _portable(node: JsonSchema) -> JsonSchema:
    """What every client family tested takes (tests/test_client_rules.py, tests/test_genai.py): null as an
    `anyOf` branch, not a `type` list (Gemini's `parameters` refuses lists); `const` as a one-value enum (and
    `propertyNames`: Gemini's Schema has neither); no boolean `additionalProperties` (genai's MCP conversion
    reads it as a schema and fails; the server refuses unknown keys itself)."""
    out: JsonSchema = {}
    for key, value in node.items():
        if key == "propertyNames" or (key == "additionalProperties" and isinstance(value, bool)):
            continue
        if key == "properties":
            out[key] = {name: _portable(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties"):
            out[key] = _portable(value)
        elif key == "anyOf":
            out[key] = [_portable(sub) for sub in value]
        elif key == "const":
            out["enum"] = [value]
        else:
            out[key] = value
    return _null_branch(out)


def _null_branch(node: JsonSchema) -> JsonSchema:
    """`type: [X, "null"]` as `anyOf: [{type: X, ...its keywords}, {type: "null"}]`, the description outside."""
    type_ = node.get("type")
    if not (isinstance(type_, list) and "null" in type_):
        return node
    others = [t for t in type_ if t != "null"]
    branch = {k: v for k, v in node.items() if k != "description"}
    branch["type"] = others[0] if len(others) == 1 else others
    if "enum" in branch:
        branch["enum"] = [v for v in branch["enum"] if v is not None]
    described = {"description": node["description"]} if "description" in node else {}
    return {**described, "anyOf": [branch, {"type": "null"}]}


def _gemini(node: JsonSchema) -> JsonSchema:
    """OpenAPI 3.0 style: one `type` plus `nullable`, string enums, `const` as a one-value enum,
    `exclusiveMinimum` as `minimum`, and no keyword outside GEMINI_KEYWORDS."""
    out: JsonSchema = {}
    type_ = node.get("type")
    if isinstance(type_, list):
        others = [t for t in type_ if t != "null"]
        out["type"] = others[0] if len(others) == 1 else "string"
        if "null" in type_:
            out["nullable"] = True
    elif type_ is not None:
        out["type"] = type_
    values = node.get("enum", [node["const"]] if "const" in node else None)
    if values is not None:
        if None in values:
            out["nullable"] = True
        out["enum"] = [str(v) for v in values if v is not None]
    if "exclusiveMinimum" in node and "minimum" not in node:
        out["minimum"] = node["exclusiveMinimum"]
    for key, value in node.items():
        if key not in GEMINI_KEYWORDS or key in out:
            continue
        if key == "properties":
            out[key] = {name: _gemini(sub) for name, sub in value.items()}
        elif key == "items":
            out[key] = _gemini(value)
        elif key == "anyOf":
            out[key] = [_gemini(sub) for sub in value]
        else:
            out[key] = value
    return out


# Length keywords OpenAI's strict mode does not take; the server still holds every string to its bound.
_STRICT_DROPPED = frozenset({"minLength", "maxLength", "minProperties", "maxProperties", "propertyNames"})


def _strict(node: JsonSchema) -> JsonSchema:
    """OpenAI Structured Outputs style: every property required, the ones the default lets be omitted
    nullable instead (strict_reading gives null its meaning), `additionalProperties: false` on every object,
    and a map of free keys as a list of {name, value}."""
    if isinstance(node.get("additionalProperties"), dict) and not node.get("properties"):
        return _strict_map(node)
    out = {k: v for k, v in node.items() if k not in _STRICT_DROPPED and k != "additionalProperties"}
    if "properties" in node:
        required = set(node.get("required", []))
        out["properties"] = {
            name: _strict(sub) if name in required else _nullable(_strict(sub))
            for name, sub in node["properties"].items()
        }
        out["required"] = list(node["properties"])
        out["additionalProperties"] = False
    if isinstance(node.get("items"), dict):
        out["items"] = _strict(node["items"])
    if "anyOf" in node:
        out["anyOf"] = [_strict(sub) for sub in node["anyOf"]]
    return out


def _strict_map(node: JsonSchema) -> JsonSchema:
    entry = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "value": _strict(node["additionalProperties"])},
        "required": ["name", "value"],
        "additionalProperties": False,
    }
    described = {"description": node["description"]} if "description" in node else {}
    return {**described, "type": "array", "items": entry}


def _nullable(node: JsonSchema) -> JsonSchema:
    """The node with null allowed too (a one-value `const` becomes an enum, which can then hold null)."""
    if "anyOf" in node:
        return node if {"type": "null"} in node["anyOf"] else {**node, "anyOf": [*node["anyOf"], {"type": "null"}]}
    if "type" not in node:
        return node  # untyped: null is already allowed
    out = {**node, "type": _with_null(node["type"])}
    if "const" in out:
        out["enum"] = [out.pop("const")]
    if "enum" in out and None not in out["enum"]:
        out["enum"] = [*out["enum"], None]
    return out
