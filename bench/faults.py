"""Fault scenarios end to end: each puts a fault-injecting proxy between revox-mcp and the sandbox, makes one
update_assistant call (then, where a write is still undecided, waits for it), and prints what the agent was
told, how many PATCHes landed, the journal row's final status, and whether the stored assistant agrees.

    .venv/bin/python -m bench.faults

The same scenarios are asserted one by one in tests/test_edges.py; this prints them side by side.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
from mcp import Client

from bench.perf import KEY, sandbox
from revox_mcp.config import Settings
from revox_mcp.journal import open_journal
from revox_mcp.sandbox.seed import SALES_QUALIFIER_ID
from revox_mcp.sendable import comparable
from revox_mcp.server import build_server
from tests.fault_proxy import FaultProxy, Rule

PATH = f"/assistants/{SALES_QUALIFIER_ID}"
PATCH = {"first_sentence": "Hello from the edge", "voice": {"speed": 1.1}}


@dataclass
class Scenario:
    name: str
    rules: list[Rule]
    settings: dict[str, Any] = field(default_factory=dict)


def _scenarios() -> list[Scenario]:
    slow = {"read_timeout_s": 0.3, "write_grace_s": 1.5, "settle_wait_max_s": 0.0}
    mutate_missing: Any = lambda a: {**a, "assistant": {k: v for k, v in a["assistant"].items() if k not in PATCH}}  # noqa: E731
    return [
        Scenario("no fault", []),
        Scenario("PATCH delivered late (after the client gave up)", [Rule("PATCH", PATH, "hold", delay_s=0.8)], slow),
        Scenario("answer dropped after the write landed", [Rule("PATCH", PATH, "forward_then_drop")]),
        Scenario("connection reset before delivery", [Rule("PATCH", PATH, "reset")], {"write_grace_s": 0.3}),
        Scenario("500 after the write landed", [Rule("PATCH", PATH, "forward_then_status", status=500)]),
        Scenario("503 twice, not delivered", [Rule("PATCH", PATH, "status", status=503, times=2)]),
        Scenario("429 with Retry-After 0", [Rule("PATCH", PATH, "status", status=429, headers={"Retry-After": "0"})]),
        Scenario("PATCH answer lacks the sent fields", [Rule("PATCH", PATH, "mutate", mutate=mutate_missing)]),
        Scenario("PATCH answer is not JSON", [Rule("PATCH", PATH, "malformed")]),
        Scenario("read lacks its id", [Rule("GET", PATH, "mutate", mutate=lambda a: {"assistant": "oops"})]),
        Scenario("403 plan limit", [Rule("PATCH", PATH, "status", status=403)]),
        Scenario("400, nested error", [Rule("PATCH", PATH, "status", status=400, body={"error": {"message": "bad"}})]),
    ]


async def _run(scenario: Scenario, url: str, tmp: Path) -> str:
    async with FaultProxy(url) as proxy:
        for rule in scenario.rules:
            proxy.add(rule)
        journal_path = tmp / "journal.db"
        values: dict[str, Any] = {"api_key": KEY, "base_url": proxy.url, "journal_path": journal_path}
        values |= {"backoff_base_s": 0.01, "backoff_max_s": 0.05, "read_timeout_s": 5.0, "write_grace_s": 0.5}
        settings = Settings(**(values | scenario.settings))
        async with Client(build_server(settings)) as client:
            result = await client.call_tool("update_assistant", {"id": SALES_QUALIFIER_ID, "patch": PATCH})
        warnings = (result.structured_content or {}).get("warnings") or []
        told = (warnings[0] if warnings else " ".join(b.text for b in result.content if b.type == "text"))[:100]
        for rule in scenario.rules:
            if rule.action == "hold":
                await rule.delivered.wait()
        if any(r.action == "hold" for r in scenario.rules):
            async with Client(build_server(settings)) as client:
                await anyio.sleep(settings.grace_s)
                await client.call_tool("list_changes", {})
        journal = await open_journal(settings)
        entries, _ = await journal.page(None, 1, 5)
        await journal.aclose()
        async with Client(build_server(settings)) as client:
            now = (await client.call_tool("get_assistant", {"id": SALES_QUALIFIER_ID})).structured_content or {}
    landed = proxy.landed["PATCH"]
    status = entries[0].status if entries else "no row"
    agrees = "-"
    if entries:
        # An applied row's values are what the assistant holds; a failed row's, what it held before.
        row = entries[0]
        left = row.before if status == "failed" else {**row.body, **(row.after or {})}
        held = now.get("assistant", {})
        agrees = "yes" if all(comparable(f, held.get(f)) == comparable(f, left.get(f)) for f in row.fields) else "NO"
    return f"{scenario.name:<48} {landed:>3} {status:<8} {agrees:<6} {'error' if result.is_error else 'ok':<5} {told}"


async def main() -> None:
    print("delivered: PATCHes the proxy passed on to the API; agrees: the stored assistant matches the journal row")
    print(f"{'scenario':<48} {'dlv':>3} {'row':<8} {'agrees':<6} {'answer':<5} told")
    with tempfile.TemporaryDirectory() as tmp:
        for number, scenario in enumerate(_scenarios()):
            folder = Path(tmp) / str(number)
            folder.mkdir()
            with sandbox(folder) as url:
                print(await _run(scenario, url, folder))


if __name__ == "__main__":
    anyio.run(main)
