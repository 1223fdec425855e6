"""The checked-in schemas match the models, are portable, and are exactly what clients are shown."""

from __future__ import annotations

import difflib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from revox_mcp import schema_files, schema_sync
from revox_mcp.cli import main
from revox_mcp.config import Settings
from revox_mcp.schemas import dumps, for_profile
from revox_mcp.tools import TOOLS, TOOLS_BY_NAME
from tests.conftest import MODES, mcp_client

SCHEMA_FILES = sorted(schema_files.DEFAULT_SCHEMA_DIR.glob("*.json"))


def subschemas(node: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from subschemas(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from subschemas(value, f"{path}/{i}")


def properties(node: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    for name, prop in node.get("properties", {}).items():
        yield f"{path}.{name}", prop
        yield from properties(prop, f"{path}.{name}")
        if isinstance(prop.get("items"), dict):
            yield from properties(prop["items"], f"{path}.{name}[]")
        for i, branch in enumerate(prop.get("anyOf", [])):
            yield from properties(branch, f"{path}.{name}<{i}>")


def test_checked_in_schemas_match_the_models() -> None:
    problems = schema_sync.check()
    assert problems == [], "\n".join([*problems, "Run `revox-mcp schemas --write` and commit the result."])


def test_every_tool_has_an_input_and_an_output_file() -> None:
    detailed = [f"{t.name}.input.detailed.json" for t in TOOLS if t.generated_detailed_schema != t.input_schema]
    assert detailed == ["update_assistant.input.detailed.json", "create_assistant.input.detailed.json"]
    assert [t.name for t in TOOLS if t.has_detailed_schema] == ["update_assistant", "create_assistant"]
    assert [p.name for p in SCHEMA_FILES] == sorted(
        [*(f"{t.name}.{kind}.json" for t in TOOLS for kind in ("input", "output")), *detailed]
    )


def shape(node: Any) -> Any:
    """A schema without what compacting leaves out: the same fields, types, enums and required keys."""
    if isinstance(node, dict):
        dropped = {"description", "pattern", "additionalProperties"}
        return {k: shape(v) for k, v in node.items() if k not in dropped}
    if isinstance(node, list):
        return [shape(v) for v in node]
    return node


def test_the_published_schema_is_the_detailed_one_with_every_field_and_shape() -> None:
    for tool in TOOLS:
        if tool.name == "create_assistant":
            continue  # published lean on purpose: the next test
        assert shape(tool.input_schema) == shape(tool.detailed_schema), tool.name


def test_create_assistant_publishes_name_and_prompt_and_is_checked_against_the_whole_body() -> None:
    """Its body is update_assistant's patch made whole (27 KB more in every tools/list): published are the two
    required fields and a description naming the rest; arguments are checked against the whole body."""
    tool = TOOLS_BY_NAME["create_assistant"]
    published = tool.input_schema["properties"]["assistant"]
    assert set(published["properties"]) == {"name", "prompt"} and published["required"] == ["name", "prompt"]
    assert "update_assistant's patch" in published["description"]
    detailed = tool.detailed_schema["properties"]["assistant"]
    patch = TOOLS_BY_NAME["update_assistant"].detailed_schema["properties"]["patch"]
    assert set(detailed["properties"]) == set(patch["properties"])
    assert detailed["required"] == ["name", "prompt"] and len(json.dumps(tool.input_schema)) < 3_000


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.name)
def test_schema_is_portable(path: Path) -> None:
    schema = json.loads(path.read_text())
    assert schema["type"] == "object"
    assert not {"anyOf", "oneOf", "allOf", "not", "enum"} & set(schema), (
        "combinators at the root are refused by clients"
    )
    for where, node in subschemas(schema):
        assert "$ref" not in node and "$defs" not in node, where
        assert "discriminator" not in node, where
        # A property may be *named* title; a schema keyword `title` is pydantic noise.
        assert not isinstance(node.get("title"), str) or where.endswith("/properties"), where


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.name)
def test_schema_is_valid_json_schema(path: Path) -> None:
    jsonschema.Draft202012Validator.check_schema(json.loads(path.read_text()))


@pytest.mark.parametrize("tool", TOOLS, ids=lambda t: t.name)
def test_every_property_is_described(tool: Any) -> None:
    undescribed = [where for where, prop in properties(tool.detailed_schema) if not prop.get("description", "").strip()]
    assert undescribed == []
    # What a model is shown: the arguments and their direct fields (an update's 46 fields), described.
    for where, prop in properties(tool.input_schema):
        if where.count(".") <= 2 and "[]" not in where and "<" not in where:
            assert prop.get("description", "").strip(), (tool.name, where)


def test_what_every_patch_field_shares_is_said_once_in_the_tool_description() -> None:
    update = next(t for t in TOOLS if t.name == "update_assistant")
    for phrase in ("Omitted fields keep their value", "null clears", "merged", "replaced whole"):
        assert phrase in update.input_schema["properties"]["patch"]["description"], phrase
    text = json.dumps(update.input_schema)
    assert text.count("Omit to keep") == 0


def test_ranges_and_enums_are_stated_in_the_schema() -> None:
    patch = json.loads((schema_files.DEFAULT_SCHEMA_DIR / "update_assistant.input.json").read_text())["properties"][
        "patch"
    ]
    props = patch["properties"]
    assert props["thinking_sound_volume"]["minimum"] == 0 and props["thinking_sound_volume"]["maximum"] == 1
    assert props["voice"]["properties"]["speed"]["minimum"] == 0.6
    assert props["first_sentence_mode"]["enum"] == ["generated", "static", "none"]
    assert props["human_transfer_mode"]["enum"] == ["warm", "cold", None]


@pytest.mark.anyio
@pytest.mark.parametrize("mode", MODES)
async def test_tools_list_publishes_the_files_in_the_portable_dialect(mode: str) -> None:
    async with mcp_client(Settings(api_key="unused", base_url="http://127.0.0.1:9"), mode) as client:
        listed = (await client.list_tools()).tools
    for tool in listed:
        folder = schema_files.DEFAULT_SCHEMA_DIR
        checked = json.loads((folder / f"{tool.name}.input.json").read_text())
        assert dumps(tool.input_schema) == dumps(for_profile(checked, "portable"))
        assert tool.output_schema is not None
        assert dumps(tool.output_schema) == (folder / f"{tool.name}.output.json").read_text()


@pytest.mark.anyio
async def test_tools_list_matches_the_snapshots() -> None:
    """Each tools/list entry (name, title, description, annotations, schemas) is checked in whole, so any
    change to what clients are shown is a reviewed diff. `revox-mcp schemas --write` refreshes them."""
    async with mcp_client(Settings(api_key="unused", base_url="http://127.0.0.1:9")) as client:
        listed = (await client.list_tools()).tools
    snaps = schema_files.DEFAULT_SCHEMA_DIR / schema_sync.SNAPS
    assert sorted(p.stem for p in snaps.glob("*.json")) == sorted(t.name for t in TOOLS)
    for tool in listed:
        shown = tool.model_dump(mode="json", by_alias=True, exclude_none=True)
        checked_in = json.loads((snaps / f"{tool.name}.json").read_text(encoding="utf-8"))
        if shown != checked_in:
            old, new = (json.dumps(v, indent=2, sort_keys=True).splitlines(True) for v in (checked_in, shown))
            drift = "".join(difflib.unified_diff(old, new, "checked in", "tools/list"))
            pytest.fail(f"{tool.name} drifted from its snapshot (`revox-mcp schemas --write` refreshes it):\n{drift}")


def test_a_snapshot_that_drifted_is_reported_with_its_diff(tmp_path: Path) -> None:
    shutil.copytree(schema_files.DEFAULT_SCHEMA_DIR, tmp_path, dirs_exist_ok=True)
    snap = tmp_path / schema_sync.SNAPS / "get_call.json"
    snap.write_text(snap.read_text().replace('"title": "Get a call"', '"title": "Get one call"'))
    assert schema_sync.check(tmp_path) == [f"out of date: {snap}"]
    diff = schema_sync.diffs(tmp_path)
    assert '-  "title": "Get one call",\n+  "title": "Get a call",\n' in diff
    assert schema_sync.write(tmp_path) == [f"wrote {snap}"]
    assert schema_sync.check(tmp_path) == [] and schema_sync.diffs(tmp_path) == ""


def test_a_missing_shipped_file_is_an_error_not_a_generated_schema() -> None:
    with pytest.raises(schema_files.MissingSchemaFile, match=r"nothing_here\.input\.json is missing"):
        schema_files.packaged_schema("nothing_here.input.json")


def test_check_reports_a_changed_a_missing_and_a_stale_file(tmp_path: Path) -> None:
    shutil.copytree(schema_files.DEFAULT_SCHEMA_DIR, tmp_path, dirs_exist_ok=True)
    assert schema_sync.check(tmp_path) == []
    (tmp_path / "get_assistant.input.json").write_text("{}\n")
    (tmp_path / "update_assistant.output.json").unlink()
    (tmp_path / "delete_everything.input.json").write_text("{}\n")
    problems = schema_sync.check(tmp_path)
    assert len(problems) == 3
    assert any(p.startswith("out of date") for p in problems)
    assert any(p.startswith("missing") for p in problems)
    assert any(p.startswith("no such tool") for p in problems)


def test_cli_check_fails_on_drift_and_write_repairs_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(schema_files.DEFAULT_SCHEMA_DIR, tmp_path, dirs_exist_ok=True)
    (tmp_path / "update_assistant.input.json").write_text("{}\n")
    assert main(["schemas", "--check", "--dir", str(tmp_path)]) == 1
    assert "schemas --write" in capsys.readouterr().err
    assert main(["schemas", "--write", "--dir", str(tmp_path)]) == 0
    assert main(["schemas", "--check", "--dir", str(tmp_path)]) == 0
