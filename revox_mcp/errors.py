"""The exceptions revox-mcp raises, each mapped by the tool layer to an error result an agent can act on.

RevoxMcpError
├── ConfigError            no API key configured (raised before any request)
├── PatchInvalid           tool input failed local validation; carries every Problem found
└── ApiError               the Revox API (or the way to it) failed; `status` is the HTTP code or None
    ├── AuthFailed         401/403: key missing or refused
    ├── AssistantNotFound  404: no assistant with that id
    ├── ApiRejected        400/422: the API refused the body; `field` when its message names one
    ├── RateLimited        429 still returned after every retry
    ├── ServerFault        5xx still returned after every retry (or another unexpected status)
    ├── ApiUnreachable     connection failed on every attempt; nothing reached the API
    └── ApiTimeout         no answer in time after the request was sent: a write may or may not have applied
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with tool input: where, what was sent, what is allowed, what to do."""

    path: str
    value: str
    allowed: str
    hint: str = ""

    def render(self) -> str:
        text = f"- {self.path}: got {self.value}; allowed: {self.allowed}."
        return f"{text} {self.hint}" if self.hint else text


class RevoxMcpError(Exception):
    """Base of everything revox-mcp raises on purpose."""


class ConfigError(RevoxMcpError):
    pass


class PatchInvalid(RevoxMcpError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the tool input")


class StaleVersion(RevoxMcpError):
    pass


class ChangeNotFound(RevoxMcpError):
    pass


class RevertRefused(RevoxMcpError):
    pass


class ApiError(RevoxMcpError):
    def __init__(self, message: str, *, status: int | None = None, field: str | None = None) -> None:
        self.message = message
        self.status = status
        self.field = field
        super().__init__(message)


class AuthFailed(ApiError):
    pass


class AssistantNotFound(ApiError):
    pass


class ApiRejected(ApiError):
    pass


class RateLimited(ApiError):
    pass


class ServerFault(ApiError):
    pass


class ApiUnreachable(ApiError):
    pass


class ApiTimeout(ApiError):
    pass
