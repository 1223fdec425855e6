"""The settings a campaign holds over its assistant's, and the notice an assistant's change gets about them.

A campaign created with its own `call_retry_config` (or `from_phone_number`) keeps it: "stop calling on weekends"
set on the assistant does not govern that campaign's calls (the SDK: "If not provided, uses the assistant's retry
config"). So when update_assistant changes one of these on an assistant whose running or paused campaigns hold
their own, the answer names those campaigns (the first few, and how many) and says how to change them. A campaign
that holds none follows its assistant and is not named; a completed or cancelled one places no more calls.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from revox_mcp.client import RevoxClient
from revox_mcp.errors import RevoxMcpError

# The assistant's settings a campaign may hold itself (CampaignCreateParams / CampaignUpdateParams).
OVERRIDABLE = ("call_retry_config", "from_phone_number")
# How many campaigns a notice names; the rest are counted.
NAMED = 3
_NAME_CHARS = 60


def state_of(campaign: dict[str, Any]) -> str:
    """The API's status, with a cancelled campaign (completed and is_cancelled) called cancelled."""
    return "cancelled" if campaign.get("is_cancelled") is True else str(campaign.get("status") or "unknown")


def own_settings(campaign: dict[str, Any]) -> list[str]:
    """The overridable settings this campaign holds itself (null or absent: its assistant's apply)."""
    return [name for name in OVERRIDABLE if campaign.get(name) not in (None, "", {})]


def places_calls(campaign: dict[str, Any]) -> bool:
    """Running, or paused (a resume places its held calls with the settings it holds)."""
    return state_of(campaign) in ("running", "paused")


def changed_fields(changes: Iterable[dict[str, Any]]) -> set[str]:
    """The top-level fields of a change's paths (`call_retry_config.allowed_days` -> call_retry_config)."""
    return {re.split(r"[.\[]", str(change.get("path", "")), maxsplit=1)[0] for change in changes}


def _named(campaign: dict[str, Any], touched: list[str]) -> str:
    name = str(campaign.get("name") or "")
    name = name if len(name) <= _NAME_CHARS else f"{name[: _NAME_CHARS - 1]}…"
    held = ", ".join(s for s in own_settings(campaign) if s in touched)
    return f"'{name}' ({campaign.get('id')}, {state_of(campaign)}; own {held})"


async def override_notice(client: RevoxClient, assistant_id: str, fields: set[str], *, dry_run: bool) -> str | None:
    """A warning for a change of `fields` on the assistant, or None (nothing overridable changed, or no campaign
    of it that places calls holds its own). A failing read of the campaigns is said, never raised: the change
    itself stands."""
    touched = [name for name in OVERRIDABLE if name in fields]
    if not touched:
        return None
    what = " or ".join(touched)
    try:
        campaigns = await client.list_campaigns()
    except RevoxMcpError as exc:
        reason = str(exc).splitlines()[0][:200]
        return (
            f"Could not check whether this assistant's campaigns hold their own {what} ({reason}). A campaign "
            "that holds its own is not governed by this change: list_campaigns with assistant_id shows them."
        )
    keeping = [
        c
        for c in campaigns
        if c.get("assistant_id") == assistant_id and places_calls(c) and set(own_settings(c)) & set(touched)
    ]
    if not keeping:
        return None
    named = "; ".join(_named(c, touched) for c in keeping[:NAMED])
    more = f"; and {len(keeping) - NAMED} more" if len(keeping) > NAMED else ""
    keep = "would keep" if dry_run else "keep"
    return (
        f"{len(keeping)} campaign(s) of this assistant {keep} their own {what}, which this change does not "
        f"reach: {named}{more}. Their calls follow the campaign's settings; to change them, edit each campaign "
        "(Revox dashboard, or the API's PATCH /campaigns/{id}: revox-mcp does not edit campaign settings). "
        "get_campaign shows what each one uses."
    )
