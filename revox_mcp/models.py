"""pydantic models of the Revox assistant: the update body (strict) and the Assistant answer (tolerant).

The update models forbid unknown keys and carry every constraint the API reference states, so that a
bad patch is refused here, before any request. Their field descriptions are written for the agent
that reads the published tool schema. The Assistant model is the opposite: it keeps keys it does not
know, because the API adds fields over time and an answer must never lose one.
"""

from __future__ import annotations

import zoneinfo
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

# Patterns live in named constants so validation messages can explain them in words (PATTERN_MEANINGS).
E164_PATTERN = r"^\+[1-9][0-9]{6,14}$"
# 'HH:mm' on a 24-hour clock ('09:00', '17:30') or 'H:mma' on a 12-hour clock ('6pm', '6:30pm').
TIME_PATTERN = r"^(?:(?:[01]?[0-9]|2[0-3]):[0-5][0-9]|(?:1[0-2]|0?[1-9])(?::[0-5][0-9])?[aApP][mM])$"
# No control characters (NUL, escape, DEL): RFC 3986 allows none in a URI, and they can hide what a
# URL really points to in a log or a terminal. The only rule on these URLs; the scheme is a warning (rules.py).
URL_CHARS_PATTERN = r"^[^\x00-\x1f\x7f]*$"
# The scheme in any case (RFC 3986: schemes are case-insensitive); {{phone}} anywhere after it, the host too
# (either the host starts with it, or a usual first character comes before it). No inline flags and no
# look-around: JSON Schema publishes ECMA-262 patterns, and pydantic-core runs them with Rust's regex.
_URL_CHAR = r"[^\s\x00-\x1f\x7f]"
PRECALL_URL_PATTERN = (
    rf"^[Hh][Tt][Tt][Pp][Ss]?://(?:\{{\{{phone\}}\}}{_URL_CHAR}*"
    rf"|[^\s\x00-\x1f\x7f/$.?#]{_URL_CHAR}*\{{\{{phone\}}\}}{_URL_CHAR}*)$"
)
SNAKE_CASE_PATTERN = r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$"

PATTERN_MEANINGS: dict[str, str] = {
    E164_PATTERN: "an E.164 phone number: '+', country code, number, digits only (e.g. '+14155550123')",
    TIME_PATTERN: "a time as 'HH:mm' on a 24-hour clock ('09:00', '17:30') or 'H:mma' ('9am', '6:30pm')",
    URL_CHARS_PATTERN: "a URL without control characters (NUL, escape, DEL and the like)",
    PRECALL_URL_PATTERN: "an http(s) URL that contains the placeholder {{phone}}",
    SNAKE_CASE_PATTERN: "lowercase_snake_case: lowercase letters, digits and single underscores",
}

# Per-provider voice speed ranges from the API reference; the schema carries the widest (0.6..1.5).
VOICE_SPEED_RANGES: dict[str, tuple[float, float]] = {
    "cartesia": (0.6, 1.5),
    "elevenlabs": (0.7, 1.2),
    "gradium": (0.6, 1.5),
}

Outcome = Literal["not_interested", "interested", "completed", "requested_callback_later", "none"]
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
ThinkingSound = Literal[
    "city-ambience.ogg",
    "forest-ambience.ogg",
    "office-ambience.ogg",
    "crowded-room.ogg",
    "keyboard-typing.ogg",
    "keyboard-typing2.ogg",
    "hold_music.ogg",
]

E164 = Annotated[str, Field(pattern=E164_PATTERN)]
Url = Annotated[str, Field(pattern=URL_CHARS_PATTERN)]
Probability = Annotated[float, Field(ge=0, le=1)]


# Files of the host's zoneinfo folder that are not IANA names (`localtime` is this machine's own zone).
_HOST_ALIASES = frozenset({"localtime", "posixrules"})


@cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) - _HOST_ALIASES


def _check_timezone(value: str | None) -> str | None:
    if value is not None and value not in _timezones():
        raise ValueError("an IANA timezone name such as 'Europe/Paris' or 'America/New_York'")
    return value


IanaTimezone = Annotated[str | None, AfterValidator(_check_timezone)]


class Strict(BaseModel):
    """Base of the update models: unknown keys are errors, never silently dropped or forwarded."""

    model_config = ConfigDict(extra="forbid")


class KeyValue(Strict):
    key: str = Field(description="Name of the entry.")
    value: str = Field(description="Value of the entry.")


class Calendly(Strict):
    """Calendly integration used to book meetings during a call."""

    connection_id: str = Field(description="Id of the Calendly connection in the Revox workspace.")
    event_type_id: str = Field(
        description="The Calendly event type to book, as its URI, e.g. 'https://api.calendly.com/event_types/<uuid>'."
    )


class CallingWindow(Strict):
    """A daily time range in which outbound calls may be placed."""

    calling_window_start_time: str = Field(
        pattern=TIME_PATTERN, description="Start of the window: 'HH:mm' (24-hour, '09:00') or 'H:mma' ('9am')."
    )
    calling_window_end_time: str = Field(
        pattern=TIME_PATTERN, description="End of the window: 'HH:mm' (24-hour, '17:30') or 'H:mma' ('6pm')."
    )
    retry_delay_seconds: int = Field(description="Seconds to wait before retrying an unanswered call.")


class CallRetryConfig(Strict):
    """When and how often outbound calls are (re)tried."""

    allowed_days: list[Weekday] = Field(
        description="Weekdays on which calls may be placed, lowercase ('monday'..'sunday')."
    )
    call_twice_in_a_row: bool = Field(description="Call again right away when the first attempt is unanswered.")
    calling_windows: list[CallingWindow] = Field(description="Time ranges of the day in which calls may be placed.")
    max_retry_attempts: int = Field(description="How many times an unanswered call is retried.")
    timezone: IanaTimezone = Field(
        default=None,
        description="IANA timezone the windows are in (e.g. 'Europe/Paris'); null uses the contact's or default.",
    )


class FieldSpec(Strict):
    """One typed field: an input of a custom tool, or a value extracted from the call."""

    name: str = Field(description="Field name.")
    required: bool = Field(description="Whether the field must be filled.")
    type: Literal["string", "number", "boolean", "enum", "date", "datetime"] = Field(
        description="Value type. 'enum' requires enum_options."
    )
    description: str = Field(default=None, description="What the field means, for the LLM.")
    enum_options: list[str] = Field(default=None, description="Allowed values; give them when type is 'enum'.")


class CustomTool(Strict):
    """An HTTP call the assistant can make during a conversation."""

    name: str = Field(pattern=SNAKE_CASE_PATTERN, description="Tool name, lowercase_snake_case, unique.")
    description: str = Field(description="When and why the assistant should call this tool.")
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = Field(description="HTTP method.")
    url: Url = Field(description="URL the tool calls; {{variable}} placeholders allowed.")
    headers: list[KeyValue] = Field(description="HTTP headers sent with the call (may be empty).")
    query_params: list[KeyValue] = Field(description="Query parameters sent with the call (may be empty).")
    body_template: str | None = Field(description="Request body template, or null for no body.")
    input_schema: list[FieldSpec] = Field(description="Inputs the assistant fills when calling the tool.")


class FaqItem(Strict):
    """A question the assistant can answer, with its answer."""

    question: str = Field(description="The question as a caller might ask it.")
    answer: str = Field(description="The answer the assistant gives.")


class DedicatedInstanceModel(Strict):
    type: Literal["dedicated-instance"] = Field(description="A model hosted by Revox.")
    name: Literal["gpt-4.1", "ministral-3-8b-instruct"] = Field(description="Which hosted model.")


class OpenRouterModel(Strict):
    type: Literal["openrouter"] = Field(description="A model reached through OpenRouter.")
    openrouter_model_id: str = Field(description="OpenRouter model id, e.g. 'openai/gpt-4.1'.")
    openrouter_provider: str = Field(
        description="Required: the OpenRouter host serving that model, e.g. nebius, openai, azure (not its author)."
    )


class CustomModel(Strict):
    type: Literal["custom"] = Field(description="An OpenAI-compatible endpoint of your own.")
    api_url: Url = Field(description="Base URL of the OpenAI-compatible API.")
    api_key: str = Field(description="Secret key for that API.")
    model_name: str = Field(description="Model name the endpoint expects.")


class RealtimeModel(Strict):
    type: Literal["realtime"] = Field(description="A speech-to-speech realtime model.")
    provider: Literal["openai", "google"] = Field(description="Realtime model provider; voices differ per provider.")
    realtime_model_id: str = Field(description="That provider's realtime model id, e.g. 'gpt-4.1'.")
    realtime_voice_id: str = Field(
        default=None, description="That provider's output voice, e.g. OpenAI: marin; Gemini: Puck."
    )


LlmModel = Annotated[
    DedicatedInstanceModel | OpenRouterModel | CustomModel | RealtimeModel,
    Field(discriminator="type"),
]
LLM_MODEL_TYPES = ("dedicated-instance", "openrouter", "custom", "realtime")


class Position(Strict):
    """Where the assistant sits on the multi-step canvas."""

    x: float = Field(description="Horizontal coordinate.")
    y: float = Field(description="Vertical coordinate.")


class PromptBlockData(Strict):
    title: str = Field(description="Block title.")
    body: str = Field(description="Prompt text of the block.")


class PromptFlowNode(Strict):
    id: str = Field(description="Node id, referenced by edges.")
    type: Literal["promptBlock"] = Field(description="Node kind; only 'promptBlock' exists.")
    data: PromptBlockData = Field(description="Title and prompt text of the block.")
    position: Position = Field(description="Position of the node on the canvas.")


class PromptFlowEdge(Strict):
    id: str = Field(description="Edge id.")
    source: str = Field(description="Id of the node the edge leaves.")
    target: str = Field(description="Id of the node the edge enters.")


class PromptFlow(Strict):
    """A prompt split into blocks connected by edges."""

    nodes: list[PromptFlowNode] = Field(description="Prompt blocks.")
    edges: list[PromptFlowEdge] = Field(description="Connections between blocks.")


class SlackChannel(Strict):
    id: str = Field(description="Slack channel id.")
    name: str | None = Field(default=None, description="Channel name, for display.")


class Slack(Strict):
    """Post call summaries to Slack."""

    connection_id: str = Field(description="Id of the Slack connection in the Revox workspace.")
    channels: list[SlackChannel] = Field(description="Channels to post to.")
    outcomes: list[Outcome] = Field(description="Post only calls with these outcomes.")
    template: str | None = Field(default=None, description="Message template; null uses the default.")


class SttContext(Strict):
    """Hints that help speech recognition."""

    general: list[KeyValue] = Field(description="Context entries, e.g. key 'industry', value 'dental care'.")
    terms: list[str] = Field(description="Words and names the recognizer should expect.")


class TransferDestination(Strict):
    """A number the assistant can transfer the call to."""

    label: str = Field(description="Name the assistant uses for this destination.")
    phone_number: E164 = Field(description="E.164 number, e.g. '+14155550123'.")


class Voice(Strict):
    """The text-to-speech voice."""

    id: str = Field(description="Voice id in the provider's catalog.")
    provider: Literal["cartesia", "elevenlabs", "gradium"] = Field(description="Text-to-speech provider.")
    model: Literal["sonic-3", "sonic-3.5"] = Field(
        default=None, description="Cartesia model (Cartesia only; omitted means sonic-3)."
    )
    speed: float = Field(
        default=None,
        ge=0.6,
        le=1.5,
        description="Speaking rate, 1.0 is normal. Cartesia 0.6-1.5, ElevenLabs 0.7-1.2, Gradium 0.6-1.5.",
    )
    volume: float = Field(default=None, ge=0.5, le=2.0, description="Loudness, 1.0 is normal, 0.5-2.0 (Cartesia only).")

    @field_validator("speed")
    @classmethod
    def _provider_speed(cls, speed: float | None, info: ValidationInfo) -> float | None:
        # The SDK documents the speed range per provider; model and volume on other providers are only
        # ignored by the API, so rules.py warns about them instead. Judged on the speed (provider comes
        # first), so the problem's path is voice.speed: a stored speed a change leaves alone is not judged.
        provider = info.data.get("provider")
        if speed is not None and provider in VOICE_SPEED_RANGES:
            low, high = VOICE_SPEED_RANGES[provider]
            if not low <= speed <= high:
                raise ValueError(f"speed within {low}-{high} for provider '{provider}' (got {speed})")
        return speed


class ZohoFieldMapping(Strict):
    source: str = Field(description="Revox value to copy (e.g. a structured output field).")
    zoho_field: str = Field(description="Zoho field to write it to.")


class Zoho(Strict):
    """Write call results to Zoho CRM."""

    connection_id: str = Field(description="Id of the Zoho connection in the Revox workspace.")
    module: str = Field(description="Zoho module to write to, e.g. 'Leads'.")
    field_mapping: list[ZohoFieldMapping] = Field(description="Which values go to which Zoho fields.")
    log_call_activity: bool = Field(description="Also log the call as a Zoho activity.")
    outcomes: list[Outcome] = Field(description="Sync only calls with these outcomes.")
    template: str | None = Field(default=None, description="Note template; null uses the default.")


def _unique_tool_names(tools: list[CustomTool] | None) -> list[CustomTool] | None:
    names = [tool.name for tool in tools or []]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"custom tools with unique names (repeated: {', '.join(repeated)})")
    return tools


class AssistantUpdate(Strict):
    """The body of PATCH /assistants/{id}: every field optional; only the fields sent change.

    Fields that are not nullable in the API are typed without None but default to None: a field
    that is not sent never reaches the body (dumps use exclude_unset), and an explicit null for
    such a field fails validation, as it should.
    """

    after_call_sms_outcomes: list[Outcome] | None = Field(
        default=None, description="Send the after-call SMS only for calls with these outcomes."
    )
    after_call_sms_prompt: str | None = Field(
        default=None, description="Instructions for writing the SMS sent to the contact after a call."
    )
    background_sound: Literal["audio/office.ogg"] | None = Field(
        default=None, description="Ambient sound played under the voice during the call."
    )
    background_sound_volume: Probability = Field(
        default=None, description="Volume of the background sound, 0 (silent) to 1 (full)."
    )
    calendly: Calendly | None = Field(
        default=None, description="Calendly booking: connection_id and event_type_id (the event type's URI)."
    )
    call_retry_config: CallRetryConfig = Field(
        default=None,
        description=(
            "Outbound calling: allowed_days (lowercase weekday names), calling_windows (start and end "
            "as 'HH:mm' or '9am', retry_delay_seconds), max_retry_attempts, call_twice_in_a_row, "
            "timezone (IANA, e.g. 'Europe/Paris')."
        ),
    )
    cartesia_dictionary_pronunciation_id: str | None = Field(
        default=None, description="Id of a Cartesia pronunciation dictionary for tricky words."
    )
    custom_tools: Annotated[list[CustomTool] | None, AfterValidator(_unique_tool_names)] = Field(
        default=None,
        description=(
            "HTTP tools the assistant may call: name (lowercase_snake_case, unique), description, "
            "method, url ({{variable}} allowed), headers and query_params ({key, value} lists), "
            "body_template (or null), input_schema (fields the assistant fills)."
        ),
    )
    email_notification_address: str | None = Field(
        default=None, description="Email address (or comma-separated addresses) that receives call reports."
    )
    email_notification_outcomes: list[Outcome] | None = Field(
        default=None, description="Email a report only for calls with these outcomes."
    )
    end_of_call_sentence: str = Field(default=None, description="What the assistant says before hanging up.")
    faq_items: list[FaqItem] = Field(
        default=None, description="Questions and answers the assistant knows: question, answer."
    )
    first_sentence: str = Field(
        default=None, description="Opening line, spoken as written when first_sentence_mode is 'static'."
    )
    first_sentence_delay_ms: int = Field(
        default=None, description="Milliseconds of silence before the first sentence (default 400)."
    )
    first_sentence_mode: Literal["generated", "static", "none"] = Field(
        default=None,
        description="'static' speaks first_sentence, 'generated' lets the LLM open, 'none' waits for the caller.",
    )
    from_phone_number: E164 | None = Field(
        default=None, description="Caller id for outbound calls, an E.164 number owned by the organization."
    )
    human_transfer_mode: Literal["warm", "cold"] | None = Field(
        default=None, description="'warm' briefs the human before connecting; 'cold' connects directly."
    )
    ivr_navigation_enabled: bool = Field(
        default=None, description="Let the assistant navigate phone menus (press keys) on outbound calls."
    )
    llm_model: LlmModel = Field(
        default=None,
        description=(
            "The language model, by type: dedicated-instance (name), openrouter (openrouter_model_id e.g. "
            "'openai/gpt-4.1', and openrouter_provider: the host serving it, e.g. nebius, openai, azure), custom "
            "(api_url, api_key, model_name), realtime (provider, realtime_model_id, realtime_voice_id: that "
            "provider's voice, e.g. OpenAI marin, Gemini Puck). A new type replaces the object: send all its keys."
        ),
    )
    logo_url: Url | None = Field(default=None, description="Logo shown for the assistant in the dashboard.")
    max_call_duration_secs: float = Field(default=None, description="Calls are ended after this many seconds.")
    max_duration_end_message: str | None = Field(
        default=None, description="What the assistant says when the maximum duration is reached."
    )
    name: str = Field(default=None, description="Display name of the assistant.")
    position: Position | None = Field(default=None, description="Position on the multi-step canvas: x, y.")
    precall_lookup_url: str | None = Field(
        default=None,
        pattern=PRECALL_URL_PATTERN,
        description="URL fetched before each call to load contact data; must contain {{phone}}.",
    )
    prompt: str = Field(default=None, description="The system prompt: who the assistant is and how it behaves.")
    prompt_flow: PromptFlow | None = Field(
        default=None,
        description=(
            "Multi-step prompt: nodes (id, type 'promptBlock', data {title, body}, position {x, y}) and"
            " edges (id, source, target)."
        ),
    )
    slack: Slack | None = Field(
        default=None,
        description=(
            "Slack posts after calls: connection_id, channels ({id, name}), outcomes that trigger a post, template."
        ),
    )
    sms_enabled: bool = Field(default=None, description="Allow the assistant to send SMS.")
    sms_template: str | None = Field(default=None, description="Template of the SMS the assistant sends.")
    structured_output_config: list[FieldSpec] = Field(
        default=None,
        description=("Values to extract from each call: name, required, type ('enum' with enum_options), description."),
    )
    structured_output_prompt: str | None = Field(
        default=None, description="Extra instructions for extracting the structured output."
    )
    stt_context: SttContext | None = Field(
        default=None, description="Speech recognition hints: general ({key, value} pairs) and terms (words to expect)."
    )
    stt_model: Literal["stt-rt-v4", "stt-rt-v5"] = Field(default=None, description="Speech recognition model.")
    thinking_sound: ThinkingSound | None = Field(
        default=None, description="Sound played while the assistant is thinking."
    )
    thinking_sound_probability: Probability = Field(
        default=None, description="Chance (0 to 1) that the thinking sound plays on a pause."
    )
    thinking_sound_volume: Probability = Field(default=None, description="Volume of the thinking sound, 0 to 1.")
    transfer_destinations: list[TransferDestination] | None = Field(
        default=None, description="Where calls may be transferred: label and phone_number (E.164, e.g. +14155550123)."
    )
    transfer_phone_number: str = Field(
        default=None,
        description="Older single transfer number from the original API page; the current API lists "
        "transfer_destinations instead: prefer those.",
    )
    type: Literal["standalone", "multi-step", "sub-assistant"] = Field(default=None, description="Assistant kind.")
    voice: Voice = Field(
        default=None,
        description=(
            "Text-to-speech voice: id and provider (from list_voices), model (Cartesia: 'sonic-3', the "
            "default, or 'sonic-3.5'), speed (1.0 normal; Cartesia and Gradium 0.6-1.5, ElevenLabs "
            "0.7-1.2), volume (Cartesia, 0.5-2.0)."
        ),
    )
    voicemail_message: str | None = Field(
        default=None, description="Message left on voicemail; null hangs up without leaving one."
    )
    voicemail_sms_prompt: str | None = Field(
        default=None, description="Instructions for the SMS sent when the call reaches voicemail."
    )
    warm_transfer_summary_instructions: str | None = Field(
        default=None, description="How to brief the human on a warm transfer."
    )
    webhook_url: Url = Field(default=None, description="URL that receives call events as JSON POSTs.")
    zoho: Zoho | None = Field(
        default=None,
        description=(
            "Zoho CRM sync: connection_id, module (e.g. 'Leads'), field_mapping ({source, zoho_field}),"
            " log_call_activity, outcomes, template."
        ),
    )

    def body(self) -> dict[str, Any]:
        """The JSON body to send: exactly the fields the caller set, nulls included."""
        return self.model_dump(mode="json", exclude_unset=True)


class AssistantCreate(AssistantUpdate):
    """The body of POST /assistants (the SDK's AssistantCreateParams): every field of the update, with the two the
    SDK requires, name and prompt, required; the others take the API's defaults when left out."""

    name: str = Field(description="Display name of the assistant.")
    prompt: str = Field(description="The system prompt: who the assistant is and how it behaves.")


class Assistant(BaseModel):
    """An assistant as the API returns it, for the published answer schema only: nothing here is checked.

    Reads are lenient on purpose: the API adds fields and may answer a value of another type than
    this release knows (a `created_at` as a number), and a read must never fail or lose a value for
    that. So the metadata keys are described but not typed, and every other key is allowed.
    """

    model_config = ConfigDict(extra="allow")

    id: Any = Field(description="Assistant id.")
    organization_id: Any = Field(default=None, description="Organization that owns the assistant.")
    created_at: Any = Field(default=None, description="Creation time (ISO-8601).")
    updated_at: Any = Field(default=None, description="Time of the last write (ISO-8601); changes on every update.")
    created_by: Any = Field(default=None, description="User who created the assistant: id, email, names.")
    pending_faq_count: Any = Field(default=None, description="FAQ items waiting for a human answer.")
    is_inbound_receptionist: Any = Field(default=None, description="Whether it answers inbound calls.")
    is_realestate_assistant: Any = Field(default=None, description="Real-estate template flag.")


# Update fields every read of an assistant holds (required in the SDK's answer type; the others may be left
# out when null). A read without one of these is partial, not empty (tests/test_sdk_conformance.py keeps it
# equal to the SDK).
ALWAYS_READ = frozenset(
    {
        "background_sound_volume",
        "first_sentence_delay_ms",
        "first_sentence_mode",
        "ivr_navigation_enabled",
        "llm_model",
        "max_call_duration_secs",
        "name",
        "prompt",
        "sms_enabled",
        "stt_model",
        "thinking_sound_probability",
        "thinking_sound_volume",
        "type",
    }
)

# Free-text fields an agent may edit in place with replace_text; every one is a string field of AssistantUpdate.
TextField = Literal[
    "prompt",
    "first_sentence",
    "end_of_call_sentence",
    "voicemail_message",
    "structured_output_prompt",
    "after_call_sms_prompt",
    "max_duration_end_message",
    "sms_template",
    "voicemail_sms_prompt",
    "warm_transfer_summary_instructions",
]

# Lists whose items an agent may upsert or remove one at a time, and the key that identifies an item
# (None: by position).
KeyedList = Literal[
    "faq_items",
    "structured_output_config",
    "custom_tools",
    "transfer_destinations",
    "call_retry_config.calling_windows",
]
LIST_KEYS: dict[str, str | None] = {
    "faq_items": "question",
    "structured_output_config": "name",
    "custom_tools": "name",
    "transfer_destinations": "label",
    "call_retry_config.calling_windows": None,
}
