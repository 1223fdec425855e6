"""The whole surface revox-mcp reaches, held against the official SDK (`revox`, generated from the API's own spec).

Two registries, one entry each:
- ENDPOINTS: every SDK method a tool calls (or a tool of the plan will call): the route, the path arguments and
  the body or query keys we send with their types, beside the SDK's. `ours` is derived from our code where the
  body comes from a model (the update body is `schemas.body_schema()`), or is a shape recorded from SDK 0.5.0
  where the tool builds the body by hand or is not built yet (`source="recorded"`; tests/test_sdk_surface.py
  also checks the bodies the built tools really send against the SDK's type).
- DOC_RULES: every docstring of the SDK that a rule of revox-mcp relies on (the README's rules table says
  "SDK docstring"): the words it relies on, and where it has one, the fact read from them (a range, a
  placeholder) beside the fact as revox-mcp enforces it. VALUE_SETS: enums of the SDK's answers that our tool
  arguments repeat (voice languages, providers, models).

A drift is a line saying what differs and where; `scripts/check-api-drift.sh` runs all of it against the newest
SDK release. Adding a tool that calls the API: add or update its entry (its tool name, what it sends).
"""

from __future__ import annotations

import ast
import copy
import importlib
import inspect
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import revox
from pydantic import BaseModel

from revox_mcp import models
from revox_mcp.schemas import JsonSchema, body_schema, portable_schema
from revox_mcp.tool_models import ListVoicesArgs, SearchCallsArgs
from tests.sdk_shapes import Shape, differences, schema_shape, sdk_shape

NO_BODY: Shape = {"types": {"object"}, "props": {}}
_NOT_PARAMS = {"self", "extra_headers", "extra_query", "extra_body", "timeout"}


# --- shapes of what we send --------------------------------------------------------------------------------


def _scalar(*types: str, enum: typing.Iterable[Any] | None = None) -> Shape:
    shape: Shape = {"types": set(types)}
    if enum is not None:
        shape["enum"] = set(enum)
    return shape


def _array(item: Shape) -> Shape:
    return {"types": {"array"}, "items": item}


def _object(required: dict[str, Shape], optional: dict[str, Shape] | None = None) -> Shape:
    props = {k: (True, v) for k, v in required.items()} | {k: (False, v) for k, v in (optional or {}).items()}
    return {"types": {"object"}, "props": props}


def _enum_of(model: type[BaseModel], name: str) -> set[Any]:
    """The values a tool argument (a list of a Literal, or an optional Literal) allows."""
    node = model.model_json_schema()["properties"][name]
    node = node.get("items", node)
    branches = node.get("anyOf", [node])
    return {v for b in branches for v in b.get("enum", [b["const"]] if "const" in b else [])}


def update_body() -> Shape:
    return schema_shape(body_schema())


def create_body() -> Shape:
    """create_assistant's body (the `copies` helper): its model, models.AssistantCreate, once merged; until then
    recorded as that model is: the update model with the keys SDK 0.5.0 requires on a create (name, prompt)."""
    create = getattr(models, "AssistantCreate", None)
    if create is not None:
        return schema_shape(portable_schema(create))
    shape = copy.deepcopy(update_body())
    for key in ("name", "prompt"):
        shape["props"][key] = (True, shape["props"][key][1])
    return shape


def inline_assistant() -> Shape:
    """What writer.inline_config sends as POST /call's `assistant`: the update fields but name and the older
    transfer_phone_number; prompt always, since every read holds it (models.ALWAYS_READ)."""
    shape = copy.deepcopy(update_body())
    for key in ("name", "transfer_phone_number"):
        del shape["props"][key]
    assert "prompt" in models.ALWAYS_READ
    shape["props"]["prompt"] = (True, shape["props"]["prompt"][1])
    return shape


def test_call_body() -> Shape:
    """The body place_test_call builds (tools/tuning.py)."""
    texts = {"types": {"object"}, "values": _scalar("string")}
    return _object(
        {"phone_number": _scalar("string")},
        {
            "assistant": inline_assistant(),
            "prompt_variables": texts,
            "metadata": texts,
            "skip_calling_window": _scalar("boolean"),
        },
    )


def search_body() -> Shape:
    """The body search_calls, change_impact and compare_assistants build (tools/context.py, tools/tuning.py,
    tools/compare.py), with the enums of search_calls' arguments; call_ids and to_phone_number as the `calls`
    helper's search_calls sends them."""
    strings = _array(_scalar("string"))
    directions = _array(_scalar("string", enum=_enum_of(SearchCallsArgs, "direction") - {None}))
    return _object(
        {
            "assignee_ids": strings,
            "assistant_ids": strings,
            "campaign_ids": strings,
            "directions": directions,
            "from_phone_numbers": strings,
            "outcomes": _array(_scalar("string", enum=_enum_of(SearchCallsArgs, "outcomes"))),
            "page": _scalar("integer"),
            "page_size": _scalar("integer"),
            "results": _array(_scalar("string", enum=_enum_of(SearchCallsArgs, "results"))),
            "statuses": _array(_scalar("string", enum=STATUSES)),
        },
        {
            "query": _scalar("string"),
            "sort_by": _scalar("string"),
            "sort_direction": _scalar("string", enum={"asc", "desc"}),
            "call_ids": strings,
            "to_phone_number": _scalar("string"),
        },
    )


# search_calls sends statuses empty today; recorded from SDK 0.5.0 (the `calls` helper's filter takes these).
STATUSES = {
    "initializing", "queued_for_calling", "calling", "post_processing", "not_launched", "scheduled", "paused",
    "completed", "cancelled", "errored",
}  # fmt: skip


def number_update_body() -> Shape:
    """update_phone_number (the `copies` helper), recorded from PhoneNumberUpdateParams 0.5.0."""
    return _object({}, {"inbound_assistant_id": _scalar("string", "null"), "label": _scalar("string", "null")})


def preview_body() -> Shape:
    """preview_voice (the `voices` helper), recorded from VoicePreviewParams 0.5.0: the voice id goes out as
    `voiceId` (the SDK's alias), the providers and models are list_voices' own."""
    providers = set(models.VOICE_SPEED_RANGES)
    return _object(
        {"provider": _scalar("string", enum=providers), "voiceId": _scalar("string")},
        {
            "model": _scalar("string", enum=_enum_of(ListVoicesArgs, "model") - {None}),
            "speed": _scalar("number"),
            "text": _scalar("string"),
            "volume": _scalar("number"),
        },
    )


def voice_query() -> Shape:
    """GET /voices/{id}?provider=...: not called by revox-mcp today (the catalog reads the list); recorded."""
    return _object({"provider": _scalar("string", enum=set(models.VOICE_SPEED_RANGES))})


# --- the endpoints -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    sdk: str  # the SDK method, resource.method of revox.Revox: "assistants.update"
    route: str  # what our client sends: "PATCH /assistants/{id}"
    tools: tuple[str, ...]  # the tools that call it (families.md names)
    ours: Callable[[], Shape] = lambda: NO_BODY  # the body or query we send
    source: str = "model"  # "model": derived from our code; "recorded": a recorded expectation (see above)
    params: str | None = None  # the SDK's TypedDict of the body (module.Class of revox.types); None: the
    # method's keyword arguments are the shape
    path_args: tuple[str, ...] = ()
    unsent: frozenset[str] = frozenset()  # optional SDK keys we knowingly do not send
    known: frozenset[str] = field(default_factory=frozenset)  # differences kept knowingly (reasons in comments)


ID = ("id",)
ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("assistants.list", "GET /assistants", ("list_assistants", "get_assistant")),
    Endpoint(
        "assistants.retrieve",
        "GET /assistants/{id}",
        ("get_assistant", "update_assistant", "compare_assistants"),
        path_args=ID,
    ),
    Endpoint(
        "assistants.update",
        "PATCH /assistants/{id}",
        ("update_assistant", "revert_change", "clone_assistant"),
        update_body,
        params="assistant_update_params.AssistantUpdateParams",
        path_args=ID,
        # The API's original update page (the seed) has it; the SDK no longer lists it. Kept so that old
        # configurations can be changed; its description and a warning point to transfer_destinations.
        known=frozenset({"transfer_phone_number: only here, not in the SDK"}),
    ),
    Endpoint(
        "assistants.create",
        "POST /assistants",
        ("create_assistant",),
        create_body,
        "recorded",
        params="assistant_create_params.AssistantCreateParams",
        known=frozenset({"transfer_phone_number: only here, not in the SDK"}),  # as on the update
    ),
    Endpoint("assistants.clone", "POST /assistants/{id}/clone", ("clone_assistant",), source="recorded", path_args=ID),
    Endpoint("assistants.delete", "DELETE /assistants/{id}", ("revert_change",), source="recorded", path_args=ID),
    Endpoint(
        "call.create",
        "POST /call",
        ("place_test_call",),
        test_call_body,
        params="call_create_params.CallCreateParams",
        unsent=frozenset({"assistant_id", "concurrency", "from_phone_number", "scheduled_at"}),
    ),
    Endpoint(
        "call.search",
        "POST /call/search",
        ("search_calls", "change_impact", "compare_assistants"),
        search_body,
        params="call_search_params.CallSearchParams",
    ),
    Endpoint("call.retrieve", "GET /call/{id}", ("get_call",), path_args=ID),
    Endpoint("call.phone_history", "GET /calls/phone-history", ("get_phone_history",), source="recorded"),
    *(
        Endpoint(f"call.{action}", f"POST /call/{{id}}/{action}", (f"{action}_call",), source="recorded", path_args=ID)
        for action in ("cancel", "pause", "resume")
    ),
    Endpoint("phone_numbers.list", "GET /phone-numbers", ("list_phone_numbers", "update_phone_number")),
    Endpoint(
        "phone_numbers.update",
        "PATCH /phone-numbers/{id}",
        ("update_phone_number",),
        number_update_body,
        "recorded",
        params="phone_number_update_params.PhoneNumberUpdateParams",
        path_args=ID,
    ),
    Endpoint("campaigns.list", "GET /campaigns", ("list_campaigns",), source="recorded"),
    Endpoint("campaigns.retrieve", "GET /campaigns/{id}", ("get_campaign",), source="recorded", path_args=ID),
    Endpoint(
        "campaigns.statistics", "GET /campaigns/{id}/statistics", ("get_campaign",), source="recorded", path_args=ID
    ),
    Endpoint("campaigns.get_rows", "GET /campaigns/{id}/rows", ("get_campaign",), source="recorded", path_args=ID),
    *(
        Endpoint(f"campaigns.{a}", f"POST /campaigns/{{id}}/{a}", (f"{a}_campaign",), source="recorded", path_args=ID)
        for a in ("pause", "resume")
    ),
    Endpoint("voices.list", "GET /voices", ("list_voices", "update_assistant")),
    Endpoint("voices.retrieve", "GET /voices/{id}", (), voice_query, "recorded", path_args=ID),
    Endpoint(
        "voices.preview",
        "POST /voices/preview",
        ("preview_voice",),
        preview_body,
        "recorded",
        params="voice_preview_params.VoicePreviewParams",
    ),
)
ENDPOINTS_BY_SDK = {e.sdk: e for e in ENDPOINTS}


def sdk_method(name: str) -> Callable[..., Any]:
    """The SDK's sync method `resource.method` (its function, unbound)."""
    resource, method = name.split(".")
    client = revox.Revox(api_key="unused", base_url="http://127.0.0.1:9")
    return getattr(type(getattr(client, resource)), method)  # type: ignore[no-any-return]


def sdk_params(dotted: str) -> Any:
    module, cls = dotted.split(".")
    return getattr(importlib.import_module(f"revox.types.{module}"), cls)


def sdk_route(method: Callable[..., Any]) -> str:
    """'VERB /path' of an SDK method, read from its source (self._post("/call/search", ...))."""
    found = re.search(
        r'self\._(get|post|patch|put|delete)\(\s*(?:path_template\()?\s*f?"([^"]+)"', inspect.getsource(method)
    )
    return f"{found.group(1).upper()} {found.group(2)}" if found else "(no route found)"


def sdk_path_args(method: Callable[..., Any]) -> tuple[str, ...]:
    params = inspect.signature(method).parameters.values()
    return tuple(p.name for p in params if p.kind is p.POSITIONAL_OR_KEYWORD and p.name not in _NOT_PARAMS)


def sdk_keyword_shape(method: Callable[..., Any]) -> Shape:
    """The shape of an SDK method's keyword arguments (for a method without a params TypedDict): each
    argument a key, required without a default; `Omit`/`NotGiven` left out of the types."""
    hints = typing.get_type_hints(method, include_extras=True)
    props = {}
    for param in inspect.signature(method).parameters.values():
        if param.kind is not param.KEYWORD_ONLY or param.name in _NOT_PARAMS:
            continue
        hint = inner = hints[param.name]
        if typing.get_origin(hint) in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(hint) if getattr(a, "__name__", "") not in ("Omit", "NotGiven")]
            inner = typing.Union[tuple(members)]  # noqa: UP007
        props[param.name] = (param.default is param.empty, sdk_shape(inner))
    return {"types": {"object"}, "props": props}


def endpoint_drift(endpoint: Endpoint, *, params: Any = None, method: Callable[..., Any] | None = None) -> list[str]:
    """Every way what we send on `endpoint` differs from the SDK's method (or the edited copies given)."""
    method = method or sdk_method(endpoint.sdk)
    out = []
    if sdk_route(method) != endpoint.route:
        out.append(f"route: {endpoint.route} here, {sdk_route(method)} in the SDK")
    if sdk_path_args(method) != endpoint.path_args:
        out.append(f"path arguments: {list(endpoint.path_args)} here, {list(sdk_path_args(method))} in the SDK")
    typed = params if params is not None else (sdk_params(endpoint.params) if endpoint.params else None)
    theirs = sdk_shape(typed) if typed is not None else sdk_keyword_shape(method)
    for line in differences(endpoint.ours(), theirs):
        key = line.split(":", 1)[0]
        if line.endswith("in the SDK, missing here") and key in endpoint.unsent and not theirs["props"][key][0]:
            continue  # an optional key we knowingly do not send
        if line.endswith("in the SDK, missing here") and key in endpoint.unsent:
            line = f"{key}: required in the SDK, and not sent here"
        if line not in endpoint.known:
            out.append(line)
    return [f"{endpoint.sdk}: {line}" for line in out]


def surface_drift() -> list[str]:
    return [line for endpoint in ENDPOINTS for line in endpoint_drift(endpoint)]


# --- docstring rules ---------------------------------------------------------------------------------------

_RANGE = re.compile(r"(Cartesia|ElevenLabs|Gradium|[A-Z][A-Za-z]+) (\d+(?:\.\d+)?)[–-](\d+(?:\.\d+)?)")


def speed_ranges(text: str) -> dict[str, tuple[float, float]]:
    """{'cartesia': (0.6, 1.5), ...} from 'Cartesia 0.6-1.5, ElevenLabs 0.7-1.2' (the SDK writes an en dash)."""
    return {m.group(1).lower(): (float(m.group(2)), float(m.group(3))) for m in _RANGE.finditer(text)}


def one_range(text: str) -> tuple[float, float] | None:
    """(low, high) from '0.5-2.0' (an en dash in the SDK), '(0 = silent, 1 = max)' or '[0..1]'."""
    for pattern in (r"(\d+(?:\.\d+)?)[–-](\d+(?:\.\d+)?)", r"\((\d+) = silent, (\d+) = max\)", r"\[(\d+)\.\.(\d+)\]"):
        found = re.search(pattern, text)
        if found:
            return float(found.group(1)), float(found.group(2))
    return None


def schema_bounds(path: str, schema: JsonSchema | None = None) -> tuple[float, float] | None:
    """(minimum, maximum) of a dotted path of our update body schema (through nullable unions)."""
    node: JsonSchema = schema or body_schema()
    for part in path.split("."):
        branches = [node, *node.get("anyOf", [])]
        node = next(b["properties"][part] for b in branches if part in b.get("properties", {}))
    bounded = [b for b in [node, *node.get("anyOf", [])] if "minimum" in b or "maximum" in b]
    return (float(bounded[0]["minimum"]), float(bounded[0]["maximum"])) if bounded else None


def _precall_rule(_text: str) -> tuple[bool, bool]:
    """What our precall_lookup_url pattern does: (an http(s) URL with {{phone}} passes, one without fails)."""
    pattern = re.compile(models.PRECALL_URL_PATTERN)
    return bool(pattern.search("https://crm.example/lookup?phone={{phone}}")), not pattern.search(
        "https://crm.example/"
    )


def _precall_fact(text: str) -> tuple[bool, bool]:
    """What the docstring asks of precall_lookup_url: (an http(s) URL, {{phone}} in it) as a must."""
    return "http(s) URL" in text, bool(re.search(r"[Mm]ust[^.]*\{\{phone\}\}", text))


@dataclass(frozen=True)
class DocRule:
    where: str  # module.Class.field of revox.types
    says: str  # the words our rule relies on (whitespace aside)
    backs: str  # what revox-mcp does on them
    rule: str = ""  # the path of the rules table's row (rules.RULES) it backs, if one does
    fact: Callable[[str], Any] | None = None  # the fact, read from the SDK's docstring
    ours: Callable[[], Any] | None = None  # the same fact as revox-mcp enforces it


_SPEED = "Range depends on provider: Cartesia 0.6–1.5, ElevenLabs 0.7–1.2, Gradium 0.6–1.5."
_UPDATE = "assistant_update_params.AssistantUpdateParams"
_WINDOW = "assistant_update_params.CallRetryConfigCallingWindow"
_IGNORED = "Ignored for other providers."


def _voice_speed(where: str) -> DocRule:
    return DocRule(
        f"{where}.speed",
        _SPEED,
        "voice.speed refused outside its provider's range (models.VOICE_SPEED_RANGES)",
        "voice.speed",
        speed_ranges,
        lambda: dict(models.VOICE_SPEED_RANGES),
    )


def _unit_range(name: str, says: str) -> DocRule:
    return DocRule(
        f"{_UPDATE}.{name}", says, f"{name} refused outside 0 to 1", name, one_range, lambda: schema_bounds(name)
    )


def _window(end: str) -> DocRule:
    name = f"calling_window_{end}_time"
    says = "Format: 'HH:mm' (24-hour) or 'H:mma' (12-hour)."
    return DocRule(
        f"{_WINDOW}.{name}", says, "a time in one of these two forms", f"call_retry_config.calling_windows[].{name}"
    )


DOC_RULES: tuple[DocRule, ...] = (
    _voice_speed("assistant_update_params.Voice"),
    _voice_speed("assistant_create_params.Voice"),
    _voice_speed("call_create_params.AssistantVoice"),
    DocRule(
        "voice_preview_params.VoicePreviewParams.speed",
        "Cartesia 0.6–1.5, ElevenLabs 0.7–1.2",
        "preview_voice's speed checked as update_assistant checks voice.speed (the ranges it states)",
        fact=speed_ranges,
        ours=lambda: {p: models.VOICE_SPEED_RANGES[p] for p in ("cartesia", "elevenlabs")},
    ),
    DocRule(
        "assistant_update_params.Voice.volume",
        "0.5–2.0",
        "voice.volume refused outside 0.5-2.0",
        "voice.volume",
        one_range,
        lambda: schema_bounds("voice.volume"),
    ),
    DocRule("assistant_update_params.Voice.volume", _IGNORED, "a warning off Cartesia", "voice.volume"),
    DocRule("assistant_update_params.Voice.model", _IGNORED, "a warning off Cartesia", "voice.model"),
    DocRule(
        "voice_preview_params.VoicePreviewParams.volume",
        f"(0.5–2.0). {_IGNORED}",
        "preview_voice's volume checked as voice.volume",
        fact=one_range,
        ours=lambda: schema_bounds("voice.volume"),
    ),
    _unit_range("background_sound_volume", "(0 = silent, 1 = max)"),
    _unit_range("thinking_sound_volume", "(0 = silent, 1 = max)"),
    _unit_range("thinking_sound_probability", "Probability [0..1]"),
    DocRule(
        f"{_UPDATE}.precall_lookup_url",
        "Must be an http(s) URL containing `{{phone}}`.",
        "precall_lookup_url refused unless an http(s) URL holding {{phone}} (models.PRECALL_URL_PATTERN)",
        "precall_lookup_url",
        _precall_fact,
        lambda: _precall_rule(""),
    ),
    DocRule(f"{_UPDATE}.from_phone_number", "in E.164 format", "an E.164 number", "from_phone_number"),
    DocRule(
        "assistant_update_params.TransferDestination.phone_number",
        "in E.164 format",
        "an E.164 number",
        "transfer_destinations[].phone_number",
    ),
    _window("start"),
    _window("end"),
    DocRule(
        "assistant_update_params.CallRetryConfig.timezone",
        "IANA timezone identifier",
        "an IANA name",
        "call_retry_config.timezone",
    ),
    DocRule("assistant_update_params.CustomTool.name", "lowercase_snake_case", "snake_case", "custom_tools[].name"),
    DocRule("assistant_update_params.CustomTool.name", "Unique tool name", "names unique", "custom_tools"),
    DocRule(
        "call_create_params.CallCreateParams.skip_calling_window",
        "Use for immediate 'call now' dials.",
        "place_test_call sends skip_calling_window: true (a test call rings now)",
    ),
)


def field_doc(where: str) -> str:
    """The docstring under one field of an SDK type (module.Class.field), whitespace folded; '' when none."""
    module_name, cls_name, name = where.split(".")
    tree = ast.parse(inspect.getsource(importlib.import_module(f"revox.types.{module_name}")))
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == cls_name:
            body = node.body
            for index, stmt in enumerate(body[:-1]):
                following = body[index + 1]
                if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.target.id == name:
                    if isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant):
                        return " ".join(str(following.value.value).split())
                    return ""
    return f"(no field {where} in the SDK)"


def doc_drift(read: Callable[[str], str] = field_doc) -> list[str]:
    """Every docstring rule whose words or fact the SDK no longer states as we rely on them."""
    out = []
    for rule in DOC_RULES:
        text = read(rule.where)
        if " ".join(rule.says.split()) not in text:
            out.append(
                f"{rule.where}: the SDK's docstring no longer says {rule.says!r} ({rule.backs}); it says {text!r}"
            )
        if rule.fact is not None and rule.ours is not None and rule.fact(text) != rule.ours():
            out.append(f"{rule.where}: {rule.fact(text)!r} in the SDK's docstring, {rule.ours()!r} here ({rule.backs})")
    return out


# --- enums of answers that our arguments repeat ------------------------------------------------------------


def _answer_enum(model: type[BaseModel], name: str) -> set[Any]:
    annotation = model.model_fields[name].annotation
    literal = typing.get_origin(annotation) is typing.Literal
    args = [annotation] if literal else [a for a in typing.get_args(annotation) if a is not type(None)]
    return {v for a in args for v in (typing.get_args(a) if typing.get_origin(a) is typing.Literal else ())}


def value_sets(voice: type[BaseModel] | None = None) -> dict[str, tuple[set[Any], set[Any]]]:
    """{where: (the SDK's values, ours)}: the voice list's languages, providers and Cartesia models (of `voice`,
    an edited copy of the SDK's listed Voice, when given)."""
    from revox.types.voice_list_response import Voice as Listed

    Voice = voice or Listed
    return {
        "voice_list_response.Voice.language (list_voices' language)": (
            _answer_enum(Voice, "language"),
            _enum_of(ListVoicesArgs, "language") - {None},
        ),
        "voice_list_response.Voice.provider (the speed ranges' providers)": (
            _answer_enum(Voice, "provider"),
            set(models.VOICE_SPEED_RANGES),
        ),
        "voice_list_response.Voice.api_model_compat (list_voices' model, and universal)": (
            _answer_enum(Voice, "api_model_compat"),
            (_enum_of(ListVoicesArgs, "model") - {None}) | {"universal"},
        ),
    }


def value_drift(sets: dict[str, tuple[set[Any], set[Any]]] | None = None) -> list[str]:
    out = []
    for where, (theirs, mine) in (sets or value_sets()).items():
        if theirs != mine:
            out.append(f"{where}: only in the SDK: {sorted(theirs - mine)}; only here: {sorted(mine - theirs)}")
    return out
