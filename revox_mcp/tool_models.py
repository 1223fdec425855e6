"""The tools' arguments and answers, as pydantic models: the source of every published tool schema."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Discriminator, Field, PlainValidator, PrivateAttr, Tag

from revox_mcp.config import MAX_PREVIEW_AUDIO_BYTES, MAX_PREVIEW_TEXT_CHARS, MAX_TEXT_CHARS
from revox_mcp.models import (
    E164_PATTERN,
    PATTERN_MEANINGS,
    VOICE_SPEED_RANGES,
    Assistant,
    AssistantCreate,
    CallingWindow,
    CustomTool,
    FaqItem,
    FieldSpec,
    KeyedList,
    Strict,
    TextField,
    TransferDestination,
)

ASSISTANT_ID_PATTERN = r"^[A-Za-z0-9_-]{1,128}$"
PATTERN_MEANINGS[ASSISTANT_ID_PATTERN] = "an assistant id: 1-128 letters, digits, '-' or '_'"
AssistantId = Annotated[
    str,
    Field(
        pattern=ASSISTANT_ID_PATTERN,
        max_length=128,
        description="Assistant id (letters, digits, '-' and '_'), as returned by list_assistants or get_assistant.",
    ),
]


def _no_nul(text: str | None) -> str | None:
    if text is not None and "\x00" in text:
        raise ValueError("a reason cannot hold a NUL character (\\u0000): write it in plain text")
    return text


Reason = Annotated[
    str | None,
    Field(max_length=500, description="Why the change is made, in a few words; kept in the change journal."),
    AfterValidator(_no_nul),
]
ReturnAssistant = Annotated[
    bool, Field(description="true: also answer with the whole assistant; by default only what changed.")
]
DryRun = Annotated[
    bool,
    Field(description="true: read, merge, check and show the result and its diff, but write nothing."),
]


class ReturnedFaqItem(FaqItem):
    """A FAQ item as get_assistant shows it may come back whole: the keys the API assigns are taken and
    dropped (they are the API's to set)."""

    # Typed as the API returns them (the SDK's AssistantFaqItem), so that every property has a type.
    id: str | None = Field(default=None, description="Assigned by the API; ignored.")
    needs_human_answer: bool | None = Field(default=None, description="Assigned by the API; ignored.")
    source: str | None = Field(default=None, description="Assigned by the API; ignored.")


def _as_sent(key: str | None) -> Any:
    """An upsert's item as sent: an object with its key. Published with its model's schema, its values are judged
    after the read, against the stored item of the same key: a value stored before (a newer enum value, an older
    shape) that the edit leaves as it is, is not the edit's to judge (writer.py)."""

    def as_sent(value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise ValueError("an object: the whole item")
        if key is not None and not isinstance(value.get(key), str):
            raise ValueError(f"an object with its {key} (a string): the key that names the item")
        return value

    return as_sent


FaqItemAsSent = Annotated[dict[str, Any], PlainValidator(_as_sent("question"), json_schema_input_type=ReturnedFaqItem)]
FieldSpecAsSent = Annotated[dict[str, Any], PlainValidator(_as_sent("name"), json_schema_input_type=FieldSpec)]
CustomToolAsSent = Annotated[dict[str, Any], PlainValidator(_as_sent("name"), json_schema_input_type=CustomTool)]
DestinationAsSent = Annotated[
    dict[str, Any], PlainValidator(_as_sent("label"), json_schema_input_type=TransferDestination)
]
WindowAsSent = Annotated[dict[str, Any], PlainValidator(_as_sent(None), json_schema_input_type=CallingWindow)]


class UpsertFaqItem(Strict):
    op: Literal["upsert"] = Field(description="Add the item, or replace the one with the same key.")
    list: Literal["faq_items"] = Field(description="FAQ items, keyed by question.")
    item: FaqItemAsSent = Field(description="The whole item; its question is the key.")


class UpsertFieldSpec(Strict):
    op: Literal["upsert"] = Field(description="Add the item, or replace the one with the same key.")
    list: Literal["structured_output_config"] = Field(description="Structured output fields, keyed by name.")
    item: FieldSpecAsSent = Field(description="The whole field spec; its name is the key.")


class UpsertCustomTool(Strict):
    op: Literal["upsert"] = Field(description="Add the item, or replace the one with the same key.")
    list: Literal["custom_tools"] = Field(description="Custom tools, keyed by name.")
    item: CustomToolAsSent = Field(description="The whole tool; its name is the key.")


class UpsertTransferDestination(Strict):
    op: Literal["upsert"] = Field(description="Add the item, or replace the one with the same key.")
    list: Literal["transfer_destinations"] = Field(description="Transfer destinations, keyed by label.")
    item: DestinationAsSent = Field(description="The whole destination; its label is the key.")


class UpsertCallingWindow(Strict):
    op: Literal["upsert"] = Field(description="Replace the window at index, or append one.")
    list: Literal["call_retry_config.calling_windows"] = Field(description="Calling windows, by position.")
    item: WindowAsSent = Field(description="The whole calling window.")
    index: int | None = Field(default=None, ge=0, description="0-based position to replace; omit to append.")


class RemoveItem(Strict):
    op: Literal["remove"] = Field(description="Remove one item from a list.")
    list: KeyedList = Field(description="Which list.")
    key: Annotated[str, Field(max_length=10_000)] | int = Field(
        description="The item's key: question (faq_items), name (structured_output_config, custom_tools), "
        "label (transfer_destinations), or 0-based index (call_retry_config.calling_windows)."
    )


class ReplaceText(Strict):
    op: Literal["replace_text"] = Field(description="Replace one exact passage of a text field.")
    field: TextField = Field(description="Which text field.")
    find: str = Field(
        min_length=1,
        max_length=10_000,
        description="Exact text to find (at most 10,000 characters); it must occur exactly once in the field.",
    )
    replace: str = Field(
        max_length=MAX_TEXT_CHARS, description="Text to put in its place (may be empty to delete the passage)."
    )


def _edit_tag(value: Any) -> str | None:
    def get(key: str) -> Any:
        return value.get(key) if isinstance(value, dict) else getattr(value, key, None)

    op = get("op")
    return f"upsert:{get('list')}" if op == "upsert" else op


Edit = Annotated[
    Annotated[UpsertFaqItem, Tag("upsert:faq_items")]
    | Annotated[UpsertFieldSpec, Tag("upsert:structured_output_config")]
    | Annotated[UpsertCustomTool, Tag("upsert:custom_tools")]
    | Annotated[UpsertTransferDestination, Tag("upsert:transfer_destinations")]
    | Annotated[UpsertCallingWindow, Tag("upsert:call_retry_config.calling_windows")]
    | Annotated[RemoveItem, Tag("remove")]
    | Annotated[ReplaceText, Tag("replace_text")],
    Discriminator(_edit_tag),
]
EDIT_TAGS = (
    "upsert:faq_items",
    "upsert:structured_output_config",
    "upsert:custom_tools",
    "upsert:transfer_destinations",
    "upsert:call_retry_config.calling_windows",
    "remove",
    "replace_text",
)


class GetAssistantArgs(Strict):
    """Arguments of get_assistant."""

    id: AssistantId
    fields: list[Annotated[str, Field(max_length=100)]] | None = Field(
        default=None,
        max_length=60,
        description='Top-level fields to read, e.g. ["voice", "first_sentence"] (id, name and updated_at always '
        "come), whole or, when long, in pages[]. Without it every field comes, long texts cut and long lists "
        "left out, each with a note.",
    )
    offset: int = Field(
        default=0,
        ge=0,
        le=10_000_000,
        description="Start of a page: item index (lists, faq_query matches) or character (texts); see next_offset.",
    )
    limit: int | None = Field(
        default=None,
        ge=1,
        le=100_000,
        description="Most items (<=500) or characters (<=100,000) in a page; default: what fits.",
    )
    faq_query: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="FAQ items whose question or answer contains this (any case), paged, each with its index.",
    )


class UpdateAssistantArgs(Strict):
    """Arguments of update_assistant."""

    id: AssistantId
    # Typed loosely here on purpose: the published schema for `patch` is the partial form of
    # AssistantUpdate (see tools/assistants.py), checked by jsonschema; the strict model checks the merged result.
    patch: dict[str, Any] = Field(
        default_factory=dict,
        description=(
            "Fields to change. Omitted fields keep their value; null clears a nullable field. A nested object "
            "is merged onto the current one (send only the keys to change); a list is replaced whole."
        ),
    )
    edits: list[Edit] = Field(
        default_factory=list,
        max_length=100,
        description=(
            "Precise changes applied in order after patch, all or nothing, without resending a long list or "
            "text. upsert {list, item} adds the whole item or replaces the one with its key: faq_items by "
            "question, structured_output_config and custom_tools by name, transfer_destinations by label; "
            "call_retry_config.calling_windows by index (omit to append). remove {list, key} removes one (key: "
            "the question, name, label, or index). replace_text {field, find, replace} replaces one exact "
            "passage of a text field such as the prompt; find must occur exactly once. At most 100 edits."
        ),
    )
    dry_run: DryRun = False
    return_assistant: ReturnAssistant = False
    expected_updated_at: str | None = Field(
        default=None,
        max_length=64,
        description="Version guard: the updated_at you read. If the assistant changed since, nothing is written.",
    )
    reason: Reason = None
    # Problems the arguments check found where a value may be a stored one (an edit's item, a list's items, an
    # object of a variant the arguments cannot name): judged after the read, against what is stored (writer.py).
    _after_read: list[Any] = PrivateAttr(default_factory=list)

    def leave_for_after_read(self, problems: list[Any]) -> None:
        self._after_read = list(problems)

    def problems_after_read(self) -> list[Any]:
        return list(self._after_read)


class ListAssistantsArgs(Strict):
    """Arguments of list_assistants."""

    name_contains: str | None = Field(
        default=None, max_length=200, description="Only assistants whose name or id contains this (any case)."
    )


class ListChangesArgs(Strict):
    """Arguments of list_changes."""

    assistant_id: AssistantId | None = Field(default=None, description="Only changes to this assistant.")
    actor: str | None = Field(default=None, max_length=64, description="Only changes made by this person.")
    since: str | None = Field(default=None, max_length=40, description="Only changes at or after this ISO-8601 time.")
    until: str | None = Field(default=None, max_length=40, description="Only changes before this ISO-8601 time.")
    from_calls: bool = Field(
        default=False,
        description="With assistant_id: also the changes its calls show (each call's configuration compared with "
        "the one before; made anywhere, at any time), on page 1 as rows of kind from_calls.",
    )
    page: int = Field(default=1, ge=1, le=10_000, description="Page number, 1-10000.")
    page_size: int = Field(default=20, ge=1, le=100, description="Changes per page, 1-100.")
    change_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="Show this change's diff (paged: diff_offset); without it each change is a summary.",
    )
    diff_offset: int = Field(
        default=0, ge=0, le=100_000, description="With change_id: the first diff entry shown (next_diff_offset)."
    )


class RevertChangeArgs(Strict):
    """Arguments of revert_change."""

    change_id: str = Field(min_length=1, max_length=64, description="Id of the change to undo, from list_changes.")
    force: bool = Field(
        default=False, description="Revert even if the fields were changed again since (their newer values are lost)."
    )
    dry_run: DryRun = False
    return_assistant: ReturnAssistant = False
    reason: Reason = None


class Change(BaseModel):
    path: str = Field(description="Field path, e.g. 'voice.speed' or 'faq_items[2].answer'.")
    before: Any = Field(default=None, description="Value before (absent for long text, see diff).")
    after: Any = Field(default=None, description="Value after (absent for long text, see diff).")
    diff: str | None = Field(
        default=None,
        description="For long text: a unified diff of the lines changed; past 4,000 characters, the passage "
        "changed ('@@ line, character (offset)'), [the change] between a few words, before (-) and after (+).",
    )
    added: Any = Field(default=None, description="An item added to a list, at this index now.")
    removed: Any = Field(default=None, description="An item removed from a list, at this index before.")


class CutField(BaseModel):
    field: str = Field(description="The field shortened.")
    shown: int = Field(description="How much of it is shown.")
    total: int = Field(description="How much there is.")
    unit: Literal["characters", "items"] = Field(description="What shown and total count.")


class VoiceInfo(BaseModel):
    name: Any = Field(description="The voice's name in the catalog.")
    language: Any = Field(description="Its language.")
    gender: Any = Field(description="Its gender.")
    accent: Any = Field(description="Its accent.")


class PageRow(BaseModel):
    index: int = Field(description="The item's position in the list (0-based).")
    item: Any = Field(description="The item as stored.")
    cut: bool = Field(default=False, description="true: the item alone is over the answer ceiling; texts cut.")


class FieldPage(BaseModel):
    field: str = Field(description="The field paged.")
    unit: Literal["items", "characters"] = Field(description="What offset, shown and total count.")
    offset: int = Field(description="Where this page starts.")
    shown: int = Field(description="How many items or characters this page holds.")
    total: int = Field(description="How many there are (for a search: how many items match).")
    next_offset: int | None = Field(description="Pass as offset for the next page; null on the last one.")
    edit_key: str | None = Field(default=None, description="Lists: what an edit names an item by.")
    items: list[PageRow] | None = Field(default=None, description="Lists: this page's items, with their index.")
    text: str | None = Field(
        default=None,
        description="Texts: this page's characters, then a cut mark unless it is the whole text (strip the mark "
        "before joining pages).",
    )
    limited: str | None = Field(
        default=None, description="Why the page holds fewer than the limit asked (the answer ceiling)."
    )
    query: str | None = Field(default=None, description="faq_query, when this page holds its matches.")
    list_total: int | None = Field(default=None, description="With faq_query: how many items the list has.")


class AssistantAnswer(BaseModel):
    """What get_assistant returns as structured content."""

    assistant: Assistant = Field(
        description="The assistant as stored: every field of update_assistant's patch, plus the keys below."
    )
    cut: list[CutField] = Field(default_factory=list, description="Fields shortened in this answer.")
    missing: list[str] = Field(default_factory=list, description="Fields asked for that the assistant does not have.")
    voice: VoiceInfo | None = Field(default=None, description="The current voice, as the catalog names it.")
    pages: list[FieldPage] = Field(
        default_factory=list, description="Fields too long for one answer, or searched: one page of each."
    )
    masked: bool = Field(
        default=False,
        description="true: some values are masked secrets ('…abcd'); sent back unchanged, they keep the stored ones.",
    )


class UpdateAnswer(BaseModel):
    """What update_assistant and revert_change return as structured content."""

    assistant_id: Any = Field(description="The assistant changed.")
    updated_at: Any = Field(description="Its updated_at after the write: the next expected_updated_at.")
    assistant: Assistant | None = Field(
        default=None, description="Only with return_assistant: the assistant as stored (or as it would be)."
    )
    changes: list[Change] = Field(description="Every field that changed, with its value before and after.")
    warnings: list[str] = Field(description="Things to know: fields the API did not apply, concurrent writes seen.")
    dry_run: bool = Field(description="true when nothing was written.")
    change_id: str | None = Field(description="Journal id of this change (for revert_change); null on a dry run.")


class AssistantRow(BaseModel):
    """Rows pass on what the API sent, so their values are described, not typed: a read never fails over
    a value of a type this release does not expect. The same holds for the other rows built from answers."""

    id: Any = Field(description="Assistant id.")
    name: Any = Field(description="Display name.")
    type: Any = Field(description="standalone, multi-step or sub-assistant.")
    updated_at: Any = Field(description="Time of the last write.")


class ListAssistantsAnswer(BaseModel):
    """What list_assistants returns."""

    assistants: list[AssistantRow] = Field(description="Matching assistants, in the API's order.")


class ChangedPath(BaseModel):
    path: str = Field(description="Field path changed, e.g. 'prompt' or 'faq_items[12]'.")
    kind: Literal["set", "diff", "added", "removed"] = Field(
        description="set (before/after), diff (a long text), added or removed (a list item)."
    )
    bytes: int = Field(description="Size of this entry of the full diff (list_changes with change_id shows it).")


class ChangeRow(BaseModel):
    change_id: str = Field(description="Journal id; pass it to revert_change.")
    created_at: str = Field(description="When the change was recorded (ISO-8601, UTC).")
    assistant_id: str | None = Field(description="The assistant changed or concerned (null: none).")
    kind: str = Field(
        default="update",
        description="update (an assistant's fields), outside (made elsewhere, seen at a read), from_calls (derived "
        "from the configuration calls ran with, not journalled), or another write: create_assistant, "
        "clone_assistant, delete_assistant, update_phone_number, ...",
    )
    target_type: str = Field(default="assistant", description="What the change wrote to: assistant, phone_number, ...")
    target_id: str | None = Field(default=None, description="Its id (null: a create whose new id is not known).")
    status: Literal["applied", "pending", "failed"] = Field(
        description="applied; failed (the API refused); pending (outcome unknown: the server stopped mid-write)."
    )
    status_reason: str | None = Field(
        default=None, description="Why it failed, or how a pending change was settled (by re-reading the assistant)."
    )
    fields: list[str] = Field(description="Top-level fields the change touched.")
    reason: str | None = Field(description="The reason given with the change.")
    reverts: str | None = Field(description="Id of the change this one reverted, if it is a revert.")
    reverted_by: str | None = Field(
        default=None, description="Id of the change that reverted this one (null: it stands, or its revert failed)."
    )
    actor: str | None = Field(default=None, description="Who made it: see actor_means.")
    paths: list[ChangedPath] = Field(description="What the change changed, in brief: each path and its size.")
    paths_total: int = Field(description="How many paths it changed (paths lists the first 20).")
    changes: list[Change] | None = Field(
        default=None, description="Only with change_id: the field-level diff, from diff_offset (bounded)."
    )
    next_diff_offset: int | None = Field(
        default=None, description="With change_id: pass as diff_offset for the rest of the diff; null when all shown."
    )


class ListChangesAnswer(BaseModel):
    """What list_changes returns."""

    changes: list[ChangeRow] = Field(description="Changes, newest first.")
    total: int = Field(description="How many changes match in all.")
    next_page: int | None = Field(description="The next page number, or null on the last page.")
    actor_means: str = Field(default="", description="What a row's actor says, in one line.")


# --- context around an update: voices, numbers, calls ---------------------------------------------

Language = Literal["en", "fr", "es", "de", "it", "pt", "ru", "zh"]
CallResult = Literal["IVR", "voicemail", "human", "unknown", "ios-screening-filter", "none"]


class ListVoicesArgs(Strict):
    """Arguments of list_voices."""

    provider: str | None = Field(
        default=None,
        max_length=64,
        description="Only this provider's voices: cartesia, elevenlabs, gradium, or any newer one.",
    )
    language: Language | None = Field(default=None, description="Only voices speaking this language.")
    gender: Literal["male", "female", "neutral"] | None = Field(default=None, description="Only this gender.")
    accent: str | None = Field(
        default=None, max_length=64, description="Only this accent, e.g. 'british', 'american', 'quebec'."
    )
    cloned: bool | None = Field(default=None, description="true: only the organization's cloned voices; false: none.")
    model: Literal["sonic-3", "sonic-3.5"] | None = Field(
        default=None, description="Only voices that work with this Cartesia model (universal voices included)."
    )
    query: str | None = Field(
        default=None, max_length=200, description="Words to find in the name or description, e.g. 'warm'."
    )
    ids: list[Annotated[str, Field(max_length=128)]] | None = Field(
        default=None, max_length=100, description="Only these voice ids (e.g. the assistant's voice.id)."
    )
    limit: int = Field(default=25, ge=1, le=200, description="Most rows to return, 1-200.")


class VoiceRow(BaseModel):
    id: Any = Field(description="Voice id: put it in voice.id with voice.provider.")
    name: Any = Field(description="Display name.")
    provider: Any = Field(description="cartesia, elevenlabs or gradium.")
    language: Any = Field(description="Language code.")
    accent: Any = Field(description="Accent, if any.")
    gender: Any = Field(description="male, female, neutral, or null.")
    cloned: bool = Field(description="A voice cloned by the organization.")
    model_compat: Any = Field(description="universal, or the only Cartesia model it works with.")
    description: Any = Field(description="What it sounds like.")


class ListVoicesAnswer(BaseModel):
    """What list_voices returns."""

    voices: list[VoiceRow] = Field(description="Matching voices, best text match first when a query is given.")
    total: int = Field(description="How many voices match in all.")


class ListPhoneNumbersArgs(Strict):
    """list_phone_numbers takes no arguments."""


class PhoneNumberRow(BaseModel):
    id: Any = Field(default=None, description="The number's id (update_phone_number takes it).")
    phone_number: Any = Field(description="E.164 number; usable as from_phone_number.")
    label: Any = Field(description="The organization's name for it.")
    type: Any = Field(description="owned_number or verified_caller_id.")
    provider: Any = Field(description="twilio, telnyx or sip.")
    inbound_assistant_id: Any = Field(description="The assistant that answers calls to it, if any.")
    inbound_assistant_name: Any = Field(description="That assistant's name.")


class ListPhoneNumbersAnswer(BaseModel):
    """What list_phone_numbers returns."""

    phone_numbers: list[PhoneNumberRow] = Field(description="The organization's numbers.")


CallStatus = Literal[
    "initializing", "queued_for_calling", "calling", "post_processing", "not_launched", "scheduled", "paused",
    "completed", "cancelled", "errored",
]  # fmt: skip
CallSort = Literal["created_at", "scheduled_at", "updated_at", "calls_count"]
SearchId = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")]
PhoneNumber = Annotated[str, Field(pattern=E164_PATTERN, max_length=16)]


class SearchCallsArgs(Strict):
    """Arguments of search_calls."""

    assistant_id: AssistantId | None = Field(default=None, description="Only calls made or taken by this assistant.")
    outcomes: list[Literal["not_interested", "interested", "completed", "requested_callback_later", "none"]] = Field(
        default_factory=list, description="Only calls with one of these outcomes ('none': no outcome)."
    )
    results: list[CallResult] = Field(
        default_factory=list, description="Only calls whose last attempt ended this way (human, voicemail, IVR, ...)."
    )
    direction: Literal["inbound", "outbound"] | None = Field(default=None, description="Only this direction.")
    created_after: str | None = Field(
        default=None, max_length=40, description="Only calls created at or after this ISO-8601 time."
    )
    created_before: str | None = Field(
        default=None, max_length=40, description="Only calls created before this ISO-8601 time."
    )
    query: str | None = Field(
        default=None, max_length=200, description="Text to find in the call (names, summary, transcript)."
    )
    statuses: list[CallStatus] = Field(
        default_factory=list, max_length=10, description="Call statuses to keep (e.g. errored, scheduled)."
    )
    assistant_ids: list[SearchId] = Field(
        default_factory=list, max_length=50, description="More assistants (with assistant_id)."
    )
    campaign_ids: list[SearchId] = Field(default_factory=list, max_length=50, description="Campaign ids.")
    assignee_ids: list[SearchId] = Field(
        default_factory=list, max_length=50, description="Ids of the team members the calls are assigned to."
    )
    call_ids: list[SearchId] = Field(default_factory=list, max_length=100, description="These calls only.")
    from_phone_numbers: list[PhoneNumber] = Field(
        default_factory=list, max_length=50, description="Calling numbers (E.164)."
    )
    to_phone_number: PhoneNumber | None = Field(default=None, description="The number called (E.164).")
    sort_by: CallSort = Field(default="created_at", description="Sort key.")
    sort_direction: Literal["asc", "desc"] = Field(default="desc", description="desc: newest or most first.")
    page: int = Field(default=1, ge=1, le=10_000, description="Page number, 1-10000.")
    page_size: int = Field(default=20, ge=1, le=100, description="Calls per page, 1-100.")


class CallRow(BaseModel):
    id: Any = Field(description="Call id, for get_call.")
    created_at: Any = Field(description="When the call was created (ISO-8601).")
    assistant_id: Any = Field(description="The assistant on the call.")
    direction: Any = Field(description="inbound or outbound.")
    result: Any = Field(description="How the last attempt ended: human, voicemail, IVR, ...")
    outcome: Any = Field(description="The call's outcome, or null.")
    outcome_summary: Any = Field(description="One-line summary of what happened.")
    status: Any = Field(default=None, description="The call order's status: scheduled, paused, completed, ...")
    scheduled_at: Any = Field(default=None, description="When the call order is (or was) to start.")
    to_phone_number: Any = Field(default=None, description="The number called (E.164).")
    duration_secs: float | None = Field(description="Length of the last attempt in seconds.")
    end_reason: Any = Field(description="Why the last attempt ended.")
    contact: Any = Field(description="Contact name.")


class SearchCallsAnswer(BaseModel):
    """What search_calls returns."""

    calls: list[CallRow] = Field(description="Matching calls, newest first.")
    total: int = Field(description="How many calls match in all.")
    next_page: int | None = Field(description="The next page number, or null on the last page.")
    counts: dict[str, dict[str, int]] = Field(description="On this page: how many calls per result and per outcome.")


class GetCallArgs(Strict):
    """Arguments of get_call."""

    id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_-]+$", description="Call id from search_calls.")
    turn_offset: int = Field(
        default=0, ge=0, le=100_000, description="First transcript turn to return (0-based), to page on."
    )
    max_turns: int = Field(default=40, ge=1, le=200, description="Most transcript turns to return, 1-200.")


class TranscriptTurn(BaseModel):
    index: int = Field(description="Position in the call's transcript, from 0.")
    attempt_id: Any = Field(description="The attempt this turn belongs to.")
    role: Any = Field(description="user, assistant, human_agent or tool.")
    content: Any = Field(description="What was said (long turns are cut, with a marker).")
    tool_name: Any = Field(default=None, description="For tool turns: the tool called.")


class GetCallAnswer(BaseModel):
    """What get_call returns."""

    call: dict[str, Any] = Field(
        description="The call: contact, outcome, attempts (without transcripts), structured output."
    )
    transcript: list[TranscriptTurn] = Field(description="This page of the transcript.")
    transcript_total_turns: int = Field(description="Turns in the whole transcript.")
    next_turn_offset: int | None = Field(description="Pass as turn_offset for the rest; null when all was shown.")


# --- the tuning loop -----------------------------------------------------------------------------------

Outcome = Literal["not_interested", "interested", "completed", "requested_callback_later", "none"]


class ChangeImpactArgs(Strict):
    """Arguments of change_impact."""

    change_id: str | None = Field(default=None, max_length=64, description="A change from list_changes.")
    assistant_id: AssistantId | None = Field(
        default=None, description="With 'at': the assistant, for a change made outside this server."
    )
    at: str | None = Field(default=None, max_length=40, description="With assistant_id: when it changed (ISO-8601).")
    until: str | None = Field(
        default=None,
        max_length=40,
        description="End of the after side (ISO-8601); past later changes, measures them together.",
    )
    success: Outcome | None = Field(
        default=None,
        description="The primary outcome, the one the verdict tests (choose it before looking); default: the "
        "most common of interested, completed.",
    )
    lookback_days: int = Field(default=30, ge=1, le=365, description="How far back before the change to look, 1-365.")
    look: Literal["any", "planned"] = Field(
        default="any",
        description="any: a sequential verdict, valid however often you check; planned: the fixed-horizon test, "
        "for one read planned in advance.",
    )


class ChangeImpactAnswer(BaseModel):
    """What change_impact returns."""

    verdict: Literal["better", "worse", "not yet", "unmeasurable"] = Field(description="The answer, first.")
    words: str = Field(description="The verdict in a sentence, with the shares and the test that decided.")
    look: Literal["valid at any look", "planned single look"] = Field(description="How the verdict may be read.")
    p_value: float | None = Field(description="Always-valid p-value (any look), or the z-test's (planned).")
    calls_to_decide: int | None = Field(description="Any look, not yet: about how many more calls after would decide.")
    calls_needed_per_side: int | None = Field(description="Planned, not yet: calls per side an 80%-power test needs.")
    change_id: str | None = Field(description="The change compared.")
    assistant_id: str = Field(description="Its assistant.")
    changed_at: str = Field(description="The moment of the change.")
    success_outcome: str = Field(description="The outcome counted as success.")
    # An object in the output schema (a client only checks the answer's shape); the keys are impact.summary's:
    # calls, by_outcome, by_result, success, success_share, success_interval_95, median_duration_secs,
    # transfer_rate, voicemail_rate.
    before: dict[str, Any] = Field(description="Calls that ran with the configuration before.")
    after: dict[str, Any] = Field(description="Calls that ran with it after.")
    left_out: dict[str, Any] = Field(description="Calls under way at the change, and outside the window.")
    notes: list[str] = Field(description="How the comparison was made.")


class PlaceTestCallArgs(Strict):
    """Arguments of place_test_call."""

    assistant_id: AssistantId
    phone_number: str = Field(max_length=16, description="One of the operator's test numbers (E.164).")
    prompt_variables: dict[Annotated[str, Field(max_length=64)], Annotated[str, Field(max_length=2000)]] = Field(
        default_factory=dict, max_length=50, description="Values for the prompt's {{variables}}."
    )
    patch: dict[str, Any] = Field(
        default_factory=dict,
        description="A candidate change, as update_assistant's patch; the stored assistant is not changed.",
    )
    edits: list[dict[str, Any]] = Field(
        default_factory=list, max_length=100, description="Candidate edits, as update_assistant's edits."
    )
    reason: Reason = None


class PlaceTestCallAnswer(BaseModel):
    """What place_test_call returns."""

    call_id: Any = Field(description="The call placed; get_call shows its attempt and transcript when they exist.")
    phone_number: str = Field(description="The number called.")
    assistant_id: str = Field(description="The assistant whose configuration (with the candidate) was used.")
    candidate: list[Change] = Field(description="How the configuration used differs from the stored one.")
    warnings: list[str] = Field(description="Things to know about the candidate.")
    status: Any = Field(description="The call's status as the API reported it.")


# preview_voice's speed in its schema: the widest of the per-provider ranges (each provider's own is judged
# by models.Voice, as update_assistant judges voice.speed).
_PREVIEW_SPEED = (
    min(low for low, _ in VOICE_SPEED_RANGES.values()),
    max(high for _, high in VOICE_SPEED_RANGES.values()),
)


class PreviewVoiceArgs(Strict):
    """Arguments of preview_voice."""

    voice_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        description="Voice to hear (a list_voices id). Default: the assistant's.",
    )
    assistant_id: AssistantId | None = Field(
        default=None, description="Assistant whose voice, settings and first sentence are the defaults."
    )
    provider: Literal["cartesia", "elevenlabs", "gradium"] | None = Field(
        default=None, description="The voice's provider. Default: the assistant's, or the catalog's for voice_id."
    )
    speed: float | None = Field(
        default=None,
        ge=_PREVIEW_SPEED[0],
        le=_PREVIEW_SPEED[1],
        description="1.0 is normal; Cartesia and Gradium 0.6-1.5, ElevenLabs 0.7-1.2. Default: the assistant's.",
    )
    model: Literal["sonic-3", "sonic-3.5"] | None = Field(
        default=None, description="Cartesia model. Default: the assistant's, else sonic-3."
    )
    volume: float | None = Field(default=None, ge=0.5, le=2.0, description="Cartesia loudness, 0.5-2.0, 1.0 normal.")
    text: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_PREVIEW_TEXT_CHARS,
        description=f"What to say, at most {MAX_PREVIEW_TEXT_CHARS} characters. Default: the assistant's first "
        "sentence, else a short stock sentence.",
    )


class PreviewVoiceAnswer(BaseModel):
    """What preview_voice returns beside its audio block (complete without it)."""

    voice_id: str = Field(description="The voice heard.")
    provider: str = Field(description="Its provider.")
    voice_name: str | None = Field(description="Its name in the catalog, if found there.")
    model: str | None = Field(description="The Cartesia model sent; null: the API's default.")
    speed: float | None = Field(description="The speed sent; null: the API's default, 1.0.")
    volume: float | None = Field(description="The volume sent; null: the API's default.")
    text: str = Field(description="What was spoken.")
    source: Literal["text", "first_sentence", "stock"] = Field(
        description="Where the text came from: the text argument, the assistant's first_sentence, or a stock sentence."
    )
    assistant_id: str | None = Field(description="The assistant named, if any.")
    mime_type: str = Field(description="The audio's MIME type, as the audio content block carries it.")
    bytes: int = Field(description=f"The audio's size (at most {MAX_PREVIEW_AUDIO_BYTES:,}).")
    seconds: float | None = Field(description="The audio's length, where its format tells it (WAV).")
    notes: list[str] = Field(description="What to know about this preview.")


# --- campaigns -------------------------------------------------------------------------------------------

CAMPAIGN_ID_PATTERN = r"^[A-Za-z0-9_-]{1,128}$"
PATTERN_MEANINGS[CAMPAIGN_ID_PATTERN] = "a campaign id: 1-128 letters, digits, '-' or '_'"
CampaignId = Annotated[
    str, Field(pattern=CAMPAIGN_ID_PATTERN, max_length=128, description="Campaign id, from list_campaigns.")
]
# A campaign's state as these tools show it: the API's status, with a cancelled campaign (completed, is_cancelled)
# shown as cancelled.
CampaignState = Literal["running", "paused", "completed", "cancelled"]


class ListCampaignsArgs(Strict):
    """Arguments of list_campaigns."""

    assistant_id: AssistantId | None = Field(default=None, description="Only campaigns of this assistant.")
    status: CampaignState | None = Field(default=None, description="Only campaigns in this state.")
    name_contains: str | None = Field(
        default=None, max_length=200, description="Only names containing this (any case)."
    )
    page: int = Field(default=1, ge=1, le=10_000, description="Page number, 1-10000.")
    page_size: int = Field(default=20, ge=1, le=50, description="Campaigns per page, 1-50.")


class CampaignRow(BaseModel):
    id: Any = Field(description="Campaign id, for get_campaign.")
    name: Any = Field(description="Its name.")
    status: Any = Field(description="running, paused, completed or cancelled.")
    assistant_id: Any = Field(description="The assistant placing its calls.")
    assistant_name: Any = Field(description="That assistant's name.")
    own_settings: list[str] = Field(
        description="Settings it holds over its assistant's (call_retry_config, from_phone_number)."
    )
    rows: Any = Field(description="Contacts imported.")
    completed: Any = Field(description="Rows whose call completed.")
    talked_to_human: Any = Field(description="Contacts a human answered.")
    hot_leads: Any = Field(description="Hot leads.")
    updated_at: Any = Field(description="Time of the last change.")


class ListCampaignsAnswer(BaseModel):
    """What list_campaigns returns."""

    campaigns: list[CampaignRow] = Field(description="Matching campaigns, in the API's order.")
    total: int = Field(description="How many campaigns match in all.")
    next_page: int | None = Field(description="The next page number, or null on the last page.")
    counts: dict[str, int] = Field(description="Matching campaigns per state.")


class GetCampaignArgs(Strict):
    """Arguments of get_campaign."""

    id: CampaignId
    rows: bool = Field(default=False, description="true: also a page of the campaign's contact rows.")
    row_offset: int = Field(default=0, ge=0, le=1_000_000, description="First row of the page (0-based).")
    row_limit: int = Field(default=25, ge=1, le=100, description="Most rows in the page, 1-100.")
    row_status: (
        Literal[
            "initializing",
            "queued_for_calling",
            "calling",
            "post_processing",
            "not_launched",
            "scheduled",
            "paused",
            "completed",
            "cancelled",
            "errored",
            "no call",
        ]
        | None
    ) = Field(default=None, description="Only rows whose call has this status ('no call': rows without one).")


class GetCampaignAnswer(BaseModel):
    """What get_campaign returns."""

    campaign: dict[str, Any] = Field(
        description="Its configuration: status, assistant, retry config and number (its own or the assistant's), "
        "concurrency, row counts."
    )
    statistics: dict[str, Any] | None = Field(
        description="Funnel (called, reached, real exchanges, hot leads), outcomes, effort, leads (first few); "
        "null when it could not be read."
    )
    rows: list[dict[str, Any]] | None = Field(description="With rows=true: this page of contact rows.")
    rows_total: int | None = Field(description="With rows=true: how many rows match.")
    next_row_offset: int | None = Field(description="Pass as row_offset for the next page; null on the last one.")
    notes: list[str] = Field(description="What was shortened or could not be read.")


class CampaignActionArgs(Strict):
    """Arguments of pause_campaign and resume_campaign."""

    id: CampaignId
    reason: Reason = None
    dry_run: bool = Field(default=False, description="true: check, say what would happen, send nothing.")


class CampaignActionAnswer(BaseModel):
    """What pause_campaign and resume_campaign return."""

    campaign_id: str = Field(description="The campaign.")
    name: Any = Field(description="Its name.")
    outcome: Literal["applied", "not_applied", "unchanged", "would_apply"] = Field(
        description="applied: done; not_applied: the API did not confirm it and the campaign does not read so; "
        "unchanged: it already was, nothing sent; would_apply: a dry run, nothing sent."
    )
    dry_run: bool = Field(description="true: nothing was sent.")
    status_before: Any = Field(description="Its state before.")
    status_now: Any = Field(description="Its state as read after.")
    change_id: str | None = Field(description="Journal id (revert_change undoes it); null when nothing was sent.")
    warnings: list[str] = Field(description="Things to know: a lost answer settled by a re-read, an odd state after.")


# --- calls: the phone history and the actions on a call order --------------------------------------------


class GetPhoneHistoryArgs(Strict):
    """Arguments of get_phone_history."""

    phone_numbers: list[PhoneNumber] = Field(
        default_factory=list,
        max_length=50,
        description="The numbers to look up (E.164); none: the organization's history, most recently called first.",
    )
    offset: int = Field(default=0, ge=0, le=1_000_000, description="With no numbers: the first entry to show.")
    limit: int = Field(default=20, ge=1, le=100, description="Most entries to show, 1-100.")


class PhoneHistoryRow(BaseModel):
    phone_number: str = Field(description="The contact's number.")
    calls: Any = Field(description="How many calls reached or came from it.")
    last_called_at: Any = Field(description="When it was last called (ISO-8601), or null.")
    last_outcome: Any = Field(description="The last call's outcome, or null.")
    reached_human: Any = Field(description="Whether a person ever answered.")
    hot: Any = Field(description="Whether the API flags it as a hot lead.")
    do_not_contact: Any = Field(description="Whether it must not be called again.")
    campaigns: list[dict[str, Any]] = Field(description="Campaigns that called it (id, name; the first 5).")
    campaigns_total: int = Field(description="How many campaigns called it.")


class GetPhoneHistoryAnswer(BaseModel):
    """What get_phone_history returns."""

    numbers: list[PhoneHistoryRow] = Field(description="The history of each number asked (or of this page).")
    never_called: list[str] = Field(description="Numbers asked that no call has reached yet.")
    total: int = Field(description="Numbers in the organization's history.")
    next_offset: int | None = Field(description="With no numbers asked: the offset of the next page, or null.")


class CallActionArgs(Strict):
    """Arguments of cancel_call, pause_call and resume_call."""

    id: SearchId = Field(description="Call id, from search_calls.")
    reason: Reason = None
    dry_run: bool = Field(default=False, description="true: check, say what would happen, send nothing.")


class CallActionAnswer(BaseModel):
    """What cancel_call, pause_call and resume_call return."""

    call_id: str = Field(description="The call acted on.")
    action: str = Field(description="cancel, pause or resume.")
    status_before: Any = Field(description="The call's status before.")
    status_after: Any = Field(description="Its status after, as read back (null: not read; dry run: expected).")
    assistant_id: Any = Field(description="The call's assistant.")
    change_id: str | None = Field(description="The journal row (list_changes); null on a dry run or without journal.")
    dry_run: bool = Field(description="true: nothing was sent.")
    undo: str = Field(description="How to undo it, or why it cannot be.")
    warnings: list[str] = Field(description="Things to know.")


# --- copies and numbers: clone_assistant, create_assistant, update_phone_number -------------------------------


class CloneAssistantArgs(Strict):
    """Arguments of clone_assistant."""

    id: AssistantId
    name: str | None = Field(
        default=None, min_length=1, max_length=200, description="The copy's name; default: the source's + ' (Copy)'."
    )
    # Loose here, as place_test_call's: checked exactly as update_assistant's (tools/copies.py).
    patch: dict[str, Any] = Field(
        default_factory=dict, description="Changes for the copy, as update_assistant's patch."
    )
    edits: list[dict[str, Any]] = Field(
        default_factory=list, max_length=100, description="Edits for the copy, as update_assistant's edits."
    )
    dry_run: bool = Field(default=False, description="true: check the patch against the source; create nothing.")
    reason: Reason = None


class CreateAssistantArgs(Strict):
    """Arguments of create_assistant."""

    assistant: AssistantCreate = Field(
        description="The new assistant: name and prompt, and any other field of update_assistant's patch (whole "
        "objects: nothing is merged). Fields left out take the API's defaults."
    )
    dry_run: DryRun = False
    reason: Reason = None


class CopyAnswer(BaseModel):
    """What clone_assistant and create_assistant return."""

    assistant_id: Any = Field(description="The new assistant's id (null on a dry run).")
    name: Any = Field(description="Its name.")
    source_id: str | None = Field(default=None, description="clone_assistant: the assistant copied.")
    change_id: str | None = Field(
        description="Journal id of the creation: revert_change with it deletes the new assistant."
    )
    update_change_id: str | None = Field(
        default=None, description="clone_assistant: journal id of the patch applied to the copy."
    )
    fields: list[str] = Field(description="create_assistant: the fields set; clone_assistant: the fields patched.")
    changes: list[Change] = Field(
        default_factory=list, description="clone_assistant: how the copy differs from the source."
    )
    warnings: list[str] = Field(description="Things to know (the update's rules, an answer re-read).")
    dry_run: bool = Field(description="true when nothing was created.")


class UpdatePhoneNumberArgs(Strict):
    """Arguments of update_phone_number."""

    id: str = Field(
        min_length=1, max_length=128, description="The number's id (list_phone_numbers) or the number itself (E.164)."
    )
    # Any text: an id that names no assistant is refused with the nearest ones (a pattern here would cost the
    # compact schema its equality with the detailed one).
    inbound_assistant_id: str | None = Field(
        default=None,
        max_length=128,
        description='The assistant that answers calls to the number; null or "": none does. Omit to keep.',
    )
    label: str | None = Field(
        default=None, max_length=200, description="The organization's name for the number; null clears. Omit to keep."
    )
    dry_run: bool = Field(default=False, description="true: check and show the change; write nothing.")
    reason: Reason = None


class PhoneNumberChangeAnswer(BaseModel):
    """What update_phone_number returns."""

    phone_number_id: Any = Field(description="The number's id.")
    phone_number: Any = Field(description="The number (E.164).")
    label: Any = Field(description="Its label after the change (or as it would be).")
    inbound_assistant_id: Any = Field(description="The assistant answering it after the change.")
    changes: list[Change] = Field(description="What changed, before and after.")
    warnings: list[str] = Field(description="Things to know (calls that now reach another assistant).")
    dry_run: bool = Field(description="true when nothing was written.")
    change_id: str | None = Field(description="Journal id (for revert_change); null on a dry run or no change.")


class RevertAnswer(UpdateAnswer):
    """What revert_change returns: an update's revert, or another write's (a create's undo deletes)."""

    assistant_id: Any = Field(
        description="The assistant changed (null when the revert wrote to something else: see target_type)."
    )
    updated_at: Any = Field(
        description="The assistant's updated_at after the write (the next expected_updated_at); null when no "
        "assistant's fields were written (a phone number, campaign or call, a delete)."
    )
    kind: str = Field(default="update", description="The kind of change reverted (list_changes' kind).")
    target_type: str = Field(default="assistant", description="What the revert wrote to.")
    target_id: Any = Field(default=None, description="Its id.")


# --- compare_assistants ------------------------------------------------------------------------------------


class CompareAssistantsArgs(Strict):
    """Arguments of compare_assistants."""

    assistant_id: AssistantId = Field(description="The assistant as it is (A), e.g. the one a copy was made of.")
    candidate_id: AssistantId = Field(description="The other assistant (B), e.g. its copy with the candidate.")
    since: str | None = Field(
        default=None,
        max_length=40,
        description="Start of the window (ISO-8601); default: the later of the two's creation or last change.",
    )
    until: str | None = Field(default=None, max_length=40, description="End of the window (ISO-8601); default: now.")
    campaign_ids: list[SearchId] = Field(
        default_factory=list, max_length=50, description="Only calls of these campaigns, on both sides."
    )
    direction: Literal["inbound", "outbound"] | None = Field(
        default=None, description="Only this direction, on both sides."
    )
    success: Outcome | None = Field(
        default=None,
        description="The outcome that counts as success; default: the most common of interested, completed.",
    )
    look: Literal["any", "planned"] = Field(
        default="any",
        description="any: a sequential verdict, valid however often you check; planned: the fixed-horizon test, "
        "for one read planned in advance.",
    )


class CompareAssistantsAnswer(BaseModel):
    """What compare_assistants returns."""

    verdict: Literal["better", "worse", "not yet", "incomparable"] = Field(
        description="The candidate against the assistant, first; incomparable: the two got different traffic."
    )
    words: str = Field(description="The verdict in a sentence, with the shares and the test.")
    p_value: float | None = Field(description="Always-valid p-value (any look), or the z-test's (planned).")
    calls_to_decide: int | None = Field(
        description="Any look, not yet: about how many more candidate calls would decide."
    )
    calls_needed_per_side: int | None = Field(description="Planned, not yet: calls per side an 80%-power test needs.")
    test: str | None = Field(description="The test behind the verdict, and how often it may be read.")
    success_outcome: str = Field(description="The outcome counted as success.")
    # Objects in the output schema (a client only checks the answer's shape): impact.summary's keys (calls,
    # by_outcome, by_result, success, success_share, success_interval_95, median_duration_secs, transfer_rate,
    # voicemail_rate) with the assistant's id and name.
    assistant: dict[str, Any] = Field(description="The assistant's calls in the window (A).")
    candidate: dict[str, Any] = Field(description="The candidate's calls in the window (B).")
    window: dict[str, Any] = Field(description="since and until, and what set each.")
    traffic: dict[str, Any] = Field(description="Whether the two got comparable traffic: the rule, problems, mixes.")
    left_out: dict[str, Any] = Field(description="Calls read but not compared: not finished, outside the window.")
    notes: list[str] = Field(description="How the comparison was made.")
