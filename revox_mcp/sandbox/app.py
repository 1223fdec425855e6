"""The sandbox's HTTP face: the Revox assistants API on Starlette, plus a small control surface.

It speaks the reference's wire protocol (paths, Bearer auth, JSON bodies, the `{"assistant": ...}`
wrapping, 400/401/404 with a JSON `message`) and validates bodies with the same models the API
rules were taken from. Under `/_sandbox/` (same auth) tests can queue faults for a route and read
the log of requests the sandbox answered, e.g. to prove an invalid patch sent nothing.
"""

from __future__ import annotations

import fnmatch
import hmac
import json
from dataclasses import asdict, dataclass, field
from typing import Any

import anyio
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from revox_mcp.models import AssistantUpdate
from revox_mcp.sandbox.store import AssistantStore


@dataclass
class Fault:
    """A canned answer for requests matching `method` and `path` (a glob), served `times` times (-1: always)."""

    method: str
    path: str
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    times: int = 1


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
    faults: list[Fault] = field(default_factory=list)
    requests: list[LoggedRequest] = field(default_factory=list)

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


async def _bad_body(request: Request, exc: Exception) -> Response:
    return _error(400, str(exc))


def create_app(store: AssistantStore, api_key: str) -> Starlette:
    state = SandboxState(store=store, api_key=api_key)

    async def run(fn: Any, *args: Any) -> Any:
        # SQLite calls are blocking; keep them off the event loop.
        return await anyio.to_thread.run_sync(fn, *args)

    async def list_assistants(request: Request) -> Response:
        return JSONResponse({"assistants": await run(store.list)})

    async def create_assistant(request: Request) -> Response:
        body = await _json_body(request)
        if not isinstance(body, dict):
            return _error(400, "The body must be a JSON object")
        missing = [k for k in ("name", "prompt") if k not in body]
        if missing:
            return _error(400, f"{missing[0]}: field required", field=missing[0])
        try:
            fields = AssistantUpdate.model_validate(body).body()
        except ValidationError as exc:
            return _validation_error(exc)
        return JSONResponse({"assistant": await run(store.create, fields)}, status_code=201)

    async def get_assistant(request: Request) -> Response:
        row = await run(store.get, request.path_params["id"])
        return JSONResponse(row) if row else _error(404, "Assistant not found")

    async def update_assistant(request: Request) -> Response:
        body = await _json_body(request)
        if not isinstance(body, dict):
            return _error(400, "The body must be a JSON object")
        try:
            fields = AssistantUpdate.model_validate(body).body()
        except ValidationError as exc:
            return _validation_error(exc)
        row = await run(store.update, request.path_params["id"], fields)
        return JSONResponse({"assistant": row}) if row else _error(404, "Assistant not found")

    async def delete_assistant(request: Request) -> Response:
        deleted = await run(store.delete, request.path_params["id"])
        return JSONResponse({"success": True}) if deleted else _error(404, "Assistant not found")

    async def clone_assistant(request: Request) -> Response:
        row = await run(store.clone, request.path_params["id"])
        return JSONResponse({"assistant": row}, status_code=201) if row else _error(404, "Assistant not found")

    async def faults(request: Request) -> Response:
        if request.method == "DELETE":
            state.faults.clear()
            return JSONResponse({"faults": []})
        if request.method == "POST":
            try:
                state.faults.append(Fault(**await _json_body(request)))
            except TypeError as exc:
                return _error(400, f"bad fault: {exc}")
        return JSONResponse({"faults": [asdict(f) for f in state.faults]})

    async def request_log(request: Request) -> Response:
        if request.method == "DELETE":
            state.requests.clear()
        return JSONResponse({"requests": [asdict(r) for r in state.requests]})

    async def auth_faults_and_log(request: Request, call_next: Any) -> Response:
        path = request.url.path
        control = path.startswith("/_sandbox/")
        entry = None
        if not control:
            # Logged on arrival (status filled in on the way out), so a slow request that is still in
            # flight when a test resets the log cannot land in the next test's log.
            # The raw path, as sent, shows what encoding a client applied (the decoded one hides it).
            raw_path = request.scope.get("raw_path", path.encode()).decode("latin-1")
            entry = LoggedRequest(request.method, raw_path, 0)
            state.requests.append(entry)
        response: Response
        if not _authorized(request, api_key):
            response = _error(401, "Invalid or missing API key")
        elif not control and (fault := state.take_fault(request.method, path)):
            if fault.delay_s:
                await anyio.sleep(fault.delay_s)
            body = fault.body or {"message": f"sandbox fault {fault.status}"}
            response = JSONResponse(body, status_code=fault.status, headers=fault.headers)
        else:
            response = await call_next(request)
        if entry is not None:
            entry.status = response.status_code
        return response

    app = Starlette(
        routes=[
            Route("/assistants", list_assistants, methods=["GET"]),
            Route("/assistants", create_assistant, methods=["POST"]),
            Route("/assistants/{id}", get_assistant, methods=["GET"]),
            Route("/assistants/{id}", update_assistant, methods=["PATCH"]),
            Route("/assistants/{id}", delete_assistant, methods=["DELETE"]),
            Route("/assistants/{id}/clone", clone_assistant, methods=["POST"]),
            Route("/_sandbox/faults", faults, methods=["GET", "POST", "DELETE"]),
            Route("/_sandbox/requests", request_log, methods=["GET", "DELETE"]),
        ],
        exception_handlers={BadBody: _bad_body},
        middleware=[Middleware(BaseHTTPMiddleware, dispatch=auth_faults_and_log)],
    )
    app.state.sandbox = state

    return app


def _authorized(request: Request, api_key: str) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(token.encode(), api_key.encode())
