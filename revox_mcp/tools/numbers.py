"""update_phone_number: which assistant answers a number, and its label; journalled and revertible (actions.py)."""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import quote

import anyio
import mcp_types as types

from revox_mcp.actions import Action, ActionKind, RevertContext, not_carried_out, reads, register
from revox_mcp.answer_bounds import nearest, quoted
from revox_mcp.client import RevoxClient
from revox_mcp.errors import ApiError, NotCarriedOut, NotFound, PatchInvalid, Problem, RevertRefused
from revox_mcp.messages import shorten
from revox_mcp.tool_models import PhoneNumberChangeAnswer, UpdatePhoneNumberArgs
from revox_mcp.tools.base import ToolAnswer, ToolContext, ToolSpec
from revox_mcp.writer import masked_diff

State = dict[str, Any]
NUMBER_FIELDS = ("inbound_assistant_id", "label")


def number_view(number: State) -> State:
    """What the journal keeps of a phone number: the two things update_phone_number changes."""
    inbound = number.get("inbound_assistant")
    return {
        "inbound_assistant_id": inbound.get("id") if isinstance(inbound, dict) else None,
        "label": number.get("label"),
    }


async def read_number(client: RevoxClient, number_id: str) -> State | None:
    """The number as listed now (the API has no read of one number); None when there is no such number."""
    numbers = await client.list_phone_numbers()
    return next((n for n in numbers if isinstance(n, dict) and n.get("id") == number_id), None)


async def _route_back(ctx: RevertContext) -> Action:
    """The revert of a number's change: its fields as they were, refused where they changed again since (unless
    forced) or where the assistant it answered with is gone."""
    entry = ctx.entry
    number = await read_number(ctx.client, entry.target_id or "")
    if number is None:
        raise RevertRefused(f"Not reverted: phone number {entry.target_id} no longer exists.")
    now, left = number_view(number), entry.after or {}
    moved = [f for f in entry.fields if now.get(f) != left.get(f)]
    if moved and not ctx.force:
        raise RevertRefused(
            f"Not reverted: {', '.join(moved)} changed again after {entry.change_id} (now "
            f"{shorten({f: now.get(f) for f in moved})}). Reverting would undo that too; pass force: true to revert "
            "anyway."
        )
    back = {f: entry.before.get(f) for f in entry.fields}
    old = back.get("inbound_assistant_id")
    if isinstance(old, str):
        try:
            await ctx.client.get_assistant(old)
        except NotFound:
            raise RevertRefused(
                f"Not reverted: the number was answered by assistant {old} before {entry.change_id}, and that "
                "assistant no longer exists. Route it with update_phone_number."
            ) from None
    return _patch(entry.target_id or "", back, {f: now.get(f) for f in entry.fields}, number)


def _patch(number_id: str, body: State, before: State, number: State) -> Action:
    inbound = body.get("inbound_assistant_id", before.get("inbound_assistant_id"))
    return Action(
        kind=UPDATE_NUMBER,
        target_id=number_id,
        method="PATCH",
        path=f"/phone-numbers/{quote(number_id, safe='')}",
        body=body,
        expect=body,
        before=before,
        assistant_id=inbound if isinstance(inbound, str) else number_view(number).get("inbound_assistant_id"),
        fields=sorted(body),
    )


UPDATE_NUMBER = register(
    ActionKind(
        name="update_phone_number",
        target_type="phone_number",
        observe=reads(read_number, number_view),
        view=number_view,
        unwrap=lambda answer: answer.get("phone_number") or {},
        revert=_route_back,
        answer_holds_target=True,
    )
)


def _find(numbers: list[State], given: str) -> State:
    """The number named by its id or its E.164 form; an error naming the nearest ones otherwise."""
    for number in numbers:
        if given in (number.get("id"), number.get("phone_number")):
            return number
    names = [f"{n.get('id')} ({n.get('phone_number')}, {n.get('label')})" for n in numbers]
    close = nearest(given, names) or names[:5]
    raise PatchInvalid(
        [
            Problem(
                path="id",
                value=shorten(given),
                allowed="the id or E.164 number of one of the organization's numbers",
                hint=f"Nearest: {quoted(close)}. list_phone_numbers lists them all.",
            )
        ]
    )


async def _check_assistant(ctx: ToolContext, assistant_id: str) -> State:
    try:
        return await ctx.client.get_assistant(assistant_id)
    except NotFound:
        every = await ctx.client.list_assistants()
        names = [f"{a.get('name')} ({a.get('id')})" for a in every]
        # Ranking a large organization's names is CPU work: off the event loop.
        close = await anyio.to_thread.run_sync(nearest, assistant_id, names)
        raise PatchInvalid(
            [
                Problem(
                    path="inbound_assistant_id",
                    value=shorten(assistant_id),
                    allowed="the id of an assistant of this organization, or null (no assistant answers)",
                    hint=f"Nearest: {quoted(close or names[:5])}. list_assistants finds one by name.",
                )
            ]
        ) from None


def _asked(args: UpdatePhoneNumberArgs) -> State:
    asked = {f: getattr(args, f) for f in NUMBER_FIELDS if f in args.model_fields_set}
    if asked.get("inbound_assistant_id") == "":
        asked["inbound_assistant_id"] = None  # "" says none where null means "leave it" (the strict profile)
    if not asked:
        raise PatchInvalid(
            [
                Problem(
                    path="inbound_assistant_id",
                    value="nothing to change",
                    allowed="inbound_assistant_id, label, or both",
                    hint="Name the assistant that should answer (or null for none), or a new label.",
                )
            ]
        )
    return asked


async def update_phone_number(ctx: ToolContext, args: UpdatePhoneNumberArgs) -> ToolAnswer:
    asked = _asked(args)
    number = _find(await ctx.catalog.phone_numbers(refresh=True), args.id)
    warnings: list[str] = []
    new_inbound = asked.get("inbound_assistant_id")
    names: dict[str, Any] = {}
    if isinstance(new_inbound, str):
        names[new_inbound] = (await _check_assistant(ctx, new_inbound)).get("name")
    before = number_view(number)
    body = {f: v for f, v in asked.items() if before.get(f) != v}
    old_inbound = before.get("inbound_assistant_id")
    if "inbound_assistant_id" in body and old_inbound:
        old_name = (number.get("inbound_assistant") or {}).get("name")
        warnings.append(
            f"Calls to {number.get('phone_number')} will no longer reach '{old_name}' ({old_inbound})"
            f"{'; no assistant answers it now' if new_inbound is None else ''}."
        )
    if "inbound_assistant_id" in body and new_inbound:
        warnings += await _routing_warnings(ctx, number, new_inbound)
    after = {**before, **body}
    change_id = None
    if body and not args.dry_run:
        action = _patch(str(number.get("id")), body, {f: before[f] for f in body}, number)
        outcome = await ctx.writer.actions.perform(action, reason=args.reason, actor=ctx.actor)
        if not outcome.applied:
            raise NotCarriedOut(not_carried_out(outcome, "list_phone_numbers shows the number as it is"))
        change_id, after = outcome.change_id, {**after, **(outcome.after or {})}
        warnings += outcome.warnings
        # The cached routing is stale now; a failed re-read leaves it to expire (the change stands).
        with contextlib.suppress(ApiError):
            await ctx.catalog.phone_numbers(refresh=True)
    answer = {
        "phone_number_id": number.get("id"),
        "phone_number": number.get("phone_number"),
        "label": after.get("label"),
        "inbound_assistant_id": after.get("inbound_assistant_id"),
        "changes": masked_diff(before, after, sorted(body)),
        "warnings": warnings,
        "dry_run": args.dry_run,
        "change_id": change_id,
    }
    return ToolAnswer(answer, _summary(number, body, after, names, args.dry_run, change_id, warnings))


# How many callers of a number an answer names before it counts the rest.
_NAMED = 3


async def _routing_warnings(ctx: ToolContext, number: State, new_inbound: str) -> list[str]:
    """What routing a number to an assistant does besides: a verified caller id receives no calls through Revox,
    and the assistants and campaigns that call from the number send their callbacks to the new assistant."""
    shown = str(number.get("phone_number"))
    warnings = []
    if number.get("type") == "verified_caller_id":
        warnings.append(
            f"{shown} is a verified caller id (a number the organization may show on outbound calls, not one Revox "
            "receives calls on): calls to it may never reach the assistant. An owned number answers inbound calls."
        )
    callers = [
        f"assistant '{a.get('name')}' ({a.get('id')})"
        for a in await ctx.client.list_assistants()
        if a.get("from_phone_number") == shown and a.get("id") != new_inbound
    ]
    try:
        callers += [
            f"campaign '{c.get('name')}' ({c.get('id')})"
            for c in await ctx.client.list_campaigns()
            if c.get("from_phone_number") == shown
        ]
    except ApiError:
        warnings.append("The campaigns could not be read: any calling from this number are not named here.")
    if callers:
        more = f" and {len(callers) - _NAMED} more" if len(callers) > _NAMED else ""
        warnings.append(
            f"{shown} is the caller id of {', '.join(callers[:_NAMED])}{more}: people calling back reach the new "
            "assistant, not the one that called them."
        )
    return warnings


def _summary(
    number: State,
    body: State,
    after: State,
    names: dict[str, Any],
    dry_run: bool,
    change_id: str | None,
    warnings: list[str],
) -> str:
    shown = f"{number.get('phone_number')} ({number.get('id')})"
    if not body:
        text = f"No changes: {shown} already has these values; nothing was written."
    else:
        inbound = after.get("inbound_assistant_id")
        who = f"'{names.get(inbound, inbound)}' ({inbound})" if inbound else "no assistant"
        parts = []
        if "inbound_assistant_id" in body:
            parts.append(f"answered by {who}")
        if "label" in body:
            parts.append(f"labelled {shorten(after.get('label'))}")
        lead = "Dry run, nothing written:" if dry_run else "Updated"
        text = f"{lead} {shown} {'would be' if dry_run else 'is now'} {' and '.join(parts)}"
        text += "." if dry_run else f" (change {change_id or 'not journalled'}; revert_change undoes it)."
    return "\n".join([text, *(f"Warning: {w}" for w in warnings)])


UPDATE_PHONE_NUMBER = ToolSpec(
    name="update_phone_number",
    title="Route a phone number",
    does="which assistant answers a number (`inbound_assistant_id`), its `label`; `dry_run`; journalled, revertible",
    description="Set which assistant answers a phone number's inbound calls, or its label. Journalled; "
    "revert_change undoes it.",
    args_model=UpdatePhoneNumberArgs,
    answer_model=PhoneNumberChangeAnswer,
    annotations=types.ToolAnnotations(
        # It re-routes live inbound calls: clients should confirm.
        read_only_hint=False,
        destructive_hint=True,
        idempotent_hint=True,
        open_world_hint=True,
    ),
    handler=update_phone_number,
)
