"""A leak test that cannot be tuned to (issue 21, item 7).

Every secret shape in SHAPES is planted with random values (secrets.token_urlsafe, new on every run) twice: in
a stored assistant, behind the API's back (`sandbox.store.update`, as an operator's dashboard would), and in
the values an agent sends. Then a real server over stdio (a subprocess, DEBUG on stderr and in the client's
log notifications) runs every tool, reads every resource and prompt, asks for completions, and has a write
fail with an API error quoting the stored values; the journal's raw rows are read on both backends. Every
planted value is searched for in all of it: a value seen anywhere is a leak.

Adding a shape is one line in SHAPES. A shape that leaks is a failing test.
"""

from __future__ import annotations

import json
import os
import queue
import secrets
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from revox_mcp.config import API_KEY_ENV, BASE_URL_ENV
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.seed import RECEPTIONIST_ID, SALES_QUALIFIER_ID
from tests.conftest import JOURNALS, add_fault

STORED = RECEPTIONIST_ID  # the assistant the secrets are planted in, behind the API's back
SENT = SALES_QUALIFIER_ID  # the assistant an agent writes the secrets to
TEST_NUMBER = "+14155550999"
EXTRA = "hubspot"  # an object the API added after this release (--extra-fields lets agents set it)
Fields = dict[str, Any]


def tool(name: str, *, url: str = "https://hooks.acme.example/book", headers: Any = (), body: Any = None) -> Fields:
    """One custom tool, alone in its fragment (fragments' lists are joined)."""
    return {"custom_tools": [{"name": name, "description": "Book a slot.", "method": "POST", "url": url,
            "headers": list(headers), "query_params": [], "body_template": body, "input_schema": []}]}  # fmt: skip


def llm(key: str) -> Fields:
    return {"llm_model": {"type": "custom", "api_url": "https://llm.acme.example/v1", "api_key": key,
            "model_name": "acme-70b"}}  # fmt: skip


@dataclass(frozen=True)
class Shape:
    name: str
    # The assistant fields that hold one planted value (each shape's own tool, or its own field).
    place: Callable[[str], Fields]


# One line per shape. The first seven are the shapes the masking missed before issue 21 (stored values were
# seen in answers, log notifications, stderr and journal rows on both backends; sent ones in answers and rows).
SHAPES = [
    pytest.param(Shape("fragment", lambda v: tool("frag", url=f"https://hooks.acme.example/a#access_token={v}")),
                 id="url fragment #access_token="),
    pytest.param(Shape("matrix", lambda v: tool("matrix", url=f"https://hooks.acme.example/b;jsessionid={v}")),
                 id="matrix ;jsessionid="),
    pytest.param(Shape("pass", lambda v: tool("pass", headers=[{"key": "X-Webhook-Pass", "value": v}])),
                 id="header X-Webhook-Pass"),
    pytest.param(Shape("spaced", lambda v: tool("spaced", headers=[{"key": "X-Api-Key ", "value": v}])),
                 id="header 'X-Api-Key ' (trailing space)"),
    pytest.param(Shape("jwt", lambda v: tool("jwt", url=f"https://hooks.acme.example/c?jwt={v}")),
                 id="query jwt="),
    pytest.param(Shape("body", lambda v: tool("body", body=f"POST /book\nAuthorization: Bearer {v}\n\n{{{{slot}}}}")),
                 id="Authorization: Bearer in a non-JSON body template"),
    pytest.param(Shape("unknown", lambda v: {EXTRA: {"access_token": v, "password": v[::-1]}}),
                 id="unknown object hubspot access_token/password"),
    pytest.param(Shape("llm", llm), id="custom LLM api_key"),
    pytest.param(Shape("auth", lambda v: tool("auth", headers=[{"key": "Authorization", "value": f"Bearer {v}"}])),
                 id="header Authorization"),
    pytest.param(Shape("token", lambda v: tool("token", url=f"https://hooks.acme.example/d?token={v}")),
                 id="query ?token="),
    pytest.param(Shape("userinfo", lambda v: {"webhook_url": f"https://ops:{v}@hooks.acme.example/calls"}),
                 id="URL userinfo"),
]  # fmt: skip
ALL_SHAPES: list[Shape] = [p.values[0] for p in SHAPES]  # type: ignore[misc]


def joined(fragments: list[Fields]) -> Fields:
    """The fragments as one set of assistant fields: lists (custom tools) are joined, objects merged."""
    out: Fields = {}
    for fragment in fragments:
        for key, value in fragment.items():
            if isinstance(value, list):
                out[key] = [*out.get(key, []), *value]
            elif isinstance(value, dict):
                out[key] = {**out.get(key, {}), **value}
            else:
                out[key] = value
    return out


def planted(value: str, place: Callable[[str], Fields]) -> list[str]:
    """What must never be seen of a value: the value, and its reverse where a shape plants that too."""
    return [value, value[::-1]] if "password" in json.dumps(place("x")) else [value]


class StdioServer:
    """`revox-mcp serve` as a subprocess: JSON-RPC lines in and out (a reader thread, so no read can hang),
    every line kept; stderr collected at the end."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        command = [sys.executable, "-m", "revox_mcp", "serve", "--log-level", "DEBUG", *args]
        self.process = subprocess.Popen(
            command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.received: list[dict[str, Any]] = []
        self._next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def send(self, method: str, params: dict[str, Any] | None = None, *, notify: bool = False) -> dict[str, Any]:
        assert self.process.stdin is not None
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params or {}}
        if not notify:
            self._next_id += 1
            message["id"] = self._next_id
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()
        while not notify:
            parsed = json.loads(self.lines.get(timeout=60))
            self.received.append(parsed)
            if parsed.get("id") == self._next_id:
                return parsed
        return {}

    def call(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self.send("tools/call", {"name": name, "arguments": arguments})["result"]
        return result

    def close(self) -> str:
        assert self.process.stdin is not None and self.process.stderr is not None
        self.process.stdin.close()
        stderr = self.process.stderr.read()
        self.process.wait(timeout=30)
        while not self.lines.empty():
            self.received.append(json.loads(self.lines.get()))
        return stderr


def journal_rows(target: str) -> str:
    """Every row of every table of the journal, as text: changes (reasons included) and test calls."""
    if target.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(target) as conn:
            tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
            return "\n".join(f"{t}: {row}" for t in tables for row in conn.execute(f'SELECT * FROM "{t}"'))
    with sqlite3.connect(target) as db:
        text = "\n".join(db.iterdump())
    db.close()
    return text


def run_everything(server: StdioServer, sandbox: SandboxServer, sent: Fields, stored: list[Fields]) -> None:
    """Every tool, resource, prompt and completion, on the assistant holding stored secrets and with sent ones."""
    server.send("logging/setLevel", {"level": "debug"})
    for method in ("tools/list", "resources/list", "resources/templates/list", "prompts/list"):
        server.send(method)
    server.call("list_assistants", {})
    read = server.call("get_assistant", {"id": STORED})["structuredContent"]["assistant"]
    server.call("get_assistant", {"id": STORED, "fields": ["custom_tools", "llm_model", "webhook_url", EXTRA]})
    server.send("resources/read", {"uri": f"revox://assistants/{STORED}"})
    for tool_name in ("update_assistant", "place_test_call"):
        server.send("resources/read", {"uri": f"revox://schemas/{tool_name}/custom_tools"})
    server.send("prompts/get", {"name": "tune_assistant", "arguments": {"assistant_id": STORED, "goal": "fewer"}})
    ref = {"type": "ref/resource", "uri": "revox://assistants/{id}"}
    server.send("completion/complete", {"ref": ref, "argument": {"name": "id", "value": "asst"}})
    # The read sent back with one change: the masks are restored, the stored secrets journalled (masked).
    tools = [{**t, "description": "Book a slot now."} for t in read["custom_tools"]]
    changes = [server.call("update_assistant", {"id": STORED, "patch": {"custom_tools": tools}, "dry_run": True})]
    changes.append(server.call("update_assistant", {"id": STORED, "patch": {"custom_tools": tools}}))
    for fragment in stored:  # a write that fails with an API error quoting a stored secret, one per shape
        add_fault(sandbox, method="PATCH", path=f"/assistants/{STORED}", status=400,
                  body={"message": f"rejected: {json.dumps(fragment)}"})  # fmt: skip
        server.call("update_assistant", {"id": STORED, "patch": {"voice": {"speed": 1.1}}})
    server.call("update_assistant", {"id": SENT, "patch": sent, "dry_run": True})
    changes.append(server.call("update_assistant", {"id": SENT, "patch": sent, "reason": "wire the tools"}))
    ids = [c["structuredContent"]["change_id"] for c in changes if c.get("structuredContent", {}).get("change_id")]
    for change_id in ids:
        server.call("list_changes", {"change_id": change_id})
        server.call("change_impact", {"change_id": change_id})
    for filters in ({}, {"assistant_id": STORED}, {"assistant_id": SENT}):
        server.call("list_changes", filters)
    if ids:
        server.call("revert_change", {"change_id": ids[-1]})
    placed = [
        server.call("place_test_call", {"assistant_id": STORED, "phone_number": TEST_NUMBER}),
        server.call("place_test_call", {"assistant_id": SENT, "phone_number": TEST_NUMBER, "patch": sent}),
    ]
    for result in placed:
        call_id = result.get("structuredContent", {}).get("call_id")
        if call_id:
            server.call("get_call", {"id": call_id})
    for name in ("search_calls", "list_voices", "list_phone_numbers"):
        server.call(name, {})
    server.call("list_changes", {"assistant_id": STORED})


@dataclass
class Scan:
    channels: dict[str, str]
    stored: dict[str, list[str]]
    sent: dict[str, list[str]]
    errors: list[str]
    unreached: list[str]

    def found(self, shape: str) -> list[str]:
        """Where any value planted for `shape` was seen: 'stored/sent value in <channel>'."""
        return [
            f"{origin} value in {channel}"
            for origin, values in (("stored", self.stored[shape]), ("sent", self.sent[shape]))
            for channel, text in self.channels.items()
            if any(v in text for v in values)
        ]


def _channels(server: StdioServer, stderr: str, journal: str) -> dict[str, str]:
    answers = [m for m in server.received if "id" in m]
    logs = [m for m in server.received if m.get("method") == "notifications/message"]
    return {
        "answers (tools, resources, prompts, completions)": json.dumps(answers, ensure_ascii=False),
        "log notifications": json.dumps(logs, ensure_ascii=False),
        "other notifications": json.dumps(
            [m for m in server.received if "id" not in m and m not in logs], ensure_ascii=False
        ),
        "stderr": stderr,
        "journal rows": journal_rows(journal),
    }


@pytest.fixture(scope="module", params=JOURNALS)
def scan(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scan]:
    """One run of everything per journal backend; each shape's test then looks at what was seen."""
    folder = tmp_path_factory.mktemp(f"leaks-{request.param}")
    if request.param == "postgres":
        journal = request.getfixturevalue("postgres").create_database(f"leaks{secrets.randbelow(10**9)}")
    else:
        journal = str(folder / "journal.db")
    with SandboxServer(folder / "sandbox.db") as sandbox:
        headers_ok = _newer(sandbox)
        stored = {s.name: secrets.token_urlsafe(18) for s in ALL_SHAPES}
        sent = {s.name: secrets.token_urlsafe(18) for s in ALL_SHAPES}
        sandbox.store.update(STORED, joined([s.place(stored[s.name]) for s in ALL_SHAPES]))
        env = {k: v for k, v in os.environ.items() if k not in (API_KEY_ENV, BASE_URL_ENV)}
        env |= {API_KEY_ENV: sandbox.api_key, BASE_URL_ENV: sandbox.url, "XDG_STATE_HOME": str(folder / "state")}
        args = ["--journal", journal, "--test-numbers", TEST_NUMBER, "--extra-fields", EXTRA]
        server = StdioServer(args, env)
        try:
            init = {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "leaks", "version": "1"},
            }
            assert "result" in server.send("initialize", init)
            server.send("notifications/initialized", notify=True)
            sent_fields = joined([s.place(sent[s.name]) for s in ALL_SHAPES])
            run_everything(server, sandbox, sent_fields, [s.place(stored[s.name]) for s in ALL_SHAPES])
        finally:
            stderr = server.close()
        errors = [json.dumps(m)[:300] for m in server.received if m.get("result", {}).get("isError")]
        yield Scan(
            _channels(server, stderr, journal),
            {s.name: planted(stored[s.name], s.place) for s in ALL_SHAPES},
            {s.name: planted(sent[s.name], s.place) for s in ALL_SHAPES},
            errors if headers_ok else ["the sandbox did not take the newer field"],
            _unreached(sandbox, stored, sent),
        )


def _unreached(sandbox: SandboxServer, stored: dict[str, str], sent: dict[str, str]) -> list[str]:
    """Planted values that never got where they were meant to (else finding none of them proves nothing): the
    stored ones in the stored assistant, the sent ones in the configuration of the test call that carried them."""
    in_store = json.dumps(sandbox.store.get(STORED))
    on_calls = json.dumps(sandbox.app.state.sandbox.test_call_configs)
    return [f"stored {n}" for n, v in stored.items() if v not in in_store] + [
        f"sent {n}" for n, v in sent.items() if v not in on_calls
    ]


def _newer(sandbox: SandboxServer) -> bool:
    import httpx

    headers = {"Authorization": f"Bearer {sandbox.api_key}"}
    response = httpx.post(f"{sandbox.url}/_sandbox/newer-fields", json={"fields": [EXTRA]}, headers=headers)
    return response.status_code < 300


def test_the_scan_ran_every_tool(scan: Scan) -> None:
    """The run itself: the planted values reached the server (else 0 found proves nothing)."""
    answers = scan.channels["answers (tools, resources, prompts, completions)"]
    for name in ("change_id", "call_id", "Dry run, nothing written", "rejected"):
        assert name in answers, name
    assert "revox-mcp DEBUG" in scan.channels["stderr"] and scan.channels["log notifications"] != "[]"
    assert scan.unreached == []
    # The only errors are the writes the API was made to refuse, one per shape (no tool was skipped by one).
    assert len(scan.errors) == len(ALL_SHAPES) and all("rejected: {" in e for e in scan.errors), scan.errors
    assert "failed" in scan.channels["journal rows"] and "test_calls" in scan.channels["journal rows"].lower()


@pytest.mark.parametrize("shape", SHAPES)
def test_no_planted_value_is_found_anywhere(scan: Scan, shape: Shape) -> None:
    assert scan.found(shape.name) == [], f"{shape.name}: planted values seen"
