"""Several stdio servers on one journal file: what Claude Desktop and Cursor do, each spawning its own
`revox-mcp serve` on the default journal.

    python -m bench.journal_servers [--servers 6] [--seconds 20] [--calls 2] [--separate]

Starts the sandbox, then N `revox-mcp serve` processes over stdio (spawned through the MCP client, as a
desktop client does) that all name one SQLite journal file. Each server gets `--calls` concurrent callers
adding distinct FAQ items to one assistant (update_assistant, an `upsert` edit into `faq_items`, no
expected_updated_at): each write is a read-modify-write of the whole list, so two servers interleaving on
it lose an item unless they exclude each other. At the end it reads the assistant back from the sandbox
(items expected / stored / lost) and counts the journal's rows by status. `--separate` runs the same
with a journal file per server as well (no shared lock: what lost items look like). Figures, not
assertions on time: this machine is shared.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from contextlib import AsyncExitStack, ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import anyio
import httpx
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from bench.load import process

ASSISTANT = "asst_dental_receptionist"
KEY = "journal-servers-key"


@dataclass
class Report:
    journal: str
    servers: int
    calls: int
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    added: set[str] = field(default_factory=set)
    stored: set[str] = field(default_factory=set)
    rows: Counter[str] = field(default_factory=Counter)

    def table(self) -> str:
        ordered = sorted(self.latencies_ms) or [0.0]
        p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
        lost = len(self.added - self.stored)
        rows = [
            ("journal", self.journal),
            ("servers x concurrent calls", f"{self.servers} x {self.calls}"),
            ("duration", f"{self.seconds:.1f} s"),
            ("writes", f"{len(self.latencies_ms):,} ({len(self.latencies_ms) / self.seconds:,.1f} writes/s)"),
            ("latency p50 / p99 / max", f"{statistics.median(ordered):.0f} / {p99:.0f} / {ordered[-1]:.0f} ms"),
            ("errors", f"{len(self.errors)}"),
            ("items expected / stored", f"{len(self.added):,} / {len(self.added & self.stored):,} (lost {lost:,})"),
            ("journal rows", ", ".join(f"{s} {self.rows[s]:,}" for s in ("applied", "failed", "pending"))),
        ]
        return "\n".join(f"{name:<28} {value}" for name, value in rows)


def _server(api: str, journal: Path) -> StdioServerParameters:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVOX")}
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "revox_mcp", "serve", "--journal", str(journal)],
        env=env | {"REVOX_API_KEY": KEY, "REVOX_BASE_URL": api},
    )


async def _caller(client: Client, name: str, deadline: float, report: Report) -> None:
    sent = 0
    while time.monotonic() < deadline:
        question = f"{name} question {sent}?"
        item = {"question": question, "answer": f"Answer from {name}."}
        arguments = {"id": ASSISTANT, "edits": [{"op": "upsert", "list": "faq_items", "item": item}]}
        started = time.perf_counter()
        result = await client.call_tool("update_assistant", arguments)
        report.latencies_ms.append((time.perf_counter() - started) * 1000)
        sent += 1
        if result.is_error:
            report.errors.append("".join(getattr(b, "text", "") for b in result.content)[:200])
        else:
            report.added.add(question)


async def _drive(api: str, journals: list[Path], log: TextIO, seconds: float, report: Report) -> None:
    async with AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(Client(stdio_client(_server(api, journals[n % len(journals)]), log)))
            for n in range(report.servers)
        ]
        # Every server is up before the clock starts: start-up is not what is measured.
        started = time.monotonic()
        async with anyio.create_task_group() as group:
            for number, client in enumerate(clients):
                for call in range(report.calls):
                    group.start_soon(_caller, client, f"Server {number} caller {call}", started + seconds, report)
        report.seconds = time.monotonic() - started
    async with httpx.AsyncClient(base_url=api, headers={"Authorization": f"Bearer {KEY}"}, timeout=60) as http:
        answer = (await http.get(f"/assistants/{ASSISTANT}")).json()
    held = answer.get("assistant", answer)
    report.stored = {item["question"] for item in held["faq_items"]}


def _rows(journals: list[Path]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for path in journals:
        db = sqlite3.connect(path)
        try:
            counts.update(dict(db.execute("SELECT status, COUNT(*) FROM changes GROUP BY status").fetchall()))
        finally:
            db.close()
    return counts


def run(servers: int, calls: int, seconds: float, separate: bool) -> Report:
    report = Report(journal="a file per server" if separate else "one shared file", servers=servers, calls=calls)
    with tempfile.TemporaryDirectory(prefix="revox-journal-servers-") as name, ExitStack() as stack:
        folder = Path(name)
        env = {k: v for k, v in os.environ.items() if not k.startswith("REVOX")}
        command = [sys.executable, "-m", "revox_mcp", "sandbox", "--port", "0", "--db", str(folder / "s.db")]
        sandbox = stack.enter_context(process([*command, "--key", KEY], env, stop_timeout_s=20))
        assert sandbox.stdout is not None
        api = sandbox.stdout.readline().split()[3]
        journals = [folder / f"journal-{n}.db" for n in range(servers)] if separate else [folder / "journal.db"]
        # The servers' own logs go to a file: a full pipe would stall them, and they are not the figures.
        log = stack.enter_context((folder / "servers.log").open("w"))
        anyio.run(_drive, api, journals, log, seconds, report)
        report.rows = _rows(journals)
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--servers", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--calls", type=int, default=2, help="concurrent callers per server")
    parser.add_argument("--separate", action="store_true", help="also run with a journal file per server")
    args = parser.parse_args()
    reports = [run(args.servers, args.calls, args.seconds, separate) for separate in [False, *[True] * args.separate]]
    for report in reports:
        print(report.table(), flush=True)
        for error in report.errors[:5]:
            print("ERROR:", error)
        print()
    shared = reports[0]
    return 1 if shared.errors or shared.added - shared.stored or shared.rows["applied"] != len(shared.added) else 0


if __name__ == "__main__":
    raise SystemExit(main())
