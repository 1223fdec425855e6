"""The tools: each one a single unit of name, schemas, annotations and handler, listed once in TOOLS.

A handler receives arguments already validated into their pydantic model and a RevoxClient; it
returns the structured answer and a one-line summary. Protocol wiring and error results live in
`server.py`, so handlers stay plain async functions that tests can call directly.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

import mcp_types as types
from pydantic import BaseModel

from revox_mcp.client import RevoxClient
from revox_mcp.models import Assistant, AssistantAnswer, AssistantUpdate, GetAssistantArgs, UpdateAssistantArgs
from revox_mcp.schemas import JsonSchema, json_type_only, portable_schema, state_patch_semantics
from revox_mcp.validation import ArgumentValidator


@dataclass(frozen=True)
class ToolAnswer:
    structured: dict[str, Any]
    summary: str


Handler = Callable[[RevoxClient, Any], Awaitable[ToolAnswer]]


@dataclass(frozen=True)
class ToolSpec:
    name: str
    title: str
    description: str
    args_model: type[BaseModel]
    annotations: types.ToolAnnotations
    handler: Handler
    shape_input: Callable[[JsonSchema], JsonSchema] = lambda schema: schema

    # Built on first use and kept: start-up pays nothing, later calls pay nothing again.
    @cached_property
    def input_schema(self) -> JsonSchema:
        return self.shape_input(portable_schema(self.args_model))

    @cached_property
    def output_schema(self) -> JsonSchema:
        return assistant_answer_schema()

    @cached_property
    def validator(self) -> ArgumentValidator:
        return ArgumentValidator(self.input_schema, self.args_model)

    def to_mcp(self) -> types.Tool:
        return types.Tool(
            name=self.name,
            title=self.title,
            description=self.description,
            input_schema=self.input_schema,
            output_schema=self.output_schema,
            annotations=self.annotations,
        )


@cache
def assistant_answer_schema() -> JsonSchema:
    """`{"assistant": {...}}`: metadata as modelled, each update field by JSON type, unknown keys allowed."""
    schema = portable_schema(AssistantAnswer)
    assistant = schema["properties"]["assistant"]
    for name, prop in portable_schema(AssistantUpdate)["properties"].items():
        assistant["properties"].setdefault(name, json_type_only(prop))
    assistant["additionalProperties"] = True
    assistant["required"] = ["id"]
    return schema


def _with_patch_semantics(schema: JsonSchema) -> JsonSchema:
    schema["properties"]["patch"] = state_patch_semantics(schema["properties"]["patch"])
    return schema


def _summary_name(assistant: Assistant) -> str:
    name = getattr(assistant, "name", None)
    return f"'{name}' ({assistant.id})" if name else assistant.id


def _answer(assistant: Assistant) -> dict[str, Any]:
    return {"assistant": assistant.model_dump(mode="json", exclude_unset=True)}


async def get_assistant(client: RevoxClient, args: GetAssistantArgs) -> ToolAnswer:
    assistant = await client.get_assistant(args.id)
    return ToolAnswer(
        structured=_answer(assistant),
        summary=f"Assistant {_summary_name(assistant)}, last updated {assistant.updated_at}.",
    )


async def update_assistant(client: RevoxClient, args: UpdateAssistantArgs) -> ToolAnswer:
    body = args.patch.body()
    if not body:
        assistant = await client.get_assistant(args.id)
        return ToolAnswer(
            _answer(assistant), f"Nothing to change: the patch is empty. {_summary_name(assistant)} as stored."
        )
    assistant = await client.update_assistant(args.id, body)
    return ToolAnswer(
        structured=_answer(assistant),
        summary=(
            f"Updated assistant {_summary_name(assistant)}: wrote {', '.join(sorted(body))}. "
            f"updated_at is now {assistant.updated_at}."
        ),
    )


GET_ASSISTANT = ToolSpec(
    name="get_assistant",
    title="Get a voice assistant",
    description=(
        "Read one Revox voice assistant's whole configuration: prompt, voice, LLM, first sentence, "
        "calling windows, integrations. Read before you update, so nested objects can be sent complete."
    ),
    args_model=GetAssistantArgs,
    annotations=types.ToolAnnotations(
        title="Get a voice assistant", read_only_hint=True, idempotent_hint=True, open_world_hint=True
    ),
    handler=get_assistant,
)

UPDATE_ASSISTANT = ToolSpec(
    name="update_assistant",
    title="Update a voice assistant",
    description=(
        "Change fields of a Revox voice assistant (the agent that makes and takes phone calls). Only "
        "the fields in `patch` change. Nested objects (voice, call_retry_config, llm_model, ...) and lists "
        "are replaced whole: call get_assistant first and send them complete. The patch is fully "
        "validated before anything is sent; an invalid patch changes nothing and every problem is listed. "
        "Returns the assistant as stored after the update."
    ),
    args_model=UpdateAssistantArgs,
    annotations=types.ToolAnnotations(
        title="Update a voice assistant",
        read_only_hint=False,
        # Overwritten values are gone (there is no undo yet), so clients should treat it as destructive.
        destructive_hint=True,
        idempotent_hint=True,
        open_world_hint=True,
    ),
    handler=update_assistant,
    shape_input=_with_patch_semantics,
)

TOOLS: tuple[ToolSpec, ...] = (GET_ASSISTANT, UPDATE_ASSISTANT)
TOOLS_BY_NAME: dict[str, ToolSpec] = {tool.name: tool for tool in TOOLS}
