"""Tool families: an operator offers only some (serve --tools, REVOX_MCP_TOOLS, `tools` in the policy file);
tools/list shows only theirs, a call to another says why, read-only mode still follows each tool's annotations."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from revox_mcp.cli import main
from revox_mcp.config import TOOL_FAMILIES, Settings
from revox_mcp.errors import ConfigError
from revox_mcp.policy import Policy
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.seed import SALES_QUALIFIER_ID
from revox_mcp.server import build_server
from revox_mcp.tools import TOOLS, publish, why_not_offered

pytestmark = pytest.mark.anyio

# families.md: fixed for everyone, tools not built yet included.
FAMILIES = {
    "assistants": {
        "list_assistants", "get_assistant", "update_assistant", "list_changes", "revert_change", "clone_assistant",
        "create_assistant",
    },
    "numbers": {"list_phone_numbers", "update_phone_number"},
    "calls": {"search_calls", "get_call", "get_phone_history", "cancel_call", "pause_call", "resume_call"},
    "campaigns": {"list_campaigns", "get_campaign", "pause_campaign", "resume_campaign"},
    "voices": {"list_voices", "preview_voice"},
    "tuning": {"change_impact", "compare_assistants", "place_test_call"},
}  # fmt: skip
ALL_TOOLS = {t.name for t in TOOLS}


def test_the_families_are_those_of_the_plan() -> None:
    assert {family: set(names) for family, names in TOOL_FAMILIES.items()} == FAMILIES


def test_every_tool_is_in_exactly_one_family() -> None:
    for tool in TOOLS:
        homes = [family for family, names in TOOL_FAMILIES.items() if tool.name in names]
        assert len(homes) == 1, f"{tool.name} is in {homes or 'no family'}"


def test_no_family_names_a_tool_twice() -> None:
    names = [name for family in TOOL_FAMILIES.values() for name in family]
    assert len(names) == len(set(names))


def test_the_default_offers_every_family() -> None:
    policy = Policy.load(env={}, test_numbers="+14155550999")
    assert policy.families is None
    assert set(publish(policy)) == ALL_TOOLS


def test_flag_env_and_file_name_families_and_the_flag_wins(tmp_path: Path) -> None:
    file = tmp_path / "policy.toml"
    file.write_text('tools = ["voices"]\n')
    assert Policy.load(file=file, env={}).families == {"voices"}
    assert Policy.load(file=file, env={"REVOX_MCP_TOOLS": "calls, numbers"}).families == {"calls", "numbers"}
    assert Policy.load(file=file, tools="assistants", env={"REVOX_MCP_TOOLS": "calls"}).families == {"assistants"}
    file.write_text('tools = "campaigns,calls"\n')
    assert Policy.load(file=file, env={}).families == {"campaigns", "calls"}


def test_an_unknown_family_is_one_line_naming_the_allowed_ones() -> None:
    with pytest.raises(ConfigError) as caught:
        Policy.load(tools="calls,call,voice", env={})
    assert str(caught.value) == (
        "Unknown tool family call, voice: the families are assistants, numbers, calls, campaigns, voices, tuning."
    )
    with pytest.raises(ConfigError, match="Unknown tool family nope"):
        Policy.load(env={"REVOX_MCP_TOOLS": "nope"})


def test_a_policy_file_with_tools_of_another_type_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "policy.toml"
    file.write_text("tools = 3\n")
    with pytest.raises(ConfigError, match="tools must be a list of tool families"):
        Policy.load(file=file, env={})


def test_serve_refuses_an_unknown_family_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--sandbox", "--tools", "calls,campains"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        "revox-mcp: Unknown tool family campains: the families are assistants, numbers, calls, campaigns, voices, "
        "tuning."
    )


async def test_a_calls_server_lists_only_call_tools_and_says_why_others_are_not_offered(
    sandbox: SandboxServer, settings: Settings
) -> None:
    policy = Policy.load(tools="calls", env={})
    async with Client(build_server(settings, policy)) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert names == FAMILIES["calls"] & ALL_TOOLS
        assert names >= {"search_calls", "get_call"}
        with pytest.raises(MCPError) as caught:
            await client.call_tool("get_assistant", {"id": SALES_QUALIFIER_ID})
        result = await client.call_tool("search_calls", {"assistant_id": SALES_QUALIFIER_ID})
    assert not result.is_error
    assert str(caught.value).startswith(
        "get_assistant is disabled: it is in the tool family assistants, and this server offers only calls "
        "(operator's choice: serve --tools, REVOX_MCP_TOOLS or the policy file)."
    )
    assert all(r.path != f"/assistants/{SALES_QUALIFIER_ID}" for r in sandbox.app.state.sandbox.requests)


def test_read_only_still_follows_each_tools_annotations_within_the_families() -> None:
    policy = Policy.load(tools="assistants,tuning", read_only=True, test_numbers="+14155550999", env={})
    offered = publish(policy)
    assert set(offered) == {"list_assistants", "get_assistant", "list_changes", "change_impact"} | (
        {t.name for t in TOOLS if t.read_only} & (FAMILIES["assistants"] | FAMILIES["tuning"])
    )
    assert all(tool.spec.read_only for tool in offered.values())
    assert why_not_offered("update_assistant", policy) == "this server is read-only (operator policy)"
    assert why_not_offered("list_voices", policy) is not None and "tool family voices" in str(
        why_not_offered("list_voices", policy)
    )


def test_families_leave_the_field_policy_default() -> None:
    """Families choose tools; they neither deny nor allow a field, so an update judges fields as by default."""
    assert Policy.load(tools="assistants", env={}).is_default


@pytest.mark.parametrize(
    ("policy", "listed"),
    [
        (Policy(), ["tune_assistant", "auto_tune_assistant"]),
        (Policy(families=frozenset({"assistants", "calls"})), []),  # no change_impact: no tuning workflow to start
        (Policy(read_only=True), []),  # the workflows end in a write
    ],
)
async def test_prompts_are_listed_only_where_their_tools_are_offered(
    sandbox: SandboxServer, settings: Settings, policy: Policy, listed: list[str]
) -> None:
    async with Client(build_server(settings, policy)) as client:
        assert [p.name for p in (await client.list_prompts()).prompts] == listed
        if not listed:
            with pytest.raises(MCPError, match="does not offer the tools they use"):
                await client.get_prompt("tune_assistant", {"assistant_id": SALES_QUALIFIER_ID, "goal": "fewer"})
