"""People behind an HTTP server's tokens: one token per person, so the journal can say who changed what.

A tokens file (`serve --tokens FILE`, or REVOX_MCP_TOKENS_FILE) has one person per line: a name, their
token, and optionally `read-only` (an auditor who may read but not write). `#` starts a comment. A bad
line stops the server at start with one line naming it.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from pathlib import Path

from revox_mcp.errors import ConfigError

TOKENS_FILE_ENV = "REVOX_MCP_TOKENS_FILE"
MIN_TOKEN_CHARS = 32
_NAME = re.compile(r"^[A-Za-z0-9_.@+-]{1,64}$")


@dataclass(frozen=True)
class Actor:
    name: str
    token: str
    read_only: bool = False


def load_tokens(path: Path) -> tuple[Actor, ...]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"Cannot read the tokens file {path}: {exc.strerror or exc}") from None
    actors: list[Actor] = []
    for number, line in enumerate(lines, 1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        where = f"tokens file {path}, line {number}"
        if len(words) not in (2, 3) or (len(words) == 3 and words[2] != "read-only"):
            raise ConfigError(f"{where}: write 'name token' or 'name token read-only'.")
        name, token = words[0], words[1]
        if not _NAME.match(name):
            raise ConfigError(f"{where}: the name may hold letters, digits and . _ @ + - (at most 64).")
        if len(token) < MIN_TOKEN_CHARS:
            raise ConfigError(f"{where}: the token is {len(token)} characters; use at least {MIN_TOKEN_CHARS}.")
        if any(a.name == name for a in actors) or any(a.token == token for a in actors):
            raise ConfigError(f"{where}: the name or the token is already used on an earlier line.")
        actors.append(Actor(name, token, read_only=len(words) == 3))
    if not actors:
        raise ConfigError(f"The tokens file {path} names nobody: add a line 'name token'.")
    return tuple(actors)


def actor_for(presented: bytes, actors: tuple[Actor, ...]) -> Actor | None:
    """The actor whose token was presented; every token is compared, in constant time each."""
    found = None
    for actor in actors:
        if hmac.compare_digest(presented, actor.token.encode()):
            found = actor
    return found
