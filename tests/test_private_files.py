"""Local data is the owner's alone: the sandbox's and the journal's folders 0700, their files 0600."""

from __future__ import annotations

import stat
from pathlib import Path

import httpx

from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.seed import SALES_QUALIFIER_ID


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_sandbox_keeps_its_data_private(tmp_path: Path) -> None:
    db = tmp_path / "state" / "revox-mcp" / "sandbox.db"
    with SandboxServer(db) as sandbox:
        headers = {"Authorization": f"Bearer {sandbox.api_key}"}
        custom = {"type": "custom", "api_url": "https://llm.example/v1", "api_key": "sk-x" * 8, "model_name": "m"}
        response = httpx.patch(
            f"{sandbox.url}/assistants/{SALES_QUALIFIER_ID}", json={"llm_model": custom}, headers=headers
        )
        assert response.status_code == 200
        files = [db, Path(f"{db}-wal"), Path(f"{db}-shm")]
        assert all(f.exists() for f in files)
        assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
    assert mode(db.parent) == 0o700


def test_files_an_older_version_left_readable_are_made_private(tmp_path: Path) -> None:
    from revox_mcp.cli import private_state_dir

    state = tmp_path / "revox-mcp"
    state.mkdir(mode=0o755)
    state.chmod(0o755)
    db = state / "sandbox.db"
    with SandboxServer(db):
        pass
    for side in (Path(f"{db}-wal"), db):
        if side.exists():
            side.chmod(0o644)
    private_state_dir(state, state)
    with SandboxServer(db):
        assert mode(db) == 0o600 and mode(state) == 0o700
    named = tmp_path / "mine"
    named.mkdir(mode=0o755)
    named.chmod(0o755)
    private_state_dir(named, state)
    assert mode(named) == 0o755, "a folder the user named is left as it is"


def test_serve_makes_its_state_folder_private(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    state = tmp_path / "revox-mcp"
    state.mkdir(mode=0o755)
    state.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVOX_")}
    env |= {"XDG_STATE_HOME": str(tmp_path), "REVOX_API_KEY": "k", "REVOX_BASE_URL": "http://127.0.0.1:9"}
    # stdin at its end: the stdio server starts, opens its journal and stops.
    subprocess.run([sys.executable, "-m", "revox_mcp", "serve"], env=env, stdin=subprocess.DEVNULL, timeout=30)
    assert mode(state) == 0o700 and mode(state / "journal.db") == 0o600
