"""Checks and helpers shared by every area: transport health, JSON bodies, OpenAI error bodies, schemas."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import wirejson
from ..exchange import Exchange
from ..findings import Finding, errored, expect, failed, passed, short
from . import check

OPENAI_ERROR_STATUSES_UNSUPPORTED = (404, 405, 501)


def no_response(ex: Exchange, requirements: Iterable[str]) -> list[Finding]:
    """When no response arrived, requirements about the response cannot be judged (transport.* says why)."""
    if ex.status is not None:
        return []
    return [errored(r, f"not judged: {ex.method} {ex.path} got no response ({ex.error})", **ex.summary())
            for r in requirements]


@check("transport.response.timely", "transport.response.complete", "transport.response.bounded")
def transport_health(ex: Exchange) -> Iterable[Finding]:
    """Applied to every exchange of a live run by the plugin (with unicode_valid)."""
    where = f"{ex.method} {ex.path}"
    kind = ex.error_kind
    if kind in ("timeout", "stall", "deadline"):
        yield failed("transport.response.timely", f"{where}: {ex.error}", **ex.summary(),
                     events_received=len(ex.events or []))
    elif kind != "connect":
        yield passed("transport.response.timely")
    if kind == "closed":
        yield failed("transport.response.complete", f"{where}: {ex.error}", **ex.summary(),
                     events_received=len(ex.events or []))
    elif kind is None:
        yield passed("transport.response.complete")
    if kind == "too-large":
        yield failed("transport.response.bounded", f"{where}: {ex.error}", **ex.summary())
    elif kind is None:
        yield passed("transport.response.bounded")
    if kind == "connect":
        yield failed("transport.response.timely", f"{where}: {ex.error}", **ex.summary())
    yield from unicode_valid(ex)  # judged on every exchange too; its own @check keeps its errors its own


@check("transport.unicode-valid")
def unicode_valid(ex: Exchange) -> Iterable[Finding]:
    """JSON bodies and SSE data are UTF-8 (RFC 8259 8.1) and their strings hold no lone surrogate (8.2)."""
    req = "transport.unicode-valid"
    if ex.status is None or ex.error_kind:
        return  # a body cut short may end inside a character: nothing to judge
    where = f"{ex.method} {ex.path}"
    if ex.is_stream:
        invalid = [problem for problem in ex.stream_problems if "UTF-8" in problem]
        if invalid:
            yield failed(req, f"{where}: stream {invalid[0]}" + (f" (+{len(invalid) - 1} more lines)"
                                                                  if len(invalid) > 1 else ""), **ex.summary())
            return
        values = [(f"event #{event.index} ", payload) for event, payload in ex.chunks_json()]
    elif ex.content_type == "application/json" and ex.body.strip():
        try:
            ex.body.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield failed(req, f"{where}: body is not valid UTF-8 at byte {exc.start} "
                              f"({ex.body[max(0, exc.start - 20):exc.start + 4]!r})", **ex.summary())
            return
        values = [("", ex.json())] if ex.json_error is None else []
    else:
        return
    for label, value in values:
        for pointer, text in wirejson.lone_surrogates(value, limit=1):
            code = ord(next(c for c in text if "\ud800" <= c <= "\udfff"))
            yield failed(req, f"{where}: {label}JSON string at {pointer} holds a lone UTF-16 surrogate "
                              f"(\\u{code:04x}, half of a character): {short(text, 120)}",
                         **ex.summary(), pointer=pointer, string=text[:300])
            return
    yield passed(req)


# Transcription formats OpenAI answers as plain text: judged by audio.* requirements, not as JSON.
PLAIN_TEXT_FORMATS = ("text", "srt", "vtt")


def plain_text_requested(ex: Exchange) -> bool:
    """A successful transcription in a format that is plain text by design."""
    fields = ex.request_json if isinstance(ex.request_json, dict) else {}
    return (ex.path.split("?")[0].startswith("/audio/") and ex.status is not None and 200 <= ex.status < 300
            and fields.get("response_format") in PLAIN_TEXT_FORMATS)


def asked_for_other_than_json(ex: Exchange) -> bool:
    """The request's Accept header names a type that is not JSON (a file download: bytes, not JSON)."""
    accept = ex.request_headers.get("accept", "").lower()
    return bool(accept) and "json" not in accept and "*/*" not in accept


@check("transport.json.content-type")
def json_response(ex: Exchange) -> Iterable[Finding]:
    """A non-streamed response is application/json and parses (unless the request asked for another type, or a
    plain-text transcription format, and got a success)."""
    if ex.status is None or ex.is_stream or ex.error_kind or plain_text_requested(ex) \
            or (ex.ok and asked_for_other_than_json(ex)):
        return
    req = "transport.json.content-type"
    if ex.content_type != "application/json":
        yield failed(req, f"{ex.method} {ex.path} answered HTTP {ex.status} with content type "
                          f"{ex.headers.get('content-type', '(none)')!r}, expected application/json",
                     status=ex.status, content_type=ex.headers.get("content-type"), body=short(ex.body, 200))
        return
    yield expect(req, ex.json_error is None, f"{ex.method} {ex.path} answered HTTP {ex.status} "
                                             f"application/json but {ex.json_error}", status=ex.status)


def error_body_problems(ex: Exchange) -> list[str]:
    """What keeps an error response from being OpenAI's {"error": {message, type, param, code}} (empty: fine)."""
    problems = []
    if ex.content_type != "application/json":
        problems.append(f"content type is {ex.headers.get('content-type', '(none)')!r}, not application/json")
    body = ex.json()
    if body is None:
        problems.append(ex.json_error or "body is not JSON")
        return problems
    if not isinstance(body, dict) or "error" not in body:
        keys = list(body) if isinstance(body, dict) else type(body).__name__
        problems.append(f"body has no 'error' object (top-level: {short(keys, 120)})")
        return problems
    error = body["error"]
    if not isinstance(error, dict):
        problems.append(f"'error' is {type(error).__name__} {short(error, 120)}, not an object")
        return problems
    for key in ("message", "type"):
        if not isinstance(error.get(key), str):
            problems.append(f"error.{key} is {short(error.get(key), 80) if key in error else 'missing'}, "
                            f"expected a string")
    for key in ("param", "code"):
        if key not in error:
            problems.append(f"error.{key} is missing (expected a string or null)")
        elif error[key] is not None and not isinstance(error[key], str):
            problems.append(f"error.{key} is {short(error[key], 80)}, expected a string or null")
    return problems


@check("errors.body.shape")
def error_body(ex: Exchange) -> Iterable[Finding]:
    """Any non-2xx answer the suite provokes carries OpenAI's error body."""
    if ex.status is None or ex.status < 400:
        return
    problems = error_body_problems(ex)
    yield expect("errors.body.shape", not problems,
                 f"{ex.method} {ex.path} → HTTP {ex.status}: error body not in OpenAI's shape: "
                 + "; ".join(problems), status=ex.status, body=short(ex.body, 300))


def not_a_stream(ex: Exchange) -> str | None:
    """Why a stream: true request did not get an SSE stream (None when it did)."""
    if ex.status != 200:
        return f"stream: true answered {ex.describe()}, expected 200 text/event-stream"
    if not ex.is_stream or ex.content_type != "text/event-stream":
        return (f"stream: true answered content type {ex.headers.get('content-type', '(none)')!r}, expected "
                f"text/event-stream")
    return None


def honest_unsupported(ex: Exchange) -> bool:
    """The target said plainly that it does not implement this: 404/405/501 with an OpenAI error body."""
    return ex.status in OPENAI_ERROR_STATUSES_UNSUPPORTED and not error_body_problems(ex)


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def json_pointer(*parts: Any) -> str:
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)
