"""What tools/list costs a client, per schema profile, with the default policy and with test numbers.

    python -m bench.tools_list

For each profile (portable, strict, gemini) and policy (default; `--test-numbers`, which offers
place_test_call): how many tools are listed, the bytes of the tools/list result on the wire (compact JSON, as
sent), its model-facing part (names, descriptions, input schemas), and per tool: the median and the largest.
No API is called (listing tools reads nothing), so it takes a second and needs no sandbox.
"""

from __future__ import annotations

import statistics

import anyio
from mcp import Client

from bench.agent_session import model_facing, wire_size
from revox_mcp.config import Settings
from revox_mcp.policy import Policy
from revox_mcp.schemas import SCHEMA_PROFILES
from revox_mcp.server import build_server

TEST_NUMBER = "+14155550999"


async def measure(profile: str, policy: Policy) -> str:
    settings = Settings(api_key="sk-measure", base_url="http://127.0.0.1:9")
    async with Client(build_server(settings, policy, profile)) as client:
        listed = await client.list_tools()
    per_tool = sorted(((wire_size(t), t.name) for t in listed.tools), reverse=True)
    largest = ", ".join(f"{name} {size:,}" for size, name in per_tool[:3])
    median = statistics.median(size for size, _ in per_tool)
    facing = model_facing(listed.tools)
    return (
        f"{len(listed.tools)} tools: {wire_size(listed):,} B on the wire, model-facing {facing:,} B;"
        f" per tool median {median:,.0f} B, largest {largest}"
    )


async def main() -> None:
    for profile in SCHEMA_PROFILES:
        for label, policy in (("default", Policy()), ("test numbers", Policy(test_numbers=frozenset({TEST_NUMBER})))):
            print(f"{profile:8} {label:12} {await measure(profile, policy)}")


if __name__ == "__main__":
    anyio.run(main)
