"""The transport area: what every exchange of a run is judged on, whatever the scenario (deadlines, a complete and
bounded body, valid UTF-8, a JSON content type). The Run applies these to each exchange (run.exchange_seen)."""

from __future__ import annotations

from collections.abc import Iterable

from .. import wirejson
from ..exchange import Exchange
from ..findings import Finding, expect, failed, passed, short
from . import check


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
