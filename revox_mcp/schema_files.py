"""Reading the shipped `tool_schemas/` files: what the server publishes. Generating and checking them is
`schema_sync`'s (it imports the tools, which read their schemas through this module).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

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
