"""Tools on call orders beyond reading them: the phone history ("have we already called this number?") and
the actions on a call not finished yet: cancel, pause (its retry loop), resume.

Each action reads the call first (an unknown id, or a call in a state the action does not apply to, is refused
before anything is sent), then goes through the journalled actions' one path (revox_mcp.actions): a pending row
with actor and reason, the POST, applied or failed, and a re-read of the call's status deciding an answer that
did not come. A pause is undone by a resume and a resume by a pause (revert_change); a cancel cannot be undone.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import anyio
import mcp_types as types

from revox_mcp.actions import Action, ActionKind, Observed, Probe, RevertContext, reads, register
from revox_mcp.client import RevoxClient
from revox_mcp.errors import ApiError, NotFound, PatchInvalid, Problem, RevertRefused
from revox_mcp.tool_models import CallActionAnswer, CallActionArgs, GetPhoneHistoryAnswer, GetPhoneHistoryArgs
from revox_mcp.tools.base import READ_ONLY, ToolAnswer, ToolContext, ToolSpec

MAX_CAMPAIGNS_SHOWN = 5
# A history this long is shaped off the event loop (an organization's history is one answer, up to the
# client's answer cap).
BIG_HISTORY = 2_000


def _history_row(number: str, entry: Any) -> dict[str, Any]:
    entry = entry if isinstance(entry, dict) else {}
    campaigns = [c for c in entry.get("campaigns") or [] if isinstance(c, dict)]
    return {
        "phone_number": number,
        "calls": _whole(entry.get("count")),
        "last_called_at": entry.get("last_called_at"),
        "last_outcome": entry.get("last_outcome"),
        "reached_human": entry.get("reached_human"),
        "hot": entry.get("hot"),
        "do_not_contact": entry.get("do_not_contact"),
        "campaigns": [{"id": c.get("id"), "name": c.get("name")} for c in campaigns[:MAX_CAMPAIGNS_SHOWN]],
        "campaigns_total": len(campaigns),
    }


def _whole(value: Any) -> Any:
    """A count the API sends as a number (2.0) shown as the whole number it is."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _page(history: dict[str, Any], offset: int, limit: int) -> list[dict[str, Any]]:
    """The entries `offset` to `offset + limit` of the history, most recently called first (never called:
    last), without sorting the whole history."""

    def recency(item: tuple[str, Any]) -> tuple[str, str]:
        entry = item[1] if isinstance(item[1], dict) else {}
        return (str(entry.get("last_called_at") or ""), item[0])

    chosen = heapq.nlargest(offset + limit, history.items(), key=recency)[offset:]
    return [_history_row(number, entry) for number, entry in chosen]


# What an entry says of a person answering, by its reached_human (an entry without it says nothing).
_HUMAN = {True: "reached a person", False: "never reached a person"}
_UNSAID = "whether a person answered is not said"


def _dnc(value: Any) -> str:
    """The do-not-contact flag in words: an entry without it is not known to be contactable."""
    if value is True:
        return "; DO NOT CONTACT"
    return "" if value is False else "; do-not-contact not said (check before calling)"


def _summary(rows: list[dict[str, Any]], never: list[str]) -> str:
    said = []
    for row in rows[:3]:
        outcome = f", last outcome {row['last_outcome']}" if row["last_outcome"] else ""
        reached = row["reached_human"]
        human = _HUMAN[reached] if isinstance(reached, bool) else _UNSAID
        dnc = _dnc(row["do_not_contact"])
        said.append(
            f"{row['phone_number']}: called {row['calls']} time(s), last {row['last_called_at']}{outcome}, {human}{dnc}"
        )
    more = f"; {len(rows) - 3} more below" if len(rows) > 3 else ""
    never_said = f" Never called: {', '.join(never[:5])}{' and more' if len(never) > 5 else ''}." if never else ""
    return ("; ".join(said) + more + "." if said else "") + never_said


async def get_phone_history(ctx: ToolContext, args: GetPhoneHistoryArgs) -> ToolAnswer:
    history = await ctx.client.phone_history()
    asked = list(dict.fromkeys(args.phone_numbers))
    if asked:
        rows = [_history_row(n, history[n]) for n in asked if n in history]
        never = [n for n in asked if n not in history]
        next_offset = None
    else:
        if len(history) > BIG_HISTORY:
            rows = await anyio.to_thread.run_sync(_page, history, args.offset, args.limit)
        else:
            rows = _page(history, args.offset, args.limit)
        never = []
        end = args.offset + len(rows)
        next_offset = end if end < len(history) else None
    summary = _summary(rows, never) or f"{len(history)} number(s) in the history; none on this page."
    if not asked:
        summary = f"{len(history)} number(s) in the history, most recently called first. " + summary
    summary += " Calls not made yet (scheduled, queued) are not in it: search_calls with statuses shows them."
    return ToolAnswer(
        {"numbers": rows, "never_called": never, "total": len(history), "next_offset": next_offset}, summary.strip()
    )


GET_PHONE_HISTORY = ToolSpec(
    name="get_phone_history",
    title="Phone history",
    does="whether numbers were already called: calls, last call and outcome, reached a person, do-not-contact",
    description=(
        "Have we already called these numbers? Per number: calls, last call and outcome, whether a person "
        "answered, hot lead, do-not-contact, campaigns. Without numbers: the whole history, paged."
    ),
    args_model=GetPhoneHistoryArgs,
    answer_model=GetPhoneHistoryAnswer,
    annotations=READ_ONLY,
    handler=get_phone_history,
    bound="Answers <=16 KB (default).",
    read_on="Ask for fewer numbers, or a smaller limit.",
)


# --- cancel, pause, resume ------------------------------------------------------------------------------------

State = dict[str, Any]
# What each action applies to, from the SDK's docstrings: cancel "a running or scheduled call", pause "a call's
# retry loop" (the attempt in progress, if any, finishes; no new one starts), resume "a previously paused call".
CANCELLABLE = ("initializing", "not_launched", "scheduled", "queued_for_calling", "calling", "paused")
PAUSABLE = ("initializing", "scheduled", "queued_for_calling", "calling")
RESUMABLE = ("paused",)
NOT_UNDONE = (
    "a cancelled call cannot be brought back (the API has no such action); place a new call to the number instead."
)


# What the journal keeps of an answer that is not {"success": true}: the tool reads the call back and says so.
REFUSED: State = {"success": False}


async def _read_call(client: RevoxClient, call_id: str) -> State | None:
    try:
        return await client.get_call(call_id)
    except NotFound:
        return None


def call_view(call: State) -> State:
    """What the journal keeps of a call: its status, and whether it is paused (what a resume asks for: the
    status a resumed call goes back to is the API's to choose)."""
    if call == REFUSED:
        return dict(REFUSED)
    status = call.get("status")
    if not isinstance(status, str) or not status:
        if set(call) == {"paused"} and isinstance(call["paused"], bool):
            return dict(call)  # a resume's state after: no longer paused, in a status the API chooses
        return {}  # a call read without its status is neither paused nor not: nothing is known of it
    return {"paused": status == "paused", "status": status}


_read_back_call = reads(_read_call, call_view)


async def _observe_call(client: RevoxClient, probe: Probe) -> Observed:
    """A re-read deciding a lost answer: one that shows no status decides nothing (the row stays undecided)."""
    seen = await _read_back_call(client, probe)
    if seen.state is not None and "status" not in seen.state:
        return Observed(None, None, probe.target_id, "the call was read back without its status")
    return seen


@dataclass(frozen=True)
class CallAction:
    """One action on a call: its path's last word, the statuses it applies to, the state it asks for."""

    name: str
    done: str
    applies: tuple[str, ...]
    expect: State
    undo: str


_REVERTED = "revert_change with its change_id"
ACTIONS = {
    "cancel": CallAction("cancel", "cancelled", CANCELLABLE, {"status": "cancelled"}, f"none: {NOT_UNDONE}"),
    "pause": CallAction("pause", "paused", PAUSABLE, {"paused": True}, f"resume_call, or {_REVERTED}."),
    "resume": CallAction("resume", "resumed", RESUMABLE, {"paused": False}, f"pause_call, or {_REVERTED}."),
}  # fmt: skip


def _planned(action: CallAction, call_id: str, call: State) -> Action:
    return Action(
        kind=KINDS[action.name],
        target_id=call_id,
        method="POST",
        path=f"/call/{quote(call_id, safe='')}/{action.name}",
        body=None,
        expect=action.expect,
        before=call_view(call),
        assistant_id=_assistant_of(call),
        fields=["status"],
    )


def _assistant_of(call: State) -> str | None:
    assistant = call.get("assistant")
    found = assistant.get("id") if isinstance(assistant, dict) else None
    return found if isinstance(found, str) else None


def _refusal(action: CallAction, call_id: str, status: Any) -> PatchInvalid:
    hint = {
        "cancel": "A call already finished, cancelled or errored has nothing left to cancel.",
        "pause": "Only a call waiting for (or making) its next attempt can be paused; a paused one: resume_call.",
        "resume": "Only a paused call can be resumed.",
    }[action.name]
    return PatchInvalid(
        [
            Problem(
                path="id",
                value=f"call {call_id}, whose status is '{status}'",
                allowed=f"a call in status {', '.join(action.applies)}",
                hint=f"{hint} search_calls with statuses finds the calls it applies to.",
            )
        ]
    )


async def _reverse(ctx: RevertContext, action: CallAction) -> Action:
    """Undo a pause by a resume (or a resume by a pause), if the call is still where the change left it."""
    call_id = ctx.entry.target_id or ""
    call = await _read_call(ctx.client, call_id)
    if call is None:
        raise RevertRefused(f"Call {call_id} no longer exists: there is nothing to {action.name}.")
    if call.get("status") not in action.applies:
        raise RevertRefused(
            f"Call {call_id} cannot be {action.done} now: its status is '{call.get('status')}' "
            f"(a {action.name} applies to {', '.join(action.applies)}). Nothing was sent."
        )
    return _planned(action, call_id, call)


async def _resume_instead(ctx: RevertContext) -> Action:
    return await _reverse(ctx, ACTIONS["resume"])


async def _pause_instead(ctx: RevertContext) -> Action:
    return await _reverse(ctx, ACTIONS["pause"])


def _kind(name: str, after: State, revert: Any = None, not_revertible: str = "") -> ActionKind:
    # The API answers {"success": true}: the call's state after is the one asked for (the tool reads it back).
    return register(
        ActionKind(
            name=f"{name}_call",
            target_type="call",
            observe=_observe_call,
            view=call_view,
            unwrap=lambda answer: dict(after) if answer.get("success") is True else dict(REFUSED),
            revert=revert,
            not_revertible=not_revertible or "This kind of change cannot be undone through revert_change.",
        )
    )


KINDS = {
    "cancel": _kind("cancel", {"status": "cancelled"}, not_revertible=NOT_UNDONE),
    "pause": _kind("pause", {"status": "paused"}, revert=_resume_instead),
    "resume": _kind("resume", {"paused": False}, revert=_pause_instead),
}


async def _status_now(ctx: ToolContext, call_id: str) -> tuple[str | None, list[str]]:
    """The call's status read back (None: not known, with a warning saying why)."""
    try:
        status = (await ctx.client.get_call(call_id)).get("status")
    except ApiError as exc:
        return None, [f"The call could not be read back ({type(exc).__name__}); get_call shows its status."]
    if not isinstance(status, str) or not status:
        return None, ["The call was read back without its status; get_call shows it."]
    return status, []


async def _act(ctx: ToolContext, args: CallActionArgs, action: CallAction) -> ToolAnswer:
    call = await ctx.client.get_call(args.id)
    status = call.get("status")
    if status not in action.applies:
        raise _refusal(action, args.id, status)
    planned = _planned(action, args.id, call)
    answer: State = {"call_id": args.id, "action": action.name, "status_before": status,
                     "assistant_id": planned.assistant_id, "undo": action.undo}  # fmt: skip
    if args.dry_run:
        expected = action.expect.get("status", "scheduled or queued_for_calling (the API picks which)")
        answer.update(status_after=expected, change_id=None, dry_run=True, warnings=[])
        return ToolAnswer(answer, f"Dry run: call {args.id} ({status}) would be {action.done}. Nothing was sent.")
    outcome = await ctx.writer.actions.perform(planned, reason=args.reason, actor=ctx.actor)
    after, warnings = await _status_now(ctx, args.id)
    refused = outcome.answer == REFUSED
    warnings += _read_back(refused, after, action)
    answer.update(status_after=after, change_id=outcome.change_id, dry_run=False,
                  warnings=[*outcome.warnings, *warnings])  # fmt: skip
    recorded = f" Recorded as {outcome.change_id}." if outcome.change_id else ""
    return ToolAnswer(answer, _said(args.id, action, (status, after), refused, recorded))


def _said(call_id: str, action: CallAction, moved: tuple[Any, str | None], refused: bool, recorded: str) -> str:
    """The answer's first words: done, not done, or not known (the status could not be read back)."""
    before, after = moved
    if after is not None and _holds(after, action):
        return f"Call {call_id} {action.done}: {before} -> {after}.{recorded} Undo: {action.undo}"
    if after is not None:
        return f"Call {call_id} was not {action.done}: it reads status '{after}'.{recorded}"
    if refused:
        return (
            f"Call {call_id}: the API did not answer success: true and the call's status could not be read back: "
            f"not known to be {action.done} (get_call shows it).{recorded}"
        )
    return (
        f"Call {call_id}: the API accepted the {action.name} (success: true); its status could not be read back "
        f"(get_call shows it).{recorded} Undo: {action.undo}"
    )


def _holds(status: Any, action: CallAction) -> bool:
    return all(call_view({"status": status}).get(k) == v for k, v in action.expect.items())


def _read_back(refused: bool, after: str | None, action: CallAction) -> list[str]:
    """What the call read back after the answer says, where the two disagree (or the answer said no success)."""
    said = "did not answer success: true" if refused else "said it was done"
    if after is not None and not _holds(after, action):
        return [f"The API {said}, and the call now reads status '{after}': it was not {action.done}."]
    if refused:
        where = f"the call now reads status '{after}'" if after is not None else "get_call shows whether it was"
        return [f"The API did not answer success: true, but {where}."]
    return []


async def cancel_call(ctx: ToolContext, args: CallActionArgs) -> ToolAnswer:
    return await _act(ctx, args, ACTIONS["cancel"])


async def pause_call(ctx: ToolContext, args: CallActionArgs) -> ToolAnswer:
    return await _act(ctx, args, ACTIONS["pause"])


async def resume_call(ctx: ToolContext, args: CallActionArgs) -> ToolAnswer:
    return await _act(ctx, args, ACTIONS["resume"])


def _writes(destructive: bool) -> types.ToolAnnotations:
    return types.ToolAnnotations(
        read_only_hint=False, destructive_hint=destructive, idempotent_hint=False, open_world_hint=True
    )


CANCEL_CALL = ToolSpec(
    name="cancel_call",
    title="Cancel a call",
    does="cancel a scheduled, queued, running or paused call (cannot be undone)",
    description="Cancel a call not finished (scheduled, queued, calling, paused): no more attempts. Cannot be undone.",
    args_model=CallActionArgs,
    answer_model=CallActionAnswer,
    annotations=_writes(destructive=True),
    handler=cancel_call,
)

PAUSE_CALL = ToolSpec(
    name="pause_call",
    title="Pause a call",
    does="pause a scheduled or queued call's retry loop (resume_call undoes it)",
    description="Pause a scheduled or queued call: an attempt under way finishes, no new one starts until resume_call.",
    args_model=CallActionArgs,
    answer_model=CallActionAnswer,
    annotations=_writes(destructive=False),
    handler=pause_call,
)

RESUME_CALL = ToolSpec(
    name="resume_call",
    title="Resume a call",
    does="resume a paused call (pause_call undoes it)",
    description="Resume a paused call: its retry loop goes on where it stopped.",
    args_model=CallActionArgs,
    answer_model=CallActionAnswer,
    annotations=_writes(destructive=False),
    handler=resume_call,
)
