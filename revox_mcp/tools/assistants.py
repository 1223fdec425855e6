"""Tools on assistants: list, read, update (merge, edits, dry run, guard), and the change journal."""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from datetime import UTC
from functools import cached_property
from typing import Any

import anyio
import mcp_types as types
from pydantic import ValidationError

from revox_mcp import call_evidence
from revox_mcp.actions import ActionOutcome
from revox_mcp.answer_bounds import nearest, quoted, shrink, size_of
from revox_mcp.call_evidence import DerivedChange
from revox_mcp.campaign_overrides import changed_fields, override_notice
from revox_mcp.editing import known_tags, leaf_paths
from revox_mcp.errors import ApiError, PatchInvalid, Problem, RevertRefused, RevoxMcpError
from revox_mcp.instants import instant_argument
from revox_mcp.journal import JournalEntry
from revox_mcp.journal.base import OUTSIDE, OUTSIDE_ACTOR
from revox_mcp.messages import shorten
from revox_mcp.models import LIST_KEYS, AssistantUpdate
from revox_mcp.observations import NOT_KEPT
from revox_mcp.policy import Policy
from revox_mcp.redaction import mask_text, redact, scrub, secrets_in
from revox_mcp.schemas import JsonSchema, body_schema, partial_patch, portable_schema
from revox_mcp.tool_models import (
    AssistantAnswer,
    GetAssistantArgs,
    ListAssistantsAnswer,
    ListAssistantsArgs,
    ListChangesAnswer,
    ListChangesArgs,
    RevertAnswer,
    RevertChangeArgs,
    UpdateAnswer,
    UpdateAssistantArgs,
)
from revox_mcp.tools.base import READ_ONLY, PublishedTool, ToolAnswer, ToolContext, ToolSpec, published
from revox_mcp.validation import ArgumentValidator, pydantic_problems
from revox_mcp.views import (
    ALWAYS,
    PageAsk,
    bounded,
    faq_matches,
    holds_cut_mark,
    list_page,
    selected,
    stand_in,
    text_page,
)
from revox_mcp.writer import WRITE_STEPS, WriteOutcome, masked_diff, recorded_changes

log = logging.getLogger(__name__)

# A FAQ item copied from get_assistant carries keys the API assigns (ANSWER_ONLY_KEYS); taking them back is no
# mistake. Typed as the API returns them (the SDK's AssistantFaqItem), so that every property has a type.
RETURNED_FAQ_KEYS = {
    key: {"description": "Assigned by the API; ignored.", "type": [kind, "null"]}
    for key, kind in (("id", "string"), ("needs_human_answer", "boolean"), ("source", "string"))
}


def _with_partial_patch(schema: JsonSchema) -> JsonSchema:
    description = schema["properties"]["patch"]["description"]
    patch = partial_patch(body_schema())
    patch["properties"]["faq_items"]["items"]["properties"].update(RETURNED_FAQ_KEYS)
    schema["properties"]["patch"] = {**patch, "description": description}
    return schema


# The value of a problem about get_assistant's cut mark: never a stored value, refused before the read.
CUT_TEXT = "text shortened by get_assistant"


def _patch_field_checks(arguments: dict[str, Any], offered: int = len(AssistantUpdate.model_fields)) -> list[Problem]:
    """Rules the schema cannot state (IANA timezones, per-provider ranges) checked on the patch as sent,
    before any request. Keys missing from a partial object are fine here: the merge fills them in. `offered`:
    how many patch fields the server publishes (its policy may deny some)."""
    patch = arguments.get("patch")
    if not isinstance(patch, dict):
        return _marked_edits(arguments.get("edits"))
    _refuse_a_whole_assistant(patch)
    _refuse_a_strict_conversion(patch, offered)
    marked = [
        Problem(
            path=f"patch.{name}{where}",
            value=CUT_TEXT,
            allowed="the field's real value",
            hint=f'get_assistant showed it cut; read it in pages with fields=["{name}"], or use an edit '
            "(replace_text).",
        )
        for name, value in patch.items()
        for where in holds_cut_mark(value)
    ] + _marked_edits(arguments.get("edits"))
    if marked:
        return marked
    # A list's items are judged after the read, the rule over a whole list (unique tool names) too.
    lists_aside = {k: [] if isinstance(v, list) else v for k, v in patch.items()}
    try:
        AssistantUpdate.model_validate(lists_aside)
    except ValidationError as exc:
        return pydantic_problems(exc, ["patch"], skip=frozenset({"missing", "union_tag_not_found"}))
    return []


def judged_after_read(arguments: dict[str, Any]) -> Callable[[Problem], bool]:
    """Whether a problem the arguments check found is about what may be a stored value, and so is left to the
    check after the read, against what is stored (writer.py): one inside a patch's object or list (an agent
    sends back the object it read, stored values included, as the advice says), in an llm_model whose type
    the patch leaves out or this release does not know, or in an upsert's item (an object with its key). A
    top-level value is the change's own, and a shortened text never is a value: both judged now."""
    whole: list[str] = []
    edits = arguments.get("edits")
    for index, edit in enumerate(edits if isinstance(edits, list) else []):
        if not (isinstance(edit, dict) and edit.get("op") == "upsert" and edit.get("list") in LIST_KEYS):
            continue
        key, item = LIST_KEYS[edit["list"]], edit.get("item")
        if isinstance(item, dict) and (key is None or isinstance(item.get(key), str)):
            whole.append(f"edits[{index}].item")
    patch = arguments.get("patch")
    model = patch.get("llm_model") if isinstance(patch, dict) else None
    if isinstance(model, dict) and model.get("type") not in known_tags("llm_model"):
        whole.append("patch.llm_model")

    def later(problem: Problem) -> bool:
        path = problem.path
        if problem.value == CUT_TEXT:
            return False
        if path.startswith("patch.") and any(mark in path.removeprefix("patch.") for mark in ".["):
            return True
        return any(path == w or path.startswith((f"{w}.", f"{w}[")) for w in whole)

    return later


def _marked_edits(edits: Any) -> list[Problem]:
    """An edit's item or replacement holding get_assistant's cut mark: a shortened read sent back as a value."""
    return [
        Problem(
            path=f"edits[{index}].{key}{where}",
            value=CUT_TEXT,
            allowed="the real value",
            hint="get_assistant cut it to fit its answer; write the whole value (read texts in pages with offset).",
        )
        for index, edit in enumerate(edits if isinstance(edits, list) else [])
        if isinstance(edit, dict)
        for key in ("item", "replace")
        for where in holds_cut_mark(edit.get(key))
    ]


# Keys only an answer has: a patch holding several is a whole get_assistant answer sent back.
_ANSWER_KEYS = frozenset({"id", "organization_id", "created_at", "updated_at", "created_by", "pending_faq_count"})


def _refuse_a_whole_assistant(patch: dict[str, Any]) -> None:
    """One line instead of a dozen unknown-field errors for the commonest mistake: the read sent back, bare
    or still in get_assistant's answer (its `assistant` key, beside the answer's own keys)."""
    wrapped = patch.get("assistant")
    if isinstance(wrapped, dict):
        what = f"get_assistant's whole answer (its 'assistant' holds {len(wrapped)} fields)"
    else:
        found = sorted(_ANSWER_KEYS & set(patch))
        what = f"a whole assistant ({len(patch)} fields, with {', '.join(found)})" if len(found) >= 2 else ""
    if what:
        raise PatchInvalid(
            [
                Problem(
                    path="patch",
                    value=what,
                    allowed="only the fields to change",
                    hint='Send only what changes, e.g. {"patch": {"first_sentence": "Hello!"}}; every other field '
                    "keeps its value.",
                )
            ]
        )


def _shape_update_for_policy(schema: JsonSchema, policy: Policy) -> JsonSchema:
    props = schema["properties"]
    props["patch"] = policy.with_extra_fields(policy.shape_patch(props["patch"]))
    edits = policy.shape_edits(props["edits"])
    if edits is None:
        del props["edits"]
    else:
        props["edits"] = edits
    return schema


# A patch naming this share of the fields the server publishes (and at least STRICT_SHAPED_FIELDS of them) is a
# strict conversion's call, not a change.
STRICT_SHAPED_SHARE = 0.75
STRICT_SHAPED_FIELDS = 8


def _refuse_a_strict_conversion(patch: dict[str, Any], offered: int) -> None:
    """A client that made every property required (OpenAI strict function calling) sends every field, null
    where allowed: here null clears, so that call would wipe the assistant. One line naming the profile."""
    named = [name for name in patch if name in AssistantUpdate.model_fields]
    if len(named) < max(STRICT_SHAPED_FIELDS, STRICT_SHAPED_SHARE * offered):
        return
    nulls = sum(1 for name in named if patch[name] is None)
    raise PatchInvalid(
        [
            Problem(
                path="patch",
                value=f"{len(named)} of the {offered} fields ({nulls} of them null)",
                allowed="only the fields to change",
                hint="That is the shape of a strict function-calling conversion (every property required), and "
                "here null clears a field: nothing was written. Send only the fields to change, or have the "
                "operator serve with --schema-profile strict, where null leaves a field as it is.",
            )
        ]
    )


def _update_policy_checks(arguments: dict[str, Any], policy: Policy) -> list[Problem]:
    patch = arguments.get("patch")
    problems = []
    if isinstance(patch, dict):
        problems += policy.check_paths(leaf_paths(patch), "patch") + policy.check_limits(patch, "patch")
    edits = arguments.get("edits")
    for index, edit in enumerate(edits if isinstance(edits, list) else []):
        target = edit.get("list", edit.get("field")) if isinstance(edit, dict) else None
        if isinstance(target, str):
            problems += policy.check_paths([target], f"edits[{index}]")
    return problems


class UpdateAssistantSpec(ToolSpec):
    """update_assistant's own shaping: its patch is published partial (nested objects merge), its patch is
    checked against rules no schema states, and an operator policy narrows what it shows and accepts."""

    has_detailed_schema = True

    @cached_property
    def generated_detailed_schema(self) -> JsonSchema:
        return _with_partial_patch(portable_schema(self.args_model))

    @cached_property
    def validator(self) -> ArgumentValidator:
        return ArgumentValidator(
            self.detailed_schema, self.args_model, extra_checks=_patch_field_checks, after_read=judged_after_read
        )

    def shaped(self, policy: Policy) -> JsonSchema:
        """The input schema a server with `policy` publishes, before its profile's dialect."""
        return (
            self.input_schema
            if policy.is_default
            else _shape_update_for_policy(copy.deepcopy(self.input_schema), policy)
        )

    def publish(self, policy: Policy, profile: str = "portable") -> PublishedTool:
        if policy.is_default:
            return published(self, self.input_schema, self.validator, profile, self.detailed_schema)
        schema = self.shaped(policy)
        offered = len(schema["properties"].get("patch", {}).get("properties", {}))

        def checks(arguments: dict[str, Any]) -> list[Problem]:
            return _update_policy_checks(arguments, policy) + _patch_field_checks(
                policy.without_extra_fields(arguments), offered
            )

        # Validation runs against the full schema so that a denied field is reported as denied,
        # not as unknown; the policy check above says why. The operator's extra fields are known to it.
        full = copy.deepcopy(self.detailed_schema)
        full["properties"]["patch"] = policy.with_extra_fields(full["properties"]["patch"])
        validator = ArgumentValidator(full, self.args_model, extra_checks=checks, after_read=judged_after_read)
        return published(self, schema, validator, profile, full)


def _label(assistant: dict[str, Any]) -> str:
    name = assistant.get("name")
    return f"'{name}' ({assistant.get('id')})" if name else str(assistant.get("id"))


def _write_summary(outcome: WriteOutcome, verb: str) -> str:
    fields = sorted({str(c["path"]).split(".")[0].split("[")[0] for c in outcome.changes})
    label = _label(outcome.assistant)
    if not outcome.changes:
        text = f"No changes: {label} already has these values; nothing was written."
    elif outcome.dry_run:
        text = f"Dry run, nothing written: {label} would change {', '.join(fields)}."
    else:
        text = (
            f"{verb} {label}: changed {', '.join(fields)} (change {outcome.change_id or 'not journalled'}). "
            f"updated_at is now {outcome.assistant.get('updated_at')}."
        )
    return "\n".join([text, *(f"Warning: {w}" for w in outcome.warnings)])


def _last_step(outcome: WriteOutcome) -> str:
    if not outcome.changes:
        return "Nothing to write: no changes"
    if outcome.dry_run:
        return "Dry run: nothing written"
    return f"Written (change {outcome.change_id or 'not journalled'})"


async def get_assistant(ctx: ToolContext, args: GetAssistantArgs) -> ToolAnswer:
    stored = await ctx.client.get_assistant(args.id)
    refused: Exception | None = None
    async with anyio.create_task_group() as tasks:
        # Beside the answer: a change made elsewhere since the last read is recorded (never failing the read).
        tasks.start_soon(ctx.writer.observer.seen, stored)
        try:
            answer = await _assistant_answer(ctx, args, stored)
        except Exception as exc:  # raised after the group, as itself (not wrapped in an exception group)
            refused = exc
    if refused is not None:
        raise refused
    return answer


async def _assistant_answer(ctx: ToolContext, args: GetAssistantArgs, stored: dict[str, Any]) -> ToolAnswer:
    # Masked before anything is cut, paged or searched: a page starting (or a cut ending) inside a secret
    # would show its characters, and a search of the clear text would answer whether a guess is in it.
    shown = await anyio.to_thread.run_sync(redact, stored)
    answer: dict[str, Any] = {}
    lines = [f"Assistant {_label(stored)}, updated_at {stored.get('updated_at')}."]
    if shown is not stored:  # redact returns the value itself when it holds no secret
        answer["masked"] = True
        lines.append("Values shown as '…abcd' are masked secrets: sent back unchanged, they keep the stored ones.")
    if args.fields is None and args.faq_query is None:
        answer["assistant"], answer["cut"] = bounded(shown)
        lines += [_cut_line(c) for c in answer["cut"]]
    else:
        fields = list(args.fields or [])
        if args.faq_query is not None and "faq_items" not in fields:
            fields.append("faq_items")
        answer["assistant"], answer["missing"] = selected(shown, fields)
        # Sizing, searching and slicing a long list is CPU work that grows with the assistant: off the loop.
        answer["pages"] = await anyio.to_thread.run_sync(_pages, ctx, args, answer["assistant"], fields)
        lines += [_page_line(p) for p in answer["pages"]]
        if answer["missing"]:
            lines.append(f"Not in this assistant: {', '.join(answer['missing'])}.")
    voice = await ctx.catalog.describe_voice(stored.get("voice"))
    if voice is not None:
        answer["voice"] = voice
        lines.append(f"Voice: {voice['name']} ({voice['language']}, {voice['gender'] or 'any gender'}"
                     f"{', ' + str(voice['accent']) if voice['accent'] else ''}).")  # fmt: skip
    return ToolAnswer(answer, " ".join(lines))


def _cut_line(cut: dict[str, Any]) -> str:
    field = cut["field"]
    how = "in pages of characters" if cut["unit"] == "characters" else "in pages"
    search = ", faq_query searches it" if field == "faq_items" else ""
    return (
        f'{field}: {cut["shown"]:,} of {cut["total"]:,} {cut["unit"]} shown; fields=["{field}"] reads it {how}{search}.'
    )


# What a get_assistant answer needs beside one page: the summary, id, name, updated_at, the voice, the page's keys.
ANSWER_RESERVE = 3_000


def _pages(ctx: ToolContext, args: GetAssistantArgs, shown: dict[str, Any], fields: list[str]) -> list[dict[str, Any]]:
    """A page of each asked-for list or text that does not fit whole (or that offset, limit or faq_query
    pages); each paged field's value in `shown` becomes a stand-in that cannot be written back."""
    paged = [
        f
        for f in fields
        if f in shown
        and f not in ALWAYS
        and isinstance(shown[f], list | str)
        and (
            size_of(shown[f]) > ctx.page_bytes
            or args.offset > 0
            or args.limit is not None
            or (f == "faq_items" and args.faq_query is not None)
        )
    ]
    budget = max(1_024, ctx.page_bytes // max(1, len(paged)))
    ask = PageAsk(args.offset, args.limit, budget, room=ctx.max_answer_bytes - ANSWER_RESERVE)
    pages = []
    for name in paged:
        value = shown[name]
        if isinstance(value, str):
            page = text_page(name, value, ask)
        elif name == "faq_items" and args.faq_query is not None:
            page = list_page(name, value, faq_matches(value, args.faq_query), ask, "question")
            page.update(query=args.faq_query, list_total=len(value))
        else:
            page = list_page(name, value, list(range(len(value))), ask, LIST_KEYS.get(name))
        shown[name] = stand_in(page)
        pages.append(page)
    return pages


def _page_line(page: dict[str, Any]) -> str:
    rest = f"offset={page['next_offset']} reads on" if page["next_offset"] is not None else "the last page"
    span = f"{page['shown']:,} from offset {page['offset']:,}"
    cut = [r["index"] for r in page.get("items") or [] if r.get("cut")]
    over = f" Item {cut[0]} alone is over the answer ceiling: its long texts are cut (marked)." if cut else ""
    if page.get("query") is not None:
        found = f"faq_query {shorten(page['query'])}: {page['total']:,} of {page['list_total']:,} FAQ items match"
        return f"{found}; pages[] shows {span}, each with its index and question (an edit's key); {rest}.{over}"
    key = f", each with its index (edits name an item by {page['edit_key']})" if page["unit"] == "items" else ""
    return f"{page['field']}: {page['total']:,} {page['unit']}; pages[] shows {span}{key}; {rest}.{over}"


async def list_assistants(ctx: ToolContext, args: ListAssistantsArgs) -> ToolAnswer:
    needle = (args.name_contains or "").casefold()
    rows = []
    every = await ctx.client.list_assistants()
    for data in every:
        name = data.get("name")
        if needle and needle not in f"{name or ''}\n{data.get('id') or ''}".casefold():
            continue
        updated = data.get("updated_at")
        rows.append(
            {
                "id": data.get("id"),
                "name": name,
                "type": data.get("type"),
                "updated_at": updated,
            }
        )
    matching = f" matching '{args.name_contains}'" if args.name_contains else ""
    summary = f"{len(rows)} assistant(s){matching}."
    if not rows and every:
        # Ranking a large organization's names is CPU work: off the event loop.
        names = await anyio.to_thread.run_sync(_some_names, args.name_contains or "", every)
        summary += f" The organization has {len(every):,}{names}. Call without name_contains to list them."
    return ToolAnswer({"assistants": rows}, summary)


def _some_names(needle: str, every: list[dict[str, Any]]) -> str:
    """A few names to say what there is: all of a small organization's, else the nearest few."""
    names = [str(a.get("name") or a.get("id")) for a in every]
    if len(names) <= 10:
        return ": " + ", ".join(f"'{n if len(n) <= 80 else n[:79] + '…'}'" for n in names)
    close = nearest(needle, names)
    return f"; nearest names: {quoted(close)}" if close else ""


async def update_assistant(ctx: ToolContext, args: UpdateAssistantArgs) -> ToolAnswer:
    outcome = await ctx.writer.update(args, ctx.progress, ctx.actor)
    # Campaigns that hold their own call_retry_config (or number) are not reached by this change: say which.
    notice = await override_notice(ctx.client, args.id, changed_fields(outcome.changes), dry_run=outcome.dry_run)
    outcome.warnings += [notice] if notice else []
    await ctx.progress(WRITE_STEPS, WRITE_STEPS, _last_step(outcome))
    return ToolAnswer(outcome.structured(args.return_assistant), _write_summary(outcome, "Updated"))


async def revert_change(ctx: ToolContext, args: RevertChangeArgs) -> ToolAnswer:
    entry = await ctx.journal.get(args.change_id)
    if entry is not None and entry.kind == OUTSIDE:
        raise RevertRefused(
            f"Change {entry.change_id} was made outside revox-mcp: it is not reverted from here. list_changes with "
            "its change_id shows the values before; set them with update_assistant."
        )
    if entry is not None and not entry.is_update:
        if not ctx.policy.offers_family_of(entry.kind):
            raise RevertRefused(
                f"Not reverted: change {entry.change_id} is a {entry.kind}, whose tools this server does not offer "
                f"(the operator's tool families): revert it on a server that offers {entry.kind}."
            )
        answer = await _revert_action(ctx, args)
        if entry.target_type == "phone_number" and not args.dry_run:
            await _refresh_numbers(ctx)
        return answer
    outcome = await ctx.writer.revert(args, ctx.progress, ctx.actor)
    await ctx.progress(WRITE_STEPS, WRITE_STEPS, _last_step(outcome))
    return ToolAnswer(
        outcome.structured(args.return_assistant), _write_summary(outcome, f"Reverted {args.change_id} on")
    )


async def _refresh_numbers(ctx: ToolContext) -> None:
    """The cached routing is stale after a number is routed back (list_phone_numbers would show the undone change
    until the cache expired); a failed re-read leaves it to expire, and the revert stands."""
    try:
        await ctx.catalog.phone_numbers(refresh=True)
    except ApiError:
        log.warning("the phone numbers could not be read again after a revert; the cached ones expire on their own")


async def _revert_action(ctx: ToolContext, args: RevertChangeArgs) -> ToolAnswer:
    """The revert of a write that is not an assistant update (a create deletes, a number is routed back)."""
    outcome = await ctx.writer.actions.revert(
        args.change_id, force=args.force, dry_run=args.dry_run, reason=args.reason, actor=ctx.actor
    )
    await ctx.progress(WRITE_STEPS, WRITE_STEPS, "Dry run: nothing written" if outcome.dry_run else "Reverted")
    return ToolAnswer(_action_answer(outcome), _action_summary(outcome, args.change_id))


def _action_answer(outcome: ActionOutcome) -> dict[str, Any]:
    after = outcome.after or {}
    # Only what the revert changes: a view of the API's answer may hold other keys (a campaign's name read from a
    # {success: true} answer as null) that did not change.
    fields = outcome.fields or sorted(after)
    on_assistant = outcome.target_type == "assistant"
    return {
        # A number's, campaign's or call's revert changed no assistant: target_type and target_id name what it did.
        "assistant_id": outcome.assistant_id if on_assistant else None,
        "updated_at": None,
        "changes": masked_diff(outcome.before, {**outcome.before, **after}, fields),
        "warnings": outcome.warnings,
        "dry_run": outcome.dry_run,
        "change_id": outcome.change_id,
        "kind": outcome.kind,
        "target_type": outcome.target_type,
        "target_id": outcome.target_id,
    }


def _action_summary(outcome: ActionOutcome, reverted: str) -> str:
    what = f"{outcome.kind} of {outcome.target_type} {outcome.target_id}"
    if outcome.dry_run:
        text = f"Dry run, nothing written: reverting {reverted} would be a {what}."
    else:
        text = f"Reverted {reverted}: {what} (change {outcome.change_id or 'not journalled'})."
    return "\n".join([text, *(f"Warning: {w}" for w in outcome.warnings)])


# A change's summary names at most this many of the paths it changed (a list rewritten whole may have thousands).
SUMMARY_PATHS = 20


async def _derived(ctx: ToolContext, args: ListChangesArgs) -> tuple[list[dict[str, Any]], str]:
    """The changes the assistant's calls show, as rows (newest first) within since/until, and a note."""
    if not args.assistant_id:
        raise PatchInvalid(
            [
                Problem(
                    path="from_calls",
                    value="true",
                    allowed="with an assistant_id",
                    hint="Changes are derived from one assistant's calls: pass assistant_id.",
                )
            ]
        )
    since, until = _times(args)
    found = await call_evidence.evidence(ctx.client.search_calls, args.assistant_id, ctx.progress)
    picked = [
        c for c in found.changes
        if (since is None or c.moment_text >= since) and (until is None or c.moment_text < until) and not args.actor
    ]  # fmt: skip
    diffs = await anyio.to_thread.run_sync(lambda: [recorded_changes(c.before, c.after, c.fields) for c in picked])
    rows = [_derived_row(c, d) for c, d in zip(picked, diffs, strict=True)][::-1]
    cut = (
        f" The newest {args.page_size} of {len(rows)} are shown (since/until narrow them)."
        if len(rows) > args.page_size
        else ""
    )
    return rows[: args.page_size], found.note() + cut


def _derived_row(change: DerivedChange, changes: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "change_id": change.change_id, "created_at": change.moment_text, "assistant_id": change.assistant_id,
        "kind": call_evidence.FROM_CALLS, "target_type": "assistant", "target_id": change.assistant_id,
        "status": "applied", "status_reason": change.words(), "fields": change.fields, "reason": None,
        "reverts": None, "actor": None,
        "paths": [{"path": c["path"], "kind": _kind(c), "bytes": size_of(c)} for c in changes[:SUMMARY_PATHS]],
        "paths_total": len(changes),
    }  # fmt: skip


async def _with_derived(ctx: ToolContext, args: ListChangesArgs, answer: ToolAnswer) -> ToolAnswer:
    """The journal's page 1 with the derived changes beside its rows (newest first; kind from_calls)."""
    rows, note = await _derived(ctx, args)
    merged = sorted([*answer.structured["changes"], *rows], key=lambda r: str(r["created_at"]), reverse=True)
    structured = {**answer.structured, "changes": merged, "total": answer.structured["total"] + len(rows)}
    # The journal's headline counts its own rows only ("0 of 0" beside two derived rows read as a contradiction).
    within = " within since/until" if args.since or args.until else ""
    lead = f"{len(rows)} change(s) derived from calls shown{within}, beside the journal's: {answer.summary}"
    return ToolAnswer(structured, f"{lead} {note} Rows of kind from_calls are derived, not journalled: "
                      "change_impact measures one by its change_id.")  # fmt: skip


async def _one_derived(ctx: ToolContext, args: ListChangesArgs) -> ToolAnswer:
    """One derived change with its diff from diff_offset (bounded like a journalled one's)."""
    change_id = str(args.change_id)
    key = call_evidence.parse_id(change_id)
    assistant_id = (key[1] if key else None) or args.assistant_id
    found = await call_evidence.evidence(ctx.client.search_calls, assistant_id, ctx.progress) if assistant_id else None
    change = found.find(change_id) if found else None
    if change is None:
        known = ", ".join(c.change_id for c in found.changes[-3:]) if found else "none"
        raise PatchInvalid(
            [
                Problem(
                    path="change_id",
                    value=shorten(change_id),
                    allowed=f"a change the assistant's calls show (newest: {known or 'none'})",
                    hint="list_changes with assistant_id "
                    "and from_calls lists them (a long assistant id: pass assistant_id too).",
                )
            ]
        )
    changes = await anyio.to_thread.run_sync(lambda: recorded_changes(change.before, change.after, change.fields))
    shown = _diff_page(changes, args.diff_offset, ctx.page_bytes)
    end = args.diff_offset + len(shown)
    row = _derived_row(change, changes)
    row.update(changes=shown, next_diff_offset=end if end < len(changes) else None)
    return ToolAnswer(
        {"changes": [row], "total": 1, "next_page": None, "actor_means": ACTOR_MEANS},
        f"Change {change_id} (derived from calls): diff entries {args.diff_offset:,}-{end:,} of {len(changes):,}. "
        f"{change.words()}",
    )


def _diff_page(changes: list[dict[str, Any]], offset: int, page_bytes: int) -> list[dict[str, Any]]:
    """As many diff entries from `offset` as fit a page (a longer entry shortened)."""
    shown: list[dict[str, Any]] = []
    used = 0
    for change in changes[offset:]:
        size = size_of(change)
        if shown and used + size > page_bytes:
            break
        shown.append(shrink(change, page_bytes)[0] if size > page_bytes else change)
        used += size
    return shown


def _change_row(
    entry: JournalEntry, changes: list[dict[str, Any]], secrets: set[str], reverted_by: str | None = None
) -> dict[str, Any]:
    return {
        "change_id": entry.change_id,
        "created_at": entry.created_at,
        "assistant_id": entry.assistant_id or None,
        "kind": entry.kind,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "status": entry.status,
        "status_reason": _shown_reason(entry.status_reason, secrets),
        "fields": entry.fields,
        "reason": entry.reason,
        "reverts": entry.reverts,
        "reverted_by": reverted_by,
        "actor": entry.actor,
        "paths": [{"path": c["path"], "kind": _kind(c), "bytes": size_of(c)} for c in changes[:SUMMARY_PATHS]],
        "paths_total": len(changes),
    }


def _shown_reason(reason: str | None, secrets: set[str]) -> str | None:
    """A failed write's reason, masked again on the way out: a row an older release wrote may quote a stored
    secret in clear (an API error echoing the custom LLM key or an Authorization header)."""
    return None if reason is None else mask_text(scrub(reason, secrets))


async def _stored_secrets(ctx: ToolContext, assistant_id: str | None) -> set[str]:
    """Every secret of one assistant as stored now (and the API key), to scrub its rows' reasons with. An
    unfiltered list reads no assistant (a read per assistant of the page); a read that fails scrubs with
    what is known."""
    known = {ctx.client.settings.api_key or ""} - {""}
    if assistant_id is None:
        return known
    try:
        stored = await ctx.client.get_assistant(assistant_id)
    except RevoxMcpError:
        return known
    # Walking a large assistant for its secrets is CPU work: off the event loop.
    return known | await anyio.to_thread.run_sync(secrets_in, stored)


async def _reverted_by(ctx: ToolContext, entry: JournalEntry) -> str | None:
    """The change that reverted this applied one (so an agent never reads an undone change as standing)."""
    if entry.status != "applied":
        return None
    done = await ctx.journal.revert_of(entry)
    return done.change_id if done is not None and done.status == "applied" else None


def _kind(change: dict[str, Any]) -> str:
    return next((k for k in ("diff", "added", "removed") if k in change), "set")


def _entry_changes(entry: JournalEntry) -> list[dict[str, Any]]:
    if entry.kind == OUTSIDE:
        return _outside_changes(entry)
    if not entry.is_update:
        # An action keeps its target's state before and after in its kind's small view (actions.py).
        expected = (entry.action or {}).get("expect") or {}
        after = entry.after if entry.after is not None else {**entry.before, **expected}
        return masked_diff(entry.before, after, entry.fields)
    after = entry.after if entry.after is not None else {**entry.before, **entry.body}
    return recorded_changes(entry.before, after, entry.fields)


def _outside_changes(entry: JournalEntry) -> list[dict[str, Any]]:
    """An outside change's diff: fields whose value before was kept as any change's, the others as changed."""
    unkept = set((entry.action or {}).get("unkept") or [])
    after = entry.after or {}
    known = [f for f in entry.fields if f not in unkept]
    changes = recorded_changes(entry.before, after, known)
    for name in sorted(unkept & set(entry.fields)):
        value = after.get(name)
        shown = None if isinstance(value, dict) and NOT_KEPT in value else redact(value)
        changes.append({"path": name, "after": shown, "diff": "Changed outside revox-mcp; its value before was not "
                        "kept (long, or the assistant had not been read before)."})  # fmt: skip
    return changes


# What a row's actor says (list_changes' answer, and the tool's output schema).
ACTOR_MEANS = (
    f"actor: the token's person (HTTP), the local user the server ran as (stdio), '{OUTSIDE_ACTOR}' for a change "
    "made elsewhere and seen at a read, null when unknown (HTTP's shared token, an older row, a from_calls row)."
)


def _times(args: ListChangesArgs) -> tuple[str | None, str | None]:
    """since and until in the journal's time form (read like every tool's times, refused out of range)."""
    since, until = instant_argument(args.since, "since"), instant_argument(args.until, "until")
    return tuple(  # type: ignore[return-value]
        None if t is None else t.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
        for t in (since, until)
    )


async def list_changes(ctx: ToolContext, args: ListChangesArgs) -> ToolAnswer:
    if args.change_id is not None and call_evidence.parse_id(args.change_id):
        return await _one_derived(ctx, args)
    answer = await _journal_changes(ctx, args)
    if args.from_calls and args.page == 1:
        return await _with_derived(ctx, args, answer)
    if args.assistant_id and not args.from_calls and args.change_id is None:
        hint = " from_calls: true also derives the changes its calls show (made anywhere, any time)."
        return ToolAnswer(answer.structured, answer.summary + hint)
    return answer


async def _journal_changes(ctx: ToolContext, args: ListChangesArgs) -> ToolAnswer:
    since, until = _times(args)
    if not ctx.journal.records:
        return ToolAnswer(
            {"changes": [], "total": 0, "next_page": None, "actor_means": ACTOR_MEANS},
            "The change journal is off (--no-journal).",
        )
    await ctx.writer.settle_pending(args.assistant_id, wait=False)
    if args.change_id is not None:
        return await _one_change(ctx, args)
    entries, total = await ctx.journal.page(args.assistant_id, args.page, args.page_size, args.actor, since, until)
    secrets = await _stored_secrets(ctx, args.assistant_id)
    # Diffs of long lists and texts are CPU work: off the event loop.
    diffs = await anyio.to_thread.run_sync(lambda: [_entry_changes(e) for e in entries])
    undone = [await _reverted_by(ctx, e) for e in entries]
    next_page = args.page + 1 if args.page * args.page_size < total else None
    shown = f"{len(entries)} of {total} change(s), newest first"
    rows = [_change_row(e, d, secrets, r) for e, d, r in zip(entries, diffs, undone, strict=True)]
    return ToolAnswer(
        {"changes": rows, "total": total, "next_page": next_page, "actor_means": ACTOR_MEANS},
        f"{shown}{f'; next page {next_page}' if next_page else ''}. Each shows the paths it changed and their "
        f"sizes; change_id shows one change's diff. {ACTOR_MEANS}",
    )  # fmt: skip


async def _one_change(ctx: ToolContext, args: ListChangesArgs) -> ToolAnswer:
    """One change with its diff from diff_offset, as many entries as fit a page (a longer entry shortened)."""
    entry = await ctx.journal.get(str(args.change_id))
    if entry is None:
        recent, total = await ctx.journal.page(args.assistant_id, 1, 3, args.actor)
        newest = ", ".join(e.change_id for e in recent) or "none"
        raise PatchInvalid(
            [
                Problem(
                    path="change_id",
                    value=shorten(args.change_id),
                    allowed=f"the id of a change in the journal ({total:,} match the other filters; newest: {newest})",
                    hint="Copy a change_id from list_changes (without change_id it pages through them all).",
                )
            ]
        )
    changes = await anyio.to_thread.run_sync(_entry_changes, entry)
    secrets = await _stored_secrets(ctx, entry.assistant_id or None)  # "": an action concerning no assistant
    shown: list[dict[str, Any]] = []
    used = 0
    for change in changes[args.diff_offset :]:
        size = size_of(change)
        if shown and used + size > ctx.page_bytes:
            break
        shown.append(shrink(change, ctx.page_bytes)[0] if size > ctx.page_bytes else change)
        used += size
    end = args.diff_offset + len(shown)
    row = _change_row(entry, changes, secrets, await _reverted_by(ctx, entry))
    row.update(changes=shown, next_diff_offset=end if end < len(changes) else None)
    rest = f"; diff_offset={end} shows the rest" if end < len(changes) else ""
    return ToolAnswer(
        {"changes": [row], "total": 1, "next_page": None, "actor_means": ACTOR_MEANS},
        f"Change {entry.change_id} ({entry.status}): diff entries {args.diff_offset:,}-{end:,} of {len(changes):,}"
        f"{rest}.",
    )


GET_ASSISTANT = ToolSpec(
    name="get_assistant",
    title="Get a voice assistant",
    does="one assistant's configuration, bounded: long lists and texts in pages (`offset`, `limit`), FAQ "
    "search (`faq_query`)",
    description=(
        "Read one Revox voice assistant's whole configuration: prompt, voice, LLM, first sentence, calling "
        "windows, integrations, and updated_at (pass it as expected_updated_at when you update)."
    ),
    args_model=GetAssistantArgs,
    answer_model=AssistantAnswer,
    annotations=READ_ONLY,
    handler=get_assistant,
    bound="Answers <=16 KB (default): long fields in pages (offset, limit); faq_query searches FAQ items.",
    read_on='Read one field with fields=["..."], a page with offset and limit, or FAQ items with faq_query.',
)

LIST_ASSISTANTS = ToolSpec(
    name="list_assistants",
    title="List voice assistants",
    does="compact rows (id, name, type, updated_at), `name_contains` filter (name or id; a miss names what there is)",
    description="List the organization's voice assistants: id, name, type, updated_at. Filter by part of the name.",
    args_model=ListAssistantsArgs,
    answer_model=ListAssistantsAnswer,
    annotations=READ_ONLY,
    handler=list_assistants,
    bound="Answers <=16 KB (default).",
    read_on="Narrow with name_contains.",
)

UPDATE_ASSISTANT = UpdateAssistantSpec(
    name="update_assistant",
    title="Update a voice assistant",
    does="change fields (`patch`) and list items or text passages (`edits`); `dry_run`; version guard",
    description=(
        "Change a Revox voice assistant (an AI agent on real phone calls). `patch` sets fields: nested objects "
        'are merged onto the current value ({"voice": {"speed": 1.1}} keeps the voice), lists are replaced '
        "whole. `edits` change one list item or one passage of a long text without resending it. Everything "
        "is validated before anything is written; use dry_run to preview the diff and expected_updated_at to "
        "refuse if someone changed it since you read it. The answer lists every change; revert_change undoes one."
    ),
    args_model=UpdateAssistantArgs,
    answer_model=UpdateAnswer,
    annotations=types.ToolAnnotations(
        read_only_hint=False,
        # It overwrites live configuration; revert_change can undo it, but clients should still confirm.
        destructive_hint=True,
        # A patch sets absolute values, but an edit may not be (an upsert that appends a calling window).
        idempotent_hint=False,
        open_world_hint=True,
    ),
    handler=update_assistant,
    bound="Answers <=16 KB (default).",
    read_on="list_changes with change_id (and diff_offset) shows the whole diff; get_assistant with fields the values.",
)

LIST_CHANGES = ToolSpec(
    name="list_changes",
    title="List recorded changes",
    does="the change journal (changes made elsewhere included, seen at reads), newest first, paged, by assistant, "
    "person, time: a summary per change, one change's diff with `change_id`",
    description=(
        "The change journal: every change this server made, and those made elsewhere that its reads found, "
        "newest first, with fields, reason, status, actor and the paths changed. Filter by assistant, person, "
        "time (since, until); paged."
    ),
    args_model=ListChangesArgs,
    answer_model=ListChangesAnswer,
    annotations=types.ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False),
    handler=list_changes,
    bound="Answers <=16 KB (default): a summary per change; change_id shows one diff.",
    read_on="Ask again with a smaller page_size (changes left out of this page are not on the next one), or "
    "change_id (with diff_offset) for one change's diff.",
)

REVERT_CHANGE = ToolSpec(
    name="revert_change",
    title="Revert a recorded change",
    does="undo one journalled change",
    description=(
        "Undo one change from list_changes: restores the values its fields had before it (a create's undo deletes "
        "what it created). Refused if those fields changed again since (force: true overrides). The revert is "
        "itself recorded."
    ),
    args_model=RevertChangeArgs,
    answer_model=RevertAnswer,
    annotations=types.ToolAnnotations(
        read_only_hint=False, destructive_hint=True, idempotent_hint=False, open_world_hint=True
    ),
    handler=revert_change,
    bound="Answers <=16 KB (default).",
    read_on="list_changes with change_id (and diff_offset) shows the whole diff; get_assistant with fields the values.",
)
