"""Each exception renders its own advice; the server only formats it. The texts an agent reads, per kind."""

from __future__ import annotations

import pytest

from revox_mcp.errors import (
    ApiRejected,
    AuthFailed,
    ConfigError,
    NotFound,
    PatchInvalid,
    Problem,
    RateLimited,
    RevoxMcpError,
    ServerFault,
    StaleVersion,
)

FOUND_NOTHING = "The Revox API found nothing there (Not found)."
ADVICE: list[tuple[str, RevoxMcpError, bool, str]] = [
    (
        "an assistant, on a write",
        NotFound("assistant", "asst_1", FOUND_NOTHING, status=404),
        True,
        "No assistant with id 'asst_1' in this organization. Nothing was changed. Check the id (list_assistants "
        "shows them all) and confirm it with get_assistant.",
    ),
    (
        "an assistant, on a read",
        NotFound("assistant", "asst_1", FOUND_NOTHING, status=404),
        False,
        "No assistant with id 'asst_1' in this organization. Check the id (list_assistants shows them all) and "
        "confirm it with get_assistant.",
    ),
    (
        "the assistant of a journalled change",
        NotFound("assistant", "asst_1", FOUND_NOTHING, status=404, change_id="chg_1"),
        True,
        "No assistant that this change was made to (was it deleted?) in this organization. Nothing was changed. "
        "Check the id (list_assistants shows them all) and confirm it with get_assistant.",
    ),
    (
        "a call",
        NotFound("call", "call_9", FOUND_NOTHING, status=404),
        False,
        "No call with id 'call_9'. Find call ids with search_calls.",
    ),
    (
        "a change",
        NotFound("change", "chg_1", "No change 'chg_1' in the change journal. list_changes shows them."),
        False,
        "No change 'chg_1' in the change journal. list_changes shows them.",
    ),
    ("anything else at a path", NotFound("path", "/voices", FOUND_NOTHING), False, FOUND_NOTHING),
    ("a stale version", StaleVersion("It changed."), True, "It changed."),
    (
        "no key",
        ConfigError("No Revox API key."),
        False,
        "No Revox API key. Set REVOX_API_KEY in this server's environment, or start it with --sandbox to try it "
        "locally.",
    ),
    ("a refused key, on a write", AuthFailed("Refused."), True, "Refused. Nothing was changed."),
    (
        "a rejected body names the field on a write",
        ApiRejected("name too long", status=422, field="name"),
        True,
        "The Revox API rejected the request (422): name too long. The field at fault: patch.name. Nothing was "
        "changed. Fix it and call again.",
    ),
    (
        "a rejected read names no field",
        ApiRejected("bad", status=400, field="name"),
        False,
        "The Revox API rejected the request (400): bad. Fix it and call again.",
    ),
    ("rate limited", RateLimited("Slow down."), False, "Slow down. Wait a minute, then call again."),
    ("a server fault on a read", ServerFault("It failed."), False, "It failed. Try again shortly."),
    (
        "a server fault on a write",
        ServerFault("It failed."),
        True,
        "It failed. The change was not confirmed. Call get_assistant to see whether it was applied, then retry if "
        "needed.",
    ),
]


@pytest.mark.parametrize(("error", "writes", "advice"), [a[1:] for a in ADVICE], ids=[a[0] for a in ADVICE])
def test_advice(error: RevoxMcpError, writes: bool, advice: str) -> None:
    assert error.advice("update_assistant", writes=writes) == advice


def test_invalid_input_lists_every_problem_and_where_nested_rules_are() -> None:
    error = PatchInvalid(
        [Problem("patch.voice.speed", "9", "<= 2"), Problem("edits[0].find", '"x"', "text that occurs once")]
    )
    assert error.advice("update_assistant", writes=True).splitlines() == [
        "update_assistant changed nothing: 2 problem(s) found, nothing was written.",
        "- patch.voice.speed: got 9; allowed: <= 2.",
        '- edits[0].find: got "x"; allowed: text that occurs once.',
        "Fix every listed item and call again. Edits apply in order, all or nothing: read the current value with "
        "get_assistant (fields=[...]) and copy keys and passages exactly. Nested keys and their rules: the "
        "resource revox://schemas/update_assistant/voice (all: revox://schemas/update_assistant).",
    ]
    assert error.advice("search_calls", writes=False).splitlines()[0] == (
        "search_calls could not run: 2 problem(s) in the arguments."
    )
