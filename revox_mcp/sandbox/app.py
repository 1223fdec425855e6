"""The sandbox's HTTP face: the Revox assistants API on Starlette, plus a small control surface.

It speaks the reference's wire protocol (paths, Bearer auth, JSON bodies, the `{"assistant": ...}`
wrapping, 400/401/404 with a JSON `message`) and validates bodies with the same models the API
rules were taken from. Under `/_sandbox/` (same auth) tests can queue faults for a route and read
the log of requests the sandbox answered, e.g. to prove an invalid patch sent nothing.
"""

from __future__ import annotations

import copy
import fnmatch
import hmac
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import anyio
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

import revox_mcp.sandbox.calls as call_orders
from revox_mcp.editing import is_unchanged
from revox_mcp.models import AssistantUpdate
from revox_mcp.sandbox.ab_seed import seed_pair
from revox_mcp.sandbox.campaigns import CAMPAIGN_ROUTES, CampaignStore
from revox_mcp.sandbox.catalog_seed import (
    PHONE_NUMBERS,
    VOICES,
    generate_calls,
    pending_calls,
    tuning_configurations,
    tuning_history,
    with_assignees,
)
from revox_mcp.sandbox.seed import REMINDER_ID, SEED_ASSISTANTS
from revox_mcp.sandbox.store import AssistantStore
from revox_mcp.sandbox.voice import preview_voice
from revox_mcp.validation import pydantic_problems


@dataclass
class Fault:
    """What happens to requests matching `method` and `path` (a glob), `times` times (-1: always).

    By default the request is not handled and a canned answer is sent: `status` with `body` and
    `headers` (e.g. Retry-After), after `delay_s`. `drop` cuts the connection mid-answer instead.
    `apply` first handles the request for real (the write lands), then delays or drops the answer:
    the ambiguous case where a client cannot know whether its write happened.
    """

    method: str
    path: str
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    times: int = 1
    drop: bool = False
    apply: bool = False


@dataclass
class LoggedRequest:
    method: str
    path: str
    status: int


@dataclass
class SandboxState:
    """Everything one sandbox app owns; nothing lives at module level."""

    store: AssistantStore
    api_key: str
    # The campaigns: their rows' calls are calls of `calls` (one world: searched, acted on, counted alike).
    campaigns: CampaignStore
    faults: list[Fault] = field(default_factory=list)
    requests: list[LoggedRequest] = field(default_factory=list)
    # Read-only catalogs and call history, generated the same way for every sandbox.
    voices: list[dict[str, Any]] = field(default_factory=lambda: copy.deepcopy(VOICES))
    phone_numbers: list[dict[str, Any]] = field(default_factory=lambda: copy.deepcopy(PHONE_NUMBERS))
    calls: list[dict[str, Any]] = field(default_factory=list)
    # What this sandbox knows beyond its models, as an API newer than this release would: top-level fields
    # ("voicemail_detection"), nested keys ("voice.stability", "faq_items[].category") and enum values
    # ("voice.provider=rime").
    newer_fields: set[str] = field(default_factory=set)
    # POST /call: the configuration each call placed here would have run with, by call id.
    test_call_configs: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Each POST /call body as received (tests check what a client sends, e.g. skip_calling_window).
    call_requests: list[dict[str, Any]] = field(default_factory=list)
    # Each POST /voices/preview body as received (tests compare it with what the SDK sends).
    preview_requests: list[Any] = field(default_factory=list)
    # A paused call's status before its pause, by call id: what resuming it goes back to.
    paused_from: dict[str, str] = field(default_factory=dict)

    def knows(self, problem: Any) -> bool:
        path = re.sub(r"\[\d+\]", "[]", problem.path)
        return path in self.newer_fields or f"{path}={problem.value.strip(chr(34))}" in self.newer_fields

    def reseed(self) -> None:
        """Catalogs and call history back to the generated ones (a test may have added a voice)."""
        self.voices = copy.deepcopy(VOICES)
        self.phone_numbers = copy.deepcopy(PHONE_NUMBERS)
        # From the seed's assistants, not the stored ones: a call keeps the configuration it ran with, so a
        # change made before a restart must not show up on last week's calls (an agent walkthrough saw that).
        seeded = {a["id"]: a for a in SEED_ASSISTANTS}
        history = generate_calls(seeded, self.store.organization_id)
        pending = pending_calls(seeded, self.store.organization_id)
        self.paused_from = {}
        campaign_calls = self.campaigns.regenerate(pending, self.paused_from)
        every = with_assignees([*history, *pending, *campaign_calls])
        self.calls = sorted(every, key=lambda c: c["created_at"], reverse=True)

    def add_tuning_history(self) -> None:
        """The reminder's calls around two changes with known outcome rates (catalog_seed.tuning_history)."""
        reminder = self.store.get(REMINDER_ID) or {"id": REMINDER_ID}
        history = tuning_history(reminder, self.store.organization_id)
        # The stored reminder carries the times of its story: the last configuration its calls ran with.
        last = tuning_configurations(reminder)["retuned_after"]
        self.store.restamp(REMINDER_ID, last["created_at"], last["updated_at"])
        # A campaign's calls stay: they are its rows (the December reminders run after the measured windows),
        # and ran with the last configuration.
        others = [c for c in self.calls if (c["assistant"] or {}).get("id") != REMINDER_ID or c["campaign"]]
        for call in others:
            if (call["assistant"] or {}).get("id") == REMINDER_ID:
                call["assistant"] = last
        self.calls = sorted([*others, *history], key=lambda c: c["created_at"], reverse=True)

    def add_ab_pair(self) -> None:
        """The sales qualifier and a seeded copy with known outcome rates over one window (ab_seed)."""
        pair = seed_pair(self.store)
        self.calls = sorted([*self.calls, *pair], key=lambda c: c["created_at"], reverse=True)

    def take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.method in (method, "*") and fnmatch.fnmatchcase(path, fault.path):
                if fault.times > 0:
                    fault.times -= 1
                    if fault.times == 0:
                        self.faults.remove(fault)
                return fault
        return None


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"message": message, **extra}, status_code=status)


def _validation_error(exc: ValidationError) -> JSONResponse:
    first = exc.errors(include_url=False)[0]
    path = ".".join(str(p) for p in first["loc"])
    message = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors(include_url=False))
    return _error(400, message, field=path)


class BadBody(Exception):
    pass


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw) if raw else {}
    except ValueError:
        raise BadBody("The body is not valid JSON") from None


async def _object_body(request: Request) -> dict[str, Any]:
    body = await _json_body(request)
    if not isinstance(body, dict):
        raise BadBody("The body must be a JSON object")
    return body


async def _bad_body(request: Request, exc: Exception) -> Response:
    return _error(400, str(exc))


def placed_call(call_id: str, body: dict[str, Any], config: dict[str, Any], organization_id: str) -> dict[str, Any]:
    """A call as POST /call answers it, in the SDK's `Call` shape, for a call the sandbox did not dial."""
    now = datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
    return {
        "id": call_id,
        "organization_id": organization_id,
        "direction": "outbound",
        "status": "not_launched",
        "from_phone_number": body.get("from_phone_number") or config.get("from_phone_number") or "+14155550100",
        "to_phone_number": body["phone_number"],
        "contact": {"first_name": None, "last_name": None, "email": None, "company": None, "job_title": None},
        "assistant": None,
        "assignee": None,
        "campaign": None,
        "llm_model": config.get("llm_model") or {"type": "dedicated-instance", "name": "gpt-4.1"},
        "first_sentence_delay_ms": config.get("first_sentence_delay_ms", 400),
        "call_retry_config": config.get("call_retry_config"),
        "prompt_variables": body.get("prompt_variables") or {},
        "metadata": {**(body.get("metadata") or {}), "sandbox": "no phone call was placed"},
        "outcome": None,
        "outcome_summary": "Sandbox: no phone call was placed; the configuration it would have used is recorded.",
        "created_at": now,
        "scheduled_at": now,
        "updated_at": now,
        "is_completed": False,
        "is_cancelled": False,
        "calls_count": 0,
        "call_attempts": [],
        "last_call_attempt": None,
    }


def with_live_assistant(call: dict[str, Any], assistants: dict[str, Any]) -> dict[str, Any]:
    """The call with the configuration it ran with where it carries one (a seeded history's calls: an
    assistant with its updated_at), else its assistant as the store holds it now; null once deleted."""
    ran_with = call.get("assistant") or {}
    assistant_id = ran_with.get("id")
    live = assistants.get(assistant_id) if isinstance(assistant_id, str) else None
    return {**call, "assistant": ran_with if live is not None and "updated_at" in ran_with else live}


# The API's routes. Each reads the sandbox (its store, catalogs, calls and faults) from the app's state.


def _sandbox(request: Request) -> SandboxState:
    state: SandboxState = request.app.state.sandbox
    return state


async def _run(fn: Any, *args: Any) -> Any:
    # SQLite calls are blocking; keep them off the event loop.
    return await anyio.to_thread.run_sync(fn, *args)


def _assistants_by_id(store: AssistantStore) -> dict[str, Any]:
    return {a["id"]: a for a in store.list()}


async def list_assistants(request: Request) -> Response:
    store = _sandbox(request).store
    return JSONResponse({"assistants": await _run(store.list)})


async def create_assistant(request: Request) -> Response:
    store = _sandbox(request).store
    body = await _object_body(request)
    missing = [k for k in ("name", "prompt") if k not in body]
    if missing:
        return _error(400, f"{missing[0]}: field required", field=missing[0])
    try:
        fields = AssistantUpdate.model_validate(body).body()
    except ValidationError as exc:
        return _validation_error(exc)
    return JSONResponse({"assistant": await _run(store.create, fields)}, status_code=201)


async def get_assistant(request: Request) -> Response:
    store = _sandbox(request).store
    row = await _run(store.get, request.path_params["id"])
    return JSONResponse(row) if row else _error(404, "Assistant not found")


async def update_assistant(request: Request) -> Response:
    state = _sandbox(request)
    store = state.store
    body = await _object_body(request)
    stored = await _run(store.get, request.path_params["id"])
    if stored is None:
        return _error(404, "Assistant not found")
    newer = {k: body.pop(k) for k in list(body) if k in state.newer_fields}
    try:
        fields = {**AssistantUpdate.model_validate(body).body(), **newer}
    except ValidationError as exc:
        # An API accepts back what it stored itself, including keys and values newer than the models
        # this sandbox was built from: refuse only values the body changes.
        if any(not (is_unchanged(p.path, body, stored) or state.knows(p)) for p in pydantic_problems(exc)):
            return _validation_error(exc)
        fields = {**body, **newer}
    row = await _run(store.update, request.path_params["id"], fields)
    return JSONResponse({"assistant": row}) if row else _error(404, "Assistant not found")


async def delete_assistant(request: Request) -> Response:
    store = _sandbox(request).store
    deleted = await _run(store.delete, request.path_params["id"])
    return JSONResponse({"success": True}) if deleted else _error(404, "Assistant not found")


async def clone_assistant(request: Request) -> Response:
    store = _sandbox(request).store
    row = await _run(store.clone, request.path_params["id"])
    return JSONResponse({"assistant": row}, status_code=201) if row else _error(404, "Assistant not found")


async def list_voices(request: Request) -> Response:
    state = _sandbox(request)
    return JSONResponse({"voices": state.voices})


async def get_voice(request: Request) -> Response:
    state = _sandbox(request)
    provider = request.query_params.get("provider")
    for voice in state.voices:
        if voice["id"] == request.path_params["id"] and provider in (None, voice["provider"]):
            # The SDK's VoiceRetrieveResponse: id, name, description; the catalog's other keys are the list's.
            return JSONResponse({"voice": {k: voice[k] for k in ("id", "name", "description") if k in voice}})
    return _error(404, "Voice not found")


async def voice_preview(request: Request) -> Response:
    """POST /voices/preview: audio synthesized here (sandbox/voice.py), marked as the sandbox's own voice."""
    state, body = _sandbox(request), await _json_body(request)
    state.preview_requests.append(body)
    return await preview_voice(body, state.voices)


async def list_phone_numbers(request: Request) -> Response:
    state = _sandbox(request)
    store = state.store
    numbers = []
    for number in state.phone_numbers:
        inbound = number["inbound_assistant"]
        numbers.append({**number, "inbound_assistant": await _run(store.get, inbound) if inbound else None})
    return JSONResponse({"phone_numbers": numbers})


_NUMBER_FIELDS = frozenset({"inbound_assistant_id", "label"})


async def update_phone_number(request: Request) -> Response:
    """PATCH /phone-numbers/{id} (PhoneNumberUpdateParams: inbound_assistant_id, label; each nullable)."""
    state = _sandbox(request)
    body = await _object_body(request)
    number = next((n for n in state.phone_numbers if n["id"] == request.path_params["id"]), None)
    if number is None:
        return _error(404, "Phone number not found")
    extra = sorted(set(body) - _NUMBER_FIELDS)
    if extra:
        return _error(400, f"{extra[0]}: Extra inputs are not permitted", field=extra[0])
    for key, value in body.items():
        if value is not None and not isinstance(value, str):
            return _error(400, f"{key}: Input should be a valid string", field=key)
    inbound = body.get("inbound_assistant_id", number["inbound_assistant"])
    if inbound is not None and await _run(state.store.get, inbound) is None:
        return _error(404, "Assistant not found")
    number["inbound_assistant"] = inbound
    if "label" in body:
        number["label"] = body["label"]
    shown = {**number, "inbound_assistant": await _run(state.store.get, inbound) if inbound else None}
    return JSONResponse({"phone_number": shown})


async def call_search(request: Request) -> Response:
    state = _sandbox(request)
    store = state.store
    body = await _object_body(request)
    try:
        calls, total = call_orders.search(state.calls, body)
    except call_orders.SearchRefused as exc:
        return _error(400, str(exc), field=exc.field)
    except (TypeError, ValueError) as exc:
        return _error(400, f"bad search: {exc}")
    assistants = await _run(_assistants_by_id, store)
    return JSONResponse({"calls": [with_live_assistant(c, assistants) for c in calls], "total_count": total})


async def call_action(request: Request) -> Response:
    """POST /call/{id}/cancel, /pause, /resume: {"success": true}, or 404, or 400 for a call in a state the
    action does not apply to (sandbox.calls says which)."""
    state = _sandbox(request)
    call = next((c for c in state.calls if c["id"] == request.path_params["id"]), None)
    if call is None:
        return _error(404, "Call not found")
    try:
        call_orders.act(call, request.url.path.rsplit("/", 1)[-1], state.paused_from)
    except call_orders.ActionRefused as exc:
        return _error(400, str(exc))
    return JSONResponse({"success": True})


async def phone_history(request: Request) -> Response:
    return JSONResponse(call_orders.phone_history(_sandbox(request).calls))


async def create_call(request: Request) -> Response:
    """POST /call. The sandbox places no phone call: it records the call, and the configuration it would
    have used (`test_call_configs`), and answers in the API's shape with status 'not_launched'."""
    state = _sandbox(request)
    store = state.store
    body = await _json_body(request)
    if not isinstance(body, dict) or not isinstance(body.get("phone_number"), str):
        return _error(400, "phone_number: field required", field="phone_number")
    config = body.get("assistant")
    if config is None and body.get("assistant_id"):
        # A stored assistant is taken as stored: the API holds it, answer-only keys (FAQ ids) and all.
        config = await _run(store.get, str(body["assistant_id"]))
        if config is None:
            return _error(404, "Assistant not found")
    elif not isinstance(config, dict) or not isinstance(config.get("prompt"), str):
        return _error(400, "assistant: an inline assistant with a prompt, or an assistant_id", field="assistant")
    else:
        # An inline assistant is a CallCreateParams.Assistant: the update body's fields, checked as such.
        inline = {k: v for k, v in config.items() if k not in ("id", "organization_id", "created_at", "updated_at")}
        try:
            AssistantUpdate.model_validate({k: v for k, v in inline.items() if k not in state.newer_fields})
        except ValidationError as exc:
            if any(not state.knows(p) for p in pydantic_problems(exc)):
                return _validation_error(exc)
    call = placed_call(f"call_test_{len(state.test_call_configs) + 1:03d}", body, config, store.organization_id)
    state.test_call_configs[call["id"]] = config
    state.call_requests.append(body)
    state.calls.insert(0, call)
    return JSONResponse({"call": call}, status_code=201)


async def get_call(request: Request) -> Response:
    state = _sandbox(request)
    store = state.store
    for call in state.calls:
        if call["id"] == request.path_params["id"]:
            return JSONResponse({"call": with_live_assistant(call, await _run(_assistants_by_id, store))})
    return _error(404, "Call not found")


async def faults(request: Request) -> Response:
    state = _sandbox(request)
    if request.method == "DELETE":
        state.faults.clear()
        return JSONResponse({"faults": []})
    if request.method == "POST":
        try:
            state.faults.append(Fault(**await _json_body(request)))
        except TypeError as exc:
            return _error(400, f"bad fault: {exc}")
    return JSONResponse({"faults": [asdict(f) for f in state.faults]})


async def newer_fields(request: Request) -> Response:
    state = _sandbox(request)
    if request.method == "POST":
        names = (await _json_body(request)).get("fields")
        if not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
            return _error(400, 'bad fields: send {"fields": ["name", ...]}')
        state.newer_fields = set(names)
    return JSONResponse({"fields": sorted(state.newer_fields)})


async def request_log(request: Request) -> Response:
    state = _sandbox(request)
    if request.method == "DELETE":
        state.requests.clear()
    return JSONResponse({"requests": [asdict(r) for r in state.requests]})


def create_app(store: AssistantStore, api_key: str) -> Starlette:
    state = SandboxState(store=store, api_key=api_key, campaigns=CampaignStore(store))
    state.reseed()
    app = Starlette(
        routes=[
            Route("/assistants", list_assistants, methods=["GET"]),
            Route("/assistants", create_assistant, methods=["POST"]),
            Route("/assistants/{id}", get_assistant, methods=["GET"]),
            Route("/assistants/{id}", update_assistant, methods=["PATCH"]),
            Route("/assistants/{id}", delete_assistant, methods=["DELETE"]),
            Route("/assistants/{id}/clone", clone_assistant, methods=["POST"]),
            Route("/voices", list_voices, methods=["GET"]),
            Route("/voices/preview", voice_preview, methods=["POST"]),
            Route("/voices/{id}", get_voice, methods=["GET"]),
            Route("/phone-numbers", list_phone_numbers, methods=["GET"]),
            Route("/phone-numbers/{id}", update_phone_number, methods=["PATCH"]),
            Route("/call/search", call_search, methods=["POST"]),
            Route("/call", create_call, methods=["POST"]),
            Route("/call/{id}", get_call, methods=["GET"]),
            Route("/call/{id}/cancel", call_action, methods=["POST"]),
            Route("/call/{id}/pause", call_action, methods=["POST"]),
            Route("/call/{id}/resume", call_action, methods=["POST"]),
            Route("/calls/phone-history", phone_history, methods=["GET"]),
            Route("/_sandbox/faults", faults, methods=["GET", "POST", "DELETE"]),
            Route("/_sandbox/requests", request_log, methods=["GET", "DELETE"]),
            Route("/_sandbox/newer-fields", newer_fields, methods=["GET", "POST"]),
            *CAMPAIGN_ROUTES,
        ],
        exception_handlers={BadBody: _bad_body},
    )
    app.state.sandbox = state
    app.state.campaigns = state.campaigns
    app.add_middleware(SandboxGate, state=state)
    return app


class SandboxGate:
    """Pure ASGI in front of the routes: Bearer auth, the request log, and fault injection (which must be
    able to cut a connection or answer after the real handler ran, so it cannot be a route)."""

    def __init__(self, app: Any, state: SandboxState) -> None:
        self._app = app
        self._state = state

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        request = Request(scope)
        path = request.url.path
        control = path.startswith("/_sandbox/")
        entry = None
        if not control:
            # Logged on arrival (status filled in on the way out), so a slow request that is still in
            # flight when a test resets the log cannot land in the next test's log. The raw path, as
            # sent, shows what encoding a client applied (the decoded one hides it).
            raw_path = scope.get("raw_path", path.encode()).decode("latin-1")
            entry = LoggedRequest(request.method, raw_path, 0)
            self._state.requests.append(entry)

        async def logged_send(message: Any) -> None:
            if entry is not None and message["type"] == "http.response.start":
                entry.status = message["status"]
            await send(message)

        if not _authorized(request, self._state.api_key):
            await _error(401, "Invalid or missing API key")(scope, receive, logged_send)
            return
        fault = None if control else self._state.take_fault(request.method, path)
        if fault is None:
            await self._app(scope, receive, logged_send)
            return
        if fault.apply:
            # Handle for real (the log shows the real status), hold the answer back, then deliver it
            # late or not at all.
            held: list[Any] = []

            async def hold(message: Any) -> None:
                if entry is not None and message["type"] == "http.response.start":
                    entry.status = message["status"]
                held.append(message)

            await self._app(scope, receive, hold)
            await anyio.sleep(fault.delay_s)
            if fault.drop:
                await _cut(send)
                return
            for message in held:
                await send(message)
            return
        await anyio.sleep(fault.delay_s)
        if fault.drop:
            await _cut(send)  # logged with status 0: no answer was given
            return
        body = fault.body or {"message": f"sandbox fault {fault.status}"}
        await JSONResponse(body, status_code=fault.status, headers=fault.headers)(scope, receive, logged_send)


async def _cut(send: Any) -> None:
    """Promise a body and stop short: the server closes the connection, the client sees it dropped."""
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1000")]})
    await send({"type": "http.response.body", "body": b"{", "more_body": False})


def _authorized(request: Request, api_key: str) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(token.encode(), api_key.encode())
