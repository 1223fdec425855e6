"""The exceptions revox-mcp raises. Each renders its own advice for the agent (`advice`): what went wrong
and what to do next. The server only formats it; it knows no error by type.

RevoxMcpError
├── ConfigError            no API key configured (raised before any request)
├── PatchInvalid           tool input failed local validation; carries every Problem found
├── StaleVersion           expected_updated_at no longer matches: nothing was written
├── RevertRefused          a revert that would undo later changes, or has nothing to undo
└── ApiError               the Revox API (or the way to it) failed; `status` is the HTTP code or None
    ├── AuthFailed         401: key missing or refused
    ├── PermissionDenied   403: the key is valid, the action is not allowed (a plan limit, a permission)
    ├── NotFound           404, or no such change in the journal: `kind` ("assistant", "call", "change", …) and `id`
    ├── ApiRejected        400/422: the API refused the body; `field` when its message names one
    ├── RateLimited        429 still returned after every retry
    ├── ServerFault        5xx still returned after every retry (or another unexpected status)
    ├── ApiUnreachable     connection failed on every attempt; nothing reached the API
    ├── ApiTimeout         no answer in time after the request was sent: a write may or may not have applied
    ├── NotCarriedOut      the API answered a write with {success: false}: not carried out, nothing changed
    ├── NotLanded          a write failed without a decisive answer, and a re-read after its grace shows
    │                      it did not land: nothing changed
    ├── IncompleteRead     the API's answer lacks what a change needs (a field it merges into or edits):
    │                      nothing was sent
    └── WriteUndecided     a write sent without a decisive answer that may still land (or an earlier one
                           that blocks this write): do not send it again until it is decided
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from revox_mcp.config import API_KEY_ENV


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

    def advice(self, tool: str, *, writes: bool) -> str:
        """What went wrong and what the agent should do next, for a call of `tool`. A read tool's errors
        (`writes` false) never talk of writing: there was nothing to write."""
        return str(self)


def _unchanged(writes: bool) -> str:
    return " Nothing was changed." if writes else ""


class ConfigError(RevoxMcpError):
    def advice(self, tool: str, *, writes: bool) -> str:
        return f"{self} Set {API_KEY_ENV} in this server's environment, or start it with --sandbox to try it locally."


class PatchInvalid(RevoxMcpError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the tool input")

    def advice(self, tool: str, *, writes: bool) -> str:
        count = len(self.problems)
        head = (
            f"{tool} changed nothing: {count} problem(s) found, nothing was written."
            if writes
            else f"{tool} could not run: {count} problem(s) in the arguments."
        )
        tail = "Fix every listed item and call again."
        if any(p.path.startswith("edits[") for p in self.problems):
            tail += (
                " Edits apply in order, all or nothing: read the current value with get_assistant (fields=[...]) "
                "and copy keys and passages exactly."
            )
        nested = list(dict.fromkeys(_field(p.path) for p in self.problems if _nested(p.path)))
        if writes and nested:
            where = ", ".join(f"revox://schemas/{tool}/{f}" for f in nested[:3])
            tail += f" Nested keys and their rules: the resource {where} (all: revox://schemas/{tool})."
        return "\n".join([head, *(p.render() for p in self.problems), tail])


def _field(path: str) -> str:
    """The field a problem's path is about: `voice` for patch.voice.speed, `edits` for edits[0].item."""
    head, _, rest = path.partition(".")
    name = rest if head == "patch" else path
    return re.split(r"[.\[]", name, maxsplit=1)[0]


def _nested(path: str) -> bool:
    """A problem about a key inside a field (patch.voice.speed), not the field itself (patch.name)."""
    return any(mark in path.partition(".")[2] for mark in (".", "["))


class StaleVersion(RevoxMcpError):
    pass


class RevertRefused(RevoxMcpError):
    pass


class ApiError(RevoxMcpError):
    # What the API's answer said about sending the request again: Retry-After (seconds) and x-should-retry.
    retry_after: float | None = None
    should_retry: bool | None = None

    def __init__(self, message: str, *, status: int | None = None, field: str | None = None) -> None:
        self.message = message
        self.status = status
        self.field = field
        super().__init__(message)


class AuthFailed(ApiError):
    def advice(self, tool: str, *, writes: bool) -> str:
        return f"{self}{_unchanged(writes)}"


class PermissionDenied(ApiError):
    def advice(self, tool: str, *, writes: bool) -> str:
        return (
            f"{self}{_unchanged(writes)} The API key was accepted, so checking it will not help, and neither will "
            "calling again: ask an administrator of the Revox organization (plan or permissions)."
        )


class NotFound(ApiError):
    """Nothing of `kind` with `id`: the API answered 404 for it, or (a change) the journal holds none.
    `change_id`: the assistant was known only as the one a journalled change was made to."""

    def __init__(
        self, kind: str, id: str | None, message: str, *, status: int | None = None, change_id: str | None = None
    ) -> None:
        super().__init__(message, status=status)
        self.kind = kind
        self.id = id
        self.change_id = change_id

    def advice(self, tool: str, *, writes: bool) -> str:
        if self.kind == "call":
            return f"No call with id '{self.id}'. Find call ids with search_calls."
        if self.kind == "assistant":
            which = "that this change was made to (was it deleted?)" if self.change_id else f"with id '{self.id}'"
            return (
                f"No assistant {which} in this organization.{_unchanged(writes)} Check the id "
                "(list_assistants shows them all) and confirm it with get_assistant."
            )
        if self.kind == "change":
            return str(self)
        return f"{self}{_unchanged(writes)}"


class ApiRejected(ApiError):
    def advice(self, tool: str, *, writes: bool) -> str:
        where = f" The field at fault: patch.{self.field}." if self.field and writes else ""
        rejected = f"The Revox API rejected the request ({self.status}): {self.message}."
        return f"{rejected}{where}{_unchanged(writes)} Fix it and call again."


class RateLimited(ApiError):
    def advice(self, tool: str, *, writes: bool) -> str:
        return f"{self}{_unchanged(writes)} Wait a minute, then call again."


class ServerFault(ApiError):
    # The request that failed was a read (GET): a write tool reads before it sends, so nothing was sent.
    read: bool = False

    def advice(self, tool: str, *, writes: bool) -> str:
        if writes and self.read:
            return f"{self} It failed on a read, before anything was sent: nothing was changed. Try again shortly."
        if not writes:
            return f"{self} Try again shortly."
        return (
            f"{self} The change was not confirmed. Call get_assistant to see whether it was applied, "
            "then retry if needed."
        )


# Their messages already say whether anything may have been applied.
class ApiUnreachable(ApiError):
    pass


class ApiTimeout(ApiError):
    pass


class NotLanded(ApiError):
    pass


class NotCarriedOut(ApiError):
    pass


class IncompleteRead(ApiError):
    def advice(self, tool: str, *, writes: bool) -> str:
        return f"{self}{_unchanged(writes)}"


class WriteUndecided(ApiError):
    """Its message says when the outcome can be known and what to do meanwhile."""

    def __init__(self, message: str, *, status: int | None = None, change_id: str | None = None) -> None:
        super().__init__(message, status=status)
        self.change_id = change_id
