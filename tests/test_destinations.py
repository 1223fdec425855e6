"""A stored secret stays with its destination (revox_mcp.destinations): what moves it, and what does not."""

from __future__ import annotations

from typing import Any

from revox_mcp.destinations import moved_secrets

KEY = "tok-live-0123456789abcdef"


def tool(url: str = "https://crm.example/leads", method: str = "GET", key: str = KEY) -> dict[str, Any]:
    return {"name": "crm", "method": method, "url": url, "headers": [{"key": "X-Api-Key", "value": key}],
            "query_params": [], "body_template": None}  # fmt: skip


def moved(new: dict[str, Any], sent: Any = None) -> list[str]:
    stored = {"custom_tools": [tool()], "llm_model": {"api_url": "https://llm.example/v1", "api_key": KEY}}
    return [p.path for p in moved_secrets(stored, new, sent, "patch")]


def test_another_host_port_scheme_or_method_moves_a_kept_secret() -> None:
    for changed in (tool("https://evil.example/leads"), tool("https://crm.example:8443/leads"),
                    tool("http://crm.example/leads"), tool(method="POST")):  # fmt: skip
        assert moved({"custom_tools": [changed]}) == ["patch.custom_tools[0].headers[0].value"], changed
    assert moved({"llm_model": {"api_url": "https://evil.example/v1", "api_key": KEY}}) == ["patch.llm_model.api_key"]


def test_the_same_origin_a_new_secret_or_one_sent_in_full_is_not_a_move() -> None:
    assert moved({"custom_tools": [tool("https://CRM.example:443/other?q=1")]}) == []
    assert moved({"custom_tools": [tool("https://evil.example/leads", key="another-key-0123456789")]}) == []
    sent = {"custom_tools": [tool("https://evil.example/leads")]}
    assert moved({"custom_tools": [tool("https://evil.example/leads")]}, sent) == []
