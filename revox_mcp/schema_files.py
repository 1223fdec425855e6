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


class MissingSchemaFile(RuntimeError):
    """A schema file the package should ship is not there: the install or checkout is broken."""


@cache
def packaged_schema(name: str) -> dict[str, Any]:
    """A published schema file, from the wheel's copy or the checkout."""
    for folder in (PACKAGED_SCHEMA_DIR, DEFAULT_SCHEMA_DIR):
        path = folder / name
        if path.is_file():
            loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            return loaded
    raise MissingSchemaFile(
        f"tool_schemas/{name} is missing from revox-mcp's install: reinstall it (in a checkout, run "
        "`revox-mcp schemas --write`)."
    )
