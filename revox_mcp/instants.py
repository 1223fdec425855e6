"""Times that tools take as arguments (change_impact's at and until, search_calls' created_after and
created_before): read once, before any other work, and refused with the path, the value and the range
when no use of them could work.

The range stops a year short of what Python's datetime holds at either end, so that whatever a tool
does with an accepted time (take lookback_days off it, convert it to UTC, compare it with a stored time)
stays in range: `0001-01-01T00:00:00Z` minus a window overflowed inside change_impact.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from revox_mcp.errors import PatchInvalid, Problem

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)  # excluded
ALLOWED = "an ISO-8601 time from 1970-01-01T00:00:00Z up to 9998-12-31T23:59:59Z, e.g. 2026-11-10T12:00:00Z"


def instant_argument(value: str | None, path: str, *, naive: tzinfo = UTC) -> datetime | None:
    """`value` as an aware datetime (a time without a zone is in `naive`), None when it was not given;
    PatchInvalid naming `path` when it is not a time or is out of range."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise PatchInvalid([Problem(path=path, value=repr(value), allowed=ALLOWED)]) from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=naive)
    # Aware comparisons work on the offset, so even 9999-12-31T23:59:59-01:00 (past the end in UTC) compares.
    if not EARLIEST <= moment < LATEST:
        raise PatchInvalid(
            [
                Problem(
                    path=path,
                    value=repr(value),
                    allowed=ALLOWED,
                    hint="No call or change of a Revox assistant is outside it.",
                )
            ]
        )
    return moment
