"""What an agent pays in context: bytes of tools/list and of every answer in a scripted operator session,
and how answers and latency grow with the size of the assistant.

    python -m bench.agent_session [--rounds 15] [--sizes 10,300,3000]

- tools/list on the wire (the JSON-RPC result as sent), and its model-facing part: the names,
  descriptions and input schemas a client puts into the model's context.
- A scripted session of seven ordinary operator requests (slow down and greet in French, add then
  change an FAQ, weekday calling windows, a British voice, rewrite one prompt sentence, find why calls
  failed, undo), each a few tool calls an agent would make: bytes per step (text plus structured
  content, as serialized on the wire) and in total.
- Large assistants (N FAQ items and a 95 KB prompt): the answer to a one-field change and to one FAQ
  upsert, in bytes, and their median latency against the same GET + PATCH sent directly with httpx.
- Every tool's answer on the 3,000-item assistant: wire, text and structured bytes against the ceiling.

In memory against a sandbox in its own process. Quote ratios and medians: the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
import httpx
from mcp import Client

from bench.perf import KEY, sandbox
from revox_mcp.config import Settings
from revox_mcp.sandbox.seed import SALES_QUALIFIER_ID
from revox_mcp.server import build_server

TARGETS = {"tools/list": 22_000, "model-facing": 16_000, "one-field change": 2_000, "large answer": 4_000}


def wire_size(result: Any) -> int:
    return len(result.model_dump_json(by_alias=True, exclude_none=True).encode())


def model_facing(tools: list[Any], described: bool = True) -> int:
    """The names, descriptions and input schemas; with described=False, the input schemas' descriptions
    left out: the bytes that the shapes alone take, whatever the wording."""
    return len(
        json.dumps(
            [
                {"name": t.name, "description": t.description, "input_schema": _shape(t.input_schema, described)}
                for t in tools
            ],
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode()
    )


def _shape(node: Any, described: bool) -> Any:
    if described:
        return node
    if isinstance(node, dict):
        return {k: _shape(v, False) for k, v in node.items() if k != "description" or not isinstance(v, str)}
    if isinstance(node, list):
        return [_shape(v, False) for v in node]
    return node


async def call(client: Client, log: list[tuple[str, str, int]], step: str, tool: str, args: dict[str, Any]) -> Any:
    result = await client.call_tool(tool, args)
    if result.is_error:
        raise SystemExit(f"{step}: {tool} failed: {result.content[0].text}")  # type: ignore[union-attr]
    log.append((step, tool, wire_size(result)))
    return result.structured_content


async def session(client: Client) -> list[tuple[str, str, int]]:
    """Seven operator requests, as an agent following the tool descriptions would carry them out."""
    log: list[tuple[str, str, int]] = []
    a = SALES_QUALIFIER_ID
    s = "slow down, greet in French"
    read = await call(client, log, s, "get_assistant", {"id": a})
    stamp = read["assistant"]["updated_at"]
    french = "Bonjour {{first_name}}, ici Sarah d'Acme Solar. Vous avez une petite minute ?"
    await call(client, log, s, "update_assistant", {
        "id": a, "patch": {"voice": {"speed": 0.9}, "first_sentence": french}, "expected_updated_at": stamp,
    })  # fmt: skip
    s = "add then change an FAQ"
    faq = {"question": "Do you install batteries?", "answer": "Yes, we install home batteries."}
    await call(
        client, log, s, "update_assistant", {"id": a, "edits": [{"op": "upsert", "list": "faq_items", "item": faq}]}
    )
    faq = {**faq, "answer": "Yes: Tesla Powerwall and Enphase batteries, quoted with the panels."}
    await call(
        client, log, s, "update_assistant", {"id": a, "edits": [{"op": "upsert", "list": "faq_items", "item": faq}]}
    )
    s = "weekday calling windows"
    window = {"calling_window_start_time": "09:00", "calling_window_end_time": "18:00", "retry_delay_seconds": 7200}
    days = ["monday", "tuesday", "wednesday", "thursday", "friday"]
    await call(client, log, s, "update_assistant", {
        "id": a, "patch": {"call_retry_config": {"allowed_days": days, "calling_windows": [window]}},
    })  # fmt: skip
    s = "a British voice"
    voices = await call(client, log, s, "list_voices", {"provider": "cartesia", "accent": "british", "language": "en"})
    voice = voices["voices"][0]
    await call(client, log, s, "update_assistant", {"id": a, "patch": {"voice": {"id": voice["id"]}}})
    s = "rewrite one prompt sentence"
    edit = {"op": "replace_text", "field": "prompt", "find": "Style: warm, concise, never pushy.",
            "replace": "Style: warm and concise; never pushy, never rushed."}  # fmt: skip
    await call(client, log, s, "update_assistant", {"id": a, "edits": [edit], "dry_run": True})
    await call(client, log, s, "update_assistant", {"id": a, "edits": [edit]})
    s = "find why calls failed"
    found = await call(client, log, s, "search_calls", {"assistant_id": a, "results": ["voicemail", "unknown"]})
    if found["calls"]:
        await call(client, log, s, "get_call", {"id": found["calls"][0]["id"]})
    s = "undo"
    changes = await call(client, log, s, "list_changes", {"assistant_id": a, "page_size": 5})
    if changes["changes"]:  # none when the server runs without a journal
        await call(client, log, s, "revert_change", {"change_id": changes["changes"][0]["change_id"]})
    return log


def large_assistant(items: int) -> dict[str, Any]:
    faq = [{"question": f"Question {i}: what about topic {i}?", "answer": f"Answer {i}. " * 6} for i in range(items)]
    prompt = "\n".join(f"Line {i}: be warm, concise and helpful with every caller." for i in range(1_700))
    return {"faq_items": faq, "prompt": prompt[:95_000]}


async def growth(client: Client, http: httpx.AsyncClient, sizes: list[int], rounds: int) -> list[dict[str, Any]]:
    rows = []
    for items in sizes:
        (await http.patch(f"/assistants/{SALES_QUALIFIER_ID}", json=large_assistant(items))).raise_for_status()
        times: dict[str, list[float]] = {"direct": [], "direct list": [], "one field": [], "faq upsert": []}
        sizes_seen: dict[str, int] = {}
        for i in range(rounds):
            began = time.perf_counter()
            (await http.get(f"/assistants/{SALES_QUALIFIER_ID}")).raise_for_status()
            (
                await http.patch(f"/assistants/{SALES_QUALIFIER_ID}", json={"first_sentence": f"Hi {i}"})
            ).raise_for_status()
            times["direct"].append(time.perf_counter() - began)
            # The same work an FAQ upsert needs, sent directly: read, then the whole list (the API replaces lists).
            began = time.perf_counter()
            faq = (await http.get(f"/assistants/{SALES_QUALIFIER_ID}")).json()["faq_items"]
            faq[1] = {"question": faq[1]["question"], "answer": f"Direct {i}."}
            plain = [{"question": f["question"], "answer": f["answer"]} for f in faq]
            (await http.patch(f"/assistants/{SALES_QUALIFIER_ID}", json={"faq_items": plain})).raise_for_status()
            times["direct list"].append(time.perf_counter() - began)
            began = time.perf_counter()
            result = await client.call_tool(
                "update_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"first_sentence": f"Hello {i}"}}
            )
            times["one field"].append(time.perf_counter() - began)
            sizes_seen["one field"] = wire_size(result)
            upsert = {"op": "upsert", "list": "faq_items", "item": {"question": "Question 1: what about topic 1?",
                                                                      "answer": f"Updated {i}."}}  # fmt: skip
            began = time.perf_counter()
            result = await client.call_tool("update_assistant", {"id": SALES_QUALIFIER_ID, "edits": [upsert]})
            times["faq upsert"].append(time.perf_counter() - began)
            sizes_seen["faq upsert"] = wire_size(result)
        read = await client.call_tool("get_assistant", {"id": SALES_QUALIFIER_ID})
        direct = statistics.median(times["direct"])
        rows.append({
            "items": items,
            "one field bytes": sizes_seen["one field"],
            "faq upsert bytes": sizes_seen["faq upsert"],
            "get_assistant bytes": wire_size(read),
            "direct ms": direct * 1000,
            "one field x": statistics.median(times["one field"]) / direct,
            "faq upsert x": statistics.median(times["faq upsert"]) / statistics.median(times["direct list"]),
        })  # fmt: skip
    return rows


ANSWER_TARGET = 16_384


async def answer_sizes(client: Client, http: httpx.AsyncClient) -> list[tuple[str, int, int, int, bool]]:
    """Every tool's answer on the 3,000-item assistant: (call, wire, text, structured bytes, is_error)."""
    a = SALES_QUALIFIER_ID
    (await http.patch(f"/assistants/{a}", json=large_assistant(3_000))).raise_for_status()
    sentence = {"op": "replace_text", "field": "prompt", "find": "Line 5: be warm, concise and helpful with every",
                "replace": "Line 5: be warm, brief and helpful with every"}  # fmt: skip
    upsert = {"op": "upsert", "list": "faq_items", "item": {"question": "Question 7: what about topic 7?",
                                                             "answer": "Seven."}}  # fmt: skip
    calls: list[tuple[str, str, dict[str, Any]]] = [
        ("get_assistant", "get_assistant", {"id": a}),
        ("get_assistant fields=[faq_items]", "get_assistant", {"id": a, "fields": ["faq_items"]}),
        ("get_assistant fields=[prompt]", "get_assistant", {"id": a, "fields": ["prompt"]}),
        ("get_assistant faq_query", "get_assistant", {"id": a, "faq_query": "topic 1234?"}),
        ("remove, unknown key (error)", "update_assistant",
         {"id": a, "edits": [{"op": "remove", "list": "faq_items", "key": "Question 12: what about topic 13"}]}),
        ("45-char replace_text", "update_assistant", {"id": a, "edits": [sentence]}),
        ("faq upsert", "update_assistant", {"id": a, "edits": [upsert]}),
        ("list_changes", "list_changes", {"assistant_id": a}),
    ]  # fmt: skip
    rows = [await _sized(client, label, tool, args) for label, tool, args in calls]
    listed = (await client.call_tool("list_changes", {"assistant_id": a})).structured_content or {}
    # The 45-character prompt edit: the change whose diff the issue measured (10.9 KB in list_changes).
    change = next((c["change_id"] for c in listed.get("changes", []) if c["fields"] == ["prompt"]), None)
    later: list[tuple[str, str, dict[str, Any]]] = [
        ("list_changes change_id", "list_changes", {"change_id": change}),
        ("revert_change dry_run", "revert_change", {"change_id": change, "dry_run": True}),
        ("change_impact", "change_impact", {"change_id": change}),
        ("list_assistants", "list_assistants", {}),
        ("list_voices", "list_voices", {}),
        ("list_voices limit=200", "list_voices", {"limit": 200}),
        ("list_phone_numbers", "list_phone_numbers", {}),
        ("search_calls", "search_calls", {}),
        ("search_calls page_size=100", "search_calls", {"page_size": 100}),
        ("get_call max_turns=200", "get_call", {"id": "call_012", "max_turns": 200}),
    ]
    rows += [await _sized(client, label, tool, args) for label, tool, args in later if change or tool != "list_changes"]
    return rows


async def _sized(client: Client, label: str, tool: str, args: dict[str, Any]) -> tuple[str, int, int, int, bool]:
    result = await client.call_tool(tool, args)
    text = "".join(getattr(block, "text", "") for block in result.content)
    structured = result.structured_content
    size = len(json.dumps(structured, ensure_ascii=False, separators=(",", ":")).encode()) if structured else 0
    return label, wire_size(result), len(text.encode()), size, bool(result.is_error)


def print_answer_sizes(rows: list[tuple[str, int, int, int, bool]]) -> None:
    print(f"\nEvery tool's answer on the 3,000-item assistant (95 KB prompt), bytes; ceiling {ANSWER_TARGET:,} for")
    print("the text and for the structured content, each ('wire' is the whole result, both copies, as sent):")
    print(f"  {'call':34} {'wire':>8} {'text':>8} {'structured':>10}")
    for label, wire, text, structured, error in rows:
        over = " OVER" if max(text, structured) > ANSWER_TARGET else ""
        print(f"  {label:34} {wire:>8,} {text:>8,} {structured:>10,}{' (error)' if error else ''}{over}")
    print(f"  largest text {max(r[2] for r in rows):,}; largest structured {max(r[3] for r in rows):,}")


async def main(rounds: int, sizes: list[int], journal: bool) -> int:
    with tempfile.TemporaryDirectory() as folder, sandbox(Path(folder)) as url:
        settings = Settings(api_key=KEY, base_url=url, journal_path=Path(folder) / "journal.db" if journal else None)
        async with (
            Client(build_server(settings)) as client,
            httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {KEY}"}) as http,
        ):
            listed = await client.list_tools()
            tools_list, facing = wire_size(listed), model_facing(listed.tools)
            log = await session(client)
            rows = await growth(client, http, sizes, rounds)
            answers = await answer_sizes(client, http)
    print(f"tools/list on the wire: {tools_list:,} bytes (target <= {TARGETS['tools/list']:,})")
    for tool in listed.tools:
        print(f"  {tool.name:20} {wire_size(tool):>7,} bytes")
    print(f"model-facing part (names, descriptions, input schemas): {facing:,} bytes (target <= 16,000)")
    shapes = model_facing(listed.tools, described=False)
    print(f"  of which without any argument's description (names, tool descriptions, shapes): {shapes:,} bytes")
    print("\nScripted session (bytes per answer):")
    for step, tool, size in log:
        print(f"  {step:30} {tool:18} {size:>8,}")
    total = sum(size for _, _, size in log)
    one_field = next(size for step, tool, size in log if tool == "update_assistant" and "British" in step)
    print(f"  total: {total:,} bytes over {len(log)} answers; a one-field change answers {one_field:,} bytes "
          f"(target <= {TARGETS['one-field change']:,})")  # fmt: skip
    print(f"\nLarge assistant (95 KB prompt, N FAQ items), medians over {rounds} rounds.")
    print("'one field x': to a direct GET + PATCH of that field (target 1.5x); 'faq upsert x': to a direct GET +")
    print("PATCH of the whole list, which the API needs (target 2x). Journal on unless --no-journal.")
    header = ["items", "one field bytes", "faq upsert bytes", "get_assistant bytes", "direct ms", "one field x",
              "faq upsert x"]  # fmt: skip
    print("  " + " | ".join(header))
    for row in rows:
        print("  " + " | ".join(f"{row[h]:,.2f}" if isinstance(row[h], float) else f"{row[h]:,}" for h in header))
    print_answer_sizes(answers)
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--sizes", default="10,300,3000")
    parser.add_argument("--no-journal", action="store_true", help="run the server without its change journal")
    options = parser.parse_args()
    sys.exit(anyio.run(main, options.rounds, [int(s) for s in options.sizes.split(",")], not options.no_journal))
