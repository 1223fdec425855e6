"""Secret masking is linear in its input and finds exactly what a plain reference scan finds.

The reference below reads the same rules the simplest way: character loops for parameters (the one scan
with a rule about where to go on), and the obvious backtracking patterns for the rest, each name judged by
secret_names. On short texts built from the characters and words that matter, the real scan must mask the
same spans, and a masked text sent back must restore to the original. On long adversarial texts (runs of
each character class, near-URLs, repeated `?`/`&`/`=`/`@`/`:`, nested quotes) the work per KB must stay flat:
the time for 4N is compared with the time for N (the best of three each), allowing a generous factor so a
busy machine cannot make it fail, while a quadratic scan (16x) or worse fails by far.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from revox_mcp.redaction import mask, mask_text, may_hold_secrets, redact, restore_secrets, secrets_in
from revox_mcp.secret_names import credential_item, credential_name, words

_USERINFO = re.compile(r"(?<![A-Za-z0-9+.-])[0-9+.-]*[A-Za-z][A-Za-z0-9+.-]*://([^/?#\s]+)@")
_JSON = re.compile(r'(?<!\\)"([^"\\\n]{1,200})"\s*:\s*"((?:[^"\\]|\\.)*)"')
_AUTHORIZATION = re.compile(
    r"(?<![\w-])(?i:(?:proxy-)?authorization)[ \t]*[:=][ \t]*(?:[A-Za-z][A-Za-z0-9._~+/-]*[ \t]+)?"
    r"""([^\s"',;<>]+)"""
)
_HEADER = r"([A-Za-z0-9][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*)[ \t]*:[ \t]*(?:(?i:bearer|basic|token)[ \t]+)?"
_HEADER_LINE = re.compile(rf"(?m)^[ \t]*{_HEADER}([^\r\n]+)")
_QUOTED_HEADER = re.compile(rf"""["']{_HEADER}([^"'\r\n]+)""")
_QUOTED = re.compile(r"""(?<![\w.-])(["']?)([A-Za-z_][\w.-]{0,199})\1[ \t]*[:=][ \t]*(?:"([^"\r\n]*)"|'([^'\r\n]*)')""")
_XML = re.compile(r"<([A-Za-z_][\w.:-]{0,199})(?:[ \t\r\n][^<>]*)?>([^<]+)</\1[ \t\r\n]*>")
_WEBHOOK = re.compile(
    r"""(?<![\w.-])(?:(?i:hooks\.slack\.com/(?:services|workflows|triggers)/|discord(?:app)?\.com/api/webhooks/)"""
    r"""([^\s?#"'<>]+)|(?i:api\.telegram\.org/(?:file/)?bot)([^\s/?#"'<>]+))"""
)
_NAME_STOPS = set("=&#;?/\"'<>{}")
_VALUE_STOPS = set("&#;?\"'<>")


def reference_params(text: str) -> list[tuple[int, int]]:
    """Each name starts at the text's start or after ? & # ; or a space and runs (1-200 characters, the
    whole run) to an '='; a credential's value runs to & # ; ? a quote < > or a space, and the search goes on
    after it; after another name, right after its '='."""
    spans, pos = [], 0
    while pos < len(text):
        for start in range(pos, len(text)):
            if start == 0 or text[start - 1] in "?&#;" or text[start - 1].isspace():
                end = start
                while end < len(text) and end - start < 200 and not _stops(text[end], _NAME_STOPS):
                    end += 1
                if end > start and text[end : end + 1] == "=":
                    break
        else:
            return spans
        value = pos = end + 1
        if credential_item(text[start:end]):
            while pos < len(text) and not _stops(text[pos], _VALUE_STOPS):
                pos += 1
            if pos > value:
                spans.append((value, pos))
    return spans


def _stops(char: str, stops: set[str]) -> bool:
    return char in stops or char.isspace()


def reference_header(name: str, value: str) -> bool:
    """A hyphenated or underscored name (or Cookie) named like a credential field; a one-word one only before
    a one-word value, and not a word that names settings as often (`Session: 30 minutes`)."""
    if "-" in name or "_" in name or name.lower() == "cookie":
        return credential_name(name)
    settings_words = {"session", "auth", "authentication", "signature", "sig", "bearer"}
    return len(value.split()) <= 1 and credential_name(name) and words(name)[-1] not in settings_words


def reference_headers(text: str) -> list[tuple[int, int]]:
    lines = [*_HEADER_LINE.finditer(text), *_QUOTED_HEADER.finditer(text)]
    return sorted(
        [m.span(1) for m in _AUTHORIZATION.finditer(text)]
        + [
            (m.start(2), m.start(2) + len(m.group(2).rstrip()))
            for m in lines
            if reference_header(m.group(1), m.group(2).rstrip())
        ]
    )


def reference_xml(text: str) -> list[tuple[int, int]]:
    spans = []
    for m in _XML.finditer(text):
        inner = m.group(2)
        if credential_name(m.group(1)) and inner.strip():
            leading = len(inner) - len(inner.lstrip())
            spans.append((m.start(2) + leading, m.start(2) + leading + len(inner.strip())))
    return spans


def reference_parts(text: str) -> list[tuple[int, int]]:
    found = [
        [m.span(1) for m in _USERINFO.finditer(text)],
        [m.span(1) if m.group(1) is not None else m.span(2) for m in _WEBHOOK.finditer(text)],
        reference_params(text),
        [m.span(2) for m in _JSON.finditer(text) if m.group(2) and credential_item(m.group(1))],
        reference_headers(text),
        [
            m.span(3) if m.group(3) is not None else m.span(4)
            for m in _QUOTED.finditer(text)
            if credential_item(m.group(2))
        ],
        reference_xml(text),
    ]
    parts: list[tuple[int, int]] = []
    for spans in found:
        for start, end in spans:
            secret = text[start:end]
            if end <= start or (secret.startswith("{{") and secret.endswith("}}")):
                continue
            if not any(s < end and start < e for s, e in parts):
                parts.append((start, end))
    return sorted(parts)


def reference_mask_text(text: str) -> str:
    out, last = [], 0
    for start, end in reference_parts(text):
        out += [text[last:start], "…" if text[end : end + 1] == "@" else mask(text[start:end])]
        last = end
    return "".join(out) + text[last:]


# Pieces that matter to one pattern or another; texts made of them reach every branch of every pattern.
PIECES = [
    *"aZ09?&=#;@:/\"' \n\t.+-_{}<>\\",
    "://",
    "https://",
    "key",
    "KEY",
    "token",
    "Secret",
    "sig",
    "pwd",
    "pass",
    "passw",
    "auth",
    "api_key",
    "api-key",
    "X-Api-Key",
    "authorization",
    "Authorization: ",
    "Bearer ",
    "Cookie:",
    "session",
    "jsessionid",
    "credential",
    "signature",
    "access_token",
    "next",
    "{{x}}",
    "sk-0123456789abcdef",
    "…",
    "\u017fecret",  # long s
    "tokın",  # dotless i
    "\u212aey",  # Kelvin sign
    "İ",
    "pa",
    "=&",
    "Password",
    "<Password>",
    "</Password>",
    "<a x>",
    "hooks.slack.com/services/",
    "discord.com/api/webhooks/",
    "api.telegram.org/bot",
    "ApiKey ",
    "API_KEY",
    " = ",
    "curl -H ",
]
texts = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)


@settings(max_examples=4000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_the_scan_masks_exactly_what_the_reference_masks(text: str) -> None:
    assert mask_text(text) == reference_mask_text(text)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_a_masked_text_sent_back_restores_the_original(text: str) -> None:
    candidate = {"prompt": mask_text(text)}
    assert restore_secrets(candidate, {"prompt": text}) == []
    assert candidate["prompt"] == text


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("https://x/a#access_token=0123456789abcdef", "https://x/a#access_token=…cdef"),
        ("https://x/b;jsessionid=0123456789abcdef?q=1", "https://x/b;jsessionid=…cdef?q=1"),
        ("https://x/c?jwt=0123456789abcdef", "https://x/c?jwt=…cdef"),
        ("https://x/cb?next=https://y/?token=0123456789abcdef", "https://x/cb?next=https://y/?token=…cdef"),
        ("POST /\nAuthorization: Bearer 0123456789abcdef\n", "POST /\nAuthorization: Bearer …cdef\n"),
        ("curl -H 'authorization: Basic 0123456789abcdef'", "curl -H 'authorization: Basic …cdef'"),
        ("X-Api-Key: sk-0123456789abcdef  \nok", "X-Api-Key: sk-…cdef  \nok"),
        ('{"client_secret": "0123456789abcdef"}', '{"client_secret": "…cdef"}'),
        ("user=bob&password=0123456789abcdef", "user=bob&password=…cdef"),
        ("https://portal.example.com/reset?token=…", "https://portal.example.com/reset?token=…"),
        ("Authorization: Bearer {{token}}", "Authorization: Bearer {{token}}"),
        ("?token_url=https://auth.example/token&max_tokens=5", "?token_url=…oken&max_tokens=5"),
        ("Note: the auth_type is bearer", "Note: the auth_type is bearer"),
        ("https://x/a?%6Bey=0123456789abcdef", "https://x/a?%6Bey=…cdef"),
    ],
)
def test_chosen_shapes_mask_as_documented(text: str, masked: str) -> None:
    assert mask_text(text) == masked == reference_mask_text(text)


SCANS: dict[str, Callable[[str], Any]] = {
    "mask_text": mask_text,
    "redact": lambda text: redact({"prompt": text, "faq_items": [{"answer": text}]}),
    "secrets_in": lambda text: secrets_in({"patch": {"prompt": text}}),
    "may_hold_secrets": lambda text: may_hold_secrets([text]),
}
# The shapes that made the previous patterns quadratic or worse, and their neighbours.
SHAPES = [
    "a",
    "?",
    "?a",
    "&",
    "=",
    "@",
    ":",
    "/",
    '"',
    "'",
    " ",
    "?key",
    "&key=",
    "?=",
    "a://",
    "a:/",
    "a@",
    "a://b",
    "x.y+z-",
    "token",
    '"token',
    '"token" ',
    '"token":',
    '"a\\"',
    "{{",
    "?token=v",
    "https://u:p@h/?key=0123456789abcdef&",
    "#",
    ";",
    ";token=v",
    "?token=",
    "?next=",
    "Authorization: ",
    "authorization",
    "X-Api-Key: v\n",
    "X-Api-Key",
    '"a":"',
    '"token":"\\',
    "<Password>",
    "<a ",
    "</",
    "<a>v</a>",
    "hooks.slack.com/services/",
    "api.telegram.org/bot",
    'a="',
    "'a':'",
    'token="',
    '"X-Api-Key: ',
    "Authorization: ApiKey ",
    "Password: v\n",
]
SMALL, LARGE = 256 * 1024, 1024 * 1024
FLAT = 12  # 4x the input may take at most 12x the time: linear is ~4x, quadratic 16x


def _timed(scan: Callable[[str], Any], text: str) -> float:
    start = time.perf_counter()
    scan(text)
    return time.perf_counter() - start


def _ratio(scan: Callable[[str], Any], unit: str, tail: str = "=") -> float:
    """Time of the LARGE text over time of the SMALL one, each a run of `unit` with `tail` after it: the best
    of three, measured in turns so a busy neighbour slows both sides alike. A ratio over FLAT is measured
    again, twice: noise does not repeat itself three times, a quadratic scan does."""
    small = (unit * (SMALL // len(unit) + 1))[:SMALL] + tail
    large = (unit * (LARGE // len(unit) + 1))[:LARGE] + tail
    ratio = 0.0
    for _ in range(3):
        pairs = [(_timed(scan, small), _timed(scan, large)) for _ in range(3)]
        # A floor of 2 ms on the small side: below it, the timer's noise is what would be compared.
        ratio = min(large for _, large in pairs) / max(min(small for small, _ in pairs), 0.002)
        if ratio < FLAT:
            break
    return ratio


@pytest.mark.parametrize("unit", SHAPES)
def test_masking_a_run_of_one_shape_costs_the_same_per_kb_at_any_size(unit: str) -> None:
    for name, scan in SCANS.items():
        ratio = _ratio(scan, unit)
        assert ratio < FLAT, f"{name} on {unit!r} runs: 4x the text took {ratio:.1f}x the time"


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=6).map("".join), st.sampled_from(["", "=", "@", '"']))
def test_masking_any_repeated_mixture_costs_the_same_per_kb(unit: str, tail: str) -> None:
    ratio = _ratio(mask_text, unit, tail)
    assert ratio < FLAT, f"mask_text on {unit!r} runs: 4x the text took {ratio:.1f}x the time"


def test_the_shape_that_froze_the_server_is_masked_quickly_enough_to_measure() -> None:
    # 20,000 '?' and one '=' took 50 s before; the ratio test above is the guard, this shows the case itself.
    text = "?" * 20_000 + "key=" + "v" * 20
    assert mask_text(text) == "?" * 20_000 + "key=…vvvv"
