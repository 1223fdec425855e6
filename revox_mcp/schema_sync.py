"""The checked-in `tool_schemas/`: one input and one output file per tool, generated from the models.

`revox-mcp schemas --write` regenerates them; `--check` (and the test suite) fails when a file is
missing, differs from what the models produce, or belongs to a tool that no longer exists.
"""

from __future__ import annotations

from pathlib import Path

from revox_mcp.schema_files import DEFAULT_SCHEMA_DIR
from revox_mcp.schemas import dumps
from revox_mcp.tools import TOOLS


def rendered() -> dict[str, str]:
    """The files as the models generate them now (never read from disk)."""
    files: dict[str, str] = {}
    for tool in TOOLS:
        files[f"{tool.name}.input.json"] = dumps(tool.generated_input_schema)
        if tool.generated_detailed_schema != tool.generated_input_schema:
            files[f"{tool.name}.input.detailed.json"] = dumps(tool.generated_detailed_schema)
        files[f"{tool.name}.output.json"] = dumps(tool.generated_output_schema)
    return files


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
    problems += [
        f"no such tool any more: {path}" for path in sorted(directory.glob("*.json")) if path.name not in expected
    ]
    return problems


def write(directory: Path = DEFAULT_SCHEMA_DIR) -> list[str]:
    """Bring the folder in sync; returns what changed."""
    directory.mkdir(parents=True, exist_ok=True)
    changed = []
    expected = rendered()
    for name, text in expected.items():
        path = directory / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(f"wrote {path}")
    for path in sorted(directory.glob("*.json")):
        if path.name not in expected:
            path.unlink()
            changed.append(f"removed {path}")
    return changed
