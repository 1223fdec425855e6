"""Keys an answer carries that the official SDK's response model does not declare, found by walking the raw JSON
beside the model (pydantic's own validation lets the SDK's models take extra keys, so it cannot tell)."""

from __future__ import annotations

import types as pytypes
import typing
from typing import Any

from pydantic import BaseModel


def undeclared(value: Any, annotation: Any, path: str = "") -> list[str]:
    """Every key of `value` (raw JSON) that `annotation` (an SDK model, or a list, union, optional of them) does
    not declare, as a dotted path with `[]` for list items; [] when every key is declared."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return undeclared(value, typing.get_args(annotation)[0], path)
    if origin in (typing.Union, pytypes.UnionType):
        models = [a for a in typing.get_args(annotation) if a is not type(None)]
        found = [undeclared(value, member, path) for member in models]
        return min(found, key=len) if found else []
    if origin in (list, typing.List) and isinstance(value, list):  # noqa: UP006
        (item,) = typing.get_args(annotation) or (Any,)
        return [extra for element in value for extra in undeclared(element, item, f"{path}[]")]
    if origin in (dict, typing.Dict) and isinstance(value, dict):  # noqa: UP006
        args = typing.get_args(annotation)
        inner = args[1] if len(args) == 2 else Any
        return [extra for key, element in value.items() for extra in undeclared(element, inner, f"{path}.{key}")]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel) and isinstance(value, dict):
        return _model_keys(value, annotation, path)
    return []


def _model_keys(value: dict[str, Any], model: type[BaseModel], path: str) -> list[str]:
    by_key = {(field.alias or name): field for name, field in model.model_fields.items()}
    out: list[str] = []
    for key, element in value.items():
        where = f"{path}.{key}" if path else key
        field = by_key.get(key)
        if field is None:
            out.append(where)
        else:
            out += undeclared(element, field.annotation, where)
    return out
