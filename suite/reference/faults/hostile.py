"""Faults of a hostile or broken server: each poisons one kind of value in every JSON body and stream event.

They prove the suite itself survives what it is pointed at: the run continues, the transport checks say what
is wrong, and the reports stay complete, valid and inert. The poisons that are illegal on the wire (a lone
surrogate, invalid UTF-8, absurd nesting, an enormous line) are public faults naming the requirement that
catches them. Markup, control and bidirectional characters are legal inside a JSON string, so no requirement
can fail for them as such; those faults are not public, they poison every string (enumerations included, so
failure messages quote them) and only the hostile self-test uses them, to show the reports keep them inert.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from . import FaultContext, Stall, fault

# Free-text values a server fills in itself; poisoning them leaves every enumeration and identifier valid.
FREE_TEXT = ("owned_by", "content", "text", "message", "system_fingerprint")
MARKUP = "<script>alert(1)</script><img src=x onerror=alert(2)><a href=\"javascript:alert(3)\">x</a>"
CONTROL = "\x00\x1b[31;1mRED\x1b[0m\x07\x08\r"
BIDI = "\u202eevil\u202c\u2066\u200f"
LONE_SURROGATE = "\udc80"
_INVALID_BYTE_MARK = "\ue000"  # stands for one invalid UTF-8 byte until the text becomes bytes
DEEP_LEVELS = 200_000
HUGE_LINE_BYTES = 17 * 1024 * 1024  # one SSE line just over the suite's 16 MiB bound
_SURROGATES = re.compile("[\ud800-\udfff]")


def _poison(value: Any, suffix: str, keys: tuple[str, ...] | None, key: str | None = None) -> Any:
    """``value`` with ``suffix`` appended to its strings: those under ``keys``, or all of them (None)."""
    if isinstance(value, str):
        return value + suffix if keys is None or key in keys else value
    if isinstance(value, list):
        return [_poison(item, suffix, keys, key) for item in value]
    if isinstance(value, dict):
        return {k: _poison(v, suffix, keys, k) for k, v in value.items()}
    return value


def _dumps(value: Any) -> str:
    """JSON as the reference provider writes it, a lone surrogate written as its escape (valid JSON syntax)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return _SURROGATES.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _encode(text: str) -> bytes:
    return text.encode("utf-8").replace(_INVALID_BYTE_MARK.encode("utf-8"), b"\xff")


def _strings(suffix: str, keys: tuple[str, ...] | None) -> dict[str, Callable[[Any, FaultContext], Any]]:
    """Hooks that append ``suffix`` to the strings of every JSON body and every stream event."""

    def body(raw: Any, ctx: FaultContext) -> Any:
        if not isinstance(raw, bytes):
            return raw
        try:
            value = json.loads(raw)
        except ValueError:
            return raw
        return _encode(_dumps(_poison(value, suffix, keys)) + "\n")

    def data(items: list[str], ctx: FaultContext) -> list[str]:
        out = []
        for item in items:
            try:
                out.append(_dumps(_poison(json.loads(item), suffix, keys)) if item != "[DONE]" else item)
            except ValueError:
                out.append(item)
        return out

    def pieces(items: list[Any], ctx: FaultContext) -> list[Any]:
        return [_encode(p.decode("utf-8")) if isinstance(p, bytes) else p for p in items]

    return {"response_body": body, "sse_data": data, "sse_bytes": pieces}


def _deep_body(raw: Any, ctx: FaultContext) -> Any:
    """A JSON object body gains a member nested DEEP_LEVELS arrays deep (400 KB, syntactically valid)."""
    if not isinstance(raw, bytes) or not raw.lstrip().startswith(b"{"):
        return raw
    return raw.rstrip()[:-1] + b',"nested":' + b"[" * DEEP_LEVELS + b"]" * DEEP_LEVELS + b"}\n"


def _deep_events(items: list[str], ctx: FaultContext) -> list[str]:
    nested = "[" * DEEP_LEVELS + "]" * DEEP_LEVELS
    return [item[:-1] + f',"nested":{nested}}}' if item.startswith("{") else item for item in items]


def _huge_line(items: list[Any], ctx: FaultContext) -> Any:
    """The second event of every stream is preceded by one data line of 17 MiB that never ends in time."""
    if len(items) < 2:
        return items

    def produce() -> Iterator[Any]:
        yield items[0]
        yield b'data: {"id":"'
        block = b"A" * 65536
        for _ in range(HUGE_LINE_BYTES // len(block)):
            yield block
        yield b'"}\n\n'
        yield from items[1:]

    return produce()


fault("hostile-lone-surrogate", ["transport.unicode-valid"],
      "Every free-text string (owned_by, content, message, ...) ends in a lone UTF-16 surrogate escape "
      "(\\udc80): valid JSON syntax, half a character.",
      exercised_by=["models.list.shape", "chat.stream.data-json"],
      **_strings(LONE_SURROGATE, FREE_TEXT))

fault("hostile-invalid-utf8", ["transport.unicode-valid", "transport.json.content-type", "chat.stream.data-json"],
      "Every free-text string ends in a raw 0xFF byte, so bodies and stream events are not valid UTF-8.",
      exercised_by=["models.list.shape"],
      **_strings(_INVALID_BYTE_MARK, FREE_TEXT))

fault("hostile-deep-nesting", ["transport.json.content-type", "chat.stream.data-json"],
      f"Every JSON object body and stream event gains a member nested {DEEP_LEVELS} arrays deep.",
      exercised_by=["models.list.shape"],
      response_body=_deep_body, sse_data=_deep_events)

fault("hostile-huge-line", ["transport.response.bounded"],
      "Every stream sends, after its first event, a single data line of 17 MiB (beyond the suite's bound).",
      exercised_by=["chat.stream.data-json"],
      sse_bytes=_huge_line)

def _refused_stream(ctx: FaultContext) -> bool:
    """A streamed legacy completion the provider is refusing (its validation failed)."""
    return ctx.endpoint == "completions" and isinstance(ctx.request, dict) and ctx.request.get("stream") is True


def _endless_stream(raw: Any, ctx: FaultContext) -> Any:
    """Instead of the error, chunks for ever, a few a second: never stalled, never done."""
    if not _refused_stream(ctx) or not isinstance(raw, bytes):
        return raw
    chunk = b'data: {"id":"cmpl-endless","object":"text_completion","created":1,"model":"m","choices":[{"text":" ' \
            b'and","index":0,"logprobs":null,"finish_reason":null}]}\n\n'

    def produce() -> Iterator[Any]:
        while True:
            yield chunk
            yield Stall(0.05)

    return produce()


fault("hostile-stream-forever-on-invalid", ["completions.stream.invalid-rejected"],
      "An invalid streamed completion (temperature 5) is answered 200 text/event-stream with chunks for ever: the "
      "run must end anyway (the transport's total deadline cuts the stream) and report the failure.",
      error=lambda error, ctx: (200, error[1]) if _refused_stream(ctx) and error[0] >= 400 else error,
      response_headers=lambda headers, ctx: {**headers, "content-type": "text/event-stream"}
      if _refused_stream(ctx) and headers.get("content-type", "").startswith("application/json") else headers,
      response_body=_endless_stream)

fault("hostile-markup", [], "Every string, enumerations included, ends in HTML markup (<script>, onerror=, "
      "javascript: links). Legal in JSON strings: for the reports' sake only.", public=False,
      **_strings(MARKUP, None))

fault("hostile-control-chars", [], "Every string, enumerations included, ends in control characters (NUL, an ANSI "
      "colour sequence, BEL, backspace, CR), escaped as JSON requires. Legal: for the reports' sake only.",
      public=False, **_strings(CONTROL, None))

fault("hostile-bidi", [], "Every string, enumerations included, ends in bidirectional override and isolate "
      "characters (U+202E ...). Legal: for the reports' sake only.", public=False,
      **_strings(BIDI, None))
