"""Our update model held against the official SDK's: every field and nested key, its type, nullability,
requiredness and enum. The SDK (`revox`, generated from the API's own spec) is the outside reference;
`scripts/check-api-drift.sh` runs this module against its newest release. The other endpoints, the docstring
rules and the voice enums: tests/sdk_surface.py and tests/test_sdk_surface.py."""

from __future__ import annotations

import typing
from typing import Any, Literal, Required, TypedDict

import pytest
from revox.types import assistant_update_params as sdk

from revox_mcp.schemas import body_schema
from tests.sdk_shapes import differences, schema_shape, sdk_shape
from tests.sdk_surface import ENDPOINTS_BY_SDK

# Where we knowingly differ from the SDK (the registry's update entry says why). Anything else is drift and fails.
KNOWN_DIFFERENCES = ENDPOINTS_BY_SDK["assistants.update"].known


def drift(update_params: Any = sdk.AssistantUpdateParams) -> list[str]:
    found = differences(schema_shape(body_schema()), sdk_shape(update_params))
    return [d for d in found if d not in KNOWN_DIFFERENCES]


def test_the_update_model_matches_the_sdk() -> None:
    assert drift() == [], "our update model differs from the SDK's:\n" + "\n".join(drift())


def test_every_known_difference_is_still_real() -> None:
    found = set(differences(schema_shape(body_schema()), sdk_shape(sdk.AssistantUpdateParams)))
    assert found >= KNOWN_DIFFERENCES, "a known difference is gone: remove it from KNOWN_DIFFERENCES"


def edited(typed_dict: Any, **fields: Any) -> Any:
    """A copy of an SDK TypedDict with fields replaced or added (None removes one)."""
    hints = typing.get_type_hints(typed_dict, include_extras=True)
    hints.update(fields)
    kept = {k: v for k, v in hints.items() if v is not None}
    return TypedDict(typed_dict.__name__, kept, total=typed_dict.__total__)  # type: ignore[operator]


def test_an_edited_sdk_type_is_caught_with_the_exact_difference() -> None:
    voice = edited(
        sdk.Voice,
        provider=Required[Literal["cartesia", "elevenlabs", "gradium", "rime"]],
        speed=typing.Optional[float],  # noqa: UP045 (the SDK's own spelling)
        stability=float,
    )
    window = edited(sdk.CallRetryConfigCallingWindow, retry_delay_seconds=None)
    retry = edited(sdk.CallRetryConfig, calling_windows=Required[typing.Iterable[window]])
    params = edited(
        sdk.AssistantUpdateParams, voice=voice, call_retry_config=retry, name=None, ivr_navigation_enabled=str
    )
    assert sorted(drift(params)) == sorted(
        [
            "voice.provider: enum differs (only here: []; only in the SDK: ['rime'])",
            "voice.speed: types ['number'] here, ['null', 'number'] in the SDK",
            "voice.stability: in the SDK, missing here",
            "call_retry_config.calling_windows[].retry_delay_seconds: only here, not in the SDK",
            "name: only here, not in the SDK",
            "ivr_navigation_enabled: types ['boolean'] here, ['string'] in the SDK",
        ]
    )


@pytest.mark.parametrize(
    ("variant", "key"), [("LlmModelUnionMember3", "realtime_voice_id"), ("LlmModelUnionMember2", "api_key")]
)
def test_a_change_inside_a_union_variant_is_caught(variant: str, key: str) -> None:
    member = edited(getattr(sdk, variant), **{key: None})
    members = [member if m.__name__ == variant else m for m in typing.get_args(sdk.LlmModel)]
    params = edited(sdk.AssistantUpdateParams, llm_model=typing.Union[tuple(members)])  # noqa: UP007
    tag = typing.get_args(typing.get_type_hints(member, include_extras=True)["type"])[0]
    tag = typing.get_args(tag)[0] if typing.get_args(tag) else tag
    assert any(f"llm_model<type={tag}>.{key}: only here" in d for d in drift(params)), drift(params)


def test_two_variants_with_one_tag_are_both_compared() -> None:
    class Rx(TypedDict, total=False):
        type: Required[Literal["realtime"]]
        grok_voice: Required[str]

    params = edited(sdk.AssistantUpdateParams, llm_model=typing.Union[(Rx, *typing.get_args(sdk.LlmModel))])
    assert "llm_model<type=realtime#2>: variant in the SDK, missing here" in drift(params)


def test_requiredness_follows_the_class_that_declares_a_key() -> None:
    class Base(TypedDict, total=False):
        id: str
        provider: Literal["cartesia", "elevenlabs", "gradium"]

    class Voice2(Base, total=True):
        model: typing.NotRequired[Literal["sonic-3", "sonic-3.5"]]
        speed: typing.NotRequired[float]
        volume: typing.NotRequired[float]

    found = drift(edited(sdk.AssistantUpdateParams, voice=Voice2))
    assert "voice.id: required here, optional in the SDK" in found


def test_a_union_by_another_tag_and_an_open_enum_are_compared_not_crashed_on() -> None:
    cartesia = edited(sdk.Voice, provider=Required[Literal["cartesia"]])
    eleven = edited(sdk.Voice, provider=Required[Literal["elevenlabs"]], model=None)
    voice = typing.Union[cartesia, eleven]  # noqa: UP007
    open_enum = typing.Union[str, Literal["stt-rt-v4", "stt-rt-v5"]]  # noqa: UP007
    found = drift(edited(sdk.AssistantUpdateParams, voice=voice, stt_model=open_enum))
    assert "stt_model: enum differs (only here: ['stt-rt-v4', 'stt-rt-v5']; only in the SDK: [])" in found
    assert any(d.startswith("voice<provider=cartesia>") for d in found), found


def test_the_fields_every_read_holds_are_those_the_sdk_requires() -> None:
    """A read lacking one of these is partial (a change building on it is refused); the others the API may
    leave out when null."""
    from revox.types.assistant_retrieve_response import AssistantRetrieveResponse

    from revox_mcp.models import ALWAYS_READ, AssistantUpdate

    required = {n for n, f in AssistantRetrieveResponse.model_fields.items() if f.is_required()}
    assert required & set(AssistantUpdate.model_fields) == ALWAYS_READ
