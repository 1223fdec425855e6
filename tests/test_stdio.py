"""The server as clients really run it: a subprocess speaking MCP over stdio; and the CLI around it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from mcp import Client, StdioServerParameters

from revox_mcp import __version__, schema_files
from revox_mcp.config import API_KEY_ENV, BASE_URL_ENV
from revox_mcp.demo import TEST_NUMBER
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.seed import SALES_QUALIFIER_ID, SANDBOX_ORGANIZATION_ID
from revox_mcp.sandbox.store import AssistantStore
from revox_mcp.schemas import dumps, for_profile
from tests.conftest import offered_tools

pytestmark = pytest.mark.anyio


def revox_mcp(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in (API_KEY_ENV, BASE_URL_ENV)}
    return subprocess.run(
        [sys.executable, "-m", "revox_mcp", *args],
        env=clean | (env or {}),
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_serve_sandbox_over_stdio_lists_reads_and_updates(tmp_path: Path) -> None:
    db = tmp_path / "embedded.db"
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "revox_mcp", "serve", "--sandbox", "--sandbox-db", str(db)]
    )
    async with Client(params) as client:
        tools = (await client.list_tools()).tools
        assert sorted(t.name for t in tools) == sorted(offered_tools())
        for tool in tools:
            checked = json.loads((schema_files.DEFAULT_SCHEMA_DIR / f"{tool.name}.input.json").read_text())
            assert dumps(tool.input_schema) == dumps(for_profile(checked, "portable"))

        result = await client.call_tool(
            "update_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"voice": {"speed": 1.2}}}
        )
        assert not result.is_error
        assert result.structured_content is not None
        assert [c["after"] for c in result.structured_content["changes"]] == [1.2]
        assert result.structured_content["change_id"], "serve --sandbox keeps a journal"

        refused = await client.call_tool(
            "update_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"voice": {"speed": 9}}}
        )
        assert refused.is_error and "patch.voice.speed" in refused.content[0].text  # type: ignore[union-attr]

    store = AssistantStore(db, SANDBOX_ORGANIZATION_ID)
    try:
        assert store.get(SALES_QUALIFIER_ID)["voice"]["speed"] == 1.2  # type: ignore[index]
    finally:
        store.close()


async def test_serve_with_key_and_base_url_from_the_environment(sandbox: SandboxServer) -> None:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "revox_mcp", "serve"],
        env={API_KEY_ENV: sandbox.api_key, BASE_URL_ENV: sandbox.url},
    )
    async with Client(params) as client:
        result = await client.call_tool("update_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"name": "Via stdio"}})
    assert not result.is_error
    assert sandbox.store.get(SALES_QUALIFIER_ID)["name"] == "Via stdio"  # type: ignore[index]


def test_serve_without_a_key_exits_with_one_line() -> None:
    done = revox_mcp("serve")
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1
    assert API_KEY_ENV in done.stderr and "--sandbox" in done.stderr


def test_version() -> None:
    done = revox_mcp("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"revox-mcp {__version__}"


def test_demo_runs_end_to_end() -> None:
    done = revox_mcp("demo")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("PATCH requests the sandbox received: 0") == 2
    assert "voice.speed = 0.9, voice.id kept = True" in done.stdout
    assert "The assistant changed since you read it" in done.stdout
    assert "voice.speed = 1.0" in done.stdout
    assert "the stored assistant is unchanged" in done.stdout and "stored voice.speed is still 1.0" in done.stdout
    assert "Better: 'completed' went from 30% (9/30) to 67% (22/33); the sequential test" in done.stdout
    assert "No verdict yet from the sequential test" in done.stdout
    # A change made straight on the sandbox is found as an outside change and measured (no calls after it yet).
    assert re.search(r"list_changes: chg_\S+, kind outside, by outside revox-mcp: first_sentence", done.stdout)
    assert "change_impact on it: not yet: No calls after the change yet" in done.stdout
    # The seeded A/B pair: comparable traffic, and the sequential test waits for more calls.
    assert "compare_assistants: not yet, traffic comparable = True" in done.stdout
    assert "'interested' 24/60 on the copy against 12/60; always-valid p = 0.1808" in done.stdout
    assert "Paused March solar leads (camp_march_solar): running -> paused" in done.stdout
    assert "the copy's voice.speed = 0.9; the original's is still 1.0" in done.stdout
    assert "patched: first_sentence, name, voice.speed" in done.stdout
    assert f"test call call_test_002 to {TEST_NUMBER} with the copy's stored configuration" in done.stdout
    assert "the sandbox's campaign status is now paused" in done.stdout
    # One world: the campaign's pause holds its waiting calls, as the call search sees them.
    assert "its waiting calls are held: search_calls finds 7 of them paused" in done.stdout
    assert "2 campaign(s) of this assistant would keep their own call_retry_config" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_sandbox_command_serves_on_loopback_with_the_given_key(tmp_path: Path) -> None:
    clean = {k: v for k, v in os.environ.items() if k not in (API_KEY_ENV, BASE_URL_ENV)}
    command = [
        sys.executable,
        "-m",
        "revox_mcp",
        "sandbox",
        "--port",
        "0",
        "--db",
        str(tmp_path / "s.db"),
        "--key",
        "k-1",
    ]
    with subprocess.Popen(command, env=clean, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            url = process.stdout.readline().split()[3]
            assert url.startswith("http://127.0.0.1:")
            answer = httpx.get(f"{url}/assistants/{SALES_QUALIFIER_ID}", headers={"Authorization": "Bearer k-1"})
            assert answer.status_code == 200 and answer.json()["id"] == SALES_QUALIFIER_ID
        finally:
            process.terminate()
            process.wait(timeout=10)
