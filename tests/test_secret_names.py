"""The one list of credential names (issue 21 item 1): a test per name, as a field, as an extra or unknown
field, as a header, and as a query, fragment or matrix parameter; the settings that share a word are not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from revox_mcp.redaction import mask_text, redact
from revox_mcp.secret_names import (
    CREDENTIAL_ENDINGS,
    CREDENTIAL_HINTS,
    CREDENTIAL_PAIRS,
    CREDENTIAL_WORDS,
    credential_item,
    credential_name,
)

SECRET = "Zx9kQ2mP7vL4tR8wN3cB"
# The names, and the spellings case, separators and spaces make of them.
NAMES = [
    "token", "access_token", "refresh_token", "id_token", "X-Auth-Token", "sessionToken", "secret",
    "client_secret", "client secret", "webhookSecret", "password", "Password", "user_password", "pass",
    "X-Webhook-Pass", "passwd", "pwd", "api_key", "apikey", "APIKEY", "apiKey", "x-api-key", "X-Api-Key ",
    " x_api_key", "auth", "basic_auth", "authorization", "Proxy-Authorization", "jwt", "session", "sessionid",
    "session_id", "jsessionid", "PHPSESSID", "cookie", "Set-Cookie",
    "private key", "private_key", "secret_key", "aws_secret_access_key", "credentials", "passphrase",
]  # fmt: skip
# Settings and names that share a word with a credential but hold none (fields of today's API among them).
NOT_NAMES = ["token_url", "auth_type", "max_tokens", "key", "author", "passenger", "keyword", "monkey",
             "session_timeout", "signal", "tokens_used", "id", "model_name", "pronunciation_id",
             "email_signature", "signature"]  # fmt: skip
# Header and parameter names whose any word is a credential, or that end in "key".
ITEM_ONLY = ["key", "X-Auth-User", "X-Secret-Code", "Ocp-Apim-Subscription-Key", "token_url", "auth_type",
             "signature", "X-Hub-Signature-256", "sig"]  # fmt: skip


@pytest.mark.parametrize("name", NAMES)
def test_a_credential_name_is_a_secret_in_every_place(name: str) -> None:
    assert credential_name(name) and credential_item(name)
    nested = redact({"hubspot": {name: SECRET}, "headers": [{"key": name, "value": SECRET}]})
    assert SECRET not in json.dumps(nested), nested
    for text in (f"https://x.example/a?{name}={SECRET}", f"https://x.example/a#{name}={SECRET}",
                 f"https://x.example/a;{name}={SECRET}", f"https://x.example/a?q=1&{name}={SECRET}",
                 f'{{"{name}": "{SECRET}"}}'):  # fmt: skip
        if name.strip() == name and " " not in name:  # a space ends a parameter's name in a URL
            assert SECRET not in mask_text(text), text


@pytest.mark.parametrize("name", NOT_NAMES)
def test_a_setting_sharing_a_word_is_not_a_secret_field(name: str) -> None:
    assert not credential_name(name)
    assert redact({"extra": {name: "visible-value"}}) == {"extra": {name: "visible-value"}}


@pytest.mark.parametrize("name", ITEM_ONLY)
def test_a_header_or_parameter_named_with_a_credential_word_is_a_secret(name: str) -> None:
    assert credential_item(name)
    assert SECRET not in json.dumps(redact({"headers": [{"key": name, "value": SECRET}]}))


def test_every_name_the_rules_accept_holds_a_hint() -> None:
    """The quick test before a name is split must never turn one away."""
    pieces = [*CREDENTIAL_WORDS, *CREDENTIAL_ENDINGS, *("".join(p) for p in CREDENTIAL_PAIRS)]
    assert all(any(h in p for h in CREDENTIAL_HINTS) for p in pieces), [
        p for p in pieces if not any(h in p for h in CREDENTIAL_HINTS)
    ]


def test_no_field_of_the_published_schemas_but_the_llm_key_is_a_credential() -> None:
    names: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            names.update(node.get("properties", {}) if isinstance(node.get("properties"), dict) else ())
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in Path("tool_schemas").glob("*.json"):
        walk(json.loads(path.read_text()))
    assert sorted(n for n in names if credential_name(n)) == ["api_key"]
