"""clone_assistant and create_assistant: new assistants, journalled (actions.py); a revert deletes what this server
created, and nothing else.

A clone's patch and edits go through the writer's update path twice: first as a dry run on the source (every
check update_assistant makes: schema, rules, policy, catalog), so a bad patch creates nothing; then for real on
the copy. A create's configuration is checked as an update's values are (`AssistantWriter.check_new`).

Revert of a create or a clone (`_delete_created`): DELETE of the assistant the journal shows this server created.
Refused when the row names no assistant (a create whose answer was lost: the API keeps nothing that proves which
same-named assistant it made, so none is claimed), when it is gone already, while a phone number routes inbound
calls to it (re-route first with update_phone_number), and while a running or paused campaign calls with it; a
copy changed since it was created is deleted with a warning saying so (the dry run says it first).
"""

from __future__ import annotations

import copy
from functools import cached_property
from typing import Any
from urllib.parse import quote

import mcp_types as types

from revox_mcp.actions import Action, ActionKind, Observed, Probe, RevertContext, not_carried_out, register
from revox_mcp.client import RevoxClient
from revox_mcp.editing import leaf_paths
from revox_mcp.errors import (
    ApiError,
    NotCarriedOut,
    NotFound,
    PatchInvalid,
    Problem,
    RevertRefused,
    RevoxMcpError,
    WriteUndecided,
)
from revox_mcp.messages import shorten
from revox_mcp.policy import Policy
from revox_mcp.progress import Progress
from revox_mcp.redaction import scrub, secrets_in
from revox_mcp.schemas import JsonSchema, compact
from revox_mcp.tool_models import CloneAssistantArgs, CopyAnswer, CreateAssistantArgs, UpdateAssistantArgs
from revox_mcp.tools.base import PublishedTool, ToolAnswer, ToolContext, ToolSpec, published
from revox_mcp.tools.tuning import PlaceTestCallSpec, _update_validator
from revox_mcp.validation import ArgumentValidator
from revox_mcp.views import holds_cut_mark
from revox_mcp.writer import WRITE_STEPS

State = dict[str, Any]
# How many same-named assistants a create remembers, to tell the new one from them if its answer is lost.
KNOWN_NAMES_MAX = 200
# How many candidates of a lost create a row's reason names.
_CANDIDATES_SHOWN = 5
COPY_SUFFIX = " (Copy)"  # the API's name for a clone (the SDK's clone docstring)


def assistant_view(assistant: State) -> State:
    """What the journal keeps of an assistant a create made: who it is, and its updated_at then."""
    return {"id": assistant.get("id"), "name": assistant.get("name"), "updated_at": assistant.get("updated_at")}


async def find_created(client: RevoxClient, probe: Probe) -> Observed:
    """A create whose answer was lost. The API keeps nothing a request could mark as this server's (no metadata;
    a clone takes no body), so a same-named assistant that appeared since proves nothing: another agent may have
    made it. None appeared (once the request can no longer land): it did not land. Some did: undecided, and none
    is claimed (a revert never deletes what is not proven this server's)."""
    try:
        every = await client.list_assistants()
    except ApiError:
        return Observed(None)
    known = set(probe.expect.get("not_ids") or [])
    found = [str(a.get("id")) for a in every if a.get("name") == probe.expect.get("name") and a.get("id") not in known]
    if not found:
        return Observed(False)
    more = len(found) - _CANDIDATES_SHOWN
    shown = ", ".join(found[:_CANDIDATES_SHOWN]) + (f" and {more} more" if more > 0 else "")
    return Observed(
        None,
        note=f"cannot be decided: {len(found)} assistant(s) named {shorten(probe.expect.get('name'))} appeared "
        f"since ({shown}), but whether this request made one cannot be proven (another agent may have), so none is "
        "claimed as this server's and no revert deletes one; check them with get_assistant",
    )


async def gone(client: RevoxClient, probe: Probe) -> Observed:
    """A delete landed when the assistant is no longer there."""
    try:
        await client.get_assistant(probe.target_id or "")
    except NotFound:
        return Observed(True, {"deleted": True}, probe.target_id)
    except ApiError:
        return Observed(None)
    return Observed(False, {"deleted": False}, probe.target_id)


async def _delete_created(ctx: RevertContext) -> Action:
    entry, target = ctx.entry, ctx.entry.target_id
    if target is None:
        raise RevertRefused(
            f"Not reverted: {entry.change_id} created an assistant, but which one is not known "
            f"({entry.status_reason or 'its answer was lost'}), so nothing is deleted. Delete it in Revox."
        )
    rows = await ctx.journal.of_target("assistant", target)
    deleted = [r for r in rows if r.kind == DELETE.name and r.status == "applied"]
    if deleted:
        raise RevertRefused(f"Not reverted: assistant {target} was already deleted by {deleted[0].change_id}.")
    try:
        current = await ctx.client.get_assistant(target)
    except NotFound:
        gone_words = f"Not reverted: assistant {target}, created by {entry.change_id}, no longer exists."
        raise RevertRefused(gone_words) from None
    routed = [
        str(n.get("phone_number"))
        for n in await ctx.client.list_phone_numbers()
        if isinstance(n, dict) and (n.get("inbound_assistant") or {}).get("id") == target
    ]
    if routed:
        raise RevertRefused(
            f"Not reverted: {', '.join(routed)} route inbound calls to {target}, which deleting it would break. "
            "Route them to another assistant first (update_phone_number), then revert."
        )
    await _refuse_if_a_campaign_calls_with(ctx, target)
    name = current.get("name")
    warnings = [f"Deletes assistant '{name}' ({target}), which this server created ({entry.change_id})."]
    then = (entry.after or {}).get("updated_at")
    if then and current.get("updated_at") != then:
        updates = sum(1 for r in rows if r.is_update and r.status == "applied")
        warnings.append(
            f"It changed since it was created (updated_at {then}, now {current.get('updated_at')}; {updates} "
            "change(s) to it in this journal, counting the patch clone_assistant applied to a copy): those changes "
            "are deleted with it."
        )
    return Action(
        kind=DELETE,
        target_id=target,
        method="DELETE",
        path=f"/assistants/{quote(target, safe='')}",
        body=None,
        expect={"deleted": True},
        before={**assistant_view(current), "deleted": False},
        assistant_id=target,
        fields=["deleted"],
        warnings=tuple(warnings),
    )


async def _refuse_if_a_campaign_calls_with(ctx: RevertContext, target: str) -> None:
    """A running or paused campaign that calls with the assistant would be left calling with none."""
    try:
        campaigns = await ctx.client.list_campaigns()
    except ApiError as exc:
        if ctx.force:
            return
        raise RevertRefused(
            f"Not reverted: the campaigns could not be read ({shorten(str(exc))}), so whether one calls with "
            f"{target} is not known. Try again shortly, or pass force: true to delete it anyway."
        ) from None
    using = [
        f"'{c.get('name')}' ({c.get('id')}, {c.get('status')})"
        for c in campaigns
        if target in (c.get("assistant_id"), _id_of(c.get("assistant")))
        and c.get("status") != "completed"
        and not c.get("is_cancelled")
    ]
    if using:
        raise RevertRefused(
            f"Not reverted: campaign(s) {', '.join(using[:5])} call with {target}, which deleting it would break. "
            "Point them at another assistant or end them first, then revert."
        )


def _id_of(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) else None


def _unwrap_assistant(answer: State) -> State:
    found = answer.get("assistant")
    return found if isinstance(found, dict) else {}


DELETE = register(
    ActionKind(
        name="delete_assistant",
        target_type="assistant",
        observe=gone,
        view=lambda answer: {"deleted": bool(answer.get("success", answer.get("deleted", True)))},
        not_revertible="a deleted assistant cannot be restored through the API. clone_assistant or "
        "create_assistant can make a new one.",
    )
)
CREATE = register(
    ActionKind(
        name="create_assistant",
        target_type="assistant",
        observe=find_created,
        view=assistant_view,
        unwrap=_unwrap_assistant,
        revert=_delete_created,
        creates=True,
        answer_holds_target=True,
    )
)
CLONE = register(
    ActionKind(
        name="clone_assistant",
        target_type="assistant",
        observe=find_created,
        view=assistant_view,
        unwrap=_unwrap_assistant,
        revert=_delete_created,
        creates=True,
        answer_holds_target=True,
    )
)


# A clone's progress: the patch checked on the source (the writer's steps), the copy made, the patch written.
CLONE_STEPS = 2 * WRITE_STEPS + 1


def _shifted(progress: Progress, offset: int) -> Progress:
    """The writer's progress as steps of a whole clone (progress only ever grows, as MCP asks)."""

    async def report(done: float, total: float | None = None, message: str | None = None) -> None:
        await progress(offset + done, CLONE_STEPS, message)

    return report


class CopyPatchFailed(RevoxMcpError):
    """The copy was created, but the patch or edits for it could not be applied."""

    def advice(self, tool: str, *, writes: bool) -> str:
        return str(self)


async def _known_ids(client: RevoxClient, name: Any) -> list[str]:
    """Ids of the assistants already named `name` (at most KNOWN_NAMES_MAX): a re-read tells the new one apart."""
    return [str(a.get("id")) for a in await client.list_assistants() if a.get("name") == name][:KNOWN_NAMES_MAX]


def _copy_patch(args: CloneAssistantArgs) -> State:
    if args.name is None:
        return args.patch
    if "name" in args.patch and args.patch["name"] != args.name:
        raise PatchInvalid(
            [
                Problem(
                    path="name",
                    value=shorten(args.name),
                    allowed=f"the same name as patch.name ({shorten(args.patch['name'])}), or only one of them",
                    hint="Give the copy's name once: in name, or in patch.",
                )
            ]
        )
    return {**args.patch, "name": args.name}


async def clone_assistant(ctx: ToolContext, args: CloneAssistantArgs) -> ToolAnswer:
    patch = _copy_patch(args)
    # update_assistant's own arguments check (schema, rules no schema states, policy), then a dry run on the
    # source: the same merge, validation, policy and catalog checks. A bad patch creates nothing.
    update = _update_validator(ctx.policy).validate(
        {"id": args.id, "patch": patch, "edits": args.edits, "dry_run": True, "reason": args.reason}
    )
    source = await ctx.client.get_assistant(args.id)
    changes: list[dict[str, Any]] = []
    warnings: list[str] = []
    if patch or args.edits:
        preview = await ctx.writer.update(update, _shifted(ctx.progress, 0), ctx.actor)
        changes, warnings = preview.changes, preview.warnings
    name = patch.get("name", f"{source.get('name')}{COPY_SUFFIX}")
    fields = sorted({str(c["path"]).split(".")[0].split("[")[0] for c in changes})
    answer: State = {"assistant_id": None, "name": name, "source_id": args.id, "change_id": None,
                     "update_change_id": None, "fields": fields, "changes": changes, "warnings": warnings,
                     "dry_run": args.dry_run}  # fmt: skip
    if args.dry_run:
        what = f" with {', '.join(fields)} changed" if fields else ", unchanged"
        return ToolAnswer(answer, _lines(f"Dry run, nothing created: a copy of {_label(source)}{what}.", warnings))
    copy_name = f"{source.get('name')}{COPY_SUFFIX}"
    action = Action(
        kind=CLONE,
        target_id=None,
        method="POST",
        path=f"/assistants/{quote(args.id, safe='')}/clone",
        body=None,
        expect={"name": copy_name, "not_ids": await _known_ids(ctx.client, copy_name)},
        before={"source_id": args.id, "source_name": source.get("name")},
        assistant_id=None,
        fields=["id", "name"],
    )
    # The reason may quote a secret the patch or edits carry: masked in the clone's row as in the update's.
    quoted = secrets_in({"patch": patch, "edits": args.edits}) if args.reason else set()
    reason = scrub(args.reason, quoted) if args.reason else args.reason
    made = await ctx.writer.actions.perform(action, reason=reason, actor=ctx.actor)
    if not made.applied:
        raise NotCarriedOut(not_carried_out(made, "No assistant was made"))
    await ctx.progress(WRITE_STEPS + 1, CLONE_STEPS, f"Copied {args.id}")
    answer.update(assistant_id=made.target_id, change_id=made.change_id, warnings=[*made.warnings])
    if made.target_id is None:
        answer["warnings"].append("The copy's id is not known: list_assistants shows it.")
        return ToolAnswer(answer, _lines(f"Copied {_label(source)}; the copy's id is not known.", answer["warnings"]))
    answer["name"] = (made.after or {}).get("name", copy_name)
    if patch or args.edits:
        await _patch_the_copy(ctx, update.model_copy(update={"id": made.target_id, "dry_run": False}), answer)
    patch_id = answer.get("update_change_id")
    patched = f"; patched {', '.join(fields)}{f' (change {patch_id})' if patch_id else ''}" if fields else ""
    change = f", change {made.change_id}" if made.change_id else " (not journalled)"
    undo = f" revert_change {made.change_id} deletes the copy." if made.change_id else ""
    summary = f"Copied {_label(source)} to '{answer['name']}' ({made.target_id}){change}{patched}.{undo}"
    await ctx.progress(CLONE_STEPS, CLONE_STEPS, f"Created {made.target_id}")
    return ToolAnswer(answer, _lines(summary, answer["warnings"]))


async def _patch_the_copy(ctx: ToolContext, update: UpdateAssistantArgs, answer: State) -> None:
    """The patch and edits on the new copy, through update_assistant's own path; a failure says plainly that the
    copy exists, holds the source's configuration, and what failed."""
    copy_id = str(answer["assistant_id"])
    try:
        outcome = await ctx.writer.update(update, _shifted(ctx.progress, WRITE_STEPS + 1), ctx.actor)
    except WriteUndecided as exc:
        # Sent without a decisive answer: it may have landed, or may still land. Not "not applied".
        shown = f"list_changes shows {exc.change_id} once it is decided" if exc.change_id else "get_assistant shows it"
        raise CopyPatchFailed(
            f"The copy was created: assistant {copy_id} ('{answer['name']}', change {answer['change_id']}). Its patch "
            f"was sent but its outcome is not decided yet: {exc} Do not apply the patch again; {shown}."
        ) from None
    except RevoxMcpError as exc:
        raise CopyPatchFailed(
            f"The copy was created: assistant {copy_id} ('{answer['name']}', change {answer['change_id']}). It holds "
            f"{answer['source_id']}'s configuration unchanged: the patch was not applied. What failed: "
            f"{exc.advice('update_assistant', writes=True)} Apply the patch with update_assistant on {copy_id}, "
            f"or delete the copy with revert_change {answer['change_id']}."
        ) from None
    answer.update(
        update_change_id=outcome.change_id, changes=outcome.changes, warnings=[*answer["warnings"], *outcome.warnings]
    )
    answer["name"] = outcome.assistant.get("name", answer["name"])


async def create_assistant(ctx: ToolContext, args: CreateAssistantArgs) -> ToolAnswer:
    body, warnings = await ctx.writer.check_new(args.assistant.body())
    name = body.get("name")
    answer: State = {"assistant_id": None, "name": name, "change_id": None, "fields": sorted(body),
                     "warnings": warnings, "dry_run": args.dry_run}  # fmt: skip
    if args.dry_run:
        text = f"Dry run, nothing created: assistant '{name}' with {', '.join(sorted(body))}."
        return ToolAnswer(answer, _lines(text, warnings))
    action = Action(
        kind=CREATE,
        target_id=None,
        method="POST",
        path="/assistants",
        body=body,
        expect={"name": name, "not_ids": await _known_ids(ctx.client, name)},
        before={},
        assistant_id=None,
        fields=["id", "name"],
    )
    made = await ctx.writer.actions.perform(action, reason=args.reason, actor=ctx.actor)
    if not made.applied:
        raise NotCarriedOut(not_carried_out(made, "No assistant was made"))
    answer.update(assistant_id=made.target_id, change_id=made.change_id, warnings=[*warnings, *made.warnings])
    who = made.target_id or "id not known: list_assistants shows it"
    await ctx.progress(WRITE_STEPS, WRITE_STEPS, f"Created {who}")
    undo = f", change {made.change_id}; revert_change {made.change_id} deletes it." if made.change_id else ""
    text = f"Created assistant '{name}' ({who}){undo or ' (not journalled).'}"
    return ToolAnswer(answer, _lines(text, answer["warnings"]))


def _label(assistant: State) -> str:
    return f"'{assistant.get('name')}' ({assistant.get('id')})"


def _lines(text: str, warnings: list[str]) -> str:
    return "\n".join([text, *(f"Warning: {w}" for w in warnings)])


def _cut_values(arguments: dict[str, Any]) -> list[Problem]:
    """A value holding get_assistant's cut mark: a shortened read sent as a new assistant's configuration."""
    config = arguments.get("assistant")
    return [
        Problem(
            path=f"assistant.{name}{where}",
            value="text shortened by get_assistant",
            allowed="the field's real value",
            hint=f'get_assistant showed it cut; read it whole in pages with fields=["{name}"].',
        )
        for name, value in (config.items() if isinstance(config, dict) else [])
        for where in holds_cut_mark(value)
    ]


CREATE_FIELDS = (
    "The new assistant: name and prompt, and any other field of update_assistant's patch, each whole (nothing is "
    "merged); left out, a field takes the API's default."
)


class CreateAssistantSpec(ToolSpec):
    """create_assistant's own checks: a detailed schema shipped (the whole create body) and checked against, a
    lean one published (name, prompt, then any update field: agents know its shape from update_assistant), cut
    values refused, and the operator policy's denied fields and limits on every field it sets."""

    has_detailed_schema = True

    @cached_property
    def generated_input_schema(self) -> JsonSchema:
        schema = compact(self.generated_detailed_schema)
        full = schema["properties"]["assistant"]
        schema["properties"]["assistant"] = {
            "type": "object",
            "description": CREATE_FIELDS,
            "properties": {name: full["properties"][name] for name in ("name", "prompt")},
            "required": ["name", "prompt"],
        }
        return schema

    @cached_property
    def validator(self) -> ArgumentValidator:
        return ArgumentValidator(self.detailed_schema, self.args_model, extra_checks=_cut_values)

    def publish(self, policy: Policy, profile: str = "portable") -> PublishedTool:
        # Strict function calling refuses free keys: there the whole body's shape is published.
        shown = compact(self.detailed_schema) if profile == "strict" else self.input_schema
        if policy.is_default:
            return published(self, shown, self.validator, profile, self.detailed_schema)
        schema = copy.deepcopy(shown)
        schema["properties"]["assistant"] = policy.shape_patch(schema["properties"]["assistant"])

        def checks(arguments: dict[str, Any]) -> list[Problem]:
            config = arguments.get("assistant")
            if not isinstance(config, dict):
                return []
            paths = policy.check_paths(leaf_paths(config), "assistant") + policy.check_limits(config, "assistant")
            return paths + _cut_values(arguments)

        validator = ArgumentValidator(self.detailed_schema, self.args_model, extra_checks=checks)
        return published(self, schema, validator, profile, self.detailed_schema)


_CREATES = types.ToolAnnotations(
    # A new assistant: nothing existing is overwritten, and revert_change deletes it.
    read_only_hint=False,
    destructive_hint=False,
    idempotent_hint=False,
    open_world_hint=True,
)

CLONE_ASSISTANT = PlaceTestCallSpec(
    name="clone_assistant",
    title="Copy a voice assistant",
    does="copy an assistant, optionally with a `patch`/`edits` for the copy (checked as update_assistant's); "
    "`dry_run`; revertible (deletes the copy)",
    description="Copy an assistant (to try a change safely), optionally applying a patch and edits to the copy, "
    "checked as update_assistant checks them. revert_change deletes the copy.",
    args_model=CloneAssistantArgs,
    answer_model=CopyAnswer,
    annotations=_CREATES,
    handler=clone_assistant,
)

CREATE_ASSISTANT = CreateAssistantSpec(
    name="create_assistant",
    title="Create a voice assistant",
    does="a new assistant from `name`, `prompt` and any update field, validated as an update; `dry_run`; "
    "revertible (deletes it)",
    description="Create a voice assistant: name and prompt required, any other field as update_assistant's patch. "
    "revert_change deletes it.",
    args_model=CreateAssistantArgs,
    answer_model=CopyAnswer,
    annotations=_CREATES,
    handler=create_assistant,
)
