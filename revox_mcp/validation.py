"""Check tool arguments completely before anything is sent, and explain every problem at once.

Two passes: the published JSON schema (jsonschema, the same rules a client sees) and then the
pydantic model (rules a schema cannot state: timezone names, per-provider voice ranges, enum
options). Problems from the second pass at a path the first already reported are dropped, so each
mistake is told once, in the clearest words.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

import jsonschema
from pydantic import BaseModel, ValidationError

from revox_mcp.errors import PatchInvalid, Problem
from revox_mcp.models import LLM_MODEL_TYPES, PATTERN_MEANINGS
from revox_mcp.schemas import JsonSchema

ModelT = TypeVar("ModelT", bound=BaseModel)

MAX_VALUE_CHARS = 80
_REPLACED_WHOLE_HINT = (
    "The API replaces this object whole: send every required key. Read the current value with "
    "get_assistant, change what you need, and send the complete object."
)


class ArgumentValidator:
    """Validates one tool's arguments; the compiled jsonschema validator is built once and reused."""

    def __init__(self, schema: JsonSchema, model: type[ModelT]) -> None:
        jsonschema.Draft202012Validator.check_schema(schema)
        self._schema_validator = jsonschema.Draft202012Validator(schema)
        self._model = model

    def validate(self, arguments: dict[str, Any]) -> Any:
        """The parsed arguments model, or PatchInvalid listing every problem found."""
        problems = [_from_schema_error(e) for e in self._schema_validator.iter_errors(arguments)]
        problems = [p for group in problems for p in group]
        try:
            parsed = self._model.model_validate(arguments)
        except ValidationError as exc:
            reported = [p.path for p in problems]
            problems += [p for p in _from_pydantic(exc) if not _covered(p.path, reported)]
            parsed = None
        if problems:
            raise PatchInvalid(_dedupe(problems))
        return parsed


def shorten(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= MAX_VALUE_CHARS else f"{text[: MAX_VALUE_CHARS - 15]}… ({len(text)} chars)"


def render_path(parts: Iterable[str | int]) -> str:
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(arguments)"


def _covered(path: str, reported: Sequence[str]) -> bool:
    return any(path == r or path.startswith(r + ".") or path.startswith(r + "[") for r in reported)


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: dict[tuple[str, str], Problem] = {}
    for problem in problems:
        seen.setdefault((problem.path, problem.allowed), problem)
    return list(seen.values())


def did_you_mean(key: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    return f"Did you mean `{close[0]}`?" if close else "Remove it."


def _from_schema_error(error: jsonschema.ValidationError) -> list[Problem]:
    path = list(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    kind = error.validator
    if kind == "additionalProperties":
        known = sorted(schema.get("properties", {}))
        unexpected = [k for k in error.instance if k not in schema.get("properties", {})]
        return [
            Problem(
                path=render_path([*path, key]),
                value=shorten(error.instance[key]),
                allowed=_known_keys_text(known),
                hint=f"Unknown field. {did_you_mean(key, known)}",
            )
            for key in unexpected
        ]
    if kind == "required":
        # jsonschema reports each missing key separately; answer for all of them at the first one,
        # with the advice once (the repeats are then dropped as duplicates).
        required = schema.get("required", [])
        missing = [key for key in required if key not in error.instance]
        return [
            Problem(
                path=render_path([*path, key]),
                value="nothing (key missing)",
                allowed=f"required keys: {', '.join(required)}",
                hint=_REPLACED_WHOLE_HINT if len(path) >= 2 and i == 0 else "",
            )
            for i, key in enumerate(missing)
        ]
    if kind == "anyOf" and isinstance(error.instance, dict) and "type" in error.instance:
        return _from_union_error(error, path)
    return [Problem(path=render_path(path), value=shorten(error.instance), allowed=_allowed(kind, schema))]


def _from_union_error(error: jsonschema.ValidationError, path: list[str | int]) -> list[Problem]:
    """For the tagged llm_model union, report the branch whose `type` the agent chose, not all four."""
    chosen = error.instance["type"]
    if chosen not in LLM_MODEL_TYPES:
        return [
            Problem(
                path=render_path([*path, "type"]),
                value=shorten(chosen),
                allowed="one of " + ", ".join(repr(t) for t in LLM_MODEL_TYPES),
                hint="The type decides which other keys the object needs.",
            )
        ]
    branches = error.schema["anyOf"]
    return [
        problem
        for sub in error.context or []
        if branches[sub.schema_path[0]].get("properties", {}).get("type", {}).get("const") == chosen
        for problem in _from_schema_error(sub)
    ]


def _known_keys_text(known: list[str]) -> str:
    if len(known) <= 12:
        return "the keys " + ", ".join(known)
    return f"the {len(known)} fields listed in the tool's input schema"


def _allowed(kind: str, schema: JsonSchema) -> str:
    if kind == "enum":
        return "one of " + ", ".join(json.dumps(v) for v in schema["enum"])
    if kind == "const":
        return json.dumps(schema["const"])
    if kind == "type":
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        return " or ".join("null" if t == "null" else f"a JSON {t}" for t in types)
    if kind == "pattern":
        return PATTERN_MEANINGS.get(schema["pattern"], f"a string matching {schema['pattern']}")
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return _range_text(schema)
    if kind in ("minLength", "maxLength"):
        return f"a string of {schema.get('minLength', 0)} to {schema.get('maxLength', 'any number of')} characters"
    return f"a value satisfying '{kind}' in the input schema"


def _range_text(schema: JsonSchema) -> str:
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    low_op = ">" if "exclusiveMinimum" in schema else ">="
    high_op = "<" if "exclusiveMaximum" in schema else "<="
    parts = [f"{low_op} {low}" if low is not None else "", f"{high_op} {high}" if high is not None else ""]
    return "a number " + " and ".join(p for p in parts if p)


def _from_pydantic(exc: ValidationError) -> list[Problem]:
    problems = []
    for err in exc.errors(include_url=False):
        # A tagged union puts the tag into the location ('llm_model', 'custom', 'api_key'): drop it.
        loc = [part for part in err["loc"] if part not in LLM_MODEL_TYPES]
        message = str(err["msg"]).removeprefix("Value error, ")
        hint = ""
        if err["type"] == "extra_forbidden":
            message, hint = "the fields in the tool's input schema", "Unknown field."
        elif err["type"] == "missing":
            message = "a value (the key is required)"
        problems.append(Problem(path=render_path(loc), value=shorten(err.get("input")), allowed=message, hint=hint))
    return problems
