"""Replicas: two `revox-mcp serve --http --stateless` behind an imaginary balancer, sharing one journal.

    python -m bench.replicas [--seconds 60] [--clients 50] [--journal both|postgres|sqlite]

Starts a throwaway PostgreSQL (tests/pg.py), the sandbox, and two replicas with a tokens file of three
people, each replica in its own process. Every client alternates between the replicas, adding FAQ items
(update_assistant, edits: upsert into faq_items, no expected_updated_at) to one of three assistants. Each
such write is a read-modify-write of the whole list: two replicas interleaving on one assistant lose an
item. At the end it reads the assistants back from the sandbox and compares the items stored with the
items whose write succeeded, and asks list_changes on each replica for every change and its actor.

With `--journal postgres` the replicas share one PostgreSQL journal and its per-assistant advisory lock;
with `--journal sqlite` each has its own SQLite file and only an in-process lock (what lost items look
like). Figures, not assertions on time: this machine is shared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import httpx

from bench.load import connect, process
from tests.pg import PostgresServer

ASSISTANTS = ("asst_sales_qualifier", "asst_dental_receptionist", "asst_appointment_reminder")
KEY = "replicas-key"
PEOPLE = {
    "alice": "alice-0123456789abcdef0123456789abcdef",
    "bob": "bob-0123456789abcdef0123456789abcdef01",
    "carol": "carol-0123456789abcdef0123456789abcdef",
}


@dataclass
class Report:
    journal: str
    clients: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    added: dict[str, set[str]] = field(default_factory=lambda: {a: set() for a in ASSISTANTS})
    stored: dict[str, set[str]] = field(default_factory=dict)
    listed: list[tuple[int, Counter[str]]] = field(default_factory=list)

    @property
    def expected(self) -> int:
        return sum(len(v) for v in self.added.values())

    @property
    def lost(self) -> int:
        return sum(len(self.added[a] - self.stored.get(a, set())) for a in ASSISTANTS)

    def table(self) -> str:
        ordered = sorted(self.latencies_ms) or [0.0]
        p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
        stored = sum(len(self.added[a] & self.stored.get(a, set())) for a in ASSISTANTS)
        rows = [
            ("journal", self.journal),
            ("clients / replicas", f"{self.clients} / 2"),
            ("duration", f"{self.seconds:.0f} s"),
            ("writes", f"{len(self.latencies_ms):,} ({len(self.latencies_ms) / self.seconds:,.1f} calls/s)"),
            ("latency p50 / p99", f"{statistics.median(ordered):.0f} ms / {p99:.0f} ms"),
            ("errors", f"{len(self.errors)}"),
            ("items expected / stored", f"{self.expected:,} / {stored:,} (lost {self.lost:,})"),
        ]
        for number, (total, actors) in enumerate(self.listed, 1):
            people = ", ".join(f"{name} {count:,}" for name, count in sorted(actors.items()))
            every = "every change" if total == self.expected and sum(actors.values()) == total else "NOT every change"
            rows.append((f"list_changes on replica {number}", f"{total:,} rows, {every}; by actor: {people}"))
        return "\n".join(f"{name:<32} {value}" for name, value in rows)


def _mcp_url(server: subprocess.Popen[str]) -> str:
    assert server.stderr is not None
    for line in server.stderr:
        if "Streamable HTTP at" in line:
            # Keep draining: a replica whose stderr pipe fills up would stop mid-run.
            threading.Thread(target=server.stderr.read, daemon=True).start()
            return line.rsplit(" ", 1)[1].strip()
    raise RuntimeError(f"a replica did not start (exit {server.wait()})")


@contextmanager
def services(folder: Path, journal: str, stack: ExitStack) -> Iterator[tuple[str, list[str]]]:
    """The sandbox and two replicas; yields (the API's URL, the replicas' MCP URLs)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVOX")}
    sandbox_cmd = [sys.executable, "-m", "revox_mcp", "sandbox", "--port", "0", "--db", str(folder / "s.db")]
    sandbox = stack.enter_context(process([*sandbox_cmd, "--key", KEY], env, stop_timeout_s=20))
    assert sandbox.stdout is not None
    api = sandbox.stdout.readline().split()[3]
    tokens = folder / "tokens"
    tokens.write_text("".join(f"{name} {token}\n" for name, token in PEOPLE.items()))
    tokens.chmod(0o600)
    if journal == "postgres":
        # Durable (fsync on), as a real journal would run.
        url = stack.enter_context(PostgresServer(durable=True)).create_database("journal")
        targets = [url, url]
    else:
        targets = [str(folder / f"journal-{n}.db") for n in (1, 2)]
    urls = []
    for target in targets:
        command = [sys.executable, "-m", "revox_mcp", "serve", "--http", "--stateless", "--port", "0"]
        replica_env = env | {"REVOX_API_KEY": KEY, "REVOX_BASE_URL": api}
        replica = stack.enter_context(
            process([*command, "--tokens", str(tokens), "--journal", target], replica_env, stop_timeout_s=20)
        )
        urls.append(_mcp_url(replica))
    yield api, urls


async def _client(number: int, urls: list[str], deadline: float, report: Report) -> None:
    name = list(PEOPLE)[number % len(PEOPLE)]
    async with connect(urls[0], PEOPLE[name]) as first, connect(urls[1], PEOPLE[name]) as second:
        replicas, sent = (first, second), 0
        while time.monotonic() < deadline:
            assistant = ASSISTANTS[(number + sent) % len(ASSISTANTS)]
            question = f"Client {number} question {sent}?"
            item = {"question": question, "answer": f"Answer from {name}."}
            arguments = {"id": assistant, "edits": [{"op": "upsert", "list": "faq_items", "item": item}]}
            started = time.perf_counter()
            result = await replicas[sent % 2].call_tool("update_assistant", arguments)
            report.latencies_ms.append((time.perf_counter() - started) * 1000)
            sent += 1
            if result.is_error:
                report.errors.append("".join(getattr(b, "text", "") for b in result.content)[:200])
            else:
                report.added[assistant].add(question)


async def _changes(url: str) -> tuple[int, Counter[str]]:
    """Every row list_changes gives on one replica, and how many each person made."""
    actors: Counter[str] = Counter()
    async with connect(url, PEOPLE["alice"]) as client:
        page, total = 1, 0
        while page:
            answer = (await client.call_tool("list_changes", {"page": page, "page_size": 100})).structured_content
            assert answer is not None
            total = answer["total"]
            actors.update(str(row["actor"]) for row in answer["changes"])
            page = answer["next_page"]
    return total, actors


async def _drive(api: str, urls: list[str], report: Report) -> None:
    deadline = time.monotonic() + report.seconds
    async with anyio.create_task_group() as group:
        for number in range(report.clients):
            group.start_soon(_client, number, urls, deadline, report)
    async with httpx.AsyncClient(base_url=api, headers={"Authorization": f"Bearer {KEY}"}, timeout=60) as http:
        for assistant in ASSISTANTS:
            answer = (await http.get(f"/assistants/{assistant}")).json()
            held = answer.get("assistant", answer)
            report.stored[assistant] = {item["question"] for item in held["faq_items"]}
    report.listed = [await _changes(url) for url in urls]


def run(journal: str, clients: int, seconds: float) -> Report:
    report = Report(journal=journal, clients=clients, seconds=seconds)
    with (
        tempfile.TemporaryDirectory(prefix="revox-replicas-") as folder,
        ExitStack() as stack,
        services(Path(folder), journal, stack) as (api, urls),
    ):
        anyio.run(_drive, api, urls, report)
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--journal", choices=["both", "postgres", "sqlite"], default="both")
    args = parser.parse_args()
    journals = ["postgres", "sqlite"] if args.journal == "both" else [args.journal]
    reports = []
    for journal in journals:
        report = run(journal, args.clients, args.seconds)
        print(report.table(), flush=True)
        for error in report.errors[:5]:
            print("ERROR:", error)
        print()
        reports.append(report)
    shared = [r for r in reports if r.journal == "postgres"]
    return 1 if any(r.errors or r.lost for r in shared) else 0


if __name__ == "__main__":
    raise SystemExit(main())
