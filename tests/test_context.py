"""The context around an update: voices, phone numbers, calls, checks against the catalogs, the prompt."""

from __future__ import annotations

from typing import Any

import pytest
from mcp.shared.exceptions import MCPError
from mcp_types import CallToolResult

from revox_mcp.config import Settings
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.seed import RECEPTIONIST_ID, REMINDER_ID, SALES_QUALIFIER_ID
from tests.conftest import add_fault, fast_settings, mcp_client, requests_to, stored, text_of, writes

pytestmark = pytest.mark.anyio
SALES = SALES_QUALIFIER_ID


async def call(settings: Settings, tool: str, arguments: dict[str, Any]) -> CallToolResult:
    async with mcp_client(settings) as client:
        return await client.call_tool(tool, arguments)


async def answer(settings: Settings, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await call(settings, tool, arguments)
    assert not result.is_error, text_of(result)
    assert result.structured_content is not None
    return result.structured_content


# --- catalogs -----------------------------------------------------------------------------------------


async def test_list_voices_filters(settings: Settings) -> None:
    everything = await answer(settings, "list_voices", {"limit": 200})
    assert everything["total"] == len(everything["voices"]) >= 30
    assert {v["provider"] for v in everything["voices"]} == {"cartesia", "elevenlabs", "gradium"}
    british_women = await answer(settings, "list_voices", {"language": "en", "gender": "female", "accent": "British"})
    assert british_women["voices"] and all(
        v["accent"] == "british" and v["gender"] == "female" for v in british_women["voices"]
    )
    sonic35 = await answer(settings, "list_voices", {"provider": "cartesia", "model": "sonic-3.5"})
    assert all(v["model_compat"] in ("universal", "sonic-3.5") for v in sonic35["voices"])
    assert "Confident British Man" not in {v["name"] for v in sonic35["voices"]}
    cloned = await answer(settings, "list_voices", {"cloned": True})
    assert [v["name"] for v in cloned["voices"]] == ["Maya (cloned)"]
    warm = await answer(settings, "list_voices", {"query": "warm british", "limit": 3})
    assert len(warm["voices"]) == 3 and warm["total"] > 3
    assert all("warm" in (v["description"] + v["name"]).lower() for v in warm["voices"])


async def test_list_phone_numbers(settings: Settings) -> None:
    numbers = (await answer(settings, "list_phone_numbers", {}))["phone_numbers"]
    assert [n["phone_number"] for n in numbers] == ["+14155550100", "+33478000000", "+14155550177"]
    reception = numbers[1]
    assert (
        reception["inbound_assistant_id"] == RECEPTIONIST_ID and "Bright Smile" in reception["inbound_assistant_name"]
    )


# --- calls ----------------------------------------------------------------------------------------------


async def test_search_calls_filters_pages_and_counts(settings: Settings, sandbox: SandboxServer) -> None:
    # The sales qualifier's 30 calls of the history and its campaigns' row calls (in the call store too).
    of_rows = [c for c in sandbox.app.state.sandbox.calls if c["campaign"] and c["assistant"]["id"] == SALES]
    total = 30 + len([c for c in of_rows if c["id"].startswith("call_row_")])
    sales = await answer(settings, "search_calls", {"assistant_id": SALES, "page_size": 40})
    assert sales["total"] == total > 40 and len(sales["calls"]) == 40 and sales["next_page"] == 2
    assert {c["assistant_id"] for c in sales["calls"]} == {SALES}
    assert sum(sales["counts"]["result"].values()) == total, "the counts are over every match"
    stamps = [c["created_at"] for c in sales["calls"]]
    assert stamps == sorted(stamps, reverse=True)

    voicemail = await answer(settings, "search_calls", {"assistant_id": SALES, "results": ["voicemail"]})
    assert voicemail["total"] == sales["counts"]["result"]["voicemail"]
    result = await call(settings, "search_calls", {"assistant_id": SALES, "results": ["voicemail"]})
    assert f"{voicemail['total']} call(s) match" in text_of(result)

    inbound = await answer(settings, "search_calls", {"direction": "inbound", "page_size": 5})
    assert inbound["total"] == 18 and len(inbound["calls"]) == 5 and inbound["next_page"] == 2
    page4 = await answer(settings, "search_calls", {"direction": "inbound", "page_size": 5, "page": 4})
    assert len(page4["calls"]) == 3 and page4["next_page"] is None

    interested = await answer(settings, "search_calls", {"outcomes": ["interested"]})
    assert interested["total"] > 0 and {c["outcome"] for c in interested["calls"]} == {"interested"}
    swollen = await answer(settings, "search_calls", {"query": "swollen"})
    assert swollen["total"] > 0 and all(c["assistant_id"] == RECEPTIONIST_ID for c in swollen["calls"])


async def test_search_calls_by_date_range(settings: Settings) -> None:
    listed = await answer(settings, "search_calls", {"page_size": 100})
    everything = listed["calls"]  # as many as fit the answer ceiling; total counts them all
    middle = everything[len(everything) // 2]["created_at"]
    newer = await answer(settings, "search_calls", {"created_after": middle, "page_size": 100})
    older = await answer(settings, "search_calls", {"created_before": middle, "page_size": 100})
    assert newer["total"] + older["total"] == listed["total"]
    assert all(c["created_at"] >= middle for c in newer["calls"])
    bad = await call(settings, "search_calls", {"created_after": "last tuesday"})
    assert bad.is_error and "ISO-8601" in text_of(bad)


async def test_a_retried_call_reads_most_recent_attempt_first(settings: Settings) -> None:
    # call_012 was not answered the first time and reached the lead two hours later (the API lists
    # attempts most recent first).
    data = await answer(settings, "get_call", {"id": "call_012", "max_turns": 200})
    assert [a["id"] for a in data["call"]["attempts"]] == ["att_012", "att_012_0"]
    assert [a["result"] for a in data["call"]["attempts"]] == ["human", "unknown"]
    assert {t["attempt_id"] for t in data["transcript"]} == {"att_012"}
    assert data["call"]["assistant_id"] == SALES and "assistant" not in data["call"]
    (row,) = (await answer(settings, "search_calls", {"query": "call_012"}))["calls"]
    assert (row["result"], row["outcome"]) == ("human", "interested")


async def test_calls_without_an_outcome_are_found_as_none(settings: Settings) -> None:
    found = await answer(settings, "search_calls", {"outcomes": ["none"], "page_size": 100})
    assert found["total"] > 0 and {c["outcome"] for c in found["calls"]} == {"none"}, "one spelling of no outcome"
    assert found["counts"]["outcome"] == {"none": found["total"]}
    # From a walkthrough: get_call said null where search_calls said "none".
    one = await answer(settings, "get_call", {"id": found["calls"][0]["id"]})
    assert one["call"]["outcome"] == "none"


async def test_get_call_pages_its_transcript(settings: Settings) -> None:
    interested = (await answer(settings, "search_calls", {"outcomes": ["interested"]}))["calls"][0]
    first = await call(settings, "get_call", {"id": interested["id"], "max_turns": 4})
    data = first.structured_content
    assert data is not None and data["transcript_total_turns"] > 4
    assert [t["index"] for t in data["transcript"]] == [0, 1, 2, 3] and data["next_turn_offset"] == 4
    assert "turn_offset=4" in text_of(first)
    assert data["call"]["attempts"][0]["structured_output"]["is_homeowner"] is True
    assert "transcript" not in data["call"]["attempts"][0]
    rest = await answer(settings, "get_call", {"id": interested["id"], "turn_offset": 4, "max_turns": 200})
    assert rest["transcript"][0]["index"] == 4 and rest["next_turn_offset"] is None
    missing = await call(settings, "get_call", {"id": "call_999"})
    assert missing.is_error and "search_calls" in text_of(missing)


# --- checks against the catalogs in update_assistant -------------------------------------------------------


async def test_an_unknown_voice_is_refused_with_the_closest_voices(sandbox: SandboxServer, settings: Settings) -> None:
    result = await call(settings, "update_assistant", {"id": RECEPTIONIST_ID, "patch": {"voice": {"id": "Rachell"}}})
    text = text_of(result)
    assert result.is_error and "- patch.voice.id:" in text and "elevenlabs voice in the catalog" in text
    assert "'Rachel' (id 21m00Tcm4TlvDq8ikWAM" in text and text.count("(id ") == 3
    assert writes(sandbox) == []


async def test_a_voice_of_another_provider_is_refused(sandbox: SandboxServer, settings: Settings) -> None:
    patch = {"voice": {"id": "21m00Tcm4TlvDq8ikWAM", "provider": "cartesia"}}
    result = await call(settings, "update_assistant", {"id": SALES, "patch": patch})
    assert result.is_error and "set provider to 'elevenlabs'" in text_of(result)
    assert writes(sandbox) == []


async def test_a_cartesia_voice_must_match_the_model(sandbox: SandboxServer, settings: Settings) -> None:
    # "Confident British Man" works only with sonic-3; the sales assistant keeps its model unless told.
    only_sonic3 = {"voice": {"id": "63ff761f-c1e8-414b-b969-d1833d1c870c", "model": "sonic-3.5"}}
    result = await call(settings, "update_assistant", {"id": SALES, "patch": only_sonic3})
    assert result.is_error and "- patch.voice.model:" in text_of(result) and "'sonic-3'" in text_of(result)
    assert writes(sandbox) == []
    ok = await call(
        settings, "update_assistant", {"id": SALES, "patch": {"voice": {**only_sonic3["voice"], "model": "sonic-3"}}}
    )
    assert not ok.is_error, text_of(ok)


async def test_a_foreign_caller_id_is_refused_and_a_looping_transfer_warned(
    sandbox: SandboxServer, settings: Settings
) -> None:
    foreign = await call(settings, "update_assistant", {"id": SALES, "patch": {"from_phone_number": "+12125550000"}})
    assert foreign.is_error and "+14155550100 (Acme Solar sales line)" in text_of(foreign)
    loop = [{"label": "Me", "phone_number": "+14155550100"}]
    assert writes(sandbox) == []
    # Nothing outside revox-mcp forbids a transfer to the assistant's own number: a warning, not a refusal.
    # (The seeded assistant has no transfer_destinations at all: the list is set whole, an edit of a list the
    # read lacks is refused.)
    looping = await call(
        settings, "update_assistant", {"id": SALES, "patch": {"transfer_destinations": loop}, "dry_run": True}
    )
    assert not looping.is_error, text_of(looping)
    warnings = looping.structured_content["warnings"]  # type: ignore[index]
    assert any("transfer_destinations[0].phone_number is the assistant's own outbound number" in w for w in warnings)


async def test_a_failing_catalog_does_not_block_the_update(sandbox: SandboxServer, settings: Settings) -> None:
    add_fault(sandbox, method="GET", path="/voices", status=503, times=-1)
    add_fault(sandbox, method="GET", path="/phone-numbers", status=503, times=-1)
    patch = {"voice": {"id": "79a125e8-cd45-4c13-8a67-188112f4dd22"}, "from_phone_number": "+14155550177"}
    result = await call(settings, "update_assistant", {"id": SALES, "patch": patch})
    assert not result.is_error, text_of(result)
    warnings = result.structured_content["warnings"]  # type: ignore[index]
    assert any("voice was not checked" in w for w in warnings)
    assert any("from_phone_number was not checked" in w for w in warnings)
    assert stored(sandbox, SALES)["voice"]["id"] == "79a125e8-cd45-4c13-8a67-188112f4dd22"


async def test_the_catalog_is_cached_between_updates(sandbox: SandboxServer) -> None:
    settings = fast_settings(sandbox)
    voices = ["79a125e8-cd45-4c13-8a67-188112f4dd22", "f786b574-daa5-4673-aa0c-cbe3e8534c02"]
    async with mcp_client(settings) as client:
        for voice_id in voices * 2:
            result = await client.call_tool("update_assistant", {"id": SALES, "patch": {"voice": {"id": voice_id}}})
            assert not result.is_error, text_of(result)
    assert len([r for r in requests_to(sandbox, "GET") if r.path == "/voices"]) == 1


async def test_a_miss_in_an_old_cache_fetches_the_catalog_again(sandbox: SandboxServer) -> None:
    settings = fast_settings(sandbox, catalog_ttl_s=3600)
    async with mcp_client(settings) as client:
        await client.call_tool("list_voices", {})
        sandbox.app.state.sandbox.voices.append(
            {
                "id": "brand-new-voice",
                "name": "Fresh",
                "provider": "gradium",
                "language": "fr",
                "accent": None,
                "gender": "female",
                "isCloned": True,
                "description": "Cloned a minute ago",
            }
        )
        result = await client.call_tool(
            "update_assistant", {"id": REMINDER_ID, "patch": {"voice": {"id": "brand-new-voice"}}}
        )
    assert not result.is_error, text_of(result)
    assert len([r for r in requests_to(sandbox, "GET") if r.path == "/voices"]) == 2


# --- the tuning prompt ------------------------------------------------------------------------------------


async def test_the_tune_assistant_prompt(settings: Settings) -> None:
    async with mcp_client(settings) as client:
        prompts = (await client.list_prompts()).prompts
        assert [p.name for p in prompts] == ["tune_assistant", "auto_tune_assistant"]
        result = await client.get_prompt("tune_assistant", {"assistant_id": SALES, "goal": "fewer voicemails"})
        text = result.messages[0].content.text  # type: ignore[union-attr]
        for step in (
            "get_assistant",
            "search_calls",
            "get_call",
            "replace_text",
            "dry_run",
            "expected_updated_at",
            "reason",
            "change_impact",
            "place_test_call",
        ):
            assert step in text
        assert SALES in text and "fewer voicemails" in text
        auto = await client.get_prompt("auto_tune_assistant", {"assistant_id": SALES, "goal": "fewer voicemails"})
        rules = auto.messages[0].content.text  # type: ignore[union-attr]
        assert "One change at a time" in rules and '"worse": revert_change' in rules and "policy" in rules
        with pytest.raises(MCPError, match="goal"):
            await client.get_prompt("tune_assistant", {"assistant_id": SALES})
