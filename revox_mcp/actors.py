"""People behind an HTTP server's tokens: one token per person, so the journal can say who changed what.

A tokens file (`serve --tokens FILE`, or REVOX_MCP_TOKENS_FILE) has one person per line: a name, their
token, and optionally `read-only` (an auditor who may read but not write). `#` at the start of a line or
after a space starts a comment (inside a token it is part of the token). A bad line stops the server at
start with one line naming it; a file others may read is warned about at start.
"""

from __future__ import annotations

import functools
import getpass
import hmac
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from revox_mcp.errors import ConfigError

TOKENS_FILE_ENV = "REVOX_MCP_TOKENS_FILE"
MIN_TOKEN_CHARS = 32
_NAME = re.compile(r"^[A-Za-z0-9_.@+-]{1,64}$")
# A comment: '#' at the start of the line or after whitespace, to the end of the line.
_COMMENT = re.compile(r"(?:^|\s)#.*$")


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
        words = _COMMENT.sub("", line).split()
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


def exposure_warning(path: Path) -> str | None:
    """A warning when people other than the owner may read the tokens file (as ssh warns of a key file)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        return (
            f"warning: the tokens file {path} can be read by others (mode {stat.S_IMODE(mode):o}); "
            f"run chmod 600 {path}."
        )
    return None


def actor_for(presented: bytes, actors: tuple[Actor, ...]) -> Actor | None:
    """The actor whose token was presented; every token is compared, in constant time each."""
    found = None
    for actor in actors:
        if hmac.compare_digest(presented, actor.token.encode()):
            found = actor
    return found


@functools.cache
def local_actor() -> str:
    """Who a server not on HTTP (stdio) acts for: the local user it runs as, or "local" where none is known."""
    try:
        name = getpass.getuser()
    except (OSError, KeyError, ImportError):
        return "local"
    return name[:64] if name else "local"
