"""An outside client: the MCP Inspector's command-line mode drives `revox-mcp serve --sandbox`.

The inspector is installed with npm into .cache/inspector (version pinned: 0.22.0 runs on Node 20;
1.x and 2.x need Node 22). Skipped, saying why, only where npm is absent.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import offered_tools

INSPECTOR = "@modelcontextprotocol/inspector@0.22.0"
CACHE = Path(__file__).resolve().parent.parent / ".cache" / "inspector"
BIN = CACHE / "node_modules" / ".bin" / "mcp-inspector"


@pytest.fixture(scope="module")
def inspector() -> Path:
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed here, so the MCP Inspector cannot be installed; install Node.js to run this")
    if not BIN.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(CACHE), INSPECTOR],
            check=True,
            capture_output=True,
            timeout=600,
        )
    return BIN


def run(inspector: Path, db: Path, *arguments: str) -> dict[str, Any]:
    command = [
        str(inspector),
        "--cli",
        sys.executable,
        "-m",
        "revox_mcp",
        "serve",
        "--sandbox",
        "--sandbox-db",
        str(db),
    ]
    done = subprocess.run([*command, *arguments], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_the_inspector_lists_the_tools(inspector: Path, tmp_path: Path) -> None:
    listed = run(inspector, tmp_path / "s.db", "--method", "tools/list")
    assert {t["name"] for t in listed["tools"]} == set(offered_tools())
    update = next(t for t in listed["tools"] if t["name"] == "update_assistant")
    assert update["annotations"]["idempotentHint"] is False and "outputSchema" in update


def test_the_inspector_reads_and_updates_an_assistant(inspector: Path, tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    call = ["--method", "tools/call", "--tool-arg", "id=asst_sales_qualifier"]
    read = run(inspector, db, *call, "--tool-name", "get_assistant")
    assert read["structuredContent"]["assistant"]["voice"]["speed"] == 1
    updated = run(
        inspector, db, *call, "--tool-name", "update_assistant", "--tool-arg", 'patch={"voice": {"speed": 1.1}}'
    )
    assert updated.get("isError") is not True
    assert updated["structuredContent"]["changes"] == [{"path": "voice.speed", "before": 1, "after": 1.1}]
    again = run(inspector, db, *call, "--tool-name", "get_assistant")
    assert again["structuredContent"]["assistant"]["voice"]["speed"] == 1.1


def test_the_inspector_lists_resources_and_sets_the_log_level(inspector: Path, tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    listed = run(inspector, db, "--method", "resources/list")
    assert {r["uri"] for r in listed["resources"]} == {f"revox://schemas/{name}" for name in offered_tools()}
    assert run(inspector, db, "--method", "logging/setLevel", "--log-level", "debug") == {}
