"""The built wheel: it ships the published schemas, LICENSE and the entry point, and it runs from
outside the source tree (as `uvx --from <wheel> revox-mcp` or `pip install` would run it)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

from revox_mcp import __version__, schema_files
from revox_mcp.tools import TOOLS_BY_NAME
from tests.conftest import offered_tools

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(out), str(ROOT)],
        check=True,
        timeout=300,
    )
    (built,) = out.glob("revox_mcp-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    """The wheel installed into a folder of its own; its dependencies come from this environment."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        timeout=300,
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVOX")} | {"PYTHONPATH": str(target)}
    yield target, env


def test_the_wheel_ships_schemas_license_and_entry_point(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for tool in TOOLS_BY_NAME:
        assert f"revox_mcp/tool_schemas/{tool}.input.json" in names
        assert f"revox_mcp/tool_schemas/{tool}.output.json" in names
    assert any(n.endswith("licenses/LICENSE") for n in names)
    entry_points = zipfile.ZipFile(wheel).read(f"revox_mcp-{__version__}.dist-info/entry_points.txt").decode()
    assert "revox-mcp = revox_mcp.cli:main" in entry_points


def test_the_installed_wheel_runs_outside_the_source_tree(
    installed: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    target, env = installed
    probe = (
        "import revox_mcp.schema_files as s; print(s.__file__, s.packaged_schema('get_call.input.json') is not None)"
    )
    where = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True, check=True
    )
    module, loaded = where.stdout.split()
    assert module.startswith(str(target)) and loaded == "True"
    version = subprocess.run(
        [str(target / "bin" / "revox-mcp"), "--version"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert version.stdout.strip() == f"revox-mcp {__version__}"
    check = subprocess.run(
        [str(target / "bin" / "revox-mcp"), "schemas", "--check", "--dir", str(target / "revox_mcp" / "tool_schemas")],
        cwd=tmp_path, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert check.returncode == 0, check.stderr


@pytest.mark.anyio
async def test_the_installed_entry_point_serves_over_stdio(
    installed: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    target, env = installed
    params = StdioServerParameters(
        command=str(target / "bin" / "revox-mcp"),
        args=["serve", "--sandbox", "--sandbox-db", str(tmp_path / "s.db")],
        env={"PYTHONPATH": env["PYTHONPATH"]},
        cwd=str(tmp_path),
    )
    async with Client(params) as client:
        tools = (await client.list_tools()).tools
        read = await client.call_tool("get_assistant", {"id": "asst_sales_qualifier"})
    assert {t.name for t in tools} == set(offered_tools())
    assert not read.is_error


def test_the_checkout_schemas_are_the_ones_shipped(wheel: Path) -> None:
    archive = zipfile.ZipFile(wheel)
    for path in sorted(schema_files.DEFAULT_SCHEMA_DIR.glob("*.json")):
        assert archive.read(f"revox_mcp/tool_schemas/{path.name}").decode() == path.read_text()
