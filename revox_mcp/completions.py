"""completion/complete: suggestions while a person fills in a prompt argument or a resource-template variable.

Assistant ids (tune_assistant's assistant_id, revox://assistants/{id}) match on the id or the name,
case-insensitively, best first (prefix before substring, id before name), from a list of assistants
fetched at most once per ASSISTANT_TTL_S: a person types a few characters in a row, and each keystroke
must not cost an API request. Tool names complete revox://schemas/{tool}. At most 100 values (the
protocol's cap) with `total` and `hasMore`. A reference this server does not have gets no values rather
than an error: a client may ask about anything it was shown, and an empty list is the honest answer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

import anyio
import mcp_types as types

from revox_mcp.client import RevoxClient
from revox_mcp.errors import RevoxMcpError

logger = logging.getLogger(__name__)

MAX_VALUES = 100
ASSISTANT_TTL_S = 30.0
ASSISTANT_PROMPT_ARGUMENTS = {("tune_assistant", "assistant_id"), ("auto_tune_assistant", "assistant_id")}


class AssistantDirectory:
    """The organization's assistants as (id, name), fetched at most once per `ttl_s`."""

    def __init__(
        self, client: RevoxClient, ttl_s: float = ASSISTANT_TTL_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._client = client
        self._ttl_s = ttl_s
        self._clock = clock
        self._entries: list[tuple[str, str]] | None = None
        self._fetched_at = 0.0
        self._lock = anyio.Lock()  # concurrent keystrokes share one fetch

    async def entries(self) -> list[tuple[str, str]]:
        async with self._lock:
            if self._entries is None or self._clock() - self._fetched_at >= self._ttl_s:
                assistants = await self._client.list_assistants()
                self._entries = [(str(a.get("id")), str(a.get("name") or "")) for a in assistants]
                self._fetched_at = self._clock()
            return self._entries


def ranked(value: str, candidates: Iterable[tuple[str, str]]) -> list[str]:
    """The ids whose id or name contains `value` (case-insensitive): id prefix, name prefix, then the rest."""
    needle = value.casefold()
    scored = []
    for order, (ident, name) in enumerate(candidates):
        ident_cf, name_cf = ident.casefold(), name.casefold()
        if ident_cf.startswith(needle):
            rank = 0
        elif name_cf.startswith(needle):
            rank = 1
        elif needle in ident_cf or needle in name_cf:
            rank = 2
        else:
            continue
        scored.append((rank, order, ident))
    return [ident for _, _, ident in sorted(scored)]


def capped(values: list[str]) -> types.CompleteResult:
    return types.CompleteResult(
        completion=types.Completion(values=values[:MAX_VALUES], total=len(values), has_more=len(values) > MAX_VALUES)
    )


class Completer:
    """Answers completion/complete for this server's prompt and resource-template arguments."""

    def __init__(self, directory: AssistantDirectory, tool_names: Iterable[str], assistant_uri: str, schema_uri: str):
        self._directory = directory
        self._tools = [(name, "") for name in tool_names]
        self._assistant_uri = assistant_uri
        self._schema_uri = schema_uri

    async def complete(self, params: types.CompleteRequestParams) -> types.CompleteResult:
        ref, argument = params.ref, params.argument
        if isinstance(ref, types.PromptReference) and (ref.name, argument.name) in ASSISTANT_PROMPT_ARGUMENTS:
            return capped(await self._assistants(argument.value))
        if isinstance(ref, types.ResourceTemplateReference):
            if (ref.uri, argument.name) == (self._assistant_uri, "id"):
                return capped(await self._assistants(argument.value))
            if (ref.uri, argument.name) == (self._schema_uri, "tool"):
                return capped(ranked(argument.value, self._tools))
        return capped([])

    async def _assistants(self, value: str) -> list[str]:
        try:
            return ranked(value, await self._directory.entries())
        except RevoxMcpError as exc:
            # A suggestion list is a convenience: say why it is empty, in the log the client can read.
            logger.warning("no assistant suggestions: %s", exc)
            return []
