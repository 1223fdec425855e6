"""stdio as a careless or hostile client uses it: raw lines written to a real `revox-mcp serve --sandbox`.

Every line gets an answer (or, for a notification, none) and the server stays up; a line over the limit is
refused without being held; a client that never reads its answers stops the reading, and the server's memory
stays bounded, until stdin closes and the server ends.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from revox_mcp.config import API_KEY_ENV, BASE_URL_ENV, STDIO_DRAIN_ENV
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.seed import SALES_QUALIFIER_ID
from tests.conftest import add_fault

ANSWER_TIMEOUT_S = 60.0
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 0,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}},
}


def _spawn(tmp_path: Path, *extra: str, env: dict[str, str] | None = None, **popen: Any) -> subprocess.Popen[bytes]:
    """`serve --sandbox`, or `serve` against the API that `env` names."""
    clean = {k: v for k, v in os.environ.items() if k not in (API_KEY_ENV, BASE_URL_ENV)}
    embedded = [] if env and API_KEY_ENV in env else ["--sandbox", "--sandbox-db", str(tmp_path / "s.db")]
    command = [sys.executable, "-m", "revox_mcp", "serve", *embedded, *extra]
    return subprocess.Popen(command, env=clean | (env or {}), stdin=subprocess.PIPE, **popen)


class RawStdio:
    """A server process, with lines written as given and each line it answers taken off a queue."""

    def __init__(self, tmp_path: Path, *extra: str, env: dict[str, str] | None = None) -> None:
        self.process = _spawn(tmp_path, *extra, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._lines: queue.Queue[bytes] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line)

    def send(self, line: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + b"\n")
        self.process.stdin.flush()

    def answer(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self._lines.get(timeout=ANSWER_TIMEOUT_S))
        return value

    def initialize(self) -> None:
        self.send(json.dumps(INITIALIZE).encode())
        assert self.answer()["id"] == 0
        self.send(b'{"jsonrpc":"2.0","method":"notifications/initialized"}')

    def ping(self, request_id: int) -> None:
        self.send(json.dumps({"jsonrpc": "2.0", "id": request_id, "method": "ping"}).encode())
        assert self.answer() == {"jsonrpc": "2.0", "id": request_id, "result": {}}

    def close(self) -> tuple[int, str]:
        assert self.process.stdin is not None and self.process.stderr is not None
        self.process.stdin.close()
        code = self.process.wait(timeout=ANSWER_TIMEOUT_S)
        return code, self.process.stderr.read().decode()


@pytest.fixture
def raw(tmp_path: Path) -> Any:
    server = RawStdio(tmp_path)
    server.initialize()
    yield server
    if server.process.poll() is None:
        server.process.kill()
        server.process.wait(timeout=10)


def _call(request_id: int | str, name: str, arguments: str) -> bytes:
    head = json.dumps({"jsonrpc": "2.0", "id": request_id, "method": "tools/call"})[:-1]
    return f'{head}, "params": {{"name": "{name}", "arguments": {arguments}}}}}'.encode()


def test_a_lone_surrogate_is_answered_with_its_path_and_the_server_stays_up(raw: RawStdio) -> None:
    raw.send(_call(1, "get_assistant", r'{"id": "\ud800"}'))
    answer = raw.answer()
    assert answer["id"] == 1 and answer["error"]["code"] == -32602
    assert answer["error"]["message"].startswith("arguments.id holds a lone surrogate (\\ud800)")
    raw.send(_call(2, "update_assistant", r'{"id": "x", "patch": {"faq_items": [{"question": "a\udc00b"}]}}'))
    assert "arguments.patch.faq_items[0].question holds a lone surrogate (\\udc00)" in raw.answer()["error"]["message"]
    # A valid pair is one character, not a lone surrogate: the tool itself answers (the id is unknown).
    raw.send(_call(3, "get_assistant", r'{"id": "\ud83d\ude00"}'))
    assert "result" in raw.answer()
    # A notification gets no answer: the next answer is the ping's.
    raw.send(rb'{"jsonrpc": "2.0", "method": "notifications/progress", "params": {"progressToken": "\ud800"}}')
    raw.ping(4)
    code, stderr = raw.close()
    assert code == 0 and "lone surrogate" in stderr


def test_invalid_json_gets_a_parse_error_with_id_null(raw: RawStdio) -> None:
    for line in (b"{bad", b'{"jsonrpc": "2.0", "id": 5, "method": "ping"', b"\xff\xfe{}", b"[" * 100_000):
        raw.send(line)
        answer = raw.answer()
        assert answer["id"] is None and answer["error"]["code"] == -32700, answer
        assert answer["error"]["message"].startswith("Parse error")
    raw.send(b'{"jsonrpc": "2.0", "id": 6}')
    answer = raw.answer()
    assert answer["id"] == 6 and answer["error"]["code"] == -32600
    raw.ping(7)


def test_a_line_over_the_limit_is_refused_and_not_held(raw: RawStdio) -> None:
    raw.send(_call("big", "get_assistant", json.dumps({"id": "a" * 5_000_000})))
    answer = raw.answer()
    assert answer["id"] == "big" and answer["error"]["code"] == -32600
    assert "5,000,1" in answer["error"]["message"] and "at most 1,048,576 bytes" in answer["error"]["message"]
    peak_kb = _status_kb(raw.process.pid, "VmHWM")
    # Under the limit, the same call is read and answered by the tool.
    raw.send(_call("fits", "get_assistant", json.dumps({"id": SALES_QUALIFIER_ID})))
    assert raw.answer()["id"] == "fits"
    assert peak_kb < 200_000, f"peak RSS {peak_kb} KB: the 5 MB line was held"


def test_the_line_limit_follows_max_body_bytes(tmp_path: Path) -> None:
    server = RawStdio(tmp_path, "--max-body-bytes", "2000")
    try:
        server.initialize()
        server.send(_call(1, "list_assistants", json.dumps({"name_contains": "x" * 3000})))
        assert "at most 2,000 bytes" in server.answer()["error"]["message"]
        server.ping(2)
    finally:
        server.process.kill()
        server.process.wait(timeout=10)


def _status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise AssertionError(f"{key} not in /proc/{pid}/status")


REQUESTS = 20_000
RSS_GROWTH_BOUND_KB = 40_000


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads RSS from /proc")
def test_a_client_that_never_reads_stops_the_reading_and_memory_stays_bounded(tmp_path: Path) -> None:
    server = _spawn(tmp_path, env={STDIO_DRAIN_ENV: "1"}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert server.stdin is not None and server.stdout is not None and server.stderr is not None
        server.stdin.write(json.dumps(INITIALIZE).encode() + b"\n")
        server.stdin.flush()
        server.stdout.readline()  # the last line this client ever reads
        baseline_kb = _status_kb(server.pid, "VmRSS")
        # tools/list answers are large (~100 KB): the stdout pipe is full after the first.
        lines = b"".join(
            json.dumps({"jsonrpc": "2.0", "id": i, "method": "tools/list"}).encode() + b"\n" for i in range(1, REQUESTS)
        )
        taken = _feed_until_refused(server.stdin.fileno(), lines)
        samples = []
        for _ in range(5):  # memory, sampled while the answers stay untaken
            time.sleep(0.4)
            samples.append(_status_kb(server.pid, "VmRSS"))
        assert taken < len(lines) / 2, f"the server read {taken:,} of {len(lines):,} bytes with no answer taken"
        assert max(samples) - baseline_kb < RSS_GROWTH_BOUND_KB, (baseline_kb, samples)
        server.stdin.close()
        assert server.wait(timeout=ANSWER_TIMEOUT_S) == 0
        assert "stdout was not read for 1 s after stdin closed" in server.stderr.read().decode()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=10)


def _feed_until_refused(fd: int, data: bytes, refused_for_s: float = 2.0) -> int:
    """Write `data` without blocking, until all is taken or the pipe has taken nothing for `refused_for_s`."""
    os.set_blocking(fd, False)
    taken = 0
    last_progress = time.monotonic()
    while taken < len(data) and time.monotonic() - last_progress < refused_for_s:
        try:
            taken += os.write(fd, data[taken : taken + 65_536])
            last_progress = time.monotonic()
        except BlockingIOError:
            time.sleep(0.05)
    os.set_blocking(fd, True)
    return taken


def test_requests_read_before_stdin_closes_are_all_answered(tmp_path: Path) -> None:
    pings = [json.dumps({"jsonrpc": "2.0", "id": i, "method": "ping"}).encode() for i in range(1, 1001)]
    call = _call("read", "get_assistant", json.dumps({"id": SALES_QUALIFIER_ID}))
    lines = [json.dumps(INITIALIZE).encode(), b'{"jsonrpc":"2.0","method":"notifications/initialized"}', *pings, call]
    server = _spawn(tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, _ = server.communicate(b"\n".join(lines) + b"\n", timeout=ANSWER_TIMEOUT_S)
    answers = [json.loads(line) for line in out.splitlines()]
    assert sorted(str(a["id"]) for a in answers) == sorted(str(i) for i in [0, *range(1, 1001), "read"])
    assert all("result" in a for a in answers)


def test_cancelled_requests_free_their_place_and_a_cancel_is_read_while_all_places_are_taken(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    """Twenty reads held by the API (more than the 16 answers that may be owed), each cancelled by the
    client: a cancelled request is never answered, so only the SDK's word that it settled frees its place;
    and the cancels themselves must be read while every place is taken."""
    path = f"/assistants/{SALES_QUALIFIER_ID}"
    add_fault(sandbox, method="GET", path=path, status=200, apply=True, delay_s=10, times=20)
    env = {API_KEY_ENV: sandbox.api_key, BASE_URL_ENV: sandbox.url}
    server = RawStdio(tmp_path, "--no-journal", env=env)
    try:
        server.initialize()
        for i in range(1, 21):
            server.send(_call(i, "get_assistant", json.dumps({"id": SALES_QUALIFIER_ID})))
        for i in range(1, 21):
            cancel = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": i}}
            server.send(json.dumps(cancel).encode())
        server.ping(100)  # answered before any held read comes back: the places were freed
        code, _ = server.close()
        assert code == 0
    finally:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait(timeout=10)
