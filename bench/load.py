"""Load: many MCP clients over Streamable HTTP doing mixed reads and guarded updates, for a bounded time.

    python -m bench.load [--clients 50] [--seconds 20]

Starts the sandbox and `revox-mcp serve --http` as separate processes (as they would run), then
drives them from this one. Every update is a read-modify-write of a counter guarded by
expected_updated_at; a stale refusal is retried and counted, not failed. At the end each counter
must equal its start plus the updates that succeeded: zero lost updates. Prints calls/s, p50 and
p99 latency, and the server's memory (RSS) over the run. Figures, not assertions on time: this
machine is shared.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

ASSISTANTS = ("asst_sales_qualifier", "asst_dental_receptionist", "asst_appointment_reminder")
COUNTER = "max_call_duration_secs"
STALE = "changed since you read it"


@dataclass
class Report:
    clients: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    lost_updates: dict[str, int] = field(default_factory=dict)
    rss_mb: list[float] = field(default_factory=list)

    @property
    def calls(self) -> int:
        return len(self.latencies_ms)

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0

    def table(self) -> str:
        rss = self.rss_mb or [0.0]
        rows = [
            ("clients", f"{self.clients}"),
            ("duration", f"{self.seconds:.1f} s"),
            ("calls", f"{self.calls:,} ({self.calls / self.seconds:,.0f} calls/s)"),
            (
                "latency p50 / p99",
                f"{statistics.median(self.latencies_ms or [0]):.1f} ms / {self.percentile(0.99):.1f} ms",
            ),
            ("outcomes", ", ".join(f"{k} {v:,}" for k, v in sorted(self.outcomes.items()))),
            ("failed calls", f"{len(self.failures)}"),
            ("lost updates", f"{sum(self.lost_updates.values())}"),
            ("server RSS first / last / max", f"{rss[0]:.0f} / {rss[-1]:.0f} / {max(rss):.0f} MB"),
        ]
        return "\n".join(f"{name:<30} {value}" for name, value in rows)


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@contextmanager
def process(command: list[str], env: dict[str, str], stop_timeout_s: float = 10) -> Iterator[subprocess.Popen[str]]:
    """A child process for the length of the block, its output piped (the server prints its URL there)."""
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        yield child
    finally:
        child.terminate()
        child.wait(timeout=stop_timeout_s)


@contextmanager
def services(folder: Path) -> Iterator[tuple[str, str, int]]:
    """The sandbox and an HTTP revox-mcp in their own processes; yields (mcp url, token, server pid)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVOX")}
    sandbox_cmd = [sys.executable, "-m", "revox_mcp", "sandbox", "--port", "0", "--db", str(folder / "s.db")]
    with process([*sandbox_cmd, "--key", "load-key"], env) as sandbox:
        assert sandbox.stdout is not None
        api = sandbox.stdout.readline().split()[3]
        token = "load-token-0123456789abcdefghijklmnopqrstuv"
        server_env = env | {"REVOX_API_KEY": "load-key", "REVOX_BASE_URL": api, "REVOX_MCP_TOKEN": token}
        server_cmd = [sys.executable, "-m", "revox_mcp", "serve", "--http", "--port", "0"]
        with process([*server_cmd, "--journal", str(folder / "journal.db")], server_env) as server:
            assert server.stderr is not None
            url = server.stderr.readline().rsplit(" ", 1)[1].strip()
            yield url, token, server.pid


@asynccontextmanager
async def connect(url: str, token: str) -> AsyncIterator[Client]:
    """An MCP client over Streamable HTTP with the bearer token."""
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60)
    async with http, Client(streamable_http_client(url, http_client=http)) as client:
        yield client


async def _client_loop(url: str, token: str, deadline: float, report: Report, tally: Counter[str], seed: int) -> None:
    rng = random.Random(seed)
    async with connect(url, token) as client:
        while time.monotonic() < deadline:
            assistant = rng.choice(ASSISTANTS)
            started = time.perf_counter()
            read = await client.call_tool("get_assistant", {"id": assistant})
            report.latencies_ms.append((time.perf_counter() - started) * 1000)
            if read.is_error or read.structured_content is None:
                report.failures.append(f"get: {read.content}")
                continue
            report.outcomes["read"] += 1
            if rng.random() < 0.5:
                continue
            current = read.structured_content["assistant"]
            arguments = {
                "id": assistant,
                "patch": {COUNTER: current[COUNTER] + 1},
                "expected_updated_at": current["updated_at"],
                "reason": "load",
            }
            started = time.perf_counter()
            result = await client.call_tool("update_assistant", arguments)
            report.latencies_ms.append((time.perf_counter() - started) * 1000)
            text = "".join(getattr(b, "text", "") for b in result.content)
            if not result.is_error:
                report.outcomes["update"] += 1
                tally[assistant] += 1
            elif STALE in text:
                report.outcomes["stale, re-read"] += 1
            else:
                report.failures.append(f"update: {text[:200]}")


async def _counters(url: str, token: str) -> dict[str, float]:
    async with connect(url, token) as client:
        values = {}
        for assistant in ASSISTANTS:
            read = await client.call_tool("get_assistant", {"id": assistant})
            values[assistant] = read.structured_content["assistant"][COUNTER]  # type: ignore[index]
        return values


async def _drive(url: str, token: str, pid: int, clients: int, seconds: float) -> Report:
    report = Report(clients=clients, seconds=seconds)
    tally: Counter[str] = Counter()
    before = await _counters(url, token)
    deadline = time.monotonic() + seconds

    async def sample_memory() -> None:
        while time.monotonic() < deadline:
            report.rss_mb.append(_rss_mb(pid))
            await anyio.sleep(0.5)

    async with anyio.create_task_group() as group:
        group.start_soon(sample_memory)
        for seed in range(clients):
            group.start_soon(_client_loop, url, token, deadline, report, tally, seed)
    report.rss_mb.append(_rss_mb(pid))
    after = await _counters(url, token)
    report.lost_updates = {
        a: int(before[a] + tally[a] - after[a]) for a in ASSISTANTS if before[a] + tally[a] != after[a]
    }
    return report


def run_load(clients: int, seconds: float) -> Report:
    with tempfile.TemporaryDirectory(prefix="revox-load-") as folder, services(Path(folder)) as (url, token, pid):
        return anyio.run(_drive, url, token, pid, clients, seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    report = run_load(args.clients, args.seconds)
    print(report.table())
    for failure in report.failures[:10]:
        print("FAILED:", failure)
    return 1 if report.failures or report.lost_updates else 0


if __name__ == "__main__":
    raise SystemExit(main())
