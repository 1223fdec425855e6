"""Secrets out of everything revox-mcp says: answers, diffs, journal rows, errors and logs.

What counts as a secret, wherever it appears in an assistant (or a patch, edit or journal row):
- the value of an `api_key` key (the custom LLM key);
- the value of a custom tool header whose name contains `auth` (`Authorization`), `cookie`,
  `secret`, `passw`, `signature`, `session` or `credential`, or ends in `key` or `token`
  (`X-Api-Key`, `X-Auth-Token`); `headers` items are `{key, value}`;
- the value of a query parameter whose name contains `key`, `token`, `secret`, `signature`,
  `passw`, `auth`, `session` or `credential`, or is `sig` (`query_params` items are `{key, value}`);
- the userinfo of any URL (`https://user:password@host/...`).

A mask keeps a short prefix and the last four characters (`sk-…abcd`) so a person can tell keys
apart without being able to use one; a URL keeps everything but its userinfo (`https://…@host/`).
A masked value sent back at the same place means "keep the stored value" (`restore_secrets`), so a
read-modify-write never writes a mask.
"""

from __future__ import annotations

import bisect
import copy
import functools
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any, Literal

MASK_MARK = "…"
SECRET_KEYS = frozenset({"api_key"})
# Lists of {key, value} entries whose value is secret when the key is named like one.
_SECRET_HEADER = re.compile(r"auth|cookie|(?:key|token)s?$|secret|passw|signature|session|credential")
_SECRET_PARAM = re.compile(r"key|token|secret|signature|^sig$|passw|^pwd$|^pass$|auth|session|credential")
KEY_VALUE_LISTS = {"headers": _SECRET_HEADER, "query_params": _SECRET_PARAM}
# Secrets inside any text (a URL in a field, a link in an FAQ answer, a JSON body template), each with the
# group that is secret: URL userinfo (up to the last '@' of the authority), the value of a query parameter
# named like a credential, and the value of a JSON key named like one. {{placeholders}} are not secrets.
#
# Every scan is linear in the text: any input arrives here, a 1 MiB argument included. A pattern may start
# only where its run starts (a lookbehind refuses the middle of a run of scheme or name characters), runs are
# taken possessively (`*+`) and a keyword search never backtracks (a possessive loop, or `(?>...)`), so no
# position is read more than a few times. tests/test_redaction_linear.py holds these to the previous
# patterns' results and to a flat cost.
_URL_USERINFO = re.compile(r"(?<![A-Za-z0-9+.-])[0-9+.-]*+[A-Za-z][A-Za-z0-9+.-]*+://([^/?#\s]+)@")
_WORDS = r"(?i:key|token|secret|signature|passw|auth|session|credential)"
# Up to the first keyword of a name, then the rest of it: runs of letters no keyword starts with (under re.I:
# the Kelvin sign is a k, the long s an s) are taken whole, other letters one at a time where no keyword
# starts, so a long name costs a few nanoseconds a character.
_PARAM_WORDS = rf"(?:[^=&#\sAaCcKkPpSsTt\u212a\u017f]++|(?!{_WORDS})[^=&#\s])*+{_WORDS}[^=&#\s]*+="
_PARAM_VALUE = r"""([^&#\s"']+)"""
# A query parameter's name runs from the '&' before it, or from the first '?' of its run, to the '='; a name
# exactly sig, pwd or pass may start at any '?' or '&'. Three patterns, each led by a character or a class so
# the engine skips ahead in C to where one may start: a name after an '&'; an exact name, found from its '=';
# a name after another delimiter, matched from that delimiter.
_QUERY_AFTER_AMP = re.compile(rf"&(?=[^=&#\s]){_PARAM_WORDS}{_PARAM_VALUE}")
_QUERY_EXACT = re.compile(rf"=(?:(?<=[?&](?i:sig|pwd)=)|(?<=[?&](?i:pass)=)){_PARAM_VALUE}")
_PASS_AT = re.compile(r"[?&](?i:pass)=")
_QUERY_AFTER_DELIMITER = re.compile(rf"[=#\s][^=&#\s?]*+\?{_PARAM_WORDS}{_PARAM_VALUE}")
# A name whose run starts right here: at the text's start, or where the previous match ended (a value may
# end inside a run of name characters, at a quote).
_QUERY_HERE = re.compile(rf"[^=&#\s?]*+\?{_PARAM_WORDS}{_PARAM_VALUE}")
_JSON_SECRET = re.compile(r'"(?>[^"]*?(?i:api[_-]?key|token|secret|passw|authorization))[^"]*+"\s*+:\s*+"([^"]+)"')
# The cheap test before a pattern runs: a word it needs, in the text lowered (the two letters `re.I` also
# matches that lower() keeps apart made plain: long s and dotless i).
_QUERY_WORDS = ("key", "token", "secret", "sig", "pass", "auth", "session", "credential", "pwd")
_JSON_WORDS = ("apikey", "api_key", "api-key", "token", "secret", "passw", "authorization")


def _has_word(text: str, words: tuple[str, ...]) -> bool:
    lowered = text.lower().replace("\u017f", "s").replace("\u0131", "i")
    return any(word in lowered for word in words)


Kind = Literal["value", "text"]
Path = tuple[str | int, ...]


def mask(secret: str) -> str:
    if MASK_MARK in secret:
        return secret
    if len(secret) < 12:
        return MASK_MARK
    # Keep a conventional type prefix ("sk-", "pk_") and nothing else of the start.
    prefix = secret[:3] if secret[2:3] in ("-", "_") else ""
    return f"{prefix}{MASK_MARK}{secret[-4:]}"


def _url_spans(text: str) -> list[tuple[int, int]]:
    if "://" not in text or "@" not in text:
        return []
    return [match.span(1) for match in _URL_USERINFO.finditer(text)]


def _query_spans(text: str) -> list[tuple[int, int]]:
    """The query secrets `finditer` of the single pattern would find, resuming after each match as it does:
    the next match is the earliest of the three patterns' (each searched again only once passed)."""
    if "=" not in text or ("?" not in text and "&" not in text) or not _has_word(text, _QUERY_WORDS):
        return []
    spans: list[tuple[int, int]] = []
    pos = 0
    nexts = [_QUERY_AFTER_AMP.search(text), _next_exact(text, 0), _QUERY_AFTER_DELIMITER.search(text)]
    while True:
        here = _QUERY_HERE.match(text, pos)
        if here is None:
            nexts = [
                _QUERY_AFTER_AMP.search(text, pos) if i == 0 and m and m.start() < pos else
                _next_exact(text, pos) if i == 1 and m and _exact_start(m) < pos else
                _QUERY_AFTER_DELIMITER.search(text, pos) if i == 2 and m and m.start() < pos else m
                for i, m in enumerate(nexts)
            ]  # fmt: skip
            found = [m for m in nexts if m is not None]
            if not found:
                return spans
            here = min(found, key=lambda m: m.start(1))
        spans.append(here.span(1))
        pos = here.end()


def _exact_start(match: re.Match[str]) -> int:
    """Where an exact name's '?' or '&' is: 4 before its '=' (sig, pwd) or 5 (pass)."""
    at = match.start() - 5
    return at if at >= 0 and _PASS_AT.match(match.string, at) else at + 1


def _next_exact(text: str, pos: int) -> re.Match[str] | None:
    """The first exact name whose '?' or '&' is at `pos` or later."""
    match = _QUERY_EXACT.search(text, pos)
    while match is not None and _exact_start(match) < pos:
        match = _QUERY_EXACT.search(text, match.start() + 1)
    return match


def _json_spans(text: str) -> list[tuple[int, int]]:
    if '"' not in text or ":" not in text or not _has_word(text, _JSON_WORDS):
        return []
    return [match.span(1) for match in _JSON_SECRET.finditer(text)]


# One answer asks about the same long text several times (is there a secret, where, mask it): the last few
# texts' spans are kept rather than scanned again.
@functools.lru_cache(maxsize=16)
def _text_parts(text: str) -> tuple[tuple[int, int], ...]:
    """(start, end) of every secret inside `text`, in order, without overlaps: a span overlapping one found
    by an earlier pattern is left out. Linear in the text (plus a log factor in the secrets found)."""
    parts: list[tuple[int, int]] = []
    for spans in (_url_spans, _query_spans, _json_spans):
        kept = [(s, e) for s, e in spans(text) if not _is_placeholder(text, s, e) and not _overlaps(parts, s, e)]
        parts = sorted(parts + kept) if parts and kept else parts or kept
    return tuple(parts)


def _is_placeholder(text: str, start: int, end: int) -> bool:
    return text.startswith("{{", start, end) and text.endswith("}}", start, end)


def _overlaps(parts: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether [start, end) overlaps one of `parts` (sorted, disjoint)."""
    at = bisect.bisect_left(parts, (end,))
    return at > 0 and parts[at - 1][1] > start


def mask_text(text: str) -> str:
    """The text with every secret inside it masked; unchanged when it holds none. URL userinfo is masked
    whole (`https://…@host/`), other secrets keep their visible ends as `mask` does."""
    out, last = [], 0
    for start, end in _text_parts(text):
        userinfo = text[end : end + 1] == "@"
        out += [text[last:start], MASK_MARK if userinfo else mask(text[start:end])]
        last = end
    return "".join(out) + text[last:]


def is_masked(value: Any) -> bool:
    return isinstance(value, str) and MASK_MARK in value


def _masked(kind: Kind, value: str) -> str:
    return mask_text(value) if kind == "text" else mask(value)


def _is_masked_as(kind: Kind, value: str) -> bool:
    if kind == "text":
        return any(MASK_MARK in value[start:end] for start, end in _text_parts(value))
    return is_masked(value)


# In a value's JSON text, a sign that it may hold a secret: one of the keys above, or a URL with userinfo.
_SECRET_KEY_MARKS = ('"api_key"', '"headers"', '"query_params"')


def may_hold_secrets(value: Any) -> bool:
    """A fast, conservative test: False only when `value` holds no secret. Walking a large assistant
    (thousands of FAQ items) node by node costs far more than dumping it once and searching the text."""
    if isinstance(value, str | int | float | bool) or value is None:
        return isinstance(value, str) and bool(_text_parts(value))
    text = json.dumps(value, default=str, ensure_ascii=False)
    if any(mark in text for mark in _SECRET_KEY_MARKS):
        return True
    # Cheap signs first: a URL with userinfo needs '@', a query secret '=', a JSON pair '\\"'.
    return ("@" in text or "=" in text or '\\"' in text) and bool(_text_parts(text.replace('\\"', '"')))


def secret_spots(value: Any, path: Path = ()) -> Iterator[tuple[Path, Kind]]:
    """Where the secrets are in a JSON value: (path, kind) with kind 'value' (the whole string is
    secret) or 'url' (its userinfo is)."""
    if not path and not may_hold_secrets(value):
        return
    if isinstance(value, dict):
        for key, item in value.items():
            here = (*path, key)
            if key in SECRET_KEYS and isinstance(item, str):
                yield here, "value"
            elif key in KEY_VALUE_LISTS and isinstance(item, list):
                yield from _key_value_spots(item, here, KEY_VALUE_LISTS[key])
            else:
                yield from secret_spots(item, here)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from secret_spots(item, (*path, index))
    elif isinstance(value, str) and _text_parts(value):
        yield path, "text"


def _key_value_spots(entries: list[Any], path: Path, secret_name: re.Pattern[str]) -> Iterator[tuple[Path, Kind]]:
    for index, entry in enumerate(entries):
        name = entry.get("key") if isinstance(entry, dict) else None
        value = entry.get("value") if isinstance(entry, dict) else None
        named = isinstance(name, str) and secret_name.search(name.lower())
        # A value in a mask's shape is one of ours wherever it sits (a header renamed around it): it must be
        # restored from its own place, or refused, never written as it is.
        if isinstance(value, str) and (named or _MASK_SHAPE.match(value)):
            yield (*path, index, "value"), "value"
        else:
            yield from secret_spots(entry, (*path, index))


_MASK_SHAPE = re.compile(rf"^(?:\w\w[-_])?{MASK_MARK}\S{{0,4}}$")


def _get(value: Any, path: Path) -> Any:
    for part in path:
        value = value[part]
    return value


def _set(value: Any, path: Path, new: Any) -> None:
    _get(value, path[:-1])[path[-1]] = new


def redact(value: Any) -> Any:
    """A copy of a JSON value with every secret masked (and, in a diff entry about an `api_key`, its
    before and after)."""
    spots = list(secret_spots(value))
    if spots == [((), "text")]:
        return mask_text(value)
    entry_is_secret = isinstance(value, dict) and str(value.get("path", "")).rsplit(".", 1)[-1] in SECRET_KEYS
    if not spots and not entry_is_secret:
        return value
    out = copy.deepcopy(value)
    for path, kind in spots:
        _set(out, path, _masked(kind, _get(out, path)))
    if entry_is_secret:
        for key in ("before", "after"):
            if isinstance(out.get(key), str):
                out[key] = mask(out[key])
    return out


def secrets_in(value: Any) -> set[str]:
    """Every secret value inside a JSON value (to scrub from free text such as an API error message)."""
    found: set[str] = set()
    for path, kind in secret_spots(value):
        text = _get(value, path)
        if kind == "value" and not is_masked(text):
            found.add(text)
        elif kind == "text":
            for start, end in _text_parts(text):
                secret = text[start:end]
                if MASK_MARK not in secret:
                    found |= {secret, secret.partition(":")[2]}
    return {s for s in found if s}


def scrub(text: str, secrets: Iterable[str | None]) -> str:
    # Longest first: a password must not be masked inside its own user:password before that is.
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        if len(secret) >= 4 and secret in text:
            text = text.replace(secret, mask(secret))
    return text


def scrub_json(value: Any, secrets: Iterable[str | None]) -> Any:
    """`scrub` applied to every string (keys included) of a JSON value."""
    known = [s for s in secrets if s and len(s) >= 4]
    if known and isinstance(value, dict | list):
        # One pass per secret over the value's JSON text, rather than per string of a large answer: only the
        # secrets that occur (JSON-escaped as they would appear there) are searched for string by string.
        try:
            text = json.dumps(value, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            text = None
        if text is not None:
            known = [s for s in known if json.dumps(s, ensure_ascii=False)[1:-1] in text]
    return _scrub_tree(value, known) if known else value


def _scrub_tree(value: Any, known: list[str]) -> Any:
    if isinstance(value, str):
        return scrub(value, known)
    if isinstance(value, list):
        return [_scrub_tree(item, known) for item in value]
    if isinstance(value, dict):
        return {scrub(str(k), known): _scrub_tree(v, known) for k, v in value.items()}
    return value


def restore_secrets(candidate: dict[str, Any], stored: dict[str, Any]) -> list[tuple[Path, str]]:
    """Swap the stored secret in wherever `candidate` holds the mask of the secret stored at the same
    logical place (list items matched by their name/key, else by position). Returns the masked values
    that match nothing stored: they cannot be written."""
    unmatched: list[tuple[Path, str]] = []
    for path, kind in list(secret_spots(candidate)):
        sent = _get(candidate, path)
        if not _is_masked_as(kind, sent):
            continue
        original = _counterpart(candidate, stored, path)
        if isinstance(original, str) and _masked(kind, original) == sent:
            _set(candidate, path, original)
        else:
            unmatched.append((path, sent))
    return unmatched


# Keys that identify a list item, in the order they are tried: custom tools by name, headers by key...
_IDENTITY_KEYS = ("name", "key", "label", "question")


def _counterpart(candidate: Any, stored: Any, path: Path) -> Any:
    """The stored value at the place `path` names in `candidate`."""
    for part in path:
        if isinstance(part, int):
            if not isinstance(stored, list):
                return None
            stored = _matching_item(candidate[part], stored, part)
        else:
            if not isinstance(stored, dict):
                return None
            stored = stored.get(part)
        candidate = candidate[part]
    return stored


def _matching_item(item: Any, stored: list[Any], index: int) -> Any:
    if isinstance(item, dict):
        for key in _IDENTITY_KEYS:
            if key in item:
                same = [s for s in stored if isinstance(s, dict) and s.get(key) == item[key]]
                return same[0] if same else None
    return stored[index] if index < len(stored) else None
