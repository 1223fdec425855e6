"""A token per person: the tokens file, who made each change (journal, list_changes), read-only people."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.load import connect
from revox_mcp.actors import Actor, load_tokens
from revox_mcp.errors import ConfigError
from revox_mcp.http_transport import MCP_PATH, HttpLimits, HttpOptions, build_http_app
from revox_mcp.policy import Policy
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.seed import SALES_QUALIFIER_ID
from revox_mcp.serving import AppServer
from tests.conftest import fast_settings, stored, text_of
from tests.test_http import INIT
from tests.test_http import MCP_HEADERS as ACCEPT

ALICE = "alice-token-0123456789abcdef0123456789"
AUDITOR = "auditor-token-0123456789abcdef012345678"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("alice short-token\n", "line 1: the token is 11 characters"),
        (f"# people\n\nalice {ALICE}\nbob\n", "line 4: write 'name token'"),
        (f"alice {ALICE}\nalice {AUDITOR}\n", "line 2: the name or the token is already used"),
        (f"al ice {ALICE}\n", "line 1: write 'name token'"),
        (f"alice {ALICE} admin\n", "line 1: write 'name token' or 'name token read-only'"),
        ("# nobody\n", "names nobody"),
    ],
)
def test_a_bad_tokens_file_is_one_line_naming_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "tokens"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_tokens(path)


def test_a_tokens_file_names_people_and_read_only_ones(tmp_path: Path) -> None:
    path = tmp_path / "tokens"
    path.write_text(f"alice {ALICE}  # support lead\nauditor {AUDITOR} read-only\n")
    assert load_tokens(path) == (Actor("alice", ALICE), Actor("auditor", AUDITOR, read_only=True))


@pytest.mark.anyio
async def test_each_change_says_who_made_it_and_read_only_people_cannot_write(
    sandbox: SandboxServer, journal_on: dict[str, Any]
) -> None:
    settings = fast_settings(sandbox, **journal_on)
    actors = (Actor("alice", ALICE), Actor("auditor", AUDITOR, read_only=True))
    server = AppServer()
    server.app = build_http_app(
        settings, Policy(), HttpOptions(token=None, port=server.port, actors=actors), server.port
    )
    server.start()
    try:
        async with connect(server.url + MCP_PATH, ALICE) as alice:
            written = await alice.call_tool(
                "update_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"name": "By Alice"}}
            )
        async with connect(server.url + MCP_PATH, AUDITOR) as auditor:
            refused = await auditor.call_tool("update_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"name": "No"}})
            rows = (await auditor.call_tool("list_changes", {})).structured_content["changes"]  # type: ignore[index]
            mine = (await auditor.call_tool("list_changes", {"actor": "auditor"})).structured_content
        stranger = httpx.post(
            server.url + MCP_PATH, headers={"Authorization": "Bearer not-a-token-0123456789abcdef0123456"}, json={}
        )
    finally:
        server.stop()
    assert stranger.status_code == 401
    assert not written.is_error, text_of(written)
    assert refused.is_error and "read-only" in text_of(refused)
    assert [(r["actor"], r["fields"]) for r in rows] == [("alice", ["name"])]
    assert mine["total"] == 0  # type: ignore[index]
    assert stored(sandbox, SALES_QUALIFIER_ID)["name"] == "By Alice"


def test_a_hash_inside_a_token_is_part_of_it(tmp_path: Path) -> None:
    path = tmp_path / "tokens"
    token = "alice#token-0123456789abcdef0123456789"
    path.write_text(f"# people\nalice {token} # the support lead\n  # bob left\n")
    assert load_tokens(path) == (Actor("alice", token),)


def test_a_tokens_file_others_can_read_is_warned_about(tmp_path: Path) -> None:
    from revox_mcp.actors import exposure_warning

    path = tmp_path / "tokens"
    path.write_text(f"alice {ALICE}\n")
    path.chmod(0o644)
    warning = exposure_warning(path)
    assert warning is not None and "chmod 600" in warning and ALICE not in warning
    path.chmod(0o600)
    assert exposure_warning(path) is None


def test_serve_warns_at_start_of_a_tokens_file_others_can_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from revox_mcp.cli import _actors, _parser

    path = tmp_path / "tokens"
    path.write_text(f"alice {ALICE}\n")
    path.chmod(0o640)
    assert _actors(_parser().parse_args(["serve", "--http", "--tokens", str(path)])) == (Actor("alice", ALICE),)
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("revox-mcp: warning: the tokens file") and "mode 640" in line


def test_serve_stops_at_start_on_a_bad_tokens_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from revox_mcp.cli import main

    path = tmp_path / "tokens"
    path.write_text("alice too-short\n")
    assert main(["serve", "--http", "--sandbox", "--port", "0", "--no-journal", "--tokens", str(path)]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if "tokens file" in line]
    assert len(err) == 1 and "line 1" in err[0]


BOB = "bob-token-0123456789abcdef0123456789abcd"


def _alice_and_bob(sandbox: SandboxServer, limits: HttpLimits | None = None) -> AppServer:
    server = AppServer()
    actors = (Actor("alice", ALICE), Actor("bob", BOB))
    options = HttpOptions(token=None, port=server.port, actors=actors, limits=limits or HttpLimits())
    server.app = build_http_app(fast_settings(sandbox), Policy(), options, server.port)
    return server


def _open(url: str, token: str) -> str:
    opened = httpx.post(url, json=INIT, headers={**ACCEPT, "Authorization": f"Bearer {token}"})
    assert opened.status_code == 200, opened.text
    return opened.headers["mcp-session-id"]


def test_only_the_person_who_opened_a_session_may_use_or_end_it(sandbox: SandboxServer) -> None:
    with _alice_and_bob(sandbox) as server:
        url = server.url + MCP_PATH
        session = _open(url, ALICE)
        as_bob = {"Authorization": f"Bearer {BOB}", "mcp-session-id": session}
        bob_ends = httpx.delete(url, headers=as_bob)
        bob_uses = httpx.post(
            url, json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"}, headers={**ACCEPT, **as_bob}
        )
        alice_ends = httpx.delete(url, headers={"Authorization": f"Bearer {ALICE}", "mcp-session-id": session})
    for refused in (bob_ends, bob_uses):
        assert refused.status_code == 403
        error = refused.json()["error"]
        assert "another person's token" in error["message"] and "\n" not in error["message"]
    assert alice_ends.status_code < 300, alice_ends.text


def test_a_repeated_session_or_authorization_header_is_refused(sandbox: SandboxServer) -> None:
    """Bob names Alice's session first and his own last: the owner check and the MCP layer must not read
    different ones."""
    with _alice_and_bob(sandbox) as server:
        url = server.url + MCP_PATH
        alice, bob = _open(url, ALICE), _open(url, BOB)
        twice = [("Authorization", f"Bearer {BOB}"), ("mcp-session-id", alice), ("mcp-session-id", bob)]
        used = httpx.post(
            url, json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"}, headers=[*ACCEPT.items(), *twice]
        )
        ended = httpx.delete(url, headers=twice)
        tokens = [("Authorization", f"Bearer {BOB}"), ("Authorization", f"Bearer {ALICE}"), ("mcp-session-id", alice)]
        two_tokens = httpx.delete(url, headers=tokens)
        still = httpx.post(
            url,
            json={"jsonrpc": "2.0", "id": 3, "method": "ping"},
            headers={**ACCEPT, "Authorization": f"Bearer {ALICE}", "mcp-session-id": alice},
        )
    for refused in (used, ended, two_tokens):
        assert refused.status_code == 400, refused.text
        message = refused.json()["error"]["message"]
        assert "repeats the header" in message and "\n" not in message
    assert still.status_code == 200, still.text


def test_a_session_the_guard_no_longer_remembers_is_refused_not_handed_over(sandbox: SandboxServer) -> None:
    with _alice_and_bob(sandbox, HttpLimits(max_sessions=3)) as server:
        url = server.url + MCP_PATH
        alice = _open(url, ALICE)
        for _ in range(3):
            _open(url, BOB)  # Alice's session is forgotten
        as_bob = {"Authorization": f"Bearer {BOB}", "mcp-session-id": alice}
        ended = httpx.delete(url, headers=as_bob)
        used = httpx.post(url, json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"}, headers={**ACCEPT, **as_bob})
        made_up = httpx.delete(url, headers={"Authorization": f"Bearer {BOB}", "mcp-session-id": "made-up"})
    for refused in (ended, used, made_up):
        assert refused.status_code == 404, refused.text
        assert "initialize a new one" in refused.json()["error"]["message"]


@pytest.mark.parametrize("by", ["--tokens", "REVOX_MCP_TOKENS_FILE"])
def test_a_shared_token_beside_a_tokens_file_stops_the_server_at_start(tmp_path: Path, by: str) -> None:
    """Issue 21: with both, the shared token wrote unattributed and past read-only. One line names which to remove."""
    import os
    import subprocess
    import sys

    path = tmp_path / "tokens"
    path.write_text(f"alice {ALICE}\nauditor {AUDITOR} read-only\n")
    path.chmod(0o600)
    shared = "shared-token-0123456789abcdef0123456789"
    env = {**os.environ, "REVOX_MCP_TOKEN": shared, "XDG_STATE_HOME": str(tmp_path / "state")}
    command = [sys.executable, "-m", "revox_mcp", "serve", "--http", "--sandbox", "--port", "0", "--no-journal"]
    if by == "--tokens":
        command += ["--tokens", str(path)]
    else:
        env["REVOX_MCP_TOKENS_FILE"] = str(path)
    done = subprocess.run(command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    given = "--tokens" if by == "--tokens" else "$REVOX_MCP_TOKENS_FILE"
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"revox-mcp: REVOX_MCP_TOKEN and a tokens file ({given}) are both set"), line
    assert "Unset REVOX_MCP_TOKEN" in line and f"remove {given}" in line
    assert shared not in done.stderr and ALICE not in done.stderr
