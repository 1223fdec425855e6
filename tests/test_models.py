"""The update models enforce the reference's rules; the Assistant model keeps what it does not know."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from revox_mcp.models import Assistant, AssistantUpdate, Voice
from revox_mcp.sandbox.seed import SEED_ASSISTANTS

SEED_FIELDS = {
    "background_sound", "calendly", "call_retry_config", "end_of_call_sentence", "first_sentence",
    "first_sentence_delay_ms", "first_sentence_mode", "ivr_navigation_enabled", "llm_model",
    "max_call_duration_secs", "name", "prompt", "structured_output_config", "voice", "voicemail_message",
    "webhook_url", "faq_items",
}  # fmt: skip


def window(start: str = "09:00", end: str = "17:00") -> dict[str, Any]:
    return {"calling_window_start_time": start, "calling_window_end_time": end, "retry_delay_seconds": 60}


def retry_config(**changes: Any) -> dict[str, Any]:
    return {
        "allowed_days": ["monday"],
        "call_twice_in_a_row": False,
        "calling_windows": [window()],
        "max_retry_attempts": 2,
        "timezone": "Europe/Paris",
        **changes,
    }


def test_update_model_has_all_45_current_fields_plus_the_older_transfer_phone_number() -> None:
    # The seeds no longer hold transfer_phone_number: the SDK's answers do not declare it (issue 23, item 8).
    assert len(AssistantUpdate.model_fields) == 46
    assert set(AssistantUpdate.model_fields) >= SEED_FIELDS | {"transfer_phone_number"}


@pytest.mark.parametrize("seed", SEED_ASSISTANTS, ids=lambda s: s["id"])
def test_every_seeded_assistant_is_a_valid_update_body_and_fills_every_seed_field(seed: dict[str, Any]) -> None:
    fields = {k: v for k, v in seed.items() if k not in ("id", "created_by")}
    AssistantUpdate.model_validate(fields)
    assert set(fields) >= SEED_FIELDS


def test_body_holds_exactly_the_keys_sent_including_explicit_nulls() -> None:
    body = AssistantUpdate.model_validate({"voicemail_message": None, "name": "X"}).body()
    assert body == {"voicemail_message": None, "name": "X"}


@pytest.mark.parametrize("field", ["name", "prompt", "voice", "call_retry_config", "webhook_url", "stt_model"])
def test_null_is_refused_for_fields_the_api_does_not_let_you_clear(field: str) -> None:
    with pytest.raises(ValidationError):
        AssistantUpdate.model_validate({field: None})


def test_unknown_keys_are_refused_at_every_level() -> None:
    with pytest.raises(ValidationError, match="frist_sentence"):
        AssistantUpdate.model_validate({"frist_sentence": "hi"})
    with pytest.raises(ValidationError, match="colour"):
        AssistantUpdate.model_validate({"voice": {"id": "v", "provider": "cartesia", "colour": "warm"}})


@pytest.mark.parametrize(
    ("provider", "speed", "ok"),
    [
        ("cartesia", 0.6, True), ("cartesia", 1.5, True), ("cartesia", 1.51, False),
        ("elevenlabs", 0.7, True), ("elevenlabs", 1.2, True), ("elevenlabs", 0.65, False), ("elevenlabs", 1.3, False),
        ("gradium", 0.6, True), ("gradium", 1.5, True), ("gradium", 0.5, False),
    ],
)  # fmt: skip
def test_voice_speed_range_depends_on_the_provider(provider: str, speed: float, ok: bool) -> None:
    voice = {"id": "v", "provider": provider, "speed": speed}
    if ok:
        Voice.model_validate(voice)
    else:
        with pytest.raises(ValidationError, match="speed"):
            Voice.model_validate(voice)


def test_cartesia_only_voice_settings_are_accepted_for_other_providers() -> None:
    # The SDK: model and volume are "ignored for other providers", so the API takes them (rules.py warns).
    Voice.model_validate({"id": "v", "provider": "gradium", "model": "sonic-3", "volume": 1.2})


@pytest.mark.parametrize("volume", [0.49, 2.01])
def test_voice_volume_range(volume: float) -> None:
    with pytest.raises(ValidationError):
        Voice.model_validate({"id": "v", "provider": "cartesia", "volume": volume})


@pytest.mark.parametrize("number", ["+14155550123", "+33478000001", "+4915112345678"])
def test_e164_numbers_are_accepted(number: str) -> None:
    AssistantUpdate.model_validate(
        {"from_phone_number": number, "transfer_destinations": [{"label": "a", "phone_number": number}]}
    )


@pytest.mark.parametrize("number", ["0612345678", "+0123456789", "+1 415 555 0123", "14155550123", "+1415555012345678"])
def test_non_e164_numbers_are_refused(number: str) -> None:
    with pytest.raises(ValidationError):
        AssistantUpdate.model_validate({"from_phone_number": number})


@pytest.mark.parametrize("time", ["09:00", "9:00", "23:59", "00:00", "6pm", "6:30pm", "12am", "11:15AM"])
def test_calling_window_times_in_both_formats(time: str) -> None:
    AssistantUpdate.model_validate({"call_retry_config": retry_config(calling_windows=[window(time, time)])})


@pytest.mark.parametrize("time", ["24:00", "9", "13pm", "6 pm", "9:60", "noon", "09:00:00"])
def test_bad_calling_window_times_are_refused(time: str) -> None:
    with pytest.raises(ValidationError):
        AssistantUpdate.model_validate({"call_retry_config": retry_config(calling_windows=[window(start=time)])})


def test_timezone_must_be_an_iana_name_or_null() -> None:
    AssistantUpdate.model_validate({"call_retry_config": retry_config(timezone="America/New_York")})
    AssistantUpdate.model_validate({"call_retry_config": retry_config(timezone=None)})
    for bad in ("Mars/Olympus", "CEST", "paris"):
        with pytest.raises(ValidationError, match="IANA"):
            AssistantUpdate.model_validate({"call_retry_config": retry_config(timezone=bad)})


def test_weekdays_are_lowercase_names() -> None:
    with pytest.raises(ValidationError):
        AssistantUpdate.model_validate({"call_retry_config": retry_config(allowed_days=["Monday"])})


@pytest.mark.parametrize("field", ["background_sound_volume", "thinking_sound_probability", "thinking_sound_volume"])
def test_volumes_and_probabilities_are_between_0_and_1(field: str) -> None:
    AssistantUpdate.model_validate({field: 0})
    AssistantUpdate.model_validate({field: 1})
    for bad in (-0.01, 1.01):
        with pytest.raises(ValidationError):
            AssistantUpdate.model_validate({field: bad})


def test_precall_lookup_url_must_contain_the_phone_placeholder() -> None:
    AssistantUpdate.model_validate({"precall_lookup_url": "https://crm.example/lookup?phone={{phone}}"})
    with pytest.raises(ValidationError):
        AssistantUpdate.model_validate({"precall_lookup_url": "https://crm.example/lookup"})


def custom_tool(name: str) -> dict[str, Any]:
    return {
        "name": name, "description": "d", "method": "GET", "url": "https://api.example/x",
        "headers": [], "query_params": [], "body_template": None, "input_schema": [],
    }  # fmt: skip


def test_custom_tool_names_are_lowercase_snake_case() -> None:
    AssistantUpdate.model_validate({"custom_tools": [custom_tool("check_availability"), custom_tool("lookup2")]})
    for bad in ("CheckAvailability", "check-availability", "_check", "check__twice", "2fast"):
        with pytest.raises(ValidationError):
            AssistantUpdate.model_validate({"custom_tools": [custom_tool(bad)]})


def test_llm_model_is_chosen_by_type_and_needs_that_variants_keys() -> None:
    AssistantUpdate.model_validate({"llm_model": {"type": "realtime", "provider": "google", "realtime_model_id": "m"}})
    with pytest.raises(ValidationError, match="api_key"):
        AssistantUpdate.model_validate(
            {"llm_model": {"type": "custom", "api_url": "https://x.example", "model_name": "m"}}
        )
    with pytest.raises(ValidationError):
        AssistantUpdate.model_validate({"llm_model": {"type": "gpt", "name": "gpt-4.1"}})


def test_assistant_answer_keeps_fields_it_does_not_know() -> None:
    raw = {
        "id": "a1",
        "name": "N",
        "brand_new_field": {"nested": [1, 2]},
        "created_at": {},
        "updated_at": "2026-01-01T00:00:00Z",
    }
    assistant = Assistant.model_validate(raw)
    assert assistant.model_dump(mode="json", exclude_unset=True) == raw
