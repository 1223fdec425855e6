"""The pieces every tool is made of: the spec (schemas, annotations, handler), its published form under an
operator policy, and the context handlers work with."""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import mcp_types as types
from pydantic import BaseModel

from revox_mcp.catalog import Catalog
from revox_mcp.client import RevoxClient
from revox_mcp.errors import Problem
from revox_mcp.journal import Journal
from revox_mcp.policy import Policy
from revox_mcp.progress import Progress, no_progress
from revox_mcp.schema_files import packaged_schema
from revox_mcp.schemas import JsonSchema, compact, compact_output, portable_schema
from revox_mcp.validation import ArgumentValidator
from revox_mcp.writer import AssistantWriter

READ_ONLY = types.ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=True)


@dataclass(frozen=True)
class ToolContext:
    """What handlers may use, owned by the server for its lifetime (a copy per call carries its progress)."""

    client: RevoxClient
    writer: AssistantWriter
    journal: Journal | None
    catalog: Catalog
    policy: Policy = field(default_factory=Policy)
    # Who is asking (a person of the operator's tokens file, over HTTP); None otherwise.
    actor: str | None = None
    # The current call's progress reporter: the server gives each call its own copy of this context.
    progress: Progress = no_progress


@dataclass(frozen=True)
class ToolAnswer:
    structured: dict[str, Any]
    summary: str


Handler = Callable[[ToolContext, Any], Awaitable[ToolAnswer]]


def _unchanged(schema: JsonSchema) -> JsonSchema:
    return schema


@dataclass(frozen=True)
class ToolSpec:
    name: str
    title: str
    description: str
    args_model: type[BaseModel]
    answer_model: type[BaseModel]
    annotations: types.ToolAnnotations
    handler: Handler
    shape_input: Callable[[JsonSchema], JsonSchema] = _unchanged
    extra_checks: Callable[[dict[str, Any]], list[Problem]] | None = None
    # How an operator policy changes this tool's published schema and what it refuses up front.
    shape_for_policy: Callable[[JsonSchema, Policy], JsonSchema] | None = None
    policy_checks: Callable[[dict[str, Any], Policy], list[Problem]] | None = None

    @property
    def read_only(self) -> bool:
        return bool(self.annotations.read_only_hint)

    # What the models produce. Tests and `revox-mcp schemas` compare these with the checked-in files.
    @cached_property
    def generated_detailed_schema(self) -> JsonSchema:
        """Every rule and description: what arguments are checked against, and a resource to read."""
        return self.shape_input(portable_schema(self.args_model))

    @cached_property
    def generated_input_schema(self) -> JsonSchema:
        """What tools/list shows: the detailed schema, compact."""
        return compact(self.generated_detailed_schema)

    @cached_property
    def generated_output_schema(self) -> JsonSchema:
        return compact_output(portable_schema(self.answer_model))

    # What is published: the checked-in file, read once (far cheaper at start-up than generating it;
    # the sync test guarantees they are the same), or the generated schema where no file is shipped.
    @cached_property
    def input_schema(self) -> JsonSchema:
        return packaged_schema(f"{self.name}.input.json") or self.generated_input_schema

    @cached_property
    def detailed_schema(self) -> JsonSchema:
        # Shipped only where compacting changes something.
        return packaged_schema(f"{self.name}.input.detailed.json") or self.input_schema

    @cached_property
    def output_schema(self) -> JsonSchema:
        return packaged_schema(f"{self.name}.output.json") or self.generated_output_schema

    @cached_property
    def validator(self) -> ArgumentValidator:
        return ArgumentValidator(self.detailed_schema, self.args_model, extra_checks=self.extra_checks)

    def publish(self, policy: Policy) -> PublishedTool:
        """This tool as shown and checked under `policy` (the checked-in schema when the policy is default)."""
        if policy.is_default or self.shape_for_policy is None:
            return PublishedTool(self, self.input_schema, lambda: self.validator)
        schema = self.shape_for_policy(copy.deepcopy(self.input_schema), policy)
        policy_checks = self.policy_checks
        extra = self.extra_checks

        def checks(arguments: dict[str, Any]) -> list[Problem]:
            found = policy_checks(arguments, policy) if policy_checks else []
            return found + (extra(policy.without_extra_fields(arguments)) if extra else [])

        # Validation runs against the full schema so that a denied field is reported as denied,
        # not as unknown; the policy check above says why. The operator's extra fields are known to it.
        full = copy.deepcopy(self.detailed_schema)
        if "patch" in full.get("properties", {}):
            full["properties"]["patch"] = policy.with_extra_fields(full["properties"]["patch"])
        return PublishedTool(self, schema, lambda: ArgumentValidator(full, self.args_model, extra_checks=checks))


class PublishedTool:
    """A tool as one server shows it; its validator is compiled on the tool's first call, not at start."""

    def __init__(
        self, spec: ToolSpec, input_schema: JsonSchema, make_validator: Callable[[], ArgumentValidator]
    ) -> None:
        self.spec = spec
        self.input_schema = input_schema
        self._make_validator = make_validator

    @cached_property
    def validator(self) -> ArgumentValidator:
        return self._make_validator()

    def to_mcp(self) -> types.Tool:
        spec = self.spec
        return types.Tool(
            name=spec.name,
            title=spec.title,
            description=spec.description,
            input_schema=self.input_schema,
            output_schema=spec.output_schema,
            annotations=spec.annotations,
        )
