"""What the provider puts on the wire: OpenAI error bodies, JSON bodies, and server-sent event streams.

Everything leaves through here so the fault hooks on the wire (``error``, ``response.status``, ``response.body``,
``response.headers``, ``sse.data``, ``sse.bytes``) see every response, and so ``Stall``/``Close`` markers are
honoured in one place.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import anyio

from .faults import ActiveFaults, Close, FaultContext, Stall


class APIError(Exception):
    """An OpenAI error response: ``{"error": {"message", "type", "param", "code"}}`` with an HTTP status."""

    def __init__(self, status: int, message: str, param: str | None = None, code: str | None = None,
                 type: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.code = code
        self.type = type

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


class ConnectionDropped(Exception):
    """Raised inside a stream to make the server drop the connection (the ``Close`` marker)."""


class _QuietDrops(logging.Filter):
    """The server logs an application exception; a deliberate drop is not one."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ConnectionDropped))


logging.getLogger("uvicorn.error").addFilter(_QuietDrops())


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class JSONBody:
    """A finished non-streamed answer: status and JSON value (bytes once serialized)."""

    def __init__(self, value: Any, status: int = 200) -> None:
        self.value = value
        self.status = status


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart/form-data request, as endpoints receive it."""

    filename: str
    content: bytes
    content_type: str


class RawBody:
    """A finished non-JSON answer: bytes sent as they are (a file's content), with their content type."""

    def __init__(self, data: bytes, content_type: str = "application/octet-stream", status: int = 200) -> None:
        self.data = data
        self.content_type = content_type
        self.status = status


class TextBody(RawBody):
    """A finished plain-text answer (transcriptions as text, srt, vtt)."""

    def __init__(self, text: str, content_type: str = "text/plain; charset=utf-8", status: int = 200) -> None:
        super().__init__(text.encode("utf-8"), content_type, status)
        self.text = text


class EventStream:
    """A finished streamed answer: the payloads in order. ``named`` streams (Responses API) carry an
    ``event:`` line equal to each payload's ``type``; ``done`` streams end with ``data: [DONE]``."""

    def __init__(self, payloads: list[Any], done: bool = True, named: bool = False) -> None:
        self.payloads = payloads
        self.done = done
        self.named = named


def error_body(err: APIError, active: ActiveFaults, ctx: FaultContext) -> JSONBody:
    status, body = active.apply("error", (err.status, err.body()), ctx)
    return JSONBody(body, status)


# OpenAI reports its rate limits on every answer; the reference provider never limits, so the values are fixed.
RATE_LIMIT_HEADERS = {
    "x-ratelimit-limit-requests": "10000", "x-ratelimit-limit-tokens": "10000000",
    "x-ratelimit-remaining-requests": "9999", "x-ratelimit-remaining-tokens": "9999000",
    "x-ratelimit-reset-requests": "6ms", "x-ratelimit-reset-tokens": "6ms",
}


def base_headers(request_id: str, content_type: str) -> dict[str, str]:
    return {"content-type": content_type, "x-request-id": request_id, "openai-version": "2020-10-01",
            **RATE_LIMIT_HEADERS}


def serialize_json(answer: JSONBody, request_id: str, active: ActiveFaults, ctx: FaultContext):
    """(status, headers, body) where body is bytes, or an iterable of bytes when a fault made it lazy."""
    body = active.apply("response.body", (dumps(answer.value) + "\n").encode("utf-8"), ctx)
    headers = active.apply("response.headers", base_headers(request_id, "application/json"), ctx)
    return active.apply("response.status", answer.status, ctx), headers, body


def serialize_raw(answer: RawBody, request_id: str, active: ActiveFaults, ctx: FaultContext):
    """(status, headers, body) of a raw or plain-text answer; the same wire hooks as a JSON body."""
    body = active.apply("response.body", answer.data, ctx)
    headers = active.apply("response.headers", base_headers(request_id, answer.content_type), ctx)
    return active.apply("response.status", answer.status, ctx), headers, body


def serialize_stream(stream: EventStream, request_id: str, active: ActiveFaults, ctx: FaultContext):
    """(status, headers, pieces): the byte strings (and Stall/Close markers) of the event stream."""
    data = [payload if isinstance(payload, str) else dumps(payload) for payload in stream.payloads]
    if stream.done:
        data.append("[DONE]")
    data = active.apply("sse.data", data, ctx)
    pieces: list[Any] = []
    for item in data:
        event = _event_name(item) if stream.named else None
        prefix = f"event: {event}\n" if event else ""
        pieces.append(f"{prefix}data: {item}\n\n".encode())
    pieces = active.apply("sse.bytes", pieces, ctx)
    headers = active.apply("response.headers", {**base_headers(request_id, "text/event-stream; charset=utf-8"),
                                                "cache-control": "no-cache"}, ctx)
    return active.apply("response.status", 200, ctx), headers, pieces


def _event_name(data: str) -> str | None:
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):  # a fault may have made the payload unparseable or absurdly deep
        return None
    return value.get("type") if isinstance(value, dict) and isinstance(value.get("type"), str) else None


class WireResponse:
    """A raw ASGI response over bytes or an iterable of pieces (bytes, Stall, Close).

    The status line and headers go out with the first byte piece, so a Stall before any bytes is a server that
    never starts answering. While pieces are being written it also listens for the client going away, so a
    stalled response ends as soon as the client gives up instead of holding the server for the whole stall.
    """

    def __init__(self, status: int, headers: dict[str, str], body: bytes | Iterable[Any]) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        raw_headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in self.headers.items()]
        if isinstance(self.body, (bytes, bytearray)):
            raw_headers.append((b"content-length", str(len(self.body)).encode()))
            await send({"type": "http.response.start", "status": self.status, "headers": raw_headers})
            await send({"type": "http.response.body", "body": bytes(self.body)})
            return
        start = {"type": "http.response.start", "status": self.status, "headers": raw_headers}
        dropped = False
        async with anyio.create_task_group() as group:
            async def write() -> None:
                nonlocal dropped
                dropped = not await _write_pieces(self.body, start, send)
                group.cancel_scope.cancel()

            async def watch() -> None:
                while (await receive())["type"] != "http.disconnect":
                    pass
                group.cancel_scope.cancel()

            group.start_soon(write)
            group.start_soon(watch)
        if dropped:
            raise ConnectionDropped("connection dropped on purpose (fault)")


async def _write_pieces(pieces: Iterable[Any], start: dict, send: Any) -> bool:
    """Write every piece (the start message before the first bytes); False when a Close marker says to drop
    the connection instead of finishing."""
    started = False
    for piece in pieces:
        if isinstance(piece, Stall):
            await anyio.sleep(piece.seconds)
        elif isinstance(piece, Close):
            return False
        else:
            if not started:
                await send(start)
                started = True
            await send({"type": "http.response.body", "body": piece, "more_body": True})
    if not started:
        await send(start)
    await send({"type": "http.response.body", "body": b"", "more_body": False})
    return True
