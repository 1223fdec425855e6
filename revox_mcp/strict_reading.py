"""The strict profile's reading of arguments: a call shaped for a converter that makes every property required
(OpenAI strict function calling) turned into the arguments the default profile takes, before any check.

Under `--schema-profile strict` every property is present, so null cannot mean "clear":
- an argument, a patch field or a key of a merged object (voice, llm_model, call_retry_config, ...) that is
  null is left as it is (the key is dropped);
- inside a list item (a FAQ item, a custom tool, an edit: sent whole, so there is nothing to leave alone) null
  means no value: the key is kept as null where the default schema takes null there, and left out where not;
- `clear` names the patch paths to empty explicitly: null for a field that takes null, [] for a list;
- a map (prompt_variables) is published as a list of {name, value} and read back into an object.

What comes out is what the server then bounds, logs, checks (the default profile's validator and policy) and
writes, unchanged: there is no second validator, only this reading in front of everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from revox_mcp.errors import PatchInvalid, Problem
from revox_mcp.messages import did_you_mean, shorten

JsonSchema = dict[str, Any]
CLEAR = "clear"
# Deeper than any tool's schema: below it nothing is read (and a hostile nesting costs no deep recursion).
MAX_READ_DEPTH = 32


def allows_null(node: JsonSchema) -> bool:
    """Whether a schema node takes null (an untyped node takes anything)."""
    type_ = node.get("type")
    if "null" in (type_ if isinstance(type_, list) else [type_]) or None in node.get("enum", []):
        return True
    return any(allows_null(branch) for branch in node.get("anyOf", []))


def _is_untyped(node: JsonSchema) -> bool:
    return not ({"type", "anyOf", "enum", "const", "properties"} & set(node))


def _children(node: JsonSchema, path: str) -> list[tuple[str, JsonSchema, bool]]:
    """(path, subschema, inside a list item) of each property, item and union branch below `node`."""
    found = [(f"{path}.{name}" if path else name, sub, False) for name, sub in node.get("properties", {}).items()]
    if isinstance(node.get("items"), dict):
        found.append((f"{path}[]", node["items"], True))
    found += [(path, branch, False) for branch in node.get("anyOf", [])]
    return found


@dataclass(frozen=True)
class StrictReading:
    """What the reading needs to know of a tool's default (detailed) schema, gathered once."""

    nullable: frozenset[str]  # paths inside list items where null is a value (kept)
    maps: frozenset[str]  # paths of objects with free keys, published as lists of {name, value}
    clearable: dict[str, Any]  # patch paths `clear` may name, and the empty value each gets

    @classmethod
    def of(cls, schema: JsonSchema) -> StrictReading:
        nullable: set[str] = set()
        maps: set[str] = set()
        stack: list[tuple[str, JsonSchema, bool]] = [("", schema, False)]
        while stack:
            path, node, in_item = stack.pop()
            if in_item and (allows_null(node) or _is_untyped(node)):
                nullable.add(path)
            if isinstance(node.get("additionalProperties"), dict) and not node.get("properties"):
                maps.add(path)
            stack += [(p, sub, in_item or item) for p, sub, item in _children(node, path)]
        patch = schema.get("properties", {}).get("patch", {})
        return cls(frozenset(nullable), frozenset(maps), clearable_paths(patch))

    def read(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """The default profile's arguments for a strict-profile call; PatchInvalid when `clear` is wrong."""
        read = {
            key: self._value(value, key, in_item=False)
            for key, value in arguments.items()
            if value is not None and key != CLEAR
        }
        cleared = arguments.get(CLEAR)
        if cleared is not None:
            read["patch"] = self._cleared(read.get("patch", {}), cleared)
        return read

    def _value(self, value: Any, path: str, in_item: bool, depth: int = 0) -> Any:
        if depth > MAX_READ_DEPTH or not isinstance(value, list | dict):
            return value  # no schema is that deep: passed on as sent, for the default check to judge
        if isinstance(value, list) and path in self.maps:
            return _as_map(value)
        if isinstance(value, list):
            return [self._value(item, f"{path}[]", True, depth + 1) for item in value]
        kept = {}
        for key, item in value.items():
            where = f"{path}.{key}"
            if item is None and not (in_item and where in self.nullable):
                continue
            read = self._value(item, where, in_item, depth + 1)
            if read == {} and item != {} and not in_item:
                continue  # a merged object whose keys were all null changes nothing: left as it is
            kept[key] = read
        return kept

    def _cleared(self, patch: Any, cleared: Any) -> Any:
        if not isinstance(patch, dict):
            return patch  # the default check says what is wrong with the patch itself
        problems = [p for index, path in enumerate(_listed(cleared)) for p in self._clear(patch, index, path)]
        if not isinstance(cleared, list):
            problems.append(_clear_problem("clear", cleared, "a list of field paths, or null"))
        if problems:
            raise PatchInvalid(problems)
        return patch

    def _clear(self, patch: dict[str, Any], index: int, path: Any) -> list[Problem]:
        if path not in self.clearable:
            known = sorted(self.clearable)
            hint = did_you_mean(str(path), known) if isinstance(path, str) else ""
            allowed = f"one of the {len(known)} paths of clear's enum (the fields that take null, and lists)"
            return [_clear_problem(f"clear[{index}]", path, allowed, hint)]
        *parents, last = str(path).split(".")
        node = patch
        for key in parents:
            node = node.setdefault(key, {})
            if not isinstance(node, dict):
                return [_clear_problem(f"clear[{index}]", path, "a path below an object the patch does not set")]
        if node.get(last) is not None:
            return [
                _clear_problem(
                    f"clear[{index}]", path, "a field the patch does not also set", f"patch.{path} sets it: keep one."
                )
            ]
        node[last] = self.clearable[str(path)]
        return []


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _clear_problem(path: str, value: Any, allowed: str, hint: str = "") -> Problem:
    return Problem(
        path=path,
        value=shorten(value),
        allowed=allowed,
        hint=hint or "clear names patch fields to empty (null, or [] for a list); null elsewhere leaves a field.",
    )


def _as_map(entries: list[Any]) -> Any:
    """[{name, value}, ...] back into {name: value}; anything else is passed on for the default check."""
    if all(isinstance(e, dict) and set(e) == {"name", "value"} and isinstance(e["name"], str) for e in entries):
        return {e["name"]: e["value"] for e in entries}
    return entries


def clearable_paths(patch: JsonSchema) -> dict[str, Any]:
    """The patch paths through merged objects (not list items) that have an empty value: null where the
    field takes null, [] for a list that does not."""
    found: dict[str, Any] = {}
    stack: list[tuple[str, JsonSchema]] = [("", patch)]
    while stack:
        path, node = stack.pop()
        for name, sub in node.get("properties", {}).items():
            where = f"{path}.{name}" if path else name
            if allows_null(sub) and not _is_untyped(sub):
                found[where] = None
            elif sub.get("type") == "array":
                found[where] = []
            stack.append((where, sub))
        stack += [(path, branch) for branch in node.get("anyOf", [])]
    return dict(sorted(found.items()))
