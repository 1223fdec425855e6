"""The MCP server: tools/list publishes each tool's schema exactly; tools/call validates, calls, answers.

Built on the SDK's low-level `Server` because it publishes the schema we give it byte for byte
(the high-level MCPServer derives its own from signatures). Every failure becomes a tool result
with `isError` and advice; no traceback and no API key ever reaches the client.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import mcp_types as types
from mcp.server import Server
from mcp.server.context import ServerRequestContext

from revox_mcp import __version__
from revox_mcp.client import RevoxClient
from revox_mcp.config import API_KEY_ENV, Settings
from revox_mcp.errors import (
    ApiRejected,
    AssistantNotFound,
    AuthFailed,
    ConfigError,
    PatchInvalid,
    RateLimited,
    RevoxMcpError,
    ServerFault,
)
from revox_mcp.tools import TOOLS, TOOLS_BY_NAME, ToolSpec

logger = logging.getLogger(__name__)

SERVER_NAME = "revox-mcp"
INSTRUCTIONS = (
    "Read and change Revox voice assistants (AI agents on real phone calls). Call get_assistant "
    "before update_assistant, send nested objects and lists complete, and change only what was asked."
)


@dataclass
class ServerState:
    """What the server owns for its lifetime: one settings object and one HTTP client."""

    settings: Settings
    client: RevoxClient


def build_server(settings: Settings) -> Server[ServerState]:
    @asynccontextmanager
    async def lifespan(_: Server[ServerState]) -> AsyncIterator[ServerState]:
        async with RevoxClient(settings) as client:
            yield ServerState(settings=settings, client=client)

    tool_list = types.ListToolsResult(tools=[tool.to_mcp() for tool in TOOLS])

    async def on_list_tools(
        ctx: ServerRequestContext[ServerState], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return tool_list

    async def on_call_tool(
        ctx: ServerRequestContext[ServerState], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        state = ctx.lifespan_context
        tool = TOOLS_BY_NAME.get(params.name)
        if tool is None:
            return _error_result(f"Unknown tool '{params.name}'. Available tools: {', '.join(TOOLS_BY_NAME)}.")
        return await call_tool(tool, params.arguments or {}, state)

    return Server(
        SERVER_NAME,
        version=__version__,
        instructions=INSTRUCTIONS,
        lifespan=lifespan,
        on_list_tools=on_list_tools,
        on_call_tool=on_call_tool,
    )


async def call_tool(tool: ToolSpec, arguments: dict[str, Any], state: ServerState) -> types.CallToolResult:
    try:
        args = tool.validator.validate(arguments)
        answer = await tool.handler(state.client, args)
    except RevoxMcpError as exc:
        return _error_result(state.settings.redact(advice(tool.name, arguments, exc)))
    except Exception as exc:
        # The client gets no traceback; the operator's log gets the message (key masked), and the
        # traceback only at DEBUG.
        logger.error("tool %s failed unexpectedly: %s", tool.name, state.settings.redact(repr(exc)))
        logger.debug("traceback of the failure above", exc_info=True)
        return _error_result(
            f"{tool.name} failed inside revox-mcp ({type(exc).__name__}); the server log has details. "
            "Call get_assistant to see the current state before trying again."
        )
    text = f"{answer.summary}\n{json.dumps(answer.structured, ensure_ascii=False, separators=(',', ':'))}"
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=state.settings.redact(text))],
        structured_content=answer.structured,
    )


def _error_result(text: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)], is_error=True)


def advice(tool_name: str, arguments: dict[str, Any], exc: RevoxMcpError) -> str:
    """What went wrong and what the agent should do next, for every error we raise on purpose."""
    assistant_id = arguments.get("id")
    if isinstance(exc, PatchInvalid):
        lines = [p.render() for p in exc.problems]
        return (
            f"{tool_name} was not run: {len(exc.problems)} problem(s) in the input, nothing was sent to the API.\n"
            + "\n".join(lines)
            + "\nFix every listed item and call again."
        )
    if isinstance(exc, ConfigError):
        return f"{exc} Set {API_KEY_ENV} in this server's environment, or start it with --sandbox to try it locally."
    if isinstance(exc, AuthFailed):
        return f"{exc} Nothing was changed."
    if isinstance(exc, AssistantNotFound):
        return (
            f"No assistant with id '{assistant_id}' in this organization; nothing was changed. Check the id "
            "(copy it from the Revox dashboard or an earlier answer) and confirm it with get_assistant."
        )
    if isinstance(exc, ApiRejected):
        where = f" The field at fault: patch.{exc.field}." if exc.field else ""
        return (
            f"The Revox API rejected the request ({exc.status}): {exc.message}.{where} Nothing was changed; "
            "fix the value and call again."
        )
    if isinstance(exc, RateLimited):
        return f"{exc} Nothing was changed. Wait a minute, then call again."
    if isinstance(exc, ServerFault):
        return (
            f"{exc} The change was not confirmed. Call get_assistant to see whether it was applied, "
            "then retry if needed."
        )
    # ApiUnreachable and ApiTimeout messages already say whether anything may have been applied.
    return str(exc)


async def run_stdio(settings: Settings) -> None:
    """Serve one client over stdin/stdout until it disconnects. Only protocol goes to stdout."""
    from mcp.server.stdio import stdio_server

    server = build_server(settings)
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())
