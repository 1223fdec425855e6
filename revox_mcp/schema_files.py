"""The checked-in `tool_schemas/`: one input and one output file per tool, generated from the models.

`revox-mcp schemas --write` regenerates them; `--check` (and the test suite) fails when a file is
missing, differs from what the models produce, or belongs to a tool that no longer exists.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from revox_mcp.schemas import dumps

# The source checkout's folder, and the copy a wheel ships inside the package.
DEFAULT_SCHEMA_DIR = Path(__file__).resolve().parent.parent / "tool_schemas"
PACKAGED_SCHEMA_DIR = Path(__file__).resolve().parent / "tool_schemas"


@cache
def packaged_schema(name: str) -> dict[str, Any] | None:
    """A published schema file, from the wheel's copy or the checkout; None where neither has it."""
    for folder in (PACKAGED_SCHEMA_DIR, DEFAULT_SCHEMA_DIR):
        path = folder / name
        if path.is_file():
            loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            return loaded
    return None


def rendered() -> dict[str, str]:
    """The files as the models generate them now (never read from disk)."""
    from revox_mcp.tools import TOOLS  # here, not at the top: the tools read their schemas through this module

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
