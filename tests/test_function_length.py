"""No function in revox_mcp/ is longer than MAX_LINES lines, from its `def` to its last line (docstring,
comments and blank lines included): a longer one is split into steps with names."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "revox_mcp"
MAX_LINES = 60


def long_functions(source: str, max_lines: int = MAX_LINES) -> list[tuple[str, int]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > max_lines:
                found.append((node.name, length))
    return found


def test_no_function_is_too_long() -> None:
    found = [
        f"{path.relative_to(PACKAGE.parent)}: {name} has {length} lines"
        for path in sorted(PACKAGE.rglob("*.py"))
        for name, length in long_functions(path.read_text(encoding="utf-8"))
    ]
    assert found == [], f"functions over {MAX_LINES} lines:\n" + "\n".join(found)


def test_a_long_function_is_found_nested_too() -> None:
    body = "".join(f"        x = {i}\n" for i in range(3))
    source = f"class A:\n    def method(self):\n{body}"
    assert long_functions(source, max_lines=3) == [("method", 4)]
    assert long_functions(source, max_lines=4) == []
