"""RevoxClient: the only code that talks HTTP to the Revox API.

Retries 429/502/503/504 and connection failures with exponential backoff and full jitter, honouring
Retry-After, within a fixed number of attempts. Every other failure becomes one of the exceptions
in `revox_mcp.errors`, with a message that never contains the API key.
"""

from __future__ import annotations

import email.utils
import logging
import random
import re
from datetime import UTC, datetime
from types import TracebackType
from typing import Any
from urllib.parse import quote

import anyio
import httpx

from revox_mcp import __version__
from revox_mcp.config import API_KEY_ENV, BASE_URL_ENV, Settings
from revox_mcp.errors import (
    ApiError,
    ApiRejected,
    ApiTimeout,
    ApiUnreachable,
    AuthFailed,
    ConfigError,
    NotFound,
    RateLimited,
    ServerFault,
)
from revox_mcp.models import AssistantUpdate

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 502, 503, 504})
_UPDATE_FIELDS = frozenset(AssistantUpdate.model_fields)
_FIELD_IN_MESSAGE = re.compile(r"[a-z_]+(?:\.[a-z_]+|\[\d+\])*")


class RevoxClient:
    """Async client for the assistants API. Use as `async with RevoxClient(settings) as client:`."""

    def __init__(self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._settings = settings
        headers = {"User-Agent": f"revox-mcp/{__version__}", "Accept": "application/json"}
        if settings.api_key:
            headers["Authorization"] = f"Bearer {settings.api_key}"
        self._http = httpx.AsyncClient(
            base_url=settings.base_url,
            headers=headers,
            timeout=httpx.Timeout(settings.read_timeout_s, connect=settings.connect_timeout_s),
            transport=transport,
        )

    async def __aenter__(self) -> RevoxClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def get_assistant(self, assistant_id: str) -> dict[str, Any]:
        """The assistant as the API holds it, unchecked: a read never fails over a value this release
        does not expect."""
        answer = await self._request("GET", _assistant_path(assistant_id), about=("assistant", assistant_id))
        return _object(answer, "the assistant")

    async def update_assistant(self, assistant_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """The whole answer: `assistant`, and `unpatchedCallsNotice` when the API sends one."""
        path = _assistant_path(assistant_id)
        answer = _object(await self._request("PATCH", path, json=body, about=("assistant", assistant_id)), "the update")
        _object(answer.get("assistant"), "the updated assistant")
        return answer

    async def list_assistants(self) -> list[dict[str, Any]]:
        data = _object(await self._request("GET", "/assistants"), "the assistant list")
        return [item for item in data.get("assistants") or [] if isinstance(item, dict)]

    async def create_call(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST /call: a call placed now (or scheduled); the answer's `call`."""
        answer = _object(await self._request("POST", "/call", json=body), "the call")
        return _object(answer.get("call"), "the created call")

    async def list_voices(self) -> list[dict[str, Any]]:
        return list((await self._request("GET", "/voices"))["voices"])

    async def list_phone_numbers(self) -> list[dict[str, Any]]:
        return list((await self._request("GET", "/phone-numbers"))["phone_numbers"])

    async def search_calls(self, body: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
        data = await self._request("POST", "/call/search", json=body)
        return list(data["calls"]), int(data["total_count"])

    async def get_call(self, call_id: str) -> dict[str, Any]:
        data = await self._request("GET", f"/call/{quote(call_id, safe='')}", about=("call", call_id))
        return dict(data["call"])

    async def _request(self, method: str, path: str, *, json: Any = None, about: tuple[str, str] | None = None) -> Any:
        """The answer's JSON. `about`: the kind and id of what the path names, for a 404's NotFound."""
        if not self._settings.api_key:
            raise ConfigError(f"No Revox API key: set {API_KEY_ENV} or pass --api-key.")
        attempts = self._settings.max_retries + 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = await self._http.request(method, path, json=json)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                if last:
                    raise ApiUnreachable(
                        f"Could not connect to the Revox API at {self._settings.base_url} after {attempts} "
                        f"attempts ({type(exc).__name__}); nothing was sent. Check {BASE_URL_ENV} and the network."
                    ) from None
                await self._pause(method, path, attempt, f"{type(exc).__name__}", None)
                continue
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                # The request left us: a write may have landed. GETs are safe to repeat; writes
                # are repeated too, since a PATCH sends absolute values and is idempotent.
                if last:
                    raise ApiTimeout(_ambiguous_message(method, exc)) from None
                await self._pause(method, path, attempt, type(exc).__name__, None)
                continue
            if response.status_code in RETRY_STATUSES and not last:
                wait = _retry_after(response)
                if wait is None or wait <= self._settings.retry_after_max_s:
                    await self._pause(method, path, attempt, str(response.status_code), wait)
                    continue
            if response.is_success:
                return response.json()
            raise _error_for(response, attempt + 1, about or ("path", path))
        raise AssertionError("unreachable: the last attempt always returns or raises")

    async def _pause(self, method: str, path: str, attempt: int, cause: str, retry_after: float | None) -> None:
        s = self._settings
        delay = (
            retry_after
            if retry_after is not None
            else random.uniform(0, min(s.backoff_max_s, s.backoff_base_s * 2**attempt))
        )
        logger.warning("%s %s -> %s; retry %d/%d in %.2fs", method, path, cause, attempt + 1, s.max_retries, delay)
        await anyio.sleep(delay)


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ServerFault(
            f"The Revox API answered something other than a JSON object for {what} ({type(value).__name__}). "
            "If this was a write, it may have been applied: call get_assistant to see."
        )
    return value


def _assistant_path(assistant_id: str) -> str:
    return f"/assistants/{quote(assistant_id, safe='')}"


def _ambiguous_message(method: str, exc: Exception) -> str:
    if method == "GET":
        return f"The Revox API did not answer in time ({type(exc).__name__}). Try again shortly."
    return (
        f"The Revox API did not answer in time ({type(exc).__name__}) after the request was sent: the "
        "change may or may not have been applied. Call get_assistant to see the current state before retrying."
    )


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _api_message(response: httpx.Response) -> tuple[str, str | None]:
    """The API's own words and, where it names one, the field they are about."""
    try:
        body = response.json()
    except ValueError:
        return (response.text.strip()[:300] or response.reason_phrase), None
    if not isinstance(body, dict):
        return str(body)[:300], None
    message = body.get("message") or body.get("error") or body.get("detail") or response.reason_phrase
    if isinstance(message, list):
        message = "; ".join(str(m) for m in message)
    message = str(message)[:500]
    field = body.get("field") or body.get("path")
    if not field:
        field = next((m for m in _FIELD_IN_MESSAGE.findall(message) if m.split(".")[0] in _UPDATE_FIELDS), None)
    return message, (str(field) if field else None)


def _error_for(response: httpx.Response, attempts: int, about: tuple[str, str]) -> ApiError:
    status = response.status_code
    message, field = _api_message(response)
    if status in (401, 403):
        return AuthFailed(
            f"The Revox API refused the API key ({status}: {message}). Check that {API_KEY_ENV} holds a valid, "
            "active key for this organization.",
            status=status,
        )
    if status == 404:
        return NotFound(*about, f"The Revox API found nothing there ({message}).", status=status)
    if status in (400, 422):
        return ApiRejected(message, status=status, field=field)
    retried = f" after {attempts} attempts" if attempts > 1 else ""
    if status == 429:
        return RateLimited(f"The Revox API is rate limiting requests (429{retried}): {message}", status=status)
    return ServerFault(f"The Revox API failed ({status}{retried}): {message}", status=status)
