"""revox_mcp's modules import one another without a cycle: read from the source (ast), not by importing.

Every import counts, top-level or inside a function: a lazy import that closes a cycle still ties the two
modules together, and only hides it until the function first runs. Imports under `if TYPE_CHECKING:`
count too. Importing a submodule runs its package's `__init__` first, so that is an edge as well (except
from the package's own modules, which Python has always imported the package for).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "revox_mcp"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imported(module: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The revox_mcp modules one import statement loads."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{base}" if base else package
    # `from revox_mcp import impact` loads the module revox_mcp.impact; `from x import name` loads x.
    return [base] + [f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in MODULES]


def with_packages(module: str, target: str) -> set[str]:
    """`target` and the packages whose `__init__` importing it runs, but for the importer's own."""
    found = {target}
    parts = target.split(".")
    for end in range(1, len(parts)):
        package = ".".join(parts[:end])
        if not (module == package or module.startswith(package + ".")):
            found.add(package)
    return found


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                for target in imported(module, node):
                    if target in MODULES:
                        edges |= with_packages(module, target) & MODULES.keys()
        graph[module] = edges - {module}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle through each module that is on any (depth-first search)."""
    found: list[list[str]] = []
    state: dict[str, str] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                found.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = "done"

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    return found


def test_the_graph_is_read() -> None:
    graph = import_graph()
    assert "revox_mcp.errors" in graph["revox_mcp.client"]
    assert "revox_mcp.tools" in graph["revox_mcp.server"]
    assert "revox_mcp.server" in graph["revox_mcp.cli"], "a function-level import counts"
    assert "revox_mcp.impact" in graph["revox_mcp.tools.tuning"], "`from revox_mcp import impact` counts"


def test_no_module_imports_itself_back() -> None:
    found = cycles(import_graph())
    assert found == [], "import cycles:\n" + "\n".join(" -> ".join(cycle) for cycle in found)


def test_a_cycle_is_found() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c", "a"]]
