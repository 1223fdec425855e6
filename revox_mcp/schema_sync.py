"""The checked-in `tool_schemas/`, generated from the models: per tool its input and output schemas (what
the server publishes), and in `snaps/` a snapshot of its whole tools/list entry (name, title, description,
annotations, schemas), so a change to any of it shows as a diff in review.

`revox-mcp schemas --write` regenerates them; `--check` (and the test suite) fails when a file is
missing, differs from what the models produce, or belongs to a tool that no longer exists.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path

from revox_mcp.schema_files import DEFAULT_SCHEMA_DIR
from revox_mcp.schemas import dumps
from revox_mcp.tools import TOOLS

SNAPS = "snaps"


def rendered() -> dict[str, str]:
    """The files as the models generate them now (never read from disk), by path inside the folder."""
    files: dict[str, str] = {}
    for tool in TOOLS:
        files[f"{tool.name}.input.json"] = dumps(tool.generated_input_schema)
        if tool.has_detailed_schema:
            files[f"{tool.name}.input.detailed.json"] = dumps(tool.generated_detailed_schema)
        files[f"{tool.name}.output.json"] = dumps(tool.generated_output_schema)
    for tool in TOOLS:
        files[f"{SNAPS}/{tool.name}.json"] = snapshot_text(tool.snapshot())
    return files


def snapshot_text(listed: dict[str, object]) -> str:
    """A tools/list entry as its snapshot file holds it: keys in the order tools/list sends them."""
    return json.dumps(listed, indent=2, ensure_ascii=False) + "\n"


def _present(directory: Path) -> list[str]:
    return [
        p.relative_to(directory).as_posix()
        for p in sorted([*directory.glob("*.json"), *directory.glob(f"{SNAPS}/*.json")])
    ]


def check(directory: Path = DEFAULT_SCHEMA_DIR) -> list[str]:
    """Every way the folder differs from the models, one line each; empty when in sync."""
    expected = rendered()
    problems = []
    for name, text in expected.items():
        path = directory / name
        if not path.exists():
            problems.append(f"missing: {path}")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"out of date: {path}")
    problems += [f"no such tool any more: {directory / name}" for name in _present(directory) if name not in expected]
    return problems


def diffs(directory: Path = DEFAULT_SCHEMA_DIR) -> str:
    """What changed in each out-of-date file, as a unified diff from the checked-in text to the generated."""
    parts = []
    for name, text in rendered().items():
        path = directory / name
        if path.exists() and (old := path.read_text(encoding="utf-8")) != text:
            lines = difflib.unified_diff(
                old.splitlines(True), text.splitlines(True), f"{name} (checked in)", f"{name} (models)"
            )
            parts.append("".join(lines))
    return "".join(parts)


def write(directory: Path = DEFAULT_SCHEMA_DIR) -> list[str]:
    """Bring the folder in sync; returns what changed."""
    (directory / SNAPS).mkdir(parents=True, exist_ok=True)
    changed = []
    expected = rendered()
    for name, text in expected.items():
        path = directory / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(f"wrote {path}")
    for name in _present(directory):
        if name not in expected:
            (directory / name).unlink()
            changed.append(f"removed {directory / name}")
    return changed
