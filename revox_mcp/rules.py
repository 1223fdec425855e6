"""Every rule revox-mcp applies to a change beyond the API's types, with where it comes from.

A rule that the official SDK (its types or docstrings, generated from the API's own spec) or the API's
original update page backs is a refusal: the models in `models.py` enforce it, and the row here only
names its source. A rule that nothing outside revox-mcp backs is a warning: the change goes through and
the answer says what looks wrong. Types, enums, required keys and nullability are the SDK's and are
checked by the conformance tests, so they are not repeated here.

Warnings judge only what a change sets: a value already stored and left alone is never reported.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from revox_mcp.config import MAX_TEXT_CHARS
from revox_mcp.editing import faced, lookup, new_items
from revox_mcp.messages import shorten
from revox_mcp.models import E164_PATTERN

State = dict[str, Any]
# (value at the path, the object holding it, the whole resulting state, the state before the change) -> a
# warning, or None when fine.
Check = Callable[[Any, dict[str, Any], State, State], str | None]

SDK = "SDK docstring"
SDK_TYPES = "the SDK's types"
OURS = "revox-mcp (nothing in the SDK or the original page)"
MASKING = "secret masking (Security): answers never show a secret, so a read sent back must keep it"


@dataclass(frozen=True)
class Rule:
    path: str  # dotted; `[]` stands for every item of a list
    rule: str
    source: str
    enforced: Literal["refused", "warned"]
    check: Check | None = None


def _http_url(value: Any, _parent: dict[str, Any], _state: State, _before: State) -> str | None:
    if isinstance(value, str) and not re.match(r"^https?://\S+$", value, re.I):
        return "is not an absolute http(s) URL, so the API's servers will likely fail to reach it"
    return None


def _http_url_or_placeholder(value: Any, parent: dict[str, Any], state: State, _before: State) -> str | None:
    if isinstance(value, str) and value.startswith("{{"):
        return None  # a {{variable}} base is filled in at call time
    return _http_url(value, parent, state, _before)


def _http_url_or_empty(value: Any, parent: dict[str, Any], state: State, _before: State) -> str | None:
    return None if value == "" else _http_url(value, parent, state, _before)


def _non_empty(value: Any, _parent: dict[str, Any], _state: State, _before: State) -> str | None:
    return "is empty" if isinstance(value, str) and not value.strip() else None


def _question_key(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _unique_question(value: Any, _parent: dict[str, Any], state: State, _before: State) -> str | None:
    """Two items with one question (or one that differs only in case, spaces or punctuation): an upsert or
    remove by question reaches the first only, and the phone agent holds two answers to one question."""
    if not isinstance(value, str) or not _question_key(value):
        return None
    stored = state.get("faq_items")
    twins = _questions_by_key(stored if isinstance(stored, list) else []).get(_question_key(value), [])
    if len(twins) < 2:
        return None
    other = next((q for q in twins if q != value), value)
    return f"repeats another FAQ item's question ({shorten(other)}): edits by question reach only the first"


_by_key_memo: list[tuple[list[Any], dict[str, list[str]]]] = []


def _questions_by_key(items: list[Any]) -> dict[str, list[str]]:
    """The list's questions by their key, computed once per list (a bulk upsert judges each new item against
    the same 3,000)."""
    if _by_key_memo and _by_key_memo[0][0] is items:
        return _by_key_memo[0][1]
    grouped: dict[str, list[str]] = {}
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("question"), str):
            grouped.setdefault(_question_key(item["question"]), []).append(item["question"])
    _by_key_memo[:] = [(items, grouped)]
    return grouped


def _cartesia_only(value: Any, parent: dict[str, Any], _state: State, _before: State) -> str | None:
    provider = parent.get("provider")
    if value is not None and provider != "cartesia":
        return f"is a Cartesia setting; the API ignores it for provider {provider!r}"
    return None


def _at_least_zero(value: Any, _parent: dict[str, Any], _state: State, _before: State) -> str | None:
    return "is negative" if isinstance(value, int | float) and value < 0 else None


def _positive(value: Any, _parent: dict[str, Any], _state: State, _before: State) -> str | None:
    return "is not positive: calls would end at once" if isinstance(value, int | float) and value <= 0 else None


def _enum_has_options(value: Any, _parent: dict[str, Any], _state: State, _before: State) -> str | None:
    if isinstance(value, dict) and value.get("type") == "enum" and not value.get("enum_options"):
        return "has type 'enum' but no enum_options, so nothing tells the model which values are allowed"
    return None


def _legacy_transfer(value: Any, _parent: dict[str, Any], _state: State, _before: State) -> str | None:
    legacy = "comes from the API's original page; the current API (SDK 0.5) lists transfer_destinations instead"
    if isinstance(value, str) and not re.match(E164_PATTERN, value):
        return f"{legacy}, and it is not an E.164 number"
    return legacy


def _static_needs_text(value: Any, _parent: dict[str, Any], state: State, _before: State) -> str | None:
    mode, text = state.get("first_sentence_mode"), state.get("first_sentence")
    if mode == "static" and not (isinstance(text, str) and text.strip()):
        return (
            "leaves a static first sentence with no text: the assistant would open the call with silence; "
            "first_sentence_mode 'none' waits for the caller instead"
        )
    return None


def _minutes(text: Any) -> int | None:
    """Minutes after midnight of '17:30' or '6:30pm'; None for anything else."""
    match = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?\s*([aApP][mM])?", str(text).strip())
    if not match:
        return None
    hours, minutes, half = int(match.group(1)), int(match.group(2) or 0), (match.group(3) or "").lower()
    if half:
        hours = hours % 12 + (12 if half == "pm" else 0)
    return hours * 60 + minutes


def _openrouter_provider_kept(value: Any, parent: dict[str, Any], _state: State, before: State) -> str | None:
    """A new OpenRouter model with the provider of the old one: the provider must serve the new model."""
    old = before.get("llm_model")
    if not isinstance(old, dict) or old.get("type") != "openrouter" or parent.get("type") != "openrouter":
        return None
    provider = parent.get("openrouter_provider")
    if old.get("openrouter_model_id") == value or old.get("openrouter_provider") != provider:
        return None
    if isinstance(value, str) and isinstance(provider, str) and value.split("/", 1)[0] == provider:
        return None  # the model's author hosts it too (openai/gpt-4.1 on openai)
    return (
        f"is a new model, and llm_model.openrouter_provider stays {shorten(provider)} from the old one: check "
        "that this provider serves it (providers are hosts, e.g. nebius, openai, azure, not the model's author); "
        'to change it, send {"llm_model": {"openrouter_provider": "..."}}'
    )


def _realtime_voice_kept(value: Any, parent: dict[str, Any], _state: State, before: State) -> str | None:
    """A realtime provider switch with the old provider's voice: voices are per provider."""
    old = before.get("llm_model")
    voice = parent.get("realtime_voice_id")
    if not isinstance(old, dict) or old.get("type") != "realtime" or parent.get("type") != "realtime":
        return None
    if old.get("provider") == value or voice is None or old.get("realtime_voice_id") != voice:
        return None
    return (
        f"switches the realtime provider to {shorten(value)}, and llm_model.realtime_voice_id stays "
        f"{shorten(voice)} from {shorten(old.get('provider'))}: voices are per provider (e.g. OpenAI: marin; "
        "Gemini: Puck)"
    )


def _window_in_order(value: Any, _parent: dict[str, Any], _state: State, _before: State) -> str | None:
    if not isinstance(value, dict):
        return None
    start, end = _minutes(value.get("calling_window_start_time")), _minutes(value.get("calling_window_end_time"))
    if start is not None and end is not None and end <= start:
        return "ends before it starts (no call could be placed in it)"
    return None


def _not_own_number(value: Any, _parent: dict[str, Any], state: State, _before: State) -> str | None:
    if value and value == state.get("from_phone_number"):
        return "is the assistant's own outbound number (from_phone_number): a transfer there loops back to it"
    return None


def _not_a_transfer_destination(value: Any, _parent: dict[str, Any], state: State, _before: State) -> str | None:
    listed = state.get("transfer_destinations")
    numbers = [d.get("phone_number") for d in listed if isinstance(d, dict)] if isinstance(listed, list) else []
    if value and value in numbers:
        return "is also a transfer destination: a transfer there would loop back to this assistant"
    return None


RULES: tuple[Rule, ...] = (
    Rule("from_phone_number", "an E.164 number", f"{SDK} (from_phone_number: 'E.164 format')", "refused"),
    Rule("transfer_destinations[].phone_number", "an E.164 number", f"{SDK} (TransferDestination)", "refused"),
    Rule(
        "call_retry_config.calling_windows[].calling_window_start_time",
        "'HH:mm' (24-hour) or 'H:mma' (12-hour)",
        f"{SDK} (CallRetryConfigCallingWindow)",
        "refused",
    ),
    Rule(
        "call_retry_config.calling_windows[].calling_window_end_time",
        "'HH:mm' (24-hour) or 'H:mma' (12-hour)",
        f"{SDK} (CallRetryConfigCallingWindow)",
        "refused",
    ),
    Rule("call_retry_config.timezone", "an IANA timezone name", f"{SDK} (CallRetryConfig.timezone)", "refused"),
    Rule(
        "precall_lookup_url",
        "an http(s) URL containing {{phone}}",
        f"{SDK} (precall_lookup_url: 'Must be an http(s) URL containing {{{{phone}}}}')",
        "refused",
    ),
    Rule("custom_tools[].name", "lowercase_snake_case", f"{SDK} (CustomTool.name)", "refused"),
    *(
        Rule(path, "no control characters", "RFC 3986 (a URI holds no control characters)", "refused")
        for path in ("webhook_url", "logo_url", "custom_tools[].url", "llm_model.api_url")
    ),
    Rule("custom_tools", "tool names unique", f"{SDK} (CustomTool.name: 'Unique tool name')", "refused"),
    Rule("background_sound_volume", "0 to 1", f"{SDK} ('0 = silent, 1 = max')", "refused"),
    Rule("thinking_sound_volume", "0 to 1", f"{SDK} ('0 = silent, 1 = max')", "refused"),
    Rule("thinking_sound_probability", "0 to 1", f"{SDK} ('Probability [0..1]')", "refused"),
    Rule(
        "voice.speed",
        "0.6-1.5 (Cartesia, Gradium), 0.7-1.2 (ElevenLabs)",
        f"{SDK} (Voice.speed: 'Range depends on provider')",
        "refused",
    ),
    Rule("voice.volume", "0.5 to 2.0", f"{SDK} (Voice.volume)", "refused"),
    # Checked where arguments enter (bounds.py), before any other work; the SDK states no maximum.
    Rule(
        "prompt, and every string in a patch or edit",
        f"at most {MAX_TEXT_CHARS:,} characters",
        "bounded input (the SDK states no maximum; generous, against abuse)",
        "refused",
    ),
    Rule(
        "voice.model",
        "only meaningful for Cartesia",
        f"{SDK} ('Ignored for other providers')",
        "warned",
        _cartesia_only,
    ),
    Rule(
        "voice.volume",
        "only meaningful for Cartesia",
        f"{SDK} ('Ignored for other providers')",
        "warned",
        _cartesia_only,
    ),
    Rule(
        "custom_tools[].url",
        "an http(s) URL, or one starting with a {{variable}}",
        OURS,
        "warned",
        _http_url_or_placeholder,
    ),
    Rule("llm_model.api_url", "an http(s) URL", OURS, "warned", _http_url),
    Rule("webhook_url", "an http(s) URL, or '' for none", OURS, "warned", _http_url_or_empty),
    Rule("logo_url", "an http(s) URL", OURS, "warned", _http_url),
    Rule("name", "not empty", OURS, "warned", _non_empty),
    Rule("faq_items[].question", "not empty", OURS, "warned", _non_empty),
    Rule(
        "faq_items[].question",
        "unique (case, spaces and punctuation aside)",
        OURS,
        "warned",
        _unique_question,
    ),
    Rule("prompt", "not empty", OURS, "warned", _non_empty),
    Rule("transfer_destinations[].label", "not empty", OURS, "warned", _non_empty),
    Rule("structured_output_config[].name", "not empty", OURS, "warned", _non_empty),
    Rule("structured_output_config[]", "enum_options when type is 'enum'", OURS, "warned", _enum_has_options),
    Rule("custom_tools[].input_schema[]", "enum_options when type is 'enum'", OURS, "warned", _enum_has_options),
    Rule("call_retry_config.max_retry_attempts", ">= 0", OURS, "warned", _at_least_zero),
    Rule("call_retry_config.calling_windows[].retry_delay_seconds", ">= 0", OURS, "warned", _at_least_zero),
    Rule("first_sentence_delay_ms", ">= 0", OURS, "warned", _at_least_zero),
    Rule("max_call_duration_secs", "> 0", OURS, "warned", _positive),
    Rule(
        "transfer_phone_number", "prefer transfer_destinations", "the original update page", "warned", _legacy_transfer
    ),
    Rule(
        "transfer_destinations[].phone_number",
        "not the assistant's own from_phone_number",
        OURS,
        "warned",
        _not_own_number,
    ),
    Rule("from_phone_number", "not one of the transfer destinations", OURS, "warned", _not_a_transfer_destination),
    Rule("first_sentence_mode", "a static first sentence has text", OURS, "warned", _static_needs_text),
    Rule("first_sentence", "a static first sentence has text", OURS, "warned", _static_needs_text),
    Rule("call_retry_config.calling_windows[]", "ends after it starts", OURS, "warned", _window_in_order),
    Rule(
        "llm_model.openrouter_model_id",
        "a new model with a provider chosen for it",
        OURS,
        "warned",
        _openrouter_provider_kept,
    ),
    Rule("llm_model.provider", "a new realtime provider with a voice of its own", OURS, "warned", _realtime_voice_kept),
    Rule(
        "faq_items",
        "a write sends the whole list: the API gives every item a new id and resets needs_human_answer and source",
        f"{SDK_TYPES} (the update's FaqItem has question and answer only)",
        "warned",
    ),
    # Not rules of the API: how values revox-mcp itself showed shortened or masked are read when sent back.
    Rule(
        "any secret",
        "the mask of the secret stored at that place keeps it; a value in a mask's shape that matches nothing "
        "stored there is written as sent, with a warning; any other text holding '…' is text",
        MASKING,
        "warned",
    ),
    Rule(
        "any secret (revert_change)",
        "not a mask that matches nothing stored there",
        f"{MASKING}; the journal keeps secrets masked, so a revert cannot restore a replaced one",
        "refused",
    ),
    Rule(
        "any text",
        "not holding get_assistant's whole cut mark ('…[cut by revox-mcp: … more characters; …]' and its page "
        "forms); a text only mentioning it is text",
        "bounded reads (Security): a shortened text is not the value, and writing it would cut the stored one",
        "refused",
    ),
)


def _values_at(node: Any, parts: list[str], path: str, parent: Any) -> Iterator[tuple[str, Any, Any]]:
    """(concrete path, value, the object holding it) for every value a rule path reaches."""
    if not parts:
        yield path, node, parent
        return
    head, rest = parts[0], parts[1:]
    if head == "[]":
        for index, item in enumerate(node if isinstance(node, list) else []):
            yield from _values_at(item, rest, f"{path}[{index}]", node)
    elif isinstance(node, dict) and head in node:
        yield from _values_at(node[head], rest, f"{path}.{head}" if path else head, node)


def _split(path: str) -> list[str]:
    return [part for part in re.split(r"\.|(\[\])", path) if part]


def _changed_items(value: Any, old: Any) -> Any:
    """A list with the items already stored (wherever they were) blanked out (None), so a change to one FAQ
    item among thousands looks at one item, and a removal that shifts the rest looks at none; anything
    else as it is."""
    if not (isinstance(value, list) and isinstance(old, list)):
        return value
    new = set(new_items(value, old))
    return [item if i in new else None for i, item in enumerate(value)]


def warnings_for(body: State, current: State) -> list[str]:
    """Warnings for the values `body` sets that differ from `current` (the state before the change). A list
    item is compared with the stored item it faces (by key, however edits moved it), and a warning the stored
    value earned already (an item's stored key, when an edit changes another) is not given again."""
    after = {**current, **body}
    judged = {name: _changed_items(value, current.get(name)) for name, value in body.items()}
    before = {**current, **{name: faced(name, value, current.get(name)) for name, value in body.items()}}
    out: list[str] = []
    seen: set[tuple[Check, str]] = set()
    for rule in RULES:
        if rule.check is None:
            continue
        for concrete, value, parent in _values_at(judged, _split(rule.path), "", None):
            if lookup(before, concrete) == (True, value) or not isinstance(parent, dict | list):
                continue
            holder = parent if isinstance(parent, dict) else {}
            message = rule.check(value, holder, after, current)
            if message and message == _earned(rule.check, before, concrete, current):
                continue
            if message and (rule.check, message) not in seen:  # one rule seen from two fields: said once
                seen.add((rule.check, message))
                out.append(f"{concrete} {message}. (A check of revox-mcp, not a rule of the API: {rule.rule}.)")
    return out


def _earned(check: Check, before: State, concrete: str, current: State) -> str | None:
    """What `check` says of the stored object (a list item) a changed one faces, as it stands (None where there
    is none). A scalar the change sets is its own: always judged."""
    found, value = lookup(before, concrete)
    if not found or not isinstance(value, dict):
        return None
    parent_path = concrete[: max(concrete.rfind("."), concrete.rfind("["), 0)]
    holder = lookup(before, parent_path)[1] if parent_path else before
    return check(value, holder if isinstance(holder, dict) else {}, current, current)


def faq_rewrite(stored_items: Any, body: State) -> list[str]:
    """What the API does to every FAQ item when a change sends the list (its update takes only question and
    answer per item): new ids, and the flags an answer carries reset. Said where a flag is lost (ids alone
    change on every FAQ write, and every edit addresses items by question)."""
    sent = body.get("faq_items")
    if not isinstance(sent, list) or not isinstance(stored_items, list) or not stored_items:
        return []
    # The items this write keeps (by question) whose flags differ from what the API gives a new item.
    kept = {i.get("question") for i in sent if isinstance(i, dict)}
    items = [i for i in stored_items if isinstance(i, dict) and i.get("question") in kept]
    flagged = sum(1 for i in items if i.get("needs_human_answer"))
    sourced = sum(1 for i in items if i.get("source") not in (None, "human"))
    resets = [f"{name} on {count:,}" for name, count in (("needs_human_answer", flagged), ("source", sourced)) if count]
    if not resets:
        return []
    reset = f", and resets {' and '.join(resets)} item(s)"
    return [
        "faq_items is sent whole (the API's update takes question and answer per item): the API gives every item "
        f"a new id{reset}. Address items by question, not by id."
    ]


def markdown_table() -> str:
    """The README's rules table, generated from RULES so the two cannot disagree."""
    rows = ["| field | rule | enforced | source |", "| --- | --- | --- | --- |"]
    for rule in RULES:
        rows.append(f"| `{rule.path}` | {rule.rule} | {rule.enforced} | {rule.source} |")
    return "\n".join(rows)
