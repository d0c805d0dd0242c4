"""The reference provider as an ASGI application: routes, authentication, JSON bodies, errors in OpenAI's shape,
and the fault hooks every response passes through.

``create_app(faults=(), api_key=None, models=DEFAULT_MODELS)`` builds a fresh provider with empty storage;
``routes`` restricts it to some API areas (the others answer like unknown paths), ``unknown_routes="detail"``
answers unknown paths as FastAPI-based servers do (``{"detail": "Not Found"}``), and ``latency`` delays every
answer (a slow provider, for benchmarks).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import batches, chat, completions, embeddings, files, moderations, responses, stored, transcriptions, wire
from . import models as model_routes
from .faults import ActiveFaults, FaultContext
from .text import digest
from .wire import (
    APIError,
    EventStream,
    JSONBody,
    Upload,
    WireResponse,
    error_body,
    serialize_json,
    serialize_stream,
)

API_PREFIX = "/v1"
Answer = JSONBody | EventStream | wire.RawBody  # a TextBody is a RawBody


class Provider:
    """The state of one provider instance: its models, faults, key, stored objects and id counters."""

    def __init__(self, faults: Iterable[str] | ActiveFaults = (), api_key: str | None = None,
                 model_ids: Iterable[str] = model_routes.DEFAULT_MODELS, clock: Callable[[], float] = time.time) -> None:
        self.active = faults if isinstance(faults, ActiveFaults) else ActiveFaults(list(faults))
        self.api_key = api_key
        self.models = list(model_ids)
        self.stored = stored.StoredCompletions()
        self.responses = responses.StoredResponses()
        self.files = files.FileStore()
        self.batches = batches.BatchStore()
        self.clock = clock
        self._ids = itertools.count(1)

    def new_id(self, prefix: str) -> str:
        """A unique id: deterministic for the n-th object of a fresh provider, OpenAI-like in form."""
        n = next(self._ids)
        return prefix + format(digest(prefix, n), "016x") + format(digest(n, prefix), "016x")[:8]

    def now(self) -> int:
        return int(self.clock())

    def require_model(self, name: str, param: str = "model") -> None:
        if name not in self.models:
            raise model_routes.not_found(name, param)

    def authorized(self, request: Request, ctx: FaultContext) -> bool:
        if self.api_key is None:
            ok = True
        else:
            header = request.headers.get("authorization", "")
            scheme, _, key = header.partition(" ")
            ok = scheme.lower() == "bearer" and key.strip() == self.api_key
        return bool(self.active.apply("auth", ok, ctx))

    def auth_error(self, request: Request) -> APIError:
        header = request.headers.get("authorization", "")
        key = header.partition(" ")[2].strip()
        if not key:
            message = ("You didn't provide an API key. You need to provide your API key in an Authorization header "
                       "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).")
        else:
            shown = ("*" * 4 + key[-4:]) if len(key) > 8 else "****"
            message = f"Incorrect API key provided: {shown}."
        return APIError(401, message, None, "invalid_api_key")

    def respond(self, answer: Answer, ctx: FaultContext) -> WireResponse:
        request_id = "req_" + format(digest("req", next(self._ids)), "032x")[:32]
        if isinstance(answer, EventStream):
            status, headers, body = serialize_stream(answer, request_id, self.active, ctx)
        elif isinstance(answer, wire.RawBody):
            status, headers, body = wire.serialize_raw(answer, request_id, self.active, ctx)
        else:
            status, headers, body = serialize_json(answer, request_id, self.active, ctx)
        return WireResponse(status, headers, body)


@dataclass
class Call:
    """One request as an endpoint sees it."""

    provider: Provider
    ctx: FaultContext
    body: Any
    path_params: Mapping[str, str]
    query: Mapping[str, str]
    raw: bytes = b""  # the request body as sent, for a multipart/form-data upload
    content_type: str = ""

    def apply(self, point: str, value: Any) -> Any:
        return self.provider.active.apply(point, value, self.ctx)

    def require_model(self, name: str, param: str = "model") -> None:
        """A 404 model_not_found for a model the provider does not serve (a fault may serve it anyway)."""
        if name not in self.provider.models and self.apply("models.unknown", True):
            raise model_routes.not_found(name, param)


def context(request: Request, name: str) -> FaultContext:
    return FaultContext(method=request.method, path=request.url.path, endpoint=name,
                        query=dict(request.query_params))


async def read_json(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw) if raw.strip() else None
    except ValueError:
        raise APIError(400, "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
                            "using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was "
                            "sent was not valid JSON.)", None, None) from None


async def read_form(request: Request) -> dict[str, Any]:
    """A multipart/form-data body as a dict: text fields as strings, file parts as ``Upload``."""
    try:
        form = await request.form()
    except (MultiPartException, ValueError) as exc:
        raise APIError(400, f"Could not parse multipart form: {exc}", None, None) from None
    out: dict[str, Any] = {}
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            out[name] = Upload(value.filename or "", await value.read(), value.content_type or "")
        else:
            out[name] = value
    await form.close()
    return out


async def read_body(request: Request) -> Any:
    if request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        return await read_form(request)
    return await read_json(request)


def endpoint(provider: Provider, name: str, handler: Callable[[Call], Answer], has_body: bool = False):
    async def run(request: Request) -> WireResponse:
        ctx = context(request, name)
        try:
            if not provider.authorized(request, ctx):
                raise provider.auth_error(request)
            content_type = request.headers.get("content-type", "")
            form = has_body and content_type.lower().startswith("multipart/form-data")
            raw = await request.body() if form else b""  # kept: the files endpoints parse the form exactly
            body = await read_body(request) if has_body else None
            ctx.request = body
            if isinstance(body, dict):
                body = ctx.request = provider.active.apply("request", body, ctx)
            answer = handler(Call(provider, ctx, body, request.path_params, ctx.query, raw, content_type))
        except APIError as err:
            answer = error_body(err, provider.active, ctx)
        return provider.respond(answer, ctx)

    run.__name__ = name.replace(".", "_")
    return run


ROUTES: tuple[tuple[str, str, str, Callable[[Call], Answer]], ...] = (
    ("GET", "/models", "models.list", model_routes.list_models),
    ("GET", "/models/{model}", "models.retrieve", model_routes.retrieve_model),
    ("POST", "/chat/completions", "chat.completions", chat.create),
    ("GET", "/chat/completions", "stored.list", stored.list_completions),
    ("GET", "/chat/completions/{completion_id}", "stored.retrieve", stored.retrieve),
    ("POST", "/chat/completions/{completion_id}", "stored.update", stored.update),
    ("DELETE", "/chat/completions/{completion_id}", "stored.delete", stored.delete),
    ("GET", "/chat/completions/{completion_id}/messages", "stored.messages", stored.list_messages),
    ("POST", "/completions", "completions", completions.create),
    ("POST", "/embeddings", "embeddings", embeddings.create),
    ("POST", "/moderations", "moderations", moderations.create),
    ("POST", "/audio/transcriptions", "audio.transcriptions", transcriptions.create),
    ("POST", "/responses", "responses.create", responses.create),
    ("GET", "/responses/{response_id}", "responses.retrieve", responses.retrieve),
    ("DELETE", "/responses/{response_id}", "responses.delete", responses.delete),
    ("GET", "/responses/{response_id}/input_items", "responses.input_items", responses.input_items),
    ("POST", "/files", "files.upload", files.upload),
    ("GET", "/files", "files.list", files.list_files),
    ("GET", "/files/{file_id}", "files.retrieve", files.retrieve),
    ("DELETE", "/files/{file_id}", "files.delete", files.delete),
    ("GET", "/files/{file_id}/content", "files.content", files.content),
    ("POST", "/batches", "batches.create", batches.create),
    ("GET", "/batches", "batches.list", batches.list_batches),
    ("GET", "/batches/{batch_id}", "batches.retrieve", batches.retrieve),
    ("POST", "/batches/{batch_id}/cancel", "batches.cancel", batches.cancel),
)


# The API areas a provider can be restricted to (``oaic serve --routes``): area -> endpoint-name prefixes.
AREAS: dict[str, tuple[str, ...]] = {
    "models": ("models.",),
    "chat": ("chat.",),
    "stored": ("stored.",),
    "completions": ("completions",),
    "embeddings": ("embeddings",),
    "responses": ("responses.",),
    "moderations": ("moderations",),
    "transcriptions": ("audio.transcriptions",),
}
UNKNOWN_ROUTE_STYLES = ("openai", "detail")  # OpenAI's error body, or FastAPI's {"detail": "Not Found"}


def parse_routes(text: str | Iterable[str] | None) -> tuple[str, ...] | None:
    """'chat,models' -> ("chat", "models"); None means every area. Unknown areas raise KeyError."""
    if text is None:
        return None
    names = [n.strip() for n in (text.split(",") if isinstance(text, str) else text) if n.strip()]
    unknown = [n for n in names if n not in AREAS]
    if unknown:
        raise KeyError(f"unknown API area {unknown[0]!r} (areas: {', '.join(AREAS)})")
    return tuple(names)


def _served(name: str, areas: tuple[str, ...] | None) -> bool:
    return areas is None or any(name.startswith(prefix) for area in areas for prefix in AREAS[area])


class Latency:
    """ASGI middleware: wait before answering each request."""

    def __init__(self, app: Any, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and self.seconds > 0:
            await asyncio.sleep(self.seconds)
        await self.app(scope, receive, send)


def create_app(faults: Iterable[str] | ActiveFaults = (), api_key: str | None = None,
               models: Iterable[str] | None = None, routes: str | Iterable[str] | None = None,
               unknown_routes: str = "openai", latency: float = 0.0) -> Starlette:
    """A fresh provider. Unknown fault names, areas and styles raise KeyError (see ``oaic serve --list-faults``)."""
    if unknown_routes not in UNKNOWN_ROUTE_STYLES:
        raise KeyError(f"unknown style {unknown_routes!r} for unknown routes (styles: "
                       f"{', '.join(UNKNOWN_ROUTE_STYLES)})")
    areas = parse_routes(routes)
    provider = Provider(faults, api_key, models if models is not None else model_routes.DEFAULT_MODELS)
    served = []
    for method, path, name, handler in ROUTES:
        if _served(name, areas):
            served.append(Route(API_PREFIX + path, endpoint(provider, name, handler, method == "POST"),
                                methods=[method], name=name))

    async def http_error(request: Request, exc: Exception) -> Response | WireResponse:
        ctx = context(request, "unrouted")
        status = getattr(exc, "status_code", 500)
        if unknown_routes == "detail" and status in (404, 405):  # as FastAPI answers: no OpenAI headers either
            return JSONResponse({"detail": "Not Found" if status == 404 else "Method Not Allowed"}, status)
        if status == 405:
            err = APIError(405, f"Method {request.method} is not allowed for {request.url.path}. (Allowed: "
                                f"{(getattr(exc, 'headers', None) or {}).get('Allow', '')})", None, "method_not_allowed")
        elif status == 404:
            err = APIError(404, f"Invalid URL ({request.method} {request.url.path})", None, "unknown_url")
        else:
            err = APIError(500, "The server had an error while processing your request. Sorry about that!", None,
                           None, "server_error")
        return provider.respond(error_body(err, provider.active, ctx), ctx)

    app = Starlette(routes=served, exception_handlers={HTTPException: http_error, Exception: http_error},
                    middleware=[Middleware(Latency, seconds=latency)] if latency > 0 else None)
    app.router.redirect_slashes = False  # OpenAI answers an unknown path (a trailing slash too) with 404
    app.state.provider = provider
    return app
