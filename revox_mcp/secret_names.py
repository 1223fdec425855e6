"""The one list of names that say "credential": a field, an extra field, a header, a query, fragment or
matrix parameter, or a JSON key inside a text, whose name is on it holds a secret.

A name is read as words: case, separators (`-`, `_`, `.`, spaces, anything not a letter or digit), camel
case and trailing numbers are ignored (`X-Api-Key `, `apiKey`, `API_KEY`, `x-hub-signature-256`). Two
strictnesses, because the same word means different things in two places:
- a field name (`credential_name`) is a secret when it ends in a credential (`access_token`, `password`,
  `client_secret`, `private_key`, `session_id`): `token_url`, `auth_type` and `max_tokens` are settings;
- the name of a header or a parameter (`credential_item`) is one when any of its words is a credential
  (`X-Auth-User`, `X-Secret-Code`) or it ends in `key` (`?key=`, `Ocp-Apim-Subscription-Key`; a
  hyphenated header in a plural too, `X-Api-Keys`): a header's purpose is the request's authentication
  far more often than a field's.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import unquote

# Whole words (after splitting) that name a credential on their own.
CREDENTIAL_WORDS = frozenset(
    {
        "token",
        "secret",
        "password",
        "passwd",
        "pwd",
        "pass",
        "passphrase",
        "auth",
        "authorization",
        "authentication",
        "jwt",
        "session",
        "sessionid",
        "sessid",
        "jsessionid",
        "phpsessid",
        "cookie",
        "signature",
        "sig",
        "credential",
        "credentials",
        "apikey",
        "bearer",
    }
)
# Ends of a name read without separators (`xapikey`, `accesstoken`, `webhooksecret`).
CREDENTIAL_ENDINGS = (
    "token",
    "secret",
    "password",
    "passwd",
    "passphrase",
    "apikey",
    "authkey",
    "passkey",
    "appkey",
    "userkey",
    "writekey",
    "licensekey",
    "masterkey",
    "hmackey",
    "subscriptionkey",
    "privatekey",
    "secretkey",
    "accesskey",
    "signingkey",
    "sessionid",
    "sessid",
    "credential",
    "credentials",
    "cookie",
    "jwt",
    "oauth",
)
# Two words that make a credential together, whatever the single words mean (`private key`, `session id`).
CREDENTIAL_PAIRS = frozenset(
    {
        ("api", "key"),
        ("auth", "key"),
        ("write", "key"),
        ("subscription", "key"),
        ("license", "key"),
        ("master", "key"),
        ("hmac", "key"),
        ("app", "key"),
        ("user", "key"),
        ("private", "key"),
        ("secret", "key"),
        ("access", "key"),
        ("signing", "key"),
        ("encryption", "key"),
        ("session", "id"),
        ("client", "secret"),
    }
)
# The shortest substrings one of the names above holds (a quick test before the words are split).
CREDENTIAL_HINTS = (
    "tok", "secret", "pass", "pwd", "auth", "jwt", "sess", "cookie", "sig", "credential", "key", "bearer"
)  # fmt: skip

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def words(name: str) -> tuple[str, ...]:
    """The name's words, lowered, trailing numbers left out: `X-Hub-Signature-256` -> (x, hub, signature). A
    percent-encoded name is read decoded (`api%5Fkey`)."""
    plain = unquote(name) if "%" in name else name
    found = [w.lower() for w in _WORD.findall(plain.replace("\u017f", "s").replace("\u212a", "K"))]
    while found and found[-1].isdigit():
        found.pop()
    return tuple(found)


@functools.lru_cache(maxsize=4096)
def credential_name(name: str) -> bool:
    """Whether a field (a JSON key) with this name holds a credential: it ends in one."""
    if len(name) > 200 or not mentions_credential(name):
        return False
    found = words(name)
    if not found:
        return False
    squashed = "".join(found)
    if found[-1] in _ITEM_ONLY_WORDS:
        return False
    return (
        found[-1] in CREDENTIAL_WORDS
        or squashed.endswith(CREDENTIAL_ENDINGS)
        or (len(found) > 1 and (found[-2], found[-1]) in CREDENTIAL_PAIRS)
    )


@functools.lru_cache(maxsize=4096)
def credential_item(name: str) -> bool:
    """Whether a header or a parameter with this name carries a credential: any word is one, or it ends
    in `key`."""
    if len(name) > 200 or not mentions_credential(name):
        return False
    found = words(name)
    return bool(found) and (
        credential_name(name)
        or found[-1] == "key"
        or any(w in CREDENTIAL_WORDS for w in found)
        or ("-" in name and found[-1] in _HEADER_PLURALS)
    )


# Words that say credential for a header or a parameter (`X-Signature`, `?sig=`) but not for a field, where
# they are as likely settings (an email `signature`).
_ITEM_ONLY_WORDS = frozenset({"signature", "sig"})
# A header may end in a plural (`X-Api-Keys`, `X-Access-Tokens`); a parameter so named is a count
# (`max_tokens`).
_HEADER_PLURALS = frozenset({"keys", "tokens", "secrets", "passwords", "cookies", "signatures"})


def mentions_credential(text: str) -> bool:
    """The quick test before a name is split or a text scanned: a hint of a credential name in it, read
    without case and percent-decoded (`%6Bey` is `key`). False only when no name in it can be a credential."""
    lowered = (unquote(text) if "%" in text else text).lower().replace("\u017f", "s").replace("\u212a", "k")
    return any(hint in lowered for hint in CREDENTIAL_HINTS)
