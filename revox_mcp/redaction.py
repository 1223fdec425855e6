"""Secrets out of everything revox-mcp says: answers, diffs, journal rows, errors and logs.

What counts as a secret, wherever it appears in an assistant (a known field, an extra or unknown one, a
patch, an edit, a journal row):
- every string under a key named like a credential (`api_key`, `access_token`, `password`; the one list
  and its reading are in `secret_names`);
- the value of a `{key, value}` entry (a header, a query parameter) whose key is named like one;
- inside any text: URL userinfo, query, fragment and matrix parameters and JSON keys named like one, an
  `Authorization:` value after its scheme, and header lines (`X-Api-Key: ...`) named like one.

A mask keeps a short prefix and the last four characters (`sk-…abcd`) so a person can tell keys apart
without being able to use one; a secret under 12 characters is `…`; a URL keeps everything but its
userinfo (`https://…@host/`). A value sent back that is the mask of the secret stored at the same place
means "keep the stored value" (`restore_secrets`), so a read-modify-write never writes a mask; any other
text holding "…" is text.
"""

from __future__ import annotations

import bisect
import copy
import functools
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any, Literal

from revox_mcp.secret_names import credential_item, credential_name, mentions_credential, words

MASK_MARK = "…"
# Secrets inside any text (a URL in a field, a link in an FAQ answer, a body template, a prompt), each with
# the part that is secret: URL userinfo (up to the last '@' of the authority); the value of a query, fragment
# or matrix parameter (after `?`, `&`, `#`, `;`, a space or the text's start; up to the next of them) and of
# a JSON key, when the name is a credential's (secret_names); an `Authorization:` (or `Proxy-Authorization:`)
# value after its scheme, in any text; the value of a header line (`X-Api-Key: ...`, `Cookie: ...`) named
# like one.
# {{placeholders}} are not secrets.
#
# Every scan is linear in the text: any input arrives here, a 1 MiB argument included. A pattern may start
# only where its run starts (a lookbehind refuses the middle of a run), runs are taken possessively (`*+`)
# and bounded where a failed attempt could be retried from inside them, so no position is read more than
# a few times; names are judged in Python, once per distinct name (secret_names caches them).
# tests/test_redaction_linear.py holds these to a flat cost per KB.
_URL_USERINFO = re.compile(r"(?<![A-Za-z0-9+.-])[0-9+.-]*+[A-Za-z][A-Za-z0-9+.-]*+://([^/?#\s]+)@")
_PARAM_NAME = re.compile(r"""(?:^|(?<=[?&#;\s]))([^\s=&#;?/"'<>{}]{1,200}+)=""")
_PARAM_VALUE = re.compile(r"""[^&#;?\s"'<>]++""")
_JSON_PAIR = re.compile(r'(?<!\\)"([^"\\\n]{1,200}+)"\s*+:\s*+"((?:[^"\\]++|\\.)*+)"')
# An Authorization value's scheme is any word before it (`Bearer`, `ApiKey`, `SSWS`, `Zoho-oauthtoken`).
_AUTHORIZATION = re.compile(
    r"(?<![\w-])(?i:(?:proxy-)?authorization)[ \t]*+[:=][ \t]*+(?:[A-Za-z][A-Za-z0-9._~+/-]*+[ \t]++)?"
    r"""([^\s"',;<>]++)"""
)
_HEADER_NAME = r"([A-Za-z0-9][A-Za-z0-9_]*+(?:-[A-Za-z0-9_]++)*+)[ \t]*+:[ \t]*+(?:(?i:bearer|basic|token)[ \t]++)?"
_HEADER_LINE = re.compile(rf"(?m)^[ \t]*+{_HEADER_NAME}([^\r\n]++)")
# A header quoted inside a line (`curl -H "X-Api-Key: ..."`): its value runs to the next quote.
_QUOTED_HEADER = re.compile(rf"""["']{_HEADER_NAME}([^"'\r\n]++)""")
# A quoted value after a name and `=` or `:` (`API_KEY="..."`, `api_key = '...'`, `{'token': '...'}`): the
# name starts where its run starts (not after a `.` or `-` inside one), so no run is read twice.
_QUOTED_ASSIGNMENT = re.compile(
    r"""(?<![\w.-])(["']?)([A-Za-z_][\w.-]{0,199}+)\1[ \t]*+[:=][ \t]*+(?:"([^"\r\n]*+)"|'([^'\r\n]*+)')"""
)
# An XML element named like a field holding a credential (`<Password>...</Password>`, a SOAP body).
_XML_ELEMENT = re.compile(r"<([A-Za-z_][\w.:-]{0,199}+)(?:[ \t\r\n][^<>]*+)?>([^<]++)</\1[ \t\r\n]*+>")
# Webhook URLs whose path is the credential: Slack's and Discord's whole path after the prefix, Telegram's
# bot token (up to the next `/`). Found whatever the text's words: such a URL need not hold a hint.
_WEBHOOK = re.compile(
    r"""(?<![\w.-])(?:(?i:hooks\.slack\.com/(?:services|workflows|triggers)/|discord(?:app)?\.com/api/webhooks/)"""
    r"""([^\s?#"'<>]++)|(?i:api\.telegram\.org/(?:file/)?bot)([^\s/?#"'<>]++))"""
)
_WEBHOOK_HOSTS = ("hooks.slack.com", "/api/webhooks/", "api.telegram.org")
# One-word names a line (`Password: ...`, `token: ...`) is masked after only when its value is one word:
# `Session: 30 minutes` is a setting, and these words name settings as often as secrets.
_ONE_WORD_SETTINGS = frozenset({"session", "auth", "authentication", "signature", "sig", "bearer"})


Kind = Literal["value", "text"]
Path = tuple[str | int, ...]


def mask(secret: str) -> str:
    """`sk-…abcd`: a conventional type prefix and the last four characters, or `…` under 12 characters; an
    Authorization value keeps its scheme (`Bearer …abcd`). A mask is its own mask; any other value holding
    `…` is masked like the rest (else an ellipsis put before a stored token would show it)."""
    if _MASK_SHAPE.fullmatch(secret):
        return secret
    scheme = _SCHEME.match(secret)
    if scheme:
        return scheme.group() + mask(secret[scheme.end() :])
    if len(secret) < 12:
        return MASK_MARK
    # Keep a conventional type prefix ("sk-", "pk_") and nothing else of the start.
    prefix = secret[:3] if secret[2:3] in ("-", "_") else ""
    return f"{prefix}{MASK_MARK}{secret[-4:]}"


# An Authorization value's scheme (`Bearer `, `Basic `...), kept in front of its mask.
_SCHEME = re.compile(r"(?i:bearer|basic|token|digest|bot|apikey|api-key|sso-key|ssws) (?=\S)")


def _url_spans(text: str) -> list[tuple[int, int]]:
    if "://" not in text or "@" not in text:
        return []
    return [match.span(1) for match in _URL_USERINFO.finditer(text)]


def _param_spans(text: str) -> list[tuple[int, int]]:
    """Values of parameters named like a credential. After any other name the search goes on right after its
    '=' (a value may hold a URL with its own parameters: `?next=https://x/?token=...`); after a credential's,
    past its value, which is masked whole, so no character is read by more than one value."""
    spans: list[tuple[int, int]] = []
    pos = 0 if "=" in text else len(text)
    while (name := _PARAM_NAME.search(text, pos)) is not None:
        pos = name.end()
        if credential_item(name.group(1)) and (value := _PARAM_VALUE.match(text, pos)) is not None:
            spans.append(value.span())
            pos = value.end()
    return spans


def _json_spans(text: str) -> list[tuple[int, int]]:
    if '"' not in text or ":" not in text:
        return []
    return [m.span(2) for m in _JSON_PAIR.finditer(text) if m.end(2) > m.start(2) and credential_item(m.group(1))]


def _header_spans(text: str) -> list[tuple[int, int]]:
    if ":" not in text and "=" not in text:
        return []
    spans = [m.span(1) for m in _AUTHORIZATION.finditer(text)] if "uthorization" in text.lower() else []
    lines = _HEADER_LINE.finditer(text) if ":" in text else iter(())
    quoted = _QUOTED_HEADER.finditer(text) if ":" in text and ('"' in text or "'" in text) else iter(())
    for match in (*lines, *quoted):
        start, end = match.span(2)
        while end > start and text[end - 1].isspace():
            end -= 1
        if _header_named(match.group(1), text[start:end]):
            spans.append((start, end))
    return sorted(spans)


def _header_named(name: str, value: str) -> bool:
    """A line's name as a field's (`X-Api-Key`, not `Session-Length: 30 minutes`); a one-word name
    (`Password`, `token`) only before a one-word value."""
    if "-" in name or "_" in name or name.lower() == "cookie":
        return credential_name(name)
    return len(value.split(None, 1)) == 1 and _one_word_credential(name)


@functools.lru_cache(maxsize=4096)
def _one_word_credential(name: str) -> bool:
    # Judged once per distinct name, as secret_names judges its names: a long text repeats a few.
    return credential_name(name) and words(name)[-1] not in _ONE_WORD_SETTINGS


def _quoted_spans(text: str) -> list[tuple[int, int]]:
    if ('"' not in text and "'" not in text) or ("=" not in text and ":" not in text):
        return []
    spans = []
    for match in _QUOTED_ASSIGNMENT.finditer(text):
        group = 3 if match.group(3) is not None else 4
        if credential_item(match.group(2)):
            spans.append(match.span(group))
    return spans


def _xml_spans(text: str) -> list[tuple[int, int]]:
    if "</" not in text:
        return []
    spans = []
    for match in _XML_ELEMENT.finditer(text):
        inner = match.group(2)
        if credential_name(match.group(1)) and inner.strip():
            start = match.start(2) + len(inner) - len(inner.lstrip())
            spans.append((start, match.end(2) - len(inner) + len(inner.rstrip())))
    return spans


def _webhook_spans(text: str) -> list[tuple[int, int]]:
    # A plain search first: the pattern tried at every '/' of a long path-dense text costs ~50 ms per MiB.
    lowered = text.lower() if "/" in text else ""
    if not any(host in lowered for host in _WEBHOOK_HOSTS):
        return []
    return [m.span(1) if m.group(1) is not None else m.span(2) for m in _WEBHOOK.finditer(text)]


# One answer asks about the same long text several times (is there a secret, where, mask it): the last few
# texts' spans are kept rather than scanned again.
@functools.lru_cache(maxsize=16)
def _scan(text: str) -> tuple[tuple[int, int, str], ...]:
    """(start, end, kind) of every secret inside `text`, in order, without overlaps: a span overlapping one
    found by an earlier pattern is left out. Kinds: url (userinfo), param, json, header. Linear in the text
    (plus a log factor in the secrets found)."""
    parts: list[tuple[int, int, str]] = []
    scans = [("url", _url_spans), ("path", _webhook_spans)]
    if mentions_credential(text):
        scans += [("param", _param_spans), ("json", _json_spans), ("header", _header_spans)]
        scans += [("quoted", _quoted_spans), ("xml", _xml_spans)]
    for kind, spans in scans:
        kept: list[tuple[int, int, str]] = []
        for s, e in spans(text):  # in order: one overlapping the last kept of this scan is left out too
            fits = e > s and (not kept or kept[-1][1] <= s) and not _overlaps(parts, s, e)
            if fits and not _is_placeholder(text, s, e):
                kept.append((s, e, kind))
        parts = sorted(parts + kept) if parts and kept else parts or kept
    return tuple(parts)


def _text_parts(text: str) -> tuple[tuple[int, int], ...]:
    return tuple((s, e) for s, e, _ in _scan(text))


def _is_placeholder(text: str, start: int, end: int) -> bool:
    return text.startswith("{{", start, end) and text.endswith("}}", start, end)


def _overlaps(parts: list[tuple[int, int, str]], start: int, end: int) -> bool:
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


# The two shapes `mask` gives: "…" for a short secret, else an optional type prefix, "…" and four characters.
# Only a value in one of them can be a mask sent back; any other text holding "…" is text.
_SCHEMES = r"(?:(?i:bearer|basic|token|digest|bot|apikey|api-key|sso-key|ssws) )?"
_MASK_SHAPE = re.compile(rf"(?s){_SCHEMES}(?:(?:..[-_])?{MASK_MARK}.{{4}}|{MASK_MARK})")
_LONG_MASK_SHAPE = re.compile(rf"(?s){_SCHEMES}(?:..[-_])?{MASK_MARK}.{{4}}")
_JSON_KEY = re.compile(r'(?<!\\)"([^"\\\n]{1,200}+)"\s*+:')
_ENTRY_NAME = re.compile(r'(?<!\\)"name"\s*+:\s*+"([^"\\\n]{1,200}+)"')


def may_hold_secrets(value: Any) -> bool:
    """A fast, conservative test: False only when `value` holds no secret (and no mask). Walking a large
    assistant (thousands of FAQ items) node by node costs far more than dumping it once and searching the
    text: its keys are few and judged once each, its texts scanned as one."""
    if isinstance(value, str | int | float | bool) or value is None:
        return isinstance(value, str) and bool(_text_parts(value))
    text = json.dumps(value, default=str, ensure_ascii=False)
    if MASK_MARK in text:
        return True
    if not mentions_credential(text):
        unescaped = text.replace('\\"', '"')
        return bool(("@" in text and "://" in text) and _url_spans(unescaped)) or bool(_webhook_spans(unescaped))
    # Texts inside the value are JSON-escaped here: their quotes and line breaks are made plain again.
    plain = text.replace('\\"', '"').replace("\\n", "\n")
    names = set(_JSON_KEY.findall(plain))
    if any(credential_item(name) for name in names):
        return True
    # A {name, value} entry (HAR, OpenAPI) is named by a value, not a key.
    if "value" in names and any(credential_item(name) for name in set(_ENTRY_NAME.findall(plain))):
        return True
    # Each string of the dump starts after a quote, not at a text's start or a line's: made a line start
    # for the scans that begin there (a prompt opening with `X-Api-Key: ...`, a form body `api_key=...`).
    starts = plain.replace('"', '"\n')
    return bool(_text_parts(plain)) or bool(_param_spans(starts) or _header_spans(starts))


def secret_spots(value: Any, path: Path = (), headers: bool = False) -> Iterator[tuple[Path, Kind]]:
    """Where the secrets are in a JSON value: (path, kind) with kind 'value' (the whole string is secret:
    under a key named like a credential, or a {key, value} entry whose key is) or 'text' (parts of it are)."""
    if not path and not may_hold_secrets(value):
        return
    if isinstance(value, dict):
        named = credential_item if headers else credential_name
        for key, item in value.items():
            here = (*path, key)
            if isinstance(key, str) and named(key):
                yield from _every_string(item, here)
            else:
                # A map of headers ({"X-Auth-Key": ...}) has its keys read as header names.
                yield from secret_spots(item, here, isinstance(key, str) and key.lower().endswith("headers"))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if _names_a_secret(item):
                yield (*path, index, "value"), "value"
            elif _names_a_credential(item):  # a structured value (a list, an object, a number) under such a key
                yield from _every_string(item["value"], (*path, index, "value"))
            else:
                yield from secret_spots(item, (*path, index))
    elif isinstance(value, str) and _text_parts(value):
        yield path, "text"


def _every_string(value: Any, path: Path) -> Iterator[tuple[Path, Kind]]:
    """Under a credential's name, every string is secret (`"auth": {"user": ..., "token": ...}`), and every
    number (a PIN, a numeric password): shown as the mask of its digits, and restored as the number."""
    if isinstance(value, str) or _is_number(value):
        yield path, "value"
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _every_string(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _every_string(item, (*path, index))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _names_a_credential(entry: Any) -> bool:
    """A {key, value} or {name, value} entry whose name is a credential's, whatever its value."""
    if not isinstance(entry, dict) or "value" not in entry:
        return False
    name = entry.get("key", entry.get("name"))
    return isinstance(name, str) and credential_item(name)


def _names_a_secret(entry: Any) -> bool:
    """A {key, value} entry (a header, a query parameter) whose value is secret: its key is named like a
    credential, or its value has a mask's shape (a mask moved under another name is one of ours: restored
    from its own place, or reported)."""
    if not isinstance(entry, dict) or not isinstance(entry.get("value"), str):
        return False
    name = entry.get("key", entry.get("name"))  # {key, value}; {name, value} as in HAR and OpenAPI
    if not isinstance(name, str):
        return False
    return credential_item(name) or bool(_MASK_SHAPE.fullmatch(entry["value"]))


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
    entry_is_secret = isinstance(value, dict) and credential_name(str(value.get("path", "")).rsplit(".", 1)[-1])
    if not spots and not entry_is_secret:
        return value
    out = copy.deepcopy(value)
    for path, kind in spots:
        text = _get(out, path)
        _set(out, path, mask_text(text) if kind == "text" else mask(str(text)))
    if entry_is_secret:
        for key in ("before", "after"):
            if isinstance(out.get(key), str):
                out[key] = mask(out[key])
    return out


def located_secrets(value: Any) -> Iterator[tuple[Path, Kind, str]]:
    """(path, kind, secret) of every secret inside a JSON value that is not a mask: a whole value, or each
    secret part of a text (several may share a path)."""
    for path, kind in secret_spots(value):
        text = _get(value, path)
        if kind == "value":
            if not is_masked(text):
                yield path, kind, str(text)
            continue
        for start, end in _text_parts(text):
            if MASK_MARK not in text[start:end]:
                yield path, kind, text[start:end]


def secrets_in(value: Any) -> set[str]:
    """Every secret value inside a JSON value (to scrub from free text such as an API error message); a
    userinfo's password on its own too."""
    found: set[str] = set()
    for _path, kind, secret in located_secrets(value):
        found |= {secret, secret.partition(":")[2]} if kind == "text" else {secret}
    return {s for s in found if s}


# A stored secret shorter than this is not looked for in a new text: a short one ("pw") is found in words.
_EXPOSED_MIN = 8


def exposed_secrets(old: str, new: str) -> list[str]:
    """The secrets of `old` that `new` holds outside every secret part (an edit that renamed `?token=` around
    one, or its header's name): the next read would show them. Only the secrets `new` has fewer parts of are
    looked for, so an edit elsewhere costs one scan of each text."""
    kept: dict[str, int] = {}
    for start, end in _text_parts(new):
        kept[new[start:end]] = kept.get(new[start:end], 0) + 1
    lost: dict[str, int] = {}
    for start, end in _text_parts(old):
        secret = old[start:end]
        if kept.get(secret, 0) > 0:
            kept[secret] -= 1
        elif len(secret) >= _EXPOSED_MIN and MASK_MARK not in secret:
            lost[secret] = 1
    shown = mask_text(new) if lost else ""
    return [secret for secret in lost if secret in shown]


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
    """Swap the stored secret in wherever `candidate` holds its mask at the same logical place (list items
    matched by their name/key, the n-th of several namesakes with the n-th stored, else by position): a read
    sent back keeps its secrets. In a text, each masked part is matched to the stored text's secrets with
    that mask, in order. Returns the values in a mask's shape that match nothing stored there (a whole value
    in either shape, a part of a text in the long one, a short one where the stored text had one): they are
    whatever the sender wrote, and the caller decides whether that is text or a lost secret."""
    left: list[tuple[Path, str]] = []
    items = _Items()
    for path, kind in list(secret_spots(candidate)):
        sent = _get(candidate, path)
        if not isinstance(sent, str) or MASK_MARK not in sent:
            continue
        original = _counterpart(candidate, stored, path, items)
        if kind == "value":
            if (isinstance(original, str) or _is_number(original)) and mask(str(original)) == sent:
                _set(candidate, path, original)
            elif _MASK_SHAPE.fullmatch(sent):
                left.append((path, sent))
            continue
        restored, unmatched = _restored_text(sent, original if isinstance(original, str) else "")
        _set(candidate, path, restored)
        left += [(path, piece) for piece in unmatched]
    return left


def _restored_text(sent: str, original: str) -> tuple[str, list[str]]:
    """`sent` with each masked secret part replaced by the stored text's secret of the same kind and mask at
    the same place, read on the masked texts: a URL part's whole word up to it (its scheme, host, path and
    parameter name; userinfo with the host after it), a JSON or header part's line up to it. Where the
    number of parts with one place and mask differs between the two texts (a line removed, a copy added),
    none of them is restored: which is which cannot be told. So an edit elsewhere keeps a link's token, and a
    secret never moves to another host, parameter, key or line."""
    if original and mask_text(original) == sent:
        return original, []
    stored: dict[tuple[str, ...], list[str]] = {}
    for key, _start, _end, secret in _placed_parts(original, masked=False):
        stored.setdefault(key, []).append(secret)
    masks = {key[:2] for key in stored}  # (kind, mask) of every stored part
    placed = [p for p in _placed_parts(sent, masked=True) if MASK_MARK in p[3]]
    counts: dict[tuple[str, ...], int] = {}
    for key, *_ in placed:
        counts[key] = counts.get(key, 0) + 1
    out, last, unmatched = [], 0, []
    taken: dict[tuple[str, ...], int] = {}
    for key, start, end, piece in placed:
        same = stored.get(key, [])
        if same and len(same) == counts[key]:
            at = taken.get(key, 0)
            taken[key] = at + 1
            out += [sent[last:start], same[at]]
            last = end
        elif same or key[:2] in masks or _LONG_MASK_SHAPE.fullmatch(piece) or _masked_userinfo(sent, end, piece):
            # A secret was stored at this place, or one of this kind masking the same elsewhere in the text
            # (a short one's `…` at a link whose host or path changed), or it looks like one of ours.
            unmatched.append(piece)
    return "".join(out) + sent[last:], unmatched


def _masked_userinfo(sent: str, end: int, piece: str) -> bool:
    return piece == MASK_MARK and sent[end : end + 1] == "@"


# How far back the place of a line's secret part (a JSON pair, a header) is read.
_LINE_CHARS = 300
_WORD = re.compile(r"\S+")
_HOST = re.compile(r"[^/?#\s]{0,300}")


def _placed_parts(text: str, masked: bool) -> list[tuple[tuple[str, ...], int, int, str]]:
    """(place key, start, end, the part) of each secret part of `text`; the key is read on the text as
    masked (`masked`: it already is), so a stored text and its masked read agree. A URL part's place is a
    digest of its whole word up to it, taken as the word is read (one pass, however long the URL); a line's
    place is its text up to the part, read back at most _LINE_CHARS."""
    parts = _scan(text)
    if not parts:
        return []
    shown, offsets = _masked_offsets(text, parts) if not masked else (text, [(s, e) for s, e, _ in parts])
    words = [m.span() for m in _WORD.finditer(shown)]
    starts = [w[0] for w in words]
    placed = []
    word_at, read_to, digest = -1, 0, hashlib.sha256()
    for (start, end, kind), (m_start, m_end) in zip(parts, offsets, strict=True):
        piece = shown[m_start:m_end]
        if kind in ("url", "param", "path"):
            here = bisect.bisect_right(starts, m_start) - 1
            if here != word_at:
                word_at, read_to, digest = here, words[here][0], hashlib.sha256()
            digest.update(shown[read_to:m_start].encode())
            read_to = m_start
            host = _HOST.match(shown, m_end + 1).group() if kind == "url" else ""  # type: ignore[union-attr]
            key: tuple[str, ...] = (kind, piece, digest.copy().hexdigest(), host)
        else:
            line = shown.rfind("\n", max(0, m_start - _LINE_CHARS), m_start) + 1
            # A line too long to read back is never the same place: the two sides' markers differ.
            key = (kind, piece, shown[line:m_start] if line or m_start <= _LINE_CHARS else f"\0too far {masked}")
        placed.append((key, start, end, text[start:end]))
    return placed


def _masked_offsets(text: str, parts: tuple[tuple[int, int, str], ...]) -> tuple[str, list[tuple[int, int]]]:
    """The text masked as mask_text masks it, and where each part's mask is in it."""
    out, offsets, last, at = [], [], 0, 0
    for start, end, _kind in parts:
        shown = MASK_MARK if text[end : end + 1] == "@" else mask(text[start:end])
        out.append(text[last:start])
        at += start - last
        offsets.append((at, at + len(shown)))
        out.append(shown)
        at += len(shown)
        last = end
    return "".join(out) + text[last:], offsets


# Keys that identify a list item, in the order they are tried: custom tools by name, headers by key...
_IDENTITY_KEYS = ("name", "key", "label", "question")
Identity = tuple[str, Any]


class _Items:
    """List items matched as a read sent back is: by the first identity key an item has (compared as masked,
    so a question holding a masked link is its stored namesake), the n-th of several sharing it with the
    n-th stored; an item without one by position. Each pair of lists is indexed once per restore."""

    def __init__(self) -> None:
        self._lists: dict[tuple[int, int], tuple[list[tuple[Identity | None, int]], dict[Identity, list[Any]]]] = {}

    def match(self, items: list[Any], stored: list[Any], index: int) -> Any:
        pair = (id(items), id(stored))
        if pair not in self._lists:
            self._lists[pair] = (_ranks(items), _by_identity(stored))
        ranks, by_identity = self._lists[pair]
        identity, rank = ranks[index]
        if identity is None:
            return stored[index] if index < len(stored) else None
        same = by_identity.get(identity, [])
        return same[rank] if rank < len(same) else None


def _identity_value(value: Any) -> Any:
    if isinstance(value, str):
        return mask_text(value)
    if value is None or isinstance(value, int | float | bool):
        return value
    return json.dumps(value, sort_keys=True, default=str)


def _ranks(items: list[Any]) -> list[tuple[Identity | None, int]]:
    """Each item's identity and how many items before it share it."""
    seen: dict[Identity, int] = {}
    ranks: list[tuple[Identity | None, int]] = []
    for item in items:
        key = next((k for k in _IDENTITY_KEYS if k in item), None) if isinstance(item, dict) else None
        if key is None:
            ranks.append((None, 0))
            continue
        identity = (key, _identity_value(item[key]))
        ranks.append((identity, seen.get(identity, 0)))
        seen[identity] = seen.get(identity, 0) + 1
    return ranks


def _by_identity(stored: list[Any]) -> dict[Identity, list[Any]]:
    """The stored items under each identity they have (an item with a name and a key is found by either)."""
    found: dict[Identity, list[Any]] = {}
    for item in stored:
        if isinstance(item, dict):
            for key in _IDENTITY_KEYS:
                if key in item:
                    found.setdefault((key, _identity_value(item[key])), []).append(item)
    return found


def _counterpart(candidate: Any, stored: Any, path: Path, items: _Items) -> Any:
    """The stored value at the place `path` names in `candidate`."""
    for part in path:
        if isinstance(part, int):
            if not isinstance(stored, list):
                return None
            stored = items.match(candidate, stored, part)
        else:
            if not isinstance(stored, dict):
                return None
            stored = stored.get(part)
        candidate = candidate[part]
    return stored
