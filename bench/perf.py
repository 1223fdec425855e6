"""Performance figures: tool-call overhead, cold start, tools/list size, server memory.

    python -m bench.perf [--rounds 5] [--calls 60]

- Overhead: update_assistant through an MCP client (in memory, and over stdio as clients run it)
  against the same sandbox as the requests the same work needs sent directly with httpx (a GET, as
  the tool reads the current state first, and the PATCH). Modes are interleaved round by round;
  medians over all calls, and the ratio to the direct floor.
- Cold start: spawn to the first tools/list answer over stdio, revox-mcp vs a bare MCPServer with one
  tool; interleaved, median.
- tools/list size in bytes, next to a plain pydantic export of the same models.
- Peak RSS of the stdio server after the overhead runs.

The sandbox runs in its own process. Quote ratios and medians: the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
from mcp import Client, StdioServerParameters
from pydantic import create_model

from revox_mcp.config import Settings
from revox_mcp.models import AssistantUpdate
from revox_mcp.server import build_server
from revox_mcp.tool_models import UpdateAssistantArgs
from revox_mcp.tools import TOOLS

ASSISTANT = "asst_sales_qualifier"
BARE_SERVER = Path(__file__).with_name("bare_server.py")
KEY = "perf-key"


@contextmanager
def sandbox(folder: Path) -> Iterator[str]:
    command = [sys.executable, "-m", "revox_mcp", "sandbox", "--port", "0", "--db", str(folder / "s.db"), "--key", KEY]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        yield process.stdout.readline().split()[3]
    finally:
        process.terminate()
        process.wait(timeout=10)


def _env(url: str) -> dict[str, str]:
    return {"REVOX_API_KEY": KEY, "REVOX_BASE_URL": url, "PATH": os.environ.get("PATH", "")}


async def _timed_calls(call: Any, n: int, start: int) -> list[float]:
    times = []
    for i in range(start, start + n):
        began = time.perf_counter()
        await call(i)
        times.append((time.perf_counter() - began) * 1000)
    return times


async def overhead(url: str, folder: Path, rounds: int, calls: int) -> tuple[dict[str, list[float]], float]:
    settings = {
        "in-memory, journal on": Settings(api_key=KEY, base_url=url, journal_path=folder / "j-mem.db"),
        "in-memory, no journal": Settings(api_key=KEY, base_url=url),
    }
    stdio = StdioServerParameters(
        command=sys.executable,
        args=["-m", "revox_mcp", "serve", "--journal", str(folder / "j-stdio.db")],
        env=_env(url),
    )
    times: dict[str, list[float]] = {
        name: [] for name in ["direct httpx (GET + PATCH)", *settings, "stdio, journal on"]
    }
    peak_rss = 0.0
    async with (
        httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {KEY}"}) as http,
        Client(build_server(settings["in-memory, journal on"])) as mem_journal,
        Client(build_server(settings["in-memory, no journal"])) as mem_plain,
        Client(stdio) as over_stdio,
    ):

        async def direct(i: int) -> None:
            (await http.get(f"/assistants/{ASSISTANT}")).raise_for_status()
            (await http.patch(f"/assistants/{ASSISTANT}", json={"first_sentence": f"Hello {i}"})).raise_for_status()

        def through(client: Client) -> Any:
            async def call(i: int) -> None:
                result = await client.call_tool(
                    "update_assistant", {"id": ASSISTANT, "patch": {"first_sentence": f"Hi {i}"}}
                )
                assert not result.is_error, result.content

            return call

        modes = {
            "direct httpx (GET + PATCH)": direct,
            "in-memory, journal on": through(mem_journal),
            "in-memory, no journal": through(mem_plain),
            "stdio, journal on": through(over_stdio),
        }
        for mode in modes.values():  # warm up: connections, caches, compiled validators
            await _timed_calls(mode, 10, 0)
        for round_ in range(rounds):
            for name, mode in modes.items():
                times[name] += await _timed_calls(mode, calls, 1000 * (round_ + 1))
        peak_rss = _server_peak_rss()
    return times, peak_rss


def _server_peak_rss() -> float:
    """VmHWM of the `revox-mcp serve` child of this process, in MB."""
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
            cmdline = (status.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if f"PPid:\t{os.getpid()}" in text and "revox_mcp serve" in cmdline:
            return next(int(line.split()[1]) / 1024 for line in text.splitlines() if line.startswith("VmHWM:"))
    return 0.0


async def cold_start(url: str, runs: int) -> dict[str, float]:
    ours = StdioServerParameters(
        command=sys.executable, args=["-m", "revox_mcp", "serve", "--no-journal"], env=_env(url)
    )
    bare = StdioServerParameters(command=sys.executable, args=[str(BARE_SERVER)], env=_env(url))
    times: dict[str, list[float]] = {"revox-mcp serve": [], "bare MCPServer, one tool": []}
    for _ in range(runs):
        for name, params in (("revox-mcp serve", ours), ("bare MCPServer, one tool", bare)):
            began = time.perf_counter()
            async with Client(params) as client:
                await client.list_tools()
            times[name].append((time.perf_counter() - began) * 1000)
    return {name: statistics.median(values) for name, values in times.items()}


def tools_list_sizes() -> dict[str, int]:
    server = build_server(Settings(api_key="unused"))

    async def listed() -> int:
        async with Client(server) as client:
            tools = (await client.list_tools()).tools
        return len(json.dumps([t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools]))

    # What a plain pydantic export of the same models weighs: each tool's arguments (update's patch as the
    # full AssistantUpdate model, as pydantic would derive it) and answer, with $defs, titles, defaults.
    full_update_args = create_model("UpdateAssistantArgs", __base__=UpdateAssistantArgs, patch=(AssistantUpdate, ...))
    plain = 0
    for tool in TOOLS:
        args = full_update_args if tool.name == "update_assistant" else tool.args_model
        plain += len(json.dumps(args.model_json_schema())) + len(json.dumps(tool.answer_model.model_json_schema()))
    update_input = len(json.dumps(next(t for t in TOOLS if t.name == "update_assistant").input_schema))
    return {
        "tools/list answer, 9 tools (revox-mcp)": anyio.run(listed),
        "plain pydantic export of the same models (schemas only)": plain,
        "of which update_assistant's input schema (revox-mcp)": update_input,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=60)
    parser.add_argument("--cold-runs", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="revox-perf-") as tmp, sandbox(Path(tmp)) as url:
        times, rss = anyio.run(overhead, url, Path(tmp), args.rounds, args.calls)
        cold = anyio.run(cold_start, url, args.cold_runs)
    floor = statistics.median(times["direct httpx (GET + PATCH)"])
    print(f"update_assistant, {args.rounds} interleaved rounds x {args.calls} calls (sandbox in its own process)")
    print(f"  {'mode':<30} {'p50 ms':>8} {'p90 ms':>8} {'vs direct':>10}")
    for name, values in times.items():
        p50, p90 = statistics.median(values), statistics.quantiles(values, n=10)[-1]
        print(f"  {name:<30} {p50:>8.2f} {p90:>8.2f} {p50 / floor:>9.2f}x")
    ours, bare = cold["revox-mcp serve"], cold["bare MCPServer, one tool"]
    print(f"cold start to first tools/list over stdio (median of {args.cold_runs})")
    print(f"  revox-mcp serve {ours:.0f} ms, bare MCPServer {bare:.0f} ms: {ours / bare:.2f}x")
    print("tools/list size")
    for name, size in tools_list_sizes().items():
        print(f"  {name:<52} {size:>8,} bytes")
    print(f"peak RSS of the stdio server after the runs: {rss:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
