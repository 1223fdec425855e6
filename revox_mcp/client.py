"""RevoxClient: the only code that talks HTTP to the Revox API.

Retries with exponential backoff and full jitter, honouring Retry-After and `x-should-retry` (as the
official SDK does), within a fixed number of attempts: a read on 408/409/429/5xx and on any connection
failure; a write only where the request was not carried out (nothing sent, or 408/409/429). A write is
never sent again blindly after it left: a timeout, a dropped connection or a 5xx goes back to the writer,
which re-reads before deciding (a late delivery of the first PATCH could otherwise land over a retry, or
over a later write). Every other failure becomes one of the exceptions in `revox_mcp.errors`, with a
message that never contains the API key. Answers are read up to a size cap.
"""

from __future__ import annotations

import email.utils
import logging
import math
import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any
from urllib.parse import quote

import anyio
import httpx

from revox_mcp import __version__
from revox_mcp.config import API_KEY_ENV, BASE_URL_ENV, MAX_PREVIEW_AUDIO_BYTES, Settings
from revox_mcp.errors import (
    ApiError,
    ApiRejected,
    ApiTimeout,
    ApiUnreachable,
    AuthFailed,
    ConfigError,
    IncompleteRead,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServerFault,
)
from revox_mcp.models import AssistantUpdate

logger = logging.getLogger(__name__)

# The request was not carried out: sending it again is safe, even a write (408 timeout before the body was
# read, 409 the API's lock timeout, 429 rate limiting).
NOT_CARRIED_OUT = frozenset({408, 409, 429})
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

    @property
    def settings(self) -> Settings:
        return self._settings

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
        """The whole answer, unchecked beyond being an object: the writer checks `assistant` against what it
        sent (and re-reads when it is odd), and reads `unpatchedCallsNotice` when the API sends one."""
        path = _assistant_path(assistant_id)
        return _object(await self._request("PATCH", path, json=body, about=("assistant", assistant_id)), "the update")

    async def write(
        self, method: str, path: str, body: dict[str, Any] | None = None, *, about: tuple[str, str] | None = None
    ) -> dict[str, Any]:
        """One write other than an assistant update (revox_mcp.actions sends it): POST, PATCH or DELETE, the
        answer's object unchecked. `about`: the kind and id of what the path names, for a 404's NotFound."""
        return _object(await self._request(method, path, json=body, about=about), f"the answer to {method} {path}")

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

    async def search_calls(self, body: dict[str, Any]) -> tuple[list[dict[str, Any]], int | None]:
        """POST /call/search: the page of calls (items as sent, unchecked) and how many match in all (None: the
        answer did not say). An answer without its list of calls is IncompleteRead, never "no calls"."""
        data = _object(await self._request("POST", "/call/search", json=body), "the call search")
        calls, total = data.get("calls"), data.get("total_count")
        if not isinstance(calls, list):
            raise IncompleteRead(
                f"The Revox API answered the call search without its list of calls ({type(calls).__name__}): "
                "nothing can be said of which calls match. Try again shortly."
            )
        if isinstance(total, int | float) and not isinstance(total, bool) and math.isfinite(total) and total >= 0:
            return calls, int(total)
        return calls, None

    async def get_call(self, call_id: str) -> dict[str, Any]:
        data = await self._request("GET", f"/call/{quote(call_id, safe='')}", about=("call", call_id))
        return dict(data["call"])

    async def preview_voice(
        self,
        *,
        provider: str,
        voice_id: str,
        model: str | None = None,
        speed: float | None = None,
        text: str | None = None,
        volume: float | None = None,
    ) -> VoicePreview:
        """POST /voices/preview: the voice speaking `text` (the API's own short default when None). The same
        preview asked twice changes nothing, so it is repeated on a failure as a read is (it may cost the
        organization provider credits each time, as the SDK's own retries would). Audio over
        MAX_PREVIEW_AUDIO_BYTES is PreviewTooLarge."""
        sent = {
            "provider": provider,
            "voiceId": voice_id,
            "model": model,
            "speed": speed,
            "text": text,
            "volume": volume,
        }
        body = {key: value for key, value in sent.items() if value is not None}
        cap = MAX_PREVIEW_AUDIO_BYTES
        try:
            response = await self._send(
                "POST", "/voices/preview", json=body, about=("voice", voice_id), cap=cap, headers={"Accept": "*/*"},
                changes_nothing=True,
            )  # fmt: skip
        except ServerFault as exc:
            if exc.status is not None and 200 <= exc.status < 300 and "is over" in exc.message:
                raise PreviewTooLarge(f"The voice preview's audio is over {cap:,} bytes, revox-mcp's cap.") from None
            raise
        audio = response.content
        mime_type = _audio_type(response.headers.get("content-type", ""), audio)
        if mime_type is None or not audio:
            kind = response.headers.get("content-type", "no content type")
            raise ServerFault(
                f"The Revox API answered the voice preview with something that is not audio ({kind}, {len(audio):,} "
                "bytes).",
                status=response.status_code,
            )
        said = response.headers.get(SANDBOX_NOTE_HEADER)
        note = "".join(ch for ch in said if ch.isprintable())[:_NOTE_CHARS] if said else None
        return VoicePreview(audio, mime_type, note)

    # Campaigns (the answers unchecked beyond their wrapping: the tools read them tolerantly).

    async def list_campaigns(self) -> list[dict[str, Any]]:
        data = _object(await self._request("GET", "/campaigns"), "the campaign list")
        return [item for item in data.get("campaigns") or [] if isinstance(item, dict)]

    async def get_campaign(self, campaign_id: str) -> dict[str, Any]:
        answer = _object(
            await self._request("GET", _campaign_path(campaign_id), about=("campaign", campaign_id)), "the campaign"
        )
        return _object(answer.get("campaign"), "the campaign")

    async def campaign_statistics(self, campaign_id: str) -> dict[str, Any]:
        path = f"{_campaign_path(campaign_id)}/statistics"
        answer = _object(await self._request("GET", path, about=("campaign", campaign_id)), "the statistics")
        return _object(answer.get("statistics"), "the statistics")

    async def campaign_rows(self, campaign_id: str) -> list[dict[str, Any]]:
        """Every row of the campaign (the API's get_rows has no paging)."""
        path = f"{_campaign_path(campaign_id)}/rows"
        answer = _object(await self._request("GET", path, about=("campaign", campaign_id)), "the rows")
        rows = answer.get("rows")
        if not isinstance(rows, list):
            # An answer without the list says nothing of the campaign's rows: not "no rows".
            raise IncompleteRead(
                f"The Revox API answered campaign {campaign_id}'s rows without its list of rows "
                f"({type(rows).__name__}). Try again shortly."
            )
        return [row for row in rows if isinstance(row, dict)]

    async def phone_history(self) -> dict[str, Any]:
        """GET /calls/phone-history: the organization's map of contact numbers to what calls reached them."""
        answer = _object(await self._request("GET", "/calls/phone-history"), "the phone history")
        history = answer.get("phone_history")
        if not isinstance(history, dict):
            # An answer without the map says nothing of any number: not "never called".
            raise IncompleteRead(
                f"The Revox API answered the phone history without its phone_history map "
                f"({type(history).__name__}): no number can be said called or never called. Try again shortly."
            )
        return history

    async def _request(self, method: str, path: str, *, json: Any = None, about: tuple[str, str] | None = None) -> Any:
        """The answer's JSON. `about`: the kind and id of what the path names, for a 404's NotFound."""
        return _json(await self._send(method, path, json=json, about=about))

    async def _send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        about: tuple[str, str] | None = None,
        cap: int | None = None,
        headers: dict[str, str] | None = None,
        changes_nothing: bool = False,
    ) -> httpx.Response:
        """The successful answer, read whole up to `cap` bytes (default: the settings' cap). A POST that
        `changes_nothing` (a voice preview) is repeated as a read is; any other is treated as a write."""
        if not self._settings.api_key:
            raise ConfigError(f"No Revox API key: set {API_KEY_ENV} or pass --api-key.")
        write = method != "GET" and not changes_nothing
        attempts = self._settings.max_retries + 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                # A whole deadline too: an answer trickled a byte at a time never trips the read timeout.
                with anyio.fail_after(self._settings.connect_timeout_s + self._settings.read_timeout_s):
                    response = await self._exchange(method, path, json, cap, headers)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                if last:
                    raise ApiUnreachable(
                        f"Could not connect to the Revox API at {self._settings.base_url} after {attempts} "
                        f"attempts ({type(exc).__name__}); nothing was sent. Check {BASE_URL_ENV} and the network."
                    ) from None
                await self._pause(method, path, attempt, f"{type(exc).__name__}", None)
                continue
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError, TimeoutError) as exc:
                # The request left us: a write may have landed, or may still land. Reads are repeated; a
                # write goes back to the writer, which looks before anything is sent again.
                if write or last:
                    raise ApiTimeout(_ambiguous_message(method, exc)) from None
                await self._pause(method, path, attempt, type(exc).__name__, None)
                continue
            if not last and _should_retry(response, write):
                wait = _retry_after(response)
                if wait is None or wait <= self._settings.retry_after_max_s:
                    await self._pause(method, path, attempt, str(response.status_code), wait)
                    continue
            if response.is_success:
                return response
            error = _error_for(response, attempt + 1, about or ("path", path))
            if isinstance(error, ServerFault):
                error.read = not write
            raise error
        raise AssertionError("unreachable: the last attempt always returns or raises")

    async def _exchange(
        self, method: str, path: str, json: Any, cap: int | None = None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        """One request, its answer read whole up to the size cap (an answer is never held unbounded)."""
        cap = self._settings.max_api_answer_bytes if cap is None else cap
        request = self._http.build_request(method, path, json=json, headers=headers)
        response = await self._http.send(request, stream=True)
        try:
            return await self._read_capped(method, path, response, cap)
        except httpx.DecodingError as exc:
            raise ServerFault(
                f"The Revox API's answer to {method} {path} could not be decoded ({exc}).", status=response.status_code
            ) from None
        finally:
            await response.aclose()

    @staticmethod
    async def _read_capped(method: str, path: str, response: httpx.Response, cap: int) -> httpx.Response:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) <= cap:
            await response.aread()  # the common case: a stated size within the cap, read at once
            return response
        chunks, size = [], 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > cap:
                raise ServerFault(
                    f"The Revox API's answer to {method} {path} is over {cap:,} bytes; revox-mcp does not read "
                    "answers that large.",
                    status=response.status_code,
                )
            chunks.append(chunk)
        return httpx.Response(
            response.status_code, headers=response.headers, content=b"".join(chunks), request=response.request
        )

    async def pause_before_retry(self, method: str, path: str, attempt: int, retry_after: float | None = None) -> None:
        """The backoff before a caller sends a request again itself (the writer, once a re-read decided that a
        write did not land)."""
        wait = retry_after if retry_after is not None and retry_after <= self._settings.retry_after_max_s else None
        await self._pause(method, path, attempt, "not carried out", wait)

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


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        kind = response.headers.get("content-type", "no content type")
        raise ServerFault(
            f"The Revox API answered {response.status_code} with something that is not JSON ({kind}, "
            f"{len(response.content):,} bytes).",
            status=response.status_code,
        ) from None


def _said_retry(response: httpx.Response) -> bool | None:
    said = str(response.headers.get("x-should-retry", "")).strip().lower()
    return said == "true" if said in ("true", "false") else None


def _should_retry(response: httpx.Response, write: bool) -> bool:
    """The API's own `x-should-retry` wins (the official SDK honours it too); otherwise a read is retried on
    408/409/429/5xx, a write only where the status says it was not carried out."""
    said = _said_retry(response)
    if said is not None:
        return said
    status = response.status_code
    return status in NOT_CARRIED_OUT or (not write and status >= 500)


def _assistant_path(assistant_id: str) -> str:
    return f"/assistants/{quote(assistant_id, safe='')}"


def _campaign_path(campaign_id: str) -> str:
    return f"/campaigns/{quote(campaign_id, safe='')}"


def _ambiguous_message(method: str, exc: Exception) -> str:
    if method == "GET":
        return f"The Revox API did not answer in time ({type(exc).__name__}). Try again shortly."
    return (
        f"The Revox API did not answer in time ({type(exc).__name__}) after the request was sent: it may or may "
        "not have been carried out, and revox-mcp did not send it again."
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
        return _words(body)[:300] or response.reason_phrase, None
    said = body.get("message") or body.get("error") or body.get("detail")
    message = (_words(said) if said else "") or response.reason_phrase
    message = message[:500]
    field = body.get("field") or body.get("path")
    if isinstance(body.get("error"), dict):
        field = field or body["error"].get("field") or body["error"].get("path")
    if not field:
        field = next((m for m in _FIELD_IN_MESSAGE.findall(message) if m.split(".")[0] in _UPDATE_FIELDS), None)
    return message, (str(field) if field else None)


def _words(value: Any, depth: int = 0) -> str:
    """An error body's message as text, however it nests (`{"error": {"message": ..., "code": ...}}`, a list
    of such), never a Python repr."""
    if isinstance(value, str):
        return value
    if depth > 3 or value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(w for w in (_words(v, depth + 1) for v in value[:10]) if w)
    if isinstance(value, dict):
        text = _words(value.get("message") or value.get("detail") or value.get("msg") or value.get("error"), depth + 1)
        code = value.get("code") or value.get("type")
        return f"{text} ({code})" if text and isinstance(code, str | int) else text
    return str(value)


def _error_for(response: httpx.Response, attempts: int, about: tuple[str, str]) -> ApiError:
    status = response.status_code
    message, field = _api_message(response)
    if status == 401:
        return AuthFailed(
            f"The Revox API refused the API key ({status}: {message}). Check that {API_KEY_ENV} holds a valid, "
            "active key for this organization.",
            status=status,
        )
    if status == 403:
        return PermissionDenied(f"The Revox API refused this action (403: {message}).", status=status)
    if status == 404:
        return NotFound(*about, f"The Revox API found nothing there ({message}).", status=status)
    if status in (400, 422):
        return ApiRejected(message, status=status, field=field)
    retried = f" after {attempts} attempts" if attempts > 1 else ""
    if status == 429:
        return RateLimited(f"The Revox API is rate limiting requests (429{retried}): {message}", status=status)
    fault = ServerFault(f"The Revox API failed ({status}{retried}): {message}", status=status)
    # What the answer says about sending it again, for a caller that decides a resend itself (the writer).
    fault.retry_after, fault.should_retry = _retry_after(response), _said_retry(response)
    return fault


# What a preview's answer may be (the SDK states no format: it sends Accept: */* and reads bytes), by its
# first bytes where the API's Content-Type is missing or generic.
_AUDIO_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"RIFF", 0, "audio/wav"),
    (b"ID3", 0, "audio/mpeg"),
    (b"OggS", 0, "audio/ogg"),
    (b"fLaC", 0, "audio/flac"),
    (b"ftyp", 4, "audio/mp4"),
)
# The header the sandbox marks its own synthesized audio with; the real API sends none.
SANDBOX_NOTE_HEADER = "x-sandbox-note"
_NOTE_CHARS = 300


@dataclass(frozen=True)
class VoicePreview:
    """A preview's audio as the API answered it, its MIME type, and what the answer said about it (the
    sandbox: that the voice is its own, not the provider's)."""

    audio: bytes
    mime_type: str
    note: str | None = None


class PreviewTooLarge(ApiError):
    """The preview's audio is over MAX_PREVIEW_AUDIO_BYTES: not read further, not answered."""

    def advice(self, tool: str, *, writes: bool) -> str:
        return f"{self} Preview a shorter text, or at a faster speed."


def _audio_type(content_type: str, data: bytes) -> str | None:
    """The answer's MIME type: an audio/* Content-Type as stated, else what its first bytes show; None: not
    audio."""
    stated = content_type.partition(";")[0].strip().lower()
    if stated.startswith("audio/"):
        return stated
    if stated not in ("", "application/octet-stream", "binary/octet-stream"):
        return None
    for magic, at, kind in _AUDIO_MAGIC:
        if data[at : at + len(magic)] == magic:
            return kind
    # An MPEG audio frame starts with 11 set bits.
    return "audio/mpeg" if len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0 else None
