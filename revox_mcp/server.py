"""The MCP server: tools/list publishes each tool's schema exactly; tools/call validates, calls, answers.

Built on the SDK's low-level `Server` because it publishes the schema we give it byte for byte
(the high-level MCPServer derives its own from signatures). Every failure of a call becomes a tool result
with `isError` and advice; a tool or resource that is not here is a protocol error (-32602) with advice. No
traceback and no API key ever reaches the client.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import mcp_types as types
from mcp.server import Server
from mcp.server.context import ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS

from revox_mcp import __version__, client_logs
from revox_mcp.actors import Actor, local_actor
from revox_mcp.answer_bounds import nearest, within_ceiling
from revox_mcp.bounds import measure
from revox_mcp.catalog import Catalog
from revox_mcp.client import RevoxClient
from revox_mcp.completions import AssistantDirectory, Completer
from revox_mcp.config import LARGE_SCAN_CHARS, MAX_SECRETS_BY_VALUE, Settings
from revox_mcp.errors import RevoxMcpError
from revox_mcp.journal import open_journal
from revox_mcp.messages import shorten
from revox_mcp.policy import Policy
from revox_mcp.progress import Progress, no_progress
from revox_mcp.prompts import PROMPTS, offered_prompts
from revox_mcp.redaction import redact, scrub, scrub_json, secrets_in
from revox_mcp.tool_models import ASSISTANT_ID_PATTERN
from revox_mcp.tools import PublishedTool, ToolContext, field_schema, publish, tool_schemas, why_not_offered
from revox_mcp.tools.base import ToolAnswer
from revox_mcp.writer import AssistantWriter

if TYPE_CHECKING:
    from revox_mcp.stdio_transport import StdioLimits

logger = logging.getLogger(__name__)
_T = TypeVar("_T")

SERVER_NAME = "revox-mcp"
INSTRUCTIONS = (
    "Read and change Revox voice assistants (AI agents on real phone calls). Read with get_assistant before "
    "you update, change only what was asked, prefer edits over resending long texts or lists, preview risky "
    "changes with dry_run, and pass expected_updated_at. Every change is journalled; revert_change undoes one."
)


@dataclass
class ServerState:
    """What the server holds for its lifetime: its settings, the context every tool call gets (the API client,
    the writer, the journal, the catalog, the policy), and the completer."""

    settings: Settings
    context: ToolContext
    completer: Completer


ASSISTANT_URI = "revox://assistants/{id}"
SCHEMA_URI = "revox://schemas/{tool}"
FIELD_SCHEMA_URI = "revox://schemas/{tool}/{field}"


def build_server(settings: Settings, policy: Policy | None = None, profile: str = "portable") -> Server[ServerState]:
    return RevoxServer(settings, policy or Policy(), profile).build()


class RevoxServer:
    """What one server publishes (the tools its policy offers, in its schema profile) and its handlers, each
    bound to it; the handlers that need nothing of it are functions below."""

    def __init__(self, settings: Settings, policy: Policy, profile: str) -> None:
        self.settings = settings
        self.policy = policy
        self.tools = publish(policy, profile)
        self.tool_list = types.ListToolsResult(tools=[tool.to_mcp() for tool in self.tools.values()])
        self.prompts = offered_prompts(set(self.tools))

    def build(self) -> Server[ServerState]:
        server = Server(
            SERVER_NAME,
            version=__version__,
            instructions=INSTRUCTIONS,
            lifespan=self.lifespan,
            on_list_tools=self.on_list_tools,
            on_call_tool=self.on_call_tool,
            on_list_resources=self.on_list_resources,
            on_list_resource_templates=on_list_resource_templates,
            on_read_resource=self.on_read_resource,
            on_list_prompts=self.on_list_prompts,
            on_get_prompt=self.on_get_prompt,
            on_completion=on_completion,
        )
        # Registered directly: the constructor's on_set_logging_level warns that 2026-07-28 replaced it with a
        # per-request level, which client_logs honours too; handshake-era clients (most today) still send it.
        server.add_request_handler("logging/setLevel", types.SetLevelRequestParams, client_logs.set_level)
        client_logs.install()
        server.middleware.append(client_logs.LogForwarding(self.settings.api_key))
        return server

    @asynccontextmanager
    async def lifespan(self, _: Server[ServerState]) -> AsyncIterator[ServerState]:
        settings, policy, tools = self.settings, self.policy, self.tools
        journal = await open_journal(settings)
        try:
            async with RevoxClient(settings) as client:
                catalog = Catalog(client, settings.catalog_ttl_s)
                writer = AssistantWriter(client, journal, policy, catalog)
                await _settle_left_pending(writer)
                context = ToolContext(
                    client=client, writer=writer, journal=journal, catalog=catalog, policy=policy,
                    max_answer_bytes=settings.max_answer_bytes,
                )  # fmt: skip
                completer = Completer(AssistantDirectory(client), tools, ASSISTANT_URI, SCHEMA_URI)
                yield ServerState(settings=settings, context=context, completer=completer)
        finally:
            await journal.aclose()

    async def on_list_tools(
        self, ctx: ServerRequestContext[ServerState], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return self.tool_list

    async def on_call_tool(
        self, ctx: ServerRequestContext[ServerState], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        tool = self.tools.get(params.name)
        if tool is None:
            raise MCPError(INVALID_PARAMS, unknown_tool(params.name, self.tools, self.policy))
        actor = _actor(ctx)
        if actor is not None and actor.read_only and not tool.spec.read_only:
            return _error_result(
                f"{params.name} is not for {actor.name}: their token is read-only (the operator's tokens file). "
                "Read tools work."
            )
        # Over HTTP the token's person (None with the shared token); otherwise the local user the server runs as.
        name = actor.name if actor is not None else (None if ctx.request is not None else local_actor())
        result = await call_tool(tool, params.arguments or {}, ctx.lifespan_context, ctx.session.report_progress, name)
        return await within_ceiling(result, ctx.lifespan_context.settings.max_answer_bytes, tool.spec.read_on)

    async def on_list_prompts(
        self, ctx: ServerRequestContext[ServerState], params: types.PaginatedRequestParams | None
    ) -> types.ListPromptsResult:
        return types.ListPromptsResult(prompts=[PROMPTS[name][0] for name in self.prompts])

    async def on_get_prompt(
        self, ctx: ServerRequestContext[ServerState], params: types.GetPromptRequestParams
    ) -> types.GetPromptResult:
        if params.name not in self.prompts:
            offered = ", ".join(self.prompts) or "none on this server (it does not offer the tools they use)"
            raise MCPError(INVALID_PARAMS, f"Unknown prompt {params.name!r}. Prompts: {offered}.")
        try:
            return PROMPTS[params.name][1](params.arguments)
        except ValueError as exc:
            raise MCPError(INVALID_PARAMS, str(exc)) from None

    async def on_list_resources(
        self, ctx: ServerRequestContext[ServerState], params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        return types.ListResourcesResult(
            resources=[
                types.Resource(
                    name=f"{name} schemas",
                    uri=SCHEMA_URI.format(tool=name),
                    description=f"Published input and output JSON schemas of the {name} tool.",
                    mime_type="application/json",
                )
                for name in self.tools
            ]
        )

    async def on_read_resource(
        self, ctx: ServerRequestContext[ServerState], params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        uri = str(params.uri)
        try:
            text = await read_resource(uri, ctx.lifespan_context, self.tools)
        except MCPError as exc:
            # The URI asked for, in `data.uri` (2025-11-25, resources: error handling), so a client can tell
            # which read failed; masked like any text we send (a URL's userinfo or token parameter).
            raise MCPError(exc.code, exc.message, {"uri": scrub(uri, secrets_in(uri))}) from None
        return types.ReadResourceResult(
            contents=[types.TextResourceContents(uri=str(params.uri), mime_type="application/json", text=text)]
        )


async def on_list_resource_templates(
    ctx: ServerRequestContext[ServerState], params: types.PaginatedRequestParams | None
) -> types.ListResourceTemplatesResult:
    return types.ListResourceTemplatesResult(
        resource_templates=[
            types.ResourceTemplate(
                name="assistant",
                uri_template=ASSISTANT_URI,
                description="A voice assistant's whole configuration, as JSON (same as get_assistant).",
                mime_type="application/json",
            ),
            types.ResourceTemplate(
                name="tool schemas",
                uri_template=SCHEMA_URI,
                description="A tool's published input and output JSON schemas.",
                mime_type="application/json",
            ),
            types.ResourceTemplate(
                name="field schema",
                uri_template=FIELD_SCHEMA_URI,
                description="One field's detailed schema (update_assistant: a patch field, e.g. voice): every "
                "nested key with its rules.",
                mime_type="application/json",
            ),
        ]
    )


async def on_completion(
    ctx: ServerRequestContext[ServerState], params: types.CompleteRequestParams
) -> types.CompleteResult:
    return await ctx.lifespan_context.completer.complete(params)


def unknown_tool(name: str, tools: dict[str, PublishedTool], policy: Policy) -> str:
    """Why a tools/call names no tool offered here (a protocol error, -32602, as the 2025-11-25 spec says): the
    name, the nearest offered names, and all of them; for a tool of ours the policy leaves out, why."""
    reason = why_not_offered(name, policy)
    if reason is not None:
        return f"{name} is disabled: {reason}. Tools here: {', '.join(tools)}."
    near = nearest(name, tools, 2)
    hint = f" Did you mean {' or '.join(near)}?" if near else ""
    return f"Unknown tool {shorten(name)}.{hint} Tools here: {', '.join(tools)}."


async def read_resource(uri: str, state: ServerState, tools: dict[str, PublishedTool]) -> str:
    """The JSON text of a resource; an unknown URI or a failed read is a protocol error with advice."""
    kind, _, name = uri.removeprefix("revox://").partition("/")
    if uri.startswith("revox://") and kind == "schemas" and name in tools:
        return tool_schemas(tools[name])
    tool, _, field = name.partition("/")
    if uri.startswith("revox://") and kind == "schemas" and tool in tools and field:
        found = field_schema(tools[tool], field)
        if found is not None:
            return found
        raise MCPError(INVALID_PARAMS, f"{tool} has no field {field!r}. {SCHEMA_URI.format(tool=tool)} has them all.")
    if uri.startswith("revox://") and kind == "assistants" and re.fullmatch(ASSISTANT_ID_PATTERN, name):
        try:
            assistant = await state.context.client.get_assistant(name)
        except RevoxMcpError as exc:
            # As get_assistant would answer; the key is masked whatever path the message took.
            text = scrub(exc.advice("get_assistant", writes=False), {state.settings.api_key})
            raise MCPError(INVALID_PARAMS, text) from None
        # The whole assistant (megabytes on a large one): masked and encoded off the event loop.
        return await anyio.to_thread.run_sync(lambda: json.dumps(redact(assistant), ensure_ascii=False))
    raise MCPError(
        INVALID_PARAMS,
        f"Unknown resource {shorten(uri)}. Readable: {ASSISTANT_URI}, {SCHEMA_URI} and {FIELD_SCHEMA_URI} with tool "
        f"one of {', '.join(tools)}.",
    )


async def call_tool(
    tool: PublishedTool,
    arguments: dict[str, Any],
    state: ServerState,
    progress: Progress = no_progress,
    actor: str | None = None,
) -> types.CallToolResult:
    name = tool.spec.name
    try:
        # The strict profile's call read as the default's (a walk that copies, never scans a string): what is
        # bounded, logged and checked below is then the same in every profile.
        arguments = tool.arguments(arguments)
    except RevoxMcpError as exc:
        return _error_result(scrub(exc.advice(name, writes=not tool.spec.read_only), {state.settings.api_key}))
    # Before any other work (masking, logging, validation): no string of any size reaches a scan or the log.
    measured = measure(arguments, tool.spec.detailed_schema)
    if measured.oversized is not None:
        logger.info("%s refused: an argument over its length bound", name)
        return _error_result(measured.oversized.message(name))
    # Secrets the agent sent (a custom LLM key) are masked in anything we say, whatever path they took. A
    # large text is scanned off the event loop, so other sessions are served meanwhile.
    found = await _maybe_off_loop(measured.chars > LARGE_SCAN_CHARS, secrets_in, arguments)
    if len(found) > MAX_SECRETS_BY_VALUE:
        return _error_result(
            f"{name} refused: the arguments hold {len(found):,} distinct credentials (URL userinfo, keys, tokens); "
            f"at most {MAX_SECRETS_BY_VALUE} are accepted in one call, as each is masked in everything said "
            "back. Nothing was done. Send fewer at once."
        )
    secrets = {state.settings.api_key, *found}
    logger.debug("%s called with %s", name, _Shortened(arguments))
    try:
        args = tool.validator.validate(arguments)
        context = (
            dataclasses.replace(state.context, progress=progress, actor=actor)
            if progress is not no_progress or actor is not None
            else state.context
        )
        answer = await tool.spec.handler(context, args)
    except RevoxMcpError as exc:
        text = scrub(exc.advice(name, writes=not tool.spec.read_only), secrets)
        logger.info("%s refused (%s): %s", name, type(exc).__name__, text.splitlines()[0])
        return _error_result(text)
    except Exception as exc:
        # The client gets no traceback; the operator's log gets the message (secrets masked), and the
        # traceback only at DEBUG.
        logger.error("tool %s failed unexpectedly: %s", name, scrub(repr(exc), secrets))
        logger.debug("traceback of the failure above", exc_info=True)
        return _error_result(
            f"{name} failed inside revox-mcp ({type(exc).__name__}); the server log has details. "
            "Call get_assistant to see the current state before trying again."
        )
    logger.info("%s: %s", name, scrub(answer.summary.splitlines()[0], secrets))
    known = frozenset(s for s in secrets if s)
    if _small(answer.structured):  # most answers (a write's is a few hundred bytes): no thread hop for them
        return _formatted(answer, known)
    # Masking and rendering a large answer off the event loop.
    return await anyio.to_thread.run_sync(_formatted, answer, known)


# Below this many characters an answer is masked and rendered on the event loop (well under a millisecond).
_SMALL_ANSWER_CHARS = 16_384


def _small(value: Any) -> bool:
    """Whether a JSON value holds fewer than _SMALL_ANSWER_CHARS characters, by a walk that stops as soon as
    it knows it does not (each key, item and number counted as a few)."""
    budget, stack = _SMALL_ANSWER_CHARS, [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            budget -= len(node) + 2
        elif isinstance(node, dict):
            budget -= 2 * len(node)
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            budget -= len(node)
            stack.extend(node)
        else:
            budget -= 8
        if budget < 0:
            return False
    return True


def _formatted(answer: ToolAnswer, secrets: frozenset[str]) -> types.CallToolResult:
    """The answer masked by place (stored secrets) and by value (what the agent sent, wherever it was echoed)."""
    structured = scrub_json(redact(answer.structured), secrets)
    text = f"{answer.summary}\n{json.dumps(structured, ensure_ascii=False, separators=(',', ':'))}"
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=scrub(text, secrets)), *answer.media],
        structured_content=structured,
    )


async def _maybe_off_loop(off: bool, work: Callable[[Any], _T], value: Any) -> _T:
    return await anyio.to_thread.run_sync(work, value) if off else work(value)


class _Shortened:
    """Arguments for a debug record, rendered (masked, shortened) only if a handler takes the record."""

    def __init__(self, value: Any) -> None:
        self._value = value

    def __str__(self) -> str:
        return shorten(self._value)


def _error_result(text: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)], is_error=True)


async def _settle_left_pending(writer: AssistantWriter) -> None:
    """Rows a crashed run left pending are settled at start (rare: a re-read per row). Start-up never fails
    over it, and waits for it a few seconds at most (another server on the journal may hold an assistant's
    lock for a while): rows not settled then are settled when listed or before the next write."""
    try:
        with anyio.move_on_after(START_SETTLE_MAX_S) as scope:
            await writer.settle_pending()
        if scope.cancelled_caught:
            logger.warning("pending journal rows not all settled within %.0f s of start; later", START_SETTLE_MAX_S)
    except Exception as exc:
        logger.warning("could not settle pending journal rows at start: %s", type(exc).__name__)


# A client waits for its server to initialize: start-up settling must not hold it long.
START_SETTLE_MAX_S = 3.0


def _actor(ctx: ServerRequestContext[ServerState]) -> Actor | None:
    """The person whose token made this HTTP request (set by the bearer guard); None over stdio or with the
    shared token."""
    state = getattr(ctx.request, "state", None)
    actor = getattr(state, "revox_actor", None)
    return actor if isinstance(actor, Actor) else None


async def run_stdio(
    settings: Settings, policy: Policy | None = None, profile: str = "portable", limits: StdioLimits | None = None
) -> None:
    """Serve one client over stdin/stdout until it disconnects. Only protocol goes to stdout; revox-mcp's own
    wiring (stdio_transport: the SDK's stdio_server drops lines it cannot parse) answers every line, bounds
    lines, and stops reading while answers are not taken."""
    from revox_mcp.stdio_transport import StdioLimits, serve_stdio

    server = build_server(settings, policy, profile)
    options = server.create_initialization_options()
    await serve_stdio(lambda read, write: server.run(read, write, options), limits or StdioLimits.from_env())
