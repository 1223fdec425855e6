"""An assistant's values in the form an update sends them, so that stored and sent values compare equal when
they mean the same (keys the API assigns itself, such as a FAQ item's id, left out)."""

from __future__ import annotations

from typing import Any

from revox_mcp.editing import project
from revox_mcp.models import AssistantUpdate
from revox_mcp.schemas import body_schema

State = dict[str, Any]
UPDATE_FIELDS = frozenset(AssistantUpdate.model_fields)


def comparable(field_name: str, value: Any) -> Any:
    """A stored value as it would be sent."""
    schema = body_schema()["properties"].get(field_name)
    return value if schema is None else project(value, schema, field_name)


def holds(state: State, body: State) -> bool:
    """Whether `state` holds every value of `body` (a write's sendable values)."""
    return all((f in state or v is None) and comparable(f, state.get(f)) == v for f, v in body.items())


def journalled(state: State, body: State) -> State:
    """What the journal keeps of a state: the fields the change sent (all a diff or a revert needs) and the
    stamps that say which version it was, not the whole assistant (megabytes, on a large one)."""
    return {k: state[k] for k in (*body, "id", "name", "updated_at") if k in state}
