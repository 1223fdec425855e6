"""Shapes of request bodies, from the official SDK's TypedDicts and from our published JSON schema, in one
comparable form, and their differences in words.

A shape is a plain dict: `types` (JSON type names, "null" included when nullable), `enum` (allowed values,
when limited), `items` (the shape of a list's items), `values` (the shape of a map's values), `props` ({key:
(required, shape)}, keyed as on the wire: an SDK alias such as `voiceId` is the key) and `variants` ({tag:
shape} for a union of objects tagged by `type`). Constraints (patterns, ranges) are not part of a
shape: those are rules, and `revox_mcp.rules` gives each its source.
"""

from __future__ import annotations

import collections.abc
import datetime
import types as pytypes
import typing
from typing import Any

from typing_extensions import is_typeddict

Shape = dict[str, Any]
_SCALARS = {str: "string", int: "integer", float: "number", bool: "boolean"}
_LISTS = (list, collections.abc.Iterable, collections.abc.Sequence, typing.List, typing.Iterable, typing.Sequence)  # noqa: UP006
_MAPS = (dict, collections.abc.Mapping, typing.Dict, typing.Mapping)  # noqa: UP006


def _required_wrapper(tp: Any) -> tuple[bool | None, Any]:
    """(True, inner) for Required[X], (False, inner) for NotRequired[X], (None, tp) otherwise."""
    origin = typing.get_origin(tp)
    name = getattr(origin, "_name", None) or getattr(origin, "__name__", "")
    if name == "Required":
        return True, typing.get_args(tp)[0]
    if name == "NotRequired":
        return False, typing.get_args(tp)[0]
    return None, tp


def _annotated(tp: Any) -> tuple[Any, str | None]:
    """(the type inside Annotated[...], the wire alias its PropertyInfo names, if any)."""
    if typing.get_origin(tp) is not typing.Annotated:
        return tp, None
    inner, *extras = typing.get_args(tp)
    return inner, next((getattr(e, "alias", None) for e in extras if getattr(e, "alias", None)), None)


def sdk_shape(tp: Any) -> Shape:
    """The shape of an SDK type annotation (TypedDict, Literal, Optional, Iterable, Dict, Union of TypedDicts)."""
    if is_typeddict(tp):
        hints = typing.get_type_hints(tp, include_extras=True)
        # __required_keys__ knows inheritance and each class's total=, but not a Required[...] written as a
        # string (the SDK's modules use postponed annotations): the explicit wrappers decide first.
        by_class = getattr(tp, "__required_keys__", frozenset())
        props = {}
        for key, hint in hints.items():
            required, inner = _required_wrapper(hint)
            inner, alias = _annotated(inner)
            props[alias or key] = (key in by_class if required is None else required, sdk_shape(inner))
        return {"types": {"object"}, "props": props}
    tp, _ = _annotated(tp)
    origin = typing.get_origin(tp)
    if origin in (typing.Union, pytypes.UnionType):
        # `object` is the SDK's "anything else" member (scheduled_at: str | datetime | object): not a JSON type.
        members = [a for a in typing.get_args(tp) if a is not type(None) and a is not object]
        nullable = type(None) in typing.get_args(tp)
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
    if origin in _MAPS or tp in _MAPS:
        args = typing.get_args(tp)
        return {"types": {"object"}, "values": sdk_shape(args[1]) if len(args) == 2 else {"types": set()}}
    if tp in _SCALARS:
        return {"types": {_SCALARS[tp]}}
    if tp is datetime.datetime:
        return {"types": {"string"}}  # sent in ISO 8601
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
    if isinstance(schema.get("additionalProperties"), dict):
        shape["values"] = schema_shape(schema["additionalProperties"])
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
    if "values" in ours or "values" in sdk:
        if "values" in ours and "values" in sdk:
            out += differences(ours["values"], sdk["values"], f"{path}{{}}")
        else:
            out.append(f"{where}: map values described only {'here' if 'values' in ours else 'in the SDK'}")
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


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,), "array": (list,),
    "object": (dict,), "null": (type(None),),
}  # fmt: skip


def _json_type_fits(value: Any, types: set[str]) -> bool:
    if isinstance(value, bool):
        return "boolean" in types
    return any(isinstance(value, _JSON_TYPES[t]) for t in types if t in _JSON_TYPES)


def value_problems(value: Any, shape: Shape, path: str = "") -> list[str]:
    """Every way a JSON value (a request body we sent) does not fit a shape: a key the shape does not declare,
    a required key missing, a wrong type, a value outside the enum; one line each, named by path."""
    where = path or "(body)"
    if shape.get("types") and not _json_type_fits(value, shape["types"]):
        return [f"{where}: {type(value).__name__} sent, {sorted(shape['types'])} declared"]
    if "enum" in shape and value is not None and value not in shape["enum"]:
        return [f"{where}: {value!r} sent, not one of {sorted(shape['enum'], key=str)}"]
    if isinstance(value, list) and "items" in shape:
        return [p for i, item in enumerate(value) for p in value_problems(item, shape["items"], f"{path}[{i}]")]
    if not isinstance(value, dict):
        return []
    if shape.get("variants"):
        found = [value_problems(value, variant, path) for variant in shape["variants"].values()]
        return min(found, key=len)
    if "values" in shape:
        return [p for k, v in value.items() for p in value_problems(v, shape["values"], f"{path}.{k}")]
    props = shape.get("props")
    if props is None:
        return []
    out = [f"{path}.{k}".lstrip(".") + ": sent, not declared" for k in value if k not in props]
    out += [
        f"{path}.{k}".lstrip(".") + ": required, not sent" for k, (req, _) in props.items() if req and k not in value
    ]
    for key, item in value.items():
        if key in props:
            out += value_problems(item, props[key][1], f"{path}.{key}".lstrip("."))
    return out
