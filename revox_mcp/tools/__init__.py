"""The tools, listed once in TOOLS: the table of contents of what revox-mcp offers."""

from __future__ import annotations

import json

from revox_mcp.config import TOOL_FAMILIES
from revox_mcp.policy import Policy, family_of
from revox_mcp.tools.assistants import GET_ASSISTANT, LIST_ASSISTANTS, LIST_CHANGES, REVERT_CHANGE, UPDATE_ASSISTANT
from revox_mcp.tools.base import PublishedTool, ToolAnswer, ToolContext, ToolSpec
from revox_mcp.tools.calls import CANCEL_CALL, GET_PHONE_HISTORY, PAUSE_CALL, RESUME_CALL
from revox_mcp.tools.campaigns import GET_CAMPAIGN, LIST_CAMPAIGNS, PAUSE_CAMPAIGN, RESUME_CAMPAIGN
from revox_mcp.tools.compare import COMPARE_ASSISTANTS
from revox_mcp.tools.context import GET_CALL, LIST_PHONE_NUMBERS, LIST_VOICES, SEARCH_CALLS
from revox_mcp.tools.copies import CLONE_ASSISTANT, CREATE_ASSISTANT
from revox_mcp.tools.numbers import UPDATE_PHONE_NUMBER
from revox_mcp.tools.tuning import CHANGE_IMPACT, PLACE_TEST_CALL
from revox_mcp.tools.voices import PREVIEW_VOICE

TOOLS: tuple[ToolSpec, ...] = (
    LIST_ASSISTANTS,
    GET_ASSISTANT,
    UPDATE_ASSISTANT,
    LIST_CHANGES,
    REVERT_CHANGE,
    LIST_VOICES,
    LIST_PHONE_NUMBERS,
    SEARCH_CALLS,
    GET_CALL,
    GET_PHONE_HISTORY,
    CANCEL_CALL,
    PAUSE_CALL,
    RESUME_CALL,
    CHANGE_IMPACT,
    COMPARE_ASSISTANTS,
    PLACE_TEST_CALL,
    PREVIEW_VOICE,
    CLONE_ASSISTANT,
    CREATE_ASSISTANT,
    UPDATE_PHONE_NUMBER,
    LIST_CAMPAIGNS,
    GET_CAMPAIGN,
    PAUSE_CAMPAIGN,
    RESUME_CAMPAIGN,
)
TOOLS_BY_NAME: dict[str, ToolSpec] = {tool.name: tool for tool in TOOLS}


def publish(policy: Policy, profile: str = "portable") -> dict[str, PublishedTool]:
    """The tools a server with `policy` offers (the families it names; read-only mode keeps only tools marked
    read-only), with input schemas in the dialect `profile` names."""
    return {t.name: t.publish(policy, profile) for t in TOOLS if _offered(t, policy)}


def _offered(tool: ToolSpec, policy: Policy) -> bool:
    """In a family the operator offers; a write only on a server that is not read-only (each tool's
    annotations decide); test calls ring real phones: only when the operator named numbers that may be called."""
    return (
        policy.offers_family_of(tool.name)
        and (tool.read_only or not policy.read_only)
        and (tool is not PLACE_TEST_CALL or bool(policy.test_numbers))
    )


def why_not_offered(name: str, policy: Policy) -> str | None:
    """Why a tool of revox-mcp is not offered under `policy` (None: it is, or no such tool exists)."""
    tool = TOOLS_BY_NAME.get(name)
    if tool is None or _offered(tool, policy):
        return None
    if not policy.offers_family_of(name):
        offered = ", ".join(f for f in TOOL_FAMILIES if policy.families and f in policy.families)
        return (
            f"it is in the tool family {family_of(name)}, and this server offers only {offered} "
            "(operator's choice: serve --tools, REVOX_MCP_TOOLS or the policy file)"
        )
    if not tool.read_only and policy.read_only:
        return "this server is read-only (operator policy)"
    return "the operator named no test numbers (serve --test-numbers, REVOX_MCP_TEST_NUMBERS or the policy file)"


def markdown_table() -> str:
    """The README's tools table, generated from TOOLS so the two cannot disagree."""
    rows = ["| tool | does | annotations |", "| --- | --- | --- |"]
    rows += [f"| `{tool.name}` | {tool.does} | {_annotation_words(tool)} |" for tool in TOOLS]
    return "\n".join(rows)


def _annotation_words(tool: ToolSpec) -> str:
    if tool.read_only:
        return "read-only"
    if tool.annotations.destructive_hint:
        return "writes (marked destructive, so clients ask first)"
    return "writes"


def tool_schemas(tool: PublishedTool) -> str:
    """A tool's schemas as one JSON document (the revox://schemas/{tool} resource): the input schema as
    published, the detailed one arguments are checked against (every nested description and rule), and
    the output schema."""
    document = {
        "input": tool.input_schema,
        "detailed_input": tool.spec.detailed_schema,
        "output": tool.spec.output_schema,
    }
    # Compact: an agent reads this into its context (45 KB for update_assistant, 96 KB indented).
    return json.dumps(document, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def field_schema(tool: PublishedTool, field: str) -> str | None:
    """One field's detailed schema (the revox://schemas/{tool}/{field} resource): a field of `patch` where
    the tool takes one, else an argument; None for neither. A nested error points here: ~1 KB, not 45."""
    arguments = tool.spec.detailed_schema.get("properties", {})
    patch = arguments.get("patch", {}).get("properties", {})
    found = patch.get(field) if field in patch else arguments.get(field)
    return None if found is None else json.dumps(found, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


__all__ = [
    "TOOLS",
    "TOOLS_BY_NAME",
    "TOOL_FAMILIES",
    "PublishedTool",
    "ToolAnswer",
    "ToolContext",
    "ToolSpec",
    "field_schema",
    "markdown_table",
    "publish",
    "tool_schemas",
]
