"""RevoxClient over real HTTP against the sandbox: answers, error mapping, retries, secrecy."""

from __future__ import annotations

import time

import pytest

from revox_mcp.client import RevoxClient
from revox_mcp.config import Settings
from revox_mcp.errors import (
    ApiRejected,
    ApiTimeout,
    ApiUnreachable,
    AuthFailed,
    ConfigError,
    NotFound,
    RateLimited,
    ServerFault,
)
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.seed import SALES_QUALIFIER_ID, SEED_ASSISTANTS
from tests.conftest import add_fault, fast_settings, requests_to

pytestmark = pytest.mark.anyio
PATH = f"/assistants/{SALES_QUALIFIER_ID}"


async def test_get_update_and_list(settings: Settings) -> None:
    async with RevoxClient(settings) as client:
        assistant = await client.get_assistant(SALES_QUALIFIER_ID)
        assert assistant["id"] == SALES_QUALIFIER_ID
        updated = await client.update_assistant(SALES_QUALIFIER_ID, {"first_sentence": "Hello!"})
        assert updated["assistant"]["first_sentence"] == "Hello!"
        assert [a["id"] for a in await client.list_assistants()] == [s["id"] for s in SEED_ASSISTANTS]


async def test_wrong_key_is_auth_failed_and_the_message_names_the_env_var(sandbox: SandboxServer) -> None:
    async with RevoxClient(fast_settings(sandbox, api_key="sk-wrong-123456")) as client:
        with pytest.raises(AuthFailed, match="REVOX_API_KEY") as caught:
            await client.get_assistant(SALES_QUALIFIER_ID)
    assert "sk-wrong-123456" not in str(caught.value)


async def test_no_key_is_a_config_error_before_any_request(sandbox: SandboxServer) -> None:
    async with RevoxClient(fast_settings(sandbox, api_key=None)) as client:
        with pytest.raises(ConfigError, match="REVOX_API_KEY"):
            await client.get_assistant(SALES_QUALIFIER_ID)
    assert sandbox.app.state.sandbox.requests == []


async def test_unknown_id_is_not_found(settings: Settings) -> None:
    async with RevoxClient(settings) as client:
        with pytest.raises(NotFound) as caught:
            await client.update_assistant("does-not-exist", {"name": "x"})
    assert (caught.value.kind, caught.value.id, caught.value.status) == ("assistant", "does-not-exist", 404)


async def test_a_400_carries_the_apis_message_and_field(settings: Settings) -> None:
    async with RevoxClient(settings) as client:
        with pytest.raises(ApiRejected) as caught:
            await client.update_assistant(SALES_QUALIFIER_ID, {"voice": {"speed": 1.1}})
    assert caught.value.status == 400
    assert caught.value.field == "voice.id"
    assert "Field required" in caught.value.message


async def test_429_then_success_waits_the_retry_after(sandbox: SandboxServer, settings: Settings) -> None:
    add_fault(sandbox, method="PATCH", path=PATH, status=429, headers={"Retry-After": "1"})
    async with RevoxClient(settings) as client:
        started = time.monotonic()
        updated = await client.update_assistant(SALES_QUALIFIER_ID, {"name": "After retry"})
        waited = time.monotonic() - started
    assert updated["assistant"]["name"] == "After retry"
    assert waited >= 0.95, "the client must wait out Retry-After"
    assert [r.status for r in requests_to(sandbox, "PATCH")] == [429, 200]


async def test_retry_after_beyond_the_cap_is_not_waited_out(sandbox: SandboxServer, settings: Settings) -> None:
    add_fault(sandbox, method="GET", path=PATH, status=429, headers={"Retry-After": "3600"})
    async with RevoxClient(settings) as client:
        started = time.monotonic()
        with pytest.raises(RateLimited):
            await client.get_assistant(SALES_QUALIFIER_ID)
    assert time.monotonic() - started < 5


async def test_persistent_503_gives_up_after_the_retry_budget(sandbox: SandboxServer, settings: Settings) -> None:
    add_fault(sandbox, method="GET", path=PATH, status=503, times=-1)
    async with RevoxClient(settings) as client:
        with pytest.raises(ServerFault, match=r"503 after 4 attempts"):
            await client.get_assistant(SALES_QUALIFIER_ID)
    assert len(requests_to(sandbox, "GET")) == settings.max_retries + 1


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_a_write_is_never_sent_again_by_the_client_after_a_5xx(
    sandbox: SandboxServer, settings: Settings, status: int
) -> None:
    # A 5xx does not say the write did not land: the writer re-reads before anything is sent again.
    add_fault(sandbox, method="PATCH", path=PATH, status=status, times=-1)
    async with RevoxClient(settings) as client:
        with pytest.raises(ServerFault, match=str(status)):
            await client.update_assistant(SALES_QUALIFIER_ID, {"name": "never"})
    assert len(requests_to(sandbox, "PATCH")) == 1


@pytest.mark.parametrize("status", [408, 409, 429])
async def test_statuses_that_say_not_carried_out_are_retried_even_for_a_write(
    sandbox: SandboxServer, settings: Settings, status: int
) -> None:
    add_fault(sandbox, method="PATCH", path=PATH, status=status, times=2)
    async with RevoxClient(settings) as client:
        await client.update_assistant(SALES_QUALIFIER_ID, {"name": "third time"})
    assert [r.status for r in requests_to(sandbox, "PATCH")] == [status, status, 200]


async def test_the_apis_x_should_retry_wins(sandbox: SandboxServer, settings: Settings) -> None:
    # true: the API vouches that sending the write again is safe; false: a read is not repeated either.
    add_fault(sandbox, method="PATCH", path=PATH, status=503, headers={"x-should-retry": "true"}, times=1)
    add_fault(sandbox, method="GET", path=PATH, status=503, headers={"x-should-retry": "false"}, times=1)
    async with RevoxClient(settings) as client:
        await client.update_assistant(SALES_QUALIFIER_ID, {"name": "n"})
        with pytest.raises(ServerFault):
            await client.get_assistant(SALES_QUALIFIER_ID)
    assert [r.status for r in requests_to(sandbox, "PATCH")] == [503, 200]
    assert [r.status for r in requests_to(sandbox, "GET")] == [503]


@pytest.mark.parametrize("status", [500, 502, 504])
async def test_other_server_faults(sandbox: SandboxServer, settings: Settings, status: int) -> None:
    add_fault(sandbox, method="GET", path=PATH, status=status, times=-1)
    async with RevoxClient(settings) as client:
        with pytest.raises(ServerFault, match=str(status)):
            await client.get_assistant(SALES_QUALIFIER_ID)
    assert len(requests_to(sandbox, "GET")) == settings.max_retries + 1


async def test_nothing_listening_is_unreachable(sandbox: SandboxServer) -> None:
    closed = fast_settings(sandbox, base_url="http://127.0.0.1:9", max_retries=1)
    async with RevoxClient(closed) as client:
        with pytest.raises(ApiUnreachable, match="nothing was sent"):
            await client.get_assistant(SALES_QUALIFIER_ID)


async def test_a_write_that_times_out_says_it_may_have_applied(sandbox: SandboxServer) -> None:
    add_fault(sandbox, method="PATCH", path=PATH, status=200, delay_s=1.0, times=-1)
    async with RevoxClient(fast_settings(sandbox, read_timeout_s=0.2, max_retries=0)) as client:
        with pytest.raises(ApiTimeout, match="may or may not"):
            await client.update_assistant(SALES_QUALIFIER_ID, {"name": "slow"})


async def test_ids_are_url_encoded_so_they_cannot_change_the_path(sandbox: SandboxServer, settings: Settings) -> None:
    async with RevoxClient(settings) as client:
        with pytest.raises(NotFound):
            await client.get_assistant("../assistants")
    assert requests_to(sandbox, "GET")[0].path == "/assistants/..%2Fassistants"
