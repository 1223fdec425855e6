"""Tools on call orders beyond reading them: the phone history ("have we already called this number?")."""

from __future__ import annotations

import heapq
from typing import Any

import anyio

from revox_mcp.tool_models import GetPhoneHistoryAnswer, GetPhoneHistoryArgs
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


def _summary(rows: list[dict[str, Any]], never: list[str]) -> str:
    said = []
    for row in rows[:3]:
        outcome = f", last outcome {row['last_outcome']}" if row["last_outcome"] else ""
        human = "reached a person" if row["reached_human"] else "never reached a person"
        dnc = "; DO NOT CONTACT" if row["do_not_contact"] else ""
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
