"""Pure logic of a safe edit: merge a patch onto the current state, apply edits, project onto what the
API accepts, and diff two states. No I/O here; `writer.py` does the reading and writing around it.
"""

from __future__ import annotations

import copy
import difflib
import json
import re
from collections import Counter
from collections.abc import Iterable
from functools import cache
from typing import Any

from revox_mcp.answer_bounds import nearest, quoted
from revox_mcp.config import PASSAGE_CONTEXT_CHARS, PASSAGE_DIFF_CHARS, PASSAGE_SHOWN_CHARS
from revox_mcp.errors import PatchInvalid, Problem
from revox_mcp.messages import render_path, shorten
from revox_mcp.models import LIST_KEYS, VOICE_SPEED_RANGES
from revox_mcp.schemas import JsonSchema, body_schema
from revox_mcp.tool_models import RemoveItem, ReplaceText, UpsertCallingWindow

State = dict[str, Any]

# A change of this key replaces the nested object instead of merging into it: the other keys belong
# to the old variant (a Cartesia `model` means nothing to ElevenLabs; a custom LLM's api_url to OpenRouter).
VARIANT_KEYS = {"llm_model": "type", "voice": "provider"}
# Server-managed fields that change on every write; a diff that listed them would be noise.
NOT_DIFFED = frozenset({"updated_at"})
# Strings longer than this, or with a line break, are shown as a unified diff.
LONG_TEXT = 120
# Keys the API puts on FAQ items in answers but refuses in updates (the SDK's AssistantFaqItem against its
# update FaqItem): dropping them is expected, not news. Only there: elsewhere such a key is kept like any other.
ANSWER_ONLY_KEYS = {"faq_items[]": frozenset({"id", "needs_human_answer", "source"})}


@cache
def known_tags(field: str) -> frozenset[Any]:
    """The values of a variant object's tag (llm_model.type, voice.provider) this release knows."""
    schema = body_schema()["properties"][field]
    tag = VARIANT_KEYS[field]
    props = [branch.get("properties", {}).get(tag, {}) for branch in schema.get("anyOf", [schema])]
    return frozenset(v for p in props for v in ([p["const"]] if "const" in p else p.get("enum", [])))


def merge_patch(current: State, patch: State) -> State:
    """New values of the patched top-level fields: nested objects merged, lists and scalars replaced."""
    return {field: _merge(current.get(field), value, field) for field, value in patch.items()}


def _merge(current: Any, patch: Any, field: str | None = None) -> Any:
    if not (isinstance(current, dict) and isinstance(patch, dict)):
        return copy.deepcopy(patch)
    variant = VARIANT_KEYS.get(field or "")
    if variant and variant in patch and patch[variant] != current.get(variant):
        replaced = copy.deepcopy(patch)
        if field == "voice":
            _keep_speed(current, replaced)
        return replaced
    merged = dict(current)
    for key, value in patch.items():
        merged[key] = _merge(current.get(key), value)
    return merged


def _keep_speed(old: dict[str, Any], new: dict[str, Any]) -> None:
    """A new voice provider starts a new voice object, but the speed the operator chose carries over when it
    fits the new provider's range (the writer warns when it does not)."""
    speed, limits = old.get("speed"), VOICE_SPEED_RANGES.get(str(new.get("provider")))
    if "speed" not in new and isinstance(speed, int | float) and limits and limits[0] <= speed <= limits[1]:
        new["speed"] = speed


def apply_edits(state: State, edits: Iterable[Any], placed: dict[int, Any] | None = None) -> set[str]:
    """Apply edits in order to `state` (its edited fields are replaced); return the top-level fields touched.
    `placed`, when given, receives the item each upsert put in its list, by the edit's index (`edit_origins`).

    Every failure is collected; if any op fails the caller must discard `state` (all or nothing).
    """
    problems: list[Problem] = []
    touched: set[str] = set()
    edits = list(edits)
    # Edits change lists in place: give each edited field its own copy first (`state` may share
    # values with the state it was made from).
    for field_name in {e.field if isinstance(e, ReplaceText) else e.list.split(".")[0] for e in edits}:
        state[field_name] = copy.deepcopy(state.get(field_name))
    for index, edit in enumerate(edits):
        where: list[str | int] = ["edits", index]
        field: str
        if isinstance(edit, ReplaceText):
            field, problem = edit.field, _replace_text(state, edit, where)
        elif isinstance(edit, RemoveItem):
            field, problem = edit.list.split(".")[0], _remove(state, edit, where)
        else:
            item = (placed if placed is not None else {}).setdefault(index, copy.deepcopy(edit.item))
            field, problem = edit.list.split(".")[0], _upsert(state, edit, item, where)
        if problem is None:
            touched.add(field)
        else:
            problems.append(problem)
    if problems:
        raise PatchInvalid(problems)
    return touched


def edit_origins(state: State, edits: Iterable[Any], placed: dict[int, Any]) -> dict[str, dict[int, int]]:
    """For each list an upsert edited: the position of every item an upsert put there and that is still there
    (a later edit may have replaced or removed it), and that edit's index. A problem found in such an item is
    the edit's, and is named by the edit's path (edits[2].item.type), not the list's."""
    origins: dict[str, dict[int, int]] = {}
    for index, edit in enumerate(edits):
        if index not in placed:
            continue
        top, _, nested = edit.list.partition(".")
        items = state.get(top)
        items = items.get(nested) if nested and isinstance(items, dict) else items
        for position, item in enumerate(items if isinstance(items, list) else []):
            if item is placed[index]:
                origins.setdefault(edit.list, {})[position] = index
    return origins


def _list_for(state: State, name: str) -> list[Any]:
    """The list an edit works on, created empty where the assistant has none yet."""
    if name == "call_retry_config.calling_windows":
        config = state.get("call_retry_config")
        if not isinstance(config, dict):
            config = state["call_retry_config"] = {}
        windows = config.get("calling_windows")
        if not isinstance(windows, list):
            windows = config["calling_windows"] = []
        return windows
    items = state.get(name)
    if not isinstance(items, list):
        items = state[name] = []
    return items


def _upsert(state: State, edit: Any, item: dict[str, Any], where: list[str | int]) -> Problem | None:
    items = _list_for(state, edit.list)
    if isinstance(edit, UpsertCallingWindow):
        if edit.index is None or edit.index == len(items):
            items.append(item)
        elif edit.index < len(items):
            existing = items[edit.index]
            items[edit.index] = _with_newer_keys(item, existing, edit.list) if isinstance(existing, dict) else item
        else:
            return Problem(
                path=render_path([*where, "index"]),
                value=str(edit.index),
                allowed=f"0 to {len(items)} (there are {len(items)} calling windows; {len(items)} appends)",
            )
        return None
    key = str(LIST_KEYS[edit.list])  # every list but the calling windows has a key
    for position, existing in enumerate(items):
        if isinstance(existing, dict) and existing.get(key) == item[key]:
            items[position] = _with_newer_keys(item, existing, edit.list)
            return None
    items.append(item)
    return None


def _with_newer_keys(item: dict[str, Any], existing: dict[str, Any], list_name: str) -> dict[str, Any]:
    """The item an upsert puts in place of `existing`, with the keys of `existing` that this release does not
    know (and so an agent cannot be expected to send) kept as stored: the API replaces the item whole. In
    place, so that the item is still the one the edit put (`edit_origins`)."""
    top, _, nested = list_name.partition(".")
    schema = body_schema()["properties"].get(top, {})
    schema = schema.get("properties", {}).get(nested, {}) if nested else schema
    known = schema.get("items", {}).get("properties")
    if known is not None:
        item.update({k: v for k, v in existing.items() if k not in known and k not in item})
    return item


def _remove(state: State, edit: RemoveItem, where: list[str | int]) -> Problem | None:
    items = _list_for(state, edit.list)
    key = LIST_KEYS[edit.list]
    if key is None:
        if isinstance(edit.key, int) and 0 <= edit.key < len(items):
            del items[edit.key]
            return None
        return Problem(
            path=render_path([*where, "key"]),
            value=shorten(edit.key),
            allowed=f"a 0-based index below {len(items)} (the number of calling windows)",
        )
    for position, existing in enumerate(items):
        if isinstance(existing, dict) and existing.get(key) == edit.key:
            del items[position]
            return None
    keys = [str(i.get(key)) for i in items if isinstance(i, dict)]
    return _unknown_key(edit, key, keys, where)


def _unknown_key(edit: RemoveItem, key: str, keys: list[str], where: list[str | int]) -> Problem:
    """A few nearest keys and a count, never the whole list (3,000 FAQ questions would be 200 KB); and
    where to look for the exact one."""
    what = "FAQ item" if edit.list == "faq_items" else f"item of {edit.list}"
    if not keys:
        return Problem(
            path=render_path([*where, "key"]),
            value=shorten(edit.key),
            allowed=f"the {key} of an existing item: the list is empty",
        )
    close = nearest(str(edit.key), keys)
    if edit.list == "faq_items":
        search = f"search with get_assistant {{fields: [faq_items], faq_query: {shorten(str(edit.key)[:40])}}}"
    else:
        search = f"read them with get_assistant {{fields: [{edit.list}]}} (paged)"
    return Problem(
        path=render_path([*where, "key"]),
        value=shorten(edit.key),
        allowed=f"the {key} of an existing item: no {what} has this {key} among {len(keys):,}",
        hint=(f"Nearest: {quoted(close)}. " if close else "") + f"Copy the exact {key}, or {search}.",
    )


def _replace_text(state: State, edit: ReplaceText, where: list[str | int]) -> Problem | None:
    text = state.get(edit.field)
    if not isinstance(text, str):
        return Problem(
            path=render_path([*where, "field"]),
            value=shorten(edit.field),
            allowed="a text field that has a value",
            hint=f"{edit.field} is empty (null); set it with patch instead.",
        )
    count = text.count(edit.find)
    if count == 1:
        state[edit.field] = text.replace(edit.find, edit.replace, 1)
        return None
    if count == 0:
        return Problem(
            path=render_path([*where, "find"]),
            value=shorten(edit.find),
            allowed=f"text that occurs exactly once in {edit.field}; it occurs 0 times",
            hint=_nearest_passage(text, edit.find),
        )
    lines = _line_numbers(text, edit.find)
    return Problem(
        path=render_path([*where, "find"]),
        value=shorten(edit.find),
        allowed=f"text that occurs exactly once in {edit.field}; it occurs {count} times (lines {lines})",
        hint="Include more of the surrounding text so that it matches only the passage to change.",
    )


# Lines listed for a find that occurs several times: enough to locate them, bounded in work and words
# (a one-letter find can occur tens of thousands of times in a long prompt).
_MAX_LINES_SHOWN = 10


def _line_numbers(text: str, find: str) -> str:
    lines: list[int] = []
    line, counted, start = 1, 0, text.find(find)
    while start != -1 and len(lines) < _MAX_LINES_SHOWN:
        line += text.count("\n", counted, start)
        counted = start
        if not lines or lines[-1] != line:  # two matches on one line: the line once
            lines.append(line)
        start = text.find(find, start + 1)
    shown = ", ".join(str(n) for n in lines)
    return f"{shown}, …" if start != -1 else shown


def _nearest_passage(text: str, find: str) -> str:
    """The passage of `text` most like `find`, anchored on their longest common run."""
    anchor = _anchor(find, text)
    if anchor is None:
        return "Nothing in the field resembles it; read the field with get_assistant and copy the passage exactly."
    start = max(0, anchor[1] - anchor[0])
    # Start on a word's first letter; end a little wider than `find`, on a sentence's end or a word's.
    before = max(text.rfind(" ", max(0, start - 40), start + 1), text.rfind("\n", max(0, start - 40), start + 1))
    start = before + 1 if before != -1 else start
    end = start + len(find) + max(8, len(find) // 5)
    stop = max(text.rfind(mark, start + len(find) - 1, end) for mark in (". ", "! ", "? ", ".\n"))
    stop = stop + 1 if stop != -1 else text.rfind(" ", start + len(find), end)
    passage = text[start : stop if stop != -1 else end]
    line = text.count("\n", 0, start) + 1
    return (
        f"Nearest passage (line {line}): {shorten(passage)}. Copy the text exactly, including spaces and punctuation."
    )


# Bounds on the nearest-passage search: at most this many probes of each size, each one str.find (C
# speed) over the field. difflib's longest match costs len(find) x len(text) in Python: a 10 KB find
# against an 80 KB prompt held the event loop for 23 s.
_ANCHOR_SIZES = (64, 32, 16, 8, 4, 3)
_ANCHOR_PROBES = 200


def _anchor(find: str, text: str) -> tuple[int, int] | None:
    """(offset in find, offset in text) of a run of `find` that occurs in `text`, the longest size tried
    first; None when not even 3 characters of it occur. Bounded work, whatever the lengths."""
    for size in _ANCHOR_SIZES:
        if size > len(find):
            continue
        step = max(1, (len(find) - size) // _ANCHOR_PROBES)
        for a in range(0, len(find) - size + 1, step):
            b = text.find(find[a : a + size])
            if b != -1:
                return a, b
    return None


def project(value: Any, schema: JsonSchema, where: str = "") -> Any:
    """`value` (at field path `where`) as it can be sent back: keys an answer carries but an update refuses
    (a FAQ item's id and source) are left out, and so are nulls where the update types allow none but the
    key may be omitted (answers hold `"speed": null` where an update must leave the key out). Keys this
    release does not know are kept as they are: the API replaces nested objects whole, so leaving them out
    would lose them."""
    if isinstance(value, list) and "items" in schema:
        return [project(item, schema["items"], f"{where}[]") for item in value]
    if not isinstance(value, dict):
        return _as_integer(value, schema)
    if "anyOf" in schema:
        branch = _branch_for(value, schema["anyOf"])
        return project(value, branch, where) if branch else value
    known = schema.get("properties")
    if known is None:
        return value
    required = set(schema.get("required", ()))
    answer_only = ANSWER_ONLY_KEYS.get(where, frozenset())
    kept = {}
    for key, sub in value.items():
        if key not in known:
            if key not in answer_only:
                kept[key] = sub
        elif isinstance(sub, dict | list):  # only containers need a look inside (thousands of items: speed)
            kept[key] = project(sub, known[key], f"{where}.{key}")
        elif sub is not None or key in required or accepts_null(known[key]):
            kept[key] = _as_integer(sub, known[key])
    return kept


def _as_integer(value: Any, schema: JsonSchema) -> Any:
    """An integral float where the SDK types say int (`5.0` for max_retry_attempts) sent as the integer."""
    if not isinstance(value, float) or not value.is_integer():
        return value
    types = [schema.get("type"), *(b.get("type") for b in schema.get("anyOf", ()))]
    flat = {t for entry in types for t in (entry if isinstance(entry, list) else [entry])}
    return int(value) if "integer" in flat and "number" not in flat else value


def known_only(value: Any, schema: JsonSchema) -> Any:
    """`value` without the keys the schema does not know: what the checks judge. Keys newer than this
    release are passed on as stored, never judged, and must not stop a check of their object (pydantic
    skips an object's own rules, such as the voice speed range per provider, when one of its keys fails)."""
    if isinstance(value, list) and "items" in schema:
        return [known_only(item, schema["items"]) for item in value]
    if not isinstance(value, dict):
        return value
    if "anyOf" in schema:
        branch = _branch_for(value, schema["anyOf"])
        return known_only(value, branch) if branch else value
    known = schema.get("properties")
    if known is None:
        return value
    return {
        key: known_only(sub, known[key]) if isinstance(sub, dict | list) else sub
        for key, sub in value.items()
        if key in known
    }


def set_here(value: Any, schema: JsonSchema, olds: list[Any]) -> Any:
    """`value` as the checks judge it: a key the schema does not know is left out where a baseline (`olds`: the
    stored value at this place, a revert's held one) holds it with the same value (newer than this release,
    passed on as stored), and kept where the change sets it, to be judged (an unknown key is refused)."""
    if isinstance(value, list) and "items" in schema:
        return [
            set_here(item, schema["items"], [o[i] if isinstance(o, list) and i < len(o) else None for o in olds])
            for i, item in enumerate(value)
        ]
    if not isinstance(value, dict):
        return value
    if "anyOf" in schema:
        branch = _branch_for(value, schema["anyOf"])
        return set_here(value, branch, olds) if branch else value
    known = schema.get("properties")
    if known is None:
        return value
    dicts = [o for o in olds if isinstance(o, dict)]
    kept = {}
    for key, sub in value.items():
        if key in known:
            kept[key] = set_here(sub, known[key], [d.get(key) for d in dicts]) if isinstance(sub, dict | list) else sub
        elif not any(key in d and d[key] == sub for d in dicts):
            kept[key] = sub
    return kept


def aligned(value: Any, old: Any, key: str | None) -> Any:
    """`old`'s items in the places of `value`'s: each item of `value` faces the stored item of its `key` (a FAQ
    item its question's), or None for a new one, however edits moved them; without a key (calling windows, by
    position), an equal stored item first (one a removal shifted), else the one at its position. Unless both
    are lists, `old` as it is."""
    if not (isinstance(value, list) and isinstance(old, list)):
        return old
    if key is None:
        return _by_likeness(value, old)
    unused: dict[Any, list[Any]] = {}
    for item in old:
        if isinstance(item, dict) and isinstance(item.get(key), str):
            unused.setdefault(item[key], []).append(item)
    faced = []
    for item in value:
        same = unused.get(item.get(key)) if isinstance(item, dict) and isinstance(item.get(key), str) else None
        faced.append(same.pop(0) if same else None)
    return faced


def _by_likeness(value: list[Any], old: list[Any]) -> list[Any]:
    """For items without a key (calling windows, a few): an equal stored item, else the stored item sharing the
    most key-value pairs with it (a removal before an edit moved it), else the one at its position."""
    unused = list(range(len(old)))
    faced: list[Any] = []
    for position, item in enumerate(value):
        index = next((i for i in unused if old[i] == item), None)
        if index is None:
            pick = most_alike(item, [old[i] for i in unused])
            index = unused[pick] if pick is not None else (position if position in unused else None)
        if index is not None:
            unused.remove(index)
        faced.append(old[index] if index is not None else None)
    return faced


def most_alike(item: Any, olds: list[Any]) -> int | None:
    """The position in `olds` of the object sharing the most key-value pairs with `item` (the first of those
    alike), or None when none shares any."""
    if not isinstance(item, dict):
        return None
    shared = [sum(1 for k, v in o.items() if k in item and item[k] == v) if isinstance(o, dict) else 0 for o in olds]
    best = max(shared, default=0)
    return shared.index(best) if best else None


def faced(field: str, value: Any, old: Any) -> Any:
    """A field's stored value `old` with its list items in the places of `value`'s (`aligned`): a keyed list's,
    and the calling windows inside call_retry_config."""
    if isinstance(value, dict) and isinstance(old, dict):
        nested = {
            name.partition(".")[2]
            for name in LIST_KEYS
            if name.startswith(f"{field}.") and isinstance(old.get(name.partition(".")[2]), list)
        }
        return {**old, **{n: aligned(value.get(n), old[n], LIST_KEYS[f"{field}.{n}"]) for n in nested}}
    return aligned(value, old, LIST_KEYS.get(field)) if field in LIST_KEYS else old


def new_items(items: list[Any], old: list[Any], few: int = 32) -> list[int]:
    """Positions of the items of `items` that are not in `old` at all. Most items sit where they were, so
    only the others are looked up among all old items: by equality for a few, through a set of their JSON
    text for many."""
    moved = [i for i, item in enumerate(items) if i >= len(old) or old[i] != item]
    if len(moved) <= few:
        return [i for i in moved if items[i] not in old]
    seen = {json.dumps(item, sort_keys=True) for item in old}
    return [i for i in moved if json.dumps(items[i], sort_keys=True) not in seen]


def accepts_null(schema: JsonSchema) -> bool:
    type_ = schema.get("type")
    return type_ == "null" or (isinstance(type_, list) and "null" in type_)


def _branch_for(value: dict[str, Any], branches: list[JsonSchema]) -> JsonSchema | None:
    for branch in branches:
        consts = {k: v["const"] for k, v in branch.get("properties", {}).items() if "const" in v}
        if consts and all(value.get(k) == v for k, v in consts.items()):
            return branch
    return None


PATH_PART = re.compile(r"[^.\[\]]+|\[\d+\]")


def lookup(state: Any, path: str) -> tuple[bool, Any]:
    """(found, value) at a rendered path such as 'voice.speed' or 'faq_items[2].answer'."""
    node = state
    for part in PATH_PART.findall(path):
        if part.startswith("["):
            index = int(part[1:-1])
            if not (isinstance(node, list) and index < len(node)):
                return False, None
            node = node[index]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return False, None
    return True, node


def is_unchanged(path: str, new: Any, old: Any, aligned_lists: frozenset[str] = frozenset()) -> bool:
    """Whether the value at `path` is the same in both states, so a check there judges stored data, not the
    change. A key missing from both counts as unchanged when the object that should hold it is, or when
    both states hold that object (of one variant) and lack the key. `aligned_lists`: lists whose items face
    the same item in both states (`aligned`): an item of theirs counts as an object both hold."""
    found_new, value_new = lookup(new, path)
    found_old, value_old = lookup(old, path)
    if found_new or found_old:
        return found_new and found_old and value_new == value_old
    parent = path[: max(path.rfind("."), path.rfind("["), 0)]
    if not parent:
        return False
    # A key an object both states hold lacks in both (a stored object older or newer than these types): the
    # change did not remove it, so it is not the change's to judge; an item of a list not aligned, or an object
    # of another variant (`type`), is judged as the change made it.
    (held_new, object_new), (held_old, object_old) = lookup(new, parent), lookup(old, parent)
    both = held_new and held_old and isinstance(object_new, dict) and isinstance(object_old, dict)
    item = parent.endswith("]") and re.sub(r"\[\d+\]$", "", parent) not in aligned_lists
    if both and not item and object_new.get("type") == object_old.get("type"):
        return True
    return is_unchanged(parent, new, old, aligned_lists)


def diff(before: State, after: State, fields: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Field-level differences between two states, as {path, before, after} or {path, diff} for long text."""
    keys = sorted(set(before) | set(after)) if fields is None else sorted(fields)
    out: list[dict[str, Any]] = []
    for key in keys:
        if key not in NOT_DIFFED:
            _diff_value([key], before.get(key), after.get(key), out)
    return out


def _diff_value(path: list[str | int], old: Any, new: Any, out: list[dict[str, Any]]) -> None:
    if old == new:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            _diff_value([*path, key], old.get(key), new.get(key), out)
    elif isinstance(old, list) and isinstance(new, list) and _in_place(old, new):
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            _diff_value([*path, index], a, b, out)
    elif isinstance(old, list) and isinstance(new, list) and _has_objects(old, new):
        _diff_items(path, old, new, out)
    elif isinstance(old, str) and isinstance(new, str) and max(len(old), len(new)) > PASSAGE_DIFF_CHARS:
        out.append({"path": render_path(path), "diff": passage_diff(old, new)})
    elif isinstance(old, str) and isinstance(new, str) and _is_long(old, new):
        lines = difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True), "before", "after", n=1
        )
        out.append(
            {"path": render_path(path), "diff": "".join(line if line.endswith("\n") else line + "\n" for line in lines)}
        )
    else:
        out.append({"path": render_path(path), "before": old, "after": new})


def passage_diff(old: str, new: str) -> str:
    """Where two long texts differ, in linear time: the passage from the first to the last changed character,
    its line, character and offset, with a few words around it, before and after; each side of the change
    cut to PASSAGE_SHOWN_CHARS. Two changes far apart show as one passage spanning both."""
    start = common_prefix(old, new)
    end = common_suffix(old[start:], new[start:])
    removed, added = old[start : len(old) - end], new[start : len(new) - end]
    line_start = old.rfind("\n", 0, start) + 1
    where = f"line {old.count(chr(10), 0, start) + 1}, character {start - line_start + 1} (offset {start:,})"
    if not removed:
        what = f"{len(added):,} characters inserted"
    elif not added:
        what = f"{len(removed):,} characters removed"
    else:
        what = f"{len(removed):,} characters replaced by {len(added):,}"
    lead = _words_before(old, start, max(line_start, start - PASSAGE_CONTEXT_CHARS))
    tail = _words_after(old, len(old) - end, PASSAGE_CONTEXT_CHARS)
    return f"@@ {where}: {what}\n-{lead}{_cut(removed)}{tail}\n+{lead}{_cut(added)}{tail}\n"


def common_prefix(a: str, b: str) -> int:
    """Length of the common prefix, by halving with slice comparisons (C speed): O(n log n) at worst."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[low:middle] == b[low:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def common_suffix(a: str, b: str) -> int:
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[len(a) - middle : len(a) - low] == b[len(b) - middle : len(b) - low]:
            low = middle
        else:
            high = middle - 1
    return low


def _words_before(text: str, at: int, limit: int) -> str:
    """The text just before `at`, back to `limit` (not past the line's start), from a word's first letter."""
    piece = text[limit:at]
    space = piece.find(" ")
    cut = limit > 0 and text[limit - 1] not in " \n"
    piece = piece[space + 1 :] if cut and space != -1 and space < len(piece) - 1 else piece
    return f"…{piece}" if limit > 0 and text[limit - 1] != "\n" else piece


def _words_after(text: str, at: int, size: int) -> str:
    """The text just after `at`, up to `size` characters and the line's end, ending on a word's last letter."""
    newline = text.find("\n", at, at + size)
    if newline != -1:
        return text[at:newline]
    piece = text[at : at + size]
    if at + size >= len(text):
        return piece
    space = piece.rfind(" ")
    return f"{piece[:space] if space > 0 else piece}…"


def _cut(passage: str) -> str:
    """A side of the change as shown: whole up to PASSAGE_SHOWN_CHARS, else its head and tail."""
    if len(passage) > PASSAGE_SHOWN_CHARS:
        half = PASSAGE_SHOWN_CHARS // 2
        passage = f"{passage[:half]}… ({len(passage) - 2 * half:,} characters not shown) …{passage[-half:]}"
    # One line per side: a line break inside the change is written as \n.
    return "[" + passage.replace("\n", "\\n") + "]"


def _in_place(old: list[Any], new: list[Any]) -> bool:
    """Items changed where they stand (an edit of one FAQ item), not shifted: compare by index."""
    if len(old) != len(new):
        return False
    if not _has_objects(old, new):
        return True
    return sum(bool(a != b) for a, b in zip(old, new, strict=True)) <= 2


def _has_objects(old: list[Any], new: list[Any]) -> bool:
    return any(isinstance(item, dict) for item in (*old, *new))


def _diff_items(path: list[str | int], old: list[Any], new: list[Any], out: list[dict[str, Any]]) -> None:
    """A list of objects that grew or shrank, item by item: `removed` (the item at that index before),
    `added` (at that index now), and per-key changes where items were replaced in place. One FAQ added
    to 3,000 is one entry, not the whole list twice."""
    keys_old = [json.dumps(item, sort_keys=True) for item in old]
    keys_new = [json.dumps(item, sort_keys=True) for item in new]
    if len(old) + len(new) > _ALIGNED_AT_MOST and _repeats(keys_old, keys_new):
        # Aligning two long lists costs len(old) x len(new) when items repeat (16,000 alike FAQ items held
        # the loop for 24 s): count instead, in linear time; replaced items show as removed and added.
        out += _counted(path, old, new, keys_old, keys_new)
        return
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, keys_old, keys_new, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if tag == "replace" and i2 - i1 == j2 - j1:
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                _diff_value([*path, j], old[i], new[j], out)
            continue
        out += [{"path": render_path([*path, i]), "removed": old[i]} for i in range(i1, i2)]
        out += [{"path": render_path([*path, j]), "added": new[j]} for j in range(j1, j2)]


_ALIGNED_AT_MOST = 400


def _repeats(*lists: list[str]) -> bool:
    """More than a tenth of the items repeat others: where aligning turns quadratic."""
    return any(len(set(keys)) < 0.9 * len(keys) for keys in lists)


def _counted(
    path: list[str | int], old: list[Any], new: list[Any], keys_old: list[str], keys_new: list[str]
) -> list[dict[str, Any]]:
    removed = [{"path": render_path([*path, i]), "removed": old[i]} for i in _unmatched(keys_old, keys_new)]
    added = [{"path": render_path([*path, j]), "added": new[j]} for j in _unmatched(keys_new, keys_old)]
    return removed + added


def _unmatched(keys: list[str], others: list[str]) -> list[int]:
    """Positions in `keys` left over once each key is paired with an equal one in `others` (counted)."""
    available, left = Counter(others), []
    for index, key in enumerate(keys):
        if available[key]:
            available[key] -= 1
        else:
            left.append(index)
    return left


def _is_long(old: str, new: str) -> bool:
    return max(len(old), len(new)) > LONG_TEXT or "\n" in old or "\n" in new


def leaf_paths(value: Any, prefix: str = "") -> list[str]:
    """Dotted paths of the values inside nested objects (a list counts as one value): what a patch sets."""
    if not isinstance(value, dict) or (prefix and not value):
        return [prefix] if prefix else []
    return [p for key, item in value.items() for p in leaf_paths(item, f"{prefix}.{key}" if prefix else key)]
