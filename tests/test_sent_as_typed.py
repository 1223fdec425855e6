"""What goes out is what the SDK's types say (issue 23 item 4): an integral float for an int field is sent as
the integer, a timezone must be an IANA name (not a host file such as `localtime`), and a precall lookup URL's
scheme is read without case and its {{phone}} may be anywhere, the host too."""

from __future__ import annotations

from typing import Any

import pytest

from revox_mcp.config import Settings
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.seed import SALES_QUALIFIER_ID
from tests.conftest import mcp_client, stored, text_of

pytestmark = pytest.mark.anyio


async def update(settings: Settings, patch: dict[str, Any]) -> Any:
    async with mcp_client(settings) as client:
        return await client.call_tool("update_assistant", {"id": SALES_QUALIFIER_ID, "patch": patch})


async def test_integral_floats_for_int_fields_go_out_as_integers(sandbox: SandboxServer, settings: Settings) -> None:
    patch = {"first_sentence_delay_ms": 250.0, "call_retry_config": {"max_retry_attempts": 5.0}}
    result = await update(settings, patch)
    assert not result.is_error, text_of(result)
    after = stored(sandbox, SALES_QUALIFIER_ID)
    for value, expected in (
        (after["first_sentence_delay_ms"], 250),
        (after["call_retry_config"]["max_retry_attempts"], 5),
    ):
        assert value == expected and type(value) is int


@pytest.mark.parametrize("url", ["HTTPS://crm.example/lookup?phone={{phone}}", "https://{{phone}}.lookup.example/"])
async def test_a_precall_url_in_any_scheme_case_or_with_phone_in_the_host_is_accepted(
    sandbox: SandboxServer, settings: Settings, url: str
) -> None:
    result = await update(settings, {"precall_lookup_url": url})
    assert not result.is_error, text_of(result)
    assert stored(sandbox, SALES_QUALIFIER_ID)["precall_lookup_url"] == url


@pytest.mark.parametrize("url", ["https://crm.example/lookup", "ftp://crm.example/{{phone}}", "https://.x/{{phone}}"])
async def test_a_precall_url_without_phone_or_http_is_refused(settings: Settings, url: str) -> None:
    result = await update(settings, {"precall_lookup_url": url})
    assert result.is_error and "patch.precall_lookup_url" in text_of(result)


@pytest.mark.parametrize("zone", ["localtime", "posixrules"])
async def test_a_host_zone_file_is_not_a_timezone(sandbox: SandboxServer, settings: Settings, zone: str) -> None:
    before = stored(sandbox, SALES_QUALIFIER_ID)["call_retry_config"]
    result = await update(settings, {"call_retry_config": {"timezone": zone}})
    assert result.is_error and "call_retry_config.timezone" in text_of(result) and "IANA" in text_of(result)
    assert stored(sandbox, SALES_QUALIFIER_ID)["call_retry_config"] == before
