"""Check tool arguments completely before anything is sent, and explain every problem at once.

Two passes: the published JSON schema (jsonschema, the same rules a client sees) and then the
pydantic model (rules a schema cannot state: timezone names, per-provider voice ranges, enum
options). Problems from the second pass at a path the first already reported are dropped, so each
mistake is told once, in the clearest words.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from revox_mcp.errors import PatchInvalid, Problem
from revox_mcp.messages import did_you_mean, render_path, shorten
from revox_mcp.models import LLM_MODEL_TYPES, PATTERN_MEANINGS
from revox_mcp.redaction import mask
from revox_mcp.schemas import JsonSchema
from revox_mcp.secret_names import credential_name

if TYPE_CHECKING:
    import jsonschema
from revox_mcp.tool_models import EDIT_TAGS

ModelT = TypeVar("ModelT", bound=BaseModel)

_UNION_TAGS = frozenset(LLM_MODEL_TYPES) | frozenset(EDIT_TAGS)
# Said of a problem about what may be a stored value, when other problems refuse the call before the read.
MAYBE_STORED = "(Sent back unchanged, a value stored now is kept: only what the change sets is judged.)"
# The hint of every problem about a key the schema does not know.
UNKNOWN_FIELD = "Unknown field."
_REPLACED_WHOLE_HINT = (
    "The API replaces this object whole: send every required key. Read the current value with "
    "get_assistant, change what you need, and send the complete object."
)


class ArgumentValidator:
    """Validates one JSON document against a schema and a model. The schema is compiled on the first
    validation, not at start-up (most tools of a session are never called), and reused after.

    `extra_checks` adds problems found by other means (reported unless a path already covers them);
    `prefix` is put in front of every path, e.g. "patch" when the document is a patch body; `after_read`
    says, for a document, which problems are about what may be a stored value (an edit's item, a list's
    items): they are not raised but handed to the parsed model (`leave_for_after_read`), for the check after
    the read, which refuses only what the change sets (writer.py).
    """

    def __init__(
        self,
        schema: JsonSchema,
        model: type[ModelT],
        *,
        extra_checks: Callable[[dict[str, Any]], list[Problem]] | None = None,
        prefix: str = "",
        after_read: Callable[[dict[str, Any]], Callable[[Problem], bool]] | None = None,
    ) -> None:
        self._schema = schema
        self._model = model
        self._extra_checks = extra_checks
        self._after_read = after_read
        self._prefix: list[str | int] = [prefix] if prefix else []

    @cached_property
    def _schema_validator(self) -> jsonschema.Draft202012Validator:
        # Imported here, at a tool's first call, not at start-up: it is the heaviest import we own.
        from jsonschema import Draft202012Validator

        return Draft202012Validator(self._schema)

    def validate(self, document: dict[str, Any]) -> Any:
        """The parsed model, or PatchInvalid listing every problem found."""
        problems = non_finite_numbers(document, self._prefix)  # a NaN is never a stored value: refused at once
        later = self._after_read(document) if self._after_read is not None else None
        deferred: list[Problem] = []
        found = [p for e in self._schema_validator.iter_errors(document) for p in _from_schema_error(e, self._prefix)]
        problems += _now(_uncovered(found, problems), later, deferred)
        if self._extra_checks is not None:
            problems += _now(_uncovered(self._extra_checks(document), problems + deferred), later, deferred)
        try:
            parsed = self._model.model_validate(document)
        except ValidationError as exc:
            problems += _uncovered(pydantic_problems(exc, self._prefix), problems + deferred)
            parsed = None
        hand_on = getattr(parsed, "leave_for_after_read", None)
        if problems or (deferred and hand_on is None):
            # Told at once all the same, each saying that a value sent back as stored is kept.
            told = problems + [dataclasses.replace(p, hint=f"{p.hint} {MAYBE_STORED}".strip()) for p in deferred]
            raise PatchInvalid([_masked(p, document) for p in _dedupe(told)])
        if deferred and hand_on is not None:
            hand_on([_masked(p, document) for p in _dedupe(deferred)])
        return parsed


def _now(problems: list[Problem], later: Callable[[Problem], bool] | None, deferred: list[Problem]) -> list[Problem]:
    """The problems to report before the read; those `later` leaves to the check after it go to `deferred`."""
    if later is None:
        return problems
    deferred += [p for p in problems if later(p)]
    return [p for p in problems if not later(p)]


def non_finite_numbers(value: Any, path: list[str | int]) -> list[Problem]:
    """NaN and Infinity: not JSON numbers, yet Python's JSON reader accepts them, and the API cannot."""
    if isinstance(value, float) and not math.isfinite(value):
        return [Problem(path=render_path(path), value=str(value), allowed="a finite number (NaN and Infinity are not)")]
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in non_finite_numbers(item, [*path, key])]
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in non_finite_numbers(item, [*path, index])]
    return []


def _covered(path: str, reported: Sequence[str]) -> bool:
    return any(path == r or path.startswith(r + ".") or path.startswith(r + "[") for r in reported)


def _masked(problem: Problem, document: Any) -> Problem:
    """A problem about a secret itself shows the secret masked."""
    if not credential_name(problem.path.rsplit(".", 1)[-1].split("[", 1)[0]):
        return problem
    return Problem(problem.path, mask(problem.value.strip('"')), problem.allowed, problem.hint)


def _uncovered(new: list[Problem], reported: list[Problem]) -> list[Problem]:
    paths = [p.path for p in reported]
    return [p for p in new if not _covered(p.path, paths)]


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: dict[tuple[str, str], Problem] = {}
    for problem in problems:
        seen.setdefault((problem.path, problem.allowed), problem)
    return list(seen.values())


def _from_schema_error(error: jsonschema.ValidationError, prefix: list[str | int]) -> list[Problem]:
    path = [*prefix, *error.absolute_path]
    schema = error.schema if isinstance(error.schema, dict) else {}
    kind = str(error.validator)
    instance: Any = error.instance
    if kind == "additionalProperties":
        known = sorted(schema.get("properties", {}))
        unexpected = [k for k in instance if k not in schema.get("properties", {})]
        return [
            Problem(
                path=render_path([*path, key]),
                value=shorten(instance[key]),
                allowed=_known_keys_text(known),
                hint=f"{UNKNOWN_FIELD} {did_you_mean(key, known)}",
            )
            for key in unexpected
        ]
    if kind == "required":
        # jsonschema reports each missing key separately; answer for all of them at the first one,
        # with the advice once (the repeats are then dropped as duplicates).
        required = schema.get("required", [])
        missing = [key for key in required if key not in instance]
        return [
            Problem(
                path=render_path([*path, key]),
                value="nothing (key missing)",
                allowed=f"required keys: {', '.join(required)}",
                hint=_REPLACED_WHOLE_HINT if len(path) >= 2 and i == 0 else "",
            )
            for i, key in enumerate(missing)
        ]
    if kind == "anyOf" and isinstance(instance, dict):
        return _from_union_error(error, path, prefix)
    if kind == "pattern" and isinstance(instance, str) and len(instance) > schema.get("maxLength", len(instance)):
        return []  # the length is the problem, said once by the maxLength error
    return [Problem(path=render_path(path), value=shorten(instance), allowed=_allowed(kind, schema))]


def _consts(branch: JsonSchema) -> dict[str, Any]:
    return {k: v["const"] for k, v in branch.get("properties", {}).items() if "const" in v}


def _from_union_error(
    error: jsonschema.ValidationError, path: list[str | int], prefix: list[str | int]
) -> list[Problem]:
    """For a tagged union (llm_model by type, edits by op and list), report the branch the tags choose."""
    schema: Any = error.schema
    branches: list[JsonSchema] = schema["anyOf"]
    instance: Any = error.instance
    chosen = [i for i, b in enumerate(branches) if all(instance.get(k, v) == v for k, v in _consts(b).items())]
    if len(chosen) > 1 and any(k not in instance for i in chosen for k in _consts(branches[i])):
        # No tag sent (a partial object merged onto the stored one): the keys sent say which variant is meant.
        fitting = [i for i in chosen if set(instance) <= set(branches[i].get("properties", {}))]
        if not fitting:
            return [_fits_no_variant(instance, [branches[i] for i in chosen], path)]
        chosen = fitting
    if len(chosen) == 1:
        label = ", ".join(f"{k}={v!r}" for k, v in _consts(branches[chosen[0]]).items())
        return [
            p for sub in error.context or [] if sub.schema_path[0] == chosen[0] for p in _in_variant(sub, prefix, label)
        ]
    if not chosen:
        tags = sorted({k for b in branches for k in _consts(b)})
        if len(tags) == 1:
            values = sorted({repr(_consts(b)[tags[0]]) for b in branches})
            return [
                Problem(
                    path=render_path([*path, tags[0]]),
                    value=shorten(instance.get(tags[0])),
                    allowed="one of " + ", ".join(values),
                    hint=f"The {tags[0]} decides which other keys the object takes.",
                )
            ]
        combos = sorted({", ".join(f"{k}={v!r}" for k, v in _consts(b).items()) for b in branches})
        return [
            Problem(
                path=render_path(path),
                value=shorten({k: instance.get(k) for k in tags}),
                allowed="one of these combinations: " + "; ".join(combos),
                hint=f"Together, {' and '.join(tags)} decide which other keys the object takes.",
            )
        ]
    from jsonschema.exceptions import best_match

    best = best_match(error.context or [])
    if best is None:
        return [Problem(path=render_path(path), value=shorten(instance), allowed="one of the variants in the schema")]
    return _from_schema_error(best, prefix)


def _in_variant(error: jsonschema.ValidationError, prefix: list[str | int], label: str) -> list[Problem]:
    """A problem inside the variant the tags chose; a key it does not take is told with that variant's keys
    (type='custom': api_key, api_url, model_name, type), never another variant's."""
    problems = _from_schema_error(error, prefix)
    if error.validator != "additionalProperties" or not label or not isinstance(error.schema, dict):
        return problems
    keys = ", ".join(sorted(error.schema.get("properties", {})))
    return [
        dataclasses.replace(
            p,
            allowed=f"the keys of {label}: {keys}",
            hint=f"{p.hint} A key of another variant needs its tag and all that variant's keys.",
        )
        for p in problems
    ]


def _fits_no_variant(instance: dict[str, Any], branches: list[JsonSchema], path: list[str | int]) -> Problem:
    """Keys sent without the tag that no variant takes all of: each variant's keys, never one variant's alone."""
    variants = "; ".join(
        f"{', '.join(f'{k}={v!r}' for k, v in _consts(b).items())}: {', '.join(sorted(b.get('properties', {})))}"
        for b in branches
    )
    return Problem(
        path=render_path(path),
        value=shorten(sorted(instance)),
        allowed=f"the keys of one variant ({variants})",
        hint="Without its tag the keys sent must all belong to one variant (the stored object's); a key of another "
        "variant needs the tag and all that variant's keys.",
    )


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
    if kind in ("minItems", "maxItems"):
        return f"a list of {schema.get('minItems', 0)} to {schema.get('maxItems', 'any number of')} items"
    return f"a value satisfying '{kind}' in the input schema"


def _range_text(schema: JsonSchema) -> str:
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    low_op = ">" if "exclusiveMinimum" in schema else ">="
    high_op = "<" if "exclusiveMaximum" in schema else "<="
    parts = [f"{low_op} {low}" if low is not None else "", f"{high_op} {high}" if high is not None else ""]
    return "a number " + " and ".join(p for p in parts if p)


def pydantic_problems(
    exc: ValidationError, prefix: Sequence[str | int] = (), skip: frozenset[str] = frozenset()
) -> list[Problem]:
    """Problems from a pydantic error, leaving out error types in `skip` (e.g. 'missing' for a partial object)."""
    problems = []
    for err in exc.errors(include_url=False):
        if err["type"] in skip:
            continue
        # A tagged union puts the tag into the location ('llm_model', 'custom', 'api_key'): drop it.
        loc = [*prefix, *(part for part in err["loc"] if part not in _UNION_TAGS)]
        if err["type"] == "union_tag_invalid":
            # About the tag's value, so at the tag's path (where the schema pass reports it too).
            loc.append(str((err.get("ctx") or {}).get("discriminator", "type")).strip("'"))
        message = str(err["msg"]).removeprefix("Value error, ")
        hint = ""
        if err["type"] == "extra_forbidden":
            message, hint = "the fields in the tool's input schema", UNKNOWN_FIELD
        elif err["type"] == "missing":
            message = "a value (the key is required)"
        elif err["type"] == "string_pattern_mismatch":
            pattern = str((err.get("ctx") or {}).get("pattern", ""))
            message = PATTERN_MEANINGS.get(pattern, message)
        problems.append(Problem(path=render_path(loc), value=shorten(err.get("input")), allowed=message, hint=hint))
    return problems
