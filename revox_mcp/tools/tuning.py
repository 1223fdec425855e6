"""Tools that close the tuning loop: what a change did to real calls (change_impact), and a candidate heard
on a test call before callers hear it (place_test_call)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import mcp_types as types

from revox_mcp import call_evidence, impact
from revox_mcp.errors import NotFound, PatchInvalid, Problem
from revox_mcp.instants import instant_argument
from revox_mcp.journal import JournalEntry
from revox_mcp.policy import Policy
from revox_mcp.redaction import redact
from revox_mcp.schemas import JsonSchema
from revox_mcp.tool_models import ChangeImpactAnswer, ChangeImpactArgs, PlaceTestCallAnswer, PlaceTestCallArgs
from revox_mcp.tools.assistants import UPDATE_ASSISTANT
from revox_mcp.tools.base import READ_ONLY, PublishedTool, ToolAnswer, ToolContext, ToolSpec, published
from revox_mcp.validation import ArgumentValidator
from revox_mcp.writer import inline_config

logger = logging.getLogger(__name__)

SCAN_PAGE = 100
MAX_SCANNED = 2_000
_TESTS = {
    "any": "Checking again is safe: the sequential verdict keeps its alpha over any number of looks.",
    "planned": "Read it once: to come back and check again, use look 'any'.",
}


async def change_impact(ctx: ToolContext, args: ChangeImpactArgs) -> ToolAnswer:
    # Both times are read before anything else: one out of range is the agent's to fix, not a failure inside.
    given_at, given_until = instant_argument(args.at, "at"), instant_argument(args.until, "until")
    assistant_id, moment, stamp, change_id, entries, (earlier, later), origin = await _located(ctx, args, given_at)
    lookback = moment - timedelta(days=args.lookback_days)
    since = max([*earlier, lookback])
    # An explicit until wins over the next journalled change: the after side then measures them together.
    until = given_until or (later[0][0] if later else None)
    grouped = [cid for t, cid in later if given_until and t < given_until]
    calls, capped = await _calls(ctx, assistant_id, since)
    split = impact.attribute(calls, moment, since, until, stamp)
    success = args.success or impact.success_outcome(split.before + split.after)
    before, after = impact.summary(split.before, success), impact.summary(split.after, success)
    judged = impact.verdict(before, after, success, args.look, impact.monitor(split.before, split.after, success))
    # The changes that bound each side, where one does (not lookback_days, nor an until given).
    previous = since if earlier and since == max(earlier) else None
    closed = _closed_window(before, after, previous, None if given_until else until)
    if closed:
        judged = {"verdict": "unmeasurable", "words": closed, "p_value": None, "look": judged["look"]}
    bounds = [
        f"from {since.isoformat()} ({'the change before' if previous else 'lookback'})",
        f"to {until.isoformat()} (the next change, or until)" if until else "to now",
    ]
    notes = [
        f"Left out: {len(split.straddling)} call(s) under way when the change landed, "
        f"{split.other_configuration} call(s) outside the window {' '.join(bounds)}.",
        _success_note(args, success),
    ]
    if capped:
        notes.append(f"Only the newest {MAX_SCANNED} calls were read.")
    if grouped:
        notes.append(f"The after side also holds the later change(s) {', '.join(grouped)}: measured together.")
    reverted = _reverted_note(entries, change_id, None if given_until else later)
    if reverted:
        notes.append(reverted)
    notes += [origin] if origin else []
    answer = {
        "verdict": judged["verdict"],
        "words": judged["words"],
        "look": judged["look"],
        "p_value": judged["p_value"],
        "calls_to_decide": judged.get("calls_to_decide"),
        "calls_needed_per_side": judged.get("calls_needed_per_side"),
        "change_id": change_id,
        "assistant_id": assistant_id,
        "changed_at": moment.isoformat(),
        "success_outcome": success,
        "before": before,
        "after": after,
        "left_out": {"under_way": split.straddling[:20], "outside_window": split.other_configuration},
        "notes": notes,
    }
    return ToolAnswer(answer, f"{judged['words']} {' '.join(notes)}")


def _success_note(args: ChangeImpactArgs, success: str) -> str:
    """The primary outcome, how it was chosen, the test its verdict came from, and what is not tested."""
    chosen = "" if args.success else " (the assistant's most common good outcome; pass success to choose)"
    return (
        f"Success is the outcome '{success}'{chosen}. {_TESTS[args.look]} Only '{success}' is tested (the "
        "primary outcome): the other outcomes, results and rates are reported without a verdict. 95% Wilson "
        "intervals."
    )


def _neighbours(
    entries: list[JournalEntry], change_id: str | None, moment: datetime
) -> tuple[list[datetime], list[tuple[datetime, str]]]:
    """The applied changes before this one (their times), and after it (time and id, the next first).

    For a journalled change, before and after are the journal's order of writing (`entries` come newest
    first), not a comparison of times: changes within one second, or stamped to the second by an older
    release, may carry equal times. A neighbour's time is kept on its side of the change (a clock that
    stepped back must not open a window backwards). Otherwise (a moment 'at', or a change older than the
    entries read) times decide.
    """
    position = next((i for i, e in enumerate(entries) if e.change_id == change_id), None)
    timed = [
        (i, t, e.change_id)
        for i, e in enumerate(entries)
        if e.status == "applied" and e.change_id != change_id and (t := impact.instant(e.created_at)) is not None
    ]
    if position is None:
        return [t for _, t, _ in timed if t < moment], sorted((t, cid) for _, t, cid in timed if t > moment)
    earlier = [min(t, moment) for i, t, _ in timed if i > position]
    return earlier, [(max(t, moment), cid) for i, t, cid in reversed(timed) if i < position]


def _reverted_note(
    entries: list[JournalEntry], change_id: str | None, bounding: list[tuple[datetime, str]] | None
) -> str | None:
    """Which change reverted this one, and whether it is the one ending the after side (`bounding`, the next
    changes, is None when an until given ends it)."""
    reverted_by = next(
        (e.change_id for e in entries if change_id and e.reverts == change_id and e.status == "applied"), None
    )
    if reverted_by is None:
        return None
    ends_there = bool(bounding and bounding[0][1] == reverted_by)
    return f"This change was reverted by {reverted_by}" + (": the after side ends there." if ends_there else ".")


def _closed_window(
    before: dict[str, Any], after: dict[str, Any], previous: datetime | None, following: datetime | None
) -> str | None:
    """Why waiting cannot help, when a side has no calls and another change closed that side's window."""
    if after["calls"] == 0 and following is not None:
        return (
            f"No calls after the change before the next change ({following.isoformat()}) closed its window: waiting "
            "will not help. Pass until (a later moment) to measure it together with the next change."
        )
    if before["calls"] == 0 and previous is not None:
        return (
            f"No calls before the change since the change before it ({previous.isoformat()}): waiting will not "
            "help. Measure the two changes together with change_impact on the earlier one and until."
        )
    return None


_OUTSIDE_NOTE = (
    "Changes made outside this server are known once one of its reads saw them (list_changes, kind outside), or "
    "from the calls (list_changes with from_calls): if another falls inside the window, pass until (the next one) "
    "or a shorter lookback_days."
)


async def _located(ctx: ToolContext, args: ChangeImpactArgs, moment: datetime | None) -> tuple[Any, ...]:
    """(assistant, moment, updated_at before, change id, journal rows, the neighbours' times, a note on where
    the change came from): a journalled change, a moment 'at', or one derived from calls (call_evidence)."""
    key = call_evidence.parse_id(args.change_id) if args.change_id else None
    if key is None:
        assistant_id, at, stamp, change_id = await _the_change(ctx, args, moment)
        entries = await _changes_of(ctx, assistant_id)
        return (
            assistant_id,
            at,
            stamp,
            change_id,
            entries,
            _neighbours(entries, change_id, at),
            (_OUTSIDE_NOTE if change_id is None else None),
        )
    owner = key[1] or args.assistant_id
    if owner is None:
        raise PatchInvalid(
            [
                Problem(
                    path="assistant_id",
                    value="none",
                    allowed="the assistant of the derived change",
                    hint="A long assistant id is not in the change id: pass assistant_id too.",
                )
            ]
        )
    found = await call_evidence.evidence(ctx.client.search_calls, owner, ctx.progress)
    change = found.find(str(args.change_id))
    if change is None:
        shown = ", ".join(c.change_id for c in found.changes[-3:]) or "none"
        message = (
            f"No change '{args.change_id}' among those {owner}'s calls show (newest: {shown}); list_changes with "
            "assistant_id and from_calls lists them."
        )
        raise NotFound("change", str(args.change_id), message)
    entries = await _changes_of(ctx, owner)
    journal_earlier, journal_later = _neighbours(entries, None, change.moment)
    earlier, later = found.around(change)
    neighbours = ([*journal_earlier, *earlier], sorted([*journal_later, *later]))
    return owner, change.moment, change.stamp_before, change.change_id, entries, neighbours, change.words()


async def _the_change(
    ctx: ToolContext, args: ChangeImpactArgs, moment: datetime | None
) -> tuple[str, datetime, Any, str | None]:
    """(assistant, the moment of the change, the assistant's updated_at before it, change id); `moment` is
    args.at, read."""
    if args.change_id:
        entry = await ctx.journal.get(args.change_id)
        if entry is None:
            message = f"No change '{args.change_id}' in {ctx.journal.where}. list_changes shows them."
            raise NotFound("change", args.change_id, message)
        written = impact.instant(entry.created_at)
        if written is None:
            raise NotFound(
                "change", entry.change_id, f"Change {entry.change_id} has no readable time ({entry.created_at!r})."
            )
        return entry.assistant_id, written, entry.before.get("updated_at"), entry.change_id
    if moment is not None and moment > datetime.now(moment.tzinfo):
        raise PatchInvalid(
            [Problem(path="at", value=repr(args.at), allowed="a moment in the past: calls after it have yet to run")]
        )
    if not args.assistant_id or moment is None:
        raise PatchInvalid(
            [
                Problem(
                    path="(arguments)",
                    value="neither a change_id nor an assistant_id with an ISO-8601 'at'",
                    allowed="change_id, or assistant_id and at (e.g. 2026-11-10T09:00:00Z)",
                    hint="list_changes gives change ids; 'at' names a change made outside this server.",
                )
            ]
        )
    return args.assistant_id, moment, None, None


async def _changes_of(ctx: ToolContext, assistant_id: str) -> list[JournalEntry]:
    entries, _ = await ctx.journal.page(assistant_id, 1, 100)
    return entries


async def _calls(ctx: ToolContext, assistant_id: str, since: datetime) -> tuple[list[dict[str, Any]], bool]:
    """The assistant's calls back to `since`, newest first, reading at most MAX_SCANNED."""
    body = {
        "assistant_ids": [assistant_id], "campaign_ids": [], "assignee_ids": [], "from_phone_numbers": [],
        "directions": [], "outcomes": [], "results": [], "statuses": [], "sort_by": "created_at",
        "sort_direction": "desc",
    }  # fmt: skip
    calls: list[dict[str, Any]] = []
    page = 1
    while len(calls) < MAX_SCANNED:
        batch, said = await ctx.client.search_calls({**body, "page": page, "page_size": SCAN_PAGE})
        calls += [c for c in batch if isinstance(c, dict)]
        # A total the API did not say: the last page is the first one short of a whole page.
        available = said if said is not None else len(calls) + (SCAN_PAGE if len(batch) >= SCAN_PAGE else 0)
        await ctx.progress(len(calls), min(available, MAX_SCANNED), f"Read {len(calls)} of {available} calls")
        oldest = impact.instant(batch[-1].get("created_at")) if batch and isinstance(batch[-1], dict) else None
        if not batch or len(calls) >= available or (oldest is not None and oldest < since):
            return calls, False
        page += 1
    return calls, True


CHANGE_IMPACT = ToolSpec(
    name="change_impact",
    title="What a change did to calls",
    does="what a change did to real calls: before/after shares with 95% intervals, a verdict valid at any look",
    description=(
        "Compare an assistant's calls before and after one change (a change_id from list_changes, or an "
        "assistant_id and the moment 'at' of a change made elsewhere): per side the outcomes, results, the "
        "share of a success outcome with a 95% interval, median duration, transfer and voicemail rates; then "
        "a verdict on that outcome (better, worse, not yet with about how many more calls would settle it, or "
        "unmeasurable when a neighbouring change closed a side's window), by default from a sequential test "
        "valid however often it is checked. Calls under "
        "way at the change, or from another configuration, are left out and counted."
    ),
    args_model=ChangeImpactArgs,
    answer_model=ChangeImpactAnswer,
    annotations=READ_ONLY,
    handler=change_impact,
)


def _check_number(ctx: ToolContext, args: PlaceTestCallArgs) -> None:
    allowed = ctx.policy.test_numbers
    if args.phone_number not in allowed:
        raise PatchInvalid(
            [
                Problem(
                    path="phone_number",
                    value=args.phone_number,
                    allowed=f"one of the operator's test numbers: {', '.join(sorted(allowed)) or 'none'}",
                    hint="Only numbers the operator named with --test-numbers may be called.",
                )
            ]
        )


async def place_test_call(ctx: ToolContext, args: PlaceTestCallArgs) -> ToolAnswer:
    _check_number(ctx, args)
    # The candidate goes through exactly what a dry run of update_assistant does: the same arguments check,
    # merge, validation, policy and catalog checks. Nothing is written to the assistant.
    update = _update_validator(ctx.policy).validate(
        {"id": args.assistant_id, "patch": args.patch, "edits": args.edits, "dry_run": True}
    )
    preview = await ctx.writer.update(update)
    config = inline_config(preview.assistant)
    # An operator's extra field the candidate sets is sent as update_assistant would send it (merged, a masked
    # secret sent back restored): heard on the call.
    extras = sorted(ctx.policy.extra_fields & set(args.patch) & set(preview.assistant))
    config.update({f: preview.assistant[f] for f in extras})
    body = {
        "phone_number": args.phone_number,
        "assistant": config,
        "prompt_variables": args.prompt_variables,
        "metadata": {"placed_by": "revox-mcp place_test_call"},
        # A test call is a "call now" dial (the SDK's words): outside the calling window it would wait for it.
        "skip_calling_window": True,
    }
    call = await ctx.client.create_call(body)
    warnings = list(preview.warnings)
    if ctx.journal.records:
        candidate = {"patch": args.patch, "edits": args.edits, "changes": preview.changes}
        try:
            await ctx.journal.record_test_call(
                assistant_id=args.assistant_id,
                phone_number=args.phone_number,
                call_id=str(call.get("id")),
                candidate=redact(candidate),
                reason=args.reason,
                actor=ctx.actor,
            )
        except Exception as exc:
            # The call is placed: an error now would make an agent place a second one.
            logger.warning("test call %s was placed but not recorded in the journal: %r", call.get("id"), exc)
            warnings.append(
                f"Test call {call.get('id')} was placed, but not recorded in the change journal (it is unavailable "
                "right now): it will not appear in the assistant's test calls. Do not place it again."
            )
    answer = {
        "call_id": call.get("id"),
        "phone_number": args.phone_number,
        "assistant_id": args.assistant_id,
        "candidate": preview.changes,
        "warnings": warnings,
        "status": call.get("status"),
    }
    what = f"with {len(preview.changes)} candidate change(s)" if preview.changes else "with the stored configuration"
    summary = (
        f"Test call {call.get('id')} to {args.phone_number} {what}; the stored assistant is unchanged. "
        f'get_call {{"id": "{call.get("id")}"}} shows the attempt and transcript once they exist.'
    )
    return ToolAnswer(answer, summary)


# update_assistant's arguments check per policy (by identity: a Policy holds a dict, so it is not hashable).
_UPDATE_VALIDATORS: dict[int, tuple[Policy, ArgumentValidator]] = {}


def _update_validator(policy: Policy) -> ArgumentValidator:
    """update_assistant's arguments check as a server with `policy` publishes it: the schema with the
    operator's extra fields, and the policy's own checks (denied fields, limits). A candidate is judged
    exactly as update_assistant would judge it; compiled once per policy."""
    cached = _UPDATE_VALIDATORS.get(id(policy))
    if cached is None or cached[0] is not policy:
        if len(_UPDATE_VALIDATORS) >= 16:
            _UPDATE_VALIDATORS.clear()  # a process runs one server; only tests make many policies
        cached = (policy, UPDATE_ASSISTANT.publish(policy).validator)
        _UPDATE_VALIDATORS[id(policy)] = cached
    return cached[1]


class PlaceTestCallSpec(ToolSpec):
    """place_test_call takes update_assistant's patch and edits: under the strict profile it publishes their
    shapes (a strict converter refuses an object of free keys) and reads them as update_assistant does."""

    def publish(self, policy: Policy, profile: str = "portable") -> PublishedTool:
        if profile != "strict":
            return super().publish(policy, profile)
        schema = _with_candidate(self.input_schema, UPDATE_ASSISTANT.shaped(policy))
        checked = _with_candidate(self.detailed_schema, UPDATE_ASSISTANT.detailed_schema)
        return published(self, schema, self.validator, profile, checked)


def _with_candidate(schema: JsonSchema, update: JsonSchema) -> JsonSchema:
    """`schema` with update_assistant's patch and edits shapes, each keeping its own description."""
    properties = dict(schema["properties"])
    for name in ("patch", "edits"):
        if name in update["properties"]:
            properties[name] = {**update["properties"][name], "description": properties[name]["description"]}
        else:
            del properties[name]
    return {**schema, "properties": properties}


PLACE_TEST_CALL = PlaceTestCallSpec(
    name="place_test_call",
    title="Place a test call",
    does=(
        "call an operator's test number with a candidate patch/edits, without changing the assistant "
        "(only with `--test-numbers`)"
    ),
    description=(
        "Call one of the operator's test numbers with an assistant's configuration, optionally with a candidate "
        "patch and edits (as update_assistant's), merged and checked exactly as a dry run, without changing "
        "the stored assistant: hear a change before callers do. Answers the call id for get_call."
    ),
    args_model=PlaceTestCallArgs,
    answer_model=PlaceTestCallAnswer,
    annotations=types.ToolAnnotations(
        read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True
    ),
    handler=place_test_call,
)
