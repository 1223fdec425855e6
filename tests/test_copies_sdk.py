"""The create and phone-number models held against the SDK's params (AssistantCreateParams, PhoneNumberUpdateParams):
every field, nested key, type, nullability, requiredness and enum, as test_sdk_conformance holds the update."""

from __future__ import annotations

import typing

from revox.types import assistant_create_params, phone_number_update_params

from revox_mcp.models import AssistantCreate
from revox_mcp.schemas import portable_schema
from revox_mcp.tool_models import UpdatePhoneNumberArgs
from tests.sdk_shapes import differences, schema_shape, sdk_shape
from tests.test_sdk_conformance import KNOWN_DIFFERENCES


def test_the_create_model_matches_the_sdk_with_name_and_prompt_required() -> None:
    found = differences(
        schema_shape(portable_schema(AssistantCreate)), sdk_shape(assistant_create_params.AssistantCreateParams)
    )
    assert [d for d in found if d not in KNOWN_DIFFERENCES] == [], found
    assert portable_schema(AssistantCreate)["required"] == ["name", "prompt"]


def test_the_phone_number_arguments_are_the_sdk_params_plus_the_tools_own() -> None:
    params = typing.get_type_hints(phone_number_update_params.PhoneNumberUpdateParams)
    assert set(params) == {"inbound_assistant_id", "label"}
    ours = portable_schema(UpdatePhoneNumberArgs)["properties"]
    for name in params:
        assert set(ours[name]["type"]) == {"string", "null"}, name  # Optional[str] in the SDK
    assert set(ours) - set(params) == {"id", "dry_run", "reason"}
