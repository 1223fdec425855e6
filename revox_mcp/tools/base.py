"""The pieces every tool is made of: the spec (schemas, annotations, handler), its published form under an
operator policy, and the context handlers work with."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

import mcp_types as types
from pydantic import BaseModel

from revox_mcp.catalog import Catalog
from revox_mcp.client import RevoxClient
from revox_mcp.config import DEFAULT_MAX_ANSWER_BYTES, PAGE_SHARE
from revox_mcp.journal import Journal
from revox_mcp.policy import Policy
from revox_mcp.progress import Progress, no_progress
from revox_mcp.schema_files import packaged_schema
from revox_mcp.schemas import JsonSchema, compact, compact_output, for_profile, portable_schema
from revox_mcp.strict_reading import CLEAR, StrictReading, clearable_paths
from revox_mcp.validation import ArgumentValidator
from revox_mcp.writer import AssistantWriter

READ_ONLY = types.ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=True)


@dataclass(frozen=True)
class ToolContext:
    """What handlers may use, owned by the server for its lifetime (a copy per call carries its progress)."""

    client: RevoxClient
    writer: AssistantWriter
    journal: Journal  # NullJournal with --no-journal: `records` is False
    catalog: Catalog
    policy: Policy = field(default_factory=Policy)
    # Who is asking (a person of the operator's tokens file, over HTTP); None otherwise.
    actor: str | None = None
    # The current call's progress reporter: the server gives each call its own copy of this context.
    progress: Progress = no_progress
    # The ceiling on every answer (text and structured content, each): tools page themselves under it.
    max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES

    @property
    def page_bytes(self) -> int:
        """What one page of a list or a text may take: a share of the ceiling, the rest for the answer's keys."""
        return int(self.max_answer_bytes * PAGE_SHARE)


@dataclass(frozen=True)
class ToolAnswer:
    structured: dict[str, Any]
    summary: str
    # Blocks beside the text (preview_voice's audio), each bounded by its tool's own cap: sent after the text
    # as they are, never masked or counted against the answer ceiling, and kept when the text is shortened.
    media: tuple[types.AudioContent | types.ImageContent, ...] = ()


Handler = Callable[[ToolContext, Any], Awaitable[ToolAnswer]]


@dataclass(frozen=True)
class ToolSpec:
    """One tool: its names, models, annotations and handler. A tool that checks more than its schema states,
    or that an operator policy changes (update_assistant), is a subclass that says so itself."""

    name: str
    title: str
    # What the tool does, in a few words: its row in the README's tools table (clients see `description`).
    does: str
    description: str
    args_model: type[BaseModel]
    answer_model: type[BaseModel]
    annotations: types.ToolAnnotations
    handler: Handler
    # Its answer's bound, in a few words: appended to the description clients see.
    bound: str = "Answers <=16 KB (default)."
    # How to ask for what an answer over the ceiling left out (said in that answer).
    read_on: str = "Ask for less (a filter, a smaller page), or have the operator raise --max-answer-bytes."
    # Whether a detailed input schema is shipped (where compacting leaves rules out; update_assistant's).
    has_detailed_schema: ClassVar[bool] = False

    @property
    def read_only(self) -> bool:
        return bool(self.annotations.read_only_hint)

    # What the models produce. Tests and `revox-mcp schemas` compare these with the checked-in files.
    @cached_property
    def generated_detailed_schema(self) -> JsonSchema:
        """Every rule and description: what arguments are checked against, and a resource to read."""
        return portable_schema(self.args_model)

    @cached_property
    def generated_input_schema(self) -> JsonSchema:
        """What tools/list shows: the detailed schema, compact."""
        return compact(self.generated_detailed_schema)

    @cached_property
    def generated_output_schema(self) -> JsonSchema:
        return compact_output(portable_schema(self.answer_model))

    # What is published: the shipped file, read once (far cheaper at start-up than generating it; the sync
    # test guarantees they are the same). A missing file is an error, never a schema generated instead.
    @cached_property
    def input_schema(self) -> JsonSchema:
        return packaged_schema(f"{self.name}.input.json")

    @cached_property
    def detailed_schema(self) -> JsonSchema:
        if self.has_detailed_schema:
            return packaged_schema(f"{self.name}.input.detailed.json")
        return self.input_schema

    @cached_property
    def output_schema(self) -> JsonSchema:
        return packaged_schema(f"{self.name}.output.json")

    def listing(self, input_schema: JsonSchema, output_schema: JsonSchema) -> types.Tool:
        """This tool's tools/list entry with these schemas."""
        return types.Tool(
            name=self.name,
            title=self.title,
            description=f"{self.description} {self.bound}" if self.bound else self.description,
            input_schema=input_schema,
            output_schema=output_schema,
            annotations=self.annotations,
        )

    def snapshot(self) -> dict[str, Any]:
        """The tool as tools/list shows it under the default policy, generated from the models: what the
        checked-in snapshot (tool_schemas/snaps/) holds."""
        tool = self.listing(for_profile(self.generated_input_schema, "portable"), self.generated_output_schema)
        listed: dict[str, Any] = tool.model_dump(mode="json", by_alias=True, exclude_none=True)
        return listed

    @cached_property
    def validator(self) -> ArgumentValidator:
        """The arguments check under the default policy, shared by every server that publishes it (it compiles
        its schema on first use)."""
        return ArgumentValidator(self.detailed_schema, self.args_model)

    def publish(self, policy: Policy, profile: str = "portable") -> PublishedTool:
        """This tool as shown and checked under `policy`, its input schema in the dialect `profile` names."""
        return published(self, self.input_schema, self.validator, profile, self.detailed_schema)


@dataclass(frozen=True)
class PublishedTool:
    """A tool as one server shows it and checks its arguments."""

    spec: ToolSpec
    input_schema: JsonSchema
    validator: ArgumentValidator
    # The strict profile's reading of a call into the default profile's arguments; None: taken as sent.
    reading: StrictReading | None = None

    def to_mcp(self) -> types.Tool:
        return self.spec.listing(self.input_schema, self.spec.output_schema)

    def arguments(self, sent: dict[str, Any]) -> dict[str, Any]:
        """The arguments everything after is given (bounds, log, validator): as sent, or as strict reads them."""
        return sent if self.reading is None else self.reading.read(sent)


STRICT_PATCH = (
    "Fields to change. Every field is present: null leaves it as it is, in a nested object too; to empty "
    "one, name it in clear. A nested object is merged onto the current one; a list is replaced whole (inside "
    "a list item, null means no value)."
)
STRICT_CLEAR = "Patch fields to empty: null where a field takes null, [] for a list. null: none."


def published(
    spec: ToolSpec, schema: JsonSchema, validator: ArgumentValidator, profile: str, checked: JsonSchema
) -> PublishedTool:
    """`spec` as shown in `profile`, checked by `validator`. The strict profile reads its arguments into the
    default profile's first (strict_reading: what its nulls and `clear` mean, learnt from `checked`, the
    schema `validator` holds arguments to), so every check after that is the default one."""
    if profile != "strict":
        return PublishedTool(spec, for_profile(schema, profile), validator)
    reading = StrictReading.of(checked)
    return PublishedTool(spec, for_profile(_with_clear(schema, reading), profile), validator, reading)


def _with_clear(schema: JsonSchema, reading: StrictReading) -> JsonSchema:
    """A tool that takes a patch says, under the strict profile, what null means there and takes `clear`."""
    properties = schema.get("properties", {})
    if "patch" not in properties or not reading.clearable:
        return schema
    patch = {**properties["patch"], "description": STRICT_PATCH}
    # Only what this server publishes: a field its operator denied vanishes from `clear` too.
    shown = [path for path in clearable_paths(properties["patch"]) if path in reading.clearable]
    clear = {"description": STRICT_CLEAR, "items": {"enum": shown, "type": "string"}, "type": "array"}
    return {**schema, "properties": {**properties, "patch": patch, CLEAR: clear}}
