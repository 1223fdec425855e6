"""Campaigns: the organization's outbound campaigns (list), one campaign's configuration and statistics (funnel,
outcomes, leads) with its contact rows on request (paged), and pausing or resuming one (journalled).

Launch, cancel and delete are not offered: a launch dials real people, cancel and delete cannot be undone.
"""

from __future__ import annotations

import heapq
from collections import Counter
from typing import Any

import mcp_types as types

from revox_mcp.actions import Action, ActionKind, Observed, Probe, RevertContext, reads, register
from revox_mcp.answer_bounds import nearest, quoted, size_of
from revox_mcp.campaign_overrides import OVERRIDABLE, own_settings, state_of
from revox_mcp.client import RevoxClient
from revox_mcp.errors import ApiError, NotFound, RevertRefused, RevoxMcpError
from revox_mcp.tool_models import (
    CampaignActionAnswer,
    CampaignActionArgs,
    GetCampaignAnswer,
    GetCampaignArgs,
    ListCampaignsAnswer,
    ListCampaignsArgs,
)
from revox_mcp.tools.base import READ_ONLY, ToolAnswer, ToolContext, ToolSpec

# How many leads of each kind get_campaign shows (the statistics count them all), and how long a text may be.
LEADS_SHOWN = 5
TEXT_CHARS = 160
FIELDS_SHOWN = 20
OUTCOMES_SHOWN = 20
# What get_campaign's summary and notes may take beside its structured answer (room kept for them).
SUMMARY_BYTES = 2_048


class CampaignNotFound(RevoxMcpError):
    def __init__(self, campaign_id: str, known: list[str]) -> None:
        self.campaign_id = campaign_id
        self.known = known
        super().__init__(f"No campaign with id '{campaign_id}' in this organization.")

    def advice(self, tool: str, *, writes: bool) -> str:
        close = nearest(self.campaign_id, self.known)
        hint = f" Closest ids: {quoted(close)}." if close else ""
        unchanged = " Nothing was changed." if writes else ""
        return f"{self}{unchanged}{hint} list_campaigns shows the organization's campaigns (filter by assistant_id)."


def _cut(value: Any, chars: int = TEXT_CHARS) -> Any:
    if isinstance(value, str) and len(value) > chars:
        return f"{value[: chars - 1]}…"
    return value


def _count(value: Any) -> Any:
    """A count as the SDK types it (float), shown as an integer when it is one."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _part(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


async def read_campaign(ctx: ToolContext, campaign_id: str) -> dict[str, Any]:
    """The campaign as the API holds it; a 404 names the closest ids there are."""
    try:
        return await ctx.client.get_campaign(campaign_id)
    except NotFound:
        try:
            known = [str(c.get("id")) for c in await ctx.client.list_campaigns()]
        except RevoxMcpError:
            known = []
        raise CampaignNotFound(campaign_id, known) from None


# --- list_campaigns ------------------------------------------------------------------------------------------


def _assistant_name(campaign: dict[str, Any]) -> Any:
    return _cut(_part(campaign.get("assistant")).get("name"), 80)


def _campaign_row(campaign: dict[str, Any]) -> dict[str, Any]:
    rows, funnel = _part(campaign.get("row_stats")), _part(campaign.get("funnel_stats"))
    return {
        "id": campaign.get("id"),
        "name": _cut(campaign.get("name"), 100),
        "status": state_of(campaign),
        "assistant_id": campaign.get("assistant_id"),
        "assistant_name": _assistant_name(campaign),
        "own_settings": own_settings(campaign),
        "rows": _count(rows.get("total")),
        "completed": _count(rows.get("completed")),
        "talked_to_human": _count(funnel.get("talked_to_human")),
        "hot_leads": _count(funnel.get("hot")),
        "updated_at": campaign.get("updated_at"),
    }


async def _named_assistants(ctx: ToolContext, rows: list[dict[str, Any]]) -> None:
    """Assistant names for rows whose campaign did not carry its assistant: one list read, only then."""
    if all(r["assistant_name"] is not None or not r["assistant_id"] for r in rows):
        return
    try:
        names = {a.get("id"): a.get("name") for a in await ctx.client.list_assistants()}
    except RevoxMcpError:
        return
    for row in rows:
        if row["assistant_name"] is None:
            row["assistant_name"] = _cut(names.get(row["assistant_id"]), 80)


async def list_campaigns(ctx: ToolContext, args: ListCampaignsArgs) -> ToolAnswer:
    everything = [_campaign_row(c) for c in await ctx.client.list_campaigns()]
    rows = everything
    if args.assistant_id:
        rows = [r for r in rows if r["assistant_id"] == args.assistant_id]
    if args.status:
        rows = [r for r in rows if r["status"] == args.status]
    if args.name_contains:
        needle = args.name_contains.casefold()
        rows = [r for r in rows if needle in str(r["name"] or "").casefold()]
    page = rows[(args.page - 1) * args.page_size : args.page * args.page_size]
    await _named_assistants(ctx, page)
    next_page = args.page + 1 if args.page * args.page_size < len(rows) else None
    counts = dict(Counter(str(r["status"]) for r in rows))
    by_state = ", ".join(f"{n} {s}" for s, n in Counter(str(r["status"]) for r in rows).most_common())
    if rows:
        summary = f"{len(rows)} campaign(s) match ({by_state}); page {args.page} shows {len(page)}."
        summary += " own_settings: what a campaign holds over its assistant's (get_campaign shows them)."
    else:
        there = ", ".join(f"{n} {s}" for s, n in Counter(str(r["status"]) for r in everything).most_common())
        summary = f"No campaign matches. The organization has {len(everything)} campaign(s)" + (
            f" ({there})." if everything else "."
        )
    return ToolAnswer({"campaigns": page, "total": len(rows), "next_page": next_page, "counts": counts}, summary)


# --- get_campaign --------------------------------------------------------------------------------------------


def _config(campaign: dict[str, Any]) -> dict[str, Any]:
    """What the campaign runs with: each overridable setting with where it comes from (campaign or assistant)."""
    assistant = _part(campaign.get("assistant"))
    config: dict[str, Any] = {
        "id": campaign.get("id"),
        "name": _cut(campaign.get("name"), 200),
        "status": state_of(campaign),
        "assistant_id": campaign.get("assistant_id"),
        "assistant_name": _assistant_name(campaign),
    }
    for name in OVERRIDABLE:
        own = campaign.get(name) not in (None, "", {})
        config[name] = campaign.get(name) if own else assistant.get(name)
        config[f"{name}_from"] = "campaign" if own else ("assistant" if assistant else "assistant (not read)")
    config.update(
        {
            "max_concurrent_calls": _count(campaign.get("max_concurrent_calls")),
            "row_stats": {k: _count(v) for k, v in _part(campaign.get("row_stats")).items()},
            "created_at": campaign.get("created_at"),
            "updated_at": campaign.get("updated_at"),
            "scheduled_at": campaign.get("scheduled_at"),
            "created_by": _part(campaign.get("created_by")).get("email"),
        }
    )
    return config


def _lead(lead: Any) -> dict[str, Any]:
    lead = _part(lead)
    return {
        "name": _cut(lead.get("name"), 80),
        "phone": lead.get("phone"),
        "call_id": lead.get("call_id"),
        "summary": _cut(lead.get("summary")),
        "last_activity_at": lead.get("last_activity_at"),
    }


def _funnel(funnel: dict[str, Any]) -> dict[str, Any]:
    called, reached = _part(funnel.get("called")), _part(funnel.get("reached"))
    exchanges, hot = _part(funnel.get("real_exchanges")), _part(funnel.get("hot_leads"))
    return {
        "imported_rows": _count(called.get("imported_rows")),
        "called": _count(called.get("count")),
        "reached": _count(reached.get("count")),
        "reached_pct_of_called": reached.get("pct_of_called"),
        "real_exchanges": _count(exchanges.get("count")),
        "real_exchanges_pct_of_reached": exchanges.get("pct_of_reached"),
        "hot_leads": _count(hot.get("count")),
        "hot_leads_pct_of_reached": hot.get("pct_of_reached"),
    }


def _listed(value: Any) -> list[Any] | None:
    return value if isinstance(value, list) else None


def _outcomes(breakdown: Any) -> dict[str, Any] | None:
    """Outcomes as counts, the most frequent first and at most OUTCOMES_SHOWN (None: the API sent no list)."""
    listed = _listed(breakdown)
    if listed is None:
        return None
    counted: list[tuple[str, Any]] = []
    odd: list[tuple[str, Any]] = []  # a count that is not a number: shown after the counted ones
    for item in listed:
        if isinstance(item, dict):
            name, count = str(_cut(item.get("outcome"), 80)), _count(item.get("count"))
            if isinstance(count, int | float) and not isinstance(count, bool):
                counted.append((name, count))
            else:
                odd.append((name, _cut(str(count), 40)))
    ranked = heapq.nlargest(OUTCOMES_SHOWN, counted, key=lambda pair: pair[1])
    return dict(ranked + odd[: OUTCOMES_SHOWN - len(ranked)])


def _few(value: Any) -> list[Any] | None:
    """The first FIELDS_SHOWN items of a list of names, each cut short (None: not a list)."""
    listed = _listed(value)
    return None if listed is None else [_cut(str(item), 80) for item in listed[:FIELDS_SHOWN]]


def _leads(leads: dict[str, Any]) -> dict[str, Any]:
    shown: dict[str, Any] = {}
    for kind in ("interested", "callback_requested"):
        found = _listed(leads.get(kind))
        shown[kind] = [_lead(lead) for lead in (found or [])[:LEADS_SHOWN]]
        shown[f"{kind}_total"] = None if found is None else len(found)  # None: the API sent no list
    return shown


def _statistics(report: dict[str, Any]) -> dict[str, Any]:
    """The statistics, compact and bounded: the funnel's four steps, the most frequent outcomes as counts (over
    the real exchanges), effort, the first few leads. A part of an unexpected shape is null, never a guess."""
    about = _part(report.get("campaign"))
    breakdown, hot, effort = report.get("outcome_breakdown"), report.get("hot_lead_outcomes"), report.get("effort")
    outcomes = _outcomes(breakdown)
    return {
        "funnel": _funnel(_part(report.get("funnel"))),
        "outcomes": outcomes,
        "outcomes_total": len(breakdown) if isinstance(breakdown, list) else None,
        "hot_lead_outcomes": _few(hot),
        "hot_lead_outcomes_total": len(hot) if isinstance(hot, list) else None,
        "effort": {str(_cut(k, 80)): _count(v) for k, v in list(effort.items())[:FIELDS_SHOWN]}
        if isinstance(effort, dict)
        else None,
        "leads": _leads(_part(report.get("leads"))),
        "activity": {
            "first": about.get("first_activity_at"),
            "last": about.get("last_activity_at"),
            "timezone": about.get("timezone"),
            "max_attempts_per_contact": _count(about.get("max_attempts_per_contact")),
        },
        "data_extraction_fields": _few(_part(report.get("data_extraction")).get("fields") or []),
    }


def _row_status(row: dict[str, Any]) -> str:
    """The status of the row's call: 'no call' only for a row without one; a call read without its status is
    'unknown' (it is a call all the same)."""
    call = row.get("call")
    if not call:
        return "no call"
    status = _part(call).get("status")
    return status if isinstance(status, str) and status else "unknown"


def _contact_row(row: dict[str, Any]) -> dict[str, Any]:
    call = _part(row.get("call"))
    data = _part(row.get("input_data"))
    attempt = _part(call.get("last_call_attempt"))
    name = " ".join(str(data[k]) for k in ("first_name", "last_name") if data.get(k)) or None
    return {
        "index": _count(row.get("row_index")),
        "row_id": row.get("id"),
        "phone_number": row.get("phone_number"),
        "contact": _cut(name, 80),
        "call_id": call.get("id"),
        "status": _row_status(row),
        "attempts": _count(call.get("calls_count")),
        "result": attempt.get("result") or ("none" if call else None),
        "outcome": (call.get("outcome") or "none") if call else None,
        "scheduled_at": call.get("scheduled_at") if call.get("status") in ("scheduled", "paused") else None,
    }


def _rows_page(rows: list[dict[str, Any]], args: GetCampaignArgs, budget: int) -> tuple[list[dict[str, Any]], int]:
    """The page asked for, held under `budget` bytes; and where the next page starts."""
    page: list[dict[str, Any]] = []
    used = 0
    for row in rows[args.row_offset : args.row_offset + args.row_limit]:
        shown = _contact_row(row)
        used += size_of(shown)
        if page and used > budget:
            break
        page.append(shown)
    return page, args.row_offset + len(page)


async def _statistics_or_note(ctx: ToolContext, campaign_id: str, notes: list[str]) -> dict[str, Any] | None:
    try:
        return _statistics(await ctx.client.campaign_statistics(campaign_id))
    except ApiError as exc:
        notes.append(f"Statistics could not be read ({str(exc).splitlines()[0][:200]}); the configuration stands.")
        return None


async def _with_assistant(ctx: ToolContext, campaign: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    """The campaign with its assistant, read when the API's answer does not carry it (the SDK makes it optional):
    the settings the campaign does not hold are the assistant's."""
    assistant_id = campaign.get("assistant_id")
    if isinstance(campaign.get("assistant"), dict) or not isinstance(assistant_id, str) or not assistant_id:
        return campaign
    try:
        return {**campaign, "assistant": await ctx.client.get_assistant(assistant_id)}
    except RevoxMcpError as exc:
        notes.append(f"Its assistant could not be read ({str(exc).splitlines()[0][:160]}).")
        return campaign


async def get_campaign(ctx: ToolContext, args: GetCampaignArgs) -> ToolAnswer:
    notes: list[str] = []
    campaign = await _with_assistant(ctx, await read_campaign(ctx, args.id), notes)
    config = _config(campaign)
    statistics = await _statistics_or_note(ctx, args.id, notes)
    answer: dict[str, Any] = {"campaign": config, "statistics": statistics, "rows": None, "rows_total": None}
    answer["next_row_offset"] = None
    if args.rows:
        rows = await ctx.client.campaign_rows(args.id)
        if args.row_status:
            rows = [r for r in rows if _row_status(r) == args.row_status]
        # Sized after the rest of the answer (its text carries a summary beside it): the ceiling never cuts
        # this page, so next_row_offset is always the first row not shown.
        rest = size_of(answer) + size_of(notes) + SUMMARY_BYTES
        budget = min(ctx.page_bytes, ctx.max_answer_bytes - rest)
        page, end = _rows_page(rows, args, budget)
        answer.update(rows=page, rows_total=len(rows), next_row_offset=end if end < len(rows) else None)
        if len(page) < min(args.row_limit, len(rows) - args.row_offset):
            notes.append(
                f"This page holds {len(page)} rows to stay under the answer ceiling; row_offset={end} reads on."
            )
    answer["notes"] = notes
    return ToolAnswer(answer, _campaign_summary(config, statistics, answer))


def _campaign_summary(config: dict[str, Any], statistics: dict[str, Any] | None, answer: dict[str, Any]) -> str:
    rows = config["row_stats"]
    text = (
        f"{config['name']} ({config['status']}) on {config['assistant_name'] or config['assistant_id']}: "
        f"{rows.get('total', '?')} rows, {rows.get('completed', '?')} whose call is completed."
    )
    if statistics:
        f = statistics["funnel"]
        text += (
            f" Funnel: called {f['called']} -> reached {f['reached']} -> real exchanges {f['real_exchanges']} -> "
            f"hot leads {f['hot_leads']} (distinct numbers; outcomes count the real exchanges)."
        )
    own = [name for name in OVERRIDABLE if config[f"{name}_from"] == "campaign"]
    if own:
        text += f" It holds its own {', '.join(own)}: the assistant's does not apply to its calls."
    if answer["rows"] is not None:
        start = answer["rows"][0]["index"] if answer["rows"] else "-"
        more = f"; row_offset={answer['next_row_offset']} for more" if answer["next_row_offset"] is not None else ""
        text += f" Rows: {len(answer['rows'])} of {answer['rows_total']} shown (from {start}){more}."
    return text


LIST_CAMPAIGNS = ToolSpec(
    name="list_campaigns",
    title="List campaigns",
    does="outbound campaigns by assistant, state, name; compact rows with counts and the settings each holds itself",
    description="The organization's outbound campaigns: state, assistant, row and lead counts, settings they hold "
    "over the assistant's. Filter by assistant, state, name.",
    args_model=ListCampaignsArgs,
    answer_model=ListCampaignsAnswer,
    annotations=READ_ONLY,
    handler=list_campaigns,
    read_on="Ask again with a smaller page_size or a filter (assistant_id, status, name_contains).",
)

GET_CAMPAIGN = ToolSpec(
    name="get_campaign",
    title="Get a campaign",
    does="one campaign's configuration and statistics (funnel, outcomes, leads); contact rows paged on request",
    description="One campaign: what it runs with (its own settings or the assistant's) and its statistics (funnel, "
    "outcomes, leads). rows=true adds a page of contact rows.",
    args_model=GetCampaignArgs,
    answer_model=GetCampaignAnswer,
    annotations=READ_ONLY,
    handler=get_campaign,
    read_on="Ask for fewer rows (row_limit) and page with row_offset.",
)


# --- pause_campaign and resume_campaign ----------------------------------------------------------------------


class CampaignRefused(RevoxMcpError):
    """The campaign's state does not allow the action: nothing was sent."""

    def advice(self, tool: str, *, writes: bool) -> str:
        return f"{self} Nothing was sent. get_campaign shows its state."


# What the journal keeps of an answer that is not {"success": true}: the tool reads the campaign back and says so.
REFUSED: dict[str, Any] = {"success": False}


def campaign_view(campaign: dict[str, Any]) -> dict[str, Any]:
    """What the journal keeps of a campaign: its state and name."""
    if campaign == REFUSED:
        return dict(REFUSED)
    return {"status": state_of(campaign), "name": _cut(campaign.get("name"), 100)}


async def _campaign_or_none(client: RevoxClient, campaign_id: str) -> dict[str, Any] | None:
    try:
        return await client.get_campaign(campaign_id)
    except NotFound:
        return None


# What each action does: (path's last part, the state it needs, the state it leaves).
_MOVES = {"pause": ("pause", "running", "paused"), "resume": ("resume", "paused", "running")}


def _move(verb: str, campaign: dict[str, Any], reverts: str | None = None) -> Action:
    action, _, after = _MOVES[verb]
    campaign_id = str(campaign.get("id"))
    return Action(
        kind=PAUSE if verb == "pause" else RESUME,
        target_id=campaign_id,
        method="POST",
        path=f"/campaigns/{campaign_id}/{action}",
        body=None,
        expect={"status": after},
        before=campaign_view(campaign),
        assistant_id=_text_or_none(campaign.get("assistant_id")),
        fields=["status"],
        reverts=reverts,
    )


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _refusal(verb: str, campaign: dict[str, Any]) -> str | None:
    """Why the campaign's state does not allow `verb` (None: it does, or it is there already)."""
    _, needed, after = _MOVES[verb]
    state = state_of(campaign)
    if state in (needed, after):
        return None
    return f"Campaign {campaign.get('id')} is {state}: only a {needed} campaign can be {verb}d."


def _undo(verb: str) -> Any:
    """The reverter of a `verb` row: the opposite move, while the campaign is still where the row left it."""

    async def revert(ctx: RevertContext) -> Action:
        campaign_id = ctx.entry.target_id or ""
        campaign = await _campaign_or_none(ctx.client, campaign_id)
        if campaign is None:
            raise RevertRefused(f"Campaign {campaign_id} no longer exists: there is nothing to {verb}.")
        _, needed, _ = _MOVES[verb]
        if state_of(campaign) != needed:
            raise RevertRefused(
                f"Campaign {campaign_id} is {state_of(campaign)} now, not {needed} as change {ctx.entry.change_id} "
                f"left it: there is nothing to undo ({verb} needs a {needed} campaign)."
            )
        return _move(verb, campaign)

    return revert


_read_back = reads(_campaign_or_none, campaign_view)


async def _observe(client: RevoxClient, probe: Probe) -> Observed:
    """A re-read deciding a lost answer: one that shows no status decides nothing (the row stays undecided)."""
    seen = await _read_back(client, probe)
    if seen.state is not None and seen.state.get("status") == "unknown":
        return Observed(None, None, probe.target_id, "the campaign was read back without its status")
    return seen


def _answered(state: str) -> Any:
    """The API answers {"success": true}, not the campaign: success means the state asked for; anything else is
    kept as REFUSED (the tool reads the campaign back)."""
    return lambda answer: {"status": state} if answer.get("success") is True else dict(REFUSED)


PAUSE = register(
    ActionKind(
        name="pause_campaign",
        target_type="campaign",
        observe=_observe,
        view=campaign_view,
        unwrap=_answered("paused"),
        revert=_undo("resume"),
    )
)
RESUME = register(
    ActionKind(
        name="resume_campaign",
        target_type="campaign",
        observe=_observe,
        view=campaign_view,
        unwrap=_answered("running"),
        revert=_undo("pause"),
    )
)

# What a move does once applied, said with the answer (the SDK: a pause stops new calls; calls under way finish).
_EFFECT = {
    "pause": "effective now: no new call starts, calls under way finish",
    "resume": "its held calls go out again in their next calling window",
}


async def _act(ctx: ToolContext, args: CampaignActionArgs, verb: str) -> ToolAnswer:
    campaign = await read_campaign(ctx, args.id)
    before, target = state_of(campaign), _MOVES[verb][2]
    name = _cut(campaign.get("name"), 100)
    refusal = _refusal(verb, campaign)
    if refusal:
        raise CampaignRefused(refusal)
    answer: dict[str, Any] = {"campaign_id": args.id, "name": name, "status_before": before, "change_id": None}
    answer["dry_run"] = args.dry_run
    if before == target:
        answer.update(outcome="unchanged", status_now=before, warnings=[])
        return ToolAnswer(answer, f"{name} ({args.id}) is already {target}: nothing was sent.")
    if args.dry_run:
        answer.update(outcome="would_apply", status_now=before, warnings=[])
        text = f"Dry run: {name} ({args.id}) is {before}; {verb}_campaign would make it {target} ({_EFFECT[verb]})."
        return ToolAnswer(answer, f"{text} Nothing was sent.")
    outcome = await ctx.writer.actions.perform(_move(verb, campaign), reason=args.reason, actor=ctx.actor)
    now, warnings = await _state_now(ctx, args.id, [*outcome.warnings])
    refused = outcome.answer == REFUSED
    if refused and now == target:
        warnings.append(f"The API did not answer success: true, but the campaign reads {now}.")
    elif not refused and now not in (target, None):
        warnings.append(f"The API accepted the {verb}, but the campaign reads {now} now.")
    done = now == target or not refused
    answer.update(outcome="applied" if done else "not_applied", status_now=now, change_id=outcome.change_id)
    answer["warnings"] = warnings
    undo = "resume_campaign" if verb == "pause" else "pause_campaign"
    recorded = f" (change {outcome.change_id})" if outcome.change_id else ""
    if not done:
        summary = (
            f"{name} ({args.id}) was not {verb}d: the API did not answer success: true, and it reads "
            f"{now or 'unknown (it could not be read back)'}{recorded}. get_campaign shows its state."
        )
    else:
        journal = f" (change {outcome.change_id}; revert_change or {undo} undoes it)" if outcome.change_id else ""
        summary = f"{verb.capitalize()}d {name} ({args.id}): {before} -> {now or target}, {_EFFECT[verb]}{journal}."
    return ToolAnswer(answer, "\n".join([summary, *(f"Warning: {w}" for w in warnings)]))


async def _state_now(ctx: ToolContext, campaign_id: str, warnings: list[str]) -> tuple[str | None, list[str]]:
    """The campaign's state read back after the action (None: not known, with a warning saying why)."""
    try:
        now = state_of(await ctx.client.get_campaign(campaign_id))
    except ApiError as exc:
        return None, [*warnings, f"The campaign could not be read again ({str(exc).splitlines()[0][:120]})."]
    if now == "unknown":
        return None, [*warnings, "The campaign was read back without its status; get_campaign shows it."]
    return now, warnings


async def pause_campaign(ctx: ToolContext, args: CampaignActionArgs) -> ToolAnswer:
    return await _act(ctx, args, "pause")


async def resume_campaign(ctx: ToolContext, args: CampaignActionArgs) -> ToolAnswer:
    return await _act(ctx, args, "resume")


_ACTION_ANNOTATIONS = types.ToolAnnotations(
    # It changes live calling, but resume (or revert_change) undoes it; asking it twice changes nothing more.
    read_only_hint=False,
    destructive_hint=False,
    idempotent_hint=True,
    open_world_hint=True,
)

PAUSE_CAMPAIGN = ToolSpec(
    name="pause_campaign",
    title="Pause a campaign",
    does="hold a running campaign's calls now (in-progress ones finish); `dry_run`; journalled, undone by resume",
    description="Pause a running campaign: no new calls until it is resumed (calls under way finish). Journalled.",
    args_model=CampaignActionArgs,
    answer_model=CampaignActionAnswer,
    annotations=_ACTION_ANNOTATIONS,
    handler=pause_campaign,
)

RESUME_CAMPAIGN = ToolSpec(
    name="resume_campaign",
    title="Resume a campaign",
    does="resume a paused campaign's held calls; `dry_run`; journalled, undone by pause",
    description="Resume a paused campaign: held calls go out in their next calling window. Journalled.",
    args_model=CampaignActionArgs,
    answer_model=CampaignActionAnswer,
    annotations=_ACTION_ANNOTATIONS,
    handler=resume_campaign,
)
