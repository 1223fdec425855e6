"""What an operator lets agents change: read-only mode, denied or allowed fields, value limits.

A policy comes from an optional TOML file, environment variables and flags (flags win). It shapes
what this server instance publishes (denied fields vanish from the schema, limits tighten its
ranges, read-only hides the write tools) and it is enforced on the final body of every write
(patch, edits and revert_change alike), so nothing reaches the API that the policy forbids.

Field paths are dotted: `webhook_url`, `voice.id`, `llm_model.api_url`, `call_retry_config.calling_windows`.
A path covers everything below it. The preset `@sensitive` names the fields that can exfiltrate
data or reroute calls.
"""

from __future__ import annotations

import copy
import difflib
import math
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from revox_mcp.config import TOOL_FAMILIES, TOOLS_ENV
from revox_mcp.errors import ConfigError, Problem
from revox_mcp.messages import shorten
from revox_mcp.schemas import JsonSchema

# Fields through which a hijacked agent could send call data or credentials outside Revox (URLs,
# e-mail, Slack, Zoho, a custom LLM) or change who gets called (transfers). The README says the same.
SENSITIVE_FIELDS = (
    "webhook_url",
    "transfer_destinations",
    "transfer_phone_number",
    "precall_lookup_url",
    "custom_tools",
    "llm_model.api_url",
    "llm_model.api_key",
    "email_notification_address",
    "slack",
    "zoho",
    "calendly",
)
PRESETS = {"@sensitive": SENSITIVE_FIELDS}

POLICY_FILE_ENV = "REVOX_MCP_POLICY"
READ_ONLY_ENV = "REVOX_MCP_READ_ONLY"
DENY_ENV = "REVOX_MCP_DENY_FIELDS"
ALLOW_ENV = "REVOX_MCP_ALLOW_FIELDS"
LIMITS_ENV = "REVOX_MCP_LIMITS"
EXTRA_FIELDS_ENV = "REVOX_MCP_EXTRA_FIELDS"
TEST_NUMBERS_ENV = "REVOX_MCP_TEST_NUMBERS"
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

_LIMIT = re.compile(r"^\s*([a-z_][a-z0-9_.]*)\s*(<=|>=)\s*(-?[0-9]+(?:\.[0-9]+)?)\s*$")


@dataclass(frozen=True)
class Limit:
    minimum: float | None = None
    maximum: float | None = None

    def text(self) -> str:
        parts = []
        if self.minimum is not None:
            parts.append(f">= {self.minimum:g}")
        if self.maximum is not None:
            parts.append(f"<= {self.maximum:g}")
        return " and ".join(parts)


@dataclass(frozen=True)
class Policy:
    read_only: bool = False
    deny: frozenset[str] = frozenset()
    allow: frozenset[str] | None = None
    limits: Mapping[str, Limit] = field(default_factory=dict)
    # Top-level update fields the API added after this release, which the operator lets agents set as given.
    extra_fields: frozenset[str] = frozenset()
    # Numbers an agent may place a test call to (place_test_call); none: the tool is not offered.
    test_numbers: frozenset[str] = frozenset()
    # The tool families this server offers (config.TOOL_FAMILIES); None: all of them.
    families: frozenset[str] | None = None

    def offers_family_of(self, tool: str) -> bool:
        """Is `tool` in a family this server offers? (A name in no family is not this policy's to refuse.)"""
        family = family_of(tool)
        return self.families is None or family is None or family in self.families

    @property
    def is_default(self) -> bool:
        """No field of an update is denied, allowed, limited or added (the families offered shape only which
        tools are listed, not what an update may change)."""
        named = self.deny or self.limits or self.extra_fields or self.test_numbers
        return not (self.read_only or named or self.allow is not None)

    def permits(self, path: str) -> bool:
        """May an agent change the value at `path` (dotted, list indices removed)?"""
        if any(_covers(d, path) for d in self.deny):
            return False
        return self.allow is None or any(_covers(a, path) or _covers(path, a) for a in self.allow)

    def _fully_permits(self, path: str) -> bool:
        """Everything below `path` is writable (an allow entry covers it and nothing below is denied)."""
        if not self.permits(path) or any(_covers(path, d) for d in self.deny):
            return False
        return self.allow is None or any(_covers(a, path) for a in self.allow)

    # --- checks ---------------------------------------------------------------------------------------

    def check_paths(self, paths: Iterable[str], prefix: str) -> list[Problem]:
        denied = sorted(path for path in set(paths) if not self.permits(path))
        # One problem per denied subtree: `slack` says it all, `slack.channels.id` would only repeat it.
        return [
            Problem(
                path=f"{prefix}.{path}" if prefix else path,
                value="a change",
                allowed="no change: this server's operator policy does not let agents change this field",
                hint="Leave it out; a person with access to the Revox dashboard can change it.",
            )
            for path in denied
            if not any(path.startswith(outer + ".") for outer in denied)
        ]

    def check_limits(self, body: Mapping[str, Any], prefix: str) -> list[Problem]:
        """Every value at a limited path, in every list item on the way (a limit on
        `call_retry_config.calling_windows.retry_delay_seconds` holds for each window)."""
        problems = []
        for path, limit in self.limits.items():
            for where, value in _values(body, path.split("."), prefix):
                if not isinstance(value, int | float) or isinstance(value, bool):
                    continue
                # NaN compares false with everything: it would pass any limit unless refused here.
                too_low = not math.isfinite(value) or (limit.minimum is not None and value < limit.minimum)
                if too_low or (limit.maximum is not None and value > limit.maximum):
                    problems.append(
                        Problem(path=where, value=shorten(value), allowed=f"a number {limit.text()} (operator policy)")
                    )
        return problems

    # --- published schema -----------------------------------------------------------------------------

    def shape_patch(self, patch: JsonSchema) -> JsonSchema:
        """The patch schema this instance publishes: denied fields removed, limits applied."""
        shaped = copy.deepcopy(patch)
        self._prune(shaped, "")
        for path, limit in self.limits.items():
            node = _node(shaped, path)
            if node is not None:
                if limit.minimum is not None:
                    node["minimum"] = max(limit.minimum, node.get("minimum", limit.minimum))
                if limit.maximum is not None:
                    node["maximum"] = min(limit.maximum, node.get("maximum", limit.maximum))
        return shaped

    def _prune(self, node: JsonSchema, path: str) -> None:
        for branch in node.get("anyOf", []):
            self._prune(branch, path)
        props = node.get("properties")
        if props is None:
            return
        for name in list(props):
            child = f"{path}.{name}" if path else name
            if not self.permits(child):
                del props[name]
            elif not self._fully_permits(child):
                self._prune(props[name], child)

    def with_extra_fields(self, patch: JsonSchema) -> JsonSchema:
        """The patch schema with the operator's extra fields as untyped properties (a copy when there are any)."""
        if not self.extra_fields:
            return patch
        shaped = copy.deepcopy(patch)
        for name in sorted(self.extra_fields):
            shaped.setdefault("properties", {})[name] = {
                "description": "A field newer than this server, allowed by its operator: sent to the API as given."
            }
        return shaped

    def without_extra_fields(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """update_assistant arguments minus the extra fields, for the checks that know only this release's fields."""
        patch = arguments.get("patch")
        if not (self.extra_fields and isinstance(patch, dict) and self.extra_fields & set(patch)):
            return arguments
        return {**arguments, "patch": {k: v for k, v in patch.items() if k not in self.extra_fields}}

    def shape_edits(self, edits: JsonSchema) -> JsonSchema | None:
        """The edits schema with the ops this policy forbids removed; None when no op is left."""
        shaped = copy.deepcopy(edits)
        kept = []
        for variant in shaped["items"]["anyOf"]:
            props = variant["properties"]
            target = "list" if "list" in props else "field"
            spec = props[target]
            allowed = [v for v in spec.get("enum", [spec.get("const")]) if self.permits(str(v))]
            if not allowed:
                continue
            if "enum" in spec:
                spec["enum"] = allowed
            kept.append(variant)
        if not kept:
            return None
        shaped["items"]["anyOf"] = kept
        return shaped

    # --- loading --------------------------------------------------------------------------------------

    @classmethod
    def load(
        cls,
        *,
        file: Path | None = None,
        read_only: bool = False,
        deny: str | None = None,
        allow: str | None = None,
        limits: Iterable[str] = (),
        extra_fields: str | None = None,
        test_numbers: str | None = None,
        tools: str | None = None,
        env: Mapping[str, str] | None = None,
        known: JsonSchema | None = None,
    ) -> Policy:
        """Merge file < environment < flags. Denials add up; the most specific allow list wins; a later
        limit for the same field replaces an earlier one. Unknown field names are a ConfigError."""
        env = os.environ if env is None else env
        file = file or (Path(env[POLICY_FILE_ENV]) if env.get(POLICY_FILE_ENV) else None)
        data = _read_toml(file) if file else {}
        denied = set(_fields(data.get("deny_fields", [])))
        denied |= set(_split(env.get(DENY_ENV))) | set(_split(deny))
        allow_list = _split(allow) or _split(env.get(ALLOW_ENV)) or data.get("allow_fields")
        merged: dict[str, Limit] = {}
        for path, bounds in dict(data.get("limits", {})).items():
            merged[path] = Limit(minimum=bounds.get("min"), maximum=bounds.get("max"))
        for text in [*_split(env.get(LIMITS_ENV), sep=";"), *limits]:
            path, limit = _parse_limit(text)
            old = merged.get(path, Limit())
            merged[path] = Limit(
                minimum=limit.minimum if limit.minimum is not None else old.minimum,
                maximum=limit.maximum if limit.maximum is not None else old.maximum,
            )
        env_read_only = env.get(READ_ONLY_ENV, "").lower() in ("1", "true", "yes")
        extras = set(_fields(data.get("extra_fields", []))) | set(_split(env.get(EXTRA_FIELDS_ENV)))
        extras |= set(_split(extra_fields))
        numbers = set(_fields(data.get("test_numbers", []))) | set(_split(env.get(TEST_NUMBERS_ENV)))
        numbers |= set(_split(test_numbers))
        not_e164 = sorted(n for n in numbers if not _E164.match(n))
        if not_e164:
            raise ConfigError(f"Test number(s) {', '.join(not_e164)}: an E.164 number such as +14155550123.")
        bad = sorted(name for name in extras if not _FIELD_NAME.match(name))
        if bad:
            raise ConfigError(f"Extra field(s) {', '.join(bad)}: a top-level field name in lowercase_snake_case.")
        policy = cls(
            read_only=read_only or bool(data.get("read_only")) or env_read_only,
            deny=frozenset(_expand(denied)),
            allow=frozenset(_expand(allow_list)) if allow_list else None,
            limits=merged,
            extra_fields=frozenset(extras),
            test_numbers=frozenset(numbers),
            families=_families(tools, env.get(TOOLS_ENV), data.get("tools")),
        )
        if known is not None:
            policy.validate_paths(known)
        return policy

    def validate_paths(self, schema: JsonSchema) -> None:
        known_already = sorted(self.extra_fields & set(schema.get("properties", {})))
        if known_already:
            raise ConfigError(
                f"Extra field(s) {', '.join(known_already)} are already update fields of this release: "
                "remove them from the extra fields."
            )
        schema = self.with_extra_fields(schema)
        named = [*self.deny, *(self.allow or ()), *self.limits]
        bad = [p for p in named if _node(schema, p) is None]
        if bad:
            known = list(_all_paths(schema))
            hints = []
            for path in bad:
                close = difflib.get_close_matches(path, known, 1)
                hints.append(f"'{path}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
            raise ConfigError(f"Unknown field(s) in the policy: {', '.join(hints)}.")
        for path in self.limits:
            node = _node(schema, path) or {}
            if not {"number", "integer"} & set(_types(node)):
                raise ConfigError(f"Policy limit on '{path}': that field is not a number.")


def family_of(tool: str) -> str | None:
    return next((family for family, names in TOOL_FAMILIES.items() if tool in names), None)


def _families(flag: str | None, env: str | None, file: Any) -> frozenset[str] | None:
    """The families named by the flag, else the environment, else the policy file (a list, or one comma
    list); None when none names any: every family."""
    listed = isinstance(file, list) and all(isinstance(v, str) for v in file)
    if file is not None and not (isinstance(file, str) or listed):
        raise ConfigError('Policy file: tools must be a list of tool families, e.g. ["assistants", "calls"].')
    named = _split(flag) or _split(env) or _split(file if isinstance(file, str) else ",".join(file or []))
    if not named:
        return None
    unknown = sorted(set(named) - set(TOOL_FAMILIES))
    if unknown:
        raise ConfigError(f"Unknown tool family {', '.join(unknown)}: the families are {', '.join(TOOL_FAMILIES)}.")
    return frozenset(named)


def _covers(outer: str, inner: str) -> bool:
    return inner == outer or inner.startswith(outer + ".")


def _split(text: str | None, sep: str = ",") -> list[str]:
    return [part.strip() for part in (text or "").split(sep) if part.strip()]


def _fields(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError("Policy file: deny_fields, allow_fields and extra_fields must be lists of field names.")
    return value


def _expand(paths: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for path in paths:
        if path.startswith("@"):
            if path not in PRESETS:
                raise ConfigError(f"Unknown preset '{path}'; presets: {', '.join(PRESETS)}.")
            out |= set(PRESETS[path])
        else:
            out.add(path)
    return out


def _parse_limit(text: str) -> tuple[str, Limit]:
    match = _LIMIT.match(text)
    if not match:
        raise ConfigError(
            f"Bad limit '{text}': write it as field<=number or field>=number, e.g. max_call_duration_secs<=900."
        )
    path, op, number = match.group(1), match.group(2), float(match.group(3))
    return path, Limit(maximum=number) if op == "<=" else Limit(minimum=number)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"Cannot read the policy file {path}: {exc}") from None


def _types(node: JsonSchema) -> list[str]:
    type_ = node.get("type", [])
    return [type_] if isinstance(type_, str) else list(type_)


def _children(node: JsonSchema) -> dict[str, JsonSchema]:
    """Named children of a schema node, looking through nullable unions, item schemas and variants."""
    out: dict[str, JsonSchema] = {}
    for branch in node.get("anyOf", []):
        out.update(_children(branch))
    if isinstance(node.get("items"), dict):
        out.update(_children(node["items"]))
    out.update(node.get("properties", {}))
    return out


def _node(schema: JsonSchema, path: str) -> JsonSchema | None:
    node: JsonSchema | None = schema
    for part in path.split("."):
        node = _children(node).get(part) if node is not None else None
    return node


def _all_paths(node: JsonSchema, prefix: str = "") -> Iterable[str]:
    for name, child in _children(node).items():
        path = f"{prefix}.{name}" if prefix else name
        yield path
        yield from _all_paths(child, path)


def _values(value: Any, parts: list[str], where: str) -> Iterable[tuple[str, Any]]:
    """(rendered path, value) of every value at the dotted path `parts`, through every list item."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from _values(item, parts, f"{where}[{index}]")
    elif not parts:
        yield where, value
    elif isinstance(value, Mapping) and parts[0] in value:
        yield from _values(value[parts[0]], parts[1:], f"{where}.{parts[0]}" if where else parts[0])


# Where a stored secret is sent: changing the destination changes what the secret does, so a policy that
# denies the secret denies moving it too (a hijacked agent could point api_url at itself and keep the key).
_TOOL_SECRETS = ("custom_tools.headers.value", "custom_tools.query_params.value", "custom_tools.body_template")
SECRET_DESTINATIONS = {
    "llm_model.api_url": ("llm_model.api_key",),
    "custom_tools.url": _TOOL_SECRETS,
    "custom_tools.method": _TOOL_SECRETS,
}


def with_secret_destinations(paths: set[str]) -> set[str]:
    return paths | {secret for path in paths for secret in SECRET_DESTINATIONS.get(path, ())}


def changed_paths(old: Any, new: Any, schema: JsonSchema, path: str = "") -> set[str]:
    """Every policy path (dotted, list positions left out) whose value differs between two bodies.

    Judged leaf by leaf, so a change cannot hide behind its parent: list items are compared by
    position, and an item added or removed, or an object replaced by null (or null by an object),
    changes every path it carries and every path the schema says it may carry (nulling `calendly`
    changes `calendly.event_type_id`)."""
    if old == new:
        return set()
    if isinstance(old, dict) and isinstance(new, dict):
        children = _children(schema)
        out: set[str] = set()
        for key in old.keys() | new.keys():
            out |= changed_paths(old.get(key), new.get(key), children.get(key, {}), f"{path}.{key}" if path else key)
        return out
    if isinstance(old, list) and isinstance(new, list):
        item_schema: JsonSchema = schema["items"] if isinstance(schema.get("items"), dict) else {}
        for branch in schema.get("anyOf", []):
            if isinstance(branch.get("items"), dict):
                item_schema = branch["items"]
        out = set()
        for index in range(max(len(old), len(new))):
            a = old[index] if index < len(old) else None
            b = new[index] if index < len(new) else None
            if index >= len(old) or index >= len(new):
                out |= _whole(a if b is None else b, item_schema, path)
            else:
                out |= changed_paths(a, b, item_schema, path)
        return out
    # A scalar changed, or a whole object or list appeared, vanished or changed type.
    return _whole(old, schema, path) | _whole(new, schema, path)


def _whole(value: Any, schema: JsonSchema, path: str) -> set[str]:
    """`path` and every path below it that `value` carries or `schema` allows."""
    out = {path} if path else set()
    out |= {f"{path}.{p}" if path else p for p in _all_paths(schema)}
    if isinstance(value, dict):
        for key, item in value.items():
            out |= _whole(item, _children(schema).get(key, {}), f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for item in value:
            out |= _whole(item, schema.get("items", {}) if isinstance(schema.get("items"), dict) else {}, path)
    return out
