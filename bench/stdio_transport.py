"""stdio transport figures: round-trip time of one small request, and memory when the client never reads.

    python -m bench.stdio_transport [--pings 1000] [--flood 20000]

- Round trip: sequential pings over a real `revox-mcp serve --sandbox` (raw JSON lines on its pipes);
  median and p90 in microseconds.
- Backpressure: a client that reads nothing after `initialize` writes `--flood` tools/list requests
  without blocking; prints how many bytes the server read before it stopped reading, its RSS before and
  for 10 s after, and how long it took to exit once stdin closed (REVOX_MCP_STDIO_DRAIN_S=1).

The machine is shared and noisy: compare medians of interleaved runs, not single figures.
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
from pathlib import Path

from revox_mcp.config import API_KEY_ENV, BASE_URL_ENV, STDIO_DRAIN_ENV

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 0,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}},
}


def _spawn(folder: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    clean = {k: v for k, v in os.environ.items() if k not in (API_KEY_ENV, BASE_URL_ENV)}
    command = [sys.executable, "-m", "revox_mcp", "serve", "--sandbox", "--sandbox-db", str(folder / "s.db")]
    return subprocess.Popen(
        command,
        env=clean | (env or {}),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )


def _initialized(folder: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    server = _spawn(folder, env)
    assert server.stdin is not None and server.stdout is not None
    server.stdin.write(json.dumps(INITIALIZE).encode() + b"\n")
    server.stdin.flush()
    server.stdout.readline()
    return server


def round_trips(folder: Path, pings: int) -> list[float]:
    server = _initialized(folder)
    assert server.stdin is not None and server.stdout is not None
    times: list[float] = []
    for i in range(1, pings + 1):
        start = time.perf_counter()
        server.stdin.write(b'{"jsonrpc":"2.0","id":%d,"method":"ping"}\n' % i)
        server.stdin.flush()
        server.stdout.readline()
        times.append((time.perf_counter() - start) * 1e6)
    server.stdin.close()
    server.wait(timeout=60)
    return times


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def flood(folder: Path, requests: int) -> str:
    server = _initialized(folder, {STDIO_DRAIN_ENV: "1"})
    assert server.stdin is not None
    before = _rss_mb(server.pid)
    data = b"".join(b'{"jsonrpc":"2.0","id":%d,"method":"tools/list"}\n' % i for i in range(1, requests + 1))
    fd = server.stdin.fileno()
    os.set_blocking(fd, False)
    taken, idle_since = 0, time.monotonic()
    while taken < len(data) and time.monotonic() - idle_since < 2:
        try:
            taken += os.write(fd, data[taken : taken + 65_536])
            idle_since = time.monotonic()
        except BlockingIOError:
            time.sleep(0.05)
    peak = before
    for _ in range(10):
        time.sleep(1)
        peak = max(peak, _rss_mb(server.pid))
    os.set_blocking(fd, True)
    start = time.monotonic()
    server.stdin.close()
    code = server.wait(timeout=120)
    return (
        f"  read {taken:,} of {len(data):,} bytes; RSS {before:.0f} MB before, at most {peak:.0f} MB over 10 s; "
        f"exit {code} {time.monotonic() - start:.1f} s after stdin closed"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--pings", type=int, default=1000)
    parser.add_argument("--flood", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        times = sorted(round_trips(Path(folder), args.pings))
        p50, p90 = statistics.median(times), times[int(len(times) * 0.9)]
        print(f"ping round trip over stdio, {args.pings} sequential: p50 {p50:.0f} us, p90 {p90:.0f} us")
        print(f"a client that never reads, {args.flood:,} tools/list requests:")
        print(flood(Path(folder), args.flood))


if __name__ == "__main__":
    main()
