"""The README's client configuration snippets start a server this CLI accepts, and its quick start
commands exist: documentation that matches behaviour."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from revox_mcp.cli import _parser
from revox_mcp.tools import markdown_table

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def json_blocks() -> list[dict[str, object]]:
    return [json.loads(b) for b in re.findall(r"```json\n(.*?)```", README, re.S) if '"mcpServers"' in b]


def test_the_readme_has_desktop_and_cursor_snippets() -> None:
    assert json_blocks(), "no mcpServers snippet in the README"


@pytest.mark.parametrize("block", json_blocks())
def test_every_mcp_servers_entry_parses(block: dict[str, dict[str, dict[str, object]]]) -> None:
    for name, server in block["mcpServers"].items():
        assert str(server["command"]).endswith("revox-mcp"), name
        args = _parser().parse_args([str(a) for a in server["args"]])  # type: ignore[union-attr]
        assert args.command == "serve", name
        if not args.sandbox:
            assert "REVOX_API_KEY" in server.get("env", {}), f"{name}: without --sandbox it needs a key"


def test_every_claude_code_command_parses() -> None:
    lines = [line for line in README.splitlines() if line.startswith("claude mcp add ")]
    assert len(lines) >= 2
    for line in lines:
        words = shlex.split(line)
        command = words[words.index("--") + 1 :]
        assert command[0].endswith("revox-mcp")
        assert _parser().parse_args(command[1:]).command == "serve"


def test_the_quick_start_commands_exist_and_ci_runs_the_test_one() -> None:
    assert "./scripts/demo.sh" in README and "./scripts/test.sh" in README
    assert (ROOT / "scripts" / "demo.sh").exists() and (ROOT / "scripts" / "test.sh").exists()
    assert "./scripts/test.sh" in (ROOT / ".ci" / "run").read_text()


def test_the_tools_table_is_generated_from_the_registry() -> None:
    assert markdown_table() in README, "regenerate with revox_mcp.tools.markdown_table()"
