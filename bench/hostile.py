"""Hostile input: one string must never freeze the server (issue 20).

    python -m bench.hostile [--sizes 1024,102400,1048576]

For each entry point, adversarial strings at 1 KB, 100 KB and 1 MiB (the HTTP body limit) of several shapes
(the ones that made the old secret patterns backtrack: runs of '?' with one '=', of letters, near-URLs with
'@', JSON-like quotes, and a mixture), through a real MCP client in memory:

- every string argument of every offered tool (top-level, and inside update_assistant's patch and edits);
- a long text stored in the assistant (written straight to the API) read back with get_assistant and the
  assistant resource;
- log notifications: a session that set the level to debug, making calls with those arguments;
- completions of an assistant id.

Meanwhile another session pings the same server in a loop (prompts/list: the server has no ping
handler); the worst latency seen during each entry
point is printed with its worst call time. Targets: every call <= 1 s at 1 MiB, the other session's latency
<= 100 ms. Then every tool's answer size on the 3,000-item assistant (target <= 16 KB per copy) and the
journal bytes of a one-item edit there (target <= 4 KB). The sandbox runs in its own process; the machine
is shared and noisy.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx
import mcp_types as types
from mcp import Client

from bench.load import connect, services
from bench.perf import KEY, sandbox
from revox_mcp.config import Settings
from revox_mcp.sandbox.seed import SALES_QUALIFIER_ID
from revox_mcp.server import build_server
from revox_mcp.tools import TOOLS

ID = SALES_QUALIFIER_ID
TARGET_CALL_S, TARGET_PING_S = 1.0, 0.100
SHAPES: dict[str, Callable[[int], str]] = {
    "'?' run + '='": lambda n: "?" * (n - 1) + "=",
    "letters": lambda n: "a" * n,
    "near-URL": lambda n: ("https://" + "a" * n)[: n - 1] + "@",
    "quotes": lambda n: ('"token":"' * (n // 9 + 1))[:n],
    "mixture": lambda n: ("?key=&@:/ab'\"==&&?" * (n // 18 + 1))[:n],
    "'?' run + key=": lambda n: "?" * (n - 5) + "key=v",
}
# The cases, over HTTP to a server in its own process (each took 10 to 90 s and blocked everyone).
HTTP_CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "list_assistants 20,000 '?' and one '='": ("list_assistants", {"name_contains": "?" * 20_000 + "="}),
    "get_assistant 150,000-letter id": ("get_assistant", {"id": "a" * 150_000}),
    "get_assistant 1,000,000-letter id": ("get_assistant", {"id": "a" * 1_000_000}),
    "dry run, 200,000-character prompt, no spaces": (
        "update_assistant",
        {"id": ID, "dry_run": True, "patch": {"prompt": "a" * 200_000}},
    ),
    "change_impact 100,000-letter success": ("change_impact", {"change_id": "none", "success": "a" * 100_000}),
    "list_voices 900,000-character query": ("list_voices", {"query": "w" * 900_000}),
}
# Arguments a call needs besides the one under test.
BASE: dict[str, dict[str, Any]] = {
    "get_assistant": {"id": ID},
    "update_assistant": {"id": ID, "dry_run": True},
    "revert_change": {"change_id": "none", "dry_run": True},
    "get_call": {"id": "none"},
    "change_impact": {"change_id": "none"},
}
REPLACE = {"op": "replace_text", "field": "prompt"}
NESTED: dict[str, Callable[[str], dict[str, Any]]] = {
    "update_assistant patch.prompt": lambda s: {"patch": {"prompt": s}},
    "update_assistant patch.voice.id": lambda s: {"patch": {"voice": {"provider": "elevenlabs", "id": s}}},
    "update_assistant patch key": lambda s: {"patch": {s[:1000]: "x"}},
    "update_assistant edits find": lambda s: {"edits": [{**REPLACE, "find": s, "replace": ""}]},
    "update_assistant edits replace": lambda s: {"edits": [{**REPLACE, "find": "a", "replace": s}]},
    "update_assistant edits remove key": lambda s: {"edits": [{"op": "remove", "list": "faq_items", "key": s}]},
}  # fmt: skip


@dataclass
class Watch:
    """The other session: pings in a loop; `worst` is the longest wait since the last reset."""

    worst: float = 0.0
    pings: int = 0
    running: bool = True

    async def run(self, client: Client) -> None:
        while self.running:
            began = time.perf_counter()
            await client.list_prompts()  # the cheapest request this server answers (it has no ping handler)
            self.worst = max(self.worst, time.perf_counter() - began)
            self.pings += 1
            await anyio.sleep(0.002)


@dataclass
class Row:
    entry: str
    worst_s: float = 0.0
    worst_ping_s: float = 0.0
    calls: int = 0
    errors: list[str] = field(default_factory=list)


async def timed(row: Row, watch: Watch, call: Callable[[], Awaitable[Any]]) -> None:
    watch.worst = 0.0
    began = time.perf_counter()
    try:
        with anyio.fail_after(120):
            await call()
    except Exception as exc:  # a protocol error is an answer too; a hang or a crash is noted
        row.errors.append(type(exc).__name__)
    row.worst_s = max(row.worst_s, time.perf_counter() - began)
    row.worst_ping_s = max(row.worst_ping_s, watch.worst)
    row.calls += 1


def string_arguments() -> dict[str, list[str]]:
    """Each tool's string arguments (and string items of its list arguments), from its published schema."""
    found: dict[str, list[str]] = {}
    for spec in TOOLS:
        for name, prop in spec.detailed_schema.get("properties", {}).items():
            kinds = [prop.get("type"), prop.get("items", {}).get("type")]
            if any(k == "string" or (isinstance(k, list) and "string" in k) for k in kinds) or prop.get("enum"):
                found.setdefault(spec.name, []).append(name)
    return found


async def tool_arguments(client: Client, watch: Watch, sizes: list[int], offered: set[str]) -> list[Row]:
    rows = []
    for tool, names in string_arguments().items():
        if tool not in offered:
            continue
        for name in names:
            row = Row(f"{tool} {name}")
            for size in sizes:
                for shape in SHAPES.values():
                    value = shape(size)
                    listed = name in ("fields", "ids", "outcomes", "results")
                    args = {**BASE.get(tool, {}), name: [value] if listed else value}
                    await timed(row, watch, lambda a=args, t=tool: client.call_tool(t, a))  # type: ignore[misc]
            rows.append(row)
    for entry, build in NESTED.items():
        row = Row(entry)
        for size in sizes:
            for shape in SHAPES.values():
                args = {**BASE["update_assistant"], **build(shape(size))}
                await timed(row, watch, lambda a=args: client.call_tool("update_assistant", a))  # type: ignore[misc]
        rows.append(row)
    return rows


async def stored_texts(client: Client, http: httpx.AsyncClient, watch: Watch, sizes: list[int]) -> list[Row]:
    rows = [Row("stored prompt: get_assistant fields=[prompt]"), Row("stored prompt: get_assistant"),
            Row("stored prompt: resources/read")]  # fmt: skip
    for size in sizes:
        for shape in SHAPES.values():
            (await http.patch(f"/assistants/{ID}", json={"prompt": shape(size)})).raise_for_status()
            await timed(rows[0], watch, lambda: client.call_tool("get_assistant", {"id": ID, "fields": ["prompt"]}))
            await timed(rows[1], watch, lambda: client.call_tool("get_assistant", {"id": ID}))
            await timed(rows[2], watch, lambda: client.read_resource(f"revox://assistants/{ID}"))
    (await http.patch(f"/assistants/{ID}", json={"prompt": "Be helpful."})).raise_for_status()
    return rows


async def logged_calls(logged: Client, http: httpx.AsyncClient, watch: Watch, sizes: list[int]) -> list[Row]:
    """A session with its log level at debug: the log forwarding masks every request's arguments."""
    rows = [Row("log level debug: list_assistants name_contains"), Row("log level debug: update patch.prompt"),
            Row("log level debug: get_assistant of a stored prompt")]  # fmt: skip
    for size in sizes:
        for shape in SHAPES.values():
            value = shape(size)
            await timed(rows[0], watch, lambda v=value: logged.call_tool("list_assistants", {"name_contains": v}))  # type: ignore[misc]
            patch = {"id": ID, "dry_run": True, "patch": {"prompt": value}}
            await timed(rows[1], watch, lambda p=patch: logged.call_tool("update_assistant", p))  # type: ignore[misc]
            (await http.patch(f"/assistants/{ID}", json={"prompt": value})).raise_for_status()
            await timed(rows[2], watch, lambda: logged.call_tool("get_assistant", {"id": ID, "fields": ["prompt"]}))
    (await http.patch(f"/assistants/{ID}", json={"prompt": "Be helpful."})).raise_for_status()
    return rows


async def completions(client: Client, watch: Watch, sizes: list[int]) -> list[Row]:
    row = Row("completion of an assistant id")
    ref = types.ResourceTemplateReference(uri="revox://assistants/{id}")
    for size in sizes:
        for shape in SHAPES.values():
            argument = {"name": "id", "value": shape(size)}
            await timed(row, watch, lambda a=argument: client.complete(ref, a))  # type: ignore[misc]
    return [row]


async def warm_up(client: Client, offered: set[str]) -> None:
    """One ordinary call per tool first: validators compile on first use (about 100 ms for update_assistant's),
    which is start-up cost, not the cost of a hostile input."""
    for tool in offered:
        await client.call_tool(tool, BASE.get(tool, {}))
    await client.call_tool("update_assistant", {"id": ID, "dry_run": True, "patch": {"prompt": "Be helpful."}})


def print_bounded_work(rows: list[Row], sizes: list[int]) -> bool:
    print(f"Bounded work: {len(SHAPES)} shapes x sizes {', '.join(f'{s:,}' for s in sizes)} characters per entry point")
    print(f"  {'entry point':52} {'calls':>5} {'worst call':>11} {'worst ping':>11}")
    met = True
    for row in rows:
        ok = row.worst_s <= TARGET_CALL_S and row.worst_ping_s <= TARGET_PING_S and not row.errors
        met &= ok
        note = "" if ok else "  <- over target" + (f" ({', '.join(sorted(set(row.errors)))})" if row.errors else "")
        print(f"  {row.entry:52} {row.calls:>5} {row.worst_s * 1000:>8.0f} ms {row.worst_ping_s * 1000:>8.0f} ms{note}")
    worst = max(rows, key=lambda r: r.worst_s)
    ping = max(rows, key=lambda r: r.worst_ping_s)
    print(f"  worst call: {worst.worst_s * 1000:.0f} ms ({worst.entry}); worst ping of the other session: "
          f"{ping.worst_ping_s * 1000:.0f} ms ({ping.entry})")  # fmt: skip
    print(f"  targets: every call <= {TARGET_CALL_S * 1000:.0f} ms, other session <= {TARGET_PING_S * 1000:.0f} ms: "
          f"{'met' if met else 'NOT met'}")  # fmt: skip
    return met


async def over_http(rounds: int = 3) -> list[Row]:
    """The issue's measured cases over Streamable HTTP (bearer token, the 1 MiB body limit), another HTTP
    session pinging meanwhile."""
    rows = []
    with tempfile.TemporaryDirectory() as folder, services(Path(folder)) as (url, token, _pid):
        async with connect(url, token) as client, connect(url, token) as other, anyio.create_task_group() as tg:
            watch = Watch()
            await warm_up(client, {t.name for t in (await client.list_tools()).tools})
            # A process's first large request costs ~70-100 ms once, whatever it holds (measured apart).
            began = time.perf_counter()
            await client.call_tool("list_assistants", {"name_contains": "w" * 100_000})
            print(f"HTTP: the process's first large request (once): {(time.perf_counter() - began) * 1000:.0f} ms")
            tg.start_soon(watch.run, other)
            for entry, (tool, args) in HTTP_CASES.items():
                row = Row(f"HTTP: {entry}")
                for _ in range(rounds):
                    await timed(row, watch, lambda t=tool, a=args: client.call_tool(t, a))  # type: ignore[misc]
                rows.append(row)
            watch.running = False
    return rows


async def print_answer_sizes(client: Client, http: httpx.AsyncClient) -> None:
    """The size of every tool's answer on the 3,000-item assistant (issue 20 item 7)."""
    from bench.agent_session import answer_sizes
    from bench.agent_session import print_answer_sizes as print_sizes

    print_sizes(await answer_sizes(client, http))


async def print_journal_bytes(client: Client, http: httpx.AsyncClient, journal: Path) -> None:
    """Journal bytes of a one-item FAQ upsert and a 45-character prompt edit on the 3,000-item assistant: the
    row's stored JSON (body, before, after, patch, edits). Target: at most 4 KB each."""
    from bench.agent_session import large_assistant

    (await http.patch(f"/assistants/{SALES_QUALIFIER_ID}", json=large_assistant(3_000))).raise_for_status()
    upsert = {"op": "upsert", "list": "faq_items", "item": {"question": "Is there parking?", "answer": "Yes."}}
    sentence = {"op": "replace_text", "field": "prompt", "find": "Line 5: be warm, concise and helpful with every",
                "replace": "Line 5: be warm, brief and helpful with every"}  # fmt: skip
    print("\nJournal bytes per one-item edit on the 3,000-item assistant (target <= 4,096)")
    for label, edit in (("FAQ upsert", upsert), ("45-character replace_text", sentence)):
        result = await client.call_tool("update_assistant", {"id": SALES_QUALIFIER_ID, "edits": [edit]})
        if result.is_error:
            print(f"  {label:<28} failed: {result.content[0].text[:100]}")  # type: ignore[union-attr]
            continue
        db = sqlite3.connect(journal)
        try:
            row = db.execute(
                "SELECT length(body) + length(before) + length(COALESCE(after, '')) + length(patch) + length(edits) "
                "FROM changes ORDER BY seq DESC LIMIT 1"
            ).fetchone()
        finally:
            db.close()
        print(f"  {label:<28} {row[0]:>8,} bytes")


async def main(sizes: list[int]) -> int:
    with tempfile.TemporaryDirectory() as folder, sandbox(Path(folder)) as url:
        settings = Settings(api_key=KEY, base_url=url, journal_path=Path(folder) / "journal.db")
        server = build_server(settings)
        watch = Watch()
        async with (
            Client(server) as client,
            Client(server) as other,
            Client(server, log_level="debug", logging_callback=_ignore) as logged,
            httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {KEY}"}, timeout=60) as http,
            anyio.create_task_group() as tg,
        ):
            offered = {tool.name for tool in (await client.list_tools()).tools}
            await warm_up(client, offered)
            tg.start_soon(watch.run, other)
            rows = await tool_arguments(client, watch, sizes, offered)
            rows += await stored_texts(client, http, watch, sizes)
            rows += await logged_calls(logged, http, watch, sizes)
            rows += await completions(client, watch, sizes)
            watch.running = False
            await print_answer_sizes(client, http)
            await print_journal_bytes(client, http, Path(folder) / "journal.db")
    rows += await over_http()
    met = print_bounded_work(rows, sizes)
    return 0 if met else 1


async def _ignore(params: Any) -> None:
    return None


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1024,102400,1048576", help="string lengths, comma-separated")
    options = parser.parse_args()
    sys.exit(anyio.run(main, [int(s) for s in options.sizes.split(",")]))
