"""clone_assistant, create_assistant and update_phone_number end to end: a real MCP client, the server, the
sandbox over real HTTP, the journal on both backends; their reverts through revert_change."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from mcp import Client

from revox_mcp.config import Settings
from revox_mcp.journal import JournalEntry, open_journal
from revox_mcp.policy import Policy
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.seed import RECEPTIONIST_ID, SALES_QUALIFIER_ID
from revox_mcp.schemas import body_schema
from revox_mcp.server import build_server
from tests.conftest import add_fault, fast_settings, mcp_client, stored, text_of, writes
from tests.fault_proxy import FaultProxy, Rule

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(120)]


async def call(client: Client, tool: str, arguments: dict[str, Any]) -> Any:
    return await client.call_tool(tool, arguments)


async def ok(client: Client, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, text_of(result)
    assert result.structured_content is not None
    return result.structured_content


async def journal_rows(settings: Settings) -> list[JournalEntry]:
    journal = await open_journal(settings)
    try:
        return (await journal.page(None, 1, 50))[0]
    finally:
        await journal.aclose()


def numbers(sandbox: SandboxServer) -> dict[str, dict[str, Any]]:
    return {n["id"]: n for n in sandbox.app.state.sandbox.phone_numbers}


def names(sandbox: SandboxServer) -> list[str]:
    return [a["name"] for a in sandbox.store.list()]


@pytest.fixture
def journalled(sandbox: SandboxServer, journal_on: dict[str, Any]) -> Settings:
    return fast_settings(sandbox, **journal_on)


# --- update_phone_number -------------------------------------------------------------------------------------


async def test_a_number_is_routed_journalled_listed_and_routed_back(
    sandbox: SandboxServer, journalled: Settings
) -> None:
    async with mcp_client(journalled) as client:
        first = await ok(client, "list_phone_numbers", {})
        assert first["phone_numbers"][0]["id"] == "pn_01" and first["phone_numbers"][0]["inbound_assistant_id"] is None
        answer = await ok(
            client,
            "update_phone_number",
            {"id": "+14155550100", "inbound_assistant_id": SALES_QUALIFIER_ID, "label": "Solar inbound", "reason": "x"},
        )
        assert answer["inbound_assistant_id"] == SALES_QUALIFIER_ID and answer["change_id"]
        assert {c["path"] for c in answer["changes"]} == {"inbound_assistant_id", "label"}
        assert numbers(sandbox)["pn_01"]["inbound_assistant"] == SALES_QUALIFIER_ID
        listed = await ok(client, "list_phone_numbers", {})
        assert listed["phone_numbers"][0]["inbound_assistant_id"] == SALES_QUALIFIER_ID, "the cached numbers refreshed"
        changes = await ok(client, "list_changes", {"assistant_id": SALES_QUALIFIER_ID})
        row = changes["changes"][0]
        assert (row["kind"], row["target_type"], row["target_id"]) == ("update_phone_number", "phone_number", "pn_01")
        assert {p["path"] for p in row["paths"]} == {"inbound_assistant_id", "label"}
        one = (await ok(client, "list_changes", {"change_id": answer["change_id"]}))["changes"][0]
        assert {(c["path"], c["before"], c["after"]) for c in one["changes"]} == {
            ("inbound_assistant_id", None, SALES_QUALIFIER_ID),
            ("label", "Acme Solar sales line", "Solar inbound"),
        }
        undone = await ok(client, "revert_change", {"change_id": answer["change_id"]})
        assert undone["kind"] == "update_phone_number" and undone["target_id"] == "pn_01"
        # A number's revert names the number, not the assistant it routed to (no assistant was changed).
        assert (undone["target_type"], undone["assistant_id"], undone["updated_at"]) == ("phone_number", None, None)
        marked = (await ok(client, "list_changes", {"change_id": answer["change_id"]}))["changes"][0]
        assert marked["reverted_by"] == undone["change_id"], "list_changes says the change no longer stands"
        again = (await ok(client, "list_phone_numbers", {}))["phone_numbers"][0]
        assert (again["inbound_assistant_id"], again["label"]) == (None, "Acme Solar sales line"), "refreshed on revert"
    number = numbers(sandbox)["pn_01"]
    assert (number["inbound_assistant"], number["label"]) == (None, "Acme Solar sales line")
    rows = await journal_rows(journalled)
    assert [(r.kind, r.status, r.reverts) for r in rows] == [
        ("update_phone_number", "applied", answer["change_id"]),
        ("update_phone_number", "applied", None),
    ]
    assert rows[1].before == {"inbound_assistant_id": None, "label": "Acme Solar sales line"} and rows[1].reason == "x"


async def test_a_number_dry_run_writes_nothing(sandbox: SandboxServer, settings: Settings) -> None:
    async with mcp_client(settings) as client:
        answer = await ok(client, "update_phone_number", {"id": "pn_02", "inbound_assistant_id": None, "dry_run": True})
        empty = await ok(client, "update_phone_number", {"id": "pn_02", "inbound_assistant_id": "", "dry_run": True})
    assert answer["dry_run"] and answer["inbound_assistant_id"] is None and answer["change_id"] is None
    assert [c["path"] for c in answer["changes"]] == ["inbound_assistant_id"] and empty["changes"] == answer["changes"]
    assert any("no assistant answers it now" in w for w in answer["warnings"])
    assert numbers(sandbox)["pn_02"]["inbound_assistant"] == RECEPTIONIST_ID and writes(sandbox) == []


async def test_bad_number_arguments_are_refused_with_the_nearest_names(
    sandbox: SandboxServer, settings: Settings
) -> None:
    async with mcp_client(settings) as client:
        unknown = await call(client, "update_phone_number", {"id": "pn_01", "inbound_assistant_id": "asst_sales"})
        assert unknown.is_error and "Solar lead qualifier" in text_of(unknown), text_of(unknown)
        nowhere = await call(client, "update_phone_number", {"id": "pn_9", "label": "x"})
        assert nowhere.is_error and "pn_01" in text_of(nowhere)
        empty = await call(client, "update_phone_number", {"id": "pn_01"})
        assert empty.is_error and "inbound_assistant_id, label, or both" in text_of(empty)
        same = await ok(client, "update_phone_number", {"id": "pn_02", "inbound_assistant_id": RECEPTIONIST_ID})
        assert same["changes"] == [] and same["change_id"] is None
    assert writes(sandbox) == []


async def test_a_number_changed_again_is_not_routed_back_unless_forced(
    sandbox: SandboxServer, journalled: Settings
) -> None:
    async with mcp_client(journalled) as client:
        first = await ok(client, "update_phone_number", {"id": "pn_03", "label": "One"})
        await ok(client, "update_phone_number", {"id": "pn_03", "label": "Two"})
        refused = await call(client, "revert_change", {"change_id": first["change_id"]})
        assert refused.is_error and "changed again" in text_of(refused)
        await ok(client, "revert_change", {"change_id": first["change_id"], "force": True})
    assert numbers(sandbox)["pn_03"]["label"] == "Ops caller id"


# --- clone_assistant -----------------------------------------------------------------------------------------


async def test_a_clone_with_a_patch_is_a_patched_copy_journalled_twice_and_reverted_by_a_delete(
    sandbox: SandboxServer, journalled: Settings
) -> None:
    source = stored(sandbox, RECEPTIONIST_ID)
    async with mcp_client(journalled) as client:
        answer = await ok(
            client,
            "clone_assistant",
            {"id": RECEPTIONIST_ID, "name": "Receptionist (es)", "patch": {"first_sentence": "¡Hola!"},
             "edits": [{"op": "replace_text", "field": "prompt", "find": "You are", "replace": "Eres"}],
             "reason": "a Spanish version"},
        )  # fmt: skip
        copy_id = answer["assistant_id"]
        assert copy_id and copy_id != RECEPTIONIST_ID and answer["name"] == "Receptionist (es)"
        assert answer["update_change_id"] and answer["change_id"] and answer["source_id"] == RECEPTIONIST_ID
        made = stored(sandbox, copy_id)
        assert made["first_sentence"] == "¡Hola!" and made["prompt"].startswith("Eres")
        assert made["faq_items"] and [f["question"] for f in made["faq_items"]] == [
            f["question"] for f in source["faq_items"]
        ]
        assert stored(sandbox, RECEPTIONIST_ID) == source, "the source is untouched"
        plan = await ok(client, "revert_change", {"change_id": answer["change_id"], "dry_run": True})
        assert plan["dry_run"] and any(
            f"Deletes assistant 'Receptionist (es)' ({copy_id})" in w for w in plan["warnings"]
        )
        assert any("changed since it was created" in w for w in plan["warnings"])
        assert sandbox.store.get(copy_id) is not None
        deleted = await ok(client, "revert_change", {"change_id": answer["change_id"]})
        assert deleted["kind"] == "delete_assistant" and sandbox.store.get(copy_id) is None
        again = await call(client, "revert_change", {"change_id": answer["change_id"]})
        assert again.is_error and f"already reverted by {deleted['change_id']}" in text_of(again)
        undelete = await call(client, "revert_change", {"change_id": deleted["change_id"]})
        assert undelete.is_error and "cannot be restored" in text_of(undelete)
    rows = await journal_rows(journalled)
    assert [(r.kind, r.status, r.target_id) for r in rows] == [
        ("delete_assistant", "applied", copy_id),
        ("update", "applied", copy_id),
        ("clone_assistant", "applied", copy_id),
    ]
    clone_row = rows[2]
    assert clone_row.before == {"source_id": RECEPTIONIST_ID, "source_name": source["name"]}
    assert clone_row.reason == "a Spanish version" and rows[1].fields == ["first_sentence", "name", "prompt"]


async def test_a_clone_without_a_patch_takes_the_api_name(sandbox: SandboxServer, settings: Settings) -> None:
    async with mcp_client(settings) as client:
        answer = await ok(client, "clone_assistant", {"id": SALES_QUALIFIER_ID})
    assert answer["name"] == "Solar lead qualifier (outbound) (Copy)" and answer["update_change_id"] is None
    assert stored(sandbox, answer["assistant_id"])["prompt"] == stored(sandbox, SALES_QUALIFIER_ID)["prompt"]


async def test_a_clone_dry_run_checks_the_patch_on_the_source_and_creates_nothing(
    sandbox: SandboxServer, settings: Settings
) -> None:
    before = names(sandbox)
    async with mcp_client(settings) as client:
        answer = await ok(
            client, "clone_assistant", {"id": RECEPTIONIST_ID, "patch": {"voice": {"speed": 1.2}}, "dry_run": True}
        )
        assert answer["dry_run"] and answer["assistant_id"] is None and answer["fields"] == ["voice"]
        bad = await call(client, "clone_assistant", {"id": RECEPTIONIST_ID, "patch": {"first_sentence_mode": "loud"}})
        assert bad.is_error and "patch.first_sentence_mode" in text_of(bad), text_of(bad)
        unknown = await call(client, "clone_assistant", {"id": "asst_nobody"})
        assert unknown.is_error and "asst_nobody" in text_of(unknown)
        both = await call(client, "clone_assistant", {"id": RECEPTIONIST_ID, "name": "A", "patch": {"name": "B"}})
        assert both.is_error and "name" in text_of(both)
    assert names(sandbox) == before and writes(sandbox) == []


async def test_a_copy_whose_patch_fails_says_it_exists_and_holds_the_source(
    sandbox: SandboxServer, journalled: Settings
) -> None:
    # The copy is made, then the API refuses the patch on it (the first PATCH of any assistant).
    add_fault(sandbox, method="PATCH", path="/assistants/*", status=400, body={"message": "first_sentence: refused"})
    async with mcp_client(journalled) as client:
        result = await call(client, "clone_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"first_sentence": "Hi"}})
    text = text_of(result)
    assert result.is_error and "The copy was created: assistant" in text and "the patch was not applied" in text
    rows = await journal_rows(journalled)
    copy_id = next(r.target_id for r in rows if r.kind == "clone_assistant")
    assert copy_id and copy_id in text and f"revert_change {rows[-1].change_id}" in text
    copy = stored(sandbox, str(copy_id))
    assert copy["first_sentence"] == stored(sandbox, SALES_QUALIFIER_ID)["first_sentence"]
    assert [(r.kind, r.status) for r in rows] == [("update", "failed"), ("clone_assistant", "applied")]


async def test_a_copy_a_number_routes_calls_to_is_not_deleted(sandbox: SandboxServer, journalled: Settings) -> None:
    async with mcp_client(journalled) as client:
        made = await ok(client, "clone_assistant", {"id": SALES_QUALIFIER_ID})
        await ok(client, "update_phone_number", {"id": "pn_01", "inbound_assistant_id": made["assistant_id"]})
        refused = await call(client, "revert_change", {"change_id": made["change_id"]})
        assert refused.is_error and "+14155550100" in text_of(refused) and "update_phone_number" in text_of(refused)
    assert sandbox.store.get(made["assistant_id"]) is not None


async def test_only_what_this_server_created_is_deleted(sandbox: SandboxServer, journalled: Settings) -> None:
    async with mcp_client(journalled) as client:
        update = await ok(client, "update_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"first_sentence": "Hey"}})
        # Reverting an update restores values; it never deletes the assistant.
        await ok(client, "revert_change", {"change_id": update["change_id"]})
        nothing = await call(client, "revert_change", {"change_id": "chg_not_here"})
        assert nothing.is_error
    assert sandbox.store.get(SALES_QUALIFIER_ID) is not None
    assert not any(r.method == "DELETE" for r in writes(sandbox))


# --- create_assistant ----------------------------------------------------------------------------------------


async def test_an_assistant_is_created_journalled_and_deleted_by_its_revert(
    sandbox: SandboxServer, journalled: Settings
) -> None:
    config = {"name": "Night line", "prompt": "Answer after hours.", "first_sentence": "Good evening."}
    async with mcp_client(journalled) as client:
        answer = await ok(client, "create_assistant", {"assistant": config, "reason": "after-hours"})
        new_id = answer["assistant_id"]
        assert stored(sandbox, new_id)["first_sentence"] == "Good evening." and answer["fields"] == sorted(config)
        listed = await ok(client, "list_changes", {"assistant_id": new_id})
        assert [c["kind"] for c in listed["changes"]] == ["create_assistant"]
        await ok(client, "revert_change", {"change_id": answer["change_id"]})
    assert sandbox.store.get(new_id) is None
    rows = await journal_rows(journalled)
    assert [(r.kind, r.target_id) for r in rows] == [("delete_assistant", new_id), ("create_assistant", new_id)]
    assert rows[1].body["prompt"] == "Answer after hours." and rows[1].reason == "after-hours"


async def test_a_create_is_validated_as_an_update_and_a_dry_run_creates_nothing(
    sandbox: SandboxServer, settings: Settings
) -> None:
    before = names(sandbox)
    async with mcp_client(settings) as client:
        missing = await call(client, "create_assistant", {"assistant": {"name": "No prompt"}})
        assert missing.is_error and "assistant.prompt" in text_of(missing), text_of(missing)
        bad = await call(
            client,
            "create_assistant",
            {"assistant": {"name": "n", "prompt": "p", "voice": {"id": "nope", "provider": "cartesia"}}},
        )
        assert bad.is_error and "voice.id" in text_of(bad), text_of(bad)
        zone = await call(
            client,
            "create_assistant",
            {"assistant": {"name": "n", "prompt": "p", "call_retry_config": {
                "allowed_days": ["monday"], "call_twice_in_a_row": False, "calling_windows": [],
                "max_retry_attempts": 2, "timezone": "localtime"}}},
        )  # fmt: skip
        assert zone.is_error and "timezone" in text_of(zone), text_of(zone)
        dry = await ok(client, "create_assistant", {"assistant": {"name": "n", "prompt": "p"}, "dry_run": True})
        assert dry["dry_run"] and dry["assistant_id"] is None
    assert names(sandbox) == before and writes(sandbox) == []


async def test_denied_fields_hold_for_creates_and_clone_patches(sandbox: SandboxServer, settings: Settings) -> None:
    rules = Policy.load(env={}, known=body_schema(), deny="webhook_url")
    async with mcp_client(settings, server=build_server(settings, rules)) as client:
        create = await call(
            client, "create_assistant", {"assistant": {"name": "n", "prompt": "p", "webhook_url": "https://x.example"}}
        )
        assert create.is_error and "assistant.webhook_url" in text_of(create), text_of(create)
        clone = await call(
            client, "clone_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"webhook_url": "https://x.example"}}
        )
        assert clone.is_error and "webhook_url" in text_of(clone), text_of(clone)
    assert writes(sandbox) == []


async def test_read_only_offers_none_of_these_writes(settings: Settings) -> None:
    rules = Policy.load(env={}, known=body_schema(), read_only=True)
    async with mcp_client(settings, server=build_server(settings, rules)) as client:
        listed = {t.name for t in (await client.list_tools()).tools}
    assert not {"clone_assistant", "create_assistant", "update_phone_number"} & listed
    assert "list_phone_numbers" in listed


# --- answers lost on the way: a re-read decides ----------------------------------------------------------------


@pytest.fixture
async def proxy(sandbox: SandboxServer) -> AsyncIterator[FaultProxy]:
    async with FaultProxy(sandbox.url) as running:
        yield running


async def test_a_clone_whose_answer_is_lost_claims_no_copy_and_patches_none(
    sandbox: SandboxServer, proxy: FaultProxy, journal_on: dict[str, Any]
) -> None:
    # The API keeps nothing that proves which copy a request made (a clone takes no body): a lost answer is
    # undecided, and the patch is written to no copy (it could be another agent's).
    settings = fast_settings(sandbox, base_url=proxy.url, **journal_on)
    async with mcp_client(settings) as client:
        earlier = await ok(client, "clone_assistant", {"id": SALES_QUALIFIER_ID})  # a copy of the same name exists
        proxy.add(Rule("POST", f"/assistants/{SALES_QUALIFIER_ID}/clone", "forward_then_drop"))
        lost = await call(client, "clone_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"first_sentence": "Copy!"}})
    assert lost.is_error and "Do not send it again" in text_of(lost) and "cannot be proven" in text_of(lost)
    assert proxy.landed["POST"] == 2 and sandbox.store.get(earlier["assistant_id"]) is not None
    copies = [a for a in sandbox.store.list() if a["name"].endswith("(Copy)")]
    assert len(copies) == 2 and all(a["first_sentence"] != "Copy!" for a in copies)
    rows = await journal_rows(settings)
    assert [(r.kind, r.status, r.target_id) for r in rows[:2]] == [
        ("clone_assistant", "pending", None),
        ("clone_assistant", "applied", earlier["assistant_id"]),
    ]


async def test_a_create_whose_answer_is_lost_is_undecided_and_one_never_delivered_is_failed(
    sandbox: SandboxServer, proxy: FaultProxy, journal_on: dict[str, Any]
) -> None:
    settings = fast_settings(sandbox, base_url=proxy.url, write_grace_s=0.2, **journal_on)
    config = {"name": "Lost answer", "prompt": "p"}
    async with mcp_client(settings) as client:
        proxy.add(Rule("POST", "/assistants", "forward_then_drop"))
        lost = await call(client, "create_assistant", {"assistant": config})
        assert lost.is_error and "cannot be proven" in text_of(lost), text_of(lost)
        assert "Lost answer" in names(sandbox)  # it landed, but nothing proves it is this request's
        proxy.add(Rule("POST", "/assistants", "reset"))
        never = await call(client, "create_assistant", {"assistant": {**config, "name": "Never sent"}})
        assert never.is_error and "safe to call again" in text_of(never), text_of(never)
    assert "Never sent" not in names(sandbox)
    rows = await journal_rows(settings)
    assert [(r.kind, r.status, r.target_id) for r in rows] == [
        ("create_assistant", "failed", None),
        ("create_assistant", "pending", None),
    ]


async def test_a_created_assistant_deleted_elsewhere_is_not_deleted_again(
    sandbox: SandboxServer, journalled: Settings
) -> None:
    async with mcp_client(journalled) as client:
        made = await ok(client, "create_assistant", {"assistant": {"name": "Short-lived", "prompt": "p"}})
        sandbox.store.delete(made["assistant_id"])
        refused = await call(client, "revert_change", {"change_id": made["change_id"]})
    assert refused.is_error and "no longer exists" in text_of(refused)
    assert not any(r.method == "DELETE" for r in writes(sandbox))


async def test_a_patched_clone_reports_progress_that_only_grows(sandbox: SandboxServer, settings: Settings) -> None:
    seen: list[tuple[float, float | None, str | None]] = []

    async def steps(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total, message))

    async with mcp_client(settings) as client:
        result = await client.call_tool(
            "clone_assistant", {"id": SALES_QUALIFIER_ID, "patch": {"first_sentence": "Hi"}}, progress_callback=steps
        )
    assert not result.is_error, text_of(result)
    done = [p for p, _, _ in seen]
    assert done == sorted(set(done)) and done[-1] == seen[-1][1] == 7, seen
    assert any("Copied" in (m or "") for _, _, m in seen)


async def test_routing_a_number_says_who_calls_from_it_and_that_a_verified_caller_id_takes_no_calls(
    sandbox: SandboxServer, settings: Settings
) -> None:
    async with mcp_client(settings) as client:
        callers = await ok(
            client, "update_phone_number", {"id": "pn_01", "inbound_assistant_id": RECEPTIONIST_ID, "dry_run": True}
        )
        (said,) = [w for w in callers["warnings"] if "caller id of" in w]
        assert f"assistant 'Solar lead qualifier (outbound)' ({SALES_QUALIFIER_ID})" in said
        assert "campaign 'March solar leads'" in said and "people calling back reach the new assistant" in said
        verified = await ok(
            client, "update_phone_number", {"id": "pn_03", "inbound_assistant_id": RECEPTIONIST_ID, "dry_run": True}
        )
        assert any("is a verified caller id" in w for w in verified["warnings"])
        label = await ok(client, "update_phone_number", {"id": "pn_01", "label": "Front desk", "dry_run": True})
        assert label["warnings"] == [], "a label change routes nothing"
