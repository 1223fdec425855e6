"""Shapes of request bodies, from the official SDK's TypedDicts and from our published JSON schema, in one
comparable form, and their differences in words.

A shape is a plain dict: `types` (JSON type names, "null" included when nullable), `enum` (allowed values,
when limited), `items` (the shape of a list's items), `props` ({key: (required, shape)}) and `variants`
({tag: shape} for a union of objects tagged by `type`). Constraints (patterns, ranges) are not part of a
shape: those are rules, and `revox_mcp.rules` gives each its source.
"""

from __future__ import annotations

import collections.abc
import types as pytypes
import typing
from typing import Any

from typing_extensions import is_typeddict

Shape = dict[str, Any]
_SCALARS = {str: "string", int: "integer", float: "number", bool: "boolean"}
_LISTS = (list, collections.abc.Iterable, collections.abc.Sequence, typing.List, typing.Iterable, typing.Sequence)  # noqa: UP006


def _required_wrapper(tp: Any) -> tuple[bool | None, Any]:
    """(True, inner) for Required[X], (False, inner) for NotRequired[X], (None, tp) otherwise."""
    origin = typing.get_origin(tp)
    name = getattr(origin, "_name", None) or getattr(origin, "__name__", "")
    if name == "Required":
        return True, typing.get_args(tp)[0]
    if name == "NotRequired":
        return False, typing.get_args(tp)[0]
    return None, tp


def sdk_shape(tp: Any) -> Shape:
    """The shape of an SDK type annotation (TypedDict, Literal, Optional, Iterable, Union of TypedDicts)."""
    if is_typeddict(tp):
        hints = typing.get_type_hints(tp, include_extras=True)
        # __required_keys__ knows inheritance and each class's total=, but not a Required[...] written as a
        # string (the SDK's modules use postponed annotations): the explicit wrappers decide first.
        by_class = getattr(tp, "__required_keys__", frozenset())
        props = {}
        for key, hint in hints.items():
            required, inner = _required_wrapper(hint)
            props[key] = (key in by_class if required is None else required, sdk_shape(inner))
        return {"types": {"object"}, "props": props}
    origin = typing.get_origin(tp)
    if origin in (typing.Union, pytypes.UnionType):
        members = [a for a in typing.get_args(tp) if a is not type(None)]
        nullable = len(members) < len(typing.get_args(tp))
        if len(members) == 1:
            shape = sdk_shape(members[0])
        elif all(is_typeddict(m) for m in members):
            shape = {"types": {"object"}, "variants": _variants([sdk_shape(m) for m in members])}
        else:  # scalars: an open enum such as Union[str, Literal[...]] is a plain string
            parts = [sdk_shape(m) for m in members]
            shape = {"types": set().union(*(p["types"] for p in parts))}
            if all("enum" in p for p in parts):
                shape["enum"] = set().union(*(p["enum"] for p in parts))
        if nullable:
            shape = {**shape, "types": shape["types"] | {"null"}}
        return shape
    if origin is typing.Literal:
        values = typing.get_args(tp)
        return {"types": {_SCALARS[type(v)] for v in values}, "enum": set(values)}
    if origin in _LISTS or tp in _LISTS:
        (item,) = typing.get_args(tp)
        return {"types": {"array"}, "items": sdk_shape(item)}
    if tp in _SCALARS:
        return {"types": {_SCALARS[tp]}}
    raise TypeError(f"no shape for SDK annotation {tp!r}")


def _tag(shape: Shape) -> str:
    """The key whose one allowed value tells the variants of a union apart: `type` where every variant has
    it (llm_model), else the first single-valued key (a union by provider, say)."""
    props = shape.get("props") or {}
    single = [k for k, (_, sub) in props.items() if len(sub.get("enum") or ()) == 1]
    key = "type" if "type" in single else (single[0] if single else "")
    return f"{key}={next(iter(props[key][1]['enum']))}" if key else "(no tag)"


def _variants(shapes: list[Shape]) -> dict[str, Shape]:
    """Variants by tag; two variants with the same tag both stay (`#2`), so neither hides the other."""
    out: dict[str, Shape] = {}
    for shape in shapes:
        tag, n = _tag(shape), 1
        while (f"{tag}#{n}" if n > 1 else tag) in out:
            n += 1
        out[f"{tag}#{n}" if n > 1 else tag] = shape
    return out


def schema_shape(schema: dict[str, Any]) -> Shape:
    """The shape of one of our portable JSON schemas (no $ref; nullable folded into type lists)."""
    if "anyOf" in schema:
        variants = _variants([schema_shape(branch) for branch in schema["anyOf"]])
        type_ = schema.get("type", "object")
        types = {type_} if isinstance(type_, str) else set(type_)
        return {"types": types | {"object"}, "variants": variants}
    type_ = schema.get("type")
    types = {type_} if isinstance(type_, str) else set(type_ or [])
    shape: Shape = {"types": types}
    if "const" in schema:
        shape["enum"] = {schema["const"]}
    elif "enum" in schema:
        shape["enum"] = {v for v in schema["enum"] if v is not None}
    if "items" in schema:
        shape["items"] = schema_shape(schema["items"])
    if "properties" in schema:
        required = set(schema.get("required", []))
        shape["props"] = {k: (k in required, schema_shape(v)) for k, v in schema["properties"].items()}
    return shape


def differences(ours: Shape, sdk: Shape, path: str = "") -> list[str]:
    """Every way `ours` differs from `sdk`, one line each, named by path."""
    where = path or "(body)"
    out: list[str] = []
    if ours["types"] != sdk["types"]:
        out.append(f"{where}: types {sorted(ours['types'])} here, {sorted(sdk['types'])} in the SDK")
    if ours.get("enum") != sdk.get("enum"):
        mine, theirs = ours.get("enum") or set(), sdk.get("enum") or set()
        out.append(
            f"{where}: enum differs (only here: {sorted(mine - theirs, key=str)}; "
            f"only in the SDK: {sorted(theirs - mine, key=str)})"
        )
    if "items" in ours or "items" in sdk:
        if "items" in ours and "items" in sdk:
            out += differences(ours["items"], sdk["items"], f"{path}[]")
        else:
            out.append(f"{where}: items described only {'here' if 'items' in ours else 'in the SDK'}")
    mine_props, sdk_props = ours.get("props") or {}, sdk.get("props") or {}
    for key in sorted(set(mine_props) | set(sdk_props)):
        sub = f"{path}.{key}" if path else key
        if key not in sdk_props:
            out.append(f"{sub}: only here, not in the SDK")
        elif key not in mine_props:
            out.append(f"{sub}: in the SDK, missing here")
        else:
            (mine_req, mine_shape), (sdk_req, sdk_shape_) = mine_props[key], sdk_props[key]
            if mine_req != sdk_req:
                out.append(f"{sub}: {'required' if mine_req else 'optional'} here, "
                           f"{'required' if sdk_req else 'optional'} in the SDK")  # fmt: skip
            out += differences(mine_shape, sdk_shape_, sub)
    mine_variants, sdk_variants = ours.get("variants") or {}, sdk.get("variants") or {}
    for tag in sorted(set(mine_variants) | set(sdk_variants)):
        sub = f"{path}<{tag}>"
        if tag not in sdk_variants:
            out.append(f"{sub}: variant only here")
        elif tag not in mine_variants:
            out.append(f"{sub}: variant in the SDK, missing here")
        else:
            out += differences(mine_variants[tag], sdk_variants[tag], sub)
    return out
