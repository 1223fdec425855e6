"""Tools for the context an agent needs around an update: the voice catalog, the organization's phone
numbers, and what happened on calls (search, then one call with its transcript, paged)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from revox_mcp.answer_bounds import quoted
from revox_mcp.impact import instant
from revox_mcp.instants import instant_argument
from revox_mcp.messages import similarity
from revox_mcp.tool_models import (
    GetCallAnswer,
    GetCallArgs,
    ListPhoneNumbersAnswer,
    ListPhoneNumbersArgs,
    ListVoicesAnswer,
    ListVoicesArgs,
    SearchCallsAnswer,
    SearchCallsArgs,
)
from revox_mcp.tools.base import READ_ONLY, ToolAnswer, ToolContext, ToolSpec

# A date range is not part of the API's call search: calls are fetched newest first, this many at a
# time and at most MAX_SCANNED in all, and filtered here.
SCAN_PAGE = 100
MAX_SCANNED = 1000
MAX_TURN_CHARS = 2000
NEWEST_FIRST = {"sort_by": "created_at", "sort_direction": "desc"}


def _voice_row(voice: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": voice.get("id"),
        "name": voice.get("name", ""),
        "provider": voice.get("provider", ""),
        "language": voice.get("language", ""),
        "accent": voice.get("accent"),
        "gender": voice.get("gender"),
        "cloned": bool(voice.get("isCloned")),
        "model_compat": voice.get("modelCompat") or "universal",
        "description": voice.get("description") or "",
    }


async def list_voices(ctx: ToolContext, args: ListVoicesArgs) -> ToolAnswer:
    rows = [_voice_row(v) for v in await ctx.catalog.voices() if isinstance(v, dict)]
    wanted = {"provider": args.provider, "language": args.language, "gender": args.gender, "cloned": args.cloned}
    rows = [r for r in rows if all(v is None or r[k] == v for k, v in wanted.items())]
    if args.ids is not None:
        rows = [r for r in rows if r["id"] in args.ids]
    if args.accent:
        rows = [r for r in rows if str(r["accent"] or "").casefold() == args.accent.casefold()]
    if args.model:
        rows = [r for r in rows if r["provider"] != "cartesia" or r["model_compat"] in ("universal", args.model)]
    if args.query:
        query = args.query.casefold()
        words = query.split()

        def relevance(r: dict[str, Any]) -> float:
            text = f"{r['name']} {r['description']}".casefold()
            # The ratio on the two cut short (messages.similarity): a long query or description costs no more.
            return sum(w in text for w in words) + similarity(query, text)

        rows = sorted((r for r in rows if any(w in f"{r['name']} {r['description']}".casefold() for w in words)),
                      key=relevance, reverse=True)  # fmt: skip
    shown = rows[: args.limit]
    return ToolAnswer(
        {"voices": shown, "total": len(rows)},
        f"{len(rows)} voice(s) match; showing {len(shown)}. Use a row's id and provider as voice.id and provider."
        + _unknown_ids(args.ids, rows),
    )


def _unknown_ids(ids: list[str] | None, rows: list[dict[str, Any]]) -> str:
    """The asked-for ids no matching voice has: a count and the first few, never the whole list."""
    missing = [i for i in dict.fromkeys(ids or []) if i not in {r["id"] for r in rows}]
    if not missing:
        return ""
    more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
    return (
        f" {len(missing)} of the {len(set(ids or []))} ids asked match no voice here: {quoted(missing[:3])}{more} "
        "(filters apply too; without them, ids looks in the whole catalog)."
    )


async def list_phone_numbers(ctx: ToolContext, args: ListPhoneNumbersArgs) -> ToolAnswer:
    rows = []
    for number in await ctx.catalog.phone_numbers():
        if not isinstance(number, dict):
            continue
        inbound = number.get("inbound_assistant") or {}
        rows.append(
            {
                "id": number.get("id"),
                "phone_number": number.get("phone_number"),
                "label": number.get("label"),
                "type": number.get("type", ""),
                "provider": number.get("provider", ""),
                "inbound_assistant_id": inbound.get("id") if isinstance(inbound, dict) else None,
                "inbound_assistant_name": inbound.get("name") if isinstance(inbound, dict) else None,
            }
        )
    return ToolAnswer(
        {"phone_numbers": rows}, f"{len(rows)} number(s); any of them can be an assistant's from_phone_number."
    )


def _last_attempt(call: dict[str, Any]) -> dict[str, Any]:
    attempt = call.get("last_call_attempt")
    attempts = call.get("call_attempts")
    if not attempt and isinstance(attempts, list) and attempts:
        attempt = attempts[0]  # the API lists attempts most recent first
    return attempt if isinstance(attempt, dict) else {}


def _duration(attempt: dict[str, Any]) -> float | None:
    try:
        start = datetime.fromisoformat(str(attempt["started_at"]))
        end = datetime.fromisoformat(str(attempt["ended_at"]))
    except (KeyError, TypeError, ValueError):
        return None
    return (end - start).total_seconds()


def _call_row(call: dict[str, Any]) -> dict[str, Any]:
    attempt = _last_attempt(call)
    contact, assistant = (value if isinstance(value := call.get(key), dict) else {} for key in ("contact", "assistant"))
    name = " ".join(str(p) for p in (contact.get("first_name"), contact.get("last_name")) if p) or None
    return {
        "id": call.get("id"),
        "created_at": call.get("created_at"),
        "assistant_id": assistant.get("id"),
        "direction": call.get("direction"),
        # One spelling for "none": the one the outcome and result filters take.
        "result": attempt.get("result") or "none",
        "outcome": call.get("outcome") or "none",
        "outcome_summary": call.get("outcome_summary"),
        "status": call.get("status"),
        "scheduled_at": call.get("scheduled_at"),
        "to_phone_number": call.get("to_phone_number"),
        "duration_secs": _duration(attempt),
        "end_reason": attempt.get("end_reason"),
        "contact": name,
    }


def _in_range(call: dict[str, Any], after: datetime | None, before: datetime | None) -> bool:
    when = instant(call.get("created_at"))  # the API writes UTC; a time without a zone is read as such
    if when is None:
        return False
    return (after is None or when >= after) and (before is None or when < before)


def _instant(value: str | None, name: str) -> datetime | None:
    return instant_argument(value, name, naive=datetime.now().astimezone().tzinfo or UTC)


def search_body(args: SearchCallsArgs) -> dict[str, Any]:
    """The POST /call/search body for `args`: every list the SDK requires, sent even when empty (empty: any),
    and the optional filters only when given."""
    assistants = list(dict.fromkeys([*([args.assistant_id] if args.assistant_id else []), *args.assistant_ids]))
    body: dict[str, Any] = {
        "assistant_ids": assistants,
        "campaign_ids": list(args.campaign_ids),
        "assignee_ids": list(args.assignee_ids),
        "from_phone_numbers": list(args.from_phone_numbers),
        "directions": [args.direction] if args.direction else [],
        "outcomes": list(args.outcomes),
        "results": list(args.results),
        "statuses": list(args.statuses),
        "sort_by": args.sort_by,
        "sort_direction": args.sort_direction,
    }
    if args.call_ids:
        body["call_ids"] = list(args.call_ids)
    if args.to_phone_number:
        body["to_phone_number"] = args.to_phone_number
    if args.query:
        body["query"] = args.query
    return body


async def search_calls(ctx: ToolContext, args: SearchCallsArgs) -> ToolAnswer:
    body = search_body(args)
    after, before = _instant(args.created_after, "created_after"), _instant(args.created_before, "created_before")
    calls, everything, said, note = await _matches(ctx, body, args, after, before)
    rows = [_call_row(c) for c in calls if isinstance(c, dict)]
    all_rows = [_call_row(c) for c in everything if isinstance(c, dict)]
    counts = {
        "result": dict(Counter(str(r["result"]) for r in all_rows)),
        "outcome": dict(Counter(str(r["outcome"]) for r in all_rows)),
    }
    if said is None:
        # The API did not say how many match: the calls up to this page are what is known, a whole page says more.
        total = (args.page - 1) * args.page_size + len(calls)
        next_page = args.page + 1 if len(calls) >= args.page_size else None
        note += " (the API did not say how many match in all: total counts the calls up to this page)"
    else:
        total = said
        next_page = args.page + 1 if args.page * args.page_size < total else None
    by_result = ", ".join(f"{n} {k}" for k, n in Counter(str(r["result"]) for r in all_rows).most_common())
    summary = f"{total} call(s) match{note}" + (f" ({by_result})" if all_rows else "")
    summary += (
        f"; page {args.page} shows {len(rows)}." if total else "." + await _nothing_found(ctx, body, after, before)
    )
    return ToolAnswer({"calls": rows, "total": total, "next_page": next_page, "counts": counts}, summary)


async def _matches(
    ctx: ToolContext, body: dict[str, Any], args: SearchCallsArgs, after: datetime | None, before: datetime | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int | None, str]:
    """The page asked for, every match (what the counts are over, bounded), the total (None: the API did not
    say), and a note where the bound cut the scan. The API filters by everything but the dates: a date range is
    a scan of our own."""
    if after is None and before is None:
        calls, total = await ctx.client.search_calls({**body, "page": args.page, "page_size": args.page_size})
        if total is None or total <= len(calls):
            return calls, calls, total, ""
        # More matches than this page: count them all (bounded), not just the page.
        everything, capped = await _scan(ctx, body, None, None)
        return calls, everything, total, f" (counts over the newest {MAX_SCANNED} only)" if capped else ""
    # The scan stops at the first call older than the range: it reads newest first, whatever the order asked.
    everything, capped = await _scan(ctx, {**body, **NEWEST_FIRST}, after, before)
    note = f" (date range applied to the newest {MAX_SCANNED} calls only; narrow the other filters)" if capped else ""
    everything = _ordered(everything, args.sort_by, args.sort_direction)
    page = everything[(args.page - 1) * args.page_size : args.page * args.page_size]
    return page, everything, len(everything), note


def _ordered(calls: list[dict[str, Any]], sort_by: str, direction: str) -> list[dict[str, Any]]:
    """Calls read newest first, in the order asked (as the API orders them: calls without the value last)."""
    if (sort_by, direction) == ("created_at", "desc"):
        return calls

    def value(call: dict[str, Any]) -> Any:
        raw = call.get(sort_by)
        if sort_by == "calls_count":
            return raw if isinstance(raw, int | float) and not isinstance(raw, bool) else None
        return instant(raw)

    valued = [c for c in calls if value(c) is not None]
    ordered = sorted(valued, key=value, reverse=direction == "desc")
    return ordered + [c for c in calls if value(c) is None]


async def _scan(
    ctx: ToolContext, body: dict[str, Any], after: datetime | None, before: datetime | None
) -> tuple[list[dict[str, Any]], bool]:
    """Every call matching `body` and the date range, newest first, reading at most MAX_SCANNED; and whether
    that bound cut the scan short."""
    matching: list[dict[str, Any]] = []
    scanned, page = 0, 1
    while scanned < MAX_SCANNED:
        batch, said = await ctx.client.search_calls({**body, "page": page, "page_size": SCAN_PAGE})
        scanned += len(batch)
        # A total the API did not say: the last page is the first one short of a whole page.
        available = said if said is not None else scanned + (SCAN_PAGE if len(batch) >= SCAN_PAGE else 0)
        await ctx.progress(scanned, min(available, MAX_SCANNED), f"Scanned {scanned} of {available} calls")
        matching += [c for c in batch if isinstance(c, dict) and _in_range(c, after, before)]
        oldest = batch[-1].get("created_at") if batch and isinstance(batch[-1], dict) else None
        if (
            not batch
            or scanned >= available
            or (after and oldest and not _in_range({"created_at": oldest}, after, None))
        ):
            return matching, False
        page += 1
    return matching, True


async def _nothing_found(
    ctx: ToolContext, body: dict[str, Any], after: datetime | None, before: datetime | None
) -> str:
    """Where to look instead: the newest call the other filters match, and today's date."""
    today = f"Today is {datetime.now(UTC).date().isoformat()} (UTC)."
    if after is None and before is None:
        return f" No call matches these filters. {today}"
    newest, _ = await ctx.client.search_calls({**body, **NEWEST_FIRST, "page": 1, "page_size": 1})
    if not newest or not isinstance(newest[0], dict):
        return f" No call matches the other filters at any date either. {today}"
    return f" The newest call matching the other filters is from {newest[0].get('created_at')}. {today}"


async def get_call(ctx: ToolContext, args: GetCallArgs) -> ToolAnswer:
    call = await ctx.client.get_call(args.id)
    turns: list[dict[str, Any]] = []
    attempts = []
    # The API lists attempts most recent first; the transcript reads best in the order things happened.
    listed = call.get("call_attempts") or ([call["last_call_attempt"]] if call.get("last_call_attempt") else [])
    for attempt in reversed([a for a in listed if isinstance(a, dict)]):
        transcript = attempt.get("transcript")
        for turn in transcript if isinstance(transcript, list) else []:
            if not isinstance(turn, dict):
                continue
            content = turn.get("content")
            if isinstance(content, str) and len(content) > MAX_TURN_CHARS:
                content = f"{content[:MAX_TURN_CHARS]}… [turn cut: {len(content) - MAX_TURN_CHARS} more characters]"
            turns.append(
                {
                    "index": len(turns),
                    "attempt_id": attempt.get("id", ""),
                    "role": turn.get("role", ""),
                    "content": content,
                    "tool_name": turn.get("tool_name"),
                }
            )
        attempts.append({k: v for k, v in attempt.items() if k not in ("transcript", "post_call_transcript")})
    page = turns[args.turn_offset : args.turn_offset + args.max_turns]
    end = args.turn_offset + len(page)
    next_offset = end if end < len(turns) else None
    slim = {k: v for k, v in call.items() if k not in ("call_attempts", "last_call_attempt", "assistant")}
    slim["assistant_id"] = (call.get("assistant") or {}).get("id")
    slim["attempts"] = attempts[::-1]
    marker = (
        f" Showing turns {args.turn_offset}-{end - 1} of {len(turns)}; call get_call with turn_offset={next_offset} "
        "for the rest."
        if next_offset is not None
        else f" Transcript: {len(turns)} turn(s), all shown."
        if args.turn_offset == 0
        else ""
    )
    row = _call_row(call)
    slim["outcome"] = row["outcome"]  # one spelling for no outcome, as search_calls shows and filters it
    summary = f"Call {call.get('id', args.id)}: {row['direction']}, {row['result']}, outcome {row['outcome']}.{marker}"
    return ToolAnswer(
        {"call": slim, "transcript": page, "transcript_total_turns": len(turns), "next_turn_offset": next_offset},
        summary,
    )


LIST_VOICES = ToolSpec(
    name="list_voices",
    title="List voices",
    does="the voice catalog, filtered by provider, language, gender, accent, cloned, Cartesia model, words",
    description=(
        "Find a voice for voice.id: the catalog of Cartesia, ElevenLabs and Gradium voices plus the organization's "
        "cloned ones. Filter by provider, language, gender, accent, cloned, Cartesia model, or words like 'warm'."
    ),
    args_model=ListVoicesArgs,
    answer_model=ListVoicesAnswer,
    annotations=READ_ONLY,
    handler=list_voices,
    bound="Answers <=16 KB (default).",
    read_on="Add filters or a lower limit.",
)

LIST_PHONE_NUMBERS = ToolSpec(
    name="list_phone_numbers",
    title="List phone numbers",
    does="the organization's numbers and which assistant answers each",
    description="The organization's phone numbers (usable as from_phone_number) and which assistant answers each.",
    args_model=ListPhoneNumbersArgs,
    answer_model=ListPhoneNumbersAnswer,
    annotations=READ_ONLY,
    handler=list_phone_numbers,
    bound="Answers <=16 KB (default).",
    read_on="Have the operator raise --max-answer-bytes to see every number.",
)

SEARCH_CALLS = ToolSpec(
    name="search_calls",
    title="Search calls",
    does=(
        "calls by assistant, status, outcome, result, direction, campaign, assignee, numbers, ids, date range, "
        "text; sorted, paged, with totals and counts"
    ),
    description=(
        "What happened on calls: filter by assistant, status, outcome, result (human, voicemail, IVR, ...), "
        "direction, campaign, assignee, numbers, ids, date range and text; newest first unless sorted, paged, "
        "with the total and counts per result and outcome."
    ),
    args_model=SearchCallsArgs,
    answer_model=SearchCallsAnswer,
    annotations=READ_ONLY,
    handler=search_calls,
    bound="Answers <=16 KB (default).",
    read_on="Ask again with a smaller page_size (e.g. 40): calls left out of this page are not on the next one.",
)

GET_CALL = ToolSpec(
    name="get_call",
    title="Get a call",
    does="one call with attempts, structured output and a paged transcript",
    description=(
        "One call with its attempts, structured output and transcript. Long transcripts come in pages: the "
        "answer says which turns it holds and the turn_offset for the rest."
    ),
    args_model=GetCallArgs,
    answer_model=GetCallAnswer,
    annotations=READ_ONLY,
    handler=get_call,
    bound="Answers <=16 KB (default).",
    read_on="Use a smaller max_turns and page with turn_offset.",
)
