"""The journalled actions' core (revox_mcp.actions) on both journal backends, against the sandbox over real HTTP,
and through a fault-injecting proxy: a request that lands but whose answer is lost is settled by a re-read,
never journalled "failed"."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from revox_mcp.actions import Action, ActionKind, ActionRunner, RevertContext, reads, register
from revox_mcp.client import RevoxClient
from revox_mcp.config import Settings
from revox_mcp.errors import ApiRejected, NotLanded, RevertRefused, WriteUndecided
from revox_mcp.journal import Journal, JournalEntry, open_journal
from revox_mcp.sandbox import SandboxServer
from tests.conftest import fast_settings
from tests.fault_proxy import FaultProxy, Rule

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(60)]
NUMBER = "pn_01"
PATH = f"/phone-numbers/{NUMBER}"


async def read_number(client: RevoxClient, number_id: str) -> dict[str, Any] | None:
    return next((n for n in await client.list_phone_numbers() if n.get("id") == number_id), None)


def view(number: dict[str, Any]) -> dict[str, Any]:
    inbound = number.get("inbound_assistant")
    return {"label": number.get("label"), "inbound_assistant_id": inbound.get("id") if inbound else None}


async def label_back(ctx: RevertContext) -> Action:
    entry = ctx.entry
    return label_action(entry.target_id or "", str(entry.before.get("label")), entry.after or {})


LABEL = register(
    ActionKind(
        name="test_label",
        target_type="phone_number",
        observe=reads(read_number, view),
        view=view,
        unwrap=lambda answer: answer["phone_number"],
        revert=label_back,
    )
)
NOT_REVERTIBLE = register(
    ActionKind(
        name="test_label_once",
        target_type="phone_number",
        observe=reads(read_number, view),
        view=view,
        unwrap=lambda answer: answer["phone_number"],
        not_revertible="a test kind that says why.",
    )
)


def label_action(number_id: str, label: str, before: dict[str, Any], kind: ActionKind = LABEL) -> Action:
    return Action(
        kind=kind,
        target_id=number_id,
        method="PATCH",
        path=f"/phone-numbers/{number_id}",
        body={"label": label},
        expect={"label": label},
        before={"label": before.get("label")},
        assistant_id=before.get("inbound_assistant_id"),
        fields=["label"],
    )


@pytest.fixture
async def proxy(sandbox: SandboxServer) -> AsyncIterator[FaultProxy]:
    async with FaultProxy(sandbox.url) as running:
        yield running


class Setup:
    def __init__(self, settings: Settings, client: RevoxClient, journal: Journal) -> None:
        self.settings, self.client, self.journal = settings, client, journal
        self.runner = ActionRunner(client, journal)

    async def label(self, label: str, kind: ActionKind = LABEL, **options: Any) -> Any:
        before = view(await read_number(self.client, NUMBER) or {})
        return await self.runner.perform(label_action(NUMBER, label, before, kind), **options)

    async def rows(self) -> list[JournalEntry]:
        entries, _ = await self.journal.page(None, 1, 50)
        return entries


async def _setup(settings: Settings) -> AsyncIterator[Setup]:
    journal = await open_journal(settings)
    try:
        async with RevoxClient(settings) as client:
            yield Setup(settings, client, journal)
    finally:
        await journal.aclose()


@pytest.fixture
async def direct(sandbox: SandboxServer, journal_on: dict[str, Any]) -> AsyncIterator[Setup]:
    async for setup in _setup(fast_settings(sandbox, **journal_on)):
        yield setup


def proxied(proxy: FaultProxy, sandbox: SandboxServer, journal_on: dict[str, Any], **more: Any) -> Settings:
    return fast_settings(sandbox, base_url=proxy.url, **journal_on, **more)


def number_label(sandbox: SandboxServer) -> Any:
    return next(n["label"] for n in sandbox.app.state.sandbox.phone_numbers if n["id"] == NUMBER)


async def test_an_action_is_journalled_pending_then_applied_with_its_kind_target_and_actor(
    direct: Setup, sandbox: SandboxServer
) -> None:
    outcome = await direct.label("Night line", reason="for the night shift", actor="alice")
    assert number_label(sandbox) == "Night line"
    (row,) = await direct.rows()
    assert (row.kind, row.target_type, row.target_id, row.status, row.actor) == (
        "test_label", "phone_number", NUMBER, "applied", "alice"
    )  # fmt: skip
    assert row.before == {"label": "Acme Solar sales line"} and row.after == {
        "label": "Night line", "inbound_assistant_id": None
    }  # fmt: skip
    assert row.body == {"label": "Night line"} and row.reason == "for the night shift"
    assert row.action == {"method": "PATCH", "path": PATH, "expect": {"label": "Night line"}}
    assert outcome.change_id == row.change_id and outcome.after == row.after and not outcome.warnings
    assert await direct.journal.pending() == [], "an action row is never settled as an assistant update"
    assert [e.change_id for e in await direct.journal.of_target("phone_number", NUMBER)] == [row.change_id]


async def test_an_action_the_api_refuses_is_failed_with_its_words(direct: Setup) -> None:
    runner = direct.runner
    bad = Action(LABEL, NUMBER, "PATCH", PATH, {"label": 5}, {"label": 5}, fields=["label"])  # type: ignore[dict-item]
    with pytest.raises(ApiRejected, match="valid string"):
        await runner.perform(bad)
    (row,) = await direct.rows()
    assert row.status == "failed" and "valid string" in (row.status_reason or "")


async def test_a_lost_answer_after_the_request_landed_is_applied_by_a_re_read(
    sandbox: SandboxServer, proxy: FaultProxy, journal_on: dict[str, Any]
) -> None:
    proxy.add(Rule("PATCH", PATH, "forward_then_drop"))
    async for setup in _setup(proxied(proxy, sandbox, journal_on)):
        outcome = await setup.label("Landed anyway")
        (row,) = await setup.rows()
    assert proxy.landed["PATCH"] == 1 and number_label(sandbox) == "Landed anyway"
    assert row.status == "applied" and "a re-read shows it landed" in (row.status_reason or ""), row
    assert any("a re-read shows it landed" in w for w in outcome.warnings)
    assert row.after == {"label": "Landed anyway", "inbound_assistant_id": None}


async def test_a_500_after_the_request_landed_is_applied_not_failed(
    sandbox: SandboxServer, proxy: FaultProxy, journal_on: dict[str, Any]
) -> None:
    proxy.add(Rule("PATCH", PATH, "forward_then_status", status=500))
    async for setup in _setup(proxied(proxy, sandbox, journal_on)):
        await setup.label("Landed under a 500")
        (row,) = await setup.rows()
    assert row.status == "applied" and number_label(sandbox) == "Landed under a 500"


async def test_a_request_that_never_arrived_is_failed_after_its_grace_and_safe_to_send_again(
    sandbox: SandboxServer, proxy: FaultProxy, journal_on: dict[str, Any]
) -> None:
    proxy.add(Rule("PATCH", PATH, "reset"))
    settings = proxied(proxy, sandbox, journal_on, write_grace_s=0.2, settle_wait_max_s=5.0)
    async for setup in _setup(settings):
        with pytest.raises(NotLanded, match="safe to call again"):
            await setup.label("Never arrived")
        (row,) = await setup.rows()
        assert row.status == "failed" and "did not land" in (row.status_reason or "")
        await setup.label("Sent again")  # nothing pending blocks it
    assert proxy.landed["PATCH"] == 1 and number_label(sandbox) == "Sent again"


async def test_an_undecided_request_stays_pending_blocks_the_next_and_is_settled_later(
    sandbox: SandboxServer, proxy: FaultProxy, journal_on: dict[str, Any]
) -> None:
    proxy.add(Rule("PATCH", PATH, "reset"))
    # The grace ends past the wait budget: the outcome cannot be known within the call.
    settings = proxied(proxy, sandbox, journal_on, write_grace_s=30.0, settle_wait_max_s=0.0)
    async for setup in _setup(settings):
        with pytest.raises(WriteUndecided, match="Do not send it again"):
            await setup.label("Maybe")
        (row,) = await setup.rows()
        assert row.status == "pending" and "may still land until" in (row.status_reason or "")
        with pytest.raises(WriteUndecided, match=row.change_id):
            await setup.label("Next one")
        assert proxy.landed["PATCH"] == 0, "nothing goes out over an undecided action"
    # Later (another server, a shorter grace passed): the re-read decides it.
    later = proxied(proxy, sandbox, journal_on, write_grace_s=0.0)
    async for setup in _setup(later):
        await setup.runner.settle_pending()
        assert (await setup.journal.get(row.change_id)).status == "pending", "its own sender's grace decides it"  # type: ignore[union-attr]


async def test_a_row_left_pending_by_a_crash_is_settled_applied_when_its_state_is_there(direct: Setup) -> None:
    # A crash between the request and the row's end: the request landed (sent here directly), the row pending.
    change_id = await direct.journal.begin_action(
        kind="test_label", target_type="phone_number", target_id=NUMBER, assistant_id=None, fields=["label"],
        body={"label": "Crashed"}, before={"label": "Acme Solar sales line"},
        action={"method": "PATCH", "path": PATH, "expect": {"label": "Crashed"}}, reason=None, grace_s=0.0,
    )  # fmt: skip
    await direct.client.write("PATCH", PATH, {"label": "Crashed"})
    await direct.runner.settle_pending()
    row = await direct.journal.get(change_id)
    assert row is not None and row.status == "applied" and "landed" in (row.status_reason or "")


async def test_a_row_of_a_kind_this_release_does_not_know_stays_pending_and_says_so(direct: Setup) -> None:
    change_id = await direct.journal.begin_action(
        kind="newer_kind", target_type="gizmo", target_id="g1", assistant_id=None, fields=[], body={}, before={},
        action={"method": "POST", "path": "/gizmos/g1", "expect": {}}, reason=None, grace_s=0.0,
    )  # fmt: skip
    await direct.runner.settle_pending()
    row = await direct.journal.get(change_id)
    assert row is not None and row.status == "pending" and "unknown to this release" in (row.status_reason or "")


async def test_a_revert_plans_on_a_dry_run_then_undoes_and_is_itself_journalled(
    direct: Setup, sandbox: SandboxServer
) -> None:
    first = await direct.label("Temporary")
    assert first.change_id is not None
    plan = await direct.runner.revert(first.change_id, dry_run=True)
    assert plan.dry_run and plan.after == {"label": "Acme Solar sales line"} and number_label(sandbox) == "Temporary"
    undone = await direct.runner.revert(first.change_id, reason="back", actor="bob")
    assert number_label(sandbox) == "Acme Solar sales line" and undone.reverts == first.change_id
    newest = (await direct.rows())[0]
    shown = (newest.reverts, newest.kind, newest.actor, newest.status)
    assert shown == (first.change_id, "test_label", "bob", "applied")


async def test_a_revert_is_refused_for_a_kind_that_cannot_be_undone_and_for_a_failed_row(direct: Setup) -> None:
    once = await direct.label("Once", kind=NOT_REVERTIBLE)
    with pytest.raises(RevertRefused, match="a test kind that says why"):
        await direct.runner.revert(str(once.change_id))
    bad = Action(LABEL, NUMBER, "PATCH", PATH, {"label": 5}, {"label": 5})  # type: ignore[dict-item]
    with pytest.raises(ApiRejected):
        await direct.runner.perform(bad)
    failed = (await direct.rows())[0]
    with pytest.raises(RevertRefused, match="nothing to undo"):
        await direct.runner.revert(failed.change_id)


async def test_an_sqlite_journal_without_the_action_columns_is_migrated(tmp_path: Path, sandbox: SandboxServer) -> None:
    # The columns are added to a file of the previous release when it is opened (test_journal_times checks that
    # older rows read back as updates); an action then records and reads back in it.
    async for setup in _setup(fast_settings(sandbox, journal_path=tmp_path / "j.db")):
        await setup.label("In a migrated file")
        (row,) = await setup.rows()
    assert row.kind == "test_label"
